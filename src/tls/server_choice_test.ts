// The server's choice of group when the client sent shares for several: its own first preference
// among the groups that have a share, whatever the client's order (RFC 9846 §4.2.8 leaves the
// choice to the server). Each case is run with the server's list in both orders, so a server that
// took the client's first, or its own last, fails one of them.

import { deepEqual } from "node:assert/strict";
import { TlsClient } from "./client.ts";
import { memoryPipe } from "./connection.ts";
import type { GroupName } from "./names.ts";
import { TlsServer } from "./server.ts";
import { testPki } from "../testing/pki.ts";

const pki = await testPki();
const leaf = await pki.leaf("ecdsa-p256");

/** One handshake in memory; what each side says it negotiated. */
async function choose(
  client: { groups: GroupName[]; keyShares: GroupName[] },
  server: { groups: GroupName[]; preferHrr?: boolean },
) {
  const [a, b] = memoryPipe();
  const s = new TlsServer(b, { certificate: leaf, ...server });
  const c = new TlsClient(a, { serverName: "localhost", trustAnchors: [pki.ca], ...client });
  await Promise.all([s.handshake(), c.handshake()]);
  const [cs, ss] = [c.summary(), s.summary()];
  await Promise.all([c.close(), s.close()]);
  return {
    group: cs.group,
    serverGroup: ss.group,
    hrr: cs.helloRetryRequest,
    shares: cs.keySharesOffered.map((k) => k.group),
  };
}

const threeShares = {
  groups: ["x25519", "secp256r1", "MLKEM768"] as GroupName[],
  keyShares: ["x25519", "secp256r1", "MLKEM768"] as GroupName[],
};

Deno.test("server choice: its first preference among three shares, in either of its orders", async () => {
  for (
    const [order, want] of [
      [["MLKEM768", "secp256r1", "x25519"], "MLKEM768"],
      [["x25519", "secp256r1", "MLKEM768"], "x25519"],
      [["secp256r1", "MLKEM768", "x25519"], "secp256r1"],
      [["secp256r1", "x25519", "MLKEM768"], "secp256r1"],
    ] as [GroupName[], GroupName][]
  ) {
    deepEqual(await choose(threeShares, { groups: order }), {
      group: want,
      serverGroup: want,
      hrr: false,
      shares: ["x25519", "secp256r1", "MLKEM768"],
    }, `server order ${order.join(",")}`);
  }
});

Deno.test("server choice: groups without a share are skipped, not asked for, unless preferHrr", async () => {
  const client = {
    groups: ["x25519", "MLKEM768", "MLKEM1024"] as GroupName[],
    keyShares: ["x25519", "MLKEM768"] as GroupName[],
  };
  // Its first preference has no share: the best group that has one wins, in both orders.
  const first = await choose(client, { groups: ["MLKEM1024", "MLKEM768", "x25519"] });
  deepEqual([first.group, first.hrr], ["MLKEM768", false]);
  const second = await choose(client, { groups: ["MLKEM1024", "x25519", "MLKEM768"] });
  deepEqual([second.group, second.hrr], ["x25519", false]);
  // With preferHrr it asks for the missing first preference instead.
  const asked = await choose(client, {
    groups: ["MLKEM1024", "x25519", "MLKEM768"],
    preferHrr: true,
  });
  deepEqual([asked.group, asked.hrr], ["MLKEM1024", true]);
});
