// Conformance: the reference peer misbehaves on purpose (src/adversary/) and the library on
// the other side must answer with the alert the source names, or carry on where tolerance is
// required. Each case fixes the reference peer on the adversary's side (`only`), names the role
// under test, and cites the sentence its expectation enforces. The verdict (src/judge/conformance.ts)
// tells a correct alert from a wrong one, a silent close, an unreadable alert and a peer that
// carried on.

import type { Case, Expectation, VerdictHints } from "../src/contract/case.ts";
import type { EndpointConfig } from "../src/contract/config.ts";
import type { Role } from "../src/tls/names.ts";
import {
  type AlertName,
  type GroupName,
  HYBRID_GROUPS,
  PURE_MLKEM_GROUPS,
} from "../src/tls/names.ts";
import { DEFAULT_CERT, examplePsk } from "./common.ts";

const SUITE = "conformance";

type Params = Record<string, string | number | boolean>;

interface Spec {
  misbehaviour: string;
  params?: Params;
  /** The variant in the case id: usually the group. */
  variant: string;
  title: string;
  roleUnderTest: Role;
  /** The reference peer's side (the adversary), before it misbehaves. */
  adversary: EndpointConfig;
  /** The library's side. */
  library: EndpointConfig;
  expect: Expectation;
  source: string;
  /** This case's own verdict hints, on top of the misbehaviour's. */
  hints?: VerdictHints;
}

/**
 * Where a sentence lets the party under test answer another way than the expectation, by the
 * misbehaviour's name: every case of that misbehaviour reads its verdict with these.
 */
export const VERDICT_HINTS: Record<string, VerdictHints> = {
  "share-not-in-supported-groups": { mayAbortWith: ["illegal_parameter"] },
  "duplicate-share": { mayAbortWith: ["illegal_parameter"] },
  "pq-in-tls12-hello": { tls12Fallback: true },
  "unknown-identity": { mayAbortWith: ["unknown_psk_identity", "decrypt_error"] },
};

function conformanceCase(s: Spec): Case {
  const advRole: Role = s.roleUnderTest === "server" ? "client" : "server";
  const adversary: EndpointConfig = {
    ...s.adversary,
    misbehave: { name: s.misbehaviour, ...(s.params ? { params: s.params } : {}) },
  };
  return {
    // The same misbehaviour aimed at a client reads "…-vs-client-…" so ids stay unique.
    id: `${SUITE}/${s.misbehaviour}-${
      s.roleUnderTest === "client" ? "vs-client-" : ""
    }${s.variant}`,
    suite: SUITE,
    title: s.title,
    client: advRole === "client" ? adversary : s.library,
    server: advRole === "server" ? adversary : s.library,
    expect: s.expect,
    only: advRole === "client" ? { client: ["ts"] } : { server: ["ts"] },
    conformance: {
      misbehaviour: { name: s.misbehaviour, ...(s.params ? { params: s.params } : {}) },
      roleUnderTest: s.roleUnderTest,
      source: s.source,
      ...(VERDICT_HINTS[s.misbehaviour] || s.hints
        ? { hints: { ...VERDICT_HINTS[s.misbehaviour], ...s.hints } }
        : {}),
    },
  };
}

const PQ_GROUPS: GroupName[] = [...PURE_MLKEM_GROUPS, ...HYBRID_GROUPS];
const NIST_HYBRIDS: GroupName[] = ["SecP256r1MLKEM768", "SecP384r1MLKEM1024"];
const isHybrid = (g: GroupName) => (HYBRID_GROUPS as readonly string[]).includes(g);

const alert = (by: Role, name: AlertName): Expectation => ({ kind: "alert", by, alert: name });
const server = (...groups: GroupName[]): EndpointConfig => ({ groups, certificate: DEFAULT_CERT });

// ---------------------------------------------------------------- sources

const SRC = {
  ekCheck: (g: GroupName) =>
    isHybrid(g)
      ? "RFC 10024 §3.1: the server MUST perform the ML-KEM encapsulation key check (FIPS 203 " +
        "§7.2: length and modulus) on the client's share and abort with illegal_parameter if it fails"
      : "draft-ietf-tls-mlkem-11 §3: the server MUST perform the encapsulation key check (FIPS 203 " +
        "§7.2: length and modulus) and abort with illegal_parameter if it fails",
  ctLength: (g: GroupName) =>
    isHybrid(g)
      ? "RFC 10024 §3.1: the client MUST check the server share's length (ciphertext and ECDH " +
        "parts are fixed-size) and abort with illegal_parameter if it is wrong"
      : "draft-ietf-tls-mlkem-11 §3: the client MUST check that the ciphertext length matches " +
        "the group and abort with illegal_parameter otherwise",
  ecPoint: "RFC 9846 §4.3.8.2: peers MUST validate each other's public key (point on the curve); " +
    "RFC 10024 §3.1: failures of the ECDH checks are illegal_parameter",
  allZero: "RFC 9846 §7.4.2: implementations MUST check whether the X25519 shared secret is the " +
    "all-zero value and abort; RFC 10024 §3.1: with illegal_parameter",
  highBit: "RFC 7748 §5: implementations of X25519 MUST mask the most significant bit of the " +
    "final byte of a received u-coordinate, so a key with that bit set is the same key and the " +
    "handshake must go on (RFC 9846 §7.4.2 and RFC 10024 use X25519 as RFC 7748 defines it)",
  swapUndetectable: "RFC 10024 §3.1 (X25519MLKEM768: ciphertext ‖ X25519, fixed lengths) with " +
    "FIPS 203 implicit rejection: swapped components decapsulate to a wrong key, so the client " +
    "cannot decrypt the server's flight; RFC 9846 §5.2: a record that fails to decrypt MUST be " +
    "answered with bad_record_mac",
  shareNotInGroups: "RFC 9846 §4.3.8: clients MUST NOT offer a KeyShareEntry for a group not in " +
    "supported_groups; servers MAY abort with illegal_parameter, and a server that carries on " +
    "must negotiate only from supported_groups (§4.3.7)",
  duplicate: "RFC 9846 §4.3.8: clients MUST NOT offer multiple KeyShareEntry values for the same " +
    "group; servers MAY abort with illegal_parameter (identical shares: either is usable)",
  order: "RFC 9846 §4.3.8: a client may send several KeyShareEntry values, in supported_groups " +
    "order; the server selects one by its own preference (several PQ shares in any order must work)",
  hrrOffered: "RFC 9846 §4.3.8: the client MUST verify that the HRR's selected_group was in " +
    "supported_groups and was NOT in the key_share of the first ClientHello, else abort with " +
    "illegal_parameter",
  hrrUnoffered: "RFC 9846 §4.3.8: the client MUST verify that the HRR's selected_group was in " +
    "its supported_groups, else abort with illegal_parameter",
  ch2: "RFC 9846 §4.3.8: after a HelloRetryRequest the second ClientHello MUST carry exactly one " +
    "KeyShareEntry, for the selected_group; §4.2.2 (RFC 8446 §4.1.2): a server that receives a " +
    "second ClientHello not matching the HRR aborts with illegal_parameter",
  shUnoffered:
    "RFC 9846 §4.3.8: the ServerHello's KeyShareEntry MUST be in the same group as one " +
    "the client offered; a client receiving another aborts with illegal_parameter",
  tls12: "RFC 9846 §4.3.1: without supported_versions a server that also speaks TLS 1.2 MUST " +
    "negotiate TLS 1.2 or earlier, one that does not aborts with protocol_version; " +
    "draft-ietf-tls-mlkem-11 / RFC 10024: the ML-KEM groups are TLS 1.3 only, so none may appear " +
    "in a TLS 1.2 ServerKeyExchange",
  binder: "RFC 9846 §4.3.11: prior to accepting PSK key establishment the server MUST validate " +
    "the binder and abort if it does not; §6.2: failing to validate a PSK binder is decrypt_error",
  unknownIdentity: "RFC 9846 §4.3.11: a server that recognises no identity continues without a " +
    "PSK (full handshake); §6.2: it MAY instead send unknown_psk_identity or decrypt_error",
  pskKe: "RFC 9846 §4.3.11: the client MUST verify that a server key_share is present when its " +
    "psk_key_exchange_modes require one, else abort with illegal_parameter; §4.3.9: servers MUST " +
    "NOT select a mode the client did not list",
  unsolicited: "RFC 9846 §4.3: an endpoint receiving an extension response it did not request " +
    "MUST abort with unsupported_extension (tls_cert_with_extern_psk, RFC 9973, not offered)",
  split:
    "RFC 9846 §5 (TLS runs over a reliable byte stream; record boundaries are independent of " +
    "TCP segments) and docs/pq-tls-reference.md §6 #1 (tldr.fail): a ClientHello split across " +
    "segments must be reassembled",
  records: "RFC 9846 §5.1: handshake messages MAY be fragmented across several records " +
    "(record layer fragmentation: a handshake message may span records)",
  emptyAlert: "RFC 9846 §5.4: implementations MUST NOT send Handshake and Alert records that " +
    "have a zero-length TLSInnerPlaintext.content; if such a message is received, the receiving " +
    "implementation MUST terminate the connection with an unexpected_message alert",
  padding: "RFC 9846 §5.4: the presence of padding does not change the overall record size " +
    "limitations: the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets; §5.2 and " +
    "§6.2: a record over the limit is answered with record_overflow",
  interleaved: "RFC 9846 §5.1: handshake messages MUST NOT be interleaved with other record " +
    "types: if a handshake message is split over two or more records, there MUST NOT be any " +
    "other records between them; §5: an unexpected record is unexpected_message",
  legacyVersion: "RFC 9846 §E.5: any endpoint receiving a Hello message with " +
    "ClientHello.legacy_version or ServerHello.legacy_version set to 0x0300 MUST abort the " +
    "handshake with a protocol_version alert",
  notTls: (what: string) =>
    `RFC 9846 §5: if a TLS implementation receives an unexpected record type, it MUST terminate ` +
    `the connection with an unexpected_message alert (${what} is no TLS content type)`,
  sslv2: "; §E.5: implementations MUST NOT negotiate TLS 1.3 using an SSL 2.0 compatible " +
    "CLIENT-HELLO (refusing it with protocol_version is also correct)",
  overlong: "RFC 9846 §5.1, §5.2: a record longer than 2^14 bytes in the clear (2^14 + 256 " +
    "protected) MUST be answered with record_overflow; the header alone (length 65535) shows it",
  pointFormat: (g: GroupName) =>
    `RFC 9846 §4.3.8.2: ECDHE shares are UncompressedPointRepresentation (legacy_form = 4), TLS ` +
    `1.3 has "a single point format for each curve", and peers MUST validate each other's ` +
    `public value` +
    (isHybrid(g)
      ? "; RFC 10024 §3.1: the hybrid's ECDH part is that uncompressed point and a failed " +
        "check is illegal_parameter"
      : "; §6.2: a field out of its specified range is also decode_error"),
};

// ---------------------------------------------------------------- the library is the server

const vsServer: Spec[] = [
  ...PQ_GROUPS.flatMap((g): Spec[] => [
    {
      misbehaviour: "truncate-share",
      variant: g,
      title: `${g} client share one byte short`,
      roleUnderTest: "server",
      adversary: { groups: [g] },
      library: server(g),
      expect: alert("server", "illegal_parameter"),
      source: SRC.ekCheck(g),
    },
    {
      misbehaviour: "pad-share",
      variant: g,
      title: `${g} client share one byte too long`,
      roleUnderTest: "server",
      adversary: { groups: [g] },
      library: server(g),
      expect: alert("server", "illegal_parameter"),
      source: SRC.ekCheck(g),
    },
    {
      misbehaviour: "unreduced-coefficient",
      params: { position: "first" },
      variant: g,
      title: `${g} encapsulation key with its first coefficient = q`,
      roleUnderTest: "server",
      adversary: { groups: [g] },
      library: server(g),
      expect: alert("server", "illegal_parameter"),
      source: SRC.ekCheck(g),
    },
  ]),
  ...(["middle", "last"] as const).map((position): Spec => ({
    misbehaviour: "unreduced-coefficient",
    params: { position },
    variant: `MLKEM768-${position}`,
    title: `MLKEM768 encapsulation key with its ${position} coefficient = q`,
    roleUnderTest: "server",
    adversary: { groups: ["MLKEM768"] },
    library: server("MLKEM768"),
    expect: alert("server", "illegal_parameter"),
    source: SRC.ekCheck("MLKEM768"),
  })),
  {
    misbehaviour: "unreduced-coefficient",
    params: { position: "last", value: 4095 },
    variant: "X25519MLKEM768-last-4095",
    title: "X25519MLKEM768 encapsulation key with its last coefficient = 4095",
    roleUnderTest: "server",
    adversary: { groups: ["X25519MLKEM768"] },
    library: server("X25519MLKEM768"),
    expect: alert("server", "illegal_parameter"),
    source: SRC.ekCheck("X25519MLKEM768"),
  },
  ...NIST_HYBRIDS.map((g): Spec => ({
    misbehaviour: "invalid-ec-point",
    variant: g,
    title: `${g} client share with an off-curve point`,
    roleUnderTest: "server",
    adversary: { groups: [g] },
    library: server(g),
    expect: alert("server", "illegal_parameter"),
    source: SRC.ecPoint,
  })),
  ...(["x25519-low-order", "x25519-all-zero"] as const).map((misbehaviour): Spec => ({
    misbehaviour,
    variant: "X25519MLKEM768",
    title: `X25519MLKEM768 client share whose X25519 key is ${
      misbehaviour === "x25519-all-zero" ? "all zeros" : "a small-order point"
    }`,
    roleUnderTest: "server",
    adversary: { groups: ["X25519MLKEM768"] },
    library: server("X25519MLKEM768"),
    expect: alert("server", "illegal_parameter"),
    source: SRC.allZero,
  })),
  ...(["X25519MLKEM768", "x25519"] as GroupName[]).map((g): Spec => ({
    misbehaviour: "x25519-high-bit",
    variant: g,
    title: `${g} client share whose X25519 key has the unused top bit set`,
    roleUnderTest: "server",
    adversary: { groups: [g] },
    library: server(g),
    expect: { kind: "handshake", group: g },
    source: SRC.highBit,
  })),
  ...HYBRID_GROUPS.map((g): Spec => ({
    misbehaviour: "swap-hybrid-components",
    variant: g,
    title: `${g} client share with its components swapped`,
    roleUnderTest: "server",
    adversary: { groups: [g] },
    library: server(g),
    // The misplaced bytes fail the ek modulus check or the point check with overwhelming odds.
    expect: alert("server", "illegal_parameter"),
    source: `${SRC.ekCheck(g)}; ${SRC.ecPoint}`,
  })),
  {
    misbehaviour: "share-not-in-supported-groups",
    variant: "X25519MLKEM768",
    title: "Key share for X25519MLKEM768, which supported_groups leaves out",
    roleUnderTest: "server",
    adversary: { groups: ["X25519MLKEM768", "x25519"], keyShares: ["X25519MLKEM768"] },
    library: server("X25519MLKEM768", "x25519"),
    expect: { kind: "handshake", group: "x25519" },
    source: SRC.shareNotInGroups,
  },
  ...(["X25519MLKEM768", "MLKEM768"] as GroupName[]).map((g): Spec => ({
    misbehaviour: "duplicate-share",
    variant: g,
    title: `Two identical ${g} key shares`,
    roleUnderTest: "server",
    adversary: { groups: [g] },
    library: server(g),
    expect: { kind: "handshake", group: g },
    source: SRC.duplicate,
  })),
  ...([
    ["first", ["X25519MLKEM768", "MLKEM768", "SecP256r1MLKEM768"]],
    ["middle", ["MLKEM768", "X25519MLKEM768", "SecP256r1MLKEM768"]],
    ["last", ["SecP256r1MLKEM768", "MLKEM768", "X25519MLKEM768"]],
    ["after-1024", ["MLKEM1024", "SecP384r1MLKEM1024", "X25519MLKEM768"]],
  ] as [string, GroupName[]][]).map(([where, order]): Spec => ({
    misbehaviour: "pq-shares-order",
    params: { order: order.join("+") },
    variant: `X25519MLKEM768-${where}`,
    title: `Three PQ key shares, X25519MLKEM768 ${
      where === "after-1024" ? "after two ML-KEM-1024 ones" : where
    }; the server accepts only X25519MLKEM768`,
    roleUnderTest: "server",
    adversary: { groups: [...order].sort(), keyShares: [...order].sort() },
    library: server("X25519MLKEM768"),
    expect: { kind: "handshake", group: "X25519MLKEM768", helloRetryRequest: false },
    source: SRC.order,
  })),
  ...(["x25519", "MLKEM768"] as GroupName[]).map((wrong): Spec => ({
    misbehaviour: "ch2-wrong-share",
    params: { group: wrong },
    variant: wrong,
    title: `HRR asks for X25519MLKEM768; the second ClientHello shares ${wrong} instead`,
    roleUnderTest: "server",
    adversary: {
      groups: ["x25519", "X25519MLKEM768", ...(wrong === "x25519" ? [] : [wrong])],
      keyShares: ["x25519"],
    },
    library: server("X25519MLKEM768"),
    expect: alert("server", "illegal_parameter"),
    source: SRC.ch2,
  })),
  ...(["X25519MLKEM768", "SecP256r1MLKEM768"] as GroupName[]).map((g): Spec => ({
    misbehaviour: "pq-in-tls12-hello",
    variant: g,
    title: `TLS 1.2-only ClientHello offering ${g}`,
    roleUnderTest: "server",
    adversary: { groups: [g, "x25519"] },
    library: server(g, "x25519"),
    expect: alert("server", "protocol_version"),
    source: SRC.tls12,
  })),
  {
    misbehaviour: "wrong-binder",
    variant: "X25519MLKEM768",
    title: "External PSK with a wrong binder",
    roleUnderTest: "server",
    adversary: { groups: ["X25519MLKEM768"], psk: examplePsk("psk_dhe_ke") },
    library: { groups: ["X25519MLKEM768"], psk: examplePsk("psk_dhe_ke") },
    expect: alert("server", "decrypt_error"),
    source: SRC.binder,
  },
  {
    misbehaviour: "unknown-identity",
    variant: "X25519MLKEM768",
    title: "External PSK with an identity the server does not know",
    roleUnderTest: "server",
    adversary: { groups: ["X25519MLKEM768"], psk: examplePsk("psk_dhe_ke") },
    library: { ...server("X25519MLKEM768"), psk: examplePsk("psk_dhe_ke") },
    expect: { kind: "handshake", group: "X25519MLKEM768", pskMode: null },
    source: SRC.unknownIdentity,
  },
  ...([
    ["X25519MLKEM768", { segments: 2, delayMs: 50 }],
    ["X25519MLKEM768-32", { segments: 32, delayMs: 10 }],
    ["SecP384r1MLKEM1024", { segments: 8, delayMs: 20 }],
    ["MLKEM1024", { segments: 8, delayMs: 20 }],
  ] as [string, Params][]).map(([variant, params]): Spec => {
    const g = variant.split("-")[0] as GroupName;
    return {
      misbehaviour: "split-client-hello",
      params,
      variant,
      title: `${g} ClientHello in ${params.segments} TCP segments, ${params.delayMs} ms apart`,
      roleUnderTest: "server",
      adversary: { groups: [g] },
      library: server(g),
      expect: { kind: "handshake", group: g },
      source: SRC.split,
    };
  }),
  {
    misbehaviour: "small-records",
    params: { size: 64 },
    variant: "X25519MLKEM768",
    title: "X25519MLKEM768 ClientHello in 64-byte records",
    roleUnderTest: "server",
    adversary: { groups: ["X25519MLKEM768"] },
    library: server("X25519MLKEM768"),
    expect: { kind: "handshake", group: "X25519MLKEM768" },
    source: SRC.records,
  },
  {
    misbehaviour: "one-byte-records",
    variant: "X25519MLKEM768",
    title: "X25519MLKEM768 ClientHello in one-byte records",
    roleUnderTest: "server",
    adversary: { groups: ["X25519MLKEM768"] },
    library: server("X25519MLKEM768"),
    expect: { kind: "handshake", group: "X25519MLKEM768" },
    source: SRC.records,
  },
];

// ---------------------------------------------------------------- the library is the client

const vsClient: Spec[] = [
  ...PQ_GROUPS.flatMap((g): Spec[] =>
    (["truncate-share", "pad-share", "ciphertext-wrong-length"] as const).map((misbehaviour) => ({
      misbehaviour,
      variant: g,
      title: `${g} server share ${
        misbehaviour === "truncate-share"
          ? "one byte short"
          : misbehaviour === "pad-share"
          ? "one byte too long"
          : "with a ciphertext of another ML-KEM parameter set's length"
      }`,
      roleUnderTest: "client",
      adversary: server(g),
      library: { groups: [g] },
      expect: alert("client", "illegal_parameter"),
      source: SRC.ctLength(g),
    }))
  ),
  ...NIST_HYBRIDS.map((g): Spec => ({
    misbehaviour: "invalid-ec-point",
    variant: g,
    title: `${g} server share with an off-curve point`,
    roleUnderTest: "client",
    adversary: server(g),
    library: { groups: [g] },
    expect: alert("client", "illegal_parameter"),
    source: SRC.ecPoint,
  })),
  ...(["x25519-low-order", "x25519-all-zero"] as const).map((misbehaviour): Spec => ({
    misbehaviour,
    variant: "X25519MLKEM768",
    title: `X25519MLKEM768 server share whose X25519 key is ${
      misbehaviour === "x25519-all-zero" ? "all zeros" : "a small-order point"
    }`,
    roleUnderTest: "client",
    adversary: server("X25519MLKEM768"),
    library: { groups: ["X25519MLKEM768"] },
    expect: alert("client", "illegal_parameter"),
    source: SRC.allZero,
  })),
  ...(["X25519MLKEM768", "x25519"] as GroupName[]).map((g): Spec => ({
    misbehaviour: "x25519-high-bit",
    variant: g,
    title: `${g} server share whose X25519 key has the unused top bit set`,
    roleUnderTest: "client",
    adversary: server(g),
    library: { groups: [g] },
    expect: { kind: "handshake", group: g },
    source: SRC.highBit,
  })),
  ...HYBRID_GROUPS.map((g): Spec => ({
    misbehaviour: "swap-hybrid-components",
    variant: g,
    title: `${g} server share with its components swapped`,
    roleUnderTest: "client",
    adversary: server(g),
    library: { groups: [g] },
    // X25519MLKEM768: ct ‖ X25519 swapped still splits into a 1088-byte "ciphertext" and a
    // 32-byte "key", both accepted, so only decryption fails. The NIST hybrids start with a point.
    expect: g === "X25519MLKEM768"
      ? alert("client", "bad_record_mac")
      : alert("client", "illegal_parameter"),
    source: g === "X25519MLKEM768" ? SRC.swapUndetectable : SRC.ecPoint,
  })),
  ...([
    ["X25519MLKEM768", "x25519"],
    ["x25519", "X25519MLKEM768"],
  ] as [GroupName, GroupName][]).map(([shared, asked]): Spec => ({
    misbehaviour: "hrr-offered-group",
    params: { group: shared },
    variant: shared,
    title: `HelloRetryRequest asks for ${shared}, which the client already shared`,
    roleUnderTest: "client",
    adversary: { ...server(asked, shared), preferHrr: true },
    library: { groups: ["X25519MLKEM768", "x25519"], keyShares: [shared] },
    expect: alert("client", "illegal_parameter"),
    source: SRC.hrrOffered,
  })),
  ...(["MLKEM1024", "SecP384r1MLKEM1024"] as GroupName[]).map((g): Spec => ({
    misbehaviour: "hrr-unoffered-group",
    params: { group: g },
    variant: g,
    title: `HelloRetryRequest asks for ${g}, which the client does not support`,
    roleUnderTest: "client",
    adversary: { ...server("X25519MLKEM768", "x25519"), preferHrr: true },
    library: { groups: ["x25519", "X25519MLKEM768"], keyShares: ["x25519"] },
    expect: alert("client", "illegal_parameter"),
    source: SRC.hrrUnoffered,
  })),
  {
    misbehaviour: "sh-unoffered-group",
    params: { group: "MLKEM1024" },
    variant: "MLKEM1024",
    title: "ServerHello selects MLKEM1024, which the client did not offer",
    roleUnderTest: "client",
    adversary: server("X25519MLKEM768", "x25519"),
    library: { groups: ["X25519MLKEM768", "x25519"] },
    expect: alert("client", "illegal_parameter"),
    source: SRC.shUnoffered,
  },
  {
    misbehaviour: "sh-unoffered-group",
    params: { group: "MLKEM768" },
    variant: "MLKEM768-unshared",
    title: "ServerHello selects MLKEM768, which the client supports but sent no share for",
    roleUnderTest: "client",
    adversary: server("X25519MLKEM768", "MLKEM768"),
    library: { groups: ["X25519MLKEM768", "MLKEM768"], keyShares: ["X25519MLKEM768"] },
    expect: alert("client", "illegal_parameter"),
    source: SRC.shUnoffered,
  },
  {
    misbehaviour: "echo-cert-with-psk-unoffered",
    variant: "certificate",
    title: "ServerHello echoes tls_cert_with_extern_psk the client never offered",
    roleUnderTest: "client",
    adversary: server("X25519MLKEM768"),
    library: { groups: ["X25519MLKEM768"] },
    expect: alert("client", "unsupported_extension"),
    source: SRC.unsolicited,
  },
  {
    misbehaviour: "echo-cert-with-psk-unoffered",
    variant: "psk",
    title: "External PSK handshake; ServerHello adds tls_cert_with_extern_psk, not offered",
    roleUnderTest: "client",
    adversary: { ...server("X25519MLKEM768"), psk: examplePsk("psk_dhe_ke") },
    library: { groups: ["X25519MLKEM768"], psk: examplePsk("psk_dhe_ke") },
    expect: alert("client", "unsupported_extension"),
    source: SRC.unsolicited,
  },
  {
    misbehaviour: "psk-ke-to-dhe-only",
    variant: "X25519MLKEM768",
    title: "Client offers only psk_dhe_ke; the ServerHello accepts the PSK without a key_share",
    roleUnderTest: "client",
    adversary: { ...server("X25519MLKEM768"), psk: examplePsk("psk_dhe_ke") },
    library: { groups: ["X25519MLKEM768"], psk: examplePsk("psk_dhe_ke") },
    expect: alert("client", "illegal_parameter"),
    source: SRC.pskKe,
  },
  {
    misbehaviour: "small-records",
    params: { size: 64 },
    variant: "X25519MLKEM768",
    title: "Server flight in 64-byte records",
    roleUnderTest: "client",
    adversary: server("X25519MLKEM768"),
    library: { groups: ["X25519MLKEM768"] },
    expect: { kind: "handshake", group: "X25519MLKEM768" },
    source: SRC.records,
  },
  {
    misbehaviour: "one-byte-records",
    variant: "X25519MLKEM768",
    title: "Server flight in one-byte records",
    roleUnderTest: "client",
    adversary: server("X25519MLKEM768"),
    library: { groups: ["X25519MLKEM768"] },
    expect: { kind: "handshake", group: "X25519MLKEM768" },
    source: SRC.records,
  },
];

// ---------------------------------------------------------------- records, versions, openings

/**
 * The rules of the record layer and the first bytes, aimed at both roles: the reference peer
 * plays the other side with X25519MLKEM768 (or the case's own group) and the library must answer
 * with `alert`. A client's misbehaviour here comes in its Finished, after the server's flight.
 */
function bothRoles(
  r: {
    misbehaviour: string;
    params?: Params;
    variant: string;
    title: string;
    alert: AlertName;
    source: string;
    group?: GroupName;
    roles?: Role[];
    hints?: VerdictHints;
    lateClient?: boolean;
  },
): Spec[] {
  const g = r.group ?? "X25519MLKEM768";
  return (r.roles ?? ["server", "client"] as Role[]).map((roleUnderTest): Spec => ({
    misbehaviour: r.misbehaviour,
    ...(r.params ? { params: r.params } : {}),
    variant: r.variant,
    title: `${r.title} (${roleUnderTest === "server" ? "client" : "server"} misbehaves)`,
    roleUnderTest,
    adversary: roleUnderTest === "server" ? { groups: [g] } : server(g),
    library: roleUnderTest === "server" ? server(g) : { groups: [g] },
    expect: alert(roleUnderTest, r.alert),
    source: r.source,
    ...(r.hints || (r.lateClient && roleUnderTest === "server")
      ? {
        hints: {
          ...r.hints,
          ...(r.lateClient && roleUnderTest === "server" ? { afterServerFlight: true } : {}),
        },
      }
      : {}),
  }));
}

const POINT_FORMS = ["compressed-02", "compressed-03", "hybrid-06", "hybrid-07", "infinity"];
const EC_GROUPS: GroupName[] = ["secp256r1", "secp384r1", ...NIST_HYBRIDS];

const recordRules: Spec[] = [
  ...bothRoles({
    misbehaviour: "empty-alert",
    variant: "handshake",
    title: "A protected Alert record with no content before the encrypted flight",
    alert: "unexpected_message",
    source: SRC.emptyAlert,
    lateClient: true,
  }),
  ...([["by-one", 16386], ["largest", 16624]] as const).flatMap(([variant, inner]) =>
    bothRoles({
      misbehaviour: "padding-overflow",
      params: { inner },
      variant,
      title: `The record holding Finished padded to a ${inner}-byte TLSInnerPlaintext`,
      alert: "record_overflow",
      source: SRC.padding,
      lateClient: true,
    })
  ),
  ...bothRoles({
    misbehaviour: "record-between-fragments",
    variant: "finished",
    title: "An application_data record between two fragments of Finished",
    alert: "unexpected_message",
    source: SRC.interleaved,
    lateClient: true,
  }),
  ...bothRoles({
    misbehaviour: "legacy-version",
    params: { version: "0x0300" },
    variant: "0x0300",
    title: "Hello with legacy_version 0x0300",
    alert: "protocol_version",
    source: SRC.legacyVersion,
  }),
  ...bothRoles({
    misbehaviour: "non-tls-opening",
    params: { bytes: "sslv2" },
    variant: "sslv2",
    title: "An SSLv2-format CLIENT-HELLO instead of a ClientHello",
    alert: "unexpected_message",
    source: SRC.notTls("0x80, the first byte of an SSLv2 header,") + SRC.sslv2,
    roles: ["server"],
    hints: { alternatives: ["protocol_version"] },
  }),
  ...bothRoles({
    misbehaviour: "non-tls-opening",
    params: { bytes: "http" },
    variant: "http",
    title: "Plain HTTP instead of TLS (a request to the server, a response to the client)",
    alert: "unexpected_message",
    source: SRC.notTls('"G" (0x47) of an HTTP request or "H" (0x48) of a response'),
  }),
  ...bothRoles({
    misbehaviour: "non-tls-opening",
    params: { bytes: "overlong" },
    variant: "overlong",
    title: "A handshake record header claiming 65535 bytes, and nothing after it",
    alert: "record_overflow",
    source: SRC.overlong,
  }),
  ...EC_GROUPS.flatMap((g) =>
    POINT_FORMS.flatMap((form) =>
      bothRoles({
        misbehaviour: "ec-point-format",
        params: { form },
        variant: `${g}-${form}`,
        title: `${g} share whose ${
          g.startsWith("secp384") || g.startsWith("SecP384") ? "P-384" : "P-256"
        } point is ${form === "infinity" ? "the point at infinity" : `in ${form} form`}`,
        group: g,
        alert: "illegal_parameter",
        source: SRC.pointFormat(g),
        ...(isHybrid(g) ? {} : { hints: { alternatives: ["decode_error"] } }),
      })
    )
  ),
];

export const conformance: Case[] = [...vsServer, ...vsClient, ...recordRules].map(conformanceCase);
