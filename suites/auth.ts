// Server certificates: classic signatures and ML-DSA (draft-ietf-tls-mldsa). The key exchange
// is X25519MLKEM768 throughout, the group every implementation here has, so a failure points at
// the certificate or its signature, and an ML-DSA pass is a fully post-quantum handshake.

import type { Case } from "../src/contract/case.ts";
import type { EndpointConfig } from "../src/contract/config.ts";
import {
  type CertKind,
  type SignatureSchemeName,
  SUPPORTED_SIGNATURE_SCHEMES,
} from "../src/tls/names.ts";

const SUITE = "auth";

/**
 * Classic schemes are in every client's default signature_algorithms, so those cases leave the
 * list alone (clients that cannot set it still play). ML-DSA is not in every default list
 * (BoringSSL's has none), so the ML-DSA cases ask for it, followed by the classic schemes that
 * keep the ECDSA CA's signature on the leaf verifiable.
 */
const offering = (scheme: SignatureSchemeName): EndpointConfig["signatureSchemes"] => [
  scheme,
  ...SUPPORTED_SIGNATURE_SCHEMES.filter((s) => !s.startsWith("mldsa")),
];

/** Each case: its name, the leaf, a title, the scheme the client must ask for, what may sign. */
const CERTS: [string, CertKind, string, SignatureSchemeName | null, SignatureSchemeName[]][] = [
  ["ecdsa-p256", "ecdsa-p256", "ECDSA P-256 server certificate", null, ["ecdsa_secp256r1_sha256"]],
  ["ecdsa-p384", "ecdsa-p384", "ECDSA P-384 server certificate", null, ["ecdsa_secp384r1_sha384"]],
  ["ed25519", "ed25519", "Ed25519 server certificate", null, ["ed25519"]],
  // TLS 1.3 signs with RSA only as RSA-PSS (rsa_pss_rsae_*), so an RSA leaf tests RSA-PSS.
  ["rsa-pss", "rsa2048", "RSA-2048 server certificate, RSA-PSS signatures", null, [
    "rsa_pss_rsae_sha256",
    "rsa_pss_rsae_sha384",
    "rsa_pss_rsae_sha512",
  ]],
  ["mldsa44", "mldsa44", "ML-DSA-44 server certificate", "mldsa44", ["mldsa44"]],
  ["mldsa65", "mldsa65", "ML-DSA-65 server certificate", "mldsa65", ["mldsa65"]],
  ["mldsa87", "mldsa87", "ML-DSA-87 server certificate", "mldsa87", ["mldsa87"]],
];

export const auth: Case[] = CERTS.map(([name, certificate, title, scheme, signedWith]) => ({
  id: `${SUITE}/${name}`,
  suite: SUITE,
  title,
  client: {
    groups: ["X25519MLKEM768"],
    ...(scheme ? { signatureSchemes: offering(scheme) } : {}),
  },
  server: { groups: ["X25519MLKEM768"], certificate },
  // What authenticated the server is part of the pass: a handshake with some other certificate
  // or scheme proves nothing about this one.
  expect: {
    kind: "handshake",
    group: "X25519MLKEM768",
    helloRetryRequest: false,
    certificate,
    signatureScheme: signedWith,
  },
}));
