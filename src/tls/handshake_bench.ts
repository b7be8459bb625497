// Full in-memory TS↔TS handshakes per group (ECDSA P-256 certificate, AES-128-GCM), so the cost
// of each key exchange shows next to the fixed cost of the rest of the handshake.

import { TlsClient } from "./client.ts";
import { memoryPipe } from "./connection.ts";
import { GROUP_NAMES } from "./names.ts";
import { TlsServer } from "./server.ts";
import { testPki } from "../testing/pki.ts";

const pki = await testPki();
const leaf = await pki.leaf("ecdsa-p256");

for (const group of GROUP_NAMES) {
  Deno.bench({ name: group, group: "handshake" }, async () => {
    const [a, b] = memoryPipe();
    const client = new TlsClient(a, {
      serverName: "localhost",
      trustAnchors: [pki.ca],
      groups: [group],
      keyShares: [group],
    });
    const server = new TlsServer(b, { certificate: leaf, groups: [group] });
    await Promise.all([client.handshake(), server.handshake()]);
    if (client.summary().group !== group) throw new Error(`negotiated ${client.summary().group}`);
  });
}
