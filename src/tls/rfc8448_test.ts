// RFC 8448 replayed byte for byte: with the trace's randoms, ephemeral keys, cookie and PSS salt
// injected, our client and our server (talking to each other over an in-memory pipe) must put
// exactly the trace's records on the wire, and the key schedule must derive the trace's secrets
// and traffic keys. Every trace message must also survive decode-then-encode unchanged.
//
// The trace's ClientHello and EncryptedExtensions carry extensions we would not send ourselves
// (ffdhe groups, record_size_limit, renegotiation_info, …); the hooks seam swaps those extension
// lists in, after asserting that the parts we compute (the key_share, the cookie) are identical.

import { deepEqual as assertEquals, equal } from "node:assert/strict";
import { TlsClient } from "./client.ts";
import { concat, fromHex, toHex } from "./codec.ts";
import { memoryPipe } from "./connection.ts";
import type { ClientConfig, ServerConfig } from "./config.ts";
import { RecordSplitter } from "./cleartext.ts";
import { type Extension } from "./extensions.ts";
import type { Hooks } from "./hooks.ts";
import {
  deriveSecret,
  finishedVerifyData,
  KeySchedule,
  SUITES,
  trafficKeys,
  TranscriptHash,
} from "./keyschedule.ts";
import { type ClientHello, decodeHandshake, encodeHandshake } from "./messages.ts";
import { RecordProtection } from "./record.ts";
import { TlsServer } from "./server.ts";
import { recoverPssSalt, rsaKeyFromComponents } from "./signatures.ts";
import { EXTENSIONS } from "./names.ts";
import { RFC8448 } from "./testdata/vectors.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const VECTORS: Json = RFC8448;
const SUITE = SUITES.TLS_AES_128_GCM_SHA256;
const h = fromHex;

function rsaKey() {
  const k = VECTORS.rsa_private_key;
  return rsaKeyFromComponents({
    n: k.modulus,
    e: k.public_exponent,
    d: k.private_exponent,
    p: k.prime1,
    q: k.prime2,
  });
}

const extensionsOf = (hex: string): Extension[] => {
  const m = decodeHandshake(h(hex)).message;
  if (m.type === "client_hello") return m.body.extensions;
  if (m.type === "encrypted_extensions") return m.body.extensions;
  throw new Error(`no extension list in ${m.type}`);
};

const extData = (list: Extension[], type: number) =>
  toHex(list.find((e) => e.type === type)?.data ?? new Uint8Array(0));

/** Certificate DER from a Certificate message with one entry and no context. */
function leafOf(certificateMessage: string): Uint8Array {
  const m = decodeHandshake(h(certificateMessage)).message;
  if (m.type !== "certificate") throw new Error("not a Certificate");
  return m.body.entries[0].data;
}

/** Runs our client against our server with everything the trace fixes injected. */
type Scenario = "simple_1rtt" | "hrr" | "compat_mode";

/** Client and server configurations that pin everything the trace fixes. */
function configure(name: Scenario) {
  const compat = name === "compat_mode";
  const s = VECTORS.scenarios[name];
  const k = s.ephemeral_keys;
  const hrr = name === "hrr";
  const chMessages: string[] = hrr
    ? [s.messages.client_hello_1, s.messages.client_hello_2]
    : [s.messages.client_hello];
  const cert = leafOf(s.messages.server_certificate);
  const cvSignature = decodeHandshake(h(s.messages.server_certificate_verify)).message;
  if (cvSignature.type !== "certificate_verify") throw new Error("not a CertificateVerify");
  const key = rsaKey();

  const clientHooks: Hooks = {
    clientHello(hello: ClientHello, attempt) {
      const trace = extensionsOf(chMessages[attempt - 1]);
      // What we computed must be what the trace shows; only the other extensions are swapped in.
      for (const type of [EXTENSIONS.key_share, EXTENSIONS.cookie]) {
        equal(extData(hello.extensions, type), extData(trace, type), `CH${attempt} ext ${type}`);
      }
      return { ...hello, extensions: trace };
    },
  };
  const serverHooks: Hooks = {
    encryptedExtensions: () => extensionsOf(s.messages.encrypted_extensions),
  };
  const hrrMessage = hrr ? decodeHandshake(h(s.messages.hello_retry_request)).message : null;
  const cookie = hrrMessage?.type === "server_hello"
    ? hrrMessage.body.extensions.find((e) => e.type === EXTENSIONS.cookie)!.data.subarray(2)
    : undefined;

  const clientConfig: ClientConfig = {
    groups: hrr ? ["x25519", "secp256r1", "secp384r1"] : ["x25519"],
    keyShares: ["x25519"],
    cipherSuites: [
      "TLS_AES_128_GCM_SHA256",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_AES_256_GCM_SHA384",
    ],
    signatureSchemes: ["rsa_pss_rsae_sha256"],
    trustAnchors: [cert],
    compatibilityMode: compat,
    hooks: clientHooks,
    test: {
      random: h(s.client_random),
      sessionId: h(s.legacy_session_id ?? ""),
      keyShareSeeds: {
        x25519: h(k.client_x25519.private_key),
        ...(hrr ? { secp256r1: h(k.client_p256.private_key) } : {}),
      },
      now: new Date("2020-01-01T00:00:00Z"),
    },
  };
  const serverConfig: ServerConfig = {
    certificate: { chain: [cert], key },
    groups: hrr ? ["secp256r1", "x25519"] : ["x25519"],
    preferHrr: hrr,
    compatibilityMode: compat,
    hooks: serverHooks,
    test: {
      random: h(s.server_random),
      keyShareSeeds: hrr
        ? { secp256r1: h(k.server_p256.private_key) }
        : { x25519: h(k.server_x25519.private_key) },
      cookie,
      pssSalt: recoverPssSalt(key.spki, "rsa_pss_rsae_sha256", cvSignature.body.signature),
    },
  };
  return { s, clientConfig, serverConfig };
}

/** Our client against our server, both configured from the trace. */
async function replay(name: Scenario) {
  const { s, clientConfig, serverConfig } = configure(name);
  const [a, b] = memoryPipe();
  const client = new TlsClient(a, clientConfig);
  const server = new TlsServer(b, serverConfig);
  await Promise.all([client.handshake(), server.handshake()]);
  return { s, client, server };
}

/**
 * One role alone against the trace itself: a script plays the other role by writing the trace's
 * records verbatim and checking that every record we send is the trace's next one.
 */
async function replayAlone(name: Scenario, role: "client" | "server") {
  const { s, clientConfig, serverConfig } = configure(name);
  const [ours, theirs] = memoryPipe();
  const endpoint = role === "client"
    ? new TlsClient(ours, clientConfig)
    : new TlsServer(ours, serverConfig);
  const handshake = endpoint.handshake();
  const splitter = new RecordSplitter();
  const inbox: string[] = [];
  const buf = new Uint8Array(65536);
  let compared = 0;
  // The handshake records: everything up to and including the client's Finished.
  const last = s.records.findIndex((r: Json) =>
    r.sender === "client" && r.protection?.key === "client_handshake"
  );
  for (const r of s.records.slice(0, last + 1)) {
    if (r.sender !== role) {
      await theirs.write(h(r.record));
      continue;
    }
    while (inbox.length === 0) {
      const n = await theirs.read(buf);
      if (n === null) throw new Error(`our ${role} closed: ${endpoint.summary().error}`);
      inbox.push(...splitter.feed(buf.subarray(0, n)).map((w) => toHex(w.bytes)));
    }
    equal(inbox.shift(), r.record);
    compared++;
  }
  await handshake;
  // Both the first flight and the last one were ours to send in every scenario.
  equal(compared >= 2, true);
  equal(endpoint.summary().ok, true);
}

/** The trace's records sent by `sender`, in order, as hex. */
const traceRecords = (s: Json, sender: string, upTo = Infinity): string[] =>
  s.records.filter((r: Json, i: number) => r.sender === sender && i < upTo).map((r: Json) =>
    r.record
  );

const sentHex = (entries: { direction: string; hex: string }[]) =>
  entries.filter((e) => e.direction === "sent").map((e) => e.hex);

Deno.test("RFC 8448 §3 simple 1-RTT: both roles put the trace's records on the wire", async () => {
  const { s, client, server } = await replay("simple_1rtt");
  // Records 0..3 are the handshake; the server's NewSessionTicket (record 4) is issue 4's.
  assertEquals(sentHex(client.transcript), traceRecords(s, "client", 4));
  assertEquals(sentHex(server.transcript), traceRecords(s, "server", 4));

  // Client application data (client_application key, sequence 0) and its close_notify (seq 1).
  await client.write(h(s.records[5].payload));
  await client.close();
  const clientSent = sentHex(client.transcript);
  assertEquals(clientSent.slice(-2), [s.records[5].record, s.records[7].record]);
  // The server reads exactly that payload, then sees the close.
  assertEquals(toHex((await server.read())!), s.records[5].payload);
  assertEquals(await server.read(), null);

  const summary = client.summary();
  assertEquals(summary.ok, true);
  assertEquals(summary.group, "x25519");
  assertEquals(summary.cipherSuite, "TLS_AES_128_GCM_SHA256");
  assertEquals(summary.signatureScheme, "rsa_pss_rsae_sha256");
  assertEquals(summary.peerCertificate?.keyType.startsWith("rsa"), true);
  assertEquals(server.summary().helloRetryRequest, false);
});

Deno.test("RFC 8448 §3: server application records under the trace's key and sequence", () => {
  const s = VECTORS.scenarios.simple_1rtt;
  const key = new RecordProtection(SUITE, h(s.keys.server_application.secret), "application");
  key.seq = 1; // sequence 0 carried the NewSessionTicket
  assertEquals(toHex(key.seal(23, h(s.records[6].payload))), s.records[6].record);
  assertEquals(toHex(key.seal(21, h(s.records[8].payload))), s.records[8].record);
});

Deno.test("RFC 8448 §5 HelloRetryRequest: both roles put the trace's records on the wire", async () => {
  const { s, client, server } = await replay("hrr");
  assertEquals(sentHex(client.transcript), traceRecords(s, "client", 6));
  assertEquals(sentHex(server.transcript), traceRecords(s, "server", 6));
  await client.close();
  await server.read();
  await server.close();
  assertEquals(sentHex(client.transcript).at(-1), s.records[6].record);
  assertEquals(sentHex(server.transcript).at(-1), s.records[7].record);
  for (const end of [client.summary(), server.summary()]) {
    assertEquals(end.helloRetryRequest, true);
    assertEquals(end.group, "secp256r1");
  }
  assertEquals(
    server.summary().hrrReason,
    "client offered no share for secp256r1, our first preference",
  );
});

Deno.test("RFC 8448 §7 compatibility mode: session id and both dummy CCS records", async () => {
  const { s, client, server } = await replay("compat_mode");
  // Client: ClientHello, CCS, Finished. Server: ServerHello, CCS, encrypted flight.
  assertEquals(sentHex(client.transcript), traceRecords(s, "client", 6));
  assertEquals(sentHex(server.transcript), traceRecords(s, "server", 6));
  await client.close();
  await server.read();
  await server.close();
  assertEquals(sentHex(client.transcript).at(-1), s.records[6].record);
  assertEquals(sentHex(server.transcript).at(-1), s.records[7].record);
});

for (const name of ["simple_1rtt", "hrr", "compat_mode"] as const) {
  for (const role of ["client", "server"] as const) {
    Deno.test(`RFC 8448 ${name}: our ${role} alone against the trace's records`, async () => {
      await replayAlone(name, role);
    });
  }
}

for (const name of ["simple_1rtt", "hrr", "client_auth", "compat_mode"] as const) {
  Deno.test(`RFC 8448 ${name}: key schedule, Finished and traffic keys match the trace`, () => {
    const s = VECTORS.scenarios[name];
    const m = s.messages;
    const t = new TranscriptHash();
    const order: string[] = name === "hrr"
      ? ["client_hello_1", "hello_retry_request", "client_hello_2", "server_hello"]
      : ["client_hello", "server_hello"];
    for (const msg of order) {
      t.add(h(m[msg]));
      if (msg === "client_hello_1") t.replaceFirstWithMessageHash(SUITE);
    }
    assertEquals(toHex(t.hash(SUITE)), s.transcript_hashes.through_server_hello);
    const ks = new KeySchedule(SUITE);
    assertEquals(toHex(ks.earlySecret), s.secrets.early_secret);
    ks.enterHandshake(h(s.secrets.ecdhe_shared_secret));
    assertEquals(toHex(ks.handshakeSecret!), s.secrets.handshake_secret);
    const hs = ks.handshakeTrafficSecrets(t.hash(SUITE));
    assertEquals(toHex(hs.client), s.secrets.client_handshake_traffic_secret);
    assertEquals(toHex(hs.server), s.secrets.server_handshake_traffic_secret);
    for (const [dir, secret] of [["client", hs.client], ["server", hs.server]] as const) {
      const keys = trafficKeys(SUITE, secret);
      assertEquals(toHex(keys.key), s.keys[`${dir}_handshake`].key);
      assertEquals(toHex(keys.iv), s.keys[`${dir}_handshake`].iv);
    }
    const serverFlight = [
      "encrypted_extensions",
      ...(m.certificate_request ? ["certificate_request"] : []),
      "server_certificate",
      "server_certificate_verify",
    ];
    for (const msg of serverFlight) t.add(h(m[msg]));
    assertEquals(
      toHex(finishedVerifyData(SUITE, hs.server, t.hash(SUITE))),
      s.secrets.server_finished_verify_data,
    );
    t.add(h(m.server_finished));
    assertEquals(toHex(t.hash(SUITE)), s.transcript_hashes.through_server_finished);
    ks.enterMaster();
    assertEquals(toHex(ks.masterSecret!), s.secrets.master_secret);
    const app = ks.applicationSecrets(t.hash(SUITE));
    assertEquals(toHex(app.client), s.secrets.client_application_traffic_secret_0);
    assertEquals(toHex(app.server), s.secrets.server_application_traffic_secret_0);
    assertEquals(toHex(app.exporter), s.secrets.exporter_master_secret);
    for (const [dir, secret] of [["client", app.client], ["server", app.server]] as const) {
      const keys = trafficKeys(SUITE, secret);
      assertEquals(toHex(keys.key), s.keys[`${dir}_application`].key);
      assertEquals(toHex(keys.iv), s.keys[`${dir}_application`].iv);
    }
    for (const msg of ["client_certificate", "client_certificate_verify"]) {
      if (m[msg]) t.add(h(m[msg]));
    }
    assertEquals(
      toHex(finishedVerifyData(SUITE, hs.client, t.hash(SUITE))),
      s.secrets.client_finished_verify_data,
    );
    t.add(h(m.client_finished));
    assertEquals(toHex(t.hash(SUITE)), s.transcript_hashes.through_client_finished);
    assertEquals(
      toHex(ks.resumptionMasterSecret(t.hash(SUITE))),
      s.secrets.resumption_master_secret,
    );
    // Derive-Secret with an explicit label, as printed in the trace.
    assertEquals(
      toHex(deriveSecret(SUITE.hash, ks.earlySecret, "derived", SUITE.hash(new Uint8Array(0)))),
      s.secrets.derived_for_handshake,
    );
  });
}

Deno.test("RFC 8448: every protected record opens to the trace's payload", () => {
  for (const [name, s] of Object.entries<Json>(VECTORS.scenarios)) {
    for (const r of s.records) {
      if (!r.protection || !s.keys[r.protection.key]) continue;
      const key = new RecordProtection(SUITE, h(s.keys[r.protection.key].secret), r.protection.key);
      key.seq = r.protection.sequence_number;
      const bytes = h(r.record);
      const opened = key.open({
        contentType: bytes[0],
        legacyVersion: 0x0303,
        fragment: bytes.subarray(5),
        bytes,
      });
      assertEquals(toHex(opened.content), r.payload, `${name} ${r.protection.key}`);
    }
  }
});

Deno.test("RFC 8448: decode-then-encode of every trace message is byte-identical", () => {
  let count = 0;
  for (const s of Object.values<Json>(VECTORS.scenarios)) {
    for (const [name, hex] of Object.entries<string>(s.messages)) {
      if (name.includes("truncated")) continue; // a ClientHello prefix, not a message
      const decoded = decodeHandshake(h(hex));
      assertEquals(toHex(encodeHandshake(decoded.message)), hex, name);
      assertEquals(decoded.fields[0].length, h(hex).length);
      count++;
    }
  }
  assertEquals(count >= 35, true);
  // The pieces of a record concatenate back to the record.
  const r = VECTORS.scenarios.simple_1rtt.records[0];
  assertEquals(toHex(concat(h(r.record).subarray(0, 5), h(r.payload))), r.record);
});
