// Where a peer program runs. A library peer runs in one long-lived container per implementation
// (host network, the PKI and scratch directories mounted at the same paths, so no path needs
// translating); the TypeScript peer runs on the host. Either way the runner sees the same Sandbox.

import type { Implementation, ImplId, ProcessSpec, Provenance } from "../peers/types.ts";
import { ensureImage, LABEL, readProvenance } from "./images.ts";
import { runHost } from "./host.ts";
import { REPO_ROOT } from "./paths.ts";
import { type PeerProcess, startProcess } from "./process.ts";

export type { PeerProcess, ProcessResult } from "./process.ts";

export interface Sandbox {
  impl: ImplId;
  spawn(spec: ProcessSpec): PeerProcess;
  provenance(): Promise<Provenance>;
  close(): Promise<void>;
}

export interface SandboxOptions {
  /** Host directories the program needs (PKI, scratch); mounted read-write at the same path. */
  mounts?: string[];
}

/** Labels this process' containers, so cleanup after Ctrl-C removes ours and nobody else's. */
export const SESSION = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
const SESSION_LABEL = `${LABEL}.session`;

const open = new Set<Sandbox>();

export async function openSandbox(
  impl: Implementation,
  opts: SandboxOptions = {},
): Promise<Sandbox> {
  const sandbox = impl.container === null
    ? hostSandbox(impl)
    : await containerSandbox(impl, impl.container, opts.mounts ?? []);
  if (open.size === 0) installCleanupHandlers();
  open.add(sandbox);
  return sandbox;
}

/** Stops every sandbox this process opened; afterwards no container of this session remains. */
export async function closeAllSandboxes(): Promise<void> {
  await Promise.all([...open].map((s) => s.close().catch(() => {})));
  await removeSessionContainers();
  removeCleanupHandlers();
}

function hostSandbox(impl: Implementation): Sandbox {
  const sandbox: Sandbox = {
    impl: impl.id,
    spawn: (spec) =>
      startProcess({ argv: spec.argv, env: spec.env, stdin: spec.stdin, cwd: REPO_ROOT }),
    provenance: () => hostProvenance(impl),
    close: () => {
      open.delete(sandbox);
      return Promise.resolve();
    },
  };
  return sandbox;
}

async function containerSandbox(
  impl: Implementation,
  dir: string,
  mounts: string[],
): Promise<Sandbox> {
  const image = await ensureImage(dir);
  // Testcontainers' reaper and its bridge-network lookup do not work on this host-network-only
  // engine; our own cleanup (below) takes the reaper's place.
  Deno.env.set("TESTCONTAINERS_RYUK_DISABLED", "true");
  if (!Deno.env.get("TESTCONTAINERS_HOST_OVERRIDE")) {
    Deno.env.set("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1");
  }
  const { GenericContainer } = await import("testcontainers");
  // Processes get the paths as the caller wrote them (made absolute); the engine needs the real
  // directory behind any symlink.
  const binds = await Promise.all(mounts.map(async (m) => {
    const target = m.startsWith("/") ? m : `${Deno.cwd()}/${m}`;
    return { source: await Deno.realPath(m), target, mode: "rw" as const };
  }));
  const container = await new GenericContainer(image.tag)
    .withNetworkMode("host")
    .withCommand(["sleep", "infinity"])
    .withLabels({ [LABEL]: "1", [SESSION_LABEL]: SESSION, [`${LABEL}.impl`]: impl.id })
    .withBindMounts(binds)
    .start();
  const id = container.getId();
  let spawned = 0;
  let closed = false;

  const sandbox: Sandbox = {
    impl: impl.id,
    spawn(spec) {
      const pidFile = `/tmp/pqinterop-pid.${++spawned}`;
      const env = Object.entries(spec.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
      // setsid: the program leads its own process group, so killing the group also takes
      // whatever it started (a shell running two clients in a row, for resumption).
      const wrapper = `echo $$ > ${pidFile}; exec "$@"`;
      return startProcess({
        argv: [
          "docker",
          "exec",
          ...(spec.stdin === undefined ? [] : ["-i"]),
          ...env,
          id,
          "setsid",
          "-w",
          "sh",
          "-c",
          wrapper,
          "sh",
          ...spec.argv,
        ],
        stdin: spec.stdin,
        // Killing `docker exec` on the host leaves the program running in the container.
        killRemote: async () => {
          await runHost([
            "docker",
            "exec",
            id,
            "sh",
            "-c",
            `for i in $(seq 50); do [ -s ${pidFile} ] && break; sleep 0.1; done; ` +
            `kill -9 -$(cat ${pidFile}) 2>/dev/null; true`,
          ], { timeoutMs: 15_000 });
        },
      });
    },
    async provenance() {
      const p = await readProvenance(image.tag);
      return { ...p, id: impl.id, image: { id: image.id, tag: image.tag } };
    },
    async close() {
      if (closed) return;
      closed = true;
      open.delete(sandbox);
      await container.stop({ timeout: 0 }).catch(() =>
        runHost(["docker", "rm", "-f", id], { timeoutMs: 30_000 })
      );
    },
  };
  return sandbox;
}

async function hostProvenance(impl: Implementation): Promise<Provenance> {
  const config = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`)) as {
    imports: Record<string, string>;
  };
  const packages: Record<string, string> = { deno: Deno.version.deno };
  for (const spec of Object.values(config.imports)) {
    const m = spec.match(/^npm:\/?(@noble\/[^@]+)@([^/]+)/);
    if (m) packages[m[1]] = m[2];
  }
  const git = await runHost(["git", "-C", REPO_ROOT, "rev-parse", "--short", "HEAD"], {
    timeoutMs: 5_000,
  });
  return {
    id: impl.id,
    name: impl.name,
    version: `pqinterop ${git.code === 0 ? git.stdout.trim() : "(no git)"}`,
    build:
      `deno ${Deno.version.deno}, V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript}`,
    packages,
    image: null,
  };
}

// --- Cleanup on Ctrl-C, SIGTERM and exit -------------------------------------------------------
// Installed while a sandbox is open (so tests without sandboxes see no signal listeners).

const onSignal = async () => {
  await closeAllSandboxes().catch(() => {});
  Deno.exit(130);
};
// `unload` cannot wait for promises: remove by label synchronously.
const onUnload = () => {
  try {
    const ids = new TextDecoder().decode(
      new Deno.Command("docker", {
        args: ["ps", "-aq", "--filter", `label=${SESSION_LABEL}=${SESSION}`],
        stderr: "null",
      }).outputSync().stdout,
    ).split("\n").filter(Boolean);
    if (ids.length) {
      new Deno.Command("docker", { args: ["rm", "-f", ...ids], stdout: "null", stderr: "null" })
        .outputSync();
    }
  } catch { /* nothing more we can do on the way out */ }
};
const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];

function installCleanupHandlers(): void {
  for (const s of SIGNALS) Deno.addSignalListener(s, onSignal);
  globalThis.addEventListener("unload", onUnload);
}

function removeCleanupHandlers(): void {
  for (const s of SIGNALS) {
    try {
      Deno.removeSignalListener(s, onSignal);
    } catch { /* was not installed */ }
  }
  globalThis.removeEventListener("unload", onUnload);
}

async function removeSessionContainers(): Promise<void> {
  const r = await runHost(
    ["docker", "ps", "-aq", "--filter", `label=${SESSION_LABEL}=${SESSION}`],
    {
      timeoutMs: 30_000,
    },
  );
  const ids = r.stdout.split("\n").filter(Boolean);
  if (ids.length) await runHost(["docker", "rm", "-f", ...ids], { timeoutMs: 60_000 });
}
