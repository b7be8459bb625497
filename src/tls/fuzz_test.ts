// Thousands of random and mutated inputs fed to both roles over in-memory pipes. Whatever arrives,
// a connection must end, and only ever with a TlsAlert (or PeerClosed when the bytes just stop):
// an exception of any other kind is a bug in a decoder or a state machine. Seeded, so a failure
// names the seed and case that reproduce it.

import { equal, fail } from "node:assert/strict";
import { TlsAlert } from "./alert.ts";
import { TlsClient } from "./client.ts";
import { concat } from "./codec.ts";
import type { ClientConfig } from "./config.ts";
import { memoryPipe, PeerClosed, type Transport } from "./connection.ts";
import type { TlsEndpoint } from "./endpoint.ts";
import { TlsServer } from "./server.ts";
import { testPki } from "../testing/pki.ts";

const SEED = 0x5eed_7153;
const CASES_PER_ROLE = 1500;

const pki = await testPki();
const leaf = await pki.leaf("ecdsa-p256");

/** mulberry32: small, fast, good enough to spread mutations. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

type Rng = ReturnType<typeof prng>;

/** One of a few mutation styles: bit flips, byte overwrites, cuts, splices, length edits. */
function mutate(input: Uint8Array, rng: Rng): Uint8Array {
  let out: Uint8Array = input.slice();
  const rounds = 1 + rng.int(4);
  for (let i = 0; i < rounds; i++) {
    const at = rng.int(Math.max(out.length, 1));
    switch (rng.int(7)) {
      case 0:
        out[at] ^= 1 << rng.int(8);
        break;
      case 1:
        out[at] = rng.int(256);
        break;
      case 2: // truncate
        out = out.subarray(0, at);
        break;
      case 3: // insert random bytes
        out = concat(out.subarray(0, at), randomBytes(rng, 1 + rng.int(8)), out.subarray(at));
        break;
      case 4: // delete a run
        out = concat(out.subarray(0, at), out.subarray(at + 1 + rng.int(16)));
        break;
      case 5: // interesting values in what may be a length field
        out[at] = [0x00, 0x01, 0x7f, 0x80, 0xff][rng.int(5)];
        if (at + 1 < out.length) out[at + 1] = [0x00, 0xff, 0x01][rng.int(3)];
        break;
      case 6: // duplicate a chunk
        out = concat(out.subarray(0, at), out.subarray(at, at + 1 + rng.int(64)), out.subarray(at));
        break;
    }
  }
  return out;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

/** Everything a peer wrote until it stopped writing (the raw end reads until the peer closes). */
async function drain(t: Transport): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await t.read(buf);
    if (n === null) return concat(...parts);
    parts.push(buf.slice(0, n));
  }
}

/** Writes `input` in a few random pieces, then closes; the endpoint must end on its own. */
async function feed(endpoint: TlsEndpoint, raw: Transport, input: Uint8Array, rng: Rng) {
  const run = endpoint.handshake().then(() => endpoint.read()).then(() => "ok" as const);
  const reader = drain(raw).catch(() => new Uint8Array(0));
  let at = 0;
  while (at < input.length) {
    const n = 1 + rng.int(input.length - at);
    await raw.write(input.subarray(at, at + n)).catch(() => {});
    at += n;
  }
  raw.close();
  await reader;
  return await run.catch((e) => e);
}

function checkOutcome(outcome: unknown, where: string): void {
  if (outcome === "ok" || outcome instanceof TlsAlert || outcome instanceof PeerClosed) return;
  fail(`${where}: ${outcome instanceof Error ? outcome.stack : String(outcome)}`);
}

/** A pinned client: same random and key, so a recorded server response stays valid for it. */
const pinnedClient: ClientConfig = {
  serverName: "localhost",
  trustAnchors: [pki.ca],
  groups: ["X25519MLKEM768", "x25519"],
  keyShares: ["X25519MLKEM768", "x25519"],
  test: {
    random: new Uint8Array(32).fill(7),
    sessionId: new Uint8Array(32).fill(9),
    keyShareSeeds: {
      X25519MLKEM768: new Uint8Array(96).fill(3),
      x25519: new Uint8Array(32).fill(5),
    },
  },
};

/** The pinned client's ClientHello bytes, and a real server's answer to it. */
async function recordRealExchange(): Promise<
  { clientHello: Uint8Array; serverFlight: Uint8Array }
> {
  const [a, b] = memoryPipe();
  const client = new TlsClient(a, pinnedClient);
  const server = new TlsServer(b, { certificate: leaf });
  await Promise.all([client.handshake(), server.handshake()]);
  const hex = (e: { hex: string }) => Uint8Array.from(e.hex.match(/../g)!, (x) => parseInt(x, 16));
  const clientHello = hex(client.transcript[0]);
  const serverFlight = concat(
    ...server.transcript.filter((e) => e.direction === "sent").map(hex),
  );
  return { clientHello, serverFlight };
}

const real = await recordRealExchange();

Deno.test(`fuzz: the server survives ${CASES_PER_ROLE} mutated and random ClientHellos`, async () => {
  const rng = prng(SEED);
  const alerts = new Map<string, number>();
  for (let i = 0; i < CASES_PER_ROLE; i++) {
    const input = i % 10 === 0 ? randomBytes(rng, rng.int(300)) : mutate(real.clientHello, rng);
    const [a, b] = memoryPipe();
    const server = new TlsServer(b, { certificate: leaf });
    const outcome = await feed(server, a, input, rng);
    checkOutcome(outcome, `server case ${i} (seed ${SEED})`);
    const alert = server.summary().alert ?? "none";
    alerts.set(alert, (alerts.get(alert) ?? 0) + 1);
  }
  // Mutations must reach past the record layer: decoders, extension checks and key shares.
  for (const name of ["decode_error", "illegal_parameter"]) {
    equal((alerts.get(name) ?? 0) > 10, true, `${name}: ${JSON.stringify([...alerts])}`);
  }
});

Deno.test(`fuzz: the client survives ${CASES_PER_ROLE} mutated and random server flights`, async () => {
  const rng = prng(SEED ^ 0xffff);
  const alerts = new Map<string, number>();
  for (let i = 0; i < CASES_PER_ROLE; i++) {
    const input = i % 10 === 0 ? randomBytes(rng, rng.int(300)) : mutate(real.serverFlight, rng);
    const [a, b] = memoryPipe();
    const client = new TlsClient(a, pinnedClient);
    const outcome = await feed(client, b, input, rng);
    checkOutcome(outcome, `client case ${i} (seed ${SEED})`);
    const alert = client.summary().alert ?? "none";
    alerts.set(alert, (alerts.get(alert) ?? 0) + 1);
  }
  for (const name of ["decode_error", "bad_record_mac"]) {
    equal((alerts.get(name) ?? 0) > 10, true, `${name}: ${JSON.stringify([...alerts])}`);
  }
});

Deno.test("fuzz: the unmutated recorded flight still completes the pinned handshake", async () => {
  // Proves the client-side inputs above start from a flight that is valid for this client.
  const [a, b] = memoryPipe();
  const client = new TlsClient(a, pinnedClient);
  const reader = drain(b);
  await b.write(real.serverFlight);
  await client.handshake();
  equal(client.summary().version, "TLSv1.3");
  await client.close();
  await reader;
});
