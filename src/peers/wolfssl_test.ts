// wolfSSL (containers/wolfssl: pqi-wolfssl, our program on libwolfssl, speaking the peer contract)
// in its container, through the runtime (openSandbox + runPair) with the wire tap in between. Every negotiated value is asserted
// from the OTHER side's report, and from the wire where it can see.

import assert from "node:assert/strict";
import { whyUnsupported } from "../contract/capabilities.ts";
import { implementation } from "./index.ts";
import type { EndpointConfig, ExternalPsk } from "../contract/config.ts";
import type { Implementation } from "./implementation.ts";
import { ensurePki } from "../pki/pki.ts";
import type { PairResult } from "../runner/pair.ts";
import { CACHE_DIR } from "../runtime/paths.ts";
import { CERT_KINDS, GROUP_NAMES, type GroupName, type PskModeName } from "../tls/names.ts";
import { withWorld } from "../testing/world.ts";

const openssl = implementation("openssl")!;
const wolfssl = implementation("wolfssl")!;
const ts = implementation("ts")!;

/** Not the identity and key wolfSSL's examples hard-code: the program takes any PSK now. */
const EXAMPLE_PSK = { identity: "pqinterop psk", keyHex: "5a".repeat(32) };

const psk = (mode: PskModeName): ExternalPsk => ({
  identity: EXAMPLE_PSK.identity,
  keyHex: EXAMPLE_PSK.keyHex,
  hash: "sha256",
  mode,
});

const onlyGroup = (group: GroupName) => ({
  client: { groups: [group], keyShares: [group] } as EndpointConfig,
  server: { groups: [group], certificate: "ecdsa-p256" } as EndpointConfig,
});

// --- A small world: the PKI, a scratch directory and one sandbox per implementation ------------

/** Both programs' output, for assertion messages. */
function transcript(r: PairResult): string {
  const side = (name: string, s: PairResult["client"]) =>
    `--- ${name} (exit ${s.code}): ${JSON.stringify(s.report)}\n${tail(s.stdout + s.stderr)}`;
  return `${side("client", r.client)}\n${side("server", r.server)}`;
}

const tail = (text: string) => text.split("\n").slice(-30).join("\n");

function assertHandshake(r: PairResult, what: string) {
  assert.ok(r.client.report.ok, `${what}: client not ok\n${transcript(r)}`);
  assert.ok(r.server.report.ok, `${what}: server not ok\n${transcript(r)}`);
}

// --- Groups ------------------------------------------------------------------------------------

/** The groups both roles accept with one-group configs; the rest must be refused, with a reason. */
function playableGroups(client: Implementation, server: Implementation): GroupName[] {
  return GROUP_NAMES.filter((g) => {
    const { client: cc, server: sc } = onlyGroup(g);
    const why = whyUnsupported(client.capabilities, "client", cc) ??
      client.refuse?.("client", cc) ??
      whyUnsupported(server.capabilities, "server", sc) ?? server.refuse?.("server", sc) ?? null;
    return why === null;
  });
}

Deno.test("wolfSSL declares every group, in both roles, P-384 client share included", async () => {
  for (const g of GROUP_NAMES) assert.equal(wolfssl.capabilities.groups[g], true, g);
  assert.deepEqual(playableGroups(wolfssl, wolfssl), GROUP_NAMES);
  await withWorld(async (w) => {
    // The example client could not send a P-384 share; the program can.
    const r = await w.pair([wolfssl, onlyGroup("secp384r1").client], [
      ts,
      onlyGroup("secp384r1").server,
    ]);
    assertHandshake(r, "P-384 share");
    assert.deepEqual(r.wire.keySharesOffered.map((s) => s.group), ["secp384r1"]);
    assert.equal(r.wire.helloRetryRequest, false);
    assert.equal(r.wire.selectedGroup, "secp384r1");
  });
});

Deno.test("wolfSSL client ↔ wolfSSL server: every group", async () => {
  await withWorld(async (w) => {
    const groups = playableGroups(wolfssl, wolfssl);
    for (const g of groups) {
      const { client, server } = onlyGroup(g);
      const r = await w.pair([wolfssl, client], [wolfssl, server]);
      assertHandshake(r, g);
      assert.equal(r.server.report.group, g, `server's word for the client's group ${g}`);
      assert.equal(r.client.report.group, g, `client's word for the server's group ${g}`);
      assert.equal(r.wire.selectedGroup, g);
      assert.equal(r.wire.helloRetryRequest, false, `${g}: no HRR`);
      assert.equal(r.server.report.version, "TLSv1.3");
    }
    assert.equal(groups.length, 9);

    const provenance = await (await w.sandbox(wolfssl)).provenance();
    assert.equal(provenance.version, "5.9.2");
    assert.match(provenance.packages["wolfssl (sid source)"], /^5\.9\.2-/);
    assert.match(provenance.build, /--enable-tls-mlkem-standalone/);
  });
});

Deno.test({
  name: "wolfSSL client → OpenSSL server and OpenSSL client → wolfSSL server: every group",
  async fn() {
    await withWorld(async (w) => {
      for (const [client, server] of [[wolfssl, openssl], [openssl, wolfssl]]) {
        const groups = playableGroups(client, server);
        for (const g of groups) {
          const cfg = onlyGroup(g);
          const r = await w.pair([client, cfg.client], [server, cfg.server]);
          const pairName = `${client.id} → ${server.id} ${g}`;
          assertHandshake(r, pairName);
          // The other side's word: OpenSSL's report for the wolfSSL side, and vice versa.
          const other = client === wolfssl ? r.server.report : r.client.report;
          assert.equal(other.group, g, `${pairName}: the OpenSSL side's negotiated group`);
          assert.equal(r.wire.selectedGroup, g, pairName);
          assert.equal(r.wire.helloRetryRequest, false, pairName);
        }
        // Every group, both ways: the program sends a P-384 share the example client could not.
        assert.equal(groups.length, 9, `${client.id} → ${server.id}`);
      }
    });
  },
});

Deno.test("wolfSSL ↔ wolfSSL: every certificate kind, as server and as client certificate", async () => {
  await withWorld(async (w) => {
    for (const kind of CERT_KINDS) {
      assert.equal(wolfssl.capabilities.certificates[kind], true, kind);
      const r = await w.pair(
        [wolfssl, { groups: ["x25519"], clientAuth: true, certificate: kind }],
        [wolfssl, { groups: ["x25519"], clientAuth: true, certificate: kind }],
      );
      assertHandshake(r, `${kind} both ways`);
    }
    // The server really asks: a client without a certificate is turned away.
    const r = await w.pair([wolfssl, {}], [wolfssl, { clientAuth: true }]);
    assert.equal(r.server.report.ok, false, transcript(r));
    assert.equal(r.server.report.alert, "certificate_required", transcript(r));
  });
});

// --- PSK, resumption, 0-RTT, RFC 9973 ----------------------------------------------------------

Deno.test("wolfSSL ↔ wolfSSL: external PSK with psk_ke uses no group at all", async () => {
  await withWorld(async (w) => {
    const r = await w.pair([wolfssl, { psk: psk("psk_ke") }], [wolfssl, { psk: psk("psk_ke") }]);
    assertHandshake(r, "psk_ke");
    assert.equal(r.server.report.pskMode, "psk_ke");
    assert.equal(r.server.report.group, null);
    assert.equal(r.client.report.pskMode, "psk_ke");
    assert.equal(r.client.report.pskIdentity, EXAMPLE_PSK.identity);
    assert.equal(r.server.report.cipherSuite, "TLS_AES_128_GCM_SHA256");
    assert.equal(r.wire.pskSelected, 0);
    assert.equal(r.wire.selectedGroup, null);
  });
});

Deno.test("wolfSSL ↔ wolfSSL: external PSK with psk_dhe_ke over ML-KEM groups", async () => {
  await withWorld(async (w) => {
    for (const g of ["X25519MLKEM768", "MLKEM768"] as const) {
      const r = await w.pair(
        [wolfssl, { groups: [g], keyShares: [g], psk: psk("psk_dhe_ke") }],
        [wolfssl, { groups: [g], psk: psk("psk_dhe_ke") }],
      );
      assertHandshake(r, `psk_dhe_ke ${g}`);
      assert.equal(r.server.report.pskMode, "psk_dhe_ke", g);
      assert.equal(r.server.report.group, g);
      assert.equal(r.client.report.pskMode, "psk_dhe_ke", g);
      assert.equal(r.client.report.group, g);
      assert.equal(r.wire.pskSelected, 0, g);
      assert.equal(r.wire.selectedGroup, g);
    }
  });
});

Deno.test("wolfSSL ↔ wolfSSL: the second connection resumes, 0-RTT accepted", async () => {
  await withWorld(async (w) => {
    const g = "X25519MLKEM768" as const;
    const r = await w.pair(
      [wolfssl, { groups: [g], keyShares: [g], resume: true }],
      [wolfssl, { groups: [g], resume: true, certificate: "ecdsa-p256" }],
    );
    assertHandshake(r, "resumption");
    assert.equal(r.server.report.resumed, false);
    assert.equal(r.server.report.next?.[0].resumed, true, transcript(r));
    assert.equal(r.client.report.next?.[0].resumed, true);
    assert.equal(r.server.report.next?.[0].group, g);
    assert.equal(r.wire.connections, 2);

    const early = await w.pair(
      [wolfssl, { groups: [g], keyShares: [g], resume: true, earlyData: "early hello" }],
      [wolfssl, {
        groups: [g],
        resume: true,
        earlyData: "",
        maxEarlyData: 16384,
        certificate: "ecdsa-p256",
      }],
    );
    assertHandshake(early, "0-RTT");
    assert.equal(early.server.report.earlyData, null, "nothing to send on the first connection");
    assert.equal(early.server.report.next?.[0].earlyData, "accepted", transcript(early));
    assert.equal(early.client.report.next?.[0].resumed, true);
  });
});

Deno.test("wolfSSL ↔ wolfSSL: RFC 9973 certificate with external PSK, the certificate verified", async () => {
  // A second, unrelated CA: the client trusting it must refuse the server's certificate.
  const otherDir = `${CACHE_DIR}/pki-other-ca`;
  const other = await ensurePki(otherDir);
  await withWorld(async (w) => {
    const g = "MLKEM768" as const;
    const client: EndpointConfig = {
      groups: [g],
      keyShares: [g],
      psk: psk("psk_dhe_ke"),
      certWithPsk: "allow",
    };
    const server: EndpointConfig = {
      groups: [g],
      psk: psk("psk_dhe_ke"),
      certWithPsk: "allow",
      certificate: "mldsa65",
    };
    const r = await w.pair([wolfssl, client], [wolfssl, server]);
    assertHandshake(r, "cert_with_extern_psk");
    assert.equal(r.wire.certWithPskOffered, true);
    assert.equal(r.wire.certWithPskEchoed, true);
    assert.equal(r.wire.pskSelected, 0);
    assert.equal(r.server.report.group, g);

    const distrust = await w.pair([wolfssl, client], [wolfssl, server], {
      ...w.pki,
      caCert: other.caCert,
    });
    assert.equal(distrust.client.report.ok, false, transcript(distrust));
    assert.equal(distrust.client.report.alert, "unknown_ca", transcript(distrust));
    assert.equal(distrust.server.report.ok, false);
    assert.equal(distrust.wire.certWithPskEchoed, true, "same handshake up to the certificate");
  }, { mounts: [otherDir] });
});

// --- Declarations match reality ----------------------------------------------------------------

Deno.test("wolfSSL requires RFC 9973 when asked: a server that does not echo it is refused", async () => {
  await withWorld(async (w) => {
    // Offered, not echoed: with "allow" the client carries on with a plain PSK handshake…
    const plain = await w.pair(
      [wolfssl, { groups: ["x25519"], psk: psk("psk_dhe_ke"), certWithPsk: "allow" }],
      [wolfssl, { groups: ["x25519"], psk: psk("psk_dhe_ke") }],
    );
    assertHandshake(plain, "cert_with_extern_psk offered, not echoed");
    assert.equal(plain.wire.certWithPskOffered, true);
    assert.equal(plain.wire.certWithPskEchoed, false);
    // …and with "require" it aborts.
    const required = await w.pair(
      [wolfssl, { groups: ["x25519"], psk: psk("psk_dhe_ke"), certWithPsk: "require" }],
      [wolfssl, { groups: ["x25519"], psk: psk("psk_dhe_ke") }],
    );
    assert.equal(required.client.report.ok, false, transcript(required));
    assert.equal(required.client.report.certWithPsk, false);
  });
});

/** The reference peer offers RFC 9258 imported PSKs, and is always registered. */
const importer = implementation("ts")!;

Deno.test({
  name: "wolfSSL lacks RFC 9258: an imported PSK does not get through",
  async fn() {
    await withWorld(async (w) => {
      const imported = { ...psk("psk_dhe_ke"), imported: true };
      const r = await w.pair(
        [importer, { groups: ["x25519"], keyShares: ["x25519"], psk: imported }],
        // The wolfSSL side can only be given the raw example PSK (with imported: true the
        // capability table stops the case before it starts).
        [wolfssl, { groups: ["x25519"], psk: psk("psk_dhe_ke") }],
      );
      assert.ok(r.wire.pskOffered > 0, `the ${importer.id} client offered no PSK`);
      assert.equal(r.server.report.ok, false, transcript(r));
      assert.equal(r.wire.pskSelected, null, transcript(r));
      // Seen: wolfSSL fails the importer's binder (-423, BAD_BINDER) and sends illegal_parameter.
    });
  },
});
