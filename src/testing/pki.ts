// A small in-memory PKI for the reference peer's own tests: one CA and one CA:FALSE leaf per
// requested kind (SAN localhost + 127.0.0.1), built with the project's certificate builder.
// Cached per process so a test file pays for key generation once. The on-disk PKI the matrix
// uses is src/pki's; this exists so TS↔TS tests need no files.

import { buildCertificate, randomSerial } from "../pki/cert.ts";
import { generateKey } from "../pki/keygen.ts";
import { type PkiPaths, pkiPaths } from "../pki/layout.ts";
import {
  encodeBitString,
  encodeContext,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  pemBlocks,
  toPem,
} from "../tls/asn1.ts";
import { modInverse } from "../tls/rsa.ts";
import type { Credential } from "../tls/config.ts";
import type { CertKind } from "../tls/names.ts";
import {
  decodePkcs8,
  encodePkcs8,
  OID,
  type PrivateKey,
  publicKeyOf,
  signingKey,
} from "../tls/signatures.ts";

export interface TestLeaf extends Credential {
  certPem: string;
  keyPem: string;
}

export interface TestPki {
  ca: Uint8Array;
  caPem: string;
  /** A second, unrelated CA (for unknown_ca tests). */
  otherCa: Uint8Array;
  leaf(kind: CertKind): Promise<TestLeaf>;
}

const DAY = 86_400_000;

async function makeCa(name: string): Promise<{ der: Uint8Array; key: PrivateKey }> {
  const key = await generateKey("ecdsa-p256");
  const now = Date.now();
  const der = buildCertificate({
    cn: name,
    publicKey: publicKeyOf(key),
    issuer: { name, key },
    serial: randomSerial(),
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    isCa: true,
  });
  return { der, key };
}

let cached: Promise<TestPki> | null = null;

export function testPki(): Promise<TestPki> {
  cached ??= (async () => {
    const ca = await makeCa("pqinterop test CA");
    const other = await makeCa("unrelated CA");
    const leaves = new Map<CertKind, Promise<TestLeaf>>();
    const makeLeaf = async (kind: CertKind): Promise<TestLeaf> => {
      const key = await generateKey(kind);
      const now = Date.now();
      const der = buildCertificate({
        cn: `${kind} leaf`,
        publicKey: publicKeyOf(key),
        issuer: { name: "pqinterop test CA", key: ca.key },
        serial: randomSerial(),
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + 30 * DAY),
        isCa: false,
        dnsNames: ["localhost"],
        ipAddresses: ["127.0.0.1"],
      });
      return {
        chain: [der],
        key: signingKey(key),
        certPem: toPem("CERTIFICATE", der),
        keyPem: toPem("PRIVATE KEY", encodePkcs8(key)),
      };
    };
    return {
      ca: ca.der,
      caPem: toPem("CERTIFICATE", ca.der),
      otherCa: other.der,
      leaf(kind) {
        if (!leaves.has(kind)) leaves.set(kind, makeLeaf(kind));
        return leaves.get(kind)!;
      },
    };
  })();
  return cached;
}

/** Writes the CA and the leaves of `kinds` in the src/pki layout under `dir`. */
export async function writeTestPki(dir: string, kinds: CertKind[]): Promise<PkiPaths> {
  const pki = await testPki();
  const paths = pkiPaths(dir);
  await Deno.writeTextFile(paths.caCert, pki.caPem);
  for (const kind of kinds) {
    const leaf = await pki.leaf(kind);
    await Deno.writeTextFile(paths.leaf[kind].cert, leaf.certPem);
    await Deno.writeTextFile(paths.leaf[kind].key, leaf.keyPem);
    await Deno.writeTextFile(paths.leaf[kind].chain, leaf.certPem + pki.caPem);
  }
  return paths;
}

/**
 * A leaf's private key in the "traditional" PEM forms OpenSSL still writes: SEC 1 "EC PRIVATE
 * KEY" (after an "EC PARAMETERS" block, as `openssl ecparam -genkey` does) for EC keys, PKCS#1
 * "RSA PRIVATE KEY" for RSA keys. Null for kinds that have only PKCS#8.
 */
export function traditionalKeyPem(leaf: TestLeaf): string | null {
  const key = decodePkcs8(pemBlocks(leaf.keyPem, "PRIVATE KEY")[0]);
  if (key.type === "rsa") {
    const ints = [
      0n,
      key.n,
      key.e,
      key.d,
      key.p,
      key.q,
      key.d % (key.p - 1n),
      key.d % (key.q - 1n),
    ];
    const qInv = modInverse(key.q, key.p);
    return toPem(
      "RSA PRIVATE KEY",
      encodeSequence(...[...ints, qInv].map((v) => encodeInteger(v))),
    );
  }
  if (key.type !== "ec") return null;
  const pub = publicKeyOf(key) as { point: Uint8Array };
  const curve = encodeOid(key.curve === "P-256" ? OID.prime256v1 : OID.secp384r1);
  const sec1 = encodeSequence(
    encodeInteger(1),
    encodeOctetString(key.scalar),
    encodeContext(0, curve),
    encodeContext(1, encodeBitString(pub.point)),
  );
  return toPem("EC PARAMETERS", curve) + toPem("EC PRIVATE KEY", sec1);
}
