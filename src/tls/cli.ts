// The reference peer on the command line (`deno task peer server|client …`). Flags are one table
// (FLAGS) so new ones slot in as rows; each connection prints one JSON line on stdout, the
// ConnectionSummary. A usage mistake is one line on stderr and exit code 2, never a stack trace.
//
//   server: listens on 127.0.0.1:PORT, says "listening on 127.0.0.1:PORT" on stderr when ready,
//           echoes back the one line each client sends, until stopped or --count connections.
//   client: connects to 127.0.0.1:PORT, sends one line, reads the echo; exit 0 only on success.
//           With --resume it connects twice (the second resumes with a ticket from the first);
//           with --early-data the text goes first, as 0-RTT when a ticket allows it. The echo
//           is the line alone (servers hand 0-RTT data to the application apart), or, from a
//           server that keeps it in the stream, the early text followed by the line.

import { adversaryExtras, adversaryFor, type BuiltAdversary, withAdversary } from "./adversary.ts";
import { TlsAlert } from "./alert.ts";
import { TlsClient } from "./client.ts";
import type { ClientConfig, Credential, ServerConfig } from "./config.ts";
import { PeerClosed, type Transport } from "./connection.ts";
import type { TlsEndpoint } from "./endpoint.ts";
import {
  CIPHER_SUITE_NAMES,
  type CipherSuiteName,
  GROUP_NAMES,
  type GroupName,
  type SignatureSchemeName,
  SUPPORTED_SIGNATURE_SCHEMES,
} from "./names.ts";
import { TlsServer } from "./server.ts";
import { importPrivateKeyPem } from "./signatures.ts";
import type { ConnectionSummary } from "./summary.ts";
import { pemBlocks } from "./x509.ts";
import { checkExternalPsk, type ExternalPskConfig, type PskHashName } from "./psk.ts";
import { TicketIssuer, TicketStore, type TicketStoreKind } from "./tickets.ts";
import { fromHex } from "./codec.ts";

type Role = "server" | "client";
type Kind = "int" | "string" | "file" | "list" | "flag" | "choice";

interface Flag {
  name: string;
  kind: Kind;
  roles: Role[];
  help: string;
  /** For lists: the names allowed. */
  choices?: readonly string[];
  /** For lists: an extra word accepted alone (e.g. "none"). */
  alone?: string;
  /** May be given several times; the values are kept in order. */
  repeat?: boolean;
  /** For "choice": the value may be left out (then it is the first choice). */
  optional?: boolean;
}

const FLAGS: Flag[] = [
  {
    name: "port",
    kind: "int",
    roles: ["server", "client"],
    help: "TCP port on 127.0.0.1 (server: 0 = any free port)",
  },
  {
    name: "cert",
    kind: "file",
    roles: ["server", "client"],
    help: "PEM certificate to present (leaf first)",
  },
  {
    name: "key",
    kind: "file",
    roles: ["server", "client"],
    help: "PEM PKCS#8 private key of --cert",
  },
  {
    name: "chain",
    kind: "file",
    roles: ["server", "client"],
    help: "PEM intermediates sent after the leaf",
  },
  {
    name: "ca",
    kind: "file",
    roles: ["server", "client"],
    help: "PEM trust anchors for the peer's certificate",
  },
  {
    name: "groups",
    kind: "list",
    roles: ["server", "client"],
    choices: GROUP_NAMES,
    help: "supported_groups in order (client) / preference order (server)",
  },
  {
    name: "key-shares",
    kind: "list",
    roles: ["client"],
    choices: GROUP_NAMES,
    alone: "none",
    help: "groups that get a share in the first ClientHello, or 'none' (default: first group)",
  },
  {
    name: "cipher-suites",
    kind: "list",
    roles: ["server", "client"],
    choices: CIPHER_SUITE_NAMES,
    help: "cipher suites in preference order",
  },
  {
    name: "signature-schemes",
    kind: "list",
    roles: ["server", "client"],
    choices: SUPPORTED_SIGNATURE_SCHEMES,
    help: "signature schemes offered / accepted, in preference order",
  },
  {
    name: "prefer-hrr",
    kind: "flag",
    roles: ["server"],
    help: "HelloRetryRequest for our first preference when the client sent no share for it",
  },
  {
    name: "hrr-cookie",
    kind: "flag",
    roles: ["server"],
    help: "put a cookie in HelloRetryRequests",
  },
  {
    name: "client-auth",
    kind: "flag",
    roles: ["server"],
    help: "require a client certificate (verified against --ca)",
  },
  {
    name: "client-auth-optional",
    kind: "flag",
    roles: ["server"],
    help: "ask for a client certificate but accept none",
  },
  {
    name: "count",
    kind: "int",
    roles: ["server"],
    help: "exit after this many connections (default: serve until stopped)",
  },
  {
    name: "server-name",
    kind: "string",
    roles: ["client"],
    help: "SNI and the name the server certificate must match (default: 127.0.0.1, no SNI)",
  },
  {
    name: "message",
    kind: "string",
    roles: ["client"],
    help: 'the line to send (default: "hello")',
  },
  {
    name: "no-compat",
    kind: "flag",
    roles: ["server", "client"],
    help: "turn off middlebox compatibility mode (session id, dummy CCS)",
  },
  {
    name: "transcript",
    kind: "string",
    roles: ["server", "client"],
    help: "append {summary, transcript} per connection as JSON lines to this file",
  },
  {
    name: "hook",
    kind: "string",
    roles: ["server", "client"],
    repeat: true,
    help: "misbehave on purpose: NAME[:k=v,…] from src/tls/adversary.ts (repeat to compose)",
  },
  {
    name: "psk-identity",
    kind: "string",
    roles: ["server", "client"],
    help: "external PSK identity (with --psk-key)",
  },
  {
    name: "psk-key",
    kind: "string",
    roles: ["server", "client"],
    help: "external PSK, hex (with --psk-identity)",
  },
  {
    name: "psk-hash",
    kind: "choice",
    roles: ["server", "client"],
    choices: ["sha256", "sha384"],
    help: "the PSK's hash (default sha256)",
  },
  {
    name: "psk-mode",
    kind: "choice",
    roles: ["server", "client"],
    choices: ["dhe_ke", "ke"],
    help: "client: the one mode offered; server: dhe_ke requires (EC)DHE, ke prefers psk_ke",
  },
  {
    name: "psk-import",
    kind: "flag",
    roles: ["server", "client"],
    help: "use the PSK through the RFC 9258 importer (one imported PSK per hash)",
  },
  {
    name: "cert-with-psk",
    kind: "choice",
    roles: ["server", "client"],
    choices: ["require", "allow"],
    optional: true,
    help: "RFC 9973 certificate with external PSK (server: accept it; client: require|allow)",
  },
  {
    name: "tickets",
    kind: "int",
    roles: ["server"],
    help: "NewSessionTickets after each handshake (default 0)",
  },
  {
    name: "ticket-store",
    kind: "choice",
    roles: ["server"],
    choices: ["stateless", "stateful"],
    help: "tickets sealed under a server key, or ids into a cache (default stateless)",
  },
  {
    name: "max-early-data",
    kind: "int",
    roles: ["server"],
    help: "max_early_data_size in tickets; 0-RTT accepted up to it (default 0: rejected)",
  },
  {
    name: "resume",
    kind: "flag",
    roles: ["client"],
    help: "connect twice; the second connection resumes with a ticket (one JSON line each)",
  },
  {
    name: "resume-groups",
    kind: "list",
    roles: ["client"],
    choices: GROUP_NAMES,
    help: "supported_groups of the resumed connection (default: --groups)",
  },
  {
    name: "early-data",
    kind: "string",
    roles: ["client"],
    help: "0-RTT text on the resumed connection (sent after the handshake if rejected)",
  },
  { name: "help", kind: "flag", roles: ["server", "client"], help: "show this help" },
];

class UsageError extends Error {}

type Options = Map<string, string | number | boolean | string[]>;

function usage(): string {
  const lines = [
    "usage: deno task peer server --port N --cert F --key F [flags]",
    "       deno task peer client --port N --ca F [flags]",
    "",
  ];
  for (const role of ["server", "client"] as const) {
    lines.push(`${role} flags:`);
    for (const f of FLAGS.filter((f) => f.roles.includes(role))) {
      const arg = f.kind === "flag"
        ? ""
        : f.kind === "list"
        ? " a,b,…"
        : f.kind === "int"
        ? " N"
        : f.kind === "file"
        ? " FILE"
        : f.kind === "choice"
        ? f.optional ? ` [${f.choices!.join("|")}]` : ` ${f.choices!.join("|")}`
        : " TEXT";
      lines.push(`  --${f.name}${arg}`.padEnd(34) + f.help);
      if (f.choices && f.kind === "list") {
        lines.push(" ".repeat(34) + `(${f.choices.join(", ")})`);
      }
    }
    lines.push("");
  }
  return lines.join("\n");
}

export function parseArgs(argv: string[]): { role: Role; opts: Options } {
  const [role, ...rest] = argv;
  if (role === "--help" || role === "-h" || role === undefined) {
    return { role: "client", opts: new Map([["help", true]]) };
  }
  if (role !== "server" && role !== "client") {
    throw new UsageError(`first argument must be "server" or "client", got "${role}"`);
  }
  const opts: Options = new Map();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const flag = FLAGS.find((f) => `--${f.name}` === arg);
    if (!flag || !flag.roles.includes(role)) {
      throw new UsageError(`unknown ${role} flag "${arg}" (see --help)`);
    }
    if (flag.kind === "flag") {
      opts.set(flag.name, true);
      continue;
    }
    if (flag.optional && !flag.choices!.includes(rest[i + 1])) {
      opts.set(flag.name, flag.choices![0]);
      continue;
    }
    const value = rest[++i];
    if (value === undefined) throw new UsageError(`--${flag.name} needs a value`);
    if (flag.kind === "int") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        throw new UsageError(`--${flag.name} must be a number 0..65535, got "${value}"`);
      }
      opts.set(flag.name, n);
    } else if (flag.kind === "list") {
      if (flag.alone && value === flag.alone) {
        opts.set(flag.name, []);
        continue;
      }
      const items = value.split(",").filter((s) => s.length > 0);
      for (const item of items) {
        if (!flag.choices!.includes(item)) {
          throw new UsageError(
            `unknown name "${item}" in --${flag.name} (known: ${flag.choices!.join(", ")})`,
          );
        }
      }
      opts.set(flag.name, items);
    } else if (flag.kind === "choice") {
      if (!flag.choices!.includes(value)) {
        throw new UsageError(
          `--${flag.name} must be ${flag.choices!.join(" or ")}, got "${value}"`,
        );
      }
      opts.set(flag.name, value);
    } else if (flag.repeat) {
      opts.set(flag.name, [...(opts.get(flag.name) as string[] | undefined ?? []), value]);
    } else {
      opts.set(flag.name, value);
    }
  }
  return { role, opts };
}

async function readFile(opts: Options, name: string): Promise<string | null> {
  const path = opts.get(name) as string | undefined;
  if (path === undefined) return null;
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new UsageError(`cannot read --${name} ${path}: ${(e as Error).message}`);
  }
}

function pemCertificates(text: string, flag: string): Uint8Array[] {
  let blocks: Uint8Array[];
  try {
    blocks = pemBlocks(text, "CERTIFICATE");
  } catch (e) {
    throw new UsageError(`--${flag}: ${(e as Error).message}`);
  }
  if (blocks.length === 0) throw new UsageError(`--${flag} holds no CERTIFICATE block`);
  return blocks;
}

async function loadCredential(opts: Options): Promise<Credential | undefined> {
  const cert = await readFile(opts, "cert");
  const key = await readFile(opts, "key");
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new UsageError("--cert and --key go together");
  const chain = pemCertificates(cert, "cert");
  const extra = await readFile(opts, "chain");
  if (extra) {
    const leafHex = chain[0].join(",");
    chain.push(...pemCertificates(extra, "chain").filter((c) => c.join(",") !== leafHex));
  }
  try {
    return { chain, key: await importPrivateKeyPem(key) };
  } catch (e) {
    throw new UsageError(`--key: ${(e as Error).message}`);
  }
}

async function commonConfig(opts: Options) {
  const ca = await readFile(opts, "ca");
  return {
    cipherSuites: opts.get("cipher-suites") as CipherSuiteName[] | undefined,
    signatureSchemes: opts.get("signature-schemes") as SignatureSchemeName[] | undefined,
    trustAnchors: ca ? pemCertificates(ca, "ca") : [],
    compatibilityMode: !opts.get("no-compat"),
    groups: opts.get("groups") as GroupName[] | undefined,
  };
}

/** --psk-identity/--psk-key/--psk-hash/--psk-import, checked before any connection. */
function externalPsk(opts: Options): ExternalPskConfig | null {
  const identity = opts.get("psk-identity") as string | undefined;
  const key = opts.get("psk-key") as string | undefined;
  if (identity === undefined && key === undefined) {
    for (const f of ["psk-hash", "psk-mode", "psk-import", "cert-with-psk"]) {
      if (opts.has(f)) throw new UsageError(`--${f} needs --psk-identity and --psk-key`);
    }
    return null;
  }
  if (identity === undefined || key === undefined) {
    throw new UsageError("--psk-identity and --psk-key go together");
  }
  const hash = (opts.get("psk-hash") as string | undefined) ?? "sha256";
  try {
    checkExternalPsk(identity, key, hash);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return {
    identity: encoder.encode(identity),
    key: fromHex(key),
    hash: hash as PskHashName,
    imported: Boolean(opts.get("psk-import")),
  };
}

export async function serverConfig(opts: Options): Promise<ServerConfig> {
  const certificate = await loadCredential(opts);
  const psk = externalPsk(opts);
  if (!certificate && !psk) throw new UsageError("server needs --cert and --key, or a PSK");
  if (opts.get("cert-with-psk") && !certificate) {
    throw new UsageError("--cert-with-psk needs --cert and --key");
  }
  const mode = opts.get("psk-mode") as string | undefined;
  const tickets = (opts.get("tickets") as number | undefined) ?? 0;
  const auth = opts.get("client-auth")
    ? "require"
    : opts.get("client-auth-optional")
    ? "request"
    : "none";
  const common = await commonConfig(opts);
  if (auth !== "none" && common.trustAnchors.length === 0) {
    throw new UsageError("--client-auth needs --ca to verify client certificates");
  }
  const maxEarlyData = (opts.get("max-early-data") as number | undefined) ?? 0;
  return {
    ...common,
    certificate,
    preferHrr: Boolean(opts.get("prefer-hrr")),
    hrrCookie: Boolean(opts.get("hrr-cookie")),
    clientAuth: auth,
    psks: psk ? [psk] : undefined,
    pskModes: mode === "dhe_ke"
      ? ["psk_dhe_ke"]
      : mode === "ke"
      ? ["psk_ke", "psk_dhe_ke"]
      : undefined,
    certWithPsk: Boolean(opts.get("cert-with-psk")),
    // One ticket authority for every connection: tickets from one redeem on the next.
    tickets: tickets > 0 || maxEarlyData > 0
      ? new TicketIssuer({ store: opts.get("ticket-store") as TicketStoreKind | undefined })
      : undefined,
    ticketCount: tickets,
    maxEarlyData,
  };
}

export async function clientConfig(opts: Options): Promise<ClientConfig> {
  const groups = opts.get("groups") as GroupName[] | undefined;
  const shares = opts.get("key-shares") as GroupName[] | undefined;
  const missing = shares?.find((g) => groups && !groups.includes(g));
  if (missing) throw new UsageError(`--key-shares ${missing} is not in --groups`);
  const common = await commonConfig(opts);
  if (common.trustAnchors.length === 0) throw new UsageError("client needs --ca");
  const resumeGroups = opts.get("resume-groups") as GroupName[] | undefined;
  if (resumeGroups && !opts.get("resume")) throw new UsageError("--resume-groups needs --resume");
  const psk = externalPsk(opts);
  const mode = opts.get("psk-mode") as string | undefined;
  const early = opts.get("early-data") as string | undefined;
  return {
    ...common,
    serverName: (opts.get("server-name") as string | undefined) ?? "127.0.0.1",
    keyShares: shares ?? groups?.slice(0, 1),
    certificate: await loadCredential(opts),
    psks: psk ? [psk] : undefined,
    pskModes: mode === "ke" ? ["psk_ke"] : mode === "dhe_ke" ? ["psk_dhe_ke"] : undefined,
    certWithPsk: opts.get("cert-with-psk") as "require" | "allow" | undefined,
    earlyData: early === undefined ? undefined : encoder.encode(early),
  };
}

// ---------------------------------------------------------------- running

const encoder = new TextEncoder();

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

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * --hook: the misbehaviours for one connection (fresh state each), or null. The summary then
 * also says which ran and changed something (`adversary`) and the bytes sent in clear (`sentHex`).
 */
function adversary(opts: Options, role: Role, config: ClientConfig | ServerConfig) {
  try {
    return adversaryFor((opts.get("hook") as string[] | undefined) ?? [], role, config);
  } catch (e) {
    throw new UsageError(`--hook: ${errorText(e)}`);
  }
}

async function report(
  endpoint: TlsEndpoint,
  opts: Options,
  extra: Partial<ConnectionSummary>,
  adv: BuiltAdversary | null = null,
) {
  const summary = {
    ...endpoint.summary(),
    ...extra,
    ...adversaryExtras(adv, endpoint.transcript),
  };
  console.log(JSON.stringify(summary));
  const path = opts.get("transcript") as string | undefined;
  if (path) {
    const line = JSON.stringify({ summary, transcript: endpoint.transcript }) + "\n";
    await Deno.writeTextFile(path, line, { append: true });
  }
  return summary;
}

/** A peer that stops talking must not hold a connection (or --count) forever. */
const CONNECTION_TIMEOUT_MS = 30_000;

function watchdog(endpoint: TlsEndpoint, extra: Partial<ConnectionSummary>): () => void {
  const timer = setTimeout(() => {
    extra.error = `no progress for ${CONNECTION_TIMEOUT_MS / 1000} s; connection closed`;
    endpoint.conn.abort();
  }, CONNECTION_TIMEOUT_MS);
  return () => clearTimeout(timer);
}

async function serveOne(conn: Transport, config: ServerConfig, opts: Options): Promise<void> {
  const adv = adversary(opts, "server", config);
  const server = new TlsServer(...withAdversary(adv, conn, config));
  const extra: Partial<ConnectionSummary> = {};
  const done = watchdog(server, extra);
  try {
    await server.handshake();
    // Early data is not echoed: like the libraries' servers, we echo only the line that follows.
    server.takeEarlyData();
    const line = await readLine(server);
    if (line !== null) await server.write(encoder.encode(line + "\n"));
    await server.close();
  } catch (e) {
    if (!(e instanceof TlsAlert || e instanceof PeerClosed)) extra.error = errorText(e);
  }
  done();
  await report(server, opts, extra, adv);
}

async function runServer(opts: Options): Promise<number> {
  const config = await serverConfig(opts);
  adversary(opts, "server", config); // a refused --hook stops us before we listen
  const port = (opts.get("port") as number | undefined) ?? 0;
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname: "127.0.0.1", port });
  } catch (e) {
    throw new UsageError(`cannot listen on 127.0.0.1:${port}: ${errorText(e)}`);
  }
  const addr = listener.addr as Deno.NetAddr;
  console.error(`listening on 127.0.0.1:${addr.port}`);
  const count = opts.get("count") as number | undefined;
  const running: Promise<void>[] = [];
  let accepted = 0;
  for await (const conn of listener) {
    running.push(serveOne(conn, config, opts));
    if (count !== undefined && ++accepted >= count) break;
  }
  await Promise.all(running);
  try {
    listener.close();
  } catch {
    // already closed
  }
  return 0;
}

async function runClient(opts: Options): Promise<number> {
  const config = await clientConfig(opts);
  adversary(opts, "client", config); // a refused --hook stops us before we connect
  const port = opts.get("port") as number | undefined;
  if (port === undefined) throw new UsageError("client needs --port");
  if (!opts.get("resume")) return await connectOnce(config, port, opts);
  // Two connections sharing a ticket store: the second resumes with a ticket from the first.
  const tickets = new TicketStore();
  const ticketKey = TicketStore.key(config.serverName ?? "", port);
  const first = await connectOnce({ ...config, tickets, ticketKey }, port, opts);
  const groups = opts.get("resume-groups") as GroupName[] | undefined;
  const again = groups ? { groups, keyShares: groups.slice(0, 1) } : {};
  const second = await connectOnce({ ...config, ...again, tickets, ticketKey }, port, opts);
  return Math.max(first, second);
}

async function connectOnce(config: ClientConfig, port: number, opts: Options): Promise<number> {
  const adv = adversary(opts, "client", config);
  const message = (opts.get("message") as string | undefined) ?? "hello";
  let tcp: Deno.Conn;
  try {
    tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: `cannot connect: ${errorText(e)}` }));
    return 1;
  }
  const client = new TlsClient(...withAdversary(adv, tcp, config));
  const extra: Partial<ConnectionSummary> = {};
  const done = watchdog(client, extra);
  try {
    await client.handshake();
    await client.write(encoder.encode(message + "\n"));
    // 0-RTT text (accepted, or sent again after a rejection) comes before the line; a server
    // that hands early data to its application apart from the stream echoes just the line.
    const early = client.summary().earlyData ? (opts.get("early-data") as string) : "";
    const echo = await readLine(client);
    if (echo !== message && echo !== early + message) {
      extra.ok = false;
      extra.error = `server echoed ${JSON.stringify(echo)}, expected ${
        JSON.stringify(early + message)
      }`;
    }
    await client.close();
  } catch (e) {
    if (!(e instanceof TlsAlert || e instanceof PeerClosed)) extra.error = errorText(e);
  }
  done();
  const summary = await report(client, opts, extra, adv);
  return summary.ok ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { role, opts } = parseArgs(argv);
    if (opts.get("help")) {
      console.log(usage());
      return 0;
    }
    return role === "server" ? await runServer(opts) : await runClient(opts);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`peer: ${e.message}`);
      return 2;
    }
    console.error(`peer: ${errorText(e)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
