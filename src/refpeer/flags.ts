// The reference peer's command line: the peer contract's flags (src/contract/flags.ts), which the
// reference peer is the reference implementation of, plus a few of its own that the runner sends
// it alone (misbehaviours for conformance cases, the annotated transcript, knobs no library has).

import type { FlagTable } from "../cli/flags.ts";
import { CONTRACT_FLAGS } from "../contract/flags.ts";

const BOTH = ["server", "client"] as const;
const SERVER = ["server"] as const;

/** The flags only the reference peer knows: not part of the contract. */
export const REFERENCE_ONLY_FLAGS = {
  misbehave: {
    kind: "text",
    repeat: true,
    roles: BOTH,
    help: "misbehave on purpose: NAME[:k=v,…] from src/adversary/ (repeat to compose)",
  },
  transcript: {
    kind: "file",
    roles: BOTH,
    help: "append {summary, transcript} per connection as JSON lines to this file",
  },
  "no-compat": {
    kind: "switch",
    roles: BOTH,
    help: "turn off middlebox compatibility mode (session id, dummy CCS)",
  },
  "hrr-cookie": { kind: "switch", roles: SERVER, help: "put a cookie in HelloRetryRequests" },
  "client-auth-optional": {
    kind: "switch",
    roles: SERVER,
    help: "ask for a client certificate but accept none",
  },
  "ticket-store": {
    kind: "choice",
    choices: ["stateless", "stateful"],
    roles: SERVER,
    help: "tickets sealed under a server key, or ids into a cache (default stateless)",
  },
  help: { kind: "switch", roles: BOTH, help: "show this help" },
} as const satisfies FlagTable;

export const PEER_FLAGS = { ...CONTRACT_FLAGS, ...REFERENCE_ONLY_FLAGS } as const;
