import assert from "node:assert/strict";
import { TlsAlert } from "./alert.ts";
import { fromHex, toHex } from "./codec.ts";
import { type AlertName, CERT_KINDS } from "./names.ts";
import { decodePkcs8, decodeSpki, publicKeyOf, verifyWithKey } from "./signatures.ts";
import { type Certificate, matchesName, parseCertificate, pemBlocks, verifyChain } from "./x509.ts";
import { CA_NAME, caKeyPath, ensurePki } from "../pki/pki.ts";
import { buildCertificate, randomSerial } from "../pki/cert.ts";
import { generateKey } from "../pki/keygen.ts";
import type { Field } from "./summary.ts";
import { RFC8448 } from "./testdata/vectors.ts";

const root = await Deno.makeTempDir({ prefix: "pqinterop-x509-" });
const other = await Deno.makeTempDir({ prefix: "pqinterop-x509-other-" });
const pki = await ensurePki(root);
const otherPki = await ensurePki(other);
globalThis.addEventListener("unload", () => {
  Deno.removeSync(root, { recursive: true });
  Deno.removeSync(other, { recursive: true });
});

const derOf = async (path: string) => pemBlocks(await Deno.readTextFile(path), "CERTIFICATE")[0];
const caDer = await derOf(pki.caCert);
const leafDer = (kind: (typeof CERT_KINDS)[number]) => derOf(pki.leaf[kind].cert);

async function assertRejects(p: Promise<unknown>, alert: AlertName, mentions: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TlsAlert, `expected TlsAlert, got ${e}`);
    assert.equal(e.alert, alert, e.message);
    assert.match(e.message, mentions);
    return true;
  });
}

Deno.test("every generated certificate parses with the profile the PKI promises", async () => {
  const ca = parseCertificate(caDer);
  assert.equal(ca.subject, `O=pqinterop, CN=${CA_NAME}`);
  assert.equal(ca.issuer, ca.subject);
  assert.ok(ca.isCa);
  assert.equal(ca.keyAlgorithm, "ECDSA P-256");
  assert.deepEqual(ca.keyUsage, ["digitalSignature", "keyCertSign", "cRLSign"]);
  const expectedKey: Record<string, string> = {
    "ecdsa-p256": "ECDSA P-256",
    "ecdsa-p384": "ECDSA P-384",
    ed25519: "Ed25519",
    rsa2048: "RSA 2048",
    mldsa44: "ML-DSA-44",
    mldsa65: "ML-DSA-65",
    mldsa87: "ML-DSA-87",
  };
  const serials = new Set<string>();
  for (const kind of CERT_KINDS) {
    const c = parseCertificate(await leafDer(kind));
    assert.equal(c.keyAlgorithm, expectedKey[kind]);
    assert.equal(c.isCa, false);
    assert.equal(c.issuer, ca.subject);
    assert.deepEqual(c.dnsNames, ["localhost"]);
    assert.deepEqual(c.ipAddresses, ["127.0.0.1"]);
    assert.deepEqual(c.keyUsage, ["digitalSignature"]);
    assert.equal(c.signatureAlgorithm, "ecdsa-with-SHA256");
    assert.equal(c.authorityKeyId, ca.subjectKeyId);
    assert.ok(c.subjectKeyId && c.subjectKeyId !== ca.subjectKeyId);
    assert.ok(
      c.serial.length === 32 && parseInt(c.serial[0], 16) < 8,
      `positive 16-byte serial ${c.serial}`,
    );
    serials.add(c.serial);
    const day = 24 * 3600 * 1000;
    const now = Date.now();
    assert.ok(Math.abs(c.notBefore.getTime() - (now - day)) < 600_000, "notBefore is a day ago");
    const years = (c.notAfter.getTime() - c.notBefore.getTime()) / (365.25 * day);
    assert.ok(years > 9.9 && years < 10.1, `valid ~10 years, got ${years}`);
    // The key file belongs to the certificate.
    const key = decodePkcs8(
      pemBlocks(await Deno.readTextFile(pki.leaf[kind].key), "PRIVATE KEY")[0],
    );
    assert.deepEqual(decodeSpki(c.spki), publicKeyOf(key));
    // The chain file is leaf then CA.
    const chain = pemBlocks(await Deno.readTextFile(pki.leaf[kind].chain), "CERTIFICATE");
    assert.deepEqual(chain.map(toHex), [toHex(c.der), toHex(caDer)]);
  }
  assert.equal(serials.size, CERT_KINDS.length);
});

Deno.test("certificate fields point at the bytes they describe", async () => {
  const c = parseCertificate(await leafDer("mldsa65"));
  const find = (fs: Field[], name: string): Field | undefined => {
    for (const f of fs) {
      if (f.name === name) return f;
      const inner = f.children && find(f.children, name);
      if (inner) return inner;
    }
  };
  const root = c.fields[0];
  assert.equal(root.offset, 0);
  assert.equal(root.length, c.der.length);
  const tbs = find(c.fields, "tbsCertificate")!;
  assert.deepEqual(c.der.subarray(tbs.offset, tbs.offset + tbs.length), c.tbs);
  const spki = find(c.fields, "subjectPublicKeyInfo")!;
  assert.equal(spki.value, "ML-DSA-65");
  assert.deepEqual(c.der.subarray(spki.offset, spki.offset + spki.length), c.spki);
  const serial = find(c.fields, "serialNumber")!;
  assert.equal(serial.value, c.serial);
  assert.equal(toHex(c.der.subarray(serial.offset + 2, serial.offset + serial.length)), c.serial);
  const exts = find(c.fields, "extensions")!;
  assert.deepEqual(
    exts.children!.map((f) => f.value!.split(":")[0]),
    [
      "basicConstraints",
      "keyUsage",
      "subjectKeyIdentifier",
      "authorityKeyIdentifier",
      "extKeyUsage",
      "subjectAltName",
    ],
  );
  assert.ok(exts.children!.some((f) => f.value === "subjectAltName: DNS:localhost, IP:127.0.0.1"));
  assert.ok(exts.children!.some((f) => f.value === "basicConstraints: CA:FALSE [critical]"));
});

for (const kind of CERT_KINDS) {
  Deno.test(`${kind}: the chain verifies for "localhost" and "127.0.0.1", with or without the CA sent`, async () => {
    const leaf = await leafDer(kind);
    for (const serverName of ["localhost", "127.0.0.1", "LOCALHOST", undefined]) {
      const c = await verifyChain([leaf], [caDer], { serverName });
      assert.equal(c.keyAlgorithm, parseCertificate(leaf).keyAlgorithm);
    }
    await verifyChain([leaf, caDer], [caDer], { serverName: "localhost" });
  });
}

Deno.test("wrong name: bad_certificate naming the certificate and its SANs", async () => {
  const leaf = await leafDer("ecdsa-p256");
  for (const name of ["example.com", "127.0.0.2", "localhost.example", "ecdsa-p256.localhost"]) {
    await assertRejects(
      verifyChain([leaf], [caDer], { serverName: name }),
      "bad_certificate",
      new RegExp(`not valid for "${name}" \\(subjectAltName: DNS:localhost, IP:127.0.0.1\\)`),
    );
  }
});

Deno.test("expired or not yet valid: certificate_expired", async () => {
  const leaf = await leafDer("mldsa44");
  const future = new Date(Date.now() + 11 * 365 * 24 * 3600 * 1000);
  await assertRejects(
    verifyChain([leaf], [caDer], { serverName: "localhost", now: future }),
    "certificate_expired",
    /certificate "O=pqinterop, CN=mldsa44.localhost" \(serial [0-9a-f]+\) expired at/,
  );
  const past = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  await assertRejects(
    verifyChain([leaf], [caDer], { serverName: "localhost", now: past }),
    "certificate_expired",
    /is not valid before/,
  );
});

Deno.test("a CA nobody trusts: unknown_ca, even with the same CA name", async () => {
  const leaf = await leafDer("ed25519");
  const otherCa = await derOf(otherPki.caCert);
  assert.equal(parseCertificate(otherCa).subject, parseCertificate(caDer).subject);
  await assertRejects(
    verifyChain([leaf], [otherCa], { serverName: "localhost" }),
    "unknown_ca",
    /no trusted issuer "O=pqinterop, CN=pqinterop test CA" for certificate "O=pqinterop, CN=ed25519.localhost"/,
  );
  // Sending the other PKI's CA along does not help: it is not an anchor.
  await assertRejects(
    verifyChain([await derOf(otherPki.leaf.ed25519.cert), otherCa], [caDer], {}),
    "unknown_ca",
    /no trusted issuer/,
  );
  await assertRejects(verifyChain([leaf], [], {}), "unknown_ca", /no trusted issuer/);
});

Deno.test("a tampered signature or tbsCertificate: bad_certificate", async () => {
  for (const kind of ["ecdsa-p384", "rsa2048", "mldsa87"] as const) {
    const leaf = await leafDer(kind);
    const c = parseCertificate(leaf);
    const sigAt = leaf.length - c.signature.length;
    const badSig = leaf.slice();
    badSig[sigAt + 10] ^= 0x01;
    await assertRejects(
      verifyChain([badSig], [caDer], { serverName: "localhost" }),
      "bad_certificate",
      new RegExp(
        `ecdsa-with-SHA256 signature on certificate "O=pqinterop, CN=${kind}.localhost".* does not verify`,
      ),
    );
    // Change one byte of the subject public key: the certificate still parses, the signature fails.
    const badTbs = leaf.slice();
    const spkiOffset = findSubarray(leaf, c.spki);
    badTbs[spkiOffset + c.spki.length - 1] ^= 0x01;
    await assertRejects(verifyChain([badTbs], [caDer], {}), "bad_certificate", /does not verify/);
  }
});

Deno.test("a leaf with CA:TRUE is refused as an end entity (rustls CaUsedAsEndEntity)", async () => {
  const caKey = decodePkcs8(pemBlocks(await Deno.readTextFile(caKeyPath(root)), "PRIVATE KEY")[0]);
  const ca = parseCertificate(caDer);
  const key = await generateKey("ecdsa-p256");
  const now = new Date();
  const der = buildCertificate({
    cn: "ca-leaf.localhost",
    publicKey: publicKeyOf(key),
    issuer: { name: CA_NAME, key: caKey },
    serial: randomSerial(),
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 3600_000),
    isCa: true,
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  assert.equal(parseCertificate(der).authorityKeyId, ca.subjectKeyId);
  await assertRejects(
    verifyChain([der], [caDer], { serverName: "localhost" }),
    "bad_certificate",
    /"O=pqinterop, CN=ca-leaf.localhost".* is a CA certificate \(basicConstraints CA:TRUE\) used as an end-entity/,
  );
});

Deno.test("an issuer without CA:TRUE cannot issue", async () => {
  // Use a leaf (CA:FALSE) as the "issuer" of another certificate.
  const issuerKey = decodePkcs8(
    pemBlocks(await Deno.readTextFile(pki.leaf["ecdsa-p256"].key), "PRIVATE KEY")[0],
  );
  const issuer: Certificate = parseCertificate(await leafDer("ecdsa-p256"));
  const key = await generateKey("ed25519");
  const der = buildCertificate({
    cn: "sub.localhost",
    publicKey: publicKeyOf(key),
    issuer: { name: "ecdsa-p256.localhost", key: issuerKey },
    serial: randomSerial(),
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3600_000),
    isCa: false,
    dnsNames: ["localhost"],
  });
  await assertRejects(
    verifyChain([der, issuer.der], [caDer], { serverName: "localhost" }),
    "bad_certificate",
    /CN=ecdsa-p256.localhost.* is not a CA/,
  );
});

Deno.test("name matching: exact, case-insensitive, single-label wildcard, IPs only against IP SANs", () => {
  const c = { dnsNames: ["localhost", "*.example.com"], ipAddresses: ["127.0.0.1"] } as Certificate;
  assert.ok(matchesName(c, "localhost"));
  assert.ok(matchesName(c, "Localhost."));
  assert.ok(matchesName(c, "a.example.com"));
  assert.equal(matchesName(c, "a.b.example.com"), false);
  assert.equal(matchesName(c, "example.com"), false);
  assert.ok(matchesName(c, "127.0.0.1"));
  assert.equal(
    matchesName(
      { dnsNames: ["127.0.0.1"], ipAddresses: [] } as unknown as Certificate,
      "127.0.0.1",
    ),
    false,
  );
});

// RFC 8448 §3's server certificate: a self-signed RSA-1024 certificate with sha256WithRSAEncryption.
Deno.test("RFC 8448 server certificate parses, and its PKCS#1 v1.5 self-signature verifies", () => {
  const vectors = RFC8448;
  const msg = fromHex(vectors.scenarios.simple_1rtt.messages.server_certificate);
  const len = (msg[8] << 16) | (msg[9] << 8) | msg[10];
  const c = parseCertificate(msg.subarray(11, 11 + len));
  assert.equal(c.subject, "CN=rsa");
  assert.equal(c.issuer, "CN=rsa");
  assert.equal(c.keyAlgorithm, "RSA 1024");
  assert.equal(c.signatureAlgorithm, "sha256WithRSAEncryption");
  assert.equal(c.serial, "02");
  const key = decodeSpki(c.spki);
  assert.ok(verifyWithKey(key, c.signatureAlg!, c.tbs, c.signature));
  const bad = c.tbs.slice();
  bad[20] ^= 1;
  assert.equal(verifyWithKey(key, c.signatureAlg!, bad, c.signature), false);
});

Deno.test("malformed DER is decode_error; an empty chain is bad_certificate", async () => {
  const leaf = await leafDer("ecdsa-p256");
  assert.throws(
    () => parseCertificate(leaf.subarray(0, leaf.length - 1)),
    (e: unknown) => e instanceof TlsAlert && e.alert === "decode_error",
  );
  assert.throws(
    () => parseCertificate(new Uint8Array([0x30, 0x80, 0, 0])),
    (e: unknown) =>
      e instanceof TlsAlert && e.alert === "decode_error" && /indefinite length/.test(e.message),
  );
  await assertRejects(verifyChain([], [caDer], {}), "bad_certificate", /empty certificate chain/);
});

function findSubarray(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
