// Our own TypeScript TLS 1.3 peer (src/tls), run on the host as `deno run -A src/tls/cli.ts`.
// It can do everything the matrix asks: the core handshake and the PSK family (external PSKs in
// both modes, imported PSKs, resumption, 0-RTT, RFC 9973 certificates with an external PSK).
// With `resume` the client connects twice and prints one JSON line per connection; parse() gives
// the first connection's report with the resumed one in `next`.

import { capabilities } from "./capabilities.ts";
import {
  type CellContext,
  chained,
  type EndpointConfig,
  failedReport,
  type Implementation,
  type PeerReport,
  type ProcessSpec,
  type Role,
} from "./types.ts";
import type { CertKind } from "../tls/names.ts";
import { contextOf, formatHookSpec, refuseHook } from "../tls/adversary.ts";

const CLI = new URL("../tls/cli.ts", import.meta.url).pathname;

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
  // Conformance cases: the reference peer misbehaves as named (src/tls/adversary.ts).
  if (config.hook) flags.push("--hook", formatHookSpec(config.hook));
  return flags;
}

/** Why the reference peer cannot play this misbehaviour in this configuration, or null. */
function refuseMisbehaviour(role: Role, config: EndpointConfig): string | null {
  if (!config.hook) return null;
  const ctx = contextOf(role, { ...config, psks: config.psk ? [config.psk] : [] });
  return refuseHook({ name: config.hook.name, params: config.hook.params ?? {} }, ctx);
}

/**
 * What only the reference peer says, kept next to the PeerReport for conformance verdicts: which
 * way the alert went, the bytes it sent in clear, and whether its misbehaviour happened.
 */
export interface TsReportExtras {
  alertDirection?: "sent" | "received" | null;
  sentHex?: string;
  adversary?: { hooks: string[]; applied: string[] };
  flights?: { direction: "sent" | "received"; messages: string[] }[];
}

/** EndpointConfig.psk as --psk-* flags (the identity is text, the key hex). */
function pskFlags(config: EndpointConfig): string[] {
  const psk = config.psk;
  if (!psk) return [];
  const flags = ["--psk-identity", psk.identity, "--psk-key", psk.keyHex, "--psk-hash", psk.hash];
  flags.push("--psk-mode", psk.mode === "psk_ke" ? "ke" : "dhe_ke");
  if (psk.imported) flags.push("--psk-import");
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
    ...extrasOf(j),
  };
}

function extrasOf(j: Record<string, unknown>): TsReportExtras {
  const out: TsReportExtras = {};
  if (j.alertDirection !== undefined) out.alertDirection = j.alertDirection as "sent" | null;
  if (typeof j.sentHex === "string") out.sentHex = j.sentHex;
  if (j.adversary) out.adversary = j.adversary as TsReportExtras["adversary"];
  if (Array.isArray(j.flights)) {
    out.flights = (j.flights as { direction: "sent" | "received"; messages: string[] }[])
      .map((f) => ({ direction: f.direction, messages: f.messages }));
  }
  return out;
}

export const ts: Implementation = {
  id: "ts",
  name: "pqinterop TypeScript peer",
  container: null,

  // Everything the matrix asks, PSK family included (issue 4).
  capabilities: capabilities({}),

  refuse: refuseMisbehaviour,

  server(config: EndpointConfig, ctx: CellContext): ProcessSpec {
    // With an external PSK and no certificate asked for, the server has none (like -nocert).
    const pskOnly = config.psk && !config.certificate && !config.certWithPsk;
    const flags = [
      "--port",
      String(ctx.port),
      ...(pskOnly ? [] : credentialFlags(config.certificate ?? "ecdsa-p256", ctx)),
      ...sharedFlags(config),
      ...pskFlags(config),
      // One connection, or two when the client resumes.
      "--count",
      config.resume ? "2" : "1",
    ];
    if (config.preferHrr) flags.push("--prefer-hrr");
    if (config.clientAuth) flags.push("--ca", ctx.pki.caCert, "--client-auth");
    const early = config.earlyData !== undefined || config.maxEarlyData !== undefined;
    if (config.resume || early) flags.push("--tickets", "2");
    if (early) flags.push("--max-early-data", String(config.maxEarlyData ?? 16384));
    if (config.certWithPsk) flags.push("--cert-with-psk");
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
    flags.push(...pskFlags(config));
    if (config.resume) flags.push("--resume");
    if (config.resumeGroups) flags.push("--resume-groups", config.resumeGroups.join(","));
    if (config.earlyData !== undefined) flags.push("--early-data", config.earlyData);
    if (config.certWithPsk) flags.push("--cert-with-psk", config.certWithPsk);
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
      return failedReport(
        `${role} printed no summary (exit ${output.code})${why ? `: ${why}` : ""}`,
      );
    }
    return chained(reports);
  },
};
