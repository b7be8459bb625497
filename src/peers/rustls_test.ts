// rustls (containers/rustls: pqi-rustls, speaking the peer contract) against the real program in
// its container, through the runtime (openSandbox + runPair) with the wire tap in between. Every negotiated value is asserted
// from the OTHER side's report, and from the wire where it can see.

import assert from "node:assert/strict";
import { whyUnsupported } from "../contract/capabilities.ts";
import { implementation } from "./index.ts";
import type { EndpointConfig } from "../contract/config.ts";
import type { PairResult } from "../runner/pair.ts";
import { GROUP_NAMES, type GroupName } from "../tls/names.ts";
import { withWorld } from "../testing/world.ts";

// Always registered (an adapter), so the tests with it need no `ignore:`.
const openssl = implementation("openssl")!;
const rustls = implementation("rustls")!;
const ts = implementation("ts")!;

const RUSTLS_GROUPS: GroupName[] = [
  "X25519MLKEM768",
  "SecP256r1MLKEM768",
  "MLKEM768",
  "MLKEM1024",
  "x25519",
  "secp256r1",
  "secp384r1",
];
const NOT_IN_RUSTLS: GroupName[] = ["MLKEM512", "SecP384r1MLKEM1024"];

const onlyGroup = (group: GroupName) => ({
  client: { groups: [group], keyShares: [group] } as EndpointConfig,
  server: { groups: [group], certificate: "ecdsa-p256" } as EndpointConfig,
});

// --- A small world: the PKI, a scratch directory and one sandbox per implementation ------------

/** Both programs' output, for assertion messages. */
function transcript(r: PairResult): string {
  const side = (name: string, s: PairResult["client"]) =>
    `--- ${name} (exit ${s.code})\n${s.stdout}${s.stderr}`;
  return `${side("client", r.client)}\n${side("server", r.server)}`;
}

function assertHandshake(r: PairResult, what: string) {
  assert.ok(r.client.report.ok, `${what}: client not ok\n${transcript(r)}`);
  assert.ok(r.server.report.ok, `${what}: server not ok\n${transcript(r)}`);
}

// --- Declarations ------------------------------------------------------------------------------

Deno.test("rustls declares seven groups, and lacks MLKEM512 and SecP384r1MLKEM1024", () => {
  assert.deepEqual(
    GROUP_NAMES.filter((g) => rustls.capabilities.groups[g] === true).sort(),
    [
      ...RUSTLS_GROUPS,
    ].sort(),
  );
  for (const g of NOT_IN_RUSTLS) {
    assert.match(whyUnsupported(rustls.capabilities, "client", { groups: [g] })!, /lacks/);
  }
  assert.match(
    whyUnsupported(rustls.capabilities, "client", {
      psk: {
        identity: "id",
        keyHex: "00".repeat(32),
        hash: "sha256",
        mode: "psk_dhe_ke",
      },
    })!,
    /issue 174/,
  );
});

// --- Groups ------------------------------------------------------------------------------------

Deno.test("rustls client ↔ rustls server: all seven groups", async () => {
  await withWorld(async (w) => {
    for (const g of RUSTLS_GROUPS) {
      const { client, server } = onlyGroup(g);
      const r = await w.pair([rustls, client], [rustls, server]);
      assertHandshake(r, g);
      assert.equal(r.server.report.group, g, `server's word for the client's group ${g}`);
      assert.equal(r.client.report.group, g, `client's word for the server's group ${g}`);
      assert.equal(r.client.report.helloRetryRequest, false, g);
      assert.equal(r.server.report.version, "TLSv1.3");
      assert.equal(r.wire.selectedGroup, g);
    }
  });
});

Deno.test({
  name: "rustls client → OpenSSL server and OpenSSL client → rustls server: all seven groups",
  async fn() {
    await withWorld(async (w) => {
      for (const [client, server] of [[rustls, openssl], [openssl, rustls]]) {
        for (const g of RUSTLS_GROUPS) {
          const cfg = onlyGroup(g);
          const r = await w.pair([client, cfg.client], [server, cfg.server]);
          const pairName = `${client.id} → ${server.id} ${g}`;
          assertHandshake(r, pairName);
          // The other side's word: OpenSSL's report about the rustls side.
          const other = client === rustls ? r.server.report : r.client.report;
          assert.equal(other.group, g, `${pairName}: the OpenSSL side's negotiated group`);
          assert.equal(r.wire.selectedGroup, g, pairName);
          assert.equal(r.wire.helloRetryRequest, false, pairName);
        }
      }
    });
  },
});

Deno.test("rustls shares its first group, plus a hybrid's classical component it also lists", async () => {
  await withWorld(async (w) => {
    const cases: [GroupName[] | undefined, GroupName[]][] = [
      [undefined, ["X25519MLKEM768", "x25519"]], // the provider's defaults
      [["SecP256r1MLKEM768", "secp256r1"], ["SecP256r1MLKEM768", "secp256r1"]],
      [["X25519MLKEM768", "MLKEM768"], ["X25519MLKEM768"]],
      [["MLKEM768", "x25519"], ["MLKEM768"]],
    ];
    for (const [groups, shares] of cases) {
      // The server supports every group, so it takes the client's first.
      const r = await w.pair([rustls, { groups }], [rustls, { groups: RUSTLS_GROUPS }]);
      assertHandshake(r, `${groups}`);
      assert.deepEqual(r.wire.keySharesOffered.map((s) => s.group), shares, `${groups}`);
      assert.equal(r.server.report.group, shares[0], `${groups}`);
    }
  });
});

Deno.test("rustls asks by HelloRetryRequest for the client's first group it has no share for", async () => {
  await withWorld(async (w) => {
    const r = await w.pair(
      [rustls, { groups: ["x25519", "MLKEM1024"] }],
      [rustls, { groups: ["MLKEM1024"] }],
    );
    assertHandshake(r, "HRR");
    assert.equal(r.client.report.helloRetryRequest, true, transcript(r));
    assert.equal(r.client.report.group, "MLKEM1024");
    assert.equal(r.wire.hrrGroup, "MLKEM1024");
  });
});

// --- Resumption, 0-RTT, certificates -----------------------------------------------------------

Deno.test("rustls ↔ rustls: the second connection resumes, and 0-RTT is accepted", async () => {
  await withWorld(async (w) => {
    const g = "MLKEM768" as const;
    const r = await w.pair(
      [rustls, { groups: [g], resume: true }],
      [rustls, { groups: [g], resume: true }],
    );
    assertHandshake(r, "resumption");
    assert.equal(r.server.report.resumed, false);
    assert.equal(r.client.report.next?.[0].resumed, true, transcript(r));
    assert.equal(r.server.report.next?.[0].resumed, true, transcript(r));
    assert.equal(r.client.report.next?.[0].pskMode, "psk_dhe_ke");
    assert.equal(r.client.report.next?.[0].group, g, "psk_dhe_ke still runs the ML-KEM exchange");
    assert.equal(r.wire.connections, 2);

    const early = await w.pair(
      [rustls, { groups: [g], resume: true, earlyData: "early hello" }],
      [rustls, { groups: [g], resume: true, earlyData: "" }],
    );
    assertHandshake(early, "0-RTT");
    assert.equal(early.server.report.next?.[0].earlyData, "accepted", transcript(early));
    assert.equal(early.client.report.next?.[0].earlyData, "accepted", transcript(early));
    assert.equal(early.server.report.earlyData, null, "nothing to send on the first connection");
  });
});

Deno.test({
  name: "rustls ↔ OpenSSL both ways: the second connection resumes with 0-RTT, by the other side",
  async fn() {
    await withWorld(async (w) => {
      const g = "X25519MLKEM768" as const;
      for (const [client, server] of [[rustls, openssl], [openssl, rustls]]) {
        const r = await w.pair(
          [client, { groups: [g], resume: true, earlyData: "early hello" }],
          [server, { groups: [g], resume: true, earlyData: "" }],
        );
        const pairName = `${client.id} → ${server.id}`;
        assertHandshake(r, pairName);
        const other = client === rustls ? r.server.report : r.client.report;
        assert.equal(other.resumed, false, `${pairName}: first connection\n${transcript(r)}`);
        assert.equal(other.next?.[0].resumed, true, `${pairName}: second\n${transcript(r)}`);
        assert.equal(other.next?.[0].group, g, pairName);
        assert.equal(other.next?.[0].earlyData, "accepted", `${pairName}\n${transcript(r)}`);
        assert.equal(r.wire.connections, 2, pairName);
      }
    });
  },
});

Deno.test("rustls ↔ rustls: ML-DSA certificates both ways, and a missing client certificate", async () => {
  await withWorld(async (w) => {
    const r = await w.pair(
      [rustls, { clientAuth: true, certificate: "mldsa87" }],
      [rustls, { clientAuth: true, certificate: "mldsa65" }],
    );
    assertHandshake(r, "ML-DSA");

    const none = await w.pair([rustls, {}], [rustls, { clientAuth: true }]);
    assert.equal(none.server.report.ok, false, transcript(none));
    assert.equal(none.client.report.alert, "certificate_required", transcript(none));
  });
});

// --- Declarations match reality ----------------------------------------------------------------

Deno.test("rustls really lacks MLKEM512 and SecP384r1MLKEM1024, with every group it has enabled", async () => {
  await withWorld(async (w) => {
    // Everything rustls implements, listed explicitly: the defaults leave out groups it has.
    const everything = { groups: RUSTLS_GROUPS, certificate: "ecdsa-p256" as const };
    // Control: this server takes a group outside its defaults (MLKEM1024), so the list is live.
    const control = await w.pair([ts, { groups: ["MLKEM1024"] }], [rustls, everything]);
    assertHandshake(control, "MLKEM1024 with every group enabled");
    assert.equal(control.wire.selectedGroup, "MLKEM1024");
    for (const g of NOT_IN_RUSTLS) {
      const r = await w.pair([ts, { groups: [g] }], [rustls, everything]);
      assert.equal(r.server.report.ok, false, transcript(r));
      assert.equal(r.client.report.alert, "handshake_failure", transcript(r));
      assert.equal(r.wire.selectedGroup, null, `${g}: no ServerHello`);
      // And as a client, rustls never offers it, whatever it is given.
      const c = await w.pair([rustls, { groups: RUSTLS_GROUPS }], [ts, { groups: [g] }]);
      assert.ok(!c.wire.groupsOffered.includes(g), `${g} offered: ${c.wire.groupsOffered}`);
      assert.equal(c.client.report.ok, false, transcript(c));
    }
  });
});
