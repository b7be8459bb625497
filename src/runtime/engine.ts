// The container engine: make sure a Docker daemon answers, starting (and on Debian, installing) one
// when we are root, because CI and new machines begin with no daemon at all.

import { lastLines, onPath, runHost } from "./host.ts";
import { ensureCacheDir } from "./paths.ts";

/** The engine is missing and we cannot bring it up; the message says what to do. */
export class EngineError extends Error {
  override name = "EngineError";
}

const SOCKET = "/var/run/docker.sock";
// No iptables and no bridge: every container uses the host network on 127.0.0.1 (see peers-offline.md).
const DOCKERD_ARGS = ["--iptables=false", "--ip6tables=false", "--bridge=none"];
const START_DEADLINE_MS = 60_000;

let ensured: Promise<void> | null = null;

/** Resolves once `docker info` answers; idempotent and shared by concurrent callers. */
export function ensureEngine(): Promise<void> {
  ensured ??= bringUp().catch((e) => {
    ensured = null;
    throw e;
  });
  return ensured;
}

export async function engineAnswers(): Promise<boolean> {
  const r = await runHost(["docker", "info", "--format", "{{.ServerVersion}}"], {
    timeoutMs: 15_000,
  });
  return r.code === 0 && r.stdout.trim() !== "";
}

async function bringUp(): Promise<void> {
  if (await engineAnswers()) return;
  const canManage = Deno.build.os === "linux" && Deno.uid() === 0 &&
    await exists("/etc/debian_version");
  if (!canManage) {
    throw new EngineError(
      `no Docker engine answers at ${SOCKET}; start one (e.g. \`sudo dockerd ${
        DOCKERD_ARGS.join(" ")
      }\`) or run as root on Debian so pqinterop can install and start it`,
    );
  }
  if (!(await onPath("dockerd")) || !(await onPath("docker"))) await installDockerIo();
  const log = `${await ensureCacheDir()}/dockerd.log`;
  await startDockerd(log);
  const deadline = Date.now() + START_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (await engineAnswers()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  let tail = "";
  try {
    tail = lastLines(await Deno.readTextFile(log), 5);
  } catch { /* no log yet */ }
  throw new EngineError(
    `started dockerd but it did not answer within ${START_DEADLINE_MS / 1000} s; see ${log}` +
      (tail ? `:\n${tail}` : ""),
  );
}

async function installDockerIo(): Promise<void> {
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (
    const argv of [
      ["apt-get", "update"],
      ["apt-get", "install", "-y", "--no-install-recommends", "docker.io"],
    ]
  ) {
    const r = await runHost(argv, { timeoutMs: 600_000, env });
    if (r.code !== 0) {
      throw new EngineError(
        `\`${argv.join(" ")}\` failed (exit ${r.code}) while installing Docker: ${
          lastLines(r.stderr, 1)
        }`,
      );
    }
  }
}

/**
 * Starts dockerd in its own session so it outlives this process and is not hit by the terminal's
 * Ctrl-C: the daemon is machine infrastructure, unlike our containers.
 */
async function startDockerd(log: string): Promise<void> {
  const quoted = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const script = `setsid nohup dockerd ${DOCKERD_ARGS.join(" ")} >>${
    quoted(log)
  } 2>&1 </dev/null &`;
  const r = await runHost(["sh", "-c", script], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new EngineError(`could not start dockerd: ${lastLines(r.stderr, 1)}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
