// Pre-shared keys in TLS 1.3 (RFC 9846 §4.3.9–4.3.11, §7.1) and the RFC 9258 importer: the
// pre_shared_key / psk_key_exchange_modes / early_data / tls_cert_with_extern_psk extension
// codecs, the PSK model (external, imported, resumption), binders over the truncated ClientHello,
// and the early-data secrets. The key schedule itself is keyschedule.ts: a PSK only changes the
// IKM of the Early Secret, so everything here is built on KeySchedule and expandLabel.
//
//   Early Secret = HKDF-Extract(0, PSK)
//     ├─ binder_key = Derive-Secret(., "ext binder" | "res binder" | "imp binder", "")
//     │    └─ binder = HMAC(HKDF-Expand-Label(binder_key, "finished", "", Hash.len),
//     │                     Transcript-Hash(Truncate(ClientHello)))
//     ├─ client_early_traffic_secret  = Derive-Secret(., "c e traffic", ClientHello)
//     └─ early_exporter_master_secret = Derive-Secret(., "e exp master", ClientHello)

import { sha256, sha384 } from "@noble/hashes/sha2.js";
import { extract } from "@noble/hashes/hkdf.js";
import { TlsAlert } from "./alert.ts";
import { concat, equalBytes, Reader, Writer } from "./codec.ts";
import { type Extension, type OfferedPsks, PRE_SHARED_KEY_CLIENT, TLS13 } from "./extensions.ts";
import {
  type CipherSuite,
  constantTimeEqual,
  deriveSecret,
  expandLabel,
  finishedVerifyData,
  KeySchedule,
  SUITES,
} from "./keyschedule.ts";
import { type ClientHello, encodeHandshake } from "./messages.ts";
import { EXTENSIONS, HANDSHAKE_TYPES } from "./names.ts";

// ---------------------------------------------------------------- the PSK model

export type PskHashName = "sha256" | "sha384";
export const PSK_HASH_NAMES: readonly PskHashName[] = ["sha256", "sha384"];

/** Where a PSK came from; it picks the binder label, so one kind cannot stand in for another. */
export type PskKind = "external" | "imported" | "resumption";

const BINDER_LABELS: Record<PskKind, string> = {
  external: "ext binder",
  resumption: "res binder",
  imported: "imp binder", // RFC 9258 §5.1
};

/** One PSK as offered or accepted: the identity on the wire, the key and its one hash. */
export interface Psk {
  kind: PskKind;
  identity: Uint8Array;
  key: Uint8Array;
  hash: PskHashName;
  /** What the summary calls it: the external identity as text, "ticket", … */
  label: string;
}

/** A suite carrying `hash`: the PSK's key schedule only needs the hash until a suite is chosen. */
export function suiteForHash(hash: PskHashName): CipherSuite {
  return hash === "sha256" ? SUITES.TLS_AES_128_GCM_SHA256 : SUITES.TLS_AES_256_GCM_SHA384;
}

export const hashOfSuite = (suite: CipherSuite): PskHashName =>
  suite.hashLen === 48 ? "sha384" : "sha256";

export const hashFn = (hash: PskHashName) => hash === "sha256" ? sha256 : sha384;

/** Checks the shape of an external PSK as configured; the message says what is wrong. */
export function checkExternalPsk(identity: string, keyHex: string, hash: string): void {
  if (identity.length === 0) throw new Error("PSK identity is empty");
  if (new TextEncoder().encode(identity).length > 0xffff) {
    throw new Error("PSK identity is longer than 65535 bytes");
  }
  if (keyHex.length === 0 || keyHex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(keyHex)) {
    throw new Error(`PSK key must be an even number of hex digits, got "${keyHex}"`);
  }
  if (!PSK_HASH_NAMES.includes(hash as PskHashName)) {
    throw new Error(`unknown PSK hash "${hash}" (known: ${PSK_HASH_NAMES.join(", ")})`);
  }
}

// ---------------------------------------------------------------- binders

/** The Early Secret's key schedule for a PSK (HKDF-Extract(0, PSK) with the PSK's hash). */
export const pskKeySchedule = (psk: Psk): KeySchedule =>
  new KeySchedule(suiteForHash(psk.hash), psk.key);

/** binder_key = Derive-Secret(Early Secret, "<kind> binder", "") (RFC 9846 §7.1). */
export function binderKey(psk: Psk): Uint8Array {
  const ks = pskKeySchedule(psk);
  const h = ks.suite.hash;
  return deriveSecret(h, ks.earlySecret, BINDER_LABELS[psk.kind], h(new Uint8Array(0)));
}

/** The binder's HMAC key: HKDF-Expand-Label(binder_key, "finished", "", Hash.length). */
export function binderFinishedKey(psk: Psk): Uint8Array {
  const suite = suiteForHash(psk.hash);
  return expandLabel(suite.hash, binderKey(psk), "finished", new Uint8Array(0), suite.hashLen);
}

/**
 * The binder for `psk` given the transcript before the truncated ClientHello (empty for the first
 * ClientHello; message_hash(CH1) ‖ HelloRetryRequest after an HRR) and the truncated ClientHello.
 * The transcript hash uses the PSK's hash, whatever suite ends up chosen.
 */
export function computeBinder(psk: Psk, prefix: Uint8Array, truncated: Uint8Array): Uint8Array {
  const suite = suiteForHash(psk.hash);
  return finishedVerifyData(suite, binderKey(psk), suite.hash(concat(prefix, truncated)));
}

/** message_hash(CH1) ‖ HRR: what precedes the second ClientHello in a PSK's transcript. */
export function hrrPrefix(psk: Psk, clientHello1: Uint8Array, hrr: Uint8Array): Uint8Array {
  const digest = hashFn(psk.hash)(clientHello1);
  return concat(new Uint8Array([HANDSHAKE_TYPES.message_hash, 0, 0, digest.length]), digest, hrr);
}

/** Length of the binders list on the wire: uint16 length + one length byte per binder. */
const bindersLength = (binders: Uint8Array[]): number =>
  2 + binders.reduce((n, b) => n + 1 + b.length, 0);

/**
 * Truncate(ClientHello): the encoded message (4-byte header included) up to the end of
 * `identities`. Every length in it — message, extensions, pre_shared_key — already counts the
 * binders, because `encoded` carries binders of the final sizes (placeholders or real ones).
 */
export function truncateClientHello(encoded: Uint8Array, offered: OfferedPsks): Uint8Array {
  return encoded.subarray(0, encoded.length - bindersLength(offered.binders));
}

/** The pre_shared_key extension with zero binders of each PSK's hash length. */
export function placeholderPskExtension(psks: Psk[], ages: number[]): Extension {
  const w = new Writer();
  PRE_SHARED_KEY_CLIENT.encode({
    identities: psks.map((p, i) => ({ identity: p.identity, obfuscatedTicketAge: ages[i] ?? 0 })),
    binders: psks.map((p) => new Uint8Array(hashFn(p.hash).outputLen)),
  }, w);
  return { type: EXTENSIONS.pre_shared_key, data: w.finish() };
}

/** Reads the pre_shared_key extension of a ClientHello, or undefined when absent. */
export function offeredPsks(ch: ClientHello): OfferedPsks | undefined {
  const ext = ch.extensions.find((e) => e.type === EXTENSIONS.pre_shared_key);
  if (!ext) return undefined;
  const r = new Reader(ext.data, "ClientHello pre_shared_key");
  const value = PRE_SHARED_KEY_CLIENT.read(r);
  r.expectEnd("pre_shared_key");
  return value;
}

/**
 * Fills in the binders of a ClientHello whose pre_shared_key extension (last) lists `psks` in
 * order: each binder is computed over the same truncated ClientHello, then written in place.
 */
export function bindClientHello(ch: ClientHello, psks: Psk[], prefix: Uint8Array): ClientHello {
  const offered = offeredPsks(ch);
  if (!offered) throw new Error("bindClientHello: the ClientHello has no pre_shared_key");
  const truncated = truncateClientHello(
    encodeHandshake({ type: "client_hello", body: ch }),
    offered,
  );
  const binders = psks.map((p) => computeBinder(p, prefix, truncated));
  const w = new Writer();
  PRE_SHARED_KEY_CLIENT.encode({ identities: offered.identities, binders }, w);
  const extensions = ch.extensions.map((e) =>
    e.type === EXTENSIONS.pre_shared_key ? { type: e.type, data: w.finish() } : e
  );
  return { ...ch, extensions };
}

/**
 * Server side: checks the binder of the one PSK it chose (index `selected`) against the received
 * ClientHello bytes. A mismatch is decrypt_error (RFC 9846 §4.3.11.2).
 */
export function verifyBinder(
  psk: Psk,
  selected: number,
  received: Uint8Array,
  offered: OfferedPsks,
  prefix: Uint8Array,
): void {
  const expected = computeBinder(psk, prefix, truncateClientHello(received, offered));
  const got = offered.binders[selected];
  if (!constantTimeEqual(got, expected)) {
    throw new TlsAlert(
      "decrypt_error",
      `the binder for PSK identity ${selected} ("${psk.label}") does not match: the client ` +
        `does not hold the same key or hashed a different ClientHello`,
    );
  }
}

// ---------------------------------------------------------------- early secrets

/** client_early_traffic_secret and early_exporter_master_secret, given Hash(ClientHello). */
export function earlySecrets(ks: KeySchedule, clientHelloHash: Uint8Array) {
  const h = ks.suite.hash;
  return {
    clientEarlyTraffic: deriveSecret(h, ks.earlySecret, "c e traffic", clientHelloHash),
    earlyExporter: deriveSecret(h, ks.earlySecret, "e exp master", clientHelloHash),
  };
}

// ---------------------------------------------------------------- RFC 9258 importer

/** target_kdf (RFC 9258 §10, IANA "TLS KDF Identifiers"). */
export const TARGET_KDFS = { HKDF_SHA256: 0x0001, HKDF_SHA384: 0x0002 } as const;
const KDF_OF_HASH: Record<PskHashName, number> = {
  sha256: TARGET_KDFS.HKDF_SHA256,
  sha384: TARGET_KDFS.HKDF_SHA384,
};

export interface ImportedIdentity {
  externalIdentity: Uint8Array;
  context: Uint8Array;
  targetProtocol: number;
  targetKdf: number;
}

export function encodeImportedIdentity(id: ImportedIdentity): Uint8Array {
  return new Writer()
    .opaque(2, id.externalIdentity)
    .opaque(2, id.context)
    .u16(id.targetProtocol)
    .u16(id.targetKdf)
    .finish();
}

export function decodeImportedIdentity(bytes: Uint8Array): ImportedIdentity {
  const r = new Reader(bytes, "ImportedIdentity");
  const id = {
    externalIdentity: r.opaque("external_identity", 2, 1, 0xffff),
    context: r.opaque("context", 2, 0, 0xffff),
    targetProtocol: r.u16("target_protocol"),
    targetKdf: r.u16("target_kdf", TARGET_KDFS),
  };
  r.expectEnd("ImportedIdentity");
  return id;
}

/** An external PSK as provisioned: identity, key and the hash it was provisioned with. */
export interface ExternalPskConfig {
  identity: Uint8Array;
  key: Uint8Array;
  hash: PskHashName;
  /** Import it (RFC 9258) instead of using it directly. */
  imported?: boolean;
  /** ImportedIdentity.context (default empty). */
  context?: Uint8Array;
}

/**
 * The imported PSK for one target KDF (RFC 9258 §4.2):
 *   epskx = HKDF-Extract(0, epsk);
 *   ipskx = HKDF-Expand-Label(epskx, "derived psk", Hash(ImportedIdentity), L)
 * with the EPSK's own hash for HKDF and Hash, and L the target KDF's output length.
 */
export function importPsk(epsk: ExternalPskConfig, target: PskHashName): Psk {
  const h = hashFn(epsk.hash);
  const identity = encodeImportedIdentity({
    externalIdentity: epsk.identity,
    context: epsk.context ?? new Uint8Array(0),
    targetProtocol: TLS13,
    targetKdf: KDF_OF_HASH[target],
  });
  const epskx = extract(h, epsk.key, new Uint8Array(h.outputLen));
  const key = expandLabel(h, epskx, "derived psk", h(identity), hashFn(target).outputLen);
  const label = new TextDecoder().decode(epsk.identity);
  return { kind: "imported", identity, key, hash: target, label };
}

/**
 * The PSKs an external PSK turns into: itself, or one imported PSK per hash among the suites
 * offered (RFC 9258 §4.1: one IPSK per target KDF).
 */
export function externalPsks(epsk: ExternalPskConfig, suiteHashes: PskHashName[]): Psk[] {
  const label = new TextDecoder().decode(epsk.identity);
  if (!epsk.imported) {
    return [{ kind: "external", identity: epsk.identity, key: epsk.key, hash: epsk.hash, label }];
  }
  return PSK_HASH_NAMES.filter((h) => suiteHashes.includes(h)).map((h) => importPsk(epsk, h));
}

// ---------------------------------------------------------------- the server's choice

/** A PSK the server can use for one of the offered identities, and the suite that goes with it. */
export interface PskChoice {
  psk: Psk;
  /** Index into the client's identities (ServerHello.selected_identity). */
  index: number;
  suite: CipherSuite;
}

export interface PskLookup {
  /** The server's external PSKs (raw or to be imported). */
  external: ExternalPskConfig[];
  /** A ticket's resumption PSK and its suite, or null when the identity is not one of ours. */
  ticket?: (identity: Uint8Array) => { psk: Uint8Array; suite: CipherSuite } | null;
  /** Our suites in preference order, already filtered to the ones the client offers. */
  suites: CipherSuite[];
}

/** The PSK a server knows under `identity` (external, imported or a ticket), or null. */
export function lookupPsk(identity: Uint8Array, lookup: PskLookup): Psk | null {
  for (const epsk of lookup.external) {
    const candidates = epsk.imported
      ? PSK_HASH_NAMES.map((h) => importPsk(epsk, h))
      : externalPsks(epsk, []);
    const found = candidates.find((p) => equalBytes(p.identity, identity));
    if (found) return found;
  }
  const ticket = lookup.ticket?.(identity);
  if (ticket) {
    return {
      kind: "resumption",
      identity,
      key: ticket.psk,
      hash: hashOfSuite(ticket.suite),
      label: "ticket",
    };
  }
  return null;
}

/**
 * The server's rule: the first identity, in the client's order, that we know and whose hash fits
 * a suite we accept (our preference among those). Identities we do not know, or cannot pair with a
 * suite, are skipped (RFC 9846 §4.3.11: the server picks; unknown identities are not an error).
 */
export function choosePsk(offered: OfferedPsks, lookup: PskLookup): PskChoice | null {
  for (const [index, { identity }] of offered.identities.entries()) {
    const psk = lookupPsk(identity, lookup);
    if (!psk) continue;
    const suite = lookup.suites.find((s) => hashOfSuite(s) === psk.hash);
    if (suite) return { psk, index, suite };
  }
  return null;
}
