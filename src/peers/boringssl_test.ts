// BoringSSL (through Bun's node:tls) against itself and against OpenSSL, in both directions, through
// the runtime with the real images. Each negotiated value is asserted on the OTHER side's report
// too: a program cannot pass by reporting what it was asked for. The last tests check that what
// the manifest declares missing is really missing, with every group BoringSSL has enabled.

import assert from "node:assert/strict";
import { implementation } from "./index.ts";
import type { EndpointConfig } from "../contract/config.ts";
import type { Implementation } from "./implementation.ts";
import { runPair } from "../runner/pair.ts";
import { assertBothOk, withWorld, type World } from "../testing/world.ts";
import { CERT_KINDS, GROUP_NAMES, type GroupName } from "../tls/names.ts";
import { type Feature, FEATURES } from "../contract/capabilities.ts";

const boringssl = implementation("boringssl")!;
const openssl = implementation("openssl")!;
const ts = implementation("ts")!;

// Containers and child processes outlive single steps on purpose (one sandbox per test).
const opts = { sanitizeOps: false, sanitizeResources: false };

// Written out, not read from the manifest under test: the first test holds the manifest to them.
const BORINGSSL_GROUPS: GroupName[] = [
  "x25519",
  "secp256r1",
  "secp384r1",
  "MLKEM1024",
  "X25519MLKEM768",
];
const LACKING_GROUPS: GroupName[] = [
  "MLKEM512",
  "MLKEM768",
  "SecP256r1MLKEM768",
  "SecP384r1MLKEM1024",
];
/** What BoringSSL itself lacks, and what only our program cannot reach through Bun's node:tls. */
const LACKS: Feature[] = ["cipherSuiteSelection", "externalPsk", "pskKe", "certWithPsk"];
const ADAPTER_CANNOT: Feature[] = ["pskDheKe", "pskSha384", "importedPsk", "earlyData"];

Deno.test("BoringSSL declares exactly what it lacks, and says whose limit each one is", () => {
  const whose = (kind: "lacks" | "adapter") =>
    FEATURES.filter((f) => {
      const s = boringssl.capabilities.features[f];
      return s !== true && kind in s;
    });
  const groups = boringssl.capabilities.groups;
  assert.deepEqual(GROUP_NAMES.filter((g) => groups[g] === true), BORINGSSL_GROUPS);
  assert.deepEqual(GROUP_NAMES.filter((g) => groups[g] !== true), LACKING_GROUPS);
  assert.deepEqual(whose("lacks"), LACKS);
  assert.deepEqual(whose("adapter"), ADAPTER_CANNOT);
});

/** One connection with the same group list on both sides; both must report that group. */
async function sameGroup(
  w: World,
  client: Implementation,
  server: Implementation,
  group: GroupName,
) {
  const r = await w.pair([client, { groups: [group] }], [server, { groups: [group] }]);
  assertBothOk(r);
  assert.equal(r.server.report.group, group, `${server.id} server's view`);
  assert.equal(r.client.report.group, group, `${client.id} client's view`);
  assert.equal(r.client.report.version, "TLSv1.3");
  assert.equal(r.server.report.version, "TLSv1.3");
  assert.equal(r.client.report.cipherSuite, r.server.report.cipherSuite);
  return r;
}

for (
  const [client, server] of [
    [boringssl, boringssl],
    [boringssl, openssl],
    [openssl, boringssl],
  ] as const
) {
  Deno.test({
    name: `${client.id} client → ${server.id} server: each group BoringSSL implements`,
    ...opts,
    fn: (t) =>
      withWorld(async (w) => {
        for (const group of BORINGSSL_GROUPS) {
          await t.step(group, async () => {
            await sameGroup(w, client, server, group);
          });
        }
      }),
  });
}

Deno.test({
  name: "BoringSSL defaults: X25519MLKEM768 against OpenSSL, both directions",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      for (const [client, server] of [[boringssl, openssl], [openssl, boringssl]]) {
        await t.step(`${client.id} → ${server.id}`, async () => {
          const r = await w.pair([client, {}], [server, {}]);
          assertBothOk(r);
          assert.equal(r.server.report.group, "X25519MLKEM768");
          assert.equal(r.client.report.group, "X25519MLKEM768");
        });
      }
    }),
});

Deno.test({
  name: "BoringSSL resumption: tickets, psk_dhe_ke, the group of the resumed handshake",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      const client: EndpointConfig = {
        resume: true,
        groups: ["X25519MLKEM768"],
        resumeGroups: ["MLKEM1024"],
      };
      const server: EndpointConfig = { resume: true, groups: ["X25519MLKEM768", "MLKEM1024"] };
      for (
        const [c, s] of [[boringssl, boringssl], [boringssl, openssl], [openssl, boringssl]]
      ) {
        await t.step(`${c.id} → ${s.id}`, async () => {
          const r = await w.pair([c, client], [s, server]);
          assertBothOk(r);
          const [c2, s2] = [r.client.report.next?.[0], r.server.report.next?.[0]];
          assert.ok(c2 && s2, "two connections on each side");
          assert.equal(r.server.report.resumed, false);
          assert.equal(r.server.report.group, "X25519MLKEM768");
          for (const side of [c2, s2]) {
            assert.equal(side.ok, true, side.error ?? "");
            assert.equal(side.resumed, true);
            assert.equal(side.pskMode, "psk_dhe_ke");
            assert.equal(side.group, "MLKEM1024");
          }
        });
      }
    }),
});

Deno.test({
  name: "BoringSSL certificates: every kind presented, and client certificates",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      for (const kind of CERT_KINDS) {
        await t.step(`BoringSSL server presents ${kind} to OpenSSL`, async () => {
          const r = await w.pair([openssl, {}], [boringssl, { certificate: kind }]);
          assertBothOk(r);
        });
      }
      // BoringSSL's default signature_algorithms has no ML-DSA: a client must ask for it.
      for (const kind of ["mldsa44", "mldsa65", "mldsa87"] as const) {
        await t.step(`BoringSSL client verifies an OpenSSL ${kind} server`, async () => {
          const r = await w.pair(
            [boringssl, { signatureSchemes: [kind, "ecdsa_secp256r1_sha256"] }],
            [openssl, { certificate: kind }],
          );
          assertBothOk(r);
        });
      }
      await t.step("BoringSSL client authenticates to OpenSSL with rsa2048", async () => {
        const r = await w.pair(
          [boringssl, { clientAuth: true, certificate: "rsa2048" }],
          [openssl, { clientAuth: true }],
        );
        assertBothOk(r);
      });
      await t.step("OpenSSL client authenticates to BoringSSL with ed25519", async () => {
        const r = await w.pair(
          [openssl, { clientAuth: true, certificate: "ed25519" }],
          [boringssl, { clientAuth: true }],
        );
        assertBothOk(r);
      });
      await t.step("a BoringSSL server requires a certificate the client lacks", async () => {
        const r = await w.pair([openssl, {}], [boringssl, { clientAuth: true }]);
        assert.equal(r.server.report.ok, false);
        assert.equal(r.server.report.alert, "certificate_required");
        assert.equal(r.client.report.alert, "certificate_required", "OpenSSL received it");
      });
    }),
});

Deno.test({
  name: "BoringSSL alerts: no common group is handshake_failure, seen from both sides",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      await t.step(
        "OpenSSL client offers only MLKEM1024, BoringSSL server only x25519",
        async () => {
          const r = await w.pair(
            [openssl, { groups: ["MLKEM1024"] }],
            [boringssl, { groups: ["x25519"] }],
          );
          assert.equal(r.server.report.ok, false);
          assert.equal(r.server.report.alert, "handshake_failure");
          assert.equal(r.client.report.alert, "handshake_failure", "OpenSSL received it");
        },
      );
    }),
});

/** runPair without the capability check: the check of the capability table itself. */
async function unchecked(
  w: World,
  [client, server]: [Implementation, Implementation],
  config: EndpointConfig,
) {
  return await runPair({
    client: { sandbox: await w.sandbox(client), impl: client, config },
    server: { sandbox: await w.sandbox(server), impl: server, config },
    pki: w.pki,
    scratch: w.scratch,
  });
}

Deno.test({
  name: "declarations match reality: each lacking group stays missing with every group enabled",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      const everything = { groups: BORINGSSL_GROUPS, certificate: "ecdsa-p256" as const };
      // Control: with its whole list, the server takes a group that is not among its defaults.
      const control = await w.pair([ts, { groups: ["MLKEM1024"] }], [boringssl, everything]);
      assertBothOk(control);
      assert.equal(control.wire.selectedGroup, "MLKEM1024");
      for (const group of LACKING_GROUPS) {
        await t.step(group, async () => {
          const r = await w.pair([ts, { groups: [group] }], [boringssl, everything]);
          assert.equal(r.server.report.ok, false);
          assert.equal(r.client.report.alert, "handshake_failure");
          assert.equal(r.wire.selectedGroup, null, "no ServerHello");
          const c = await w.pair([boringssl, { groups: BORINGSSL_GROUPS }], [ts, {
            groups: [group],
          }]);
          assert.ok(!c.wire.groupsOffered.includes(group), `${group} offered`);
          // Asked for it by name, the shim says whose limit it is and exits 127.
          const asked = await unchecked(w, [boringssl, openssl], { groups: [group] });
          assert.equal(asked.client.code, 127);
          assert.match(asked.client.stderr, /^unsupported: lacks: /m);
        });
      }
    }),
});
