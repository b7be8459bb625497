// The runtime against the real engine: image cache, failing builds, ports, killing programs in
// containers, pairs that cannot start, and cleanup (also after Ctrl-C).

import assert from "node:assert/strict";
import { contextHash, ensureImage, ImageBuildError, LABEL } from "./images.ts";
import { runHost } from "./host.ts";
import { runPair } from "../runner/pair.ts";
import { CACHE_DIR, REPO_ROOT } from "./paths.ts";
import { freePort, portInUse } from "./ports.ts";
import { OUTPUT_LIMIT } from "./process.ts";
import { closeAllSandboxes, openSandbox, type Sandbox, SESSION } from "./sandbox.ts";
import { TEST_PKI_DIR, withWorld } from "../testing/world.ts";
import { implementation } from "../peers/index.ts";
import { ts } from "../peers/ts.ts";
import { ensurePki } from "../pki/pki.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const openssl = implementation("openssl")!;

const sessionContainers = async (session = SESSION) =>
  (await runHost(["docker", "ps", "-aq", "--filter", `label=${LABEL}.session=${session}`]))
    .stdout.split("\n").filter(Boolean);

Deno.test({
  name: "ensureImage: an unchanged context is not rebuilt",
  ...opts,
  async fn() {
    const first = await ensureImage("openssl");
    const again = await ensureImage("openssl");
    assert.equal(again.built, false);
    assert.equal(again.id, first.id);
    assert.equal(again.tag, first.tag);
    assert.match(again.tag, /^pqinterop\/openssl:[0-9a-f]{12}$/);
    const labels = await runHost([
      "docker",
      "image",
      "inspect",
      "--format",
      "{{json .Config.Labels}}",
      again.tag,
    ]);
    assert.equal(JSON.parse(labels.stdout)[LABEL], "1");
  },
});

Deno.test({
  name: "ensureImage: a failing build throws ImageBuildError with the log's last lines",
  ...opts,
  async fn() {
    const root = `${CACHE_DIR}/test-broken`;
    await Deno.mkdir(`${root}/broken`, { recursive: true });
    // A unique line per run, so the build cannot be answered from the layer cache.
    const marker = `pqinterop-broken-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeTextFile(
      `${root}/broken/Dockerfile`,
      `FROM debian:trixie-slim\nRUN echo ${marker} && exit 3\n`,
    );
    try {
      await assert.rejects(
        () => ensureImage({ name: "broken", context: `${root}/broken` }),
        (e: unknown) => {
          assert.ok(e instanceof ImageBuildError);
          assert.match(e.message, /building pqinterop\/broken:[0-9a-f]{12} failed \(exit \d+\)/);
          assert.match(e.message, new RegExp(marker));
          assert.match(e.message, /returned a non-zero code: 3/);
          return true;
        },
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("contextHash: depends on paths and contents", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/Dockerfile`, "FROM x\n");
    const a = await contextHash(dir);
    await Deno.writeTextFile(`${dir}/extra.txt`, "");
    const b = await contextHash(dir);
    await Deno.writeTextFile(`${dir}/Dockerfile`, "FROM y\n");
    const c = await contextHash(dir);
    // Same contents under another name: a Dockerfile that COPYs it by name would differ.
    await Deno.rename(`${dir}/extra.txt`, `${dir}/renamed.txt`);
    const d = await contextHash(dir);
    assert.equal(new Set([a, b, c, d]).size, 4);
    assert.equal(await contextHash(dir), d);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("freePort: a full run's worth of ports, all distinct, below the ephemeral range", async () => {
  // A full matrix asks for some 20,000 ports; the kernel's port 0 kept handing out the same one.
  const ephemeralLow = Number(
    (await Deno.readTextFile("/proc/sys/net/ipv4/ip_local_port_range")).trim().split(/\s+/)[0],
  );
  const ports = [];
  for (let i = 0; i < 11_000; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length);
  assert.ok(ports.every((p) => p < ephemeralLow), "every port is below the ephemeral range");
  assert.ok(ports.every((p) => !portInUse(p)), "no port handed out was taken");
});

/** Runs `ps` in the sandbox: the command lines of every process in the container. */
async function processes(sandbox: Sandbox): Promise<string> {
  return (await sandbox.spawn({ argv: ["ps", "-eo", "args"] }).wait(10_000)).stdout;
}

Deno.test({
  name: "container sandbox: programs, input, bounded output, kill, provenance",
  ...opts,
  async fn(t) {
    const sandbox = await openSandbox(openssl);
    try {
      await t.step("stdin reaches the program; exit code comes back", async () => {
        const r = await sandbox.spawn({ argv: ["sh", "-c", "cat; exit 7"], stdin: "hello\n" })
          .wait(10_000);
        assert.equal(r.stdout, "hello\n");
        assert.equal(r.code, 7);
        assert.equal(r.timedOut, false);
      });

      await t.step("a hung program is killed inside the container, children too", async () => {
        const tag = crypto.randomUUID().slice(0, 8);
        const p = sandbox.spawn({
          argv: ["sh", "-c", `sleep 1001${tag.length} & echo started; sleep 1000${tag.length}`],
        });
        await p.ready(/started/, 10_000);
        assert.match(await processes(sandbox), /sleep 1000/);
        const r = await p.wait(500);
        assert.equal(r.timedOut, true);
        assert.equal(r.code, null);
        assert.match(r.stdout, /started/);
        const left = await processes(sandbox);
        assert.doesNotMatch(left, /sleep 100[01]/, left);
      });

      await t.step("ready() says when the program exits first", async () => {
        const p = sandbox.spawn({ argv: ["sh", "-c", "echo bad config >&2; exit 3"] });
        await assert.rejects(() => p.ready(/ACCEPT/, 10_000), /exited \(code 3\).*bad config/);
      });

      await t.step("output is bounded to the last 64 KiB per stream", async () => {
        const r = await sandbox.spawn({
          argv: ["sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x; echo; echo END"],
        }).wait(10_000);
        assert.ok(r.stdout.length <= OUTPUT_LIMIT);
        assert.match(r.stdout, /END\n$/);
      });

      await t.step("provenance names the library in the image", async () => {
        const p = await sandbox.provenance();
        assert.equal(p.id, "openssl");
        assert.match(p.version, /^OpenSSL 3\.5\.\d+/);
        assert.match(p.packages.openssl, /^3\.5\./);
        assert.match(p.image?.tag ?? "", /^pqinterop\/openssl:/);
        assert.match(p.image?.id ?? "", /^sha256:/);
      });
    } finally {
      await closeAllSandboxes();
    }
    assert.deepEqual(await sessionContainers(), [], "no container of this session remains");
  },
});

Deno.test({
  name: "in-process sandbox: the reference peer runs inside the runner, and stops when killed",
  ...opts,
  async fn() {
    const sandbox = await openSandbox(ts);
    try {
      const help = await sandbox.spawn({ argv: ["pqinterop-peer", "--help"] }).wait(10_000);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--key-shares/);
      const bad = await sandbox.spawn({ argv: ["pqinterop-peer", "client", "--bogus"] }).wait(
        10_000,
      );
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /unknown client flag "--bogus"/);
      // A server with no --count listens until it is stopped.
      const leaf = (await ensurePki(TEST_PKI_DIR)).leaf["ecdsa-p256"];
      const server = sandbox.spawn({
        argv: ["pqinterop-peer", "server", "--port", "0", "--cert", leaf.cert, "--key", leaf.key],
      });
      await server.ready(/listening on 127\.0\.0\.1:(\d+)/, 10_000);
      const r = await server.wait(200);
      assert.equal(r.timedOut, true);
      assert.equal(r.code, null);
      const p = await sandbox.provenance();
      assert.equal(p.image, null);
      assert.equal(p.packages.deno, Deno.version.deno);
      assert.match(p.packages["@noble/post-quantum"], /^\d+\.\d+\.\d+$/);
    } finally {
      await closeAllSandboxes();
    }
  },
});

Deno.test({
  name: "launcher: when it dies, its programs end, the sandbox says it broke, nothing is left",
  ...opts,
  async fn() {
    const sandbox = await openSandbox(openssl);
    try {
      assert.equal(sandbox.broken(), null);
      const p = sandbox.spawn({ argv: ["sh", "-c", "echo up; sleep 1003"] });
      await p.ready(/up/, 10_000);
      // The launcher is the container's only `perl`: kill it as a crash would.
      const killer = await runHost([
        "sh",
        "-c",
        `docker exec $(docker ps -q --filter label=${LABEL}.session=${SESSION}) pkill -9 perl`,
      ]);
      assert.equal(killer.code, 0, killer.stderr);
      const r = await p.wait(10_000);
      assert.equal(r.timedOut, false);
      assert.match(r.stderr, /launcher stopped/);
      assert.match(sandbox.broken() ?? "", /launcher/);
      let left = "";
      for (let i = 0; i < 50; i++) {
        left = (await runHost([
          "sh",
          "-c",
          `docker exec $(docker ps -q --filter label=${LABEL}.session=${SESSION}) ps -eo args`,
        ])).stdout;
        if (!/sleep 1003/.test(left)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.doesNotMatch(left, /sleep 1003/, "the launcher's programs went with it");
    } finally {
      await closeAllSandboxes();
    }
  },
});

Deno.test({
  name: "runPair: a server that cannot start is reported, the client never runs",
  ...opts,
  fn: () =>
    withWorld(async (w) => {
      const sandbox = await w.sandbox(openssl);
      const base = {
        client: { sandbox, impl: openssl, config: {} },
        pki: w.pki,
        scratch: w.scratch,
        timeoutMs: 10_000,
      };

      const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        const port = (holder.addr as Deno.NetAddr).port;
        const r = await runPair({
          ...base,
          server: { sandbox, impl: openssl, config: {} },
          serverPort: port,
        });
        assert.equal(r.serverNeverReady, `port ${port} on 127.0.0.1 is already in use`);
        assert.equal(r.client.report.ok, false);
        assert.match(r.client.report.error ?? "", /client not started/);
      } finally {
        holder.close();
      }

      // The PKI has no such file: s_server exits at once, before printing ACCEPT.
      const brokenPki = structuredClone(w.pki);
      brokenPki.leaf["ecdsa-p256"].cert = `${TEST_PKI_DIR}/missing.pem`;
      const r = await runPair({
        ...base,
        pki: brokenPki,
        server: { sandbox, impl: openssl, config: {} },
      });
      assert.match(
        r.serverNeverReady ?? "",
        /^server openssl exited \(code \d+\) before it was ready/,
      );
      assert.equal(r.client.durationMs, 0);
    }),
});

/**
 * Runs `then` (TypeScript) in a child process after it has opened one openssl sandbox; returns
 * its session once that sandbox is up, and `signal`, which sends the signal and gives the exit code.
 */
async function childWithSandbox(then: string) {
  const script = `
    import { openSandbox, SESSION } from "${REPO_ROOT}/src/runtime/sandbox.ts";
    import { implementation } from "${REPO_ROOT}/src/peers/index.ts";
    await openSandbox(implementation("openssl"));
    console.log("open " + SESSION);
    ${then}
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/open (\S+)\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const session = text.match(/open (\S+)\n/)?.[1];
  assert.ok(session, `child did not open a sandbox: ${text}`);
  const signal = async (name: Deno.Signal) => {
    child.kill(name);
    const status = await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    return status.code;
  };
  return { session, signal };
}

Deno.test({
  name: "Ctrl-C: a process interrupted with sandboxes open leaves no container behind",
  ...opts,
  async fn() {
    const { session, signal } = await childWithSandbox("await new Promise(() => {});");
    assert.equal((await sessionContainers(session)).length, 1);
    assert.equal(await signal("SIGINT"), 130);
    assert.deepEqual(await sessionContainers(session), []);
  },
});

Deno.test({
  name: "SIGTERM while sandboxes are still starting, and more asked for after it: none is left",
  ...opts,
  async fn() {
    // The loop stands for cells that repair their sandboxes while the signal's cleanup runs.
    const { session, signal } = await childWithSandbox(`
      const one = () => openSandbox(implementation("openssl")).catch(() =>
        new Promise((r) => setTimeout(r, 10))
      );
      for (;;) await Promise.all([one(), one(), one()]);
    `);
    const signalled = (Date.now() / 1000).toFixed(3);
    assert.equal(await signal("SIGTERM"), 130);
    // A container asked for just before the exit is created after it: give the engine time.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(await sessionContainers(session), []);
    // Only the three already starting may appear after the signal, never new ones.
    const created = await runHost([
      "docker",
      "events",
      "--since",
      signalled,
      "--until",
      (Date.now() / 1000).toFixed(3),
      "--filter",
      `label=${LABEL}.session=${session}`,
      "--filter",
      "event=create",
      "--format",
      "{{.ID}}",
    ]);
    const late = created.stdout.split("\n").filter(Boolean);
    assert.ok(late.length <= 3, `${late.length} containers created after the signal`);
  },
});
