import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { p256 } from "@noble/curves/nist.js";
import { TlsAlert } from "./alert.ts";
import { concat, fromHex, toHex } from "./codec.ts";
import { toPem } from "./asn1.ts";
import type { SignatureSchemeName } from "./names.ts";
import {
  decodePkcs8,
  decodeSpki,
  encodePkcs8,
  encodeSpki,
  importPrivateKeyPem,
  type PrivateKey,
  recoverPssSalt,
  rsaKeyFromComponents,
  schemesForSpki,
  signingKey,
  verifySignature,
} from "./signatures.ts";
import { parseCertificate } from "./x509.ts";
import { RFC8448 } from "./testdata/vectors.ts";
import { testPki, traditionalKeyPem } from "../testing/pki.ts";

const vectors = RFC8448;
const rsa = vectors.rsa_private_key;
const rfc8448Key = () =>
  rsaKeyFromComponents({
    n: rsa.modulus,
    e: rsa.public_exponent,
    d: rsa.private_exponent,
    p: rsa.prime1,
    q: rsa.prime2,
  });

/** A key of every kind, freshly generated, with the schemes it must offer. */
async function freshKeys(): Promise<[PrivateKey, SignatureSchemeName[]][]> {
  const webRsa = await crypto.subtle.generateKey(
    {
      name: "RSA-PSS",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", webRsa.privateKey));
  return [
    [{ type: "ec", curve: "P-256", scalar: p256.utils.randomSecretKey() }, [
      "ecdsa_secp256r1_sha256",
    ]],
    [{ type: "ec", curve: "P-384", scalar: crypto.getRandomValues(new Uint8Array(48)) }, [
      "ecdsa_secp384r1_sha384",
    ]],
    [{ type: "ed25519", seed: crypto.getRandomValues(new Uint8Array(32)) }, ["ed25519"]],
    [decodePkcs8(pkcs8), ["rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"]],
    [mldsaKey(44), ["mldsa44"]],
    [mldsaKey(65), ["mldsa65"]],
    [mldsaKey(87), ["mldsa87"]],
  ];
}

function mldsaKey(level: 44 | 65 | 87): PrivateKey {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  return { type: "mldsa", level, seed, expanded: expandMlDsa(level, seed) };
}

const expandMlDsa = (level: 44 | 65 | 87, seed: Uint8Array) =>
  ({ 44: ml_dsa44, 65: ml_dsa65, 87: ml_dsa87 })[level].keygen(seed).secretKey;

Deno.test("every scheme: sign/verify round trip, a flipped bit fails, PKCS#8 and SPKI round trip", async () => {
  for (const [priv, schemes] of await freshKeys()) {
    const key = signingKey(priv);
    assert.deepEqual(key.schemes, schemes, key.kind);
    assert.deepEqual(schemesForSpki(key.spki), schemes);
    assert.deepEqual(encodeSpki(decodeSpki(key.spki)), key.spki);
    // PKCS#8 → PEM → SigningKey gives the same public key.
    const again = await importPrivateKeyPem(toPem("PRIVATE KEY", encodePkcs8(priv)));
    assert.deepEqual(again.spki, key.spki, key.kind);
    assert.equal(again.kind, key.kind);
    const message = new TextEncoder().encode(`${key.kind} signs this`);
    for (const scheme of schemes) {
      const sig = await key.sign(scheme, message);
      assert.ok(await verifySignature(scheme, key.spki, message, sig), `${scheme} verifies`);
      const flippedSig = sig.slice();
      flippedSig[sig.length >> 1] ^= 0x10;
      assert.equal(
        await verifySignature(scheme, key.spki, message, flippedSig),
        false,
        `${scheme} flipped sig`,
      );
      const flippedMsg = message.slice();
      flippedMsg[0] ^= 1;
      assert.equal(
        await verifySignature(scheme, key.spki, flippedMsg, sig),
        false,
        `${scheme} flipped msg`,
      );
      assert.equal(await verifySignature(scheme, key.spki, message, sig.subarray(1)), false);
    }
  }
});

Deno.test("signature sizes match pq-tls-reference §5 for ML-DSA", async () => {
  for (
    const [level, pk, sigLen] of [[44, 1312, 2420], [65, 1952, 3309], [87, 2592, 4627]] as const
  ) {
    const key = signingKey(mldsaKey(level));
    const spki = decodeSpki(key.spki);
    assert.equal(spki.type === "mldsa" && spki.key.length, pk);
    assert.equal((await key.sign(`mldsa${level}`, new Uint8Array(3))).length, sigLen);
  }
});

Deno.test("ML-DSA is pure ML-DSA with an empty context (noble verifies it directly)", async () => {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const key = signingKey({ type: "mldsa", level: 65, seed, expanded: expandMlDsa(65, seed) });
  const msg = new TextEncoder().encode("context-free");
  const sig = await key.sign("mldsa65", msg);
  const { publicKey } = ml_dsa65.keygen(seed);
  assert.ok(ml_dsa65.verify(sig, msg, publicKey));
  assert.equal(ml_dsa65.verify(sig, msg, publicKey, { context: Uint8Array.of(1) }), false);
});

Deno.test("ECDSA signs the scheme's hash of the message (no double hashing)", async () => {
  const scalar = p256.utils.randomSecretKey();
  const key = signingKey({ type: "ec", curve: "P-256", scalar });
  const msg = new TextEncoder().encode("hash me once");
  const sig = await key.sign("ecdsa_secp256r1_sha256", msg);
  // noble's own prehash=true means "sha256(message)": the same as TLS.
  assert.ok(p256.verify(sig, msg, p256.getPublicKey(scalar), { format: "der", lowS: false }));
  assert.ok(
    p256.verify(sig, sha256(msg), p256.getPublicKey(scalar), { format: "der", prehash: false }),
  );
});

Deno.test("a scheme that does not fit the key is illegal_parameter; signing with it is internal_error", async () => {
  const key = signingKey({ type: "ec", curve: "P-256", scalar: p256.utils.randomSecretKey() });
  await assert.rejects(
    () =>
      verifySignature("ecdsa_secp384r1_sha384", key.spki, new Uint8Array(1), new Uint8Array(70)),
    (e: unknown) =>
      e instanceof TlsAlert && e.alert === "illegal_parameter" && /ECDSA P-256/.test(e.message),
  );
  await assert.rejects(
    () => key.sign("ed25519", new Uint8Array(1)),
    (e: unknown) => e instanceof TlsAlert && e.alert === "internal_error",
  );
});

// RFC 8448 §3: the server's CertificateVerify over the transcript through its Certificate.
function rfc8448CertificateVerify(name: string) {
  const s = vectors.scenarios[name];
  const m = s.messages;
  const transcript = sha256(concat(
    fromHex(m.client_hello),
    fromHex(m.server_hello),
    fromHex(m.encrypted_extensions),
    fromHex(m.server_certificate),
  ));
  const content = concat(
    new Uint8Array(64).fill(0x20),
    new TextEncoder().encode("TLS 1.3, server CertificateVerify"),
    Uint8Array.of(0),
    transcript,
  );
  const cv = fromHex(m.server_certificate_verify);
  assert.equal(toHex(cv.subarray(4, 6)), "0804"); // rsa_pss_rsae_sha256
  const signature = cv.subarray(8);
  assert.equal((cv[6] << 8) | cv[7], signature.length);
  // Certificate: header(4) ‖ context len(1)=0 ‖ list len(3) ‖ cert len(3) ‖ cert ...
  const cert = fromHex(m.server_certificate);
  const certLen = (cert[8] << 16) | (cert[9] << 8) | cert[10];
  return {
    content,
    signature,
    cert: parseCertificate(cert.subarray(11, 11 + certLen)),
    message: cv,
  };
}

for (const name of ["simple_1rtt", "compat_mode"]) {
  Deno.test(`RFC 8448 ${name}: CertificateVerify verifies and is reproduced byte for byte`, async () => {
    const { content, signature, cert, message } = rfc8448CertificateVerify(name);
    const key = rfc8448Key();
    assert.deepEqual(key.spki, cert.spki, "rsa_private_key matches the trace's certificate");
    assert.ok(await verifySignature("rsa_pss_rsae_sha256", cert.spki, content, signature));
    const salt = recoverPssSalt(cert.spki, "rsa_pss_rsae_sha256", signature);
    assert.equal(salt.length, 32);
    const mine = await key.sign("rsa_pss_rsae_sha256", content, { pssSalt: salt });
    assert.equal(toHex(mine), toHex(signature));
    assert.equal(toHex(concat(message.subarray(0, 8), mine)), toHex(message));
    // A different salt gives a different, still valid signature.
    const other = await key.sign("rsa_pss_rsae_sha256", content);
    assert.notDeepEqual(other, signature);
    assert.ok(await verifySignature("rsa_pss_rsae_sha256", cert.spki, content, other));
    // Content from another transcript does not verify.
    const wrong = content.slice();
    wrong[wrong.length - 1] ^= 1;
    assert.equal(await verifySignature("rsa_pss_rsae_sha256", cert.spki, wrong, signature), false);
  });
}

Deno.test("RFC 8448 client_auth: the client's RSA CertificateVerify verifies against its certificate", async () => {
  const s = vectors.scenarios.client_auth;
  const m = s.messages;
  const transcript = sha256(concat(
    ...[
      m.client_hello,
      m.server_hello,
      m.encrypted_extensions,
      m.certificate_request,
      m.server_certificate,
      m.server_certificate_verify,
      m.server_finished,
      m.client_certificate,
    ].map(fromHex),
  ));
  const content = concat(
    new Uint8Array(64).fill(0x20),
    new TextEncoder().encode("TLS 1.3, client CertificateVerify"),
    Uint8Array.of(0),
    transcript,
  );
  const cert = fromHex(m.client_certificate);
  const certLen = (cert[8] << 16) | (cert[9] << 8) | cert[10];
  const spki = parseCertificate(cert.subarray(11, 11 + certLen)).spki;
  const signature = fromHex(m.client_certificate_verify).subarray(8);
  assert.ok(await verifySignature("rsa_pss_rsae_sha256", spki, content, signature));

  // And the server's ECDSA P-256 CertificateVerify (DER signature) in the same trace.
  const sTranscript = sha256(concat(
    ...[
      m.client_hello,
      m.server_hello,
      m.encrypted_extensions,
      m.certificate_request,
      m.server_certificate,
    ]
      .map(fromHex),
  ));
  const sContent = concat(
    new Uint8Array(64).fill(0x20),
    new TextEncoder().encode("TLS 1.3, server CertificateVerify"),
    Uint8Array.of(0),
    sTranscript,
  );
  const sCert = fromHex(m.server_certificate);
  const sLen = (sCert[8] << 16) | (sCert[9] << 8) | sCert[10];
  const sSpki = parseCertificate(sCert.subarray(11, 11 + sLen)).spki;
  const scv = fromHex(m.server_certificate_verify);
  assert.equal(toHex(scv.subarray(4, 6)), "0403");
  assert.deepEqual(schemesForSpki(sSpki), ["ecdsa_secp256r1_sha256"]);
  assert.ok(await verifySignature("ecdsa_secp256r1_sha256", sSpki, sContent, scv.subarray(8)));
});

Deno.test("--key formats: SEC 1 and PKCS#1 load as the same key as PKCS#8", async () => {
  const pki = await testPki();
  for (const kind of ["ecdsa-p256", "ecdsa-p384", "rsa2048"] as const) {
    const leaf = await pki.leaf(kind);
    const traditional = traditionalKeyPem(leaf)!;
    assert.match(
      traditional,
      kind === "rsa2048" ? /RSA PRIVATE KEY/ : /EC PARAMETERS[\s\S]*EC PRIVATE KEY/,
    );
    const key = await importPrivateKeyPem(traditional);
    assert.deepEqual(key.spki, leaf.key.spki, kind);
    const scheme = key.schemes[0];
    const message = new TextEncoder().encode("the same key");
    const signature = await key.sign(scheme, message);
    assert.equal(await verifySignature(scheme, leaf.key.spki, message, signature), true, kind);
  }
  await assert.rejects(
    () =>
      importPrivateKeyPem("-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n"),
    (e: TlsAlert) => /no "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY" block/.test(e.reason),
  );
});

Deno.test("--key formats: what `openssl ecparam -genkey` and `openssl genrsa -traditional` write", async () => {
  const openssl = async (...args: string[]) => {
    const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "null" })
      .output().catch(() => null);
    return out?.success ? new TextDecoder().decode(out.stdout) : null;
  };
  const ec = await openssl("ecparam", "-name", "secp384r1", "-genkey");
  if (ec === null) return; // no openssl here: the TS-built files above cover the formats
  assert.match(ec, /BEGIN EC PARAMETERS[\s\S]*BEGIN EC PRIVATE KEY/);
  assert.equal((await importPrivateKeyPem(ec)).kind, "ecdsa-p384");
  const rsaPem = await openssl("genrsa", "-traditional", "2048");
  assert.match(rsaPem ?? "", /BEGIN RSA PRIVATE KEY/);
  assert.equal((await importPrivateKeyPem(rsaPem!)).kind, "rsa2048");
});
