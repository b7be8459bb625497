// Builds the X.509 v3 certificates of the test PKI: a CA and CA:FALSE leaves with the extensions
// strict verifiers want (rustls/webpki rejects a CA:TRUE leaf and needs SAN, not CN). The parser
// counterpart is src/tls/x509.ts; x509_test parses everything built here.

import { sha256 } from "@noble/hashes/sha2.js";
import {
  contextTag,
  decodeBitString,
  decodeDer,
  encodeBitString,
  encodeBoolean,
  encodeContext,
  encodeInteger,
  encodeNamedBits,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTime,
  encodeTlv,
  encodeUtf8String,
} from "../tls/asn1.ts";
import {
  encodeSpki,
  OID,
  type PrivateKey,
  type PublicKey,
  publicKeyOf,
  type SignatureAlgorithm,
  signWith,
} from "../tls/signatures.ts";
import { EKU_OIDS, EXTENSION_OIDS, KEY_USAGE_BITS } from "../tls/x509.ts";

export interface Issuer {
  /** The issuer's common name. */
  name: string;
  key: PrivateKey;
}

export interface CertSpec {
  /** Common name; the subject is "O=pqinterop, CN=<cn>". */
  cn: string;
  publicKey: PublicKey;
  /** Who signs: the CA, or for the self-signed CA itself its own name and key. */
  issuer: Issuer;
  serial: bigint;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  dnsNames?: string[];
  ipAddresses?: string[];
}

export const ORGANIZATION = "pqinterop";

function encodeName(cn: string): Uint8Array {
  const rdn = (oid: string, value: string) =>
    encodeSet(encodeSequence(encodeOid(oid), encodeUtf8String(value)));
  return encodeSequence(rdn("2.5.4.10", ORGANIZATION), rdn("2.5.4.3", cn));
}

/** RFC 7093 §2 method 1: the leftmost 160 bits of SHA-256 over the subjectPublicKey bits. */
export function keyIdentifier(key: PublicKey): Uint8Array {
  const [, bits] = decodeDer(encodeSpki(key), "SubjectPublicKeyInfo").children!;
  return sha256(decodeBitString(bits, "subjectPublicKey", "SubjectPublicKeyInfo")).slice(0, 20);
}

/** How an issuer key signs certificates, and the AlgorithmIdentifier that says so. */
function signatureAlgorithmFor(key: PrivateKey): { alg: SignatureAlgorithm; id: Uint8Array } {
  switch (key.type) {
    case "ec":
      return key.curve === "P-256"
        ? {
          alg: { type: "ecdsa", hash: "sha256" },
          id: encodeSequence(encodeOid(OID.ecdsaWithSHA256)),
        }
        : {
          alg: { type: "ecdsa", hash: "sha384" },
          id: encodeSequence(encodeOid(OID.ecdsaWithSHA384)),
        };
    case "ed25519":
      return { alg: { type: "ed25519" }, id: encodeSequence(encodeOid(OID.ed25519)) };
    case "mldsa": {
      const oid = { 44: OID.mldsa44, 65: OID.mldsa65, 87: OID.mldsa87 }[key.level];
      return { alg: { type: "mldsa", level: key.level }, id: encodeSequence(encodeOid(oid)) };
    }
    case "rsa":
      throw new Error("RSA issuers are not supported by the test PKI (no PKCS#1 v1.5 signer)");
  }
}

const extension = (oid: string, critical: boolean, value: Uint8Array) =>
  encodeSequence(
    encodeOid(oid),
    ...(critical ? [encodeBoolean(true)] : []),
    encodeOctetString(value),
  );

function encodeIp(ip: string): Uint8Array {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) {
    throw new Error(`only IPv4 SANs are supported, got ${ip}`);
  }
  return Uint8Array.from(parts);
}

export function buildCertificate(spec: CertSpec): Uint8Array {
  const { alg, id } = signatureAlgorithmFor(spec.issuer.key);
  const issuerKeyId = keyIdentifier(publicKeyOf(spec.issuer.key));
  const usage: (typeof KEY_USAGE_BITS)[number][] = spec.isCa
    ? ["digitalSignature", "keyCertSign", "cRLSign"]
    : ["digitalSignature"];
  const extensions = [
    extension(
      EXTENSION_OIDS.basicConstraints,
      true,
      spec.isCa ? encodeSequence(encodeBoolean(true)) : encodeSequence(),
    ),
    extension(
      EXTENSION_OIDS.keyUsage,
      true,
      encodeNamedBits(usage.map((u) => KEY_USAGE_BITS.indexOf(u))),
    ),
    extension(
      EXTENSION_OIDS.subjectKeyIdentifier,
      false,
      encodeOctetString(keyIdentifier(spec.publicKey)),
    ),
    extension(
      EXTENSION_OIDS.authorityKeyIdentifier,
      false,
      encodeSequence(encodeTlv(contextTag(0, false), issuerKeyId)),
    ),
  ];
  if (!spec.isCa) {
    extensions.push(extension(
      EXTENSION_OIDS.extKeyUsage,
      false,
      encodeSequence(encodeOid(EKU_OIDS.serverAuth), encodeOid(EKU_OIDS.clientAuth)),
    ));
  }
  const sans = [
    ...(spec.dnsNames ?? []).map((d) =>
      encodeTlv(contextTag(2, false), new TextEncoder().encode(d))
    ),
    ...(spec.ipAddresses ?? []).map((ip) => encodeTlv(contextTag(7, false), encodeIp(ip))),
  ];
  if (sans.length) {
    extensions.push(extension(EXTENSION_OIDS.subjectAltName, false, encodeSequence(...sans)));
  }

  const tbs = encodeSequence(
    encodeContext(0, encodeInteger(2)), // v3
    encodeInteger(spec.serial),
    id,
    encodeName(spec.issuer.name),
    encodeSequence(encodeTime(spec.notBefore), encodeTime(spec.notAfter)),
    encodeName(spec.cn),
    encodeSpki(spec.publicKey),
    encodeContext(3, encodeSequence(...extensions)),
  );
  return encodeSequence(tbs, id, encodeBitString(signWith(spec.issuer.key, alg, tbs)));
}

/** A random positive serial of 16 bytes (RFC 5280 allows up to 20; the top bit clear keeps it positive). */
export function randomSerial(): bigint {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0] & 0x7f) | 0x40; // positive, and always 16 bytes long
  return BigInt("0x" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(""));
}
