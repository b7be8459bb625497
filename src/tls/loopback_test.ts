// TS client ↔ TS server over real TCP on 127.0.0.1: every group × every cipher suite, HRR, client
// certificates and every certificate kind, asserting what both sides say they negotiated.

import { deepEqual, equal } from "node:assert/strict";
import { TlsAlert } from "./alert.ts";
import { TlsClient } from "./client.ts";
import type { ClientConfig, ServerConfig } from "./config.ts";
import { SHARE_SIZES } from "./groups.ts";
import {
  CERT_KINDS,
  CIPHER_SUITE_NAMES,
  GROUP_NAMES,
  type GroupName,
  type SignatureSchemeName,
} from "./names.ts";
import { TlsServer } from "./server.ts";
import type { ConnectionSummary } from "./summary.ts";
import { testPki } from "../testing/pki.ts";

const pki = await testPki();
const p256 = await pki.leaf("ecdsa-p256");

interface Result {
  client: ConnectionSummary;
  server: ConnectionSummary;
  echoed: string | null;
  error: unknown;
}

/** One connection through `listener`: both handshakes, one line echoed, both closed. */
async function connectOnce(
  listener: Deno.Listener,
  server: Omit<ServerConfig, "certificate"> & Partial<Pick<ServerConfig, "certificate">>,
  client: ClientConfig,
): Promise<Result> {
  const port = (listener.addr as Deno.NetAddr).port;
  const [tcpServer, tcpClient] = await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port }),
  ]);
  const s = new TlsServer(tcpServer, { certificate: p256, ...server });
  const c = new TlsClient(tcpClient, {
    serverName: "localhost",
    trustAnchors: [pki.ca],
    ...client,
  });
  let echoed: string | null = null;
  let error: unknown = null;
  const serverSide = (async () => {
    await s.handshake();
    const line = await s.read();
    if (line) await s.write(line);
    await s.close();
  })();
  const clientSide = (async () => {
    await c.handshake();
    await c.write(new TextEncoder().encode("ping\n"));
    const back = await c.read();
    echoed = back ? new TextDecoder().decode(back) : null;
    await c.close();
  })();
  const settled = await Promise.allSettled([serverSide, clientSide]);
  for (const r of settled) if (r.status === "rejected") error ??= r.reason;
  return { client: c.summary(), server: s.summary(), echoed, error };
}

async function withListener<T>(body: (l: Deno.Listener) => Promise<T>): Promise<T> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    return await body(listener);
  } finally {
    listener.close();
  }
}

function assertSuccess(r: Result): void {
  equal(r.error, null, `handshake failed: ${r.error}`);
  equal(r.client.ok, true, `client: ${r.client.error}`);
  equal(r.server.ok, true, `server: ${r.server.error}`);
  equal(r.echoed, "ping\n");
}

/** Both sides agree on the facts, and the share sizes are the group's. */
function assertNegotiated(
  r: Result,
  want: { group: GroupName; cipherSuite?: string; hrr: boolean; scheme?: SignatureSchemeName },
): void {
  for (const side of [r.client, r.server]) {
    equal(side.version, "TLSv1.3");
    equal(side.group, want.group);
    equal(side.helloRetryRequest, want.hrr);
    if (want.cipherSuite) equal(side.cipherSuite, want.cipherSuite);
    if (want.scheme) equal(side.signatureScheme, want.scheme);
    deepEqual(side.keyShareSelected, {
      group: want.group,
      client: SHARE_SIZES[want.group].client,
      server: SHARE_SIZES[want.group].server,
    });
  }
}

for (const group of GROUP_NAMES) {
  Deno.test(`loopback ${group}: every cipher suite, with and without HRR`, async (t) => {
    await withListener(async (listener) => {
      for (const suite of CIPHER_SUITE_NAMES) {
        await t.step(suite, async () => {
          const r = await connectOnce(
            listener,
            { groups: [group], cipherSuites: [suite] },
            { groups: [group], keyShares: [group] },
          );
          assertSuccess(r);
          assertNegotiated(r, { group, cipherSuite: suite, hrr: false });
          deepEqual(r.client.keySharesOffered, [{ group, size: SHARE_SIZES[group].client }]);
        });
      }
      const other: GroupName = group === "x25519" ? "secp256r1" : "x25519";
      await t.step(
        "server prefers it and asks by HelloRetryRequest (SHA-384 transcript)",
        async () => {
          const r = await connectOnce(
            listener,
            { groups: [group, other], preferHrr: true, cipherSuites: ["TLS_AES_256_GCM_SHA384"] },
            { groups: [other, group], keyShares: [other] },
          );
          assertSuccess(r);
          assertNegotiated(r, { group, hrr: true, cipherSuite: "TLS_AES_256_GCM_SHA384" });
          equal(r.server.hrrReason, `client offered no share for ${group}, our first preference`);
          // The client's summary keeps what the first ClientHello offered.
          deepEqual(r.client.keySharesOffered, [{ group: other, size: SHARE_SIZES[other].client }]);
        },
      );
      await t.step("without preferHrr the offered share is taken", async () => {
        const r = await connectOnce(
          listener,
          { groups: [group, other] },
          { groups: [other, group], keyShares: [other] },
        );
        assertSuccess(r);
        assertNegotiated(r, { group: other, hrr: false });
      });
      await t.step("client sent no share at all: HRR is the only way", async () => {
        const r = await connectOnce(
          listener,
          { groups: [group] },
          { groups: [group], keyShares: [] },
        );
        assertSuccess(r);
        assertNegotiated(r, { group, hrr: true });
      });
    });
  });
}

const SCHEME_OF: Record<string, SignatureSchemeName> = {
  "ecdsa-p256": "ecdsa_secp256r1_sha256",
  "ecdsa-p384": "ecdsa_secp384r1_sha384",
  "ed25519": "ed25519",
  "rsa2048": "rsa_pss_rsae_sha256",
  "mldsa44": "mldsa44",
  "mldsa65": "mldsa65",
  "mldsa87": "mldsa87",
};

Deno.test("loopback: every certificate kind signs with its scheme, as server and as client", async (t) => {
  await withListener(async (listener) => {
    for (const kind of CERT_KINDS) {
      await t.step(kind, async () => {
        const leaf = await pki.leaf(kind);
        const r = await connectOnce(
          listener,
          { certificate: leaf, clientAuth: "require", trustAnchors: [pki.ca] },
          { groups: ["x25519"], certificate: leaf },
        );
        assertSuccess(r);
        equal(r.client.signatureScheme, SCHEME_OF[kind]);
        equal(r.server.signatureScheme, SCHEME_OF[kind]);
        deepEqual(r.client.peerCertificate, {
          subject: `O=pqinterop, CN=${kind} leaf`,
          keyType: kind,
        });
        deepEqual(r.server.peerCertificate, {
          subject: `O=pqinterop, CN=${kind} leaf`,
          keyType: kind,
        });
        // Each side also says which certificate it presented itself.
        deepEqual(r.server.certificate, r.client.peerCertificate);
        deepEqual(r.client.certificate, r.server.peerCertificate);
        equal(r.server.clientCertificate, true);
        equal(r.client.clientCertificate, true);
      });
    }
    await t.step("rsa_pss_rsae_sha384 when the client offers only that", async () => {
      const r = await connectOnce(
        listener,
        { certificate: await pki.leaf("rsa2048") },
        { groups: ["x25519"], signatureSchemes: ["rsa_pss_rsae_sha384"] },
      );
      assertSuccess(r);
      equal(r.client.signatureScheme, "rsa_pss_rsae_sha384");
    });
  });
});

Deno.test("loopback: client certificates", async (t) => {
  await withListener(async (listener) => {
    await t.step("requested, none sent: the handshake succeeds without one", async () => {
      const r = await connectOnce(
        listener,
        { clientAuth: "request", trustAnchors: [pki.ca] },
        { groups: ["x25519"] },
      );
      assertSuccess(r);
      equal(r.server.clientCertificate, false);
      // The client answered the request with an empty Certificate before its Finished.
      const last = r.client.flights.find((f) =>
        f.direction === "sent" && f.messages.includes("Finished")
      );
      deepEqual(last?.messages.filter((m) => m !== "ChangeCipherSpec").slice(0, 2), [
        "Certificate",
        "Finished",
      ]);
    });
    await t.step("required, none sent: certificate_required", async () => {
      const r = await connectOnce(
        listener,
        { clientAuth: "require", trustAnchors: [pki.ca] },
        { groups: ["x25519"] },
      );
      equal(r.server.alert, "certificate_required");
      equal(r.server.alertDirection, "sent");
      equal(r.client.alert, "certificate_required");
      equal(r.client.alertDirection, "received");
    });
    await t.step("client certificate from an unknown CA: unknown_ca", async () => {
      const r = await connectOnce(
        listener,
        { clientAuth: "require", trustAnchors: [pki.otherCa] },
        { groups: ["x25519"], certificate: p256 },
      );
      equal(r.server.alert, "unknown_ca");
      equal(r.client.alert, "unknown_ca");
      equal(r.error instanceof TlsAlert, true);
    });
  });
});

Deno.test("loopback: the server picks the cipher suite by its own preference", async () => {
  await withListener(async (listener) => {
    const r = await connectOnce(
      listener,
      { cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"] },
      {
        groups: ["x25519"],
        cipherSuites: ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"],
      },
    );
    assertSuccess(r);
    equal(r.client.cipherSuite, "TLS_CHACHA20_POLY1305_SHA256");
  });
});
