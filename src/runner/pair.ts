// One connection between two implementations: start the server, wait until it listens, run the
// client, then collect both sides' own reports. The cells and the adapter tests use it.

import type { EndpointConfig } from "../contract/config.ts";
import type { CellContext } from "../contract/process.ts";
import { failedReport, type PeerReport } from "../contract/report.ts";
import type { Implementation } from "../peers/implementation.ts";
import type { PkiPaths } from "../pki/layout.ts";
import { freePort, portInUse } from "../runtime/ports.ts";
import type { ProcessResult, Sandbox } from "../runtime/sandbox.ts";
import type { Role } from "../tls/names.ts";

export interface PairSide {
  sandbox: Sandbox;
  impl: Implementation;
  config: EndpointConfig;
}

export interface PairOptions {
  client: PairSide;
  server: PairSide;
  pki: PkiPaths;
  /** A directory both sandboxes mount: session files, early data, tickets. */
  scratch: string;
  /** Default: a fresh free port. */
  serverPort?: number;
  /** When a relay sits between: the client connects here instead of serverPort. */
  connectPort?: number;
  /** Runs once the server listens and before the client starts (e.g. start the relay). */
  beforeClient?: (serverPort: number) => Promise<void>;
  /** Deadline for the client, and for the server to become ready. Default 20 s. */
  timeoutMs?: number;
  /** The client is a browser: one HTTP request instead of an echoed line. */
  http?: boolean;
}

export type SideResult = ProcessResult & { report: PeerReport };

export interface PairResult {
  client: SideResult;
  server: SideResult;
  serverPort: number;
  /** The client did not finish in time. */
  timedOut: boolean;
  /** Set when the client never ran because the server did not start listening: why. */
  serverNeverReady?: string;
  /** Where the time went: starting the server until it listened, the client's run, the rest. */
  phases: { startMs: number; clientMs: number; stopMs: number };
}

const DEFAULT_TIMEOUT_MS = 20_000;
// After the client is done, a server that handled its connections exits by itself at once; this
// only bounds the wait for one that keeps listening.
const SERVER_LINGER_MS = 3_000;

export async function runPair(opts: PairOptions): Promise<PairResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const serverPort = opts.serverPort ?? await freePort();
  const token = crypto.randomUUID().slice(0, 8);
  const context = (port: number): CellContext => ({
    port,
    serverName: "localhost",
    pki: opts.pki,
    token,
    scratch: opts.scratch,
    ...(opts.http ? { http: true } : {}),
  });
  const started = performance.now();
  const since = (t: number) => Math.round((performance.now() - t) * 10) / 10;

  if (portInUse(serverPort)) {
    return notRun(serverPort, `port ${serverPort} on 127.0.0.1 is already in use`);
  }
  const serverSpec = opts.server.impl.server(opts.server.config, context(serverPort));
  const server = opts.server.sandbox.spawn(serverSpec);
  try {
    if (serverSpec.ready) await server.ready(serverSpec.ready, timeoutMs);
    else await waitForListener(serverPort, timeoutMs);
  } catch (e) {
    await server.kill();
    const result = await server.wait(1_000);
    return {
      ...notRun(serverPort, `server ${opts.server.impl.id} ${(e as Error).message}`),
      server: withReport(opts.server.impl, "server", result),
    };
  }
  const startMs = since(started);

  try {
    await opts.beforeClient?.(serverPort);
    const clientStarted = performance.now();
    const clientSpec = opts.client.impl.client(
      opts.client.config,
      context(opts.connectPort ?? serverPort),
    );
    const client = await opts.client.sandbox.spawn(clientSpec).wait(timeoutMs);
    const clientMs = since(clientStarted);
    const stopped = performance.now();
    const serverResult = await server.wait(SERVER_LINGER_MS);
    return {
      client: withReport(opts.client.impl, "client", client),
      server: withReport(opts.server.impl, "server", serverResult),
      serverPort,
      timedOut: client.timedOut,
      phases: { startMs, clientMs, stopMs: since(stopped) },
    };
  } finally {
    await server.kill();
  }
}

function withReport(impl: Implementation, role: Role, r: ProcessResult): SideResult {
  return { ...r, report: impl.parse(role, r) };
}

/** The result for a pair whose client never ran: both reports say why. */
function notRun(serverPort: number, why: string): PairResult {
  const empty: ProcessResult = {
    code: null,
    signal: null,
    stdout: "",
    stderr: "",
    timedOut: false,
    durationMs: 0,
  };
  return {
    client: { ...empty, report: failedReport(`client not started: ${why}`) },
    server: { ...empty, report: failedReport(why) },
    serverPort,
    timedOut: false,
    serverNeverReady: why,
    phases: { startMs: 0, clientMs: 0, stopMs: 0 },
  };
}

/** For servers that print nothing when ready: poll until the port accepts a connection. */
async function waitForListener(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`did not accept connections on 127.0.0.1:${port} within ${timeoutMs} ms`);
}
