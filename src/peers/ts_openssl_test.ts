// Our TypeScript peer (on the host) against OpenSSL 3.5 (in its container), both directions.
// Every value is asserted on BOTH sides' reports: each program says what it negotiated, and the
// two must agree with the expectation and with each other.

import assert from "node:assert/strict";
import { openssl } from "./openssl.ts";
import { ts } from "./ts.ts";
import type { EndpointConfig } from "../contract/config.ts";
import type { Implementation } from "./implementation.ts";
import type { PeerReport } from "../contract/report.ts";
import type { PairResult } from "../runner/pair.ts";
import { assertBothOk, withWorld } from "../testing/world.ts";
import { GROUP_NAMES, type GroupName } from "../tls/names.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const DIRECTIONS: [string, Implementation, Implementation][] = [
  ["ts → openssl", ts, openssl],
  ["openssl → ts", openssl, ts],
];

/** Both sides completed and both report `expected` for each field given. */
function assertBoth(r: PairResult, expected: Partial<PeerReport>): void {
  assertBothOk(r);
  for (
    const [side, report] of [["client", r.client.report], ["server", r.server.report]] as const
  ) {
    for (const [field, value] of Object.entries(expected)) {
      assert.equal(report[field as keyof PeerReport], value, `${side} report: ${field}`);
    }
  }
  assert.equal(r.client.report.cipherSuite, r.server.report.cipherSuite, "cipher suites agree");
}

const supports = (impl: Implementation, g: GroupName) => impl.capabilities.groups[g] === true;

Deno.test({
  name: "ts ↔ openssl: each group, both directions",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      for (const [direction, client, server] of DIRECTIONS) {
        // Both declare every group: each is tried in both directions, none skipped.
        for (const group of GROUP_NAMES) {
          await t.step(`${direction} ${group}`, async () => {
            assert.ok(supports(client, group) && supports(server, group), `${group} declared`);
            const r = await w.pair(
              [client, { groups: [group], keyShares: [group] }],
              [server, { groups: [group] }],
            );
            assertBoth(r, { group, helloRetryRequest: false, version: "TLSv1.3" });
          });
        }
      }
    }),
});

Deno.test({
  name: "ts ↔ openssl: HelloRetryRequest when the server prefers a group the client did not share",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      const cases: [GroupName[], GroupName, GroupName[]][] = [
        [["x25519", "MLKEM768"], "x25519", ["MLKEM768", "x25519"]],
        [["secp256r1", "X25519MLKEM768"], "secp256r1", ["X25519MLKEM768", "secp256r1"]],
      ];
      for (const [direction, client, server] of DIRECTIONS) {
        for (const [groups, share, serverGroups] of cases) {
          await t.step(
            `${direction}: shares ${share}, server wants ${serverGroups[0]}`,
            async () => {
              const clientConfig: EndpointConfig = { groups, keyShares: [share] };
              const r = await w.pair(
                [client, clientConfig],
                [server, { groups: serverGroups, preferHrr: true }],
              );
              assertBoth(r, { group: serverGroups[0], helloRetryRequest: true });

              // The same server without preferHrr takes the share it was given.
              const plain = await w.pair([client, clientConfig], [server, {
                groups: serverGroups,
              }]);
              assertBoth(plain, { group: share, helloRetryRequest: false });
            },
          );
        }
      }
    }),
});

Deno.test({
  name: "ts ↔ openssl: certificates verified both ways, with client authentication",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      const pairs: [EndpointConfig["certificate"], EndpointConfig["certificate"]][] = [
        ["mldsa65", "mldsa44"],
        ["ecdsa-p384", "ed25519"],
        ["rsa2048", "mldsa87"],
      ];
      for (const [direction, client, server] of DIRECTIONS) {
        for (const [serverCert, clientCert] of pairs) {
          await t.step(`${direction}: server ${serverCert}, client ${clientCert}`, async () => {
            const r = await w.pair(
              [client, { clientAuth: true, certificate: clientCert, groups: ["X25519MLKEM768"] }],
              [server, { clientAuth: true, certificate: serverCert }],
            );
            assertBoth(r, { group: "X25519MLKEM768" });
          });
        }
        await t.step(`${direction}: a client without a certificate is refused`, async () => {
          const r = await w.pair([client, {}], [server, { clientAuth: true }]);
          assert.equal(r.server.report.ok, false, "server must not accept");
          assert.equal(r.server.report.alert, "certificate_required", "server's alert");
        });
      }
    }),
});
