// Our TypeScript peer against OpenSSL 3.5 and wolfSSL 5.9.2 with pre-shared keys, in both
// directions, through the runtime (openSandbox + runPair) and each program's own report: external
// PSKs (psk_ke, psk_dhe_ke with ML-KEM and hybrid groups), resumption, 0-RTT, and RFC 9973
// certificates with an external PSK (wolfSSL only; OpenSSL lacks it). Every negotiated value is
// asserted on both sides' reports.

import assert from "node:assert/strict";
import { ensurePki } from "../pki/pki.ts";
import { type PairResult, runPair } from "../runner/pair.ts";
import { CACHE_DIR } from "../runtime/paths.ts";
import { assertBothOk, withWorld } from "../testing/world.ts";
import type { GroupName, PskModeName } from "../tls/names.ts";
import { ts } from "./ts.ts";
import type { EndpointConfig, ExternalPsk } from "../contract/config.ts";
import type { Implementation } from "./implementation.ts";
import type { PeerReport } from "../contract/report.ts";
import { implementation } from "./index.ts";

const wolfssl = implementation("wolfssl")!;
const openssl = implementation("openssl")!;
/** Any PSK: wolfSSL's program is no longer bound to the example programs' built-in one. */
const EXAMPLE_PSK = { identity: "Client_identity", keyHex: "0123456789abcdef".repeat(4) };

const opts = { sanitizeOps: false, sanitizeResources: false };

const OSSL_PSK = { identity: "pqinterop-psk", keyHex: "a1b2c3d4".repeat(8), hash: "sha256" };
const osslPsk = (mode: PskModeName): ExternalPsk => ({ ...OSSL_PSK, hash: "sha256", mode });
const wolfPsk = (mode: PskModeName): ExternalPsk => ({
  identity: EXAMPLE_PSK.identity,
  keyHex: EXAMPLE_PSK.keyHex,
  hash: "sha256",
  mode,
});

/** Both directions of one case: [TS client → lib server, lib client → TS server]. */
function directions(lib: Implementation): [Implementation, Implementation, string][] {
  return [[ts, lib, `ts → ${lib.id}`], [lib, ts, `${lib.id} → ts`]];
}

function log(r: PairResult): string {
  const tail = (s: string) => s.split("\n").slice(-25).join("\n");
  return `client ${JSON.stringify(r.client.report)}\n${tail(r.client.stdout + r.client.stderr)}` +
    `\nserver ${JSON.stringify(r.server.report)}\n${tail(r.server.stdout + r.server.stderr)}`;
}

/** The report of connection `n` (0 = first, 1 = the resumed one). */
const nth = (r: PeerReport, n: number): PeerReport | undefined => n === 0 ? r : r.next?.[n - 1];

function assertField<K extends keyof PeerReport>(
  r: PairResult,
  field: K,
  want: PeerReport[K],
  n = 0,
  sides: ("client" | "server")[] = ["client", "server"],
) {
  for (const side of sides) {
    const report = nth(r[side].report, n);
    assert.ok(report, `${side} has no report for connection ${n + 1}\n${log(r)}`);
    assert.deepEqual(report[field], want, `${side} connection ${n + 1} ${field}\n${log(r)}`);
  }
}

// ---------------------------------------------------------------- OpenSSL 3.5

Deno.test({
  name: "ts ↔ OpenSSL: external PSK psk_ke and psk_dhe_ke (MLKEM768, X25519MLKEM768)",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      for (const [client, server, name] of directions(openssl)) {
        await t.step(`${name} psk_ke`, async () => {
          const cfg: EndpointConfig = { psk: osslPsk("psk_ke") };
          const r = await w.pair([client, cfg], [server, cfg]);
          assertBothOk(r);
          assertField(r, "pskMode", "psk_ke");
          assertField(r, "group", null);
          assertField(r, "pskIdentity", OSSL_PSK.identity);
          assertField(r, "cipherSuite", "TLS_AES_128_GCM_SHA256");
        });
        for (const g of ["MLKEM768", "X25519MLKEM768"] as GroupName[]) {
          await t.step(`${name} psk_dhe_ke ${g}`, async () => {
            const cfg: EndpointConfig = { psk: osslPsk("psk_dhe_ke"), groups: [g] };
            const r = await w.pair([client, cfg], [server, cfg]);
            assertBothOk(r);
            assertField(r, "pskMode", "psk_dhe_ke");
            assertField(r, "group", g);
            assertField(r, "pskIdentity", OSSL_PSK.identity);
            assertField(r, "resumed", false);
          });
        }
      }
    }),
});

Deno.test({
  name: "ts ↔ OpenSSL: resumption and 0-RTT, both directions",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      for (const [client, server, name] of directions(openssl)) {
        await t.step(`${name} resumption`, async () => {
          const g: GroupName = "X25519MLKEM768";
          const r = await w.pair(
            [client, { groups: [g], resume: true, resumeGroups: ["MLKEM768"] }],
            [server, { groups: [g, "MLKEM768"], resume: true }],
          );
          assertBothOk(r);
          assertField(r, "resumed", false, 0);
          assertField(r, "group", g, 0);
          assertField(r, "resumed", true, 1);
          assertField(r, "pskMode", "psk_dhe_ke", 1);
          assertField(r, "group", "MLKEM768", 1);
        });
        await t.step(`${name} 0-RTT accepted`, async () => {
          const r = await w.pair(
            [client, { groups: ["x25519"], resume: true, earlyData: "zero-rtt!" }],
            [server, { groups: ["x25519"], resume: true, earlyData: "", maxEarlyData: 16384 }],
          );
          assertBothOk(r);
          assertField(r, "earlyData", null, 0);
          assertField(r, "resumed", true, 1);
          assertField(r, "earlyData", "accepted", 1);
        });
      }
    }),
});

// ---------------------------------------------------------------- wolfSSL 5.9.2

Deno.test({
  name: "ts ↔ wolfSSL: external PSK psk_ke and psk_dhe_ke, both directions",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      for (const [client, server, name] of directions(wolfssl)) {
        await t.step(`${name} psk_ke`, async () => {
          const cfg: EndpointConfig = { psk: wolfPsk("psk_ke") };
          const r = await w.pair([client, cfg], [server, cfg]);
          assertBothOk(r);
          assertField(r, "pskMode", "psk_ke");
          assertField(r, "group", null);
          assertField(r, "pskIdentity", EXAMPLE_PSK.identity, 0, [
            client === ts ? "client" : "server",
          ]);
        });
        for (const g of ["MLKEM768", "X25519MLKEM768"] as GroupName[]) {
          await t.step(`${name} psk_dhe_ke ${g}`, async () => {
            const cfg: EndpointConfig = { psk: wolfPsk("psk_dhe_ke"), groups: [g] };
            const r = await w.pair([client, { ...cfg, keyShares: [g] }], [server, cfg]);
            assertBothOk(r);
            assertField(r, "pskMode", "psk_dhe_ke");
            assertField(r, "group", g);
          });
        }
      }
    }),
});

Deno.test({
  name: "ts ↔ wolfSSL: resumption and 0-RTT, both directions",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      for (const [client, server, name] of directions(wolfssl)) {
        await t.step(name, async () => {
          const g: GroupName = "X25519MLKEM768";
          const r = await w.pair(
            [client, { groups: [g], keyShares: [g], resume: true }],
            [server, { groups: [g], resume: true }],
          );
          assertBothOk(r);
          assertField(r, "resumed", false, 0);
          assertField(r, "resumed", true, 1);
          assertField(r, "group", g, 1);
        });
        await t.step(`${name} 0-RTT accepted`, async () => {
          const g: GroupName = "MLKEM768";
          const r = await w.pair(
            [client, { groups: [g], keyShares: [g], resume: true, earlyData: "early hello" }],
            [server, { groups: [g], resume: true, earlyData: "", maxEarlyData: 16384 }],
          );
          assertBothOk(r);
          assertField(r, "resumed", true, 1);
          // The wolfSSL example client does not say what became of its early data.
          const says: ("client" | "server")[] = client === ts ? ["client", "server"] : ["server"];
          assertField(r, "earlyData", "accepted", 1, says);
        });
      }
    }),
});

Deno.test({
  name: "ts ↔ wolfSSL: RFC 9973 certificate with external PSK, the certificate verified",
  ...opts,
  fn: (t) =>
    withWorld(async (w) => {
      const other = await ensurePki(`${CACHE_DIR}/pki-other-ca`);
      // The scratch directory is mounted into the container: the unrelated CA goes there.
      const otherCa = `${w.scratch}/other-ca.pem`;
      await Deno.copyFile(other.caCert, otherCa);
      const g: GroupName = "MLKEM768";
      for (const [client, server, name] of directions(wolfssl)) {
        const clientCfg: EndpointConfig = {
          groups: [g],
          keyShares: [g],
          psk: wolfPsk("psk_dhe_ke"),
          certWithPsk: "allow",
        };
        const serverCfg: EndpointConfig = {
          groups: [g],
          psk: wolfPsk("psk_dhe_ke"),
          certWithPsk: "allow",
          certificate: "mldsa65",
        };
        await t.step(name, async () => {
          const r = await w.pair([client, clientCfg], [server, serverCfg]);
          assertBothOk(r);
          assertField(r, "pskMode", "psk_dhe_ke", 0, [client === ts ? "client" : "server"]);
          assertField(r, "group", g);
          // wolfSSL's programs do not say; ours does, in either role.
          assertField(r, "certWithPsk", true, 0, [client === ts ? "client" : "server"]);
        });
        await t.step(`${name}: a client that does not trust the CA refuses`, async () => {
          const r = await runPair({
            client: { sandbox: await w.sandbox(client), impl: client, config: clientCfg },
            server: { sandbox: await w.sandbox(server), impl: server, config: serverCfg },
            pki: { ...w.pki, caCert: otherCa },
            scratch: w.scratch,
          });
          assert.equal(r.client.report.ok, false, log(r));
          assert.equal(r.client.report.alert, "unknown_ca", log(r));
          assert.equal(r.server.report.ok, false, log(r));
        });
      }
    }),
});
