// rustls 0.23 with the aws-lc-rs provider, through pqi-rustls: our small client/server program on
// it (containers/rustls; rustls has no command-line tool of its own). The program prints one JSON
// line per connection with exactly the PeerReport fields, so parsing is reading those lines.
//
// What rustls itself decides, and this adapter therefore refuses or declares missing:
// - Key shares: the client shares its first group only, plus that group's classical component
//   when the first group is a hybrid (X25519MLKEM768 → x25519, SecP256r1MLKEM768 → secp256r1)
//   and the component is also in its list (rustls client/hs.rs). A resuming client shares the
//   group the server chose last time instead.
// - Server choice: the first group in the client's list that the server supports, asking by
//   HelloRetryRequest when the client sent no share for it (rustls server/hs.rs). A server has
//   no preference order of its own, so it cannot pull a client away from an offered share.
// - No external PSKs at all (rustls issue 174): resumption tickets, always psk_dhe_ke.

import type { GroupName } from "../tls/names.ts";
import { capabilities, lacks } from "../contract/capabilities.ts";
import type { CellContext, ProcessSpec } from "../contract/process.ts";
import { readPeerReport } from "../contract/report.ts";
import type { EndpointConfig } from "../contract/config.ts";
import type { Implementation } from "./implementation.ts";
import type { Role } from "../tls/names.ts";

const PROGRAM = "/usr/local/bin/pqi-rustls";
/** Certificate the server presents when the case does not say. */
const DEFAULT_CERT = "ecdsa-p256";
/** The aws-lc-rs provider's default groups with prefer-post-quantum (DEFAULT_KX_GROUPS). */
const DEFAULT_GROUPS: GroupName[] = ["X25519MLKEM768", "x25519", "secp256r1", "secp384r1"];
/** max_early_data_size a server announces when a case wants 0-RTT without naming a size. */
const DEFAULT_MAX_EARLY_DATA = 16384;

const NO_EXTERNAL_PSK = "rustls has no external PSKs (rustls issue 174); it resumes with " +
  "tickets only";
const NOT_IMPLEMENTED = (group: string) =>
  lacks(`rustls 0.23 does not implement ${group} (its NamedGroup is only an enum value)`);

const HYBRID_COMPONENT: Partial<Record<GroupName, GroupName>> = {
  X25519MLKEM768: "x25519",
  SecP256r1MLKEM768: "secp256r1",
};

/** The key shares a rustls client puts in its first ClientHello for this group list. */
export function keySharesFor(groups: GroupName[] = DEFAULT_GROUPS): GroupName[] {
  const [first] = groups;
  const component = HYBRID_COMPONENT[first];
  return component && groups.includes(component) ? [first, component] : [first];
}

function refuse(role: Role, config: EndpointConfig): string | null {
  if (config.signatureSchemes) {
    return "pqi-rustls offers and accepts the provider's signature schemes; it has no option " +
      "to narrow them";
  }
  if (role === "server") return null;
  if (config.keyShares) {
    const shares = keySharesFor(config.groups);
    if (config.keyShares.join() !== shares.join()) {
      return `rustls shares its first group (and a hybrid's classical component): with these ` +
        `groups it sends [${shares.join(", ")}], not [${config.keyShares.join(", ")}]`;
    }
  }
  if (config.resumeGroups && config.resumeGroups.join() !== (config.groups ?? []).join()) {
    return "pqi-rustls resumes with the configuration of the first connection";
  }
  if (config.earlyData !== undefined && !config.resume) {
    return "0-RTT rides on a resumed connection (rustls has no external PSK)";
  }
  return null;
}

function server(config: EndpointConfig, ctx: CellContext): ProcessSpec {
  const leaf = ctx.pki.leaf[config.certificate ?? DEFAULT_CERT];
  const argv = [PROGRAM, "server", "--port", String(ctx.port), "--cert", leaf.cert];
  argv.push("--key", leaf.key, ...common(config));
  if (config.clientAuth) argv.push("--ca", ctx.pki.caCert, "--client-auth");
  // One JSON line per connection; with resumption the client makes two.
  argv.push("--count", config.resume ? "2" : "1");
  const maxEarlyData = config.maxEarlyData ??
    (config.earlyData !== undefined ? DEFAULT_MAX_EARLY_DATA : 0);
  if (maxEarlyData > 0) argv.push("--max-early-data", String(maxEarlyData));
  return { argv, ready: /listening on 127\.0\.0\.1:\d+/ };
}

function client(config: EndpointConfig, ctx: CellContext): ProcessSpec {
  const argv = [PROGRAM, "client", "--port", String(ctx.port), "--ca", ctx.pki.caCert];
  // The project's application exchange: the client sends `ping <token>`, the server echoes it.
  argv.push("--server-name", ctx.serverName, "--message", `ping ${ctx.token}`, ...common(config));
  if (config.clientAuth) {
    const leaf = ctx.pki.leaf[config.certificate ?? DEFAULT_CERT];
    argv.push("--cert", leaf.cert, "--key", leaf.key);
  }
  if (config.resume) argv.push("--resume");
  if (config.earlyData !== undefined) argv.push("--early-data", config.earlyData || ctx.token);
  return { argv };
}

function common(config: EndpointConfig): string[] {
  const argv: string[] = [];
  if (config.groups) argv.push("--groups", config.groups.join(","));
  if (config.cipherSuites) argv.push("--cipher-suites", config.cipherSuites.join(","));
  return argv;
}

export const rustls: Implementation = {
  id: "rustls",
  name: "rustls",
  placement: { kind: "image", context: "rustls" },
  inDefaultRun: true,
  // Every group, suite and certificate kind not listed below was measured working (rustls_test.ts);
  // ML-DSA certificates work in both roles through aws-lc-rs' unstable ML-DSA.
  capabilities: capabilities({
    groups: {
      MLKEM512: NOT_IMPLEMENTED("MLKEM512"),
      SecP384r1MLKEM1024: NOT_IMPLEMENTED("SecP384r1MLKEM1024"),
    },
    features: {
      serverPreferenceHrr: lacks(
        "a rustls server takes the first group of the client's list that it supports; it has " +
          "no preference of its own to enforce by HelloRetryRequest",
      ),
      externalPsk: lacks(NO_EXTERNAL_PSK),
      pskKe: lacks(NO_EXTERNAL_PSK),
      pskDheKe: lacks(NO_EXTERNAL_PSK),
      pskSha384: lacks(NO_EXTERNAL_PSK),
      importedPsk: lacks("rustls has no external PSKs, imported (RFC 9258) or raw"),
      certWithPsk: lacks("rustls does not implement RFC 9973 tls_cert_with_extern_psk"),
      // keyShareSelection is supported as far as rustls goes: refuse() lets through exactly the
      // shares it really sends (keySharesFor), so a case asking for those still runs.
    },
  }),
  refuse,
  server,
  client,
  parse: readPeerReport,
};
