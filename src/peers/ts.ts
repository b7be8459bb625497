// Our own TypeScript TLS 1.3 peer (src/tls), the reference implementation of the peer contract.
// The runner drives it in-process (src/refpeer/main.ts called as a function, through the same
// wire tap): no program start at all. It can do everything the matrix asks: the core handshake and
// the PSK family (external PSKs in both modes, imported PSKs, resumption, 0-RTT, RFC 9973
// certificates with an external PSK), and it alone can misbehave on purpose for conformance cases.

import { capabilities } from "../contract/capabilities.ts";
import type { EndpointConfig } from "../contract/config.ts";
import { formatMisbehaviour, refuseMisbehaviour } from "../adversary/compose.ts";
import { contextOf } from "../adversary/context.ts";
import type { Role } from "../tls/names.ts";
import { contractImplementation } from "./contract.ts";

/** Why the reference peer cannot play this misbehaviour in this configuration, or null. */
function refuse(role: Role, config: EndpointConfig): string | null {
  if (!config.misbehave) return null;
  const ctx = contextOf(role, { ...config, psks: config.psk ? [config.psk] : [] });
  return refuseMisbehaviour(config.misbehave, ctx);
}

export const ts = contractImplementation({
  id: "ts",
  name: "pqinterop TypeScript peer",
  placement: { kind: "in-process" },
  // Everything the matrix asks, PSK family included.
  capabilities: capabilities({}),
  program: ["pqinterop-peer"],
  // Conformance cases: the reference peer misbehaves as named (src/adversary/).
  extraArgs: (_role, config) =>
    config.misbehave ? ["--misbehave", formatMisbehaviour(config.misbehave)] : [],
  refuse,
});
