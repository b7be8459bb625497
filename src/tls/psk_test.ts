// PSK building blocks against RFC 8448 §4 (resumed 0-RTT) byte for byte, the RFC 9258 importer
// against an independent WebCrypto computation, and the ticket issuer and store.

import { deepEqual as assertEquals, equal, throws } from "node:assert/strict";
import { TlsAlert } from "./alert.ts";
import { fromHex, Reader, toHex } from "./codec.ts";
import { EARLY_DATA_TICKET, getExtension, PRE_SHARED_KEY_CLIENT } from "./extensions.ts";
import { finishedVerifyData, SUITES, trafficKeys, TranscriptHash } from "./keyschedule.ts";
import { decodeHandshake, encodeHandshake } from "./messages.ts";
import { EXTENSIONS } from "./names.ts";
import {
  bindClientHello,
  binderFinishedKey,
  binderKey,
  checkExternalPsk,
  choosePsk,
  computeBinder,
  decodeImportedIdentity,
  earlySecrets,
  externalPsks,
  hrrPrefix,
  importPsk,
  offeredPsks,
  placeholderPskExtension,
  type Psk,
  pskKeySchedule,
  TARGET_KDFS,
  truncateClientHello,
  verifyBinder,
} from "./psk.ts";
import { RecordProtection } from "./record.ts";
import { TlsClient } from "./client.ts";
import { memoryPipe } from "./connection.ts";
import { TlsServer } from "./server.ts";
import {
  decodeSessionState,
  encodeSessionState,
  MAX_TICKET_LIFETIME,
  obfuscatedAge,
  resumptionPsk,
  ticketFromMessage,
  TicketIssuer,
  TicketStore,
} from "./tickets.ts";
import { RFC8448 } from "./testdata/vectors.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const VECTORS: Json = RFC8448;
const SUITE = SUITES.TLS_AES_128_GCM_SHA256;
const h = fromHex;
const FIRST = VECTORS.scenarios.simple_1rtt;
const RESUMED = VECTORS.scenarios.resumed_0rtt;

function traceTicket() {
  const m = decodeHandshake(h(FIRST.messages.new_session_ticket)).message;
  if (m.type !== "new_session_ticket") throw new Error("not a NewSessionTicket");
  return m.body;
}

function traceClientHello() {
  const m = decodeHandshake(h(RESUMED.messages.client_hello)).message;
  if (m.type !== "client_hello") throw new Error("not a ClientHello");
  return m.body;
}

const resumptionPskOfTrace = (): Psk => ({
  kind: "resumption",
  identity: traceTicket().ticket,
  key: resumptionPsk(SUITE, h(FIRST.secrets.resumption_master_secret), traceTicket().nonce),
  hash: "sha256",
  label: "ticket",
});

Deno.test("RFC 8448 §4: the resumption PSK comes from simple_1rtt's NewSessionTicket", () => {
  const nst = traceTicket();
  const ticket = ticketFromMessage(
    nst,
    SUITE,
    h(FIRST.secrets.resumption_master_secret),
    "x25519",
    0,
  );
  equal(toHex(ticket.psk), RESUMED.secrets.psk);
  equal(ticket.lifetime, 30);
  equal(ticket.maxEarlyData, 1024); // the trace's ticket allows 0-RTT: early_data(1024)
  // The resumed ClientHello offers exactly that ticket, with its obfuscated age.
  const offered = offeredPsks(traceClientHello())!;
  equal(offered.identities.length, 1);
  equal(toHex(offered.identities[0].identity), toHex(nst.ticket));
  const age = (offered.identities[0].obfuscatedTicketAge - nst.ageAdd) >>> 0;
  equal(obfuscatedAge(ticket, age), offered.identities[0].obfuscatedTicketAge);
});

Deno.test("RFC 8448 §4: early secret, binder key, binder finished key and binder", () => {
  const psk = resumptionPskOfTrace();
  const s = RESUMED.secrets;
  equal(toHex(pskKeySchedule(psk).earlySecret), s.early_secret);
  equal(toHex(binderKey(psk)), s.binder_key);
  equal(toHex(binderFinishedKey(psk)), s.binder_finished_key);

  const full = h(RESUMED.messages.client_hello);
  const offered = offeredPsks(traceClientHello())!;
  const truncated = truncateClientHello(full, offered);
  equal(toHex(truncated), RESUMED.messages.client_hello_truncated_for_binder);
  equal(toHex(SUITE.hash(truncated)), RESUMED.transcript_hashes.truncated_client_hello_for_binder);
  equal(toHex(computeBinder(psk, new Uint8Array(0), truncated)), s.binder);
  equal(toHex(offered.binders[0]), s.binder);
  // The server's check accepts the trace's ClientHello and refuses one altered binder bit.
  verifyBinder(psk, 0, full, offered, new Uint8Array(0));
  const bad = { ...offered, binders: [offered.binders[0].map((b, i) => i === 0 ? b ^ 1 : b)] };
  throws(
    () => verifyBinder(psk, 0, full, bad, new Uint8Array(0)),
    (e: TlsAlert) => e.alert === "decrypt_error",
  );
  // The other labels give other binders: no PSK kind can stand in for another.
  for (const kind of ["external", "imported"] as const) {
    const other = toHex(computeBinder({ ...psk, kind }, new Uint8Array(0), truncated));
    equal(other === s.binder, false, kind);
  }
});

Deno.test("RFC 8448 §4: binding a ClientHello with placeholder binders gives the trace's bytes", () => {
  const ch = traceClientHello();
  const psk = resumptionPskOfTrace();
  const age = offeredPsks(ch)!.identities[0].obfuscatedTicketAge;
  const unbound = {
    ...ch,
    extensions: ch.extensions.map((e) =>
      e.type === EXTENSIONS.pre_shared_key ? placeholderPskExtension([psk], [age]) : e
    ),
  };
  // Placeholders have the final length, so the truncated hello is already the trace's.
  const encoded = encodeHandshake({ type: "client_hello", body: unbound });
  equal(encoded.length, h(RESUMED.messages.client_hello).length);
  const bound = bindClientHello(unbound, [psk], new Uint8Array(0));
  equal(
    toHex(encodeHandshake({ type: "client_hello", body: bound })),
    RESUMED.messages.client_hello,
  );
});

Deno.test("RFC 8448 §4: client early traffic secret, early exporter and the 0-RTT records", () => {
  const psk = resumptionPskOfTrace();
  const ks = pskKeySchedule(psk);
  const chHash = SUITE.hash(h(RESUMED.messages.client_hello));
  equal(toHex(chHash), RESUMED.transcript_hashes.through_client_hello);
  const early = earlySecrets(ks, chHash);
  equal(toHex(early.clientEarlyTraffic), RESUMED.secrets.client_early_traffic_secret);
  equal(toHex(early.earlyExporter), RESUMED.secrets.early_exporter_master_secret);
  const keys = trafficKeys(SUITE, early.clientEarlyTraffic);
  equal(toHex(keys.key), RESUMED.keys.client_early.key);
  equal(toHex(keys.iv), RESUMED.keys.client_early.iv);

  // Record 1: six bytes of 0-RTT application data; record 4: EndOfEarlyData (sequence 1).
  const write = new RecordProtection(SUITE, early.clientEarlyTraffic, "early");
  const data = RESUMED.records[1];
  const eoed = RESUMED.records[4];
  equal(data.protection.sequence_number, 0);
  equal(toHex(write.seal(23, h(data.payload))), data.record);
  equal(eoed.protection.sequence_number, 1);
  equal(toHex(write.seal(22, h(RESUMED.messages.end_of_early_data))), eoed.record);

  const read = new RecordProtection(SUITE, early.clientEarlyTraffic, "early");
  for (const [r, type] of [[data, 23], [eoed, 22]] as const) {
    const bytes = h(r.record);
    const opened = read.open({
      contentType: 23,
      legacyVersion: 0x0303,
      fragment: bytes.subarray(5),
      bytes,
    });
    equal(opened.contentType, type);
    equal(toHex(opened.content), r.payload);
  }
  equal(new TextDecoder().decode(h(data.payload)), "ABCDEF");
});

Deno.test("binder after HelloRetryRequest: message_hash(CH1) ‖ HRR ‖ Truncate(CH2)", () => {
  const s = VECTORS.scenarios.hrr;
  const psk: Psk = {
    kind: "external",
    identity: new Uint8Array([1]),
    key: new Uint8Array(32).fill(7),
    hash: "sha256",
    label: "x",
  };
  const ch1 = h(s.messages.client_hello_1);
  const hrr = h(s.messages.hello_retry_request);
  const truncated = h(RESUMED.messages.client_hello_truncated_for_binder); // any bytes will do
  // The same transcript built by the TranscriptHash class the handshake uses.
  const t = new TranscriptHash();
  t.add(ch1);
  t.replaceFirstWithMessageHash(SUITE);
  t.add(hrr);
  t.add(truncated);
  const expected = finishedVerifyData(SUITE, binderKey(psk), t.hash(SUITE));
  equal(toHex(computeBinder(psk, hrrPrefix(psk, ch1, hrr), truncated)), toHex(expected));
});

// ---------------------------------------------------------------- RFC 9258, computed twice

const subtle = crypto.subtle;
const HASH_NAME = { sha256: "SHA-256", sha384: "SHA-384" } as const;
const LEN = { sha256: 32, sha384: 48 } as const;

async function webHmac(hash: "sha256" | "sha384", key: Uint8Array, data: Uint8Array) {
  const k = await subtle.importKey(
    "raw",
    key as BufferSource,
    { name: "HMAC", hash: HASH_NAME[hash] },
    false,
    [
      "sign",
    ],
  );
  return new Uint8Array(await subtle.sign("HMAC", k, data as BufferSource));
}

/** HKDF-Expand-Label from RFC 5869 / RFC 9846 §7.1, built byte by byte over WebCrypto HMAC. */
async function webExpandLabel(
  hash: "sha256" | "sha384",
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
) {
  const full = new TextEncoder().encode("tls13 " + label);
  const info = new Uint8Array([
    length >> 8,
    length & 0xff,
    full.length,
    ...full,
    context.length,
    ...context,
  ]);
  let out = new Uint8Array(0);
  let t = new Uint8Array(0);
  for (let i = 1; out.length < length; i++) {
    t = await webHmac(hash, secret, new Uint8Array([...t, ...info, i]));
    out = new Uint8Array([...out, ...t]);
  }
  return out.slice(0, length);
}

for (const epskHash of ["sha256", "sha384"] as const) {
  for (const target of ["sha256", "sha384"] as const) {
    Deno.test(`RFC 9258 importer: ${epskHash} EPSK → ${target} IPSK matches a WebCrypto computation`, async () => {
      const identity = new TextEncoder().encode("Client_identity");
      const context = new TextEncoder().encode("pqinterop");
      const epsk = h("0123456789abcdef".repeat(4));
      const ipsk = importPsk({ identity, key: epsk, hash: epskHash, context }, target);
      // The ImportedIdentity, serialized by hand.
      const kdf = target === "sha256" ? 1 : 2;
      const wire = new Uint8Array([
        0,
        identity.length,
        ...identity,
        0,
        context.length,
        ...context,
        0x03,
        0x04,
        0,
        kdf,
      ]);
      equal(toHex(ipsk.identity), toHex(wire));
      assertEquals(decodeImportedIdentity(ipsk.identity), {
        externalIdentity: identity,
        context,
        targetProtocol: 0x0304,
        targetKdf: target === "sha256" ? TARGET_KDFS.HKDF_SHA256 : TARGET_KDFS.HKDF_SHA384,
      });
      const epskx = await webHmac(epskHash, new Uint8Array(LEN[epskHash]), epsk);
      const idHash = new Uint8Array(await subtle.digest(HASH_NAME[epskHash], wire));
      const expected = await webExpandLabel(epskHash, epskx, "derived psk", idHash, LEN[target]);
      equal(toHex(ipsk.key), toHex(expected));
      equal(ipsk.hash, target);
      equal(ipsk.kind, "imported");

      // Its binder key uses "imp binder" over HKDF with the target hash.
      const early = await webHmac(target, new Uint8Array(LEN[target]), ipsk.key);
      const emptyHash = new Uint8Array(await subtle.digest(HASH_NAME[target], new Uint8Array(0)));
      const bk = await webExpandLabel(target, early, "imp binder", emptyHash, LEN[target]);
      equal(toHex(binderKey(ipsk)), toHex(bk));
    });
  }
}

Deno.test("RFC 9258: one IPSK per hash among the offered suites", () => {
  const epsk = {
    identity: new TextEncoder().encode("id"),
    key: new Uint8Array(32),
    hash: "sha256" as const,
    imported: true,
  };
  assertEquals(externalPsks(epsk, ["sha256"]).map((p) => p.hash), ["sha256"]);
  assertEquals(externalPsks(epsk, ["sha256", "sha384"]).map((p) => p.hash), ["sha256", "sha384"]);
  const raw = externalPsks({ ...epsk, imported: false }, ["sha256", "sha384"]);
  equal(raw.length, 1);
  equal(raw[0].kind, "external");
  equal(toHex(raw[0].identity), toHex(epsk.identity));
  throws(() => decodeImportedIdentity(new Uint8Array([0, 0, 0, 0, 3, 4, 0, 1])), TlsAlert);
});

Deno.test("external PSK configuration: bad input is refused with a reason", () => {
  checkExternalPsk("Client_identity", "0123456789abcdef", "sha256");
  throws(() => checkExternalPsk("", "00", "sha256"), /identity is empty/);
  throws(() => checkExternalPsk("id", "abc", "sha256"), /even number of hex digits/);
  throws(() => checkExternalPsk("id", "zz", "sha256"), /even number of hex digits/);
  throws(() => checkExternalPsk("id", "00", "md5"), /unknown PSK hash "md5"/);
});

Deno.test("pre_shared_key codec: identities and binders must pair up; binders ≥ 32 bytes", () => {
  const read = (bytes: Uint8Array) => PRE_SHARED_KEY_CLIENT.read(new Reader(bytes, "test"));
  const id = [0, 7, 0, 1, 0x41, 0, 0, 0, 0];
  const binder = [32, ...new Uint8Array(32)];
  equal(read(new Uint8Array([...id, 0, 33, ...binder])).binders.length, 1);
  throws(
    () => read(new Uint8Array([...id, 0, 66, ...binder, ...binder])),
    (e: TlsAlert) => e.alert === "illegal_parameter",
  );
  throws(
    () => read(new Uint8Array([...id, 0, 33, 31, ...new Uint8Array(32)])),
    (e: TlsAlert) => e.alert === "decode_error",
  );
});

// ---------------------------------------------------------------- tickets

function clock(start = 1_700_000_000_000) {
  const c = { ms: start, now: () => c.ms };
  return c;
}

for (const store of ["stateless", "stateful"] as const) {
  Deno.test(`${store} tickets: issue, redeem, refuse altered, foreign and expired ones`, () => {
    const c = clock();
    const issuer = new TicketIssuer({ store, lifetime: 60, now: c.now });
    const rms = new Uint8Array(32).fill(9);
    const a = issuer.issue(SUITE, rms, 0, "X25519MLKEM768", 0);
    const b = issuer.issue(SUITE, rms, 1, "X25519MLKEM768", 4096);
    equal(a.ticket.lifetime, 60);
    equal(toHex(a.ticket.nonce), "0000");
    equal(toHex(b.ticket.nonce), "0001");
    equal(a.ticket.extensions.length, 0);
    equal(getExtension(b.ticket.extensions, EARLY_DATA_TICKET), 4096);
    equal(toHex(a.state.psk), toHex(resumptionPsk(SUITE, rms, a.ticket.nonce)));
    equal(toHex(a.state.psk) === toHex(b.state.psk), false);
    // The NewSessionTicket survives the wire.
    const wire = encodeHandshake({ type: "new_session_ticket", body: b.ticket });
    const back = decodeHandshake(wire).message;
    assertEquals(back, { type: "new_session_ticket", body: b.ticket });

    const got = issuer.redeem(a.ticket.ticket)!;
    assertEquals(got, a.state);
    const altered = a.ticket.ticket.map((x, i) => i === a.ticket.ticket.length - 1 ? x ^ 1 : x);
    equal(issuer.redeem(altered), null);
    equal(new TicketIssuer({ store, now: c.now }).redeem(b.ticket.ticket), null);
    if (store === "stateful") equal(issuer.redeem(a.ticket.ticket), null, "single use");
    c.ms += 61_000;
    equal(issuer.redeem(b.ticket.ticket), null, "expired");
  });
}

Deno.test("tickets: lifetime capped at seven days on both sides", () => {
  throws(() => new TicketIssuer({ lifetime: MAX_TICKET_LIFETIME + 1 }), /exceeds 604800/);
  const nst = { ...traceTicket(), lifetime: MAX_TICKET_LIFETIME + 1 };
  throws(
    () => ticketFromMessage(nst, SUITE, new Uint8Array(32), null),
    (e: TlsAlert) => e.alert === "illegal_parameter",
  );
});

Deno.test("tickets: 0-RTT once per ticket, and only with a fresh age", () => {
  const c = clock();
  const issuer = new TicketIssuer({ now: c.now });
  const { ticket, state } = issuer.issue(SUITE, new Uint8Array(32), 0, null, 1000);
  const client = ticketFromMessage(ticket, SUITE, new Uint8Array(32), null, c.ms);
  equal(toHex(client.psk), toHex(state.psk));
  c.ms += 2500;
  const age = obfuscatedAge(client, c.ms);
  equal(age, (2500 + state.ageAdd) >>> 0);
  equal(issuer.allowEarlyData(ticket.ticket, state, (age + 60_000) >>> 0), false, "stale age");
  equal(issuer.allowEarlyData(ticket.ticket, state, age), true);
  equal(issuer.allowEarlyData(ticket.ticket, state, age), false, "replayed");
  const none = issuer.issue(SUITE, new Uint8Array(32), 1, null, 0);
  equal(issuer.allowEarlyData(none.ticket.ticket, none.state, age), false, "no early data");
});

Deno.test("tickets: obfuscated age wraps mod 2^32; the store is per server, newest first", () => {
  const t = {
    ticket: new Uint8Array([1]),
    psk: new Uint8Array(32),
    suite: "TLS_AES_128_GCM_SHA256" as const,
    ageAdd: 0xffffff00,
    lifetime: 10,
    receivedMs: 1000,
    maxEarlyData: 0,
    group: null,
  };
  equal(obfuscatedAge(t, 1000 + 0x200), 0x100);
  const store = new TicketStore();
  const key = TicketStore.key("localhost", 4433);
  equal(key, "localhost:4433");
  store.add(key, t);
  store.add(key, { ...t, ticket: new Uint8Array([2]), receivedMs: 2000 });
  store.add(TicketStore.key("localhost", 4434), { ...t, ticket: new Uint8Array([3]) });
  equal(store.count(key), 2);
  equal(store.take(key, 2500)!.ticket[0], 2);
  equal(store.take(key, 11_500), null, "the older one expired at 11 s");
  equal(store.count(key), 0);
  equal(store.take(TicketStore.key("localhost", 4434), 1500)!.ticket[0], 3);
});

Deno.test("session state: encode and decode side by side", () => {
  const s = {
    suite: "TLS_AES_256_GCM_SHA384" as const,
    psk: new Uint8Array(48).fill(3),
    group: "MLKEM1024" as const,
    createdMs: 1_763_900_000_123,
    ageAdd: 0xdeadbeef,
    lifetime: 604800,
    maxEarlyData: 16384,
  };
  assertEquals(decodeSessionState(encodeSessionState(s)), s);
  assertEquals(decodeSessionState(encodeSessionState({ ...s, group: null })).group, null);
});

Deno.test("the server's choice: first known identity whose hash fits a suite it accepts", () => {
  const id = (s: string) => new TextEncoder().encode(s);
  const alice = { identity: id("alice"), key: new Uint8Array(32).fill(1), hash: "sha256" as const };
  const bob = { identity: id("bob"), key: new Uint8Array(48).fill(2), hash: "sha384" as const };
  const dave = { ...alice, identity: id("dave"), imported: true };
  const offered = (...names: Uint8Array[]) => ({
    identities: names.map((identity) => ({ identity, obfuscatedTicketAge: 0 })),
    binders: names.map(() => new Uint8Array(32)),
  });
  const sha256Only = {
    external: [alice, bob, dave],
    suites: [SUITES.TLS_CHACHA20_POLY1305_SHA256],
  };
  const both = {
    ...sha256Only,
    suites: [SUITES.TLS_AES_256_GCM_SHA384, SUITES.TLS_AES_128_GCM_SHA256],
  };
  // carol is unknown, bob's SHA-384 fits no suite: alice (index 2) it is.
  const pick = choosePsk(offered(id("carol"), id("bob"), id("alice")), sha256Only)!;
  assertEquals([pick.index, pick.psk.label, pick.suite.name], [
    2,
    "alice",
    "TLS_CHACHA20_POLY1305_SHA256",
  ]);
  const pick384 = choosePsk(offered(id("bob"), id("alice")), both)!;
  assertEquals([pick384.index, pick384.suite.name], [0, "TLS_AES_256_GCM_SHA384"]);
  equal(choosePsk(offered(id("carol")), both), null);
  // Imported identities are recognised by their serialized ImportedIdentity, per target hash.
  const ipsk = importPsk(dave, "sha384");
  const imp = choosePsk(offered(ipsk.identity), both)!;
  assertEquals([imp.psk.kind, imp.psk.label, imp.suite.name], [
    "imported",
    "dave",
    "TLS_AES_256_GCM_SHA384",
  ]);
  equal(toHex(imp.psk.key), toHex(ipsk.key));
  equal(
    choosePsk(offered(id("dave")), both),
    null,
    "the raw identity of an imported PSK is unknown",
  );
  // Tickets through the lookup function.
  const ticket = choosePsk(offered(id("T")), {
    ...both,
    ticket: (i) =>
      i[0] === 0x54 ? { psk: new Uint8Array(32), suite: SUITES.TLS_AES_128_GCM_SHA256 } : null,
  })!;
  assertEquals([ticket.psk.kind, ticket.suite.name], ["resumption", "TLS_AES_128_GCM_SHA256"]);
});

// ---------------------------------------------------------------- RFC 8448 §4 replayed

Deno.test("RFC 8448 §4 resumed 0-RTT: both roles put the trace's records on the wire", async () => {
  const s = RESUMED;
  const nst = traceTicket();
  const rms = h(FIRST.secrets.resumption_master_secret);
  const ch = traceClientHello();
  const age = (offeredPsks(ch)!.identities[0].obfuscatedTicketAge - nst.ageAdd) >>> 0;
  const now = Date.now();
  // The client holds simple_1rtt's ticket, received `age` ms ago; the server knows it.
  const store = new TicketStore();
  store.add("server", ticketFromMessage(nst, SUITE, rms, "x25519", now - age));
  const issuer = new TicketIssuer({ store: "stateful" });
  issuer.adopt(nst.ticket, {
    suite: SUITE.name,
    psk: resumptionPsk(SUITE, rms, nst.nonce),
    group: "x25519",
    createdMs: now - age,
    ageAdd: nst.ageAdd,
    lifetime: nst.lifetime,
    maxEarlyData: 1024,
  });
  const eeTrace = decodeHandshake(h(s.messages.encrypted_extensions)).message;
  if (eeTrace.type !== "encrypted_extensions") throw new Error("not EncryptedExtensions");
  const [a, b] = memoryPipe();
  const client = new TlsClient(a, {
    serverName: "server",
    groups: ["x25519"],
    keyShares: ["x25519"],
    cipherSuites: [
      "TLS_AES_128_GCM_SHA256",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_AES_256_GCM_SHA384",
    ],
    compatibilityMode: false,
    tickets: store,
    ticketKey: "server",
    earlyData: new TextEncoder().encode("ABCDEF"),
    // The trace's extension list (ffdhe groups, padding, …); the PSK binder is still ours.
    hooks: {
      clientHello: (hello) => {
        equal(
          toHex(hello.extensions.find((e) => e.type === EXTENSIONS.key_share)!.data),
          toHex(ch.extensions.find((e) => e.type === EXTENSIONS.key_share)!.data),
        );
        return { ...hello, extensions: ch.extensions };
      },
    },
    test: {
      random: h(s.client_random),
      sessionId: new Uint8Array(0),
      keyShareSeeds: { x25519: h(s.ephemeral_keys.client_x25519.private_key) },
    },
  });
  const server = new TlsServer(b, {
    groups: ["x25519"],
    compatibilityMode: false,
    tickets: issuer,
    maxEarlyData: 1024,
    hooks: { encryptedExtensions: () => eeTrace.body.extensions },
    test: {
      random: h(s.server_random),
      keyShareSeeds: { x25519: h(s.ephemeral_keys.server_x25519.private_key) },
    },
  });
  await Promise.all([client.handshake(), server.handshake()]);
  const sent = (e: { transcript: { direction: string; hex: string }[] }) =>
    e.transcript.filter((t) => t.direction === "sent").map((t) => t.hex);
  const trace = (who: string) =>
    s.records.filter((r: Json) => r.sender === who).map((r: Json) => r.record);
  // Client: ClientHello, 0-RTT "ABCDEF", EndOfEarlyData, Finished. Server: ServerHello, flight.
  assertEquals(sent(client), trace("client").slice(0, 4));
  assertEquals(sent(server), trace("server").slice(0, 2));
  equal(new TextDecoder().decode((await server.read())!), "ABCDEF");
  // Then application data and close_notify both ways, under the trace's keys and sequences.
  await client.write(h(s.records[6].payload));
  equal(toHex((await server.read())!), s.records[6].payload);
  await server.write(h(s.records[7].payload));
  equal(toHex((await client.read())!), s.records[7].payload);
  await client.close();
  equal(await server.read(), null);
  await server.close();
  assertEquals(sent(client), trace("client"));
  assertEquals(sent(server), trace("server"));
  for (const end of [client.summary(), server.summary()]) {
    assertEquals(
      [end.ok, end.resumed, end.pskMode, end.earlyData, end.group],
      [true, true, "psk_dhe_ke", "accepted", "x25519"],
    );
  }
});
