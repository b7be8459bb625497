// The reference peer's hardening (issue 15), tested the way a library meets it: the peer program
// (`main`, in-process) on a real TCP socket on 127.0.0.1, and on the other side either the same
// program misbehaving on purpose (--misbehave) or a raw socket writing bytes no TLS stack would.
// Each rule is checked in both roles where it applies, and each answer is asserted as the alert
// that came back over the socket: a peer that waited instead would fail the assertion, not a
// timer.

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { main } from "./main.ts";
import { TlsServer } from "../tls/server.ts";
import { TlsClient } from "../tls/client.ts";
import { buildAdversary, parseMisbehaviour } from "../adversary/compose.ts";
import { contextOf } from "../adversary/context.ts";
import { type AlertName, ALERTS, nameOf } from "../tls/names.ts";
import type { ConnectionSummary } from "../tls/summary.ts";
import { testPki, traditionalKeyPem, writeTestPki } from "../testing/pki.ts";

const dir = await Deno.makeTempDir({ prefix: "pqi-hardening-" });
const pki = await writeTestPki(dir, ["ecdsa-p256", "rsa2048"]);
const leaf = pki.leaf["ecdsa-p256"];
const CERT = ["--cert", leaf.cert, "--key", leaf.key];
const TRUST = ["--ca", pki.caCert, "--server-name", "localhost"];

type Line = ConnectionSummary & { adversary?: { applied: string[] } };

/** The peer as a server on a free port; `done` gives its exit code and its JSON lines. */
async function peerServer(args: string[], count = 1) {
  const out: string[] = [];
  const err: string[] = [];
  let listening!: (port: number) => void;
  const ready = new Promise<number>((r) => (listening = r));
  const io = {
    out: (l: string) => out.push(l),
    err: (l: string) => {
      err.push(l);
      const m = l.match(/listening on 127\.0\.0\.1:(\d+)/);
      if (m) listening(Number(m[1]));
    },
  };
  const code = main(["server", "--port", "0", "--count", String(count), ...args], io);
  const port = await Promise.race([
    ready,
    code.then((c) => Promise.reject(new Error(`server exited ${c}: ${err.join(" ")}`))),
  ]);
  const done = code.then((c) => ({ code: c, lines: out.map((l) => JSON.parse(l) as Line) }));
  return { port, done };
}

/** The peer as a client; its exit code, its JSON lines and what it said on stderr. */
async function peerClient(port: number, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["client", "--port", String(port), ...args], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, lines: out.map((l) => JSON.parse(l) as Line), err: err.join("\n") };
}

/** `line` sent `alert` itself (not received it) and gave a reason. */
function sent(line: Line, alert: AlertName) {
  deepEqual([line.alert, line.alertDirection], [alert, "sent"], line.error ?? "");
}

/** `line` received `alert` from the other side. */
function received(line: Line, alert: AlertName) {
  deepEqual([line.alert, line.alertDirection], [alert, "received"], line.error ?? "");
}

// ---------------------------------------------------------------- peer against peer

interface Rule {
  hook: string;
  alert: AlertName;
  /** Extra flags for the server / client side, whichever role misbehaves. */
  server?: string[];
  client?: string[];
  roles?: ("client" | "server")[];
}

const RULES: Rule[] = [
  { hook: "empty-alert", alert: "unexpected_message" },
  { hook: "padding-overflow", alert: "record_overflow" },
  // The largest record that is still legal on the wire, holding a Finished padded to the brim.
  { hook: "padding-overflow:inner=16624", alert: "record_overflow" },
  { hook: "record-between-fragments", alert: "unexpected_message" },
  { hook: "legacy-version", alert: "protocol_version" },
  { hook: "legacy-version:version=0x0302", alert: "protocol_version" },
  // After the handshake: the server's NewSessionTicket split around application data. The
  // client asks for tickets (--resume), so the first of its two connections meets it.
  {
    hook: "record-between-fragments:key=application",
    alert: "unexpected_message",
    server: ["--tickets", "1"],
    client: ["--resume"],
    roles: ["server"],
  },
];

for (const rule of RULES) {
  for (const adversary of rule.roles ?? ["client", "server"] as const) {
    const underTest = adversary === "client" ? "server" : "client";
    Deno.test(`hardening: the ${underTest} answers ${rule.hook} with ${rule.alert}`, async () => {
      const count = rule.client?.includes("--resume") ? 2 : 1;
      const misbehave = ["--misbehave", rule.hook];
      const s = await peerServer(
        [...CERT, ...(rule.server ?? []), ...(adversary === "server" ? misbehave : [])],
        count,
      );
      const c = await peerClient(s.port, [
        ...TRUST,
        ...(rule.client ?? []),
        ...(adversary === "client" ? misbehave : []),
      ]);
      const { lines } = await s.done;
      const [victim, attacker] = underTest === "server"
        ? [lines[0], c.lines[0]]
        : [c.lines[0], lines[0]];
      deepEqual(attacker.adversary?.applied, [rule.hook], "the misbehaviour happened");
      sent(victim, rule.alert);
      received(attacker, rule.alert);
      equal(c.code, 1);
    });
  }
}

// ---------------------------------------------------------------- raw bytes at the server

/** Reads one TLS record from `conn`: its type and body, or null at the end of the stream. */
async function readRecord(conn: Deno.Conn): Promise<{ type: number; body: Uint8Array } | null> {
  let buf = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  for (;;) {
    if (buf.length >= 5) {
      const length = (buf[3] << 8) | buf[4];
      if (buf.length >= 5 + length) return { type: buf[0], body: buf.slice(5, 5 + length) };
    }
    const n = await conn.read(chunk).catch(() => null);
    if (n === null) return null;
    buf = Uint8Array.from([...buf, ...chunk.subarray(0, n)]);
  }
}

/** The alert carried by `rec`, which must be a plaintext fatal alert record. */
function alertOf(rec: { type: number; body: Uint8Array } | null): string {
  ok(rec, "the peer closed without answering");
  equal(rec.type, 21, `an alert record, not type ${rec.type}`);
  equal(rec.body[0], 2, "fatal");
  return nameOf(ALERTS, rec.body[1]);
}

const hex = (h: string) => Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16));
const text = (s: string) => new TextEncoder().encode(s);

/**
 * Openings that are not TLS, or headers that already say what is wrong. Each is written and the
 * socket left open: the answer has to come from what was sent, not from a close.
 */
const OPENINGS: [string, Uint8Array, AlertName][] = [
  ["the first five bytes of an SSLv2-format CLIENT-HELLO", hex("8028010303"), "unexpected_message"],
  ["one byte of an HTTP request", text("G"), "unexpected_message"],
  ["an HTTP request line", text("GET / HTTP/1.1\r\n"), "unexpected_message"],
  ["a handshake header claiming 65535 bytes", hex("160301ffff"), "record_overflow"],
  ["a plaintext handshake header claiming 2^14 + 1 bytes", hex("1603014001"), "record_overflow"],
  ["an empty plaintext alert", hex("1503030000"), "unexpected_message"],
  ["an empty handshake record", hex("1603010000"), "unexpected_message"],
  ["an alert header claiming 5 bytes", hex("1503030005"), "decode_error"],
  ["an application_data header before any key", hex("1703030020"), "unexpected_message"],
  ["a ChangeCipherSpec header before the ClientHello", hex("1403030001"), "unexpected_message"],
  ["a record type TLS does not define", hex("1803030001"), "unexpected_message"],
];

for (const [what, bytes, alert] of OPENINGS) {
  Deno.test(`hardening: the server answers ${what} with ${alert} at once`, async () => {
    const s = await peerServer(CERT);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await conn.write(bytes);
    equal(alertOf(await readRecord(conn)), alert);
    conn.close();
    sent((await s.done).lines[0], alert);
  });
}

// ---------------------------------------------------------------- raw bytes at the client

const SERVER_OPENINGS: [string, Uint8Array, AlertName][] = [
  ["an HTTP response", text("HTTP/1.1 400 Bad Request\r\n\r\n"), "unexpected_message"],
  ["a handshake header claiming 65535 bytes", hex("160303ffff"), "record_overflow"],
  ["an empty plaintext alert", hex("1503030000"), "unexpected_message"],
  ["a record type TLS does not define", hex("0003030001"), "unexpected_message"],
];

for (const [what, bytes, alert] of SERVER_OPENINGS) {
  Deno.test(`hardening: the client answers ${what} with ${alert} at once`, async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const raw = (async () => {
      const conn = await listener.accept();
      const hello = await readRecord(conn);
      equal(hello?.type, 22, "the client opened with a handshake record");
      await conn.write(bytes);
      const answer = alertOf(await readRecord(conn));
      conn.close();
      return answer;
    })();
    const c = await peerClient(port, TRUST);
    listener.close();
    equal(await raw, alert);
    sent(c.lines[0], alert);
  });
}

// ---------------------------------------------------------------- the command line's promises

Deno.test("hardening: a client with only an external PSK needs no --ca", async () => {
  const psk = ["--psk-identity", "Client_identity", "--psk-key", "5a".repeat(32)];
  const s = await peerServer(psk);
  const c = await peerClient(s.port, [...psk, "--expect-echo"]);
  equal(c.code, 0, c.err + JSON.stringify(c.lines));
  deepEqual([c.lines[0].ok, c.lines[0].pskIdentity, c.lines[0].echo], [
    true,
    "Client_identity",
    "matched",
  ]);
  equal((await s.done).lines[0].ok, true);
});

/** A TLS server that answers the line with `answer` (or closes at once when it is null). */
async function oddServer(answer: string | null) {
  const tls = await testPki();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const server = new TlsServer(await listener.accept(), {
      certificate: await tls.leaf("ecdsa-p256"),
    });
    await server.handshake();
    await server.read();
    if (answer !== null) await server.write(text(answer));
    await server.close();
    listener.close();
  })();
  return { port: (listener.addr as Deno.NetAddr).port, done };
}

for (const [answer, echo] of [["not the line\n", "mismatched"], [null, "none"]] as const) {
  Deno.test(`hardening: ok is the handshake; an echo ${echo} fails only --expect-echo`, async () => {
    for (const expectEcho of [false, true]) {
      const s = await oddServer(answer);
      const c = await peerClient(s.port, [...TRUST, ...(expectEcho ? ["--expect-echo"] : [])]);
      await s.done;
      const line = c.lines[0];
      deepEqual([line.ok, line.echo, line.alert], [true, echo, null], line.error ?? "");
      equal(c.code, expectEcho ? 1 : 0, `--expect-echo ${expectEcho}`);
    }
  });
}

Deno.test("hardening: --key takes SEC 1 and PKCS#1 files; a bad one is one line about the file", async () => {
  const tls = await testPki();
  for (const kind of ["ecdsa-p256", "rsa2048"] as const) {
    const file = `${dir}/${kind}.traditional.pem`;
    await Deno.writeTextFile(file, traditionalKeyPem(await tls.leaf(kind))!);
    const s = await peerServer(["--cert", pki.leaf[kind].cert, "--key", file]);
    const c = await peerClient(s.port, TRUST);
    equal(c.code, 0, c.err + JSON.stringify(c.lines));
    equal(c.lines[0].peerCertificate?.keyType, kind);
    await s.done;
  }
  const bad = `${dir}/not-a-key.pem`;
  await Deno.writeTextFile(bad, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  const err: string[] = [];
  const code = await main(["server", "--port", "0", "--cert", leaf.cert, "--key", bad], {
    out: () => {},
    err: (l) => err.push(l),
  });
  equal(code, 2);
  equal(err.length, 1);
  match(
    err[0],
    /^peer: --key .*not-a-key\.pem: no "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY" block/,
  );
  ok(!/sending|internal_error|alert/.test(err[0]), err[0]);
});

// The client's side of §5.1 after the handshake: its KeyUpdate cut around application data, or
// an empty alert in front of it, at the peer program as server.
for (const hook of ["record-between-fragments:key=application", "empty-alert:key=application"]) {
  Deno.test(`hardening: the server answers ${hook} (a KeyUpdate) with unexpected_message`, async () => {
    const tls = await testPki();
    const s = await peerServer(CERT);
    const config = { serverName: "localhost", trustAnchors: [tls.ca] };
    const adv = buildAdversary([parseMisbehaviour(hook)], contextOf("client", {}));
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    const client = new TlsClient(tcp, { ...config, hooks: adv.hooks });
    await client.handshake();
    await client.conn.keyUpdate(false);
    await client.read().catch(() => {});
    deepEqual(adv.state.applied, [hook]);
    received(client.summary() as Line, "unexpected_message");
    sent((await s.done).lines[0], "unexpected_message");
  });
}
