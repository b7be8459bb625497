// The TLS 1.3 key schedule (RFC 9846 §7.1) and the transcript hash (§4.4.1).
//
//   PSK or 0 ─► Extract ─► Early Secret ─► Derive "derived" ─┐
//   (EC)DHE/KEM secret or 0 ──────────────────────► Extract ─► Handshake Secret ─► c/s hs traffic
//                                                                └► Derive "derived" ─┐
//                                                   0 ──────────────────────► Extract ─► Master
//
// The early secret takes a PSK when there is one, so external PSKs and resumption (binder keys,
// early traffic) build on this class without changing it.

import { hmac } from "@noble/hashes/hmac.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import type { CHash } from "@noble/hashes/utils.js";
import { TlsAlert } from "./alert.ts";
import { concat, Writer } from "./codec.ts";
import { CIPHER_SUITES, type CipherSuiteName, HANDSHAKE_TYPES } from "./names.ts";

type HashFn = CHash;

export interface CipherSuite {
  name: CipherSuiteName;
  code: number;
  hash: HashFn;
  hashLen: number;
  keyLen: number;
  aead: "aes-gcm" | "chacha20-poly1305";
}

export const SUITES: Record<CipherSuiteName, CipherSuite> = {
  TLS_AES_128_GCM_SHA256: {
    name: "TLS_AES_128_GCM_SHA256",
    code: CIPHER_SUITES.TLS_AES_128_GCM_SHA256,
    hash: sha256,
    hashLen: 32,
    keyLen: 16,
    aead: "aes-gcm",
  },
  TLS_AES_256_GCM_SHA384: {
    name: "TLS_AES_256_GCM_SHA384",
    code: CIPHER_SUITES.TLS_AES_256_GCM_SHA384,
    hash: sha384,
    hashLen: 48,
    keyLen: 32,
    aead: "aes-gcm",
  },
  TLS_CHACHA20_POLY1305_SHA256: {
    name: "TLS_CHACHA20_POLY1305_SHA256",
    code: CIPHER_SUITES.TLS_CHACHA20_POLY1305_SHA256,
    hash: sha256,
    hashLen: 32,
    keyLen: 32,
    aead: "chacha20-poly1305",
  },
};

export function suiteByCode(code: number): CipherSuite | null {
  return Object.values(SUITES).find((s) => s.code === code) ?? null;
}

const LABEL_PREFIX = new TextEncoder().encode("tls13 ");

/** HKDF-Expand-Label(Secret, Label, Context, Length) with the HkdfLabel struct of §7.1. */
export function expandLabel(
  hash: HashFn,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const info = new Writer()
    .u16(length)
    .opaque(1, concat(LABEL_PREFIX, new TextEncoder().encode(label)))
    .opaque(1, context)
    .finish();
  return expand(hash, secret, info, length);
}

/** Derive-Secret(Secret, Label, Messages) given Transcript-Hash(Messages). */
export const deriveSecret = (
  hash: HashFn,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array => expandLabel(hash, secret, label, transcriptHash, hash.outputLen);

export interface TrafficKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

export function trafficKeys(suite: CipherSuite, secret: Uint8Array): TrafficKeys {
  return {
    key: expandLabel(suite.hash, secret, "key", new Uint8Array(0), suite.keyLen),
    iv: expandLabel(suite.hash, secret, "iv", new Uint8Array(0), 12),
  };
}

/** application_traffic_secret_N+1 (§7.2, KeyUpdate). */
export const nextTrafficSecret = (suite: CipherSuite, secret: Uint8Array): Uint8Array =>
  expandLabel(suite.hash, secret, "traffic upd", new Uint8Array(0), suite.hashLen);

/** verify_data = HMAC(finished_key, Transcript-Hash) with finished_key from the base key (§4.4.4). */
export function finishedVerifyData(
  suite: CipherSuite,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
): Uint8Array {
  const finishedKey = expandLabel(
    suite.hash,
    baseKey,
    "finished",
    new Uint8Array(0),
    suite.hashLen,
  );
  return hmac(suite.hash, finishedKey, transcriptHash);
}

export class KeySchedule {
  readonly earlySecret: Uint8Array;
  handshakeSecret: Uint8Array | null = null;
  masterSecret: Uint8Array | null = null;

  /** `psk` null means no PSK: the early secret is Extract(0, 0) (§7.1). */
  constructor(readonly suite: CipherSuite, psk: Uint8Array | null = null) {
    const zeros = new Uint8Array(suite.hashLen);
    this.earlySecret = extract(suite.hash, psk ?? zeros, zeros);
  }

  private get emptyHash(): Uint8Array {
    return this.suite.hash(new Uint8Array(0));
  }

  /** Mixes in the (EC)DHE/KEM shared secret; null for psk_ke (all zeros). */
  enterHandshake(sharedSecret: Uint8Array | null): void {
    const salt = deriveSecret(this.suite.hash, this.earlySecret, "derived", this.emptyHash);
    const ikm = sharedSecret ?? new Uint8Array(this.suite.hashLen);
    this.handshakeSecret = extract(this.suite.hash, ikm, salt);
  }

  /** Client and server handshake traffic secrets, given Hash(ClientHello..ServerHello). */
  handshakeTrafficSecrets(helloHash: Uint8Array): { client: Uint8Array; server: Uint8Array } {
    const hs = this.require(this.handshakeSecret, "handshake secret");
    return {
      client: deriveSecret(this.suite.hash, hs, "c hs traffic", helloHash),
      server: deriveSecret(this.suite.hash, hs, "s hs traffic", helloHash),
    };
  }

  enterMaster(): void {
    const hs = this.require(this.handshakeSecret, "handshake secret");
    const salt = deriveSecret(this.suite.hash, hs, "derived", this.emptyHash);
    this.masterSecret = extract(this.suite.hash, new Uint8Array(this.suite.hashLen), salt);
  }

  /** Application traffic secrets and exporter secret, given Hash(ClientHello..server Finished). */
  applicationSecrets(serverFinishedHash: Uint8Array) {
    const ms = this.require(this.masterSecret, "master secret");
    const h = this.suite.hash;
    return {
      client: deriveSecret(h, ms, "c ap traffic", serverFinishedHash),
      server: deriveSecret(h, ms, "s ap traffic", serverFinishedHash),
      exporter: deriveSecret(h, ms, "exp master", serverFinishedHash),
    };
  }

  /** Given Hash(ClientHello..client Finished). */
  resumptionMasterSecret(clientFinishedHash: Uint8Array): Uint8Array {
    const ms = this.require(this.masterSecret, "master secret");
    return deriveSecret(this.suite.hash, ms, "res master", clientFinishedHash);
  }

  private require(secret: Uint8Array | null, what: string): Uint8Array {
    if (!secret) throw new Error(`key schedule used out of order: no ${what} yet`);
    return secret;
  }
}

/**
 * The running transcript: every handshake message, in order, as sent. The hash function is only
 * known after ServerHello, so messages are kept and hashed on demand.
 */
export class TranscriptHash {
  private messages: Uint8Array[] = [];

  add(message: Uint8Array): void {
    this.messages.push(message);
  }

  hash(suite: CipherSuite): Uint8Array {
    return suite.hash(concat(...this.messages));
  }

  /**
   * After a HelloRetryRequest the first ClientHello is replaced by message_hash:
   * 0xfe 00 00 Hash.length ‖ Hash(ClientHello1) (§4.4.1).
   */
  replaceFirstWithMessageHash(suite: CipherSuite): void {
    const [first, ...rest] = this.messages;
    const digest = suite.hash(first);
    const header = new Uint8Array([HANDSHAKE_TYPES.message_hash, 0, 0, digest.length]);
    this.messages = [concat(header, digest), ...rest];
  }
}

/**
 * Compares a MAC the peer sent with the one we computed in time that depends only on the length:
 * every byte is visited and the differences are OR-ed together, so a forger learns nothing from
 * how soon a guess is refused (Finished here, PSK binders in psk.ts). The length is public.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** The peer's Finished against ours (RFC 9846 §4.4.4): wrong length decode_error, else decrypt_error. */
export function checkFinished(got: Uint8Array, expected: Uint8Array, who: string): void {
  if (got.length !== expected.length) {
    throw new TlsAlert(
      "decode_error",
      `${who} Finished has ${got.length} bytes of verify_data, expected ${expected.length}`,
    );
  }
  if (!constantTimeEqual(got, expected)) {
    throw new TlsAlert("decrypt_error", `${who} Finished verify_data does not match`);
  }
}
