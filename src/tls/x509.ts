// X.509 certificates as TLS needs them: parse one (RFC 5280 profile, annotated field by field
// for the transcript viewer) and verify a chain the way a strict client does (rustls/webpki):
// signatures up to a trust anchor, validity, CA:TRUE on issuers and CA:FALSE on the leaf, and the
// server name against the subjectAltName. Every failure names the certificate and the check.

import {
  childrenOf,
  contextTag,
  decodeBitString,
  decodeBoolean,
  decodeDer,
  decodeInteger,
  decodeNamedBits,
  decodeOctetString,
  decodeOid,
  decodeString,
  decodeTime,
  type Der,
  expectTag,
  pemBlocks,
  TAG,
} from "./asn1.ts";
import { TlsAlert } from "./alert.ts";
import { equalBytes, shortHex, toHex } from "./codec.ts";
import {
  decodeSpki,
  describeKey,
  type HashName,
  OID,
  type SignatureAlgorithm,
  verifyWithKey,
} from "./signatures.ts";
import type { CertificateInfo, Field } from "./summary.ts";

export { pemBlocks };

export interface Certificate {
  der: Uint8Array;
  /** The TBSCertificate bytes: what the issuer signed. */
  tbs: Uint8Array;
  subject: string;
  issuer: string;
  /** Serial number in hex. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** The SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
  /** "ECDSA P-256", "Ed25519", "RSA 2048", "ML-DSA-65". */
  keyAlgorithm: string;
  isCa: boolean;
  dnsNames: string[];
  ipAddresses: string[];
  /** "ecdsa-with-SHA256", "ML-DSA-65", … or the OID when unknown. */
  signatureAlgorithm: string;
  signature: Uint8Array;
  /** The certificate annotated field by field (offsets from the start of der). */
  fields: Field[];
  /** How to check the signature, or null when the algorithm is not supported. */
  signatureAlg: SignatureAlgorithm | null;
  /** keyUsage bit names, or null when the extension is absent. */
  keyUsage: string[] | null;
  /** Hex key identifiers from subjectKeyIdentifier / authorityKeyIdentifier. */
  subjectKeyId: string | null;
  authorityKeyId: string | null;
  /** Critical extensions this parser does not understand (RFC 5280: must reject). */
  unknownCritical: string[];
}

// ---------------------------------------------------------------------------------------------
// Names of things

const ATTRIBUTE_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "1.2.840.113549.1.9.1": "emailAddress",
};

/** Signature algorithm OIDs; RSASSA-PSS is handled apart because its parameters carry the hash. */
const SIGNATURE_OIDS: Record<string, { name: string; alg: SignatureAlgorithm }> = {
  [OID.ecdsaWithSHA256]: { name: "ecdsa-with-SHA256", alg: { type: "ecdsa", hash: "sha256" } },
  [OID.ecdsaWithSHA384]: { name: "ecdsa-with-SHA384", alg: { type: "ecdsa", hash: "sha384" } },
  [OID.ecdsaWithSHA512]: { name: "ecdsa-with-SHA512", alg: { type: "ecdsa", hash: "sha512" } },
  [OID.ed25519]: { name: "Ed25519", alg: { type: "ed25519" } },
  [OID.sha256WithRSAEncryption]: {
    name: "sha256WithRSAEncryption",
    alg: { type: "rsa-pkcs1", hash: "sha256" },
  },
  [OID.sha384WithRSAEncryption]: {
    name: "sha384WithRSAEncryption",
    alg: { type: "rsa-pkcs1", hash: "sha384" },
  },
  [OID.sha512WithRSAEncryption]: {
    name: "sha512WithRSAEncryption",
    alg: { type: "rsa-pkcs1", hash: "sha512" },
  },
  [OID.mldsa44]: { name: "ML-DSA-44", alg: { type: "mldsa", level: 44 } },
  [OID.mldsa65]: { name: "ML-DSA-65", alg: { type: "mldsa", level: 65 } },
  [OID.mldsa87]: { name: "ML-DSA-87", alg: { type: "mldsa", level: 87 } },
};

const HASH_OIDS: Record<string, HashName> = {
  [OID.sha256]: "sha256",
  [OID.sha384]: "sha384",
  [OID.sha512]: "sha512",
};

export const EXTENSION_OIDS = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
} as const;

export const KEY_USAGE_BITS = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;

export const EKU_OIDS = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

// ---------------------------------------------------------------------------------------------
// Parsing

const WHAT = "certificate";

const field = (node: Der, name: string, value?: string, children?: Field[]): Field => {
  const f: Field = { name, offset: node.offset, length: node.bytes.length };
  if (value !== undefined) f.value = value;
  if (children) f.children = children;
  return f;
};

/** A Name as "CN=localhost, O=pqinterop" (RDNs in certificate order). */
function decodeName(node: Der, name: string): string {
  const parts: string[] = [];
  for (const rdn of childrenOf(expectTag(node, TAG.SEQUENCE, name, WHAT), name, WHAT)) {
    for (const atv of childrenOf(expectTag(rdn, TAG.SET, `${name} RDN`, WHAT), name, WHAT)) {
      const [type, value] = childrenOf(atv, `${name} attribute`, WHAT, 2);
      const oid = decodeOid(type, `${name} attribute type`, WHAT);
      parts.push(`${ATTRIBUTE_NAMES[oid] ?? oid}=${decodeString(value, `${name} value`, WHAT)}`);
    }
  }
  return parts.join(", ");
}

function decodeSignatureAlgorithm(node: Der): { name: string; alg: SignatureAlgorithm | null } {
  const [oidNode, params] = childrenOf(
    expectTag(node, TAG.SEQUENCE, "signatureAlgorithm", WHAT),
    "signatureAlgorithm",
    WHAT,
    1,
  );
  const oid = decodeOid(oidNode, "signatureAlgorithm", WHAT);
  if (oid === OID.rsassaPss) return { name: "RSASSA-PSS", alg: decodePssParams(params) };
  return SIGNATURE_OIDS[oid] ?? { name: oid, alg: null };
}

/** RSASSA-PSS-params (RFC 4055): the hash, MGF1 with the same hash, and the salt length. */
function decodePssParams(params: Der | undefined): SignatureAlgorithm | null {
  let hash: HashName | undefined = undefined;
  let mgfHash: HashName | undefined = undefined;
  let saltLength = 20;
  for (const p of params?.children ?? []) {
    const inner = p.children?.[0];
    if (!inner) continue;
    if (p.tag === contextTag(0, true)) {
      hash = HASH_OIDS[decodeOid(inner.children![0], "PSS hash", WHAT)];
    } else if (p.tag === contextTag(1, true)) {
      const mgfParams = inner.children?.[1];
      if (mgfParams?.children?.[0]) {
        mgfHash = HASH_OIDS[decodeOid(mgfParams.children[0], "MGF1 hash", WHAT)];
      }
    } else if (p.tag === contextTag(2, true)) {
      saltLength = Number(decodeInteger(inner, "PSS saltLength", WHAT));
    }
  }
  // SHA-1 (the absent-field default) is not accepted, and MGF1 must use the same hash.
  if (!hash || mgfHash !== hash) return null;
  return { type: "rsa-pss", hash, saltLength };
}

export function parseCertificate(der: Uint8Array): Certificate {
  const root = decodeDer(der, WHAT);
  const [tbsNode, sigAlgNode, sigNode] = childrenOf(
    expectTag(root, TAG.SEQUENCE, "Certificate", WHAT),
    "Certificate",
    WHAT,
    3,
  );
  const tbs = childrenOf(
    expectTag(tbsNode, TAG.SEQUENCE, "tbsCertificate", WHAT),
    "tbsCertificate",
    WHAT,
    6,
  );
  const tbsFields: Field[] = [];

  // version is [0] EXPLICIT and absent for v1; we only accept v3 (extensions carry SAN and CA).
  let i = 0;
  if (tbs[0].tag === contextTag(0, true)) {
    const version = decodeInteger(tbs[0].children![0], "version", WHAT);
    if (version !== 2n) {
      throw new TlsAlert("bad_certificate", `certificate version ${version + 1n} is not v3`);
    }
    tbsFields.push(field(tbs[0], "version", "v3"));
    i = 1;
  } else {
    throw new TlsAlert("bad_certificate", "certificate is X.509 v1 (no extensions)");
  }
  const serialValue = decodeInteger(tbs[i], "serialNumber", WHAT);
  const serial = toHex(tbs[i].content);
  tbsFields.push(field(tbs[i++], "serialNumber", serial));
  const innerSigNode = tbs[i++];
  const innerSig = decodeSignatureAlgorithm(innerSigNode);
  tbsFields.push(field(innerSigNode, "signature", innerSig.name));
  const issuer = decodeName(tbs[i], "issuer");
  tbsFields.push(field(tbs[i++], "issuer", issuer));
  const validity = childrenOf(
    expectTag(tbs[i], TAG.SEQUENCE, "validity", WHAT),
    "validity",
    WHAT,
    2,
  );
  const notBefore = decodeTime(validity[0], "notBefore", WHAT);
  const notAfter = decodeTime(validity[1], "notAfter", WHAT);
  tbsFields.push(field(tbs[i++], "validity", undefined, [
    field(validity[0], "notBefore", notBefore.toISOString()),
    field(validity[1], "notAfter", notAfter.toISOString()),
  ]));
  const subject = decodeName(tbs[i], "subject");
  tbsFields.push(field(tbs[i++], "subject", subject));
  const spkiNode = tbs[i++];
  const key = decodeSpki(spkiNode);
  tbsFields.push(field(spkiNode, "subjectPublicKeyInfo", describeKey(key)));

  let isCa = false;
  let keyUsage: string[] | null = null;
  let subjectKeyId: string | null = null;
  let authorityKeyId: string | null = null;
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const unknownCritical: string[] = [];
  for (; i < tbs.length; i++) {
    if (tbs[i].tag !== contextTag(3, true)) continue; // issuer/subject unique IDs: ignored
    const extFields: Field[] = [];
    const exts = childrenOf(
      expectTag(tbs[i].children![0], TAG.SEQUENCE, "extensions", WHAT),
      "extensions",
      WHAT,
    );
    for (const ext of exts) {
      const parts = childrenOf(ext, "extension", WHAT, 2);
      const oid = decodeOid(parts[0], "extnID", WHAT);
      const critical = parts.length === 3 && decodeBoolean(parts[1], "critical", WHAT);
      const value = decodeDer(
        decodeOctetString(parts[parts.length - 1], "extnValue", WHAT),
        `${WHAT} extension ${oid}`,
        parts[parts.length - 1].offset + parts[parts.length - 1].headerLength,
      );
      let shown: string;
      switch (oid) {
        case EXTENSION_OIDS.basicConstraints: {
          const bc = childrenOf(value, "basicConstraints", WHAT);
          isCa = bc.length > 0 && bc[0].tag === TAG.BOOLEAN && decodeBoolean(bc[0], "cA", WHAT);
          shown = `basicConstraints: CA:${isCa ? "TRUE" : "FALSE"}`;
          break;
        }
        case EXTENSION_OIDS.keyUsage:
          keyUsage = decodeNamedBits(value, "keyUsage", WHAT).map((b) =>
            KEY_USAGE_BITS[b] ?? `bit${b}`
          );
          shown = `keyUsage: ${keyUsage.join(", ")}`;
          break;
        case EXTENSION_OIDS.subjectAltName:
          for (const name of childrenOf(value, "subjectAltName", WHAT)) {
            if (name.tag === contextTag(2, false)) {
              dnsNames.push(new TextDecoder().decode(name.content));
            }
            if (name.tag === contextTag(7, false)) ipAddresses.push(formatIp(name.content));
          }
          shown = `subjectAltName: ${
            [...dnsNames.map((d) => `DNS:${d}`), ...ipAddresses.map((a) => `IP:${a}`)].join(", ")
          }`;
          break;
        case EXTENSION_OIDS.subjectKeyIdentifier:
          subjectKeyId = toHex(decodeOctetString(value, "subjectKeyIdentifier", WHAT));
          shown = `subjectKeyIdentifier: ${subjectKeyId}`;
          break;
        case EXTENSION_OIDS.authorityKeyIdentifier: {
          const keyId = childrenOf(value, "authorityKeyIdentifier", WHAT).find((n) =>
            n.tag === contextTag(0, false)
          );
          authorityKeyId = keyId ? toHex(keyId.content) : null;
          shown = `authorityKeyIdentifier: ${authorityKeyId ?? "(no keyIdentifier)"}`;
          break;
        }
        case EXTENSION_OIDS.extKeyUsage: {
          const names = childrenOf(value, "extKeyUsage", WHAT).map((n) => {
            const eku = decodeOid(n, "extKeyUsage", WHAT);
            return Object.entries(EKU_OIDS).find(([, o]) => o === eku)?.[0] ?? eku;
          });
          shown = `extKeyUsage: ${names.join(", ")}`;
          break;
        }
        default:
          if (critical) unknownCritical.push(oid);
          shown = `${oid}${critical ? " (critical, not understood)" : ""}`;
      }
      extFields.push(field(ext, "extension", critical ? `${shown} [critical]` : shown));
    }
    tbsFields.push(field(tbs[i], "extensions", `${exts.length} extensions`, extFields));
  }

  const outerSig = decodeSignatureAlgorithm(sigAlgNode);
  // RFC 5280 §4.1.1.2: the two algorithm fields must agree, or a forger could swap the outer one.
  if (!equalBytes(sigAlgNode.bytes, innerSigNode.bytes)) {
    throw new TlsAlert(
      "bad_certificate",
      `certificate "${subject}": signatureAlgorithm differs from tbsCertificate.signature`,
    );
  }
  const signature = decodeBitString(sigNode, "signatureValue", WHAT).slice();
  if (serialValue <= 0n) {
    // RFC 5280 wants positive serials; OpenSSL and webpki accept zero/negative, so do we — but say it.
    tbsFields[1].value = `${serial} (not positive)`;
  }
  return {
    der,
    tbs: tbsNode.bytes,
    subject,
    issuer,
    serial,
    notBefore,
    notAfter,
    spki: spkiNode.bytes,
    keyAlgorithm: describeKey(key),
    isCa,
    dnsNames,
    ipAddresses,
    signatureAlgorithm: outerSig.name,
    signature,
    fields: [field(root, "Certificate", subject, [
      field(tbsNode, "tbsCertificate", undefined, tbsFields),
      field(sigAlgNode, "signatureAlgorithm", outerSig.name),
      field(sigNode, "signatureValue", shortHex(signature)),
    ])],
    signatureAlg: outerSig.alg,
    keyUsage,
    subjectKeyId,
    authorityKeyId,
    unknownCritical,
  };
}

function formatIp(b: Uint8Array): string {
  if (b.length === 4) return b.join(".");
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
    return groups.join(":").replace(/\b(?:0:){2,}/, ":").replace(/^0::/, "::");
  }
  return toHex(b);
}

// ---------------------------------------------------------------------------------------------
// Chain verification

const certName = (c: Certificate) => `certificate "${c.subject}" (serial ${c.serial})`;

/** Does `name` (a DNS name or an IP literal) match the certificate's subjectAltName? */
export function matchesName(cert: Certificate, name: string): boolean {
  if (/^[\d.]+$/.test(name) || name.includes(":")) {
    const wanted = name.replace(/^\[|\]$/g, "").toLowerCase();
    return cert.ipAddresses.some((ip) => ip.toLowerCase() === wanted);
  }
  const host = name.toLowerCase().replace(/\.$/, "");
  return cert.dnsNames.some((pattern) => {
    const p = pattern.toLowerCase();
    if (!p.startsWith("*.")) return p === host;
    // A wildcard covers exactly one left-most label (RFC 6125 §6.4.3).
    const dot = host.indexOf(".");
    return dot > 0 && host.slice(dot) === p.slice(1);
  });
}

function checkValidity(c: Certificate, now: Date) {
  if (now < c.notBefore) {
    throw new TlsAlert(
      "certificate_expired",
      `${certName(c)} is not valid before ${c.notBefore.toISOString()} (now ${now.toISOString()})`,
    );
  }
  if (now > c.notAfter) {
    throw new TlsAlert(
      "certificate_expired",
      `${certName(c)} expired at ${c.notAfter.toISOString()} (now ${now.toISOString()})`,
    );
  }
}

function checkSupported(c: Certificate) {
  if (c.unknownCritical.length) {
    throw new TlsAlert(
      "unsupported_certificate",
      `${certName(c)} has critical extensions this peer does not understand: ${
        c.unknownCritical.join(", ")
      }`,
    );
  }
}

/** Could `issuer` have issued `child`? Same name and, when both say, the same key identifier. */
const mayHaveIssued = (issuer: Certificate, child: Certificate) =>
  issuer.subject === child.issuer &&
  (!issuer.subjectKeyId || !child.authorityKeyId || issuer.subjectKeyId === child.authorityKeyId);

function checkSignedBy(child: Certificate, issuer: Certificate) {
  if (!child.signatureAlg) {
    throw new TlsAlert(
      "unsupported_certificate",
      `${
        certName(child)
      } is signed with ${child.signatureAlgorithm}, which this peer does not support`,
    );
  }
  if (!issuer.isCa) {
    throw new TlsAlert(
      "bad_certificate",
      `${certName(issuer)} issued ${
        certName(child)
      } but is not a CA (basicConstraints CA:FALSE or absent)`,
    );
  }
  if (issuer.keyUsage && !issuer.keyUsage.includes("keyCertSign")) {
    throw new TlsAlert(
      "bad_certificate",
      `${certName(issuer)} lacks keyUsage keyCertSign but issued ${certName(child)}`,
    );
  }
  if (!verifyWithKey(decodeSpki(issuer.spki), child.signatureAlg, child.tbs, child.signature)) {
    throw new TlsAlert(
      "bad_certificate",
      `the ${child.signatureAlgorithm} signature on ${
        certName(child)
      } does not verify with the key of ${certName(issuer)}`,
    );
  }
}

const MAX_DEPTH = 8;

/**
 * Verifies a chain as sent (leaf first) against trust anchors and returns the parsed leaf.
 * Throws unknown_ca (no path to an anchor), bad_certificate (signature, CA flags, name),
 * certificate_expired (outside validity) or unsupported_certificate (algorithm, extensions).
 */
export async function verifyChain(
  chain: Uint8Array[],
  anchors: Uint8Array[],
  opts: { serverName?: string; now?: Date },
): Promise<Certificate> {
  if (chain.length === 0) {
    throw new TlsAlert("bad_certificate", "the peer sent an empty certificate chain");
  }
  const now = opts.now ?? new Date();
  const [leaf, ...sent] = chain.map(parseCertificate);
  const roots = anchors.map(parseCertificate);

  checkSupported(leaf);
  checkValidity(leaf, now);
  if (leaf.isCa) {
    throw new TlsAlert(
      "bad_certificate",
      `${
        certName(leaf)
      } is a CA certificate (basicConstraints CA:TRUE) used as an end-entity certificate`,
    );
  }
  if (opts.serverName !== undefined && !matchesName(leaf, opts.serverName)) {
    const names = [
      ...leaf.dnsNames.map((d) => `DNS:${d}`),
      ...leaf.ipAddresses.map((a) => `IP:${a}`),
    ];
    throw new TlsAlert(
      "bad_certificate",
      `${certName(leaf)} is not valid for "${opts.serverName}" (subjectAltName: ${
        names.join(", ") || "none"
      })`,
    );
  }

  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const root = roots.find((r) => mayHaveIssued(r, current));
    if (root) {
      checkSignedBy(current, root);
      checkValidity(root, now);
      return await Promise.resolve(leaf);
    }
    const next = sent.find((c) => c !== current && mayHaveIssued(c, current));
    if (!next) {
      throw new TlsAlert(
        "unknown_ca",
        `no trusted issuer "${current.issuer}" for ${certName(current)}${
          current.authorityKeyId ? ` (authority key id ${current.authorityKeyId})` : ""
        }`,
      );
    }
    checkSupported(next);
    checkSignedBy(current, next);
    checkValidity(next, now);
    current = next;
  }
  throw new TlsAlert(
    "unknown_ca",
    `no trusted issuer within ${MAX_DEPTH} certificates for ${certName(leaf)}`,
  );
}

/** The subject and the key of a certificate, the key named as the test PKI names its kinds. */
export function certificateInfo(cert: Certificate): CertificateInfo {
  const a = cert.keyAlgorithm;
  const keyType = a.replace(/^ECDSA P-(\d+)$/, "ecdsa-p$1").replace(/^Ed25519$/, "ed25519")
    .replace(/^RSA (\d+)$/, "rsa$1").replace(/^ML-DSA-(\d+)$/, "mldsa$1");
  return { subject: cert.subject, keyType };
}
