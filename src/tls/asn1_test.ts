import assert from "node:assert/strict";
import { TlsAlert } from "./alert.ts";
import { fromHex, toHex } from "./codec.ts";
import {
  decodeDer,
  decodeInteger,
  decodeNamedBits,
  decodeOid,
  decodeTime,
  encodeInteger,
  encodeNamedBits,
  encodeOid,
  encodeSequence,
  encodeTime,
  encodeTlv,
  pemBlocks,
  TAG,
  toPem,
} from "./asn1.ts";

const decodeError = (fn: () => unknown, mentions: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof TlsAlert && e.alert === "decode_error" && mentions.test(e.message),
  );

Deno.test("OIDs: known encodings both ways", () => {
  for (
    const [oid, hex] of [
      ["1.2.840.10045.2.1", "06072a8648ce3d0201"],
      ["1.3.101.112", "06032b6570"],
      ["2.16.840.1.101.3.4.3.18", "0609608648016503040312"],
      ["2.5.29.17", "0603551d11"],
    ]
  ) {
    assert.equal(toHex(encodeOid(oid)), hex);
    assert.equal(decodeOid(decodeDer(fromHex(hex), "t"), "oid", "t"), oid);
  }
});

Deno.test("INTEGER: minimal two's complement, positive values get a 00 when the top bit is set", () => {
  for (
    const [v, hex] of [[0n, "020100"], [127n, "02017f"], [128n, "02020080"], [256n, "02020100"], [
      0x8000_0000_0000_0000n,
      "0209008000000000000000",
    ]] as const
  ) {
    assert.equal(toHex(encodeInteger(v)), hex);
    assert.equal(decodeInteger(decodeDer(fromHex(hex), "t"), "n", "t"), v);
  }
  assert.equal(decodeInteger(decodeDer(fromHex("0201ff"), "t"), "n", "t"), -1n);
  decodeError(
    () => decodeInteger(decodeDer(fromHex("0202007f"), "t"), "n", "t"),
    /not minimally encoded/,
  );
});

Deno.test("lengths: long form round trip; indefinite, non-minimal, truncated and trailing bytes are rejected", () => {
  const big = new Uint8Array(300);
  const enc = encodeTlv(TAG.OCTET_STRING, big);
  assert.equal(toHex(enc.subarray(0, 4)), "0482012c");
  assert.equal(decodeDer(enc, "t").content.length, 300);
  decodeError(() => decodeDer(fromHex("3080"), "t"), /indefinite length/);
  decodeError(() => decodeDer(fromHex("04810100"), "t"), /non-minimal length/);
  decodeError(() => decodeDer(fromHex("040300"), "t"), /claims 3 bytes, 1 remain/);
  decodeError(() => decodeDer(fromHex("04000500"), "t"), /2 trailing bytes/);
});

Deno.test("nested offsets are absolute", () => {
  const der = encodeSequence(encodeOid("1.3.101.112"), encodeSequence(encodeInteger(5)));
  const node = decodeDer(der, "t");
  const inner = node.children![1].children![0];
  assert.equal(inner.offset, 9); // 30 len ‖ 06 03 2b6570 ‖ 30 len ‖ 02 01 05
  assert.deepEqual(der.subarray(inner.offset, inner.offset + inner.bytes.length), encodeInteger(5));
});

Deno.test("time: UTCTime before 2050, GeneralizedTime after, whole seconds", () => {
  const d1 = new Date("2036-11-23T19:01:36Z");
  assert.equal(new TextDecoder().decode(encodeTime(d1).subarray(2)), "361123190136Z");
  assert.deepEqual(decodeTime(decodeDer(encodeTime(d1), "t"), "t", "t"), d1);
  const d2 = new Date("2051-01-02T03:04:05Z");
  assert.equal(encodeTime(d2)[0], TAG.GeneralizedTime);
  assert.deepEqual(decodeTime(decodeDer(encodeTime(d2), "t"), "t", "t"), d2);
  assert.deepEqual(
    decodeTime(decodeDer(fromHex("170d3439313233313233353935395a"), "t"), "t", "t"),
    new Date("2049-12-31T23:59:59Z"),
  );
  decodeError(
    () => decodeTime(decodeDer(fromHex("170b393931323331323335395a"), "t"), "notAfter", "t"),
    /notAfter/,
  );
});

Deno.test("named bits: keyUsage digitalSignature|keyCertSign|cRLSign is 03 02 01 86", () => {
  const enc = encodeNamedBits([0, 5, 6]);
  assert.equal(toHex(enc), "03020186");
  assert.deepEqual(decodeNamedBits(decodeDer(enc, "t"), "ku", "t"), [0, 5, 6]);
  assert.equal(toHex(encodeNamedBits([0])), "03020780");
});

Deno.test("PEM: round trip, label filter, several blocks", () => {
  const a = crypto.getRandomValues(new Uint8Array(100));
  const b = new Uint8Array(70000).map((_, i) => i * 7);
  const text = "junk\n" + toPem("CERTIFICATE", a) + toPem("PRIVATE KEY", b) +
    toPem("CERTIFICATE", b);
  assert.deepEqual(pemBlocks(text), [a, b, b]);
  assert.deepEqual(pemBlocks(text, "PRIVATE KEY"), [b]);
  assert.ok(toPem("X", b).split("\n").every((l) => l.length <= 64));
});
