// RSA with BigInt: the private-key operation (with CRT), EMSA-PSS (RFC 8017 §9.1) with an
// injectable salt, and PKCS #1 v1.5 verification for certificate signatures. WebCrypto would do
// PSS too, but it draws the salt itself; reproducing RFC 8448's CertificateVerify byte for byte
// needs the salt as an input, so the padding is done here and the salt can be recovered.
//
// Not constant time: this signs for a test harness, on test keys.

import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { bigintToBytes, bytesToBigint } from "./asn1.ts";
import { concat, equalBytes, fromHex } from "./codec.ts";

export type HashName = "sha256" | "sha384" | "sha512";

export const HASHES: Record<HashName, { digest: (m: Uint8Array) => Uint8Array; size: number }> = {
  sha256: { digest: sha256, size: 32 },
  sha384: { digest: sha384, size: 48 },
  sha512: { digest: sha512, size: 64 },
};

export interface RsaPublicKey {
  n: bigint;
  e: bigint;
}

export interface RsaPrivateKey extends RsaPublicKey {
  d: bigint;
  p: bigint;
  q: bigint;
}

export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

export function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

export const modulusBits = (n: bigint): number => n.toString(2).length;
const modulusBytes = (n: bigint): number => Math.ceil(modulusBits(n) / 8);

/** m^d mod n through the Chinese remainder theorem (about four times faster than plain). */
function privateOp(key: RsaPrivateKey, m: bigint): bigint {
  const { p, q, d } = key;
  const m1 = modPow(m, d % (p - 1n), p);
  const m2 = modPow(m, d % (q - 1n), q);
  const h = (modInverse(q, p) * (((m1 - m2) % p) + p)) % p;
  return m2 + h * q;
}

function mgf1(hash: HashName, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const { digest, size } = HASHES[hash];
  for (let counter = 0, at = 0; at < length; counter++, at += size) {
    const c = Uint8Array.of(
      counter >>> 24,
      (counter >>> 16) & 0xff,
      (counter >>> 8) & 0xff,
      counter & 0xff,
    );
    out.set(digest(concat(seed, c)).subarray(0, Math.min(size, length - at)), at);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// RSASSA-PSS: sign and verify side by side. TLS 1.3 fixes the salt length to the hash length.

const pssHash = (hash: HashName, mHash: Uint8Array, salt: Uint8Array) =>
  HASHES[hash].digest(concat(new Uint8Array(8), mHash, salt));

export function signPss(
  key: RsaPrivateKey,
  hash: HashName,
  message: Uint8Array,
  salt: Uint8Array,
): Uint8Array {
  const emBits = modulusBits(key.n) - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = HASHES[hash].size;
  if (emLen < hLen + salt.length + 2) {
    throw new RangeError("RSA key too small for PSS with this hash");
  }
  const h = pssHash(hash, HASHES[hash].digest(message), salt);
  const db = new Uint8Array(emLen - hLen - 1);
  db[db.length - salt.length - 1] = 0x01;
  db.set(salt, db.length - salt.length);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const em = concat(db, h, Uint8Array.of(0xbc));
  return bigintToBytes(privateOp(key, bytesToBigint(em)), modulusBytes(key.n));
}

/**
 * Undoes the PSS encoding of a signature: returns the salt when the padding is well formed, and
 * the hash H the signer committed to, or null. Checking H against a message is verifyPss.
 */
function openPss(key: RsaPublicKey, hash: HashName, signature: Uint8Array, saltLength: number) {
  const k = modulusBytes(key.n);
  if (signature.length !== k) return null;
  const s = bytesToBigint(signature);
  if (s >= key.n) return null;
  const emBits = modulusBits(key.n) - 1;
  const emLen = Math.ceil(emBits / 8);
  const m = modPow(s, key.e, key.n);
  if (m >> BigInt(8 * emLen) !== 0n) return null;
  const em = bigintToBytes(m, emLen);
  const hLen = HASHES[hash].size;
  if (emLen < hLen + saltLength + 2 || em[emLen - 1] !== 0xbc) return null;
  const topMask = 0xff << (8 - (8 * emLen - emBits)) & 0xff;
  if (em[0] & topMask) return null;
  const db = em.slice(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const ps = db.length - saltLength - 1;
  if (db.subarray(0, ps).some((b) => b !== 0) || db[ps] !== 0x01) return null;
  return { salt: db.slice(ps + 1), h };
}

/** Certificates may use another salt length (RSASSA-PSS-params); TLS 1.3 uses the hash length. */
export function verifyPss(
  key: RsaPublicKey,
  hash: HashName,
  message: Uint8Array,
  signature: Uint8Array,
  saltLength = HASHES[hash].size,
): boolean {
  const opened = openPss(key, hash, signature, saltLength);
  if (!opened) return false;
  return equalBytes(pssHash(hash, HASHES[hash].digest(message), opened.salt), opened.h);
}

/** The salt inside a PSS signature (salt length = hash length), or null if the padding is bad. */
export function pssSalt(
  key: RsaPublicKey,
  hash: HashName,
  signature: Uint8Array,
): Uint8Array | null {
  return openPss(key, hash, signature, HASHES[hash].size)?.salt ?? null;
}

// ---------------------------------------------------------------------------------------------
// RSASSA-PKCS1-v1_5: verification only (certificates signed by other CAs).

const DIGEST_INFO: Record<HashName, Uint8Array> = {
  sha256: fromHex("3031300d060960864801650304020105000420"),
  sha384: fromHex("3041300d060960864801650304020205000430"),
  sha512: fromHex("3051300d060960864801650304020305000440"),
};

export function verifyPkcs1(
  key: RsaPublicKey,
  hash: HashName,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const k = modulusBytes(key.n);
  if (signature.length !== k) return false;
  const s = bytesToBigint(signature);
  if (s >= key.n) return false;
  const t = concat(DIGEST_INFO[hash], HASHES[hash].digest(message));
  if (k < t.length + 11) return false;
  const expected = concat(
    Uint8Array.of(0, 1),
    new Uint8Array(k - t.length - 3).fill(0xff),
    Uint8Array.of(0),
    t,
  );
  return equalBytes(bigintToBytes(modPow(s, key.e, key.n), k), expected);
}
