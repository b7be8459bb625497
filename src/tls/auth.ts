// Certificate authentication steps both roles share: the CertificateVerify signed content
// (RFC 9846 §4.4.3), choosing a scheme, and checking a peer's Certificate + CertificateVerify.

import { TlsAlert } from "./alert.ts";
import { concat, equalBytes } from "./codec.ts";
import type { Credential } from "./config.ts";
import type { BodyOf } from "./messages.ts";
import { nameOf, SIGNATURE_SCHEMES, type SignatureSchemeName } from "./names.ts";
import { schemesForSpki, verifySignature } from "./signatures.ts";
import { type Certificate, matchesName, parseCertificate, verifyChain } from "./x509.ts";

const PAD = new Uint8Array(64).fill(0x20);

/** 64 spaces ‖ context string ‖ 0x00 ‖ Transcript-Hash(…Certificate). */
export function signedContent(signer: "server" | "client", transcriptHash: Uint8Array) {
  const context = new TextEncoder().encode(`TLS 1.3, ${signer} CertificateVerify`);
  return concat(PAD, context, new Uint8Array([0]), transcriptHash);
}

export const schemeName = (code: number): SignatureSchemeName | null => {
  const name = nameOf(SIGNATURE_SCHEMES, code);
  return name in SIGNATURE_SCHEMES ? name as SignatureSchemeName : null;
};

/** Our first scheme (in our preference order) that the peer accepts and our key can make. */
export function chooseScheme(
  ours: readonly SignatureSchemeName[],
  peerCodes: number[],
  cred: Credential,
): SignatureSchemeName | null {
  return ours.find((s) =>
    cred.key.schemes.includes(s) && peerCodes.includes(SIGNATURE_SCHEMES[s])
  ) ?? null;
}

/**
 * Validates the peer's certificate chain. An empty list is decode_error for a server's
 * Certificate (§4.4.2.4); a client's empty Certificate is handled by the server before this.
 */
export async function checkCertificate(
  body: BodyOf<"certificate">,
  anchors: Uint8Array[],
  opts: { serverName?: string; now?: Date },
): Promise<Certificate> {
  if (body.entries.length === 0) {
    throw new TlsAlert("decode_error", "the server's Certificate message has no certificate");
  }
  for (const e of body.entries) {
    if (e.extensions.length > 0) {
      throw new TlsAlert(
        "unsupported_extension",
        "CertificateEntry carries an extension we did not request",
      );
    }
  }
  const chain = body.entries.map((e) => e.data);
  const pinned = anchors.some((a) => equalBytes(a, chain[0]));
  return pinned ? checkPinned(chain[0], opts) : await verifyChain(chain, anchors, opts);
}

/**
 * A leaf that is itself one of our trust anchors is trusted as it stands (RFC 5280 §6.1: anchors
 * are trusted by definition), e.g. a self-signed end-entity certificate such as RFC 8448's.
 * Validity and name are still checked.
 */
function checkPinned(der: Uint8Array, opts: { serverName?: string; now?: Date }): Certificate {
  const cert = parseCertificate(der);
  const now = opts.now ?? new Date();
  if (now < cert.notBefore || now > cert.notAfter) {
    throw new TlsAlert(
      "certificate_expired",
      `pinned certificate "${cert.subject}" is valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`,
    );
  }
  if (opts.serverName !== undefined && !matchesName(cert, opts.serverName)) {
    throw new TlsAlert(
      "bad_certificate",
      `pinned certificate "${cert.subject}" is not valid for "${opts.serverName}"`,
    );
  }
  return cert;
}

/** Checks a CertificateVerify against the leaf key, the schemes we offered and the transcript. */
export async function checkCertificateVerify(
  body: BodyOf<"certificate_verify">,
  leaf: Certificate,
  accepted: readonly SignatureSchemeName[],
  signer: "server" | "client",
  transcriptHash: Uint8Array,
): Promise<SignatureSchemeName> {
  const scheme = schemeName(body.scheme);
  if (!scheme || !accepted.includes(scheme)) {
    throw new TlsAlert(
      "illegal_parameter",
      `CertificateVerify uses ${nameOf(SIGNATURE_SCHEMES, body.scheme)}, which we did not offer`,
    );
  }
  if (!schemesForSpki(leaf.spki).includes(scheme)) {
    throw new TlsAlert(
      "illegal_parameter",
      `CertificateVerify uses ${scheme}, which does not fit the ${leaf.keyAlgorithm} certificate key`,
    );
  }
  const ok = await verifySignature(
    scheme,
    leaf.spki,
    signedContent(signer, transcriptHash),
    body.signature,
  );
  if (!ok) {
    throw new TlsAlert("decrypt_error", `the ${signer}'s CertificateVerify signature is invalid`);
  }
  return scheme;
}
