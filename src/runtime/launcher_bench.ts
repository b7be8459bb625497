// What starting one program in a running container costs: through the container's launcher (a
// fork in the container) against a `docker exec` of its own, which is what every program start
// cost before the launcher. `deno task bench` runs it when the engine answers.

import { engineAnswers } from "./engine.ts";
import { openSandbox, type Sandbox } from "./sandbox.ts";
import { runHost } from "./host.ts";
import { IMPLEMENTATIONS } from "../peers/index.ts";

const ready = await engineAnswers().catch(() => false);
const target = IMPLEMENTATIONS.find((i) => i.id === "wolfssl");
let sandbox: Sandbox | null = null;
let containerId = "";
if (ready && target) {
  sandbox = await openSandbox(target);
  const r = await runHost(["docker", "ps", "-q", "--filter", "label=pqinterop.impl=wolfssl"]);
  containerId = r.stdout.split("\n")[0];
}

Deno.bench({
  name: "program start through the launcher (`true`, start to exit)",
  group: "program start in a container",
  baseline: true,
  ignore: !sandbox,
  async fn() {
    await sandbox!.spawn({ argv: ["true"] }).wait(10_000);
  },
});

Deno.bench({
  name: "program start by `docker exec` (`true`, start to exit)",
  group: "program start in a container",
  ignore: !sandbox,
  async fn() {
    await runHost(["docker", "exec", containerId, "true"]);
  },
});

// The sandbox module removes this session's containers when the process ends.
