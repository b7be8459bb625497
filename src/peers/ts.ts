// Our own TypeScript TLS 1.3 peer (src/tls), run on the host as `deno run -A src/tls/cli.ts`.
// It can do everything the matrix asks of the core handshake; the PSK family arrives with
// issue 4 and is marked "not implemented yet" until then.

import { adapterCannot, capabilities } from "./capabilities.ts";
import type {
  CellContext,
  EndpointConfig,
  Implementation,
  PeerReport,
  ProcessSpec,
  Role,
} from "./types.ts";
import type { CertKind } from "../tls/names.ts";

const CLI = new URL("../tls/cli.ts", import.meta.url).pathname;
const NOT_YET = "not implemented yet in the reference peer";

/** `deno run -A <abs>/src/tls/cli.ts` + role + flags. */
const command = (role: Role, flags: string[]): string[] => [
  Deno.execPath(),
  "run",
  "-A",
  CLI,
  role,
  ...flags,
];

function sharedFlags(config: EndpointConfig): string[] {
  const flags: string[] = [];
  if (config.groups) flags.push("--groups", config.groups.join(","));
  if (config.cipherSuites) flags.push("--cipher-suites", config.cipherSuites.join(","));
  if (config.signatureSchemes) flags.push("--signature-schemes", config.signatureSchemes.join(","));
  return flags;
}

function credentialFlags(kind: CertKind, ctx: CellContext): string[] {
  const leaf = ctx.pki.leaf[kind];
  return ["--cert", leaf.cert, "--key", leaf.key, "--chain", leaf.chain];
}

/** Parses one JSON line the CLI printed into a PeerReport (a failed parse is a failed report). */
function toReport(line: string): PeerReport {
  const j = JSON.parse(line);
  return {
    ok: Boolean(j.ok),
    version: j.version ?? null,
    group: j.group ?? null,
    cipherSuite: j.cipherSuite ?? null,
    helloRetryRequest: j.helloRetryRequest ?? null,
    resumed: j.resumed ?? null,
    pskMode: j.pskMode ?? null,
    pskIdentity: j.pskIdentity ?? null,
    earlyData: j.earlyData ?? null,
    certWithPsk: j.certWithPsk ?? null,
    alert: j.alert ?? null,
    error: j.error ?? null,
  };
}

export const ts: Implementation = {
  id: "ts",
  name: "pqinterop TypeScript peer",
  container: null,

  capabilities: capabilities({
    features: {
      externalPsk: adapterCannot(NOT_YET),
      pskKe: adapterCannot(NOT_YET),
      pskDheKe: adapterCannot(NOT_YET),
      pskSha384: adapterCannot(NOT_YET),
      importedPsk: adapterCannot(NOT_YET),
      resumption: adapterCannot(NOT_YET),
      earlyData: adapterCannot(NOT_YET),
      certWithPsk: adapterCannot(NOT_YET),
    },
  }),

  server(config: EndpointConfig, ctx: CellContext): ProcessSpec {
    const flags = [
      "--port",
      String(ctx.port),
      ...credentialFlags(config.certificate ?? "ecdsa-p256", ctx),
      ...sharedFlags(config),
    ];
    if (config.preferHrr) flags.push("--prefer-hrr");
    if (config.clientAuth) flags.push("--ca", ctx.pki.caCert, "--client-auth");
    return { argv: command("server", flags), ready: /listening on/ };
  },

  client(config: EndpointConfig, ctx: CellContext): ProcessSpec {
    const flags = [
      "--port",
      String(ctx.port),
      "--ca",
      ctx.pki.caCert,
      "--server-name",
      ctx.serverName,
      "--message",
      `ping ${ctx.token}`,
      ...sharedFlags(config),
    ];
    if (config.keyShares) {
      flags.push("--key-shares", config.keyShares.length ? config.keyShares.join(",") : "none");
    }
    if (config.clientAuth) flags.push(...credentialFlags(config.certificate ?? "ecdsa-p256", ctx));
    return { argv: command("client", flags) };
  },

  parse(role: Role, output: { stdout: string; stderr: string; code: number | null }): PeerReport {
    const lines = output.stdout.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("{"));
    const reports: PeerReport[] = [];
    for (const line of lines) {
      try {
        reports.push(toReport(line));
      } catch {
        // not one of our lines
      }
    }
    if (reports.length === 0) {
      const why = output.stderr.trim().split("\n").at(-1) ?? "";
      return {
        ok: false,
        version: null,
        group: null,
        cipherSuite: null,
        helloRetryRequest: null,
        resumed: null,
        pskMode: null,
        pskIdentity: null,
        earlyData: null,
        certWithPsk: null,
        alert: null,
        error: `${role} printed no summary (exit ${output.code})${why ? `: ${why}` : ""}`,
      };
    }
    const [first, ...next] = reports;
    return next.length ? { ...first, next } : first;
  },
};
