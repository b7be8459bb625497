// OpenSSL client ↔ OpenSSL server in the openssl container, through the runtime. Every negotiated
// value is asserted on both sides' reports: what the client says must be what the server says.

import assert from "node:assert/strict";
import { openssl } from "./openssl.ts";
import type { CellContext } from "../contract/process.ts";
import type { EndpointConfig, ExternalPsk } from "../contract/config.ts";
import { pkiPaths } from "../pki/layout.ts";
import { assertBothOk, withWorld } from "../testing/world.ts";
import { CERT_KINDS, GROUP_NAMES, type GroupName } from "../tls/names.ts";

// Containers and child processes outlive single steps on purpose (one sandbox per test).
const opts = { sanitizeOps: false, sanitizeResources: false };

const PSK: Omit<ExternalPsk, "mode"> = {
  identity: "pqinterop-test",
  keyHex: "a1".repeat(32),
  hash: "sha256",
};

// --- The command lines, without running anything --------------------------------------------

const ctx: CellContext = {
  port: 4433,
  serverName: "localhost",
  pki: pkiPaths("/pki"),
  token: "tok1",
  scratch: "/scratch",
};
/** The value after `flag` in the script's openssl command line. */
const flag = (script: string, name: string) => script.match(new RegExp(` ${name} (\\S+)`))?.[1];

Deno.test("openssl adapter: group tuples express the server's preference", () => {
  const groups: GroupName[] = ["MLKEM768", "x25519"];
  const hrr = openssl.server({ groups, preferHrr: true }, ctx).argv[2];
  assert.equal(flag(hrr, "-groups"), "MLKEM768/x25519");
  const plain = openssl.server({ groups }, ctx).argv[2];
  assert.equal(flag(plain, "-groups"), "MLKEM768:x25519");
});

Deno.test("openssl adapter: key shares are the groups marked with *", () => {
  const script = openssl.client(
    { groups: ["x25519", "MLKEM768", "secp256r1"], keyShares: ["x25519", "secp256r1"] },
    ctx,
  ).argv[2];
  assert.equal(flag(script, "-groups"), "'*x25519:MLKEM768:*secp256r1'");
});

Deno.test("openssl adapter: refuses what s_client cannot send", () => {
  assert.match(openssl.refuse!("client", { keyShares: [] }) ?? "", /empty key_share/);
  assert.match(
    openssl.refuse!("client", { groups: ["x25519"], keyShares: ["MLKEM768"] }) ?? "",
    /supported_groups/,
  );
  assert.equal(openssl.refuse!("client", { groups: ["x25519"], keyShares: ["x25519"] }), null);
});

Deno.test("openssl adapter: parse without a trace says what the program printed", () => {
  const r = openssl.parse("client", { stdout: "", stderr: "openssl: not found\n", code: 127 });
  assert.equal(r.ok, false);
  assert.match(r.error ?? "", /exit 127.*openssl: not found/);
});

// --- Real connections -------------------------------------------------------------------------

Deno.test({
  name: "openssl ↔ openssl: each group, as both sides report it",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      // OpenSSL 3.5 declares every group: each is tried, none skipped.
      for (const group of GROUP_NAMES) {
        await t.step(group, async () => {
          assert.equal(openssl.capabilities.groups[group], true, `${group} declared`);
          const r = await w.pair(
            [openssl, { groups: [group] }],
            [openssl, { groups: [group] }],
          );
          assertBothOk(r);
          assert.equal(r.server.report.group, group, "server's view");
          assert.equal(r.client.report.group, group, "client's view");
          assert.equal(r.client.report.helloRetryRequest, false);
          assert.equal(r.server.report.helloRetryRequest, false);
          assert.equal(r.client.report.cipherSuite, r.server.report.cipherSuite);
          assert.equal(r.client.report.version, "TLSv1.3");
        });
      }
    }),
});

Deno.test({
  name: "openssl ↔ openssl: key shares, HelloRetryRequest by preference, cipher suites",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      const client: EndpointConfig = { groups: ["x25519", "MLKEM768"], keyShares: ["x25519"] };
      const serverGroups: GroupName[] = ["MLKEM768", "x25519"];

      await t.step("server prefers MLKEM768 but takes the offered x25519 share", async () => {
        const r = await w.pair([openssl, client], [openssl, { groups: serverGroups }]);
        assertBothOk(r);
        for (const side of [r.client.report, r.server.report]) {
          assert.equal(side.group, "x25519");
          assert.equal(side.helloRetryRequest, false);
        }
      });

      await t.step("preferHrr: server asks for MLKEM768 by HelloRetryRequest", async () => {
        const r = await w.pair(
          [openssl, client],
          [openssl, { groups: serverGroups, preferHrr: true }],
        );
        assertBothOk(r);
        for (const side of [r.client.report, r.server.report]) {
          assert.equal(side.group, "MLKEM768");
          assert.equal(side.helloRetryRequest, true);
        }
      });

      await t.step("two key shares: the server picks the share it prefers", async () => {
        const r = await w.pair(
          [openssl, {
            groups: ["x25519", "SecP384r1MLKEM1024"],
            keyShares: ["x25519", "SecP384r1MLKEM1024"],
          }],
          [openssl, { groups: ["SecP384r1MLKEM1024", "x25519"], preferHrr: true }],
        );
        assertBothOk(r);
        for (const side of [r.client.report, r.server.report]) {
          assert.equal(side.group, "SecP384r1MLKEM1024");
          assert.equal(side.helloRetryRequest, false);
        }
      });

      await t.step("cipher suite chosen by configuration", async () => {
        const r = await w.pair(
          [openssl, { cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256"] }],
          [openssl, {}],
        );
        assertBothOk(r);
        assert.equal(r.server.report.cipherSuite, "TLS_CHACHA20_POLY1305_SHA256");
        assert.equal(r.client.report.cipherSuite, "TLS_CHACHA20_POLY1305_SHA256");
      });
    }),
});

Deno.test({
  name: "openssl ↔ openssl: every certificate kind, and client certificates",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      for (const kind of CERT_KINDS) {
        await t.step(`server presents ${kind}`, async () => {
          const r = await w.pair([openssl, {}], [openssl, { certificate: kind }]);
          assertBothOk(r);
        });
      }
      await t.step("client authenticates with mldsa65", async () => {
        const r = await w.pair(
          [openssl, { clientAuth: true, certificate: "mldsa65" }],
          [openssl, { clientAuth: true }],
        );
        assertBothOk(r);
      });
      await t.step("server requires a client certificate the client does not have", async () => {
        const r = await w.pair([openssl, {}], [openssl, { clientAuth: true }]);
        assert.equal(r.server.report.ok, false);
        assert.equal(r.server.report.alert, "certificate_required");
      });
    }),
});

Deno.test({
  name: "openssl ↔ openssl: external PSK modes, resumption, 0-RTT",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      await t.step("psk_dhe_ke with an ML-KEM group", async () => {
        const psk: ExternalPsk = { ...PSK, mode: "psk_dhe_ke" };
        const r = await w.pair(
          [openssl, { psk, groups: ["MLKEM1024"] }],
          [openssl, { psk, groups: ["MLKEM1024"] }],
        );
        assertBothOk(r);
        for (const side of [r.client.report, r.server.report]) {
          assert.equal(side.pskMode, "psk_dhe_ke");
          assert.equal(side.pskIdentity, PSK.identity);
          assert.equal(side.group, "MLKEM1024");
          assert.equal(side.resumed, false);
        }
      });

      await t.step("psk_ke: no key exchange group at all", async () => {
        const psk: ExternalPsk = { ...PSK, mode: "psk_ke" };
        const r = await w.pair([openssl, { psk }], [openssl, { psk }]);
        assertBothOk(r);
        for (const side of [r.client.report, r.server.report]) {
          assert.equal(side.pskMode, "psk_ke");
          assert.equal(side.group, null);
        }
      });

      await t.step("a wrong PSK key fails the binder check", async () => {
        const r = await w.pair(
          [openssl, { psk: { ...PSK, keyHex: "b2".repeat(32), mode: "psk_dhe_ke" } }],
          [openssl, { psk: { ...PSK, mode: "psk_dhe_ke" } }],
        );
        assert.equal(r.client.report.ok, false);
        assert.equal(r.server.report.alert, "decrypt_error");
        assert.equal(r.client.report.alert, "decrypt_error");
      });

      await t.step("resumption with a ticket, then on another group", async () => {
        const r = await w.pair(
          [openssl, {
            resume: true,
            groups: ["X25519MLKEM768"],
            resumeGroups: ["SecP256r1MLKEM768"],
          }],
          [openssl, { resume: true, groups: ["X25519MLKEM768", "SecP256r1MLKEM768"] }],
        );
        assertBothOk(r);
        const [c2, s2] = [r.client.report.next?.[0], r.server.report.next?.[0]];
        assert.ok(c2 && s2, "two connections on each side");
        assert.equal(r.client.report.resumed, false);
        assert.equal(r.server.report.resumed, false);
        for (const side of [c2, s2]) {
          assert.equal(side.ok, true);
          assert.equal(side.resumed, true);
          assert.equal(side.pskMode, "psk_dhe_ke");
          assert.equal(side.group, "SecP256r1MLKEM768");
        }
      });

      await t.step("0-RTT accepted on the resumed connection", async () => {
        const r = await w.pair(
          [openssl, { resume: true, earlyData: "early hello" }],
          [openssl, { resume: true, maxEarlyData: 1024 }],
        );
        assertBothOk(r);
        const [c2, s2] = [r.client.report.next?.[0], r.server.report.next?.[0]];
        assert.equal(c2?.earlyData, "accepted");
        assert.equal(s2?.earlyData, "accepted");
        assert.match(r.server.stdout, /early hello/);
      });
    }),
});
