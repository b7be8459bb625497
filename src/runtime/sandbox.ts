// Where a peer program runs. A library peer runs in one long-lived container per implementation
// (host network, the PKI and scratch directories mounted at the same paths, so no path needs
// translating), and its programs are started through the launcher in that container; the
// reference peer runs inside this process. Either way the runner sees the same Sandbox.

import type { ProcessSpec } from "../contract/process.ts";
import type { Provenance } from "../contract/provenance.ts";
import { main as referencePeer } from "../refpeer/main.ts";
import { runHost } from "./host.ts";
import { ensureImage, imageId, type ImageInfo, type ImageRecipe, LABEL } from "./images.ts";
import { Launcher, LAUNCHER_DIR, LAUNCHER_SOURCE } from "./launcher.ts";
import { REPO_ROOT } from "./paths.ts";
import { type PeerProcess, Program, startLocal } from "./process.ts";

export type { PeerProcess, ProcessResult } from "./process.ts";

/** Where an implementation's programs run. */
export type Placement =
  | ({ kind: "image" } & Omit<ImageRecipe, "name">)
  | { kind: "tag"; tag: string }
  /** The reference peer, run inside the runner itself. */
  | { kind: "in-process" };

/** What the runtime needs to know of an implementation to give it a sandbox. */
export interface SandboxTarget {
  id: string;
  name: string;
  placement: Placement;
  /** A command in the image that prints the library version (manifest implementations). */
  versionCommand?: string[];
  manifest?: Provenance["manifest"];
}

export interface Sandbox {
  impl: string;
  spawn(spec: ProcessSpec): PeerProcess;
  provenance(): Promise<Provenance>;
  /** Why this sandbox can no longer run programs (its container or launcher died), or null. */
  broken(): string | null;
  close(): Promise<void>;
}

export interface SandboxOptions {
  /** Host directories the programs need (PKI, scratch); mounted read-write at the same path. */
  mounts?: string[];
  /** Lines about a long image build in progress. */
  progress?: (line: string) => void;
}

/** Labels this process' containers, so cleanup after Ctrl-C removes ours and nobody else's. */
export const SESSION = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
const SESSION_LABEL = `${LABEL}.session`;

const open = new Set<Sandbox>();
/** Sandboxes still starting: a signal waits for them, or their containers would outlive us. */
const opening = new Set<Promise<unknown>>();
/** Set by the first Ctrl-C or SIGTERM: the cleanup has begun. */
let stopping = false;

/** The image a placement runs in, built when needed; null for the in-process peer. */
export async function imageFor(
  target: SandboxTarget,
  progress?: (line: string) => void,
): Promise<ImageInfo | null> {
  const p = target.placement;
  if (p.kind === "in-process") return null;
  if (p.kind === "image") {
    const { kind: _, ...recipe } = p;
    return await ensureImage({ name: target.id.replace("@", "-"), ...recipe }, progress);
  }
  const id = await imageId(p.tag);
  if (!id) throw new Error(`image ${p.tag} is not in the local engine (docker images ${p.tag})`);
  return { name: target.id, tag: p.tag, id, built: false, ms: 0 };
}

export async function openSandbox(
  target: SandboxTarget,
  opts: SandboxOptions = {},
): Promise<Sandbox> {
  // After a signal nothing new starts (a cell would otherwise repair the sandboxes being closed).
  if (stopping) throw new Error("interrupted: no new sandbox is opened");
  installCleanupHandlers();
  const starting = target.placement.kind === "in-process"
    ? Promise.resolve(inProcessSandbox(target))
    : imageFor(target, opts.progress).then((image) =>
      containerSandbox(target, image!, opts.mounts ?? [])
    );
  opening.add(starting);
  try {
    const sandbox = await starting;
    open.add(sandbox);
    return sandbox;
  } finally {
    opening.delete(starting);
    if (open.size === 0 && opening.size === 0) removeCleanupHandlers();
  }
}

/** Stops every sandbox this process opened; afterwards no container of this session remains. */
export async function closeAllSandboxes(): Promise<void> {
  await Promise.all([...open].map((s) => s.close().catch(() => {})));
  await removeSessionContainers();
  removeCleanupHandlers();
}

// ---------------------------------------------------------------- the reference peer, in-process

function inProcessSandbox(target: SandboxTarget): Sandbox {
  const running = new Set<Program>();
  const sandbox: Sandbox = {
    impl: target.id,
    spawn(spec) {
      // argv[0] names the program; the rest is the peer's command line, as on a shell.
      const stop = new AbortController();
      const program = new Program(() => Promise.resolve(stop.abort()));
      running.add(program);
      referencePeer(spec.argv.slice(1), {
        out: (line) => program.output(1, line + "\n"),
        err: (line) => program.output(2, line + "\n"),
        signal: stop.signal,
      }).then(
        (code) => program.exit(code),
        (e) => {
          program.output(2, `peer: ${e instanceof Error ? e.message : e}\n`);
          program.exit(1);
        },
      ).finally(() => running.delete(program));
      return program;
    },
    provenance: () => hostProvenance(target),
    broken: () => null,
    async close() {
      open.delete(sandbox);
      await Promise.all([...running].map((p) => p.kill()));
    },
  };
  return sandbox;
}

async function hostProvenance(target: SandboxTarget): Promise<Provenance> {
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
    id: target.id,
    name: target.name,
    version: `pqinterop ${git.code === 0 ? git.stdout.trim() : "(no git)"}`,
    build: `in-process in the runner: deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ` +
      `TypeScript ${Deno.version.typescript}`,
    packages,
    image: null,
  };
}

// ---------------------------------------------------------------- a container per implementation

let library: Promise<typeof import("testcontainers")> | null = null;

/**
 * Testcontainers, loaded once. Loading it takes about a second, so a run starts loading it while
 * it checks its images.
 */
export function containerLibrary(): Promise<typeof import("testcontainers")> {
  library ??= import("testcontainers");
  return library;
}

async function containerSandbox(
  target: SandboxTarget,
  image: ImageInfo,
  mounts: string[],
): Promise<Sandbox> {
  // Testcontainers' reaper and its bridge-network lookup do not work on this host-network-only
  // engine; our own cleanup (below) takes the reaper's place.
  Deno.env.set("TESTCONTAINERS_RYUK_DISABLED", "true");
  if (!Deno.env.get("TESTCONTAINERS_HOST_OVERRIDE")) {
    Deno.env.set("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1");
  }
  const { GenericContainer } = await containerLibrary();
  // Programs get the paths as the caller wrote them (made absolute); the engine needs the real
  // directory behind any symlink.
  const binds = await Promise.all(mounts.map(async (m) => {
    const targetPath = m.startsWith("/") ? m : `${Deno.cwd()}/${m}`;
    return { source: await Deno.realPath(m), target: targetPath, mode: "rw" as const };
  }));
  binds.push({ source: LAUNCHER_SOURCE, target: LAUNCHER_DIR, mode: "ro" as never });
  const container = await new GenericContainer(image.tag)
    .withNetworkMode("host")
    .withEntrypoint(["sleep"])
    .withCommand(["infinity"])
    .withLabels({ [LABEL]: "1", [SESSION_LABEL]: SESSION, [`${LABEL}.impl`]: target.id })
    .withBindMounts(binds)
    .start();
  const id = container.getId();
  // One launcher per container; an image without perl falls back to one `docker exec` per program.
  let launcher: Launcher | null = null;
  let fallback: string | null = null;
  try {
    launcher = await Launcher.start(
      ["docker", "exec", "-i", id, "perl", `${LAUNCHER_DIR}/launcher.pl`, "--tcp"],
      target.id,
    );
  } catch (e) {
    fallback = (e as Error).message;
  }
  let closed = false;
  // A launcher that dies cannot end its programs: end everything in the container but its init.
  launcher?.gone.then(async () => {
    if (!closed) {
      await runHost(["docker", "exec", id, "sh", "-c", "kill -9 -1"], { timeoutMs: 15_000 });
    }
  });

  const sandbox: Sandbox = {
    impl: target.id,
    spawn: (spec) => launcher ? launcher.spawn(spec) : execSpawn(id, spec),
    async provenance() {
      const read = async (argv: string[]) => {
        const r = await sandbox.spawn({ argv }).wait(60_000);
        return r.code === 0 ? r.stdout.trim() : null;
      };
      const file = await read(["cat", "/pqinterop/provenance.json"]);
      const fromImage = file ? JSON.parse(file) as Partial<Provenance> : {};
      const version = target.versionCommand
        ? (await read(target.versionCommand))?.split("\n")[0] ?? null
        : null;
      if (!fromImage.version && !version) {
        throw new Error(`${image.tag} has no /pqinterop/provenance.json and no version command`);
      }
      return {
        id: target.id,
        name: target.name,
        version: version ?? fromImage.version!,
        build: [fromImage.build, fallback ? `(programs started by docker exec: ${fallback})` : ""]
          .filter(Boolean).join(" "),
        packages: fromImage.packages ?? {},
        image: { id: image.id, tag: image.tag },
        ...(target.manifest ? { manifest: target.manifest } : {}),
      };
    },
    broken: () => closed ? "closed" : launcher && !launcher.alive ? `launcher gone` : null,
    async close() {
      if (closed) return;
      closed = true;
      open.delete(sandbox);
      await launcher?.close();
      await container.stop({ timeout: 0 }).catch(() =>
        runHost(["docker", "rm", "-f", id], { timeoutMs: 30_000 })
      );
    },
  };
  return sandbox;
}

/** One `docker exec` per program: for images without perl, where the launcher cannot run. */
function execSpawn(id: string, spec: ProcessSpec): PeerProcess {
  const pidFile = `/tmp/pqinterop-pid.${crypto.randomUUID().slice(0, 8)}`;
  const env = Object.entries(spec.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  // setsid: the program leads its own process group, so killing the group also takes whatever it
  // started.
  return startLocal({
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
      `echo $$ > ${pidFile}; exec "$@"`,
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
}

// --- Cleanup on Ctrl-C, SIGTERM and exit -------------------------------------------------------
// Installed while a sandbox is open (so tests without sandboxes see no signal listeners).

const onSignal = async () => {
  if (stopping) return; // a second signal while we clean up: the first one finishes the job
  stopping = true;
  // A container whose start was already asked for appears after we look: let those finish first
  // (bounded, in case the engine hangs), then remove everything of this session.
  const started = Promise.allSettled([...opening]);
  await Promise.race([started, new Promise((r) => setTimeout(r, 30_000))]);
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

// Once at most: a listener added twice runs twice, and two cleanups racing leave containers.
let installed = false;

function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  for (const s of SIGNALS) Deno.addSignalListener(s, onSignal);
  globalThis.addEventListener("unload", onUnload);
}

function removeCleanupHandlers(): void {
  if (!installed) return;
  installed = false;
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
    { timeoutMs: 30_000 },
  );
  const ids = r.stdout.split("\n").filter(Boolean);
  if (ids.length) await runHost(["docker", "rm", "-f", ...ids], { timeoutMs: 60_000 });
}
