// The reference peer's two programs, as functions: a server that accepts connections and echoes
// one line on each, and a client that connects, sends a line and reads it back. They take their
// output channels and a stop signal from the caller, so the same code runs as the command-line
// peer (src/refpeer/main.ts) and inside the runner, in-process, for cells with `ts` on a side.
//
//   server: listens on 127.0.0.1:PORT, says "listening on 127.0.0.1:PORT" on stderr when ready,
//           echoes back the one line each client sends, until stopped or --count connections.
//   client: connects to 127.0.0.1:PORT, sends one line, reads the echo. With --resume it connects
//           twice (the second resumes with a ticket from the first); with --early-data the text
//           goes first, as 0-RTT when a ticket allows it.
// Each connection prints one JSON line: the ConnectionSummary (the contract's report and more).

import { TlsAlert } from "../tls/alert.ts";
import { TlsClient } from "../tls/client.ts";
import type { ClientConfig, ServerConfig } from "../tls/config.ts";
import { PeerClosed, type Transport } from "../tls/connection.ts";
import type { TlsEndpoint } from "../tls/endpoint.ts";
import { TlsServer } from "../tls/server.ts";
import type { ConnectionSummary } from "../tls/summary.ts";
import { TicketStore } from "../tls/tickets.ts";
import type { GroupName, Role } from "../tls/names.ts";
import { EXIT } from "../contract/flags.ts";
import { FlagError } from "../cli/flags.ts";
import type { BuiltAdversary } from "../adversary/compose.ts";
import { adversaryExtras, adversaryFor, withAdversary } from "./adversary.ts";
import type { PeerOptions } from "./options.ts";

/** Where a peer's output goes, and what stops it. */
export interface PeerIo {
  /** One line on stdout: the JSON reports. */
  out(line: string): void;
  /** One line on stderr: readiness, and why it stopped. */
  err(line: string): void;
  /** Ends a listening server and any connection in flight. */
  signal?: AbortSignal;
}

/** A peer that stops talking must not hold a connection (or --count) forever. */
const CONNECTION_TIMEOUT_MS = 30_000;
/** How long a misbehaving server waits, after its answer, for the client's close or alert. */
const LINGER_MS = 1_000;

const encoder = new TextEncoder();
const errorText = (e: unknown): string => e instanceof Error ? e.message : String(e);

/**
 * The --misbehave specs built for one connection (fresh state each), or null. The summary then
 * also says which ran and changed something, and the bytes sent in clear.
 */
function adversary(o: PeerOptions, role: Role, config: ClientConfig | ServerConfig) {
  try {
    return adversaryFor(o.misbehave ?? [], role, config);
  } catch (e) {
    throw new FlagError(`--misbehave: ${errorText(e)}`);
  }
}

async function report(
  endpoint: TlsEndpoint,
  o: PeerOptions,
  io: PeerIo,
  extra: Partial<ConnectionSummary>,
  adv: BuiltAdversary | null,
): Promise<ConnectionSummary> {
  const summary = {
    ...endpoint.summary(),
    ...extra,
    ...adversaryExtras(adv, endpoint.transcript),
  };
  io.out(JSON.stringify(summary));
  if (o.transcript) {
    const line = JSON.stringify({ summary, transcript: endpoint.transcript }) + "\n";
    await Deno.writeTextFile(o.transcript, line, { append: true });
  }
  return summary;
}

/**
 * Aborts the connection when it takes too long, or when the caller stops the peer. A misbehaviour
 * whose answer must come at once (a non-TLS opening) shortens the wait to its patience, and a
 * peer silent that long is reported as silent.
 */
function watchdog(
  endpoint: TlsEndpoint,
  extra: Partial<ConnectionSummary>,
  io: PeerIo,
  adv: BuiltAdversary | null,
) {
  const stop = (why: string) => {
    extra.error ??= why;
    endpoint.conn.abort();
  };
  const patience = adv?.patienceMs;
  const ms = patience ?? CONNECTION_TIMEOUT_MS;
  const timer = setTimeout(
    () =>
      stop(
        patience !== undefined && endpoint.conn.bytesReceived === 0
          ? `no answer at all within ${ms / 1000} s; we closed the connection`
          : `no progress for ${ms / 1000} s; connection closed`,
      ),
    ms,
  );
  const onAbort = () => stop("stopped");
  io.signal?.addEventListener("abort", onAbort, { once: true });
  return () => {
    clearTimeout(timer);
    io.signal?.removeEventListener("abort", onAbort);
  };
}

// ---------------------------------------------------------------- the application exchange

/** Reads until a newline or the end of the stream; the line without its newline. */
async function readLine(endpoint: TlsEndpoint): Promise<string | null> {
  let text = "";
  const decoder = new TextDecoder();
  for (;;) {
    const data = await endpoint.read();
    if (data === null) return text.length ? text : null;
    text += decoder.decode(data, { stream: true });
    const nl = text.indexOf("\n");
    if (nl >= 0) return text.slice(0, nl);
  }
}

/** Reads everything until the peer closes (an HTTP response with `connection: close`). */
async function readAll(endpoint: TlsEndpoint, limit = 1 << 20): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  for (;;) {
    const data = await endpoint.read();
    if (data === null || text.length > limit) return text + decoder.decode();
    text += decoder.decode(data, { stream: true });
  }
}

/** Server side: one echoed line, or one HTTP request answered with its path. */
async function answer(server: TlsServer, http: boolean): Promise<void> {
  if (!http) {
    const line = await readLine(server);
    if (line !== null) await server.write(encoder.encode(line + "\n"));
    return;
  }
  let head = "";
  const decoder = new TextDecoder();
  while (!head.includes("\r\n\r\n")) {
    const data = await server.read();
    if (data === null) return;
    head += decoder.decode(data, { stream: true });
  }
  const path = head.match(/^GET \/(\S*) HTTP\/1\.[01]\r\n/)?.[1];
  const status = path === undefined ? "400 Bad Request" : "200 OK";
  const body = encoder.encode(path === undefined ? "not a GET request\n" : path);
  const response = `HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\n` +
    `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  await server.write(new Uint8Array([...encoder.encode(response), ...body]));
}

/** Client side: send the message, and say whether the answer was its echo. */
async function exchange(
  client: TlsClient,
  message: string,
  early: string,
  http: boolean,
): Promise<{ echo: ConnectionSummary["echo"]; got: string | null }> {
  if (http) {
    const request = `GET /${message} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
    await client.write(encoder.encode(request));
    const response = await readAll(client);
    if (!response) return { echo: "none", got: null };
    const body = response.slice(response.indexOf("\r\n\r\n") + 4);
    const ok = /^HTTP\/1\.[01] 200 /.test(response) && body === message;
    return { echo: ok ? "matched" : "mismatched", got: response.slice(0, 200) };
  }
  await client.write(encoder.encode(message + "\n"));
  // 0-RTT text (accepted, or sent again after a rejection) comes before the line; a server that
  // hands early data to its application apart from the stream echoes just the line.
  const got = await readLine(client);
  if (got === null) return { echo: "none", got };
  return { echo: got === message || got === early + message ? "matched" : "mismatched", got };
}

// ---------------------------------------------------------------- server

async function serveOne(conn: Transport, config: ServerConfig, o: PeerOptions, io: PeerIo) {
  const adv = adversary(o, "server", config);
  const server = new TlsServer(...withAdversary(adv, conn, config));
  const extra: Partial<ConnectionSummary> = {};
  const done = watchdog(server, extra, io, adv);
  try {
    await server.handshake();
    // Early data is not echoed: like the libraries' servers, we echo only the line that follows.
    server.takeEarlyData();
    await answer(server, Boolean(o.http));
    // A misbehaving server stays a moment to hear the client out: what it objects to after the
    // handshake (a ticket split around data) it says after our answer, or not at all.
    if (adv) await server.conn.readPendingAlert(LINGER_MS);
    await server.close();
  } catch (e) {
    if (!(e instanceof TlsAlert || e instanceof PeerClosed)) extra.error = errorText(e);
  }
  done();
  await report(server, o, io, extra, adv);
}

export async function runServer(config: ServerConfig, o: PeerOptions, io: PeerIo): Promise<number> {
  adversary(o, "server", config); // a refused --misbehave stops us before we listen
  const port = o.port ?? 0;
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname: "127.0.0.1", port });
  } catch (e) {
    throw new FlagError(`--port ${port}: cannot listen on 127.0.0.1:${port}: ${errorText(e)}`);
  }
  const stop = () => {
    try {
      listener.close();
    } catch { /* already closed */ }
  };
  io.signal?.addEventListener("abort", stop, { once: true });
  io.err(`listening on 127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
  const running: Promise<void>[] = [];
  let accepted = 0;
  try {
    for await (const conn of listener) {
      running.push(serveOne(conn, config, o, io));
      if (o.count !== undefined && ++accepted >= o.count) break;
    }
  } catch (e) {
    if (!io.signal?.aborted) throw e;
  }
  await Promise.all(running);
  io.signal?.removeEventListener("abort", stop);
  stop();
  return EXIT.ok;
}

// ---------------------------------------------------------------- client

export async function runClient(config: ClientConfig, o: PeerOptions, io: PeerIo): Promise<number> {
  adversary(o, "client", config); // a refused --misbehave stops us before we connect
  if (o.port === undefined) throw new FlagError("a client needs --port");
  const port = o.port;
  if (!o.resume) return await connectOnce(config, port, o, io);
  // Two connections sharing a ticket store: the second resumes with a ticket from the first.
  const tickets = new TicketStore();
  const ticketKey = TicketStore.key(config.serverName ?? "", port);
  const first = await connectOnce({ ...config, tickets, ticketKey }, port, o, io);
  const groups = o["resume-groups"] as GroupName[] | undefined;
  const again = groups ? { groups, keyShares: groups.slice(0, 1) } : {};
  const second = await connectOnce({ ...config, ...again, tickets, ticketKey }, port, o, io);
  return Math.max(first, second);
}

async function connectOnce(
  config: ClientConfig,
  port: number,
  o: PeerOptions,
  io: PeerIo,
): Promise<number> {
  const adv = adversary(o, "client", config);
  const message = o.message ?? "hello";
  let tcp: Deno.Conn;
  try {
    tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch (e) {
    io.out(JSON.stringify({ ok: false, error: `cannot connect: ${errorText(e)}` }));
    return EXIT.failed;
  }
  const client = new TlsClient(...withAdversary(adv, tcp, config));
  const extra: Partial<ConnectionSummary> = {};
  const done = watchdog(client, extra, io, adv);
  try {
    await client.handshake();
    const early = client.summary().earlyData ? (o["early-data"] ?? "") : "";
    const { echo, got } = await exchange(client, message, early, Boolean(o.http));
    extra.echo = echo;
    if (echo !== "matched") {
      extra.error = echo === "none"
        ? "the server answered nothing"
        : `the server answered ${JSON.stringify(got)}, not ${JSON.stringify(early + message)}`;
    }
    await client.close();
  } catch (e) {
    if (!(e instanceof TlsAlert || e instanceof PeerClosed)) extra.error = errorText(e);
  }
  done();
  const summary = await report(client, o, io, extra, adv);
  const echoed = !o["expect-echo"] || summary.echo === "matched";
  return summary.ok && echoed ? EXIT.ok : EXIT.failed;
}
