// Fresh private keys for each CertKind. RSA comes from WebCrypto (prime generation is its job);
// everything else from noble. The result is the PrivateKey that encodePkcs8 writes.

import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { p256, p384 } from "@noble/curves/nist.js";
import type { CertKind } from "../tls/names.ts";
import { decodePkcs8, type PrivateKey } from "../tls/signatures.ts";

export async function generateKey(kind: CertKind): Promise<PrivateKey> {
  switch (kind) {
    case "ecdsa-p256":
      return { type: "ec", curve: "P-256", scalar: p256.utils.randomSecretKey() };
    case "ecdsa-p384":
      return { type: "ec", curve: "P-384", scalar: p384.utils.randomSecretKey() };
    case "ed25519":
      return { type: "ed25519", seed: crypto.getRandomValues(new Uint8Array(32)) };
    case "rsa2048": {
      const pair = await crypto.subtle.generateKey(
        {
          name: "RSA-PSS",
          modulusLength: 2048,
          publicExponent: Uint8Array.of(1, 0, 1),
          hash: "SHA-256",
        },
        true,
        ["sign", "verify"],
      );
      return decodePkcs8(new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)));
    }
    case "mldsa44":
    case "mldsa65":
    case "mldsa87": {
      const level = Number(kind.slice(5)) as 44 | 65 | 87;
      const seed = crypto.getRandomValues(new Uint8Array(32));
      const expanded = { 44: ml_dsa44, 65: ml_dsa65, 87: ml_dsa87 }[level].keygen(seed).secretKey;
      return { type: "mldsa", level, seed, expanded };
    }
  }
}
