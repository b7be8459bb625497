// The tap between two real TS reference peers (host processes) on loopback: what it decodes
// from the wire must match what each peer says about its own connection.

import assert from "node:assert/strict";
import { openTap, splitClientFlight, type WireTap } from "./tap.ts";
import { implementation } from "../peers/index.ts";
import type { EndpointConfig } from "../contract/config.ts";
import { ensurePki } from "../pki/pki.ts";
import { runPair } from "../runner/pair.ts";
import { freePort } from "../runtime/ports.ts";
import { closeAllSandboxes, openSandbox } from "../runtime/sandbox.ts";
import { CACHE_DIR } from "../runtime/paths.ts";
import type { ConnectionSummary } from "../tls/summary.ts";

const ts = implementation("ts")!;

async function throughTap(
  client: EndpointConfig,
  server: EndpointConfig,
  shape?: Parameters<typeof openTap>[0]["shape"],
) {
  const pki = await ensurePki(`${CACHE_DIR}/pki`);
  const scratch = await Deno.makeTempDir({ prefix: "pqinterop-tap-" });
  const sandbox = await openSandbox(ts);
  const serverPort = await freePort();
  let tap: WireTap | null = null;
  try {
    tap = await openTap({ target: serverPort, shape });
    const pair = await runPair({
      client: { sandbox, impl: ts, config: client },
      server: { sandbox, impl: ts, config: { certificate: "ecdsa-p256", ...server } },
      pki,
      scratch,
      serverPort,
      connectPort: tap.port,
    });
    const { observation, problems } = await tap.finish();
    return { pair, wire: observation, problems };
  } finally {
    await tap?.finish();
    await sandbox.close();
    await Deno.remove(scratch, { recursive: true });
  }
}

/**
 * The reference peer's own word: the ConnectionSummary JSON line it printed (the adapter's
 * PeerReport keeps only the common fields).
 */
function summary(side: { stdout: string }): ConnectionSummary {
  const line = side.stdout.split("\n").find((l) => l.trim().startsWith("{"));
  assert.ok(line, `no summary line in: ${side.stdout}`);
  return JSON.parse(line);
}

Deno.test("the tap sees an X25519MLKEM768 handshake as both TS peers report it", async () => {
  const { pair, wire, problems } = await throughTap(
    { groups: ["X25519MLKEM768", "x25519"], keyShares: ["X25519MLKEM768"] },
    { groups: ["X25519MLKEM768", "x25519"] },
  );
  const client = summary(pair.client);
  const server = summary(pair.server);
  assert.equal(client.ok, true, client.error ?? "");
  assert.deepEqual(problems, []);
  assert.equal(wire.connections, 1);
  assert.deepEqual(wire.groupsOffered, ["X25519MLKEM768", "x25519"]);
  assert.deepEqual(wire.keySharesOffered, [{ group: "X25519MLKEM768", size: 1216 }]);
  assert.equal(wire.selectedGroup, "X25519MLKEM768");
  assert.equal(wire.serverShareSize, 1120);
  assert.equal(wire.helloRetryRequest, false);
  // …and the peers say the same about their own connection.
  assert.equal(client.group, wire.selectedGroup);
  assert.equal(server.group, wire.selectedGroup);
  assert.equal(client.helloRetryRequest, false);
  assert.equal(client.cipherSuite, wire.cipherSuite);
  assert.deepEqual(client.groupsOffered, wire.groupsOffered);
  assert.deepEqual(client.keySharesOffered, wire.keySharesOffered);
  assert.deepEqual(server.keySharesOffered, wire.keySharesOffered);
  const sizes = { group: "X25519MLKEM768", client: 1216, server: 1120 };
  assert.deepEqual(client.keyShareSelected, sizes);
  assert.deepEqual(server.keyShareSelected, sizes);
  // Counting: the first flight is the client's, one record (the ClientHello) at least.
  assert.equal(wire.flights[0].from, "client");
  assert.ok(wire.flights[0].bytes > 1216);
  assert.equal(wire.transcript[0].direction, "sent");
  assert.equal(wire.transcript[0].protection, null);
  assert.ok(wire.transcript.some((t) => t.protection === "protected"));
  assert.ok(wire.timings.firstServerByteMs !== null);
});

Deno.test("the tap sees a HelloRetryRequest to MLKEM1024 and the retried share", async () => {
  const { pair, wire } = await throughTap(
    { groups: ["x25519", "MLKEM1024"], keyShares: ["x25519"] },
    { groups: ["MLKEM1024", "x25519"], preferHrr: true },
  );
  const client = summary(pair.client);
  assert.equal(client.ok, true, client.error ?? "");
  assert.deepEqual(wire.keySharesOffered, [{ group: "x25519", size: 32 }]);
  assert.equal(wire.helloRetryRequest, true);
  assert.equal(wire.hrrGroup, "MLKEM1024");
  assert.equal(wire.selectedGroup, "MLKEM1024");
  assert.equal(wire.serverShareSize, 1568);
  assert.equal(client.helloRetryRequest, true);
  assert.equal(summary(pair.server).helloRetryRequest, true);
  assert.equal(client.group, "MLKEM1024");
  // Two ClientHellos crossed in clear, the second carrying the 1568-byte ML-KEM-1024 key.
  const hellos = wire.transcript.filter((t) =>
    t.direction === "sent" && t.fields.some((f) => f.name === "client_hello")
  );
  assert.equal(hellos.length, 2);
});

Deno.test("a ClientHello cut into 64-byte segments still arrives whole", async () => {
  const { pair, wire } = await throughTap(
    { groups: ["MLKEM768"], keyShares: ["MLKEM768"] },
    { groups: ["MLKEM768"] },
    splitClientFlight(64),
  );
  assert.equal(pair.client.report.ok, true, pair.client.report.error ?? "");
  assert.equal(wire.selectedGroup, "MLKEM768");
  assert.deepEqual(wire.keySharesOffered, [{ group: "MLKEM768", size: 1184 }]);
  // Segments are counted as the sender wrote them; the split happens on the way to the server.
  assert.ok(wire.flights[0].bytes > 1184);
});

Deno.test("the splitter forwards the client's first write as 64-byte segments, and every byte", async () => {
  // A plain TCP receiver behind the tap, so each segment the tap writes on is seen on its own:
  // 30 ms apart, no two of them arrive in one read.
  const receiver = Deno.listen({ hostname: "127.0.0.1", port: await freePort() });
  const tap = await openTap({
    target: (receiver.addr as Deno.NetAddr).port,
    shape: splitClientFlight(64, 30),
  });
  const sent = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
  const client = await Deno.connect({ hostname: "127.0.0.1", port: tap.port });
  const conn = await receiver.accept();
  try {
    await client.write(sent);
    await client.closeWrite();
    const reads: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      reads.push(buf.slice(0, n));
    }
    assert.deepEqual(reads.map((r) => r.length), [64, 64, 64, 64, 44]);
    assert.deepEqual(new Uint8Array(reads.flatMap((r) => [...r])), sent);
  } finally {
    client.close();
    conn.close();
    receiver.close();
  }
  // The tap counts what the client sent: one write, one segment.
  const { observation } = await tap.finish();
  assert.equal(observation.segments.clientToServer, 1);
  assert.equal(observation.bytes.clientToServer, 300);
});

Deno.test("several connections through one tap: the handshake fields are the last one's", async () => {
  const pki = await ensurePki(`${CACHE_DIR}/pki`);
  const scratch = await Deno.makeTempDir({ prefix: "pqinterop-tap-" });
  const sandbox = await openSandbox(ts);
  const port = await freePort();
  const ctx = { port, serverName: "localhost" as const, pki, token: "two", scratch };
  const spec = ts.server({ groups: ["MLKEM768", "x25519"], certificate: "ecdsa-p256" }, ctx);
  const server = sandbox.spawn({ ...spec, argv: [...spec.argv, "--count", "2"] });
  const tap = await openTap({ target: port });
  try {
    await server.ready(spec.ready!, 20_000);
    for (const group of ["x25519", "MLKEM768"] as const) {
      const client = sandbox.spawn(ts.client({ groups: [group] }, { ...ctx, port: tap.port }));
      const result = await client.wait(20_000);
      assert.equal(result.code, 0, result.stderr);
    }
    await server.wait(20_000);
    const { observation: wire, problems } = await tap.finish();
    assert.deepEqual(problems, []);
    assert.equal(wire.connections, 2);
    assert.equal(wire.selectedGroup, "MLKEM768");
    assert.deepEqual(wire.keySharesOffered, [{ group: "MLKEM768", size: 1184 }]);
    // Flights and the transcript cover both connections.
    assert.ok(wire.flights.filter((f) => f.from === "client").length >= 4);
    const hellos = wire.transcript.filter((t) => t.fields.some((f) => f.name === "client_hello"));
    assert.equal(hellos.length, 2);
  } finally {
    await tap.finish();
    await server.kill();
    await sandbox.close();
    await Deno.remove(scratch, { recursive: true });
  }
});

Deno.test({
  name: "no sandbox is left open",
  fn: closeAllSandboxes,
});
