// The test PKI on disk: one ECDSA P-256 CA and one leaf per CertKind, in the fixed layout of
// layout.ts (plus the CA key, ca.key, and a record of what was made, pki.json).
//
// ensurePki is idempotent and safe to call from several processes at once: it takes a lock file,
// then generates only what is missing or no longer valid, and writes every file atomically
// (temporary file + rename), so a reader never sees half a certificate.

import {
  decodePkcs8,
  encodePkcs8,
  encodeSpki,
  type PrivateKey,
  publicKeyOf,
} from "../tls/signatures.ts";
import { pemBlocks, toPem } from "../tls/asn1.ts";
import { type Certificate, parseCertificate, verifyChain } from "../tls/x509.ts";
import { CERT_KINDS, type CertKind } from "../tls/names.ts";
import { DEFAULT_PKI_DIR, type PkiPaths, pkiPaths } from "./layout.ts";
import { buildCertificate, randomSerial } from "./cert.ts";
import { generateKey } from "./keygen.ts";

export { DEFAULT_PKI_DIR };

export const CA_NAME = "pqinterop test CA";
export const LEAF_DNS = ["localhost"];
export const LEAF_IPS = ["127.0.0.1"];
const DAY = 24 * 3600 * 1000;
/** Leaves and the CA are valid from a day ago (clock skew) for ten years. */
const VALIDITY_YEARS = 10;
/** Regenerate a certificate that expires within this margin. */
const RENEW_MARGIN = 30 * DAY;

export const caKeyPath = (root: string): string => `${root}/ca.key`;
export const manifestPath = (root: string): string => `${root}/pki.json`;

/** What pki.json records. */
export interface PkiManifest {
  ca: null | {
    subject: string;
    serial: string;
    keyAlgorithm: string;
    generatedAt: string;
    notAfter: string;
  };
  leaves: Partial<
    Record<
      CertKind,
      {
        subject: string;
        serial: string;
        keyAlgorithm: string;
        generatedAt: string;
        notAfter: string;
      }
    >
  >;
  kinds: CertKind[];
  updatedAt: string;
}

export async function ensurePki(root: string = DEFAULT_PKI_DIR): Promise<PkiPaths> {
  await Deno.mkdir(root, { recursive: true });
  const paths = pkiPaths(root);
  const release = await lock(`${root}/.pki.lock`);
  try {
    await generateMissing(root, paths);
  } finally {
    await release();
  }
  return paths;
}

async function generateMissing(root: string, paths: PkiPaths): Promise<void> {
  const now = new Date();
  const manifest: PkiManifest = (await readJson(manifestPath(root))) ?? {
    ca: null,
    leaves: {},
    kinds: [],
    updatedAt: now.toISOString(),
  };
  let changed = false;

  // The CA: reuse it while its files parse and it is not close to expiry.
  let ca = await loadPair(paths.caCert, caKeyPath(root));
  if (!ca || !isFresh(ca.cert, now)) {
    const key = await generateKey("ecdsa-p256");
    const der = buildCertificate({
      cn: CA_NAME,
      publicKey: publicKeyOf(key),
      issuer: { name: CA_NAME, key },
      serial: randomSerial(),
      ...validity(now),
      isCa: true,
    });
    await writeAtomic(caKeyPath(root), toPem("PRIVATE KEY", encodePkcs8(key)));
    await writeAtomic(paths.caCert, toPem("CERTIFICATE", der));
    ca = { cert: parseCertificate(der), key };
    manifest.ca = record(ca.cert, now);
    manifest.leaves = {}; // every leaf of an old CA is now unverifiable
    changed = true;
  }

  for (const kind of CERT_KINDS) {
    const files = paths.leaf[kind];
    const leaf = await loadPair(files.cert, files.key);
    const chainOk = leaf && (await readText(files.chain)) !== null &&
      isFresh(leaf.cert, now) &&
      (await verifiesUnder(leaf.cert, ca.cert, now));
    if (chainOk) continue;
    const key = await generateKey(kind);
    const der = buildCertificate({
      cn: `${kind}.localhost`,
      publicKey: publicKeyOf(key),
      issuer: { name: CA_NAME, key: ca.key },
      serial: randomSerial(),
      ...validity(now),
      isCa: false,
      dnsNames: LEAF_DNS,
      ipAddresses: LEAF_IPS,
    });
    const certPem = toPem("CERTIFICATE", der);
    await writeAtomic(files.key, toPem("PRIVATE KEY", encodePkcs8(key)));
    await writeAtomic(files.cert, certPem);
    await writeAtomic(files.chain, certPem + toPem("CERTIFICATE", ca.cert.der));
    manifest.leaves[kind] = record(parseCertificate(der), now);
    changed = true;
  }

  if (changed || !manifest.ca) {
    manifest.ca ??= record(ca.cert, now);
    manifest.kinds = [...CERT_KINDS];
    manifest.updatedAt = now.toISOString();
    await writeAtomic(manifestPath(root), JSON.stringify(manifest, null, 2) + "\n");
  }
}

const validity = (now: Date) => {
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  // Whole seconds: the DER times have no fractions, and a parsed certificate must compare equal.
  const second = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
  return { notBefore: second(new Date(now.getTime() - DAY)), notAfter: second(notAfter) };
};

const isFresh = (cert: Certificate, now: Date) =>
  cert.notBefore <= now && cert.notAfter.getTime() - now.getTime() > RENEW_MARGIN;

const record = (c: Certificate, now: Date) => ({
  subject: c.subject,
  serial: c.serial,
  keyAlgorithm: c.keyAlgorithm,
  generatedAt: now.toISOString(),
  notAfter: c.notAfter.toISOString(),
});

async function verifiesUnder(leaf: Certificate, ca: Certificate, now: Date): Promise<boolean> {
  try {
    await verifyChain([leaf.der], [ca.der], { serverName: LEAF_DNS[0], now });
    return true;
  } catch {
    return false;
  }
}

/** A certificate and its key from PEM files, or null when either is missing or unreadable. */
async function loadPair(
  certPath: string,
  keyPath: string,
): Promise<{ cert: Certificate; key: PrivateKey } | null> {
  const [certText, keyText] = await Promise.all([readText(certPath), readText(keyPath)]);
  if (certText === null || keyText === null) return null;
  try {
    const cert = parseCertificate(pemBlocks(certText, "CERTIFICATE")[0]);
    const key = decodePkcs8(pemBlocks(keyText, "PRIVATE KEY")[0]);
    // A key that does not belong to the certificate (a half-finished older run) counts as missing.
    const spki = encodeSpki(publicKeyOf(key));
    if (spki.length !== cert.spki.length || !spki.every((b, i) => b === cert.spki[i])) return null;
    return { cert, key };
  } catch {
    return null;
  }
}

async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  const text = await readText(path);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** Write to a sibling temporary file, then rename: readers see the old file or the new one. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(tmp, text, { mode: 0o644 });
  await Deno.rename(tmp, path);
}

/**
 * An exclusive lock by creating a file. A lock older than STALE_MS is from a process that died
 * mid-generation (generation takes well under a minute) and is broken.
 */
const STALE_MS = 120_000;

async function lock(path: string): Promise<() => Promise<void>> {
  for (;;) {
    try {
      const f = await Deno.open(path, { write: true, createNew: true });
      await f.write(new TextEncoder().encode(`${Deno.pid} ${new Date().toISOString()}\n`));
      f.close();
      return () => Deno.remove(path).catch(() => {});
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      const info = await Deno.stat(path).catch(() => null);
      if (info?.mtime && Date.now() - info.mtime.getTime() > STALE_MS) {
        await Deno.remove(path).catch(() => {});
        continue;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
