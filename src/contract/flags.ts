// The peer contract's command line (docs/peer-contract.md): one flag table, and the one mapping
// from a case's EndpointConfig to those flags. The reference peer parses this table (plus its own
// extra flags); every contract implementation is started with what `contractArgs` builds.

import type { FlagTable } from "../cli/flags.ts";
import {
  CIPHER_SUITE_NAMES,
  GROUP_NAMES,
  type Role,
  SUPPORTED_SIGNATURE_SCHEMES,
} from "../tls/names.ts";
import { DEFAULT_CERTIFICATE, type EndpointConfig } from "./config.ts";
import type { CellContext } from "./process.ts";

const BOTH = ["server", "client"] as const;
const SERVER = ["server"] as const;
const CLIENT = ["client"] as const;

export const CONTRACT_FLAGS = {
  port: {
    kind: "int",
    max: 65535,
    roles: BOTH,
    help: "TCP port on 127.0.0.1 (server: 0 = any free port)",
  },
  cert: { kind: "file", roles: BOTH, help: "PEM certificate to present (leaf first)" },
  key: {
    kind: "file",
    roles: BOTH,
    help: "PEM private key of --cert (PKCS#8, SEC1 or PKCS#1)",
  },
  chain: { kind: "file", roles: BOTH, help: "PEM intermediates sent after the leaf" },
  ca: { kind: "file", roles: BOTH, help: "PEM trust anchors for the peer's certificate" },
  groups: {
    kind: "list",
    choices: GROUP_NAMES,
    roles: BOTH,
    help: "supported_groups in order (client) / preference order (server)",
  },
  "cipher-suites": {
    kind: "list",
    choices: CIPHER_SUITE_NAMES,
    roles: BOTH,
    help: "cipher suites in preference order",
  },
  "signature-schemes": {
    kind: "list",
    choices: SUPPORTED_SIGNATURE_SCHEMES,
    roles: BOTH,
    help: "signature schemes offered / accepted, in preference order",
  },
  "psk-identity": {
    kind: "text",
    roles: BOTH,
    help: "external PSK identity (with --psk-key)",
  },
  "psk-key": { kind: "text", roles: BOTH, help: "external PSK, hex (with --psk-identity)" },
  "psk-hash": {
    kind: "choice",
    choices: ["sha256", "sha384"],
    roles: BOTH,
    help: "the PSK's hash (default sha256)",
  },
  "psk-mode": {
    kind: "choice",
    choices: ["dhe_ke", "ke"],
    roles: BOTH,
    help: "client: the one mode offered; server: dhe_ke requires (EC)DHE, ke prefers psk_ke",
  },
  "psk-import": {
    kind: "switch",
    roles: BOTH,
    help: "use the PSK through the RFC 9258 importer (one imported PSK per hash)",
  },
  "cert-with-psk": {
    kind: "choice",
    choices: ["require", "allow"],
    optional: true,
    roles: BOTH,
    help: "RFC 9973 certificate with external PSK (server: accept it; client: require|allow)",
  },
  http: {
    kind: "switch",
    roles: BOTH,
    help: "the exchange is one HTTP/1.1 request instead of an echoed line",
  },
  "prefer-hrr": {
    kind: "switch",
    roles: SERVER,
    help: "HelloRetryRequest for our first preference when the client sent no share for it",
  },
  "client-auth": {
    kind: "switch",
    roles: SERVER,
    help: "require a client certificate (verified against --ca)",
  },
  count: {
    kind: "int",
    roles: SERVER,
    help: "exit after this many connections (default: serve until stopped)",
  },
  tickets: {
    kind: "int",
    roles: SERVER,
    help: "NewSessionTickets after each handshake (default 0)",
  },
  "max-early-data": {
    kind: "int",
    roles: SERVER,
    help: "max_early_data_size in tickets; 0-RTT accepted up to it (default 0: rejected)",
  },
  "server-name": {
    kind: "text",
    roles: CLIENT,
    help: "SNI and the name the server certificate must match (default: 127.0.0.1, no SNI)",
  },
  message: {
    kind: "text",
    roles: CLIENT,
    help: 'the line to send (default: "hello"); with --http, the request path',
  },
  "expect-echo": {
    kind: "switch",
    roles: CLIENT,
    help: "the application check is part of success: exit 1 unless the echo matched",
  },
  "key-shares": {
    kind: "list",
    choices: GROUP_NAMES,
    none: "none",
    roles: CLIENT,
    help: "groups that get a share in the first ClientHello, or 'none' (default: first group)",
  },
  resume: {
    kind: "switch",
    roles: CLIENT,
    help: "connect twice; the second connection resumes with a ticket (one JSON line each)",
  },
  "resume-groups": {
    kind: "list",
    choices: GROUP_NAMES,
    roles: CLIENT,
    help: "supported_groups of the resumed connection (default: --groups)",
  },
  "early-data": {
    kind: "text",
    roles: CLIENT,
    help: "0-RTT text on the resumed connection (sent after the handshake if rejected)",
  },
} as const satisfies FlagTable;

/** Exit codes a contract program uses (docs/peer-contract.md). */
export const EXIT = { ok: 0, failed: 1, usage: 2, cannotStart: 3, unsupported: 127 } as const;

/** max_early_data_size a server announces when a case wants 0-RTT without naming a size. */
export const DEFAULT_MAX_EARLY_DATA = 16384;

/** The line (or, over HTTP, the request path) the client sends: unique per cell. */
export const messageFor = (ctx: CellContext): string =>
  ctx.http ? `ping-${ctx.token}` : `ping ${ctx.token}`;

/** The contract flags that start one side of a cell with this configuration (without the role). */
export function contractArgs(role: Role, config: EndpointConfig, ctx: CellContext): string[] {
  return role === "server" ? serverArgs(config, ctx) : clientArgs(config, ctx);
}

function serverArgs(config: EndpointConfig, ctx: CellContext): string[] {
  // With an external PSK and no certificate asked for, the server has none (like -nocert).
  const pskOnly = config.psk && !config.certificate && !config.certWithPsk;
  const args = [
    "--port",
    String(ctx.port),
    ...(pskOnly ? [] : credentialArgs(config, ctx)),
    ...sharedArgs(config),
    ...pskArgs(config),
    // One connection, or two when the client resumes.
    "--count",
    config.resume ? "2" : "1",
  ];
  if (config.preferHrr) args.push("--prefer-hrr");
  if (config.clientAuth) args.push("--ca", ctx.pki.caCert, "--client-auth");
  const early = config.earlyData !== undefined || config.maxEarlyData !== undefined;
  if (config.resume || early) args.push("--tickets", "2");
  if (early) {
    args.push("--max-early-data", String(config.maxEarlyData ?? DEFAULT_MAX_EARLY_DATA));
  }
  if (config.certWithPsk) args.push("--cert-with-psk", config.certWithPsk);
  if (ctx.http) args.push("--http");
  return args;
}

function clientArgs(config: EndpointConfig, ctx: CellContext): string[] {
  const args = [
    "--port",
    String(ctx.port),
    "--ca",
    ctx.pki.caCert,
    "--server-name",
    ctx.serverName,
    "--message",
    messageFor(ctx),
    ...sharedArgs(config),
  ];
  if (config.keyShares) {
    args.push("--key-shares", config.keyShares.length ? config.keyShares.join(",") : "none");
  }
  if (config.clientAuth) args.push(...credentialArgs(config, ctx));
  args.push(...pskArgs(config));
  if (config.resume) args.push("--resume");
  if (config.resumeGroups) args.push("--resume-groups", config.resumeGroups.join(","));
  if (config.earlyData !== undefined) args.push("--early-data", config.earlyData);
  if (config.certWithPsk) args.push("--cert-with-psk", config.certWithPsk);
  if (ctx.http) args.push("--http");
  return args;
}

function sharedArgs(config: EndpointConfig): string[] {
  const args: string[] = [];
  if (config.groups) args.push("--groups", config.groups.join(","));
  if (config.cipherSuites) args.push("--cipher-suites", config.cipherSuites.join(","));
  if (config.signatureSchemes) {
    args.push("--signature-schemes", config.signatureSchemes.join(","));
  }
  return args;
}

/** EndpointConfig.psk as --psk-* flags (the identity is text, the key hex). */
function pskArgs(config: EndpointConfig): string[] {
  const psk = config.psk;
  if (!psk) return [];
  const args = ["--psk-identity", psk.identity, "--psk-key", psk.keyHex, "--psk-hash", psk.hash];
  args.push("--psk-mode", psk.mode === "psk_ke" ? "ke" : "dhe_ke");
  if (psk.imported) args.push("--psk-import");
  return args;
}

function credentialArgs(config: EndpointConfig, ctx: CellContext): string[] {
  const leaf = ctx.pki.leaf[config.certificate ?? DEFAULT_CERTIFICATE];
  return ["--cert", leaf.cert, "--key", leaf.key, "--chain", leaf.chain];
}
