// The record layer under load of odd shapes: tiny records and 1-byte writes, several messages per
// record, KeyUpdate both ways, the middlebox CCS rules, and the keyless decoders of wire.ts.

import { deepEqual, equal, throws } from "node:assert/strict";
import { TlsAlert } from "./alert.ts";
import { Connection } from "./connection.ts";
import { SUITES } from "./keyschedule.ts";
import { encodeHandshake } from "./messages.ts";
import { RecordProtection } from "./record.ts";
import { TlsClient } from "./client.ts";
import { concat, fromHex, toHex } from "./codec.ts";
import type { ClientConfig, ServerConfig } from "./config.ts";
import { memoryPipe } from "./connection.ts";
import type { Hooks } from "./hooks.ts";
import { plaintextRecord } from "./record.ts";
import { TlsServer } from "./server.ts";
import { testPki } from "../testing/pki.ts";
import { decodeCleartextHandshake, HandshakeAssembler, RecordSplitter } from "./cleartext.ts";
import { RFC8448 } from "./testdata/vectors.ts";

const pki = await testPki();
const leaf = await pki.leaf("mldsa87");

async function pair(server: Partial<ServerConfig> = {}, client: Partial<ClientConfig> = {}) {
  const [a, b] = memoryPipe();
  const c = new TlsClient(a, {
    serverName: "localhost",
    trustAnchors: [pki.ca],
    groups: ["SecP384r1MLKEM1024"],
    ...client,
  });
  const s = new TlsServer(b, { certificate: leaf, ...server });
  await Promise.all([c.handshake(), s.handshake()]);
  return { c, s };
}

const text = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : null);

Deno.test("handshake messages split over 100-byte records and 1-byte writes", async () => {
  const hooks: Hooks = {
    records: (_type, length) => {
      const sizes = [];
      for (let left = length; left > 0; left -= 100) sizes.push({ size: Math.min(100, left) });
      return sizes.length ? sizes : [{ size: 0 }];
    },
    writes: (bytes) => Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)),
  };
  const { c, s } = await pair({ hooks }, { hooks });
  equal(c.summary().ok, true);
  equal(c.summary().signatureScheme, "mldsa87");
  // The server's Certificate (an ML-DSA-87 leaf, ~7.5 kB) crossed dozens of records.
  const received = c.summary().flights.find((f) => f.messages.includes("Certificate"))!;
  equal(received.records > 50, true);
  await c.write(new TextEncoder().encode("after the split"));
  equal(text(await s.read()), "after the split");
});

Deno.test("KeyUpdate in both directions, honouring update_requested", async () => {
  const { c, s } = await pair();
  await c.conn.keyUpdate(true);
  await c.write(new TextEncoder().encode("under new keys"));
  equal(text(await s.read()), "under new keys");
  // The server answered update_requested with its own KeyUpdate before anything else.
  await s.write(new TextEncoder().encode("me too"));
  equal(text(await c.read()), "me too");
  const labels = (t: { direction: string; protection: string | null }[], dir: string) =>
    t.filter((e) => e.direction === dir).map((e) => e.protection).at(-1);
  equal(labels(c.transcript, "sent"), "application 1");
  equal(labels(s.transcript, "sent"), "application 1");
  equal(labels(c.transcript, "received"), "application 1");
  // A KeyUpdate that does not request one is not answered.
  await s.conn.keyUpdate(false);
  await s.write(new TextEncoder().encode("again"));
  equal(text(await c.read()), "again");
  equal(labels(c.transcript, "received"), "application 2");
  equal(labels(c.transcript, "sent"), "application 1");
  await c.close();
  equal(await s.read(), null);
});

Deno.test("a ChangeCipherSpec after the handshake: unexpected_message", async () => {
  const [a, b] = memoryPipe();
  const c = new TlsClient(a, {
    serverName: "localhost",
    trustAnchors: [pki.ca],
    groups: ["x25519"],
  });
  const s = new TlsServer(b, { certificate: leaf });
  await Promise.all([c.handshake(), s.handshake()]);
  await a.write(plaintextRecord(20, new Uint8Array([1])));
  await s.read().catch(() => {});
  deepEqual([s.summary().alert, s.summary().alertDirection], ["unexpected_message", "sent"]);
});

Deno.test("user_canceled after the handshake closes the stream; during it, it is an error", async () => {
  const { c, s } = await pair();
  await s.conn.sendAlert("user_canceled");
  equal(await c.read(), null);
  equal(c.summary().ok, true);
  equal(c.summary().alert, null);

  const [a, b] = memoryPipe();
  const early = new TlsClient(a, {
    serverName: "localhost",
    trustAnchors: [pki.ca],
    groups: ["x25519"],
  });
  const handshake = early.handshake().catch(() => {});
  await b.write(plaintextRecord(21, new Uint8Array([1, 90])));
  await handshake;
  deepEqual([early.summary().ok, early.summary().alert], [false, "user_canceled"]);
});

Deno.test("a handshake record that continues past a key change: unexpected_message", async () => {
  // ServerHello and EncryptedExtensions in one plaintext record: EE would straddle the new key.
  const [a, b] = memoryPipe();
  const conn = new Connection(b, "client");
  const sh = encodeHandshake({
    type: "server_hello",
    body: {
      legacyVersion: 0x0303,
      random: new Uint8Array(32),
      sessionId: new Uint8Array(0),
      cipherSuite: 0x1301,
      compressionMethod: 0,
      extensions: [],
    },
  });
  const ee = encodeHandshake({ type: "encrypted_extensions", body: { extensions: [] } });
  await a.write(plaintextRecord(22, concat(sh, ee)));
  equal((await conn.readHandshake()).message.type, "server_hello");
  const key = new RecordProtection(SUITES.TLS_AES_128_GCM_SHA256, new Uint8Array(32), "handshake");
  throws(
    () => conn.setReadKey(key),
    (e) => e instanceof TlsAlert && e.alert === "unexpected_message",
  );
});

Deno.test("wire: RecordSplitter and HandshakeAssembler take any split", () => {
  const v = RFC8448;
  const records: string[] = v.scenarios.simple_1rtt.records.map((r: { record: string }) =>
    r.record
  );
  const stream = fromHex(records.join(""));
  const splitter = new RecordSplitter();
  const got: string[] = [];
  for (let i = 0; i < stream.length; i += 7) {
    for (const r of splitter.feed(stream.subarray(i, i + 7))) got.push(toHex(r.bytes));
  }
  deepEqual(got, records);
  equal(splitter.pending, 0);

  const ch = fromHex(v.scenarios.simple_1rtt.messages.client_hello);
  const assembler = new HandshakeAssembler();
  deepEqual(assembler.add(ch.subarray(0, 10)), []);
  equal(assembler.partial, true);
  const [whole] = assembler.add(ch.subarray(10));
  equal(toHex(whole.bytes), toHex(ch));
  equal(whole.offset, -10);

  const decoded = decodeCleartextHandshake(ch);
  equal(decoded.type, "client_hello");
  const share = JSON.stringify(decoded.fields);
  equal(share.includes('"X25519 public key"'), true);
});
