// The peer says no, with the alert the RFC names: malformed key shares (both directions),
// HelloRetryRequest rule violations, oversized records, bad Finished, wrong message order.
// Misbehaviour comes through the hooks seam or a scripted raw peer, never from the core.

import { deepEqual, equal } from "node:assert/strict";
import { TlsClient } from "./client.ts";
import { concat, Reader } from "./codec.ts";
import type { ClientConfig, ServerConfig } from "./config.ts";
import { memoryPipe, type Transport } from "./connection.ts";
import {
  encodeExtension,
  KEY_SHARE_CLIENT,
  KEY_SHARE_HRR,
  readExtensions,
  SUPPORTED_VERSIONS_SERVER,
  TLS12,
  TLS13,
} from "./extensions.ts";
import { COMPONENT_LAYOUT, generateClientShare, withCoefficient } from "./groups.ts";
import type { Hooks } from "./hooks.ts";
import { constantTimeEqual } from "./keyschedule.ts";
import { encodeHandshake, type Handshake, HRR_RANDOM } from "./messages.ts";
import { type AlertName, ALERTS, EXTENSIONS, type GroupName, GROUPS, nameOf } from "./names.ts";
import { plaintextRecord } from "./record.ts";
import { TlsServer } from "./server.ts";
import type { ConnectionSummary } from "./summary.ts";
import { testPki } from "../testing/pki.ts";
import { RecordSplitter, type WireRecord } from "./cleartext.ts";

const pki = await testPki();
const leaf = await pki.leaf("ecdsa-p256");

async function run(
  server: Partial<ServerConfig>,
  client: ClientConfig,
): Promise<{ client: ConnectionSummary; server: ConnectionSummary }> {
  const [a, b] = memoryPipe();
  const c = new TlsClient(a, { serverName: "localhost", trustAnchors: [pki.ca], ...client });
  const s = new TlsServer(b, { certificate: leaf, ...server });
  const [cr, sr] = await Promise.allSettled([c.handshake(), s.handshake()]);
  // A client finishes before the server has checked its Finished: the verdict comes on read.
  if (cr.status === "fulfilled" && sr.status === "rejected") await c.read().catch(() => {});
  return { client: c.summary(), server: s.summary() };
}

/** `detector` sent `alert`, and the other side received it. */
function assertAlert(
  r: { client: ConnectionSummary; server: ConnectionSummary },
  detector: "client" | "server",
  alert: AlertName,
) {
  const other = detector === "client" ? "server" : "client";
  deepEqual(
    { alert: r[detector].alert, direction: r[detector].alertDirection },
    { alert, direction: "sent" },
    `${detector}: ${r[detector].error}`,
  );
  deepEqual({ alert: r[other].alert, direction: r[other].alertDirection }, {
    alert,
    direction: "received",
  });
  equal(r.client.ok, false);
  equal(r.server.ok, false);
}

// ---------------------------------------------------------------- malformed key shares

/** Byte offset and size of a component of `group`'s share on one side. */
function component(group: GroupName, side: "client" | "server", name: string) {
  let at = 0;
  for (const c of COMPONENT_LAYOUT[group]) {
    if (c.name === name) return { at, size: c[side] };
    at += c[side];
  }
  throw new Error(`${group} has no ${name}`);
}

function replacePart(share: Uint8Array, at: number, part: Uint8Array): Uint8Array {
  const out = share.slice();
  out.set(part, at);
  return out;
}

/** An off-curve point: a valid encoding with y changed. */
function offCurve(point: Uint8Array): Uint8Array {
  const out = point.slice();
  out[out.length - 1] ^= 1;
  return out;
}

type Mutation = (group: GroupName, share: Uint8Array) => Uint8Array;

const ECDH_NAMES: Record<string, string> = {
  secp256r1: "P-256",
  secp384r1: "P-384",
  SecP256r1MLKEM768: "P-256",
  SecP384r1MLKEM1024: "P-384",
};
const X25519_GROUPS: GroupName[] = ["x25519", "X25519MLKEM768"];
const MLKEM_NAME: Record<string, string> = {
  MLKEM512: "ML-KEM-512",
  MLKEM768: "ML-KEM-768",
  MLKEM1024: "ML-KEM-1024",
  X25519MLKEM768: "ML-KEM-768",
  SecP256r1MLKEM768: "ML-KEM-768",
  SecP384r1MLKEM1024: "ML-KEM-1024",
};

function malformations(side: "client" | "server"): [string, GroupName, Mutation][] {
  const out: [string, GroupName, Mutation][] = [];
  for (const g of Object.keys(GROUPS) as GroupName[]) {
    out.push(["one byte short", g, (_g, s) => s.subarray(0, s.length - 1)]);
    out.push(["one byte too long", g, (_g, s) => concat(s, new Uint8Array(1))]);
  }
  for (const g of Object.keys(ECDH_NAMES) as GroupName[]) {
    out.push(["point not on the curve", g, (group, s) => {
      const { at, size } = component(group, side, ECDH_NAMES[group]);
      return replacePart(s, at, offCurve(s.subarray(at, at + size)));
    }]);
  }
  for (const g of X25519_GROUPS) {
    out.push(["all-zero X25519 public key", g, (group, s) => {
      const { at } = component(group, side, "X25519");
      return replacePart(s, at, new Uint8Array(32));
    }]);
  }
  if (side === "client") {
    for (const g of Object.keys(MLKEM_NAME) as GroupName[]) {
      out.push(["unreduced ML-KEM encapsulation key", g, (group, s) => {
        const { at, size } = component(group, side, MLKEM_NAME[group]);
        return replacePart(s, at, withCoefficient(s.subarray(at, at + size), 7, 3329));
      }]);
    }
  }
  return out;
}

Deno.test("malformed client key shares: the TS server answers illegal_parameter", async (t) => {
  for (const [what, group, mutate] of malformations("client")) {
    await t.step(`${group}: ${what}`, async () => {
      const hooks: Hooks = { keyShare: (g, share) => mutate(g, share) };
      const r = await run({ groups: [group] }, { groups: [group], keyShares: [group], hooks });
      assertAlert(r, "server", "illegal_parameter");
    });
  }
});

Deno.test("malformed server key shares: the TS client answers illegal_parameter", async (t) => {
  for (const [what, group, mutate] of malformations("server")) {
    await t.step(`${group}: ${what}`, async () => {
      const hooks: Hooks = { keyShare: (g, share) => mutate(g, share) };
      const r = await run({ groups: [group], hooks }, { groups: [group], keyShares: [group] });
      assertAlert(r, "client", "illegal_parameter");
    });
  }
});

Deno.test("key_share rules in the ClientHello", async (t) => {
  const withShares = (extra: (hello: Handshake & { type: "client_hello" }) => void): Hooks => ({
    clientHello(hello) {
      const copy = { type: "client_hello" as const, body: { ...hello } };
      extra(copy);
      return copy.body;
    },
  });
  const replaceShares = (entries: { group: number; keyExchange: Uint8Array }[]) =>
    withShares((m) => {
      m.body.extensions = m.body.extensions.map((e) =>
        e.type === EXTENSIONS.key_share ? encodeExtension(KEY_SHARE_CLIENT, entries) : e
      );
    });
  const x = generateClientShare("x25519");
  await t.step("two shares for one group: illegal_parameter", async () => {
    const hooks = replaceShares([
      { group: GROUPS.x25519, keyExchange: x.share },
      { group: GROUPS.x25519, keyExchange: x.share },
    ]);
    assertAlert(await run({}, { groups: ["x25519"], hooks }), "server", "illegal_parameter");
  });
  await t.step("share for a group not in supported_groups: illegal_parameter", async () => {
    const p = generateClientShare("secp256r1");
    const hooks = replaceShares([
      { group: GROUPS.x25519, keyExchange: x.share },
      { group: GROUPS.secp256r1, keyExchange: p.share },
    ]);
    assertAlert(await run({}, { groups: ["x25519"], hooks }), "server", "illegal_parameter");
  });
  await t.step("GREASE and unknown shares are skipped without a length check", async () => {
    const hooks: Hooks = {
      clientHello(hello) {
        // BoringSSL-style: a GREASE group and a 1-byte GREASE share, plus an unknown group.
        return {
          ...hello,
          extensions: hello.extensions.map((e) => {
            if (e.type === EXTENSIONS.supported_groups) {
              return {
                type: e.type,
                data: new Uint8Array([0, 6, 0x2a, 0x2a, 0x12, 0x34, 0, 0x1d]),
              };
            }
            if (e.type === EXTENSIONS.key_share) {
              return encodeExtension(KEY_SHARE_CLIENT, [
                { group: 0x2a2a, keyExchange: new Uint8Array([0]) },
                { group: 0x1234, keyExchange: new Uint8Array([1, 2, 3]) },
                { group: GROUPS.x25519, keyExchange: x.share },
              ]);
            }
            return e;
          }),
        };
      },
    };
    // The hook sends x's share, so the client cannot finish; the server must still accept it.
    const r = await run({ groups: ["x25519"] }, { groups: ["x25519"], hooks });
    equal(r.server.group, "x25519");
    deepEqual(r.server.keySharesOffered.map((s) => s.group), [
      "GREASE(0x2a2a)",
      "0x1234",
      "x25519",
    ]);
  });
});

// ---------------------------------------------------------------- HelloRetryRequest rules

Deno.test("HelloRetryRequest rules, checked by the TS client", async (t) => {
  const rewriteHrr = (group: number): Hooks => ({
    serverHello(hello, isHrr) {
      if (!isHrr) return hello;
      return {
        ...hello,
        extensions: hello.extensions.map((e) =>
          e.type === EXTENSIONS.key_share ? encodeExtension(KEY_SHARE_HRR, group) : e
        ),
      };
    },
  });
  const client: ClientConfig = { groups: ["x25519", "secp256r1"], keyShares: ["x25519"] };
  const server: Partial<ServerConfig> = { groups: ["secp256r1", "x25519"], preferHrr: true };
  await t.step("HRR selects a group the client did not offer: illegal_parameter", async () => {
    const r = await run({ ...server, hooks: rewriteHrr(GROUPS.MLKEM768) }, client);
    assertAlert(r, "client", "illegal_parameter");
  });
  await t.step("HRR selects the group the client already sent: illegal_parameter", async () => {
    const r = await run({ ...server, hooks: rewriteHrr(GROUPS.x25519) }, client);
    assertAlert(r, "client", "illegal_parameter");
  });
  await t.step("a second HelloRetryRequest: unexpected_message", async () => {
    const [a, b] = memoryPipe();
    const c = new TlsClient(a, { ...client, trustAnchors: [pki.ca] });
    const script = (async () => {
      const raw = rawPeer(b);
      for (let i = 0; i < 2; i++) {
        const ch = await raw.readHandshake();
        const sessionId = ch.subarray(39, 39 + ch[38]);
        await raw.send(hrr(GROUPS.secp256r1 - i, sessionId)); // 2nd asks for 0x0016: also wrong
      }
      return await raw.readAlert();
    })();
    await c.handshake().catch(() => {});
    // The client rejects the second HRR before looking at its contents.
    equal(c.summary().alert, "unexpected_message");
    equal(await script, "unexpected_message");
  });
});

Deno.test("second ClientHello rules, checked by the TS server", async (t) => {
  const client: ClientConfig = { groups: ["x25519", "secp256r1"], keyShares: ["x25519"] };
  const server: Partial<ServerConfig> = { groups: ["secp256r1", "x25519"], preferHrr: true };
  const ch2 = (edit: (exts: { type: number; data: Uint8Array }[]) => typeof exts): Hooks => ({
    clientHello: (hello, attempt) =>
      attempt === 1 ? hello : { ...hello, extensions: edit(hello.extensions) },
  });
  await t.step("CH2 carries a share for another group: illegal_parameter", async () => {
    const x = generateClientShare("x25519");
    const hooks = ch2((exts) =>
      exts.map((e) =>
        e.type === EXTENSIONS.key_share
          ? encodeExtension(KEY_SHARE_CLIENT, [{ group: GROUPS.x25519, keyExchange: x.share }])
          : e
      )
    );
    assertAlert(await run(server, { ...client, hooks }), "server", "illegal_parameter");
  });
  await t.step("CH2 carries the requested share plus another: illegal_parameter", async () => {
    const x = generateClientShare("x25519");
    const hooks = ch2((exts) =>
      exts.map((e) => {
        if (e.type !== EXTENSIONS.key_share) return e;
        const r = new Reader(e.data, "key_share");
        const entries = KEY_SHARE_CLIENT.read(r);
        return encodeExtension(KEY_SHARE_CLIENT, [...entries, {
          group: GROUPS.x25519,
          keyExchange: x.share,
        }]);
      })
    );
    assertAlert(await run(server, { ...client, hooks }), "server", "illegal_parameter");
  });
  await t.step("CH2 drops the cookie: illegal_parameter", async () => {
    const hooks = ch2((exts) => exts.filter((e) => e.type !== EXTENSIONS.cookie));
    const r = await run({ ...server, hrrCookie: true }, { ...client, hooks });
    assertAlert(r, "server", "illegal_parameter");
  });
  await t.step("with the cookie echoed the handshake succeeds", async () => {
    const r = await run({ ...server, hrrCookie: true }, client);
    equal(r.client.ok, true);
    equal(r.client.helloRetryRequest, true);
  });
});

// ---------------------------------------------------------------- records and Finished

Deno.test("a plaintext record over 2^14 bytes: record_overflow", async () => {
  const [a, b] = memoryPipe();
  const s = new TlsServer(b, { certificate: leaf });
  const raw = rawPeer(a);
  const big = concat(new Uint8Array([1, 0, 0x40, 0x01]), new Uint8Array(0x4001 - 4));
  await raw.sendBytes(plaintextRecord(22, big, 0x0301));
  await s.handshake().catch(() => {});
  equal(s.summary().alert, "record_overflow");
  equal(await raw.readAlert(), "record_overflow");
});

Deno.test("a record claiming more than 2^14+256 bytes: record_overflow", async () => {
  const [a, b] = memoryPipe();
  const c = new TlsClient(a, { trustAnchors: [pki.ca], groups: ["x25519"] });
  const raw = rawPeer(b);
  const done = c.handshake().catch(() => {});
  await raw.readHandshake();
  await raw.sendBytes(new Uint8Array([22, 3, 3, 0x41, 0x01]));
  await done;
  equal(c.summary().alert, "record_overflow");
});

Deno.test("Finished that does not verify: decrypt_error", async (t) => {
  const flip: Hooks = {
    handshake(m) {
      if (m.type !== "finished") return m;
      const verifyData = m.body.verifyData.slice();
      verifyData[0] ^= 0x80;
      return { type: "finished", body: { verifyData } };
    },
  };
  await t.step("server's Finished, detected by the client", async () => {
    assertAlert(await run({ hooks: flip }, { groups: ["x25519"] }), "client", "decrypt_error");
  });
  await t.step("client's Finished, detected by the server", async () => {
    assertAlert(await run({}, { groups: ["x25519"], hooks: flip }), "server", "decrypt_error");
  });
});

Deno.test("messages out of order and protocol violations", async (t) => {
  await t.step("Finished where CertificateVerify belongs: unexpected_message", async () => {
    const hooks: Hooks = {
      handshake: (m) =>
        m.type === "certificate_verify"
          ? { type: "finished", body: { verifyData: new Uint8Array(32) } }
          : m,
    };
    assertAlert(await run({ hooks }, { groups: ["x25519"] }), "client", "unexpected_message");
  });
  await t.step(
    "ServerHello selecting TLS 1.2 in supported_versions: illegal_parameter",
    async () => {
      const hooks: Hooks = {
        serverHello: (sh) => ({
          ...sh,
          extensions: sh.extensions.map((e) =>
            e.type === EXTENSIONS.supported_versions
              ? encodeExtension(SUPPORTED_VERSIONS_SERVER, TLS12)
              : e
          ),
        }),
      };
      assertAlert(await run({ hooks }, { groups: ["x25519"] }), "client", "illegal_parameter");
    },
  );
  await t.step("ClientHello without supported_versions: protocol_version", async () => {
    const hooks: Hooks = {
      clientHello: (ch) => ({
        ...ch,
        extensions: ch.extensions.filter((e) => e.type !== EXTENSIONS.supported_versions),
      }),
    };
    assertAlert(await run({}, { groups: ["x25519"], hooks }), "server", "protocol_version");
  });
  await t.step("ClientHello without signature_algorithms: missing_extension", async () => {
    const hooks: Hooks = {
      clientHello: (ch) => ({
        ...ch,
        extensions: ch.extensions.filter((e) => e.type !== EXTENSIONS.signature_algorithms),
      }),
    };
    assertAlert(await run({}, { groups: ["x25519"], hooks }), "server", "missing_extension");
  });
  await t.step("no group in common: handshake_failure", async () => {
    const r = await run({ groups: ["MLKEM1024"] }, { groups: ["x25519"] });
    assertAlert(r, "server", "handshake_failure");
  });
  await t.step("server certificate from an unknown CA: unknown_ca", async () => {
    const [a, b] = memoryPipe();
    const c = new TlsClient(a, { serverName: "localhost", trustAnchors: [pki.otherCa] });
    const s = new TlsServer(b, { certificate: leaf });
    await Promise.allSettled([c.handshake(), s.handshake()]);
    assertAlert({ client: c.summary(), server: s.summary() }, "client", "unknown_ca");
  });
});

// ---------------------------------------------------------------- a scripted raw peer

function rawPeer(t: Transport) {
  const splitter = new RecordSplitter();
  const queue: WireRecord[] = [];
  const next = async () => {
    while (queue.length === 0) {
      const buf = new Uint8Array(65536);
      const n = await t.read(buf);
      if (n === null) return null;
      queue.push(...splitter.feed(buf.subarray(0, n)));
    }
    return queue.shift()!;
  };
  return {
    async readHandshake(): Promise<Uint8Array> {
      for (;;) {
        const r = await next();
        if (!r) throw new Error("closed");
        if (r.contentType === 22) return r.fragment;
      }
    },
    async readAlert(): Promise<string | null> {
      for (;;) {
        const r = await next();
        if (!r) return null;
        if (r.contentType === 21) return nameOf(ALERTS, r.fragment[1]);
      }
    },
    send: (message: Uint8Array) => t.write(plaintextRecord(22, message)),
    sendBytes: (bytes: Uint8Array) => t.write(bytes),
  };
}

function hrr(group: number, sessionId: Uint8Array): Uint8Array {
  return encodeHandshake({
    type: "server_hello",
    body: {
      legacyVersion: TLS12,
      random: HRR_RANDOM,
      sessionId,
      cipherSuite: 0x1301,
      compressionMethod: 0,
      extensions: [
        encodeExtension(KEY_SHARE_HRR, group),
        encodeExtension(SUPPORTED_VERSIONS_SERVER, TLS13),
      ],
    },
  });
}

// The raw peer's HelloRetryRequest must itself be well-formed, or the tests above prove nothing.
Deno.test("the scripted HRR is well-formed", () => {
  const bytes = hrr(GROUPS.secp256r1, new Uint8Array(0));
  const r = new Reader(bytes.subarray(4 + 2 + 32 + 1 + 2 + 1), "HRR");
  equal(readExtensions(r, "hello_retry_request").length, 2);
});

Deno.test("constantTimeEqual: equal only for the same bytes, whatever byte differs", () => {
  const a = Uint8Array.from({ length: 48 }, (_, i) => i * 7);
  equal(constantTimeEqual(a, a.slice()), true);
  for (const at of [0, 24, 47]) {
    const b = a.slice();
    b[at] ^= 0x01;
    equal(constantTimeEqual(a, b), false, `byte ${at}`);
  }
  equal(constantTimeEqual(a, a.subarray(0, 47)), false);
  equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
});
