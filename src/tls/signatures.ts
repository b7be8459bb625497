// Signing keys and signature checks for CertificateVerify and for certificates.
//
// Three layers, top to bottom:
//   1. Key formats: SubjectPublicKeyInfo and PKCS#8, one encoder and one decoder each, for every
//      CertKind (EC P-256/P-384, Ed25519, RSA, ML-DSA-44/65/87).
//   2. Algorithms: a SignatureAlgorithm says how to sign (ECDSA+hash, Ed25519, RSA-PSS/PKCS#1+hash,
//      ML-DSA); TLS SignatureSchemes and certificate signature OIDs both map onto it.
//   3. The TLS API: SigningKey, importPrivateKeyPem, verifySignature, schemesForSpki.
//
// TLS signs the message with the scheme's hash: ECDSA gets the digest (noble's own prehash is
// switched off so P-256 with SHA-384 in a certificate works the same way), ML-DSA is pure ML-DSA
// with an empty context (draft-ietf-tls-mldsa), and ECDSA signatures are DER in TLS and X.509.

import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import {
  bigintToBytes,
  bytesToBigint,
  childrenOf,
  contextTag,
  decodeBitString,
  decodeDer,
  decodeInteger,
  decodeOctetString,
  decodeOid,
  type Der,
  encodeBitString,
  encodeContext,
  encodeInteger,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  expectTag,
  pemBlocks,
  TAG,
} from "./asn1.ts";
import { TlsAlert } from "./alert.ts";
import { equalBytes } from "./codec.ts";
import { type CertKind, type SignatureSchemeName } from "./names.ts";
import {
  HASHES,
  type HashName,
  modInverse,
  modulusBits,
  pssSalt,
  signPss,
  verifyPkcs1,
  verifyPss,
} from "./rsa.ts";

export type { HashName };

export const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  prime256v1: "1.2.840.10045.3.1.7",
  secp384r1: "1.3.132.0.34",
  ed25519: "1.3.101.112",
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsassaPss: "1.2.840.113549.1.1.10",
  sha256WithRSAEncryption: "1.2.840.113549.1.1.11",
  sha384WithRSAEncryption: "1.2.840.113549.1.1.12",
  sha512WithRSAEncryption: "1.2.840.113549.1.1.13",
  mgf1: "1.2.840.113549.1.1.8",
  ecdsaWithSHA256: "1.2.840.10045.4.3.2",
  ecdsaWithSHA384: "1.2.840.10045.4.3.3",
  ecdsaWithSHA512: "1.2.840.10045.4.3.4",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  mldsa44: "2.16.840.1.101.3.4.3.17",
  mldsa65: "2.16.840.1.101.3.4.3.18",
  mldsa87: "2.16.840.1.101.3.4.3.19",
} as const;

type Curve = "P-256" | "P-384";
type MlDsaLevel = 44 | 65 | 87;

const CURVES = { "P-256": p256, "P-384": p384 } as const;
const CURVE_OID: Record<Curve, string> = { "P-256": OID.prime256v1, "P-384": OID.secp384r1 };
const SCALAR_BYTES: Record<Curve, number> = { "P-256": 32, "P-384": 48 };
const MLDSA = { 44: ml_dsa44, 65: ml_dsa65, 87: ml_dsa87 } as const;
const MLDSA_OID: Record<MlDsaLevel, string> = { 44: OID.mldsa44, 65: OID.mldsa65, 87: OID.mldsa87 };

// ---------------------------------------------------------------------------------------------
// 1. Key formats

export type PublicKey =
  | { type: "ec"; curve: Curve; point: Uint8Array }
  | { type: "ed25519"; key: Uint8Array }
  | { type: "rsa"; n: bigint; e: bigint }
  | { type: "mldsa"; level: MlDsaLevel; key: Uint8Array };

export function encodeSpki(key: PublicKey): Uint8Array {
  switch (key.type) {
    case "ec":
      return encodeSequence(
        encodeSequence(encodeOid(OID.ecPublicKey), encodeOid(CURVE_OID[key.curve])),
        encodeBitString(key.point),
      );
    case "ed25519":
      return encodeSequence(encodeSequence(encodeOid(OID.ed25519)), encodeBitString(key.key));
    case "rsa":
      return encodeSequence(
        encodeSequence(encodeOid(OID.rsaEncryption), encodeNull()),
        encodeBitString(encodeSequence(encodeInteger(key.n), encodeInteger(key.e))),
      );
    case "mldsa":
      return encodeSequence(
        encodeSequence(encodeOid(MLDSA_OID[key.level])),
        encodeBitString(key.key),
      );
  }
}

/** Decodes a SubjectPublicKeyInfo; an algorithm we cannot use is unsupported_certificate. */
export function decodeSpki(spki: Uint8Array | Der): PublicKey {
  const what = "SubjectPublicKeyInfo";
  const node = spki instanceof Uint8Array ? decodeDer(spki, what) : spki;
  const [alg, bits] = childrenOf(expectTag(node, TAG.SEQUENCE, what, what), what, what, 2);
  const [oidNode, params] = childrenOf(
    expectTag(alg, TAG.SEQUENCE, "algorithm", what),
    "algorithm",
    what,
    1,
  );
  const oid = decodeOid(oidNode, "algorithm", what);
  const keyBytes = decodeBitString(bits, "subjectPublicKey", what);
  const sized = (name: string, n: number) => {
    if (keyBytes.length !== n) {
      throw new TlsAlert(
        "bad_certificate",
        `${what}: ${name} public key is ${keyBytes.length} bytes, expected ${n}`,
      );
    }
  };
  if (oid === OID.ecPublicKey) {
    const curveOid = decodeOid(params, "namedCurve", what);
    const curve = (Object.keys(CURVE_OID) as Curve[]).find((c) => CURVE_OID[c] === curveOid);
    if (!curve) {
      throw new TlsAlert(
        "unsupported_certificate",
        `${what}: EC curve ${curveOid} is not supported`,
      );
    }
    sized(curve, 1 + 2 * SCALAR_BYTES[curve]);
    return { type: "ec", curve, point: keyBytes.slice() };
  }
  if (oid === OID.ed25519) {
    sized("Ed25519", 32);
    return { type: "ed25519", key: keyBytes.slice() };
  }
  if (oid === OID.rsaEncryption) {
    const rsa = decodeDer(keyBytes, "RSAPublicKey");
    const [n, e] = childrenOf(rsa, "RSAPublicKey", "RSAPublicKey", 2);
    return {
      type: "rsa",
      n: decodeInteger(n, "modulus", what),
      e: decodeInteger(e, "publicExponent", what),
    };
  }
  const level = mldsaLevelOf(oid);
  if (level) {
    sized(`ML-DSA-${level}`, MLDSA[level].lengths.publicKey!);
    return { type: "mldsa", level, key: keyBytes.slice() };
  }
  throw new TlsAlert("unsupported_certificate", `${what}: key algorithm ${oid} is not supported`);
}

const mldsaLevelOf = (oid: string): MlDsaLevel | undefined =>
  ([44, 65, 87] as const).find((l) => MLDSA_OID[l] === oid);

/** "ECDSA P-256", "Ed25519", "RSA 2048", "ML-DSA-65": how a report names a key. */
export function describeKey(key: PublicKey): string {
  switch (key.type) {
    case "ec":
      return `ECDSA ${key.curve}`;
    case "ed25519":
      return "Ed25519";
    case "rsa":
      return `RSA ${modulusBits(key.n)}`;
    case "mldsa":
      return `ML-DSA-${key.level}`;
  }
}

export type PrivateKey =
  | { type: "ec"; curve: Curve; scalar: Uint8Array }
  | { type: "ed25519"; seed: Uint8Array }
  | { type: "rsa"; n: bigint; e: bigint; d: bigint; p: bigint; q: bigint }
  /** `seed` is the 32-byte ξ when known; `expanded` the FIPS 204 private key. */
  | { type: "mldsa"; level: MlDsaLevel; seed: Uint8Array | null; expanded: Uint8Array };

/**
 * PKCS#8 PrivateKeyInfo. ML-DSA keys are written in the "both" form of RFC 9881
 * (SEQUENCE { seed, expandedKey }), the form OpenSSL 3.5 writes by default, which OpenSSL, wolfSSL
 * and rustls load. BoringSSL loads only the seed-only form, so its program re-encodes the key
 * (containers/boringssl/pqi-boring.ts). All three forms are read.
 */
export function encodePkcs8(key: PrivateKey): Uint8Array {
  const info = (alg: Uint8Array, inner: Uint8Array) =>
    encodeSequence(encodeInteger(0), alg, encodeOctetString(inner));
  switch (key.type) {
    case "ec": {
      const point = CURVES[key.curve].getPublicKey(key.scalar, false);
      // RFC 5915 ECPrivateKey; the curve is in the outer AlgorithmIdentifier already.
      const ecPrivateKey = encodeSequence(
        encodeInteger(1),
        encodeOctetString(key.scalar),
        encodeContext(1, encodeBitString(point)),
      );
      return info(
        encodeSequence(encodeOid(OID.ecPublicKey), encodeOid(CURVE_OID[key.curve])),
        ecPrivateKey,
      );
    }
    case "ed25519":
      return info(encodeSequence(encodeOid(OID.ed25519)), encodeOctetString(key.seed));
    case "rsa": {
      const { n, e, d, p, q } = key;
      const rsaPrivateKey = encodeSequence(
        ...[0n, n, e, d, p, q, d % (p - 1n), d % (q - 1n), modInverse(q, p)].map((v) =>
          encodeInteger(v)
        ),
      );
      return info(encodeSequence(encodeOid(OID.rsaEncryption), encodeNull()), rsaPrivateKey);
    }
    case "mldsa": {
      if (!key.seed) throw new Error("ML-DSA PKCS#8 without a seed is not written (only read)");
      const both = encodeSequence(encodeOctetString(key.seed), encodeOctetString(key.expanded));
      return info(encodeSequence(encodeOid(MLDSA_OID[key.level])), both);
    }
  }
}

export function decodePkcs8(der: Uint8Array): PrivateKey {
  const what = "PKCS#8 private key";
  const top = childrenOf(decodeDer(der, what), what, what, 3);
  const [oidNode, params] = childrenOf(
    expectTag(top[1], TAG.SEQUENCE, "algorithm", what),
    "algorithm",
    what,
    1,
  );
  const oid = decodeOid(oidNode, "algorithm", what);
  const inner = decodeOctetString(top[2], "privateKey", what);
  if (oid === OID.ecPublicKey) {
    return decodeEcPrivateKey(inner, decodeOid(params, "namedCurve", what));
  }
  if (oid === OID.ed25519) {
    return {
      type: "ed25519",
      seed: decodeOctetString(decodeDer(inner, what), "CurvePrivateKey", what).slice(),
    };
  }
  if (oid === OID.rsaEncryption) return decodeRsaPrivateKey(inner);
  const level = mldsaLevelOf(oid);
  if (level) {
    const dsa = MLDSA[level];
    const node = decodeDer(inner, what);
    if (node.tag === contextTag(0, false)) { // seed [0] IMPLICIT OCTET STRING
      return {
        type: "mldsa",
        level,
        seed: node.content.slice(),
        expanded: dsa.keygen(node.content).secretKey,
      };
    }
    if (node.tag === TAG.OCTET_STRING) {
      return { type: "mldsa", level, seed: null, expanded: node.content.slice() };
    }
    const [seed, expanded] = childrenOf(
      expectTag(node, TAG.SEQUENCE, "ML-DSA private key", what),
      what,
      what,
      2,
    );
    const s = decodeOctetString(seed, "seed", what).slice();
    const e = decodeOctetString(expanded, "expandedKey", what).slice();
    // The "both" form carries the key twice; a file whose halves disagree is corrupt.
    if (!equalBytes(dsa.keygen(s).secretKey, e)) {
      throw new TlsAlert(
        "internal_error",
        `${what}: ML-DSA-${level} seed and expanded key do not match`,
      );
    }
    return { type: "mldsa", level, seed: s, expanded: e };
  }
  throw new TlsAlert("internal_error", `${what}: key algorithm ${oid} is not supported`);
}

/**
 * SEC 1 §C.4 ECPrivateKey (what `openssl ecparam -genkey` writes as "EC PRIVATE KEY", and what
 * PKCS#8 wraps): version 1, the scalar, then [0] the curve and [1] the public key, both optional.
 * `outerCurve` is the curve PKCS#8 names outside; a SEC1 file alone names it in [0].
 */
export function decodeEcPrivateKey(der: Uint8Array, outerCurve: string | null = null): PrivateKey {
  const what = "EC private key (SEC 1 ECPrivateKey)";
  const fields = childrenOf(decodeDer(der, what), "ECPrivateKey", what, 2);
  if (decodeInteger(fields[0], "version", what) !== 1n) {
    throw new TlsAlert("internal_error", `${what}: version is not 1`);
  }
  const params = fields.find((f) => f.tag === contextTag(0, true));
  const innerCurve = params
    ? decodeOid(childrenOf(params, "parameters", what, 1)[0], "namedCurve", what)
    : null;
  if (outerCurve && innerCurve && outerCurve !== innerCurve) {
    throw new TlsAlert(
      "internal_error",
      `${what}: names curve ${innerCurve} inside and ${outerCurve} outside`,
    );
  }
  const curveOid = outerCurve ?? innerCurve;
  if (!curveOid) {
    throw new TlsAlert("internal_error", `${what}: no named curve ([0] parameters missing)`);
  }
  const curve = (Object.keys(CURVE_OID) as Curve[]).find((c) => CURVE_OID[c] === curveOid);
  if (!curve) {
    throw new TlsAlert("internal_error", `${what}: EC curve ${curveOid} is not supported`);
  }
  // Some writers drop leading zero bytes of the scalar; normalise to the curve's size.
  const raw = decodeOctetString(fields[1], "privateKey", what);
  const scalar = bigintToBytes(bytesToBigint(raw), SCALAR_BYTES[curve]);
  return { type: "ec", curve, scalar };
}

/** PKCS#1 RSAPrivateKey (RFC 8017 A.1.2, "RSA PRIVATE KEY"; also what PKCS#8 wraps). */
export function decodeRsaPrivateKey(der: Uint8Array): PrivateKey {
  const what = "RSA private key (PKCS#1 RSAPrivateKey)";
  const v = childrenOf(decodeDer(der, what), "RSAPrivateKey", what, 9)
    .map((node, i) => decodeInteger(node, `RSAPrivateKey field ${i}`, what));
  return { type: "rsa", n: v[1], e: v[2], d: v[3], p: v[4], q: v[5] };
}

export function publicKeyOf(key: PrivateKey): PublicKey {
  switch (key.type) {
    case "ec":
      return {
        type: "ec",
        curve: key.curve,
        point: CURVES[key.curve].getPublicKey(key.scalar, false),
      };
    case "ed25519":
      return { type: "ed25519", key: ed25519.getPublicKey(key.seed) };
    case "rsa":
      return { type: "rsa", n: key.n, e: key.e };
    case "mldsa":
      return { type: "mldsa", level: key.level, key: MLDSA[key.level].getPublicKey(key.expanded) };
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Algorithms

export type SignatureAlgorithm =
  | { type: "ecdsa"; hash: HashName }
  | { type: "ed25519" }
  /** saltLength defaults to the hash length (TLS 1.3); certificates may say otherwise. */
  | { type: "rsa-pss"; hash: HashName; saltLength?: number }
  | { type: "rsa-pkcs1"; hash: HashName }
  | { type: "mldsa"; level: MlDsaLevel };

/** What each TLS SignatureScheme means, and which key it needs (RFC 9846 §4.3.3). */
const SCHEMES: Partial<
  Record<SignatureSchemeName, { alg: SignatureAlgorithm; key: (k: PublicKey) => boolean }>
> = {
  ecdsa_secp256r1_sha256: {
    alg: { type: "ecdsa", hash: "sha256" },
    key: (k) => k.type === "ec" && k.curve === "P-256",
  },
  ecdsa_secp384r1_sha384: {
    alg: { type: "ecdsa", hash: "sha384" },
    key: (k) => k.type === "ec" && k.curve === "P-384",
  },
  ed25519: { alg: { type: "ed25519" }, key: (k) => k.type === "ed25519" },
  rsa_pss_rsae_sha256: { alg: { type: "rsa-pss", hash: "sha256" }, key: (k) => k.type === "rsa" },
  rsa_pss_rsae_sha384: { alg: { type: "rsa-pss", hash: "sha384" }, key: (k) => k.type === "rsa" },
  rsa_pss_rsae_sha512: { alg: { type: "rsa-pss", hash: "sha512" }, key: (k) => k.type === "rsa" },
  rsa_pkcs1_sha256: { alg: { type: "rsa-pkcs1", hash: "sha256" }, key: (k) => k.type === "rsa" },
  rsa_pkcs1_sha384: { alg: { type: "rsa-pkcs1", hash: "sha384" }, key: (k) => k.type === "rsa" },
  rsa_pkcs1_sha512: { alg: { type: "rsa-pkcs1", hash: "sha512" }, key: (k) => k.type === "rsa" },
  mldsa44: { alg: { type: "mldsa", level: 44 }, key: (k) => k.type === "mldsa" && k.level === 44 },
  mldsa65: { alg: { type: "mldsa", level: 65 }, key: (k) => k.type === "mldsa" && k.level === 65 },
  mldsa87: { alg: { type: "mldsa", level: 87 }, key: (k) => k.type === "mldsa" && k.level === 87 },
};

/** Schemes a TLS 1.3 CertificateVerify may use with this key (never PKCS#1 v1.5). */
const TLS13_SCHEMES: readonly SignatureSchemeName[] = [
  "ecdsa_secp256r1_sha256",
  "ecdsa_secp384r1_sha384",
  "ed25519",
  "rsa_pss_rsae_sha256",
  "rsa_pss_rsae_sha384",
  "rsa_pss_rsae_sha512",
  "mldsa44",
  "mldsa65",
  "mldsa87",
];

function schemeInfo(scheme: SignatureSchemeName) {
  const info = SCHEMES[scheme];
  if (!info) throw new TlsAlert("illegal_parameter", `signature scheme ${scheme} is not supported`);
  return info;
}

/** Verifies with a decoded key; malformed signature bytes are simply "not valid". */
export function verifyWithKey(
  key: PublicKey,
  alg: SignatureAlgorithm,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (alg.type === "ecdsa" && key.type === "ec") {
      const digest = HASHES[alg.hash].digest(message);
      // OpenSSL and others produce high-S signatures; only Bitcoin cares about low S.
      return CURVES[key.curve].verify(signature, digest, key.point, {
        prehash: false,
        format: "der",
        lowS: false,
      });
    }
    if (alg.type === "ed25519" && key.type === "ed25519") {
      return ed25519.verify(signature, message, key.key);
    }
    if (alg.type === "rsa-pss" && key.type === "rsa") {
      return verifyPss(key, alg.hash, message, signature, alg.saltLength);
    }
    if (alg.type === "rsa-pkcs1" && key.type === "rsa") {
      return verifyPkcs1(key, alg.hash, message, signature);
    }
    if (alg.type === "mldsa" && key.type === "mldsa" && alg.level === key.level) {
      return MLDSA[key.level].verify(signature, message, key.key);
    }
  } catch {
    return false;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// 3. The TLS API

export interface SigningKey {
  kind: CertKind;
  /** The TLS 1.3 schemes this key signs with, preferred first. */
  schemes: SignatureSchemeName[];
  spki: Uint8Array;
  sign(
    scheme: SignatureSchemeName,
    message: Uint8Array,
    opts?: { pssSalt?: Uint8Array },
  ): Promise<Uint8Array>;
}

const KIND_OF = (key: PrivateKey): CertKind => {
  switch (key.type) {
    case "ec":
      return key.curve === "P-256" ? "ecdsa-p256" : "ecdsa-p384";
    case "ed25519":
      return "ed25519";
    case "rsa":
      return "rsa2048"; // the RSA kind, whatever the modulus (RFC 8448's key is 1024 bits)
    case "mldsa":
      return `mldsa${key.level}`;
  }
};

/** A SigningKey from decoded private key material. */
export function signingKey(key: PrivateKey): SigningKey {
  const pub = publicKeyOf(key);
  const spki = encodeSpki(pub);
  const schemes = schemesForKey(pub);
  return {
    kind: KIND_OF(key),
    schemes,
    spki,
    async sign(scheme, message, opts) {
      const info = schemeInfo(scheme);
      if (!info.key(pub)) {
        throw new TlsAlert(
          "internal_error",
          `cannot sign ${scheme} with a ${describeKey(pub)} key`,
        );
      }
      return await Promise.resolve(signWith(key, info.alg, message, opts?.pssSalt));
    },
  };
}

/** Signs tbs-style bytes with an algorithm (certificate generation uses this directly). */
export function signWith(
  key: PrivateKey,
  alg: SignatureAlgorithm,
  message: Uint8Array,
  pssSaltBytes?: Uint8Array,
): Uint8Array {
  if (alg.type === "ecdsa" && key.type === "ec") {
    const digest = HASHES[alg.hash].digest(message);
    return CURVES[key.curve].sign(digest, key.scalar, { prehash: false, format: "der" });
  }
  if (alg.type === "ed25519" && key.type === "ed25519") return ed25519.sign(message, key.seed);
  if (alg.type === "rsa-pss" && key.type === "rsa") {
    const salt = pssSaltBytes ?? crypto.getRandomValues(new Uint8Array(HASHES[alg.hash].size));
    if (salt.length !== HASHES[alg.hash].size) {
      throw new TlsAlert(
        "internal_error",
        `PSS salt must be ${HASHES[alg.hash].size} bytes, got ${salt.length}`,
      );
    }
    return signPss(key, alg.hash, message, salt);
  }
  if (alg.type === "mldsa" && key.type === "mldsa" && alg.level === key.level) {
    return MLDSA[key.level].sign(message, key.expanded);
  }
  throw new TlsAlert("internal_error", `cannot sign ${alg.type} with a ${key.type} key`);
}

/** The PEM labels a private key file may use, and how each is read. */
const KEY_PEMS: [string, (der: Uint8Array) => PrivateKey][] = [
  ["PRIVATE KEY", decodePkcs8], // PKCS#8, any CertKind
  ["EC PRIVATE KEY", (der) => decodeEcPrivateKey(der)], // SEC 1 (openssl ecparam -genkey)
  ["RSA PRIVATE KEY", decodeRsaPrivateKey], // PKCS#1 (openssl genrsa -traditional)
];

/**
 * A SigningKey from the first private key block in `pem`: PKCS#8, SEC 1 or PKCS#1, as OpenSSL,
 * Go and rustls load them. Other blocks (an "EC PARAMETERS" block before the key) are skipped.
 */
export async function importPrivateKeyPem(pem: string): Promise<SigningKey> {
  for (const [label, decode] of KEY_PEMS) {
    const [der] = pemBlocks(pem, label);
    if (der) return await Promise.resolve(signingKey(decode(der)));
  }
  throw new TlsAlert(
    "internal_error",
    `no ${KEY_PEMS.map(([l]) => `"${l}"`).join(", ")} block in the PEM text`,
  );
}

/** The RSA key from hex components (RFC 8448 §2 gives n, e, d, p, q). */
export function rsaKeyFromComponents(
  c: { n: string; e: string; d: string; p: string; q: string },
): SigningKey {
  const big = (h: string) => BigInt("0x" + h);
  return signingKey({
    type: "rsa",
    n: big(c.n),
    e: big(c.e),
    d: big(c.d),
    p: big(c.p),
    q: big(c.q),
  });
}

/**
 * The salt inside an RSA-PSS signature (TLS: salt length = hash length). Verification recovers
 * it anyway; a test feeds it back to sign() to reproduce a published signature byte for byte.
 */
export function recoverPssSalt(
  spki: Uint8Array,
  scheme: SignatureSchemeName,
  signature: Uint8Array,
): Uint8Array {
  const { alg } = schemeInfo(scheme);
  const key = decodeSpki(spki);
  if (alg.type !== "rsa-pss" || key.type !== "rsa") {
    throw new TlsAlert(
      "internal_error",
      `${scheme} with a ${describeKey(key)} key has no PSS salt`,
    );
  }
  const salt = pssSalt(key, alg.hash, signature);
  if (!salt) {
    throw new TlsAlert("decrypt_error", `the ${scheme} signature has malformed PSS padding`);
  }
  return salt;
}

/**
 * Checks a TLS signature. A scheme that does not fit the key is illegal_parameter (the peer chose
 * it); a signature that does not verify returns false (the caller sends decrypt_error).
 */
export async function verifySignature(
  scheme: SignatureSchemeName,
  spki: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const info = schemeInfo(scheme);
  const key = decodeSpki(spki);
  if (!info.key(key)) {
    throw new TlsAlert(
      "illegal_parameter",
      `signature scheme ${scheme} cannot be used with a ${describeKey(key)} key`,
    );
  }
  return await Promise.resolve(verifyWithKey(key, info.alg, message, signature));
}

/** The TLS 1.3 CertificateVerify schemes that fit this key, preferred first. */
export function schemesForSpki(spki: Uint8Array): SignatureSchemeName[] {
  return schemesForKey(decodeSpki(spki));
}

const schemesForKey = (key: PublicKey): SignatureSchemeName[] =>
  TLS13_SCHEMES.filter((s) => SCHEMES[s]!.key(key));
