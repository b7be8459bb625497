// Key-share policy (landscape: "one share + HRR vs several shares"): what happens when the
// client's shares and the server's preference do not line up, and what a pair does by default.

import type { Case } from "../src/contract/case.ts";
import { GROUP_NAMES, HYBRID_GROUPS, PURE_MLKEM_GROUPS } from "../src/tls/names.ts";
import { DEFAULT_CERT } from "./common.ts";

const SUITE = "negotiation";

/**
 * The client shares only x25519 but also supports G; the server prefers G and asks for it by
 * HelloRetryRequest, so the second ClientHello must carry a share for G.
 */
const hrr: Case[] = [...PURE_MLKEM_GROUPS, ...HYBRID_GROUPS].map((group) => ({
  id: `${SUITE}/hrr-${group}`,
  suite: SUITE,
  title: `HelloRetryRequest from a classic share to ${group}`,
  client: { groups: ["x25519", group], keyShares: ["x25519"] },
  server: { groups: [group, "x25519"], preferHrr: true, certificate: DEFAULT_CERT },
  expect: { kind: "handshake", group, helloRetryRequest: true },
}));

export const negotiation: Case[] = [
  ...hrr,
  {
    id: `${SUITE}/several-shares`,
    suite: SUITE,
    title: "Client sends X25519MLKEM768 and x25519 shares; the PQ one is chosen without HRR",
    client: { groups: ["X25519MLKEM768", "x25519"], keyShares: ["X25519MLKEM768", "x25519"] },
    server: { groups: ["X25519MLKEM768", "x25519"], certificate: DEFAULT_CERT },
    expect: { kind: "handshake", group: "X25519MLKEM768", helloRetryRequest: false },
  },
  {
    // RFC 9846 lets the server pick among the shared groups, and servers differ: some follow
    // their own order, others the client's. Which one won is the finding (the matrix shows the
    // group per pair); either way the pair interoperated, so both groups pass.
    id: `${SUITE}/client-vs-server-preference`,
    suite: SUITE,
    title: "Client prefers x25519, server prefers X25519MLKEM768, both shared: who decides?",
    client: { groups: ["x25519", "X25519MLKEM768"], keyShares: ["x25519", "X25519MLKEM768"] },
    server: { groups: ["X25519MLKEM768", "x25519"], certificate: DEFAULT_CERT },
    expect: {
      kind: "handshake",
      groupOneOf: ["X25519MLKEM768", "x25519"],
      helloRetryRequest: false,
    },
  },
  {
    // Out of the box the pair is only asked to interoperate; which group it reaches is recorded
    // (the matrix shows it) but not judged, because a pair whose defaults are classic is a
    // policy choice of the libraries, not an interop failure.
    id: `${SUITE}/defaults`,
    suite: SUITE,
    title: "No group configuration on either side: the pair's out-of-the-box result",
    client: {},
    server: { certificate: DEFAULT_CERT },
    expect: { kind: "handshake", groupOneOf: [...GROUP_NAMES] },
  },
];
