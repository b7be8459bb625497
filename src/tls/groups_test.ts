import assert from "node:assert/strict";
import { ml_kem1024, ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import { TlsAlert } from "./alert.ts";
import { concat, fromHex, toHex } from "./codec.ts";
import {
  coefficientAt,
  coefficientCount,
  COMPONENT_LAYOUT,
  describeShare,
  firstUnreducedCoefficient,
  generateClientShare,
  respondToShare,
  SEED_SIZES,
  SHARE_SIZES,
  withCoefficient,
} from "./groups.ts";
import { type AlertName, GROUP_NAMES, type GroupName } from "./names.ts";
import { RFC8448 } from "./testdata/vectors.ts";

const vectors = RFC8448;

function assertAlert(fn: () => unknown, alert: AlertName, mentions?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlsAlert, `expected TlsAlert, got ${e}`);
    assert.equal(e.alert, alert, e.message);
    if (mentions) assert.match(e.message, mentions);
    return true;
  });
}

// pq-tls-reference §1/§2, copied by hand so a change to the layout table is caught here.
const EXPECTED: Record<GroupName, [number, number, number]> = {
  x25519: [32, 32, 32],
  secp256r1: [65, 65, 32],
  secp384r1: [97, 97, 48],
  MLKEM512: [800, 768, 32],
  MLKEM768: [1184, 1088, 32],
  MLKEM1024: [1568, 1568, 32],
  X25519MLKEM768: [1216, 1120, 64],
  SecP256r1MLKEM768: [1249, 1153, 64],
  SecP384r1MLKEM1024: [1665, 1665, 80],
};

Deno.test("SHARE_SIZES match the reference tables exactly", () => {
  for (const g of GROUP_NAMES) {
    const [client, server, secret] = EXPECTED[g];
    assert.deepEqual(SHARE_SIZES[g], { client, server, secret }, g);
  }
});

for (const g of GROUP_NAMES) {
  Deno.test(`${g}: client and server derive the same secret of the right size`, () => {
    const client = generateClientShare(g);
    assert.equal(client.group, g);
    assert.equal(client.share.length, SHARE_SIZES[g].client);
    const server = respondToShare(g, client.share);
    assert.equal(server.share.length, SHARE_SIZES[g].server);
    assert.equal(server.secret.length, SHARE_SIZES[g].secret);
    assert.deepEqual(client.complete(server.share), server.secret);
    // Two fresh exchanges never agree: the secret depends on fresh randomness.
    const again = respondToShare(g, client.share);
    assert.notDeepEqual(again.secret, server.secret);
  });

  Deno.test(`${g}: seeded shares are reproducible`, () => {
    const cs = crypto.getRandomValues(new Uint8Array(SEED_SIZES[g].client));
    const ss = crypto.getRandomValues(new Uint8Array(SEED_SIZES[g].server));
    // A random 48-byte string can exceed the P-384 order only with negligible probability.
    const a = generateClientShare(g, cs);
    const b = generateClientShare(g, cs);
    assert.deepEqual(a.share, b.share);
    const r1 = respondToShare(g, a.share, ss);
    const r2 = respondToShare(g, a.share, ss);
    assert.deepEqual(r1, r2);
    assert.deepEqual(a.complete(r1.share), r1.secret);
    assertAlert(() => generateClientShare(g, cs.subarray(1)), "internal_error", /seed/);
  });

  Deno.test(`${g}: shares one byte short or long are illegal_parameter, both directions`, () => {
    const client = generateClientShare(g);
    const server = respondToShare(g, client.share);
    for (const delta of [-1, 1]) {
      const c = new Uint8Array(client.share.length + delta);
      c.set(client.share.subarray(0, c.length));
      assertAlert(
        () => respondToShare(g, c),
        "illegal_parameter",
        new RegExp(`${g} client key share is ${c.length} bytes, expected ${SHARE_SIZES[g].client}`),
      );
      const s = new Uint8Array(server.share.length + delta);
      s.set(server.share.subarray(0, s.length));
      assertAlert(
        () => client.complete(s),
        "illegal_parameter",
        new RegExp(`${g} server key share is ${s.length} bytes, expected ${SHARE_SIZES[g].server}`),
      );
    }
    assertAlert(() => respondToShare(g, new Uint8Array(0)), "illegal_parameter");
  });
}

// ---------------------------------------------------------------------------------------------
// Component order, checked by doing each component's operation independently with noble.

Deno.test("X25519MLKEM768 is ML-KEM-768 first, X25519 second, in shares and secret", () => {
  const d = crypto.getRandomValues(new Uint8Array(64));
  const xs = crypto.getRandomValues(new Uint8Array(32));
  const client = generateClientShare("X25519MLKEM768", concat(d, xs));
  const { publicKey: ek, secretKey: dk } = ml_kem768.keygen(d);
  assert.deepEqual(client.share.subarray(0, 1184), ek);
  assert.deepEqual(client.share.subarray(1184), x25519.getPublicKey(xs));

  const m = crypto.getRandomValues(new Uint8Array(32));
  const ys = crypto.getRandomValues(new Uint8Array(32));
  const server = respondToShare("X25519MLKEM768", client.share, concat(m, ys));
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(ek, m);
  assert.deepEqual(server.share.subarray(0, 1088), cipherText);
  assert.deepEqual(server.share.subarray(1088), x25519.getPublicKey(ys));
  assert.deepEqual(server.secret.subarray(0, 32), sharedSecret);
  assert.deepEqual(server.secret.subarray(0, 32), ml_kem768.decapsulate(cipherText, dk));
  assert.deepEqual(server.secret.subarray(32), x25519.getSharedSecret(xs, x25519.getPublicKey(ys)));
});

Deno.test("SecP256r1MLKEM768 is P-256 first, ML-KEM-768 second", () => {
  const k = p256.utils.randomSecretKey();
  const d = crypto.getRandomValues(new Uint8Array(64));
  const client = generateClientShare("SecP256r1MLKEM768", concat(k, d));
  assert.deepEqual(client.share.subarray(0, 65), p256.getPublicKey(k, false));
  assert.deepEqual(client.share.subarray(65), ml_kem768.keygen(d).publicKey);

  const j = p256.utils.randomSecretKey();
  const m = crypto.getRandomValues(new Uint8Array(32));
  const server = respondToShare("SecP256r1MLKEM768", client.share, concat(j, m));
  assert.deepEqual(server.share.subarray(0, 65), p256.getPublicKey(j, false));
  const kem = ml_kem768.encapsulate(ml_kem768.keygen(d).publicKey, m);
  assert.deepEqual(server.share.subarray(65), kem.cipherText);
  const ecdh = p256.getSharedSecret(k, p256.getPublicKey(j, false)).slice(1);
  assert.deepEqual(server.secret, concat(ecdh, kem.sharedSecret));
  assert.deepEqual(client.complete(server.share), concat(ecdh, kem.sharedSecret));
});

Deno.test("SecP384r1MLKEM1024 is P-384 first, ML-KEM-1024 second; ECDH secret is the 48-byte x", () => {
  const k = p384.utils.randomSecretKey();
  const d = crypto.getRandomValues(new Uint8Array(64));
  const client = generateClientShare("SecP384r1MLKEM1024", concat(k, d));
  assert.deepEqual(client.share.subarray(0, 97), p384.getPublicKey(k, false));
  assert.deepEqual(client.share.subarray(97), ml_kem1024.keygen(d).publicKey);

  const j = p384.utils.randomSecretKey();
  const m = crypto.getRandomValues(new Uint8Array(32));
  const server = respondToShare("SecP384r1MLKEM1024", client.share, concat(j, m));
  const kem = ml_kem1024.encapsulate(ml_kem1024.keygen(d).publicKey, m);
  const ecdh = p384.getSharedSecret(k, p384.getPublicKey(j, false)).slice(1);
  assert.equal(ecdh.length, 48);
  assert.deepEqual(server.share, concat(p384.getPublicKey(j, false), kem.cipherText));
  assert.deepEqual(server.secret, concat(ecdh, kem.sharedSecret));
});

Deno.test("describeShare names the components in wire order with their offsets", () => {
  const client = generateClientShare("X25519MLKEM768");
  const fields = describeShare("X25519MLKEM768", client.share, "client", 10);
  assert.deepEqual(
    fields.map((f) => [f.name, f.offset, f.length]),
    [["ML-KEM-768 encapsulation key", 10, 1184], ["X25519 public key", 1194, 32]],
  );
  const server = respondToShare(
    "SecP256r1MLKEM768",
    generateClientShare("SecP256r1MLKEM768").share,
  );
  assert.deepEqual(
    describeShare("SecP256r1MLKEM768", server.share, "server").map((f) => f.name),
    ["P-256 public key (uncompressed point)", "ML-KEM-768 ciphertext"],
  );
  assert.equal(COMPONENT_LAYOUT.SecP384r1MLKEM1024[0].name, "P-384");
  // A share of the wrong size is described as one opaque field that says so.
  const short = describeShare("MLKEM768", new Uint8Array(5));
  assert.equal(short.length, 1);
  assert.match(short[0].meaning!, /5 bytes; a MLKEM768 client share is 1184/);
});

// ---------------------------------------------------------------------------------------------
// Known answers

Deno.test("X25519 known answer: RFC 7748 §6.1 Alice and Bob", () => {
  const alice = fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const bob = fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  const client = generateClientShare("x25519", alice);
  assert.equal(
    toHex(client.share),
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
  );
  const server = respondToShare("x25519", client.share, bob);
  assert.equal(
    toHex(server.share),
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
  );
  const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  assert.equal(toHex(server.secret), shared);
  assert.equal(toHex(client.complete(server.share)), shared);
});

for (const name of ["simple_1rtt", "client_auth", "compat_mode"]) {
  Deno.test(`X25519 known answer: RFC 8448 ${name} ephemeral keys give its ECDHE secret`, () => {
    const s = vectors.scenarios[name];
    const keys = s.ephemeral_keys;
    const client = generateClientShare("x25519", fromHex(keys.client_x25519.private_key));
    assert.equal(toHex(client.share), keys.client_x25519.public_key);
    const server = respondToShare("x25519", client.share, fromHex(keys.server_x25519.private_key));
    assert.equal(toHex(server.share), keys.server_x25519.public_key);
    assert.equal(toHex(server.secret), s.secrets.ecdhe_shared_secret);
    assert.equal(toHex(client.complete(server.share)), s.secrets.ecdhe_shared_secret);
  });
}

// ---------------------------------------------------------------------------------------------
// Malformed shares

for (
  const [g, kemOffset, ekLen] of [
    ["MLKEM512", 0, 800],
    ["MLKEM768", 0, 1184],
    ["MLKEM1024", 0, 1568],
    ["X25519MLKEM768", 0, 1184],
    ["SecP256r1MLKEM768", 65, 1184],
    ["SecP384r1MLKEM1024", 97, 1568],
  ] as const
) {
  Deno.test(`${g}: an ML-KEM key with an unreduced coefficient is illegal_parameter (first, middle, last)`, () => {
    const share = generateClientShare(g).share;
    const ek = share.subarray(kemOffset, kemOffset + ekLen);
    const count = coefficientCount(ekLen);
    assert.equal(count, (ekLen - 32) / 1.5);
    assert.equal(firstUnreducedCoefficient(ek), -1);
    for (const index of [0, count >> 1, count - 1]) {
      for (const value of [3329, 4095]) {
        const bad = withCoefficient(ek, index, value);
        assert.equal(coefficientAt(bad, index), value);
        assert.equal(firstUnreducedCoefficient(bad), index);
        // Only the one coefficient changed.
        for (const n of [index - 1, index + 1]) {
          if (n >= 0 && n < count) assert.equal(coefficientAt(bad, n), coefficientAt(ek, n));
        }
        const malformed = share.slice();
        malformed.set(bad, kemOffset);
        assertAlert(
          () => respondToShare(g, malformed),
          "illegal_parameter",
          new RegExp(`modulus check: coefficient ${index} of ${count} is ${value}`),
        );
      }
      // 3328 = q − 1 is the largest reduced value and must pass.
      const edge = share.slice();
      edge.set(withCoefficient(ek, index, 3328), kemOffset);
      respondToShare(g, edge);
    }
  });
}

/** A P-256/P-384 point with y changed: the right length and prefix, but not on the curve. */
function offCurve(point: Uint8Array): Uint8Array {
  const bad = point.slice();
  bad[bad.length - 1] ^= 1;
  return bad;
}

for (
  const [g, at, len] of [
    ["secp256r1", 0, 65],
    ["secp384r1", 0, 97],
    ["SecP256r1MLKEM768", 0, 65],
    ["SecP384r1MLKEM1024", 0, 97],
  ] as const
) {
  Deno.test(`${g}: an invalid NIST point is illegal_parameter, both directions`, () => {
    const client = generateClientShare(g);
    const server = respondToShare(g, client.share);
    for (
      const corrupt of [
        offCurve,
        () => concat(Uint8Array.of(0x04), new Uint8Array(len - 1)), // (0, 0)
        (p: Uint8Array) => concat(Uint8Array.of(0x02), p.subarray(1)), // compressed prefix
      ]
    ) {
      const c = client.share.slice();
      c.set(corrupt(c.subarray(at, at + len)), at);
      assertAlert(() => respondToShare(g, c), "illegal_parameter", /client's point/);
      const s = server.share.slice();
      s.set(corrupt(s.subarray(at, at + len)), at);
      assertAlert(() => client.complete(s), "illegal_parameter", /server's point/);
    }
  });
}

// u = 0 and u = 1 and the order-8 point from RFC 7748's list of low-order points.
const LOW_ORDER_X25519 = [
  new Uint8Array(32),
  concat(Uint8Array.of(1), new Uint8Array(31)),
  fromHex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
];

for (const [g, cAt, sAt] of [["x25519", 0, 0], ["X25519MLKEM768", 1184, 1088]] as const) {
  Deno.test(`${g}: a low-order X25519 key (all-zero output) is illegal_parameter, both directions`, () => {
    const client = generateClientShare(g);
    const server = respondToShare(g, client.share);
    for (const point of LOW_ORDER_X25519) {
      const c = client.share.slice();
      c.set(point, cAt);
      assertAlert(
        () => respondToShare(g, c),
        "illegal_parameter",
        /X25519 component: the client's public key is a low-order point/,
      );
      const s = server.share.slice();
      s.set(point, sAt);
      assertAlert(() => client.complete(s), "illegal_parameter", /all-zero X25519 output/);
    }
  });
}

Deno.test("the client rejects an ML-KEM ciphertext of the wrong length before decapsulating", () => {
  const client = generateClientShare("MLKEM768");
  const ct = respondToShare("MLKEM768", client.share).share;
  assertAlert(
    () => client.complete(ct.subarray(0, 1087)),
    "illegal_parameter",
    /1087 bytes, expected 1088/,
  );
  assertAlert(
    () => client.complete(concat(ct, ct.subarray(0, 1))),
    "illegal_parameter",
    /1089 bytes/,
  );
  // A corrupted ciphertext of the right length is not an error: FO implicit rejection yields a
  // different (pseudo-random) secret, and the handshake fails later at Finished.
  const flipped = ct.slice();
  flipped[100] ^= 1;
  assert.equal(client.complete(flipped).length, 32);
  assert.notDeepEqual(client.complete(flipped), client.complete(ct));
});
