// The reference peer's side of the misbehaviours: build them for one connection from --misbehave,
// put them between the endpoint and its socket, and add to the connection's summary which of
// them ran and the bytes it sent in clear.

import {
  type AdversaryState,
  buildAdversary,
  type BuiltAdversary,
  parseMisbehaviour,
} from "../adversary/compose.ts";
import { contextOf, type PeerConfigView } from "../adversary/context.ts";
import { toHex } from "../tls/codec.ts";
import type { Transport } from "../tls/connection.ts";
import type { Role } from "../tls/names.ts";
import type { TranscriptEntry } from "../tls/summary.ts";

/** Parses and builds the --hook specs for a configured peer; null when there are none. */
export function adversaryFor(
  specs: string[],
  role: Role,
  config: PeerConfigView,
): BuiltAdversary | null {
  if (specs.length === 0) return null;
  return buildAdversary(specs.map(parseMisbehaviour), contextOf(role, config));
}

/**
 * The transport and configuration an endpoint runs with: through the adversary's pacing and with
 * its hooks when there is one, untouched otherwise.
 */
export function withAdversary<C extends object>(
  adv: BuiltAdversary | null,
  transport: Transport,
  config: C,
): [Transport, C] {
  return adv ? [adv.paced(transport), { ...config, hooks: adv.hooks }] : [transport, config];
}

/** What the misbehaving side adds to its summary: which hooks ran, and the bytes sent in clear. */
export function adversaryExtras(
  adv: BuiltAdversary | null,
  transcript: TranscriptEntry[],
): { adversary?: AdversaryState; sentHex?: string } {
  if (!adv) return {};
  // A flight replaced on the wire (non-tls-opening) is what the other side saw, not the records.
  const instead = adv.sentInstead?.length ? adv.sentInstead.map(toHex).join("") : null;
  return { adversary: adv.state, sentHex: instead ?? sentCleartextHex(transcript) };
}

/**
 * The exact bytes we sent in clear (the records before encryption: every ClientHello, or the
 * ServerHello/HelloRetryRequest), as hex: what a misbehaviour manipulates, for the cell detail.
 */
export function sentCleartextHex(transcript: TranscriptEntry[], limit = 65_536): string {
  const hex = transcript
    .filter((e) => e.direction === "sent" && e.protection === null)
    .map((e) => e.hex)
    .join("");
  return hex.length > limit ? `${hex.slice(0, limit)}…` : hex;
}
