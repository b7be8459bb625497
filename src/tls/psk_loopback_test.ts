// TS client ↔ TS server over TCP on 127.0.0.1 with pre-shared keys: external PSKs in both modes
// (psk_dhe_ke with every group), several identities, imported PSKs, resumption (stateless and
// stateful tickets, after HRR, with another group), 0-RTT accepted and rejected, and RFC 9973
// certificates with an external PSK. Then the refusals, each with the alert the RFC names.
// Every negotiated value is asserted from both sides' summaries.

import { deepEqual, equal } from "node:assert/strict";
import { TlsClient } from "./client.ts";
import { fromHex } from "./codec.ts";
import type { ClientConfig, ServerConfig } from "./config.ts";
import { memoryPipe, type Transport } from "./connection.ts";
import { CERT_WITH_EXTERN_PSK, encodeExtension, PRE_SHARED_KEY_SERVER } from "./extensions.ts";
import type { Hooks } from "./hooks.ts";
import { type AlertName, EXTENSIONS, GROUP_NAMES } from "./names.ts";
import type { ExternalPskConfig } from "./psk.ts";
import { TlsServer } from "./server.ts";
import type { ConnectionSummary } from "./summary.ts";
import { testPki } from "../testing/pki.ts";
import { TicketIssuer, TicketStore } from "./tickets.ts";

const pki = await testPki();
const p256 = await pki.leaf("ecdsa-p256");
const enc = new TextEncoder();
const dec = new TextDecoder();

const psk = (identity: string, hash: "sha256" | "sha384" = "sha256"): ExternalPskConfig => ({
  identity: enc.encode(identity),
  key: fromHex((identity.length % 2 ? "5a" : "a5").repeat(hash === "sha256" ? 32 : 48)),
  hash,
});
const ALICE = psk("alice");

interface Result {
  client: ConnectionSummary;
  server: ConnectionSummary;
  /** Everything the server's application read before the client's line ended. */
  serverRead: string;
  echoed: string | null;
  error: unknown;
}

async function readLine(read: () => Promise<Uint8Array | null>): Promise<string> {
  let text = "";
  while (!text.includes("\n")) {
    const chunk = await read();
    if (chunk === null) break;
    text += dec.decode(chunk);
  }
  return text;
}

/**
 * One connection: both handshakes, the client sends "ping\n" (after its 0-RTT data, if any), the
 * server echoes all it read, both close. The client keeps reading until the server's close so the
 * NewSessionTickets that precede the echo land in its store.
 */
async function connectOnce(
  listener: Deno.Listener | "pipe",
  server: Partial<ServerConfig>,
  client: ClientConfig,
): Promise<Result> {
  const [tcpServer, tcpClient] = listener === "pipe" ? memoryPipe().reverse() : await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port }),
  ]);
  const s = new TlsServer(tcpServer as Transport, { certificate: p256, ...server } as ServerConfig);
  const c = new TlsClient(tcpClient as Transport, {
    serverName: "localhost",
    trustAnchors: [pki.ca],
    ...client,
  });
  let serverRead = "";
  let echoed: string | null = null;
  let error: unknown = null;
  const serverSide = (async () => {
    await s.handshake();
    serverRead = await readLine(() => s.read());
    await s.write(enc.encode(serverRead));
    await s.close();
  })();
  const clientSide = (async () => {
    await c.handshake();
    await c.write(enc.encode("ping\n"));
    echoed = await readLine(() => c.read());
    await c.read().catch(() => null);
    await c.close();
  })();
  const settled = await Promise.allSettled([serverSide, clientSide]);
  for (const r of settled) if (r.status === "rejected") error ??= r.reason;
  return { client: c.summary(), server: s.summary(), serverRead, echoed, error };
}

async function withListener<T>(body: (l: Deno.Listener) => Promise<T>): Promise<T> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    return await body(listener);
  } finally {
    listener.close();
  }
}

function assertOk(r: Result, sent = "ping\n"): void {
  equal(r.error, null, `failed: ${r.error}`);
  equal(r.client.ok, true, `client: ${r.client.error}`);
  equal(r.server.ok, true, `server: ${r.server.error}`);
  equal(r.serverRead, sent);
  equal(r.echoed, sent);
}

/** Both sides say the same about these fields. */
function assertBoth(r: Result, want: Partial<ConnectionSummary>): void {
  for (const [name, side] of [["client", r.client], ["server", r.server]] as const) {
    for (const [k, v] of Object.entries(want)) {
      deepEqual(side[k as keyof ConnectionSummary], v, `${name}.${k}`);
    }
  }
}

function assertAlert(r: Result, detector: "client" | "server", alert: AlertName): void {
  const other = detector === "client" ? "server" : "client";
  deepEqual(
    { alert: r[detector].alert, direction: r[detector].alertDirection },
    { alert, direction: "sent" },
    `${detector}: ${r[detector].error}`,
  );
  deepEqual(
    { alert: r[other].alert, direction: r[other].alertDirection },
    { alert, direction: "received" },
    `${other}: ${r[other].error}`,
  );
}

// ---------------------------------------------------------------- external PSKs

Deno.test("external PSK psk_ke: no key exchange group, no certificate", async () => {
  await withListener(async (l) => {
    const r = await connectOnce(
      l,
      { psks: [ALICE], certificate: undefined },
      { psks: [ALICE], pskModes: ["psk_ke"] },
    );
    assertOk(r);
    assertBoth(r, {
      pskMode: "psk_ke",
      pskIdentity: "alice",
      group: null,
      keyShareSelected: null,
      resumed: false,
      certWithPsk: false,
      signatureScheme: null,
      peerCertificate: null,
      cipherSuite: "TLS_AES_128_GCM_SHA256",
    });
  });
});

Deno.test("external PSK psk_dhe_ke with every group", async (t) => {
  await withListener(async (l) => {
    for (const group of GROUP_NAMES) {
      await t.step(group, async () => {
        const r = await connectOnce(
          l,
          { psks: [ALICE], groups: [group], pskModes: ["psk_dhe_ke"] },
          { psks: [ALICE], groups: [group], pskModes: ["psk_dhe_ke"] },
        );
        assertOk(r);
        assertBoth(r, {
          pskMode: "psk_dhe_ke",
          pskIdentity: "alice",
          group,
          resumed: false,
          signatureScheme: null,
          peerCertificate: null,
        });
      });
    }
  });
});

Deno.test("external PSKs: SHA-384, several identities, the server's own rule, imported", async (t) => {
  await withListener(async (l) => {
    await t.step("a SHA-384 PSK takes the SHA-384 suite", async () => {
      const bob = psk("bob", "sha384");
      const r = await connectOnce(l, { psks: [bob] }, { psks: [bob], groups: ["MLKEM1024"] });
      assertOk(r);
      assertBoth(r, {
        pskIdentity: "bob",
        cipherSuite: "TLS_AES_256_GCM_SHA384",
        group: "MLKEM1024",
      });
    });
    await t.step("first known identity whose hash fits an accepted suite", async () => {
      const bob = psk("bob", "sha384");
      const carol = psk("carol");
      const r = await connectOnce(
        l,
        // The server knows bob and alice, but accepts only SHA-256 suites: bob cannot be used.
        { psks: [ALICE, bob], cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256"] },
        { psks: [carol, bob, ALICE], groups: ["X25519MLKEM768"] },
      );
      assertOk(r);
      assertBoth(r, {
        pskIdentity: "alice",
        pskMode: "psk_dhe_ke",
        cipherSuite: "TLS_CHACHA20_POLY1305_SHA256",
        group: "X25519MLKEM768",
      });
    });
    await t.step("imported PSK (RFC 9258): one IPSK per hash, imp binder", async () => {
      const dave = { ...psk("dave"), imported: true };
      const r = await connectOnce(
        l,
        { psks: [dave] },
        { psks: [dave], groups: ["SecP256r1MLKEM768"] },
      );
      assertOk(r);
      assertBoth(r, { pskIdentity: "dave", pskMode: "psk_dhe_ke", group: "SecP256r1MLKEM768" });
      // The client offered both IPSKs (SHA-256 and SHA-384): the server took the first.
      equal(r.client.cipherSuite, "TLS_AES_128_GCM_SHA256");
    });
    await t.step(
      "imported on one side only: the identities differ, certificates instead",
      async () => {
        const dave = psk("dave");
        const r = await connectOnce(
          l,
          { psks: [dave] },
          { psks: [{ ...dave, imported: true }], groups: ["x25519"] },
        );
        assertOk(r);
        assertBoth(r, { pskMode: null, pskIdentity: null, group: "x25519" });
        equal(r.client.peerCertificate?.subject, "O=pqinterop, CN=ecdsa-p256 leaf");
      },
    );
  });
});

// ---------------------------------------------------------------- resumption

/** A first full handshake that leaves tickets in `store`, then the resumed one. */
async function resume(
  l: Deno.Listener,
  server: Partial<ServerConfig>,
  first: ClientConfig,
  second: Partial<ClientConfig> = {},
  secondServer: Partial<ServerConfig> = {},
) {
  const store = new TicketStore();
  const ticketKey = "localhost:test";
  const one = await connectOnce(l, server, { ...first, tickets: store, ticketKey });
  assertOk(one);
  const two = await connectOnce(l, { ...server, ...secondServer }, {
    ...first,
    ...second,
    tickets: store,
    ticketKey,
  });
  return { one, two, store, ticketKey };
}

for (const ticketStore of ["stateless", "stateful"] as const) {
  Deno.test(`resumption with ${ticketStore} tickets`, async () => {
    await withListener(async (l) => {
      const issuer = new TicketIssuer({ store: ticketStore });
      const { one, two, store, ticketKey } = await resume(
        l,
        { tickets: issuer, ticketCount: 2, groups: ["MLKEM768"] },
        { groups: ["MLKEM768"] },
      );
      assertBoth(one, { resumed: false, pskMode: null, group: "MLKEM768" });
      equal(one.client.peerCertificate?.subject, "O=pqinterop, CN=ecdsa-p256 leaf");
      assertOk(two);
      assertBoth(two, {
        resumed: true,
        pskMode: "psk_dhe_ke",
        pskIdentity: null,
        group: "MLKEM768",
        signatureScheme: null,
        peerCertificate: null,
      });
      equal(store.count(ticketKey), 1 + 2, "one left from the first, two from the second");
    });
  });
}

Deno.test("tickets go only to a client that lists psk_key_exchange_modes", async () => {
  await withListener(async (l) => {
    const tickets = new TicketIssuer();
    const server = { tickets, ticketCount: 2 };
    // A client with a ticket store says how it could resume before it holds any ticket (rustls
    // issues none otherwise), and our server, like rustls, issues none to a client that does not.
    const store = new TicketStore();
    assertOk(await connectOnce(l, server, { tickets: store, ticketKey: "k" }));
    equal(store.count("k"), 2);
    const refused = new TicketStore();
    assertOk(await connectOnce(l, server, { tickets: refused, ticketKey: "k", pskModes: [] }));
    equal(refused.count("k"), 0, "no psk_key_exchange_modes, no tickets");
  });
});

Deno.test("resumption: another group, HelloRetryRequest, psk_ke", async (t) => {
  await withListener(async (l) => {
    const tickets = new TicketIssuer();
    await t.step("the resumed connection uses another group", async () => {
      const { two } = await resume(
        l,
        { tickets, ticketCount: 1 },
        { groups: ["x25519"] },
        { groups: ["SecP384r1MLKEM1024"] },
      );
      assertOk(two);
      assertBoth(two, { resumed: true, group: "SecP384r1MLKEM1024", helloRetryRequest: false });
    });
    await t.step("PSK after HelloRetryRequest: binders over message_hash", async () => {
      const { two } = await resume(
        l,
        { tickets, ticketCount: 1, groups: ["MLKEM768", "x25519"], preferHrr: true },
        { groups: ["MLKEM768"] },
        { groups: ["x25519", "MLKEM768"], keyShares: ["x25519"] },
      );
      assertOk(two);
      assertBoth(two, {
        resumed: true,
        helloRetryRequest: true,
        group: "MLKEM768",
        pskMode: "psk_dhe_ke",
      });
    });
    await t.step("psk_ke resumption", async () => {
      const { two } = await resume(
        l,
        { tickets, ticketCount: 1 },
        { groups: ["x25519"], pskModes: ["psk_ke"] },
      );
      assertOk(two);
      assertBoth(two, { resumed: true, pskMode: "psk_ke", group: null });
    });
  });
});

// ---------------------------------------------------------------- 0-RTT

Deno.test("0-RTT: accepted, rejected and retransmitted, rejected by HRR", async (t) => {
  await withListener(async (l) => {
    const tickets = new TicketIssuer();
    const early = enc.encode("early:");
    await t.step("accepted: the server's application reads it first", async () => {
      const { one, two } = await resume(
        l,
        { tickets, ticketCount: 1, maxEarlyData: 1024, groups: ["X25519MLKEM768"] },
        { groups: ["X25519MLKEM768"] },
        { earlyData: early },
      );
      equal(one.client.earlyData, null);
      assertOk(two, "early:ping\n");
      assertBoth(two, { resumed: true, earlyData: "accepted", group: "X25519MLKEM768" });
    });
    await t.step("rejected: skipped by the server, sent again after the handshake", async () => {
      const { two } = await resume(
        l,
        { tickets, ticketCount: 1, maxEarlyData: 1024 },
        { groups: ["x25519"] },
        { earlyData: early },
        { maxEarlyData: 0 },
      );
      assertOk(two, "early:ping\n");
      assertBoth(two, { resumed: true, earlyData: "rejected" });
    });
    await t.step("rejected because of a HelloRetryRequest", async () => {
      const { two } = await resume(
        l,
        { tickets, ticketCount: 1, maxEarlyData: 1024, groups: ["MLKEM512", "x25519"] },
        { groups: ["MLKEM512"] },
        { groups: ["x25519", "MLKEM512"], keyShares: ["x25519"], earlyData: early },
        { preferHrr: true },
      );
      assertOk(two, "early:ping\n");
      assertBoth(two, { resumed: true, earlyData: "rejected", helloRetryRequest: true });
    });
  });
});

// ---------------------------------------------------------------- RFC 9973

Deno.test("RFC 9973: server certificate plus external PSK, with and without client certificate", async (t) => {
  await withListener(async (l) => {
    await t.step("server certificate and PSK", async () => {
      const r = await connectOnce(
        l,
        { psks: [ALICE], certWithPsk: true, groups: ["MLKEM768"] },
        { psks: [ALICE], certWithPsk: "require", groups: ["MLKEM768"] },
      );
      assertOk(r);
      assertBoth(r, {
        certWithPsk: true,
        pskMode: "psk_dhe_ke",
        pskIdentity: "alice",
        group: "MLKEM768",
        signatureScheme: "ecdsa_secp256r1_sha256",
        clientCertificate: false,
      });
      equal(r.client.peerCertificate?.subject, "O=pqinterop, CN=ecdsa-p256 leaf");
    });
    await t.step("and a client certificate", async () => {
      const ml = await pki.leaf("mldsa65");
      const r = await connectOnce(
        l,
        {
          psks: [ALICE],
          certWithPsk: true,
          certificate: ml,
          clientAuth: "require",
          trustAnchors: [pki.ca],
        },
        { psks: [ALICE], certWithPsk: "require", certificate: p256, groups: ["X25519MLKEM768"] },
      );
      assertOk(r);
      assertBoth(r, { certWithPsk: true, clientCertificate: true, signatureScheme: "mldsa65" });
      equal(r.server.peerCertificate?.subject, "O=pqinterop, CN=ecdsa-p256 leaf");
    });
    await t.step("allow: a server without the extension gives a plain PSK handshake", async () => {
      const r = await connectOnce(
        l,
        { psks: [ALICE] },
        { psks: [ALICE], certWithPsk: "allow", groups: ["x25519"] },
      );
      assertOk(r);
      assertBoth(r, { certWithPsk: false, pskMode: "psk_dhe_ke", peerCertificate: null });
    });
    await t.step("require: the same server is refused", async () => {
      const r = await connectOnce(
        l,
        { psks: [ALICE] },
        { psks: [ALICE], certWithPsk: "require", groups: ["x25519"] },
      );
      assertAlert(r, "client", "handshake_failure");
    });
  });
});

// ---------------------------------------------------------------- refusals

/** Moves `type` to the front of the ClientHello's extensions (before hooks bind the PSK). */
const moveToFront = (type: number): Hooks => ({
  clientHello: (hello) => ({
    ...hello,
    extensions: [
      ...hello.extensions.filter((e) => e.type === type),
      ...hello.extensions.filter((e) => e.type !== type),
    ],
  }),
});

Deno.test("PSK refusals, each with its alert", async (t) => {
  await withListener(async (l) => {
    await t.step("wrong binder (same identity, another key): decrypt_error", async () => {
      const r = await connectOnce(
        l,
        { psks: [ALICE] },
        { psks: [{ ...ALICE, key: new Uint8Array(32).fill(1) }], groups: ["x25519"] },
      );
      assertAlert(r, "server", "decrypt_error");
    });
    await t.step("unknown identity, server has a certificate: full handshake", async () => {
      const r = await connectOnce(l, { psks: [ALICE] }, {
        psks: [psk("mallory")],
        groups: ["x25519"],
      });
      assertOk(r);
      assertBoth(r, { pskMode: null, pskIdentity: null });
    });
    await t.step("unknown identity, PSK-only server: unknown_psk_identity", async () => {
      const r = await connectOnce(
        l,
        { psks: [ALICE], certificate: undefined },
        { psks: [psk("mallory")], groups: ["x25519"] },
      );
      assertAlert(r, "server", "unknown_psk_identity");
    });
    await t.step(
      "psk_ke to a PSK-only server that requires (EC)DHE: handshake_failure",
      async () => {
        const r = await connectOnce(
          l,
          { psks: [ALICE], pskModes: ["psk_dhe_ke"], certificate: undefined },
          { psks: [ALICE], pskModes: ["psk_ke"], groups: ["x25519"] },
        );
        assertAlert(r, "server", "handshake_failure");
      },
    );
    await t.step("psk_ke to a server that requires (EC)DHE and has a certificate", async () => {
      const r = await connectOnce(
        l,
        { psks: [ALICE], pskModes: ["psk_dhe_ke"] },
        { psks: [ALICE], pskModes: ["psk_ke"], groups: ["x25519"] },
      );
      assertOk(r);
      assertBoth(r, { pskMode: null, group: "x25519" });
    });
    await t.step("pre_shared_key not last: illegal_parameter", async () => {
      const r = await connectOnce(l, { psks: [ALICE] }, {
        psks: [ALICE],
        groups: ["x25519"],
        hooks: moveToFront(EXTENSIONS.pre_shared_key),
      });
      assertAlert(r, "server", "illegal_parameter");
    });
    await t.step("PSK without psk_key_exchange_modes: missing_extension", async () => {
      const r = await connectOnce(l, { psks: [ALICE] }, {
        psks: [ALICE],
        groups: ["x25519"],
        hooks: {
          clientHello: (h) => ({
            ...h,
            extensions: h.extensions.filter((e) => e.type !== EXTENSIONS.psk_key_exchange_modes),
          }),
        },
      });
      assertAlert(r, "server", "missing_extension");
    });
    await t.step("selected_identity out of range: illegal_parameter", async () => {
      const r = await connectOnce(l, {
        psks: [ALICE],
        hooks: {
          serverHello: (sh) => ({
            ...sh,
            extensions: sh.extensions.map((e) =>
              e.type === EXTENSIONS.pre_shared_key ? encodeExtension(PRE_SHARED_KEY_SERVER, 3) : e
            ),
          }),
        },
      }, { psks: [ALICE], groups: ["x25519"] });
      assertAlert(r, "client", "illegal_parameter");
    });
    await t.step("psk_dhe_ke but no key_share in ServerHello: illegal_parameter", async () => {
      const r = await connectOnce(l, {
        psks: [ALICE],
        hooks: {
          serverHello: (sh) => ({
            ...sh,
            extensions: sh.extensions.filter((e) => e.type !== EXTENSIONS.key_share),
          }),
        },
      }, { psks: [ALICE], groups: ["x25519"], pskModes: ["psk_dhe_ke"] });
      assertAlert(r, "client", "illegal_parameter");
    });
    await t.step("PSK hash differs from the suite's: illegal_parameter", async () => {
      const bob = psk("bob", "sha384");
      const r = await connectOnce(l, {
        psks: [bob],
        hooks: { serverHello: (sh) => ({ ...sh, cipherSuite: 0x1301 }) },
      }, { psks: [bob], groups: ["x25519"] });
      assertAlert(r, "client", "illegal_parameter");
    });
    await t.step(
      "cert_with_extern_psk echoed without being offered: unsupported_extension",
      async () => {
        const r = await connectOnce(l, {
          psks: [ALICE],
          hooks: {
            serverHello: (sh) => ({
              ...sh,
              extensions: [...sh.extensions, encodeExtension(CERT_WITH_EXTERN_PSK, true)],
            }),
          },
        }, { psks: [ALICE], groups: ["x25519"] });
        assertAlert(r, "client", "unsupported_extension");
      },
    );
  });
});

Deno.test("resumption and 0-RTT refusals", async (t) => {
  await withListener(async (l) => {
    const tickets = new TicketIssuer();
    await t.step("a resumption PSK with cert_with_extern_psk: illegal_parameter", async () => {
      const store = new TicketStore();
      const ticketKey = "k";
      assertOk(await connectOnce(l, { tickets, ticketCount: 1 }, { tickets: store, ticketKey }));
      const r = await connectOnce(l, { tickets, certWithPsk: true, psks: [ALICE] }, {
        tickets: store,
        ticketKey,
        groups: ["x25519"],
        hooks: {
          clientHello: (h) => ({
            ...h,
            extensions: [encodeExtension(CERT_WITH_EXTERN_PSK, true), ...h.extensions],
          }),
        },
      });
      assertAlert(r, "server", "illegal_parameter");
    });
    await t.step("early data beyond max_early_data_size: unexpected_message", async () => {
      const store = new TicketStore();
      const ticketKey = "k2";
      assertOk(
        await connectOnce(l, { tickets, ticketCount: 1, maxEarlyData: 64 }, {
          tickets: store,
          ticketKey,
        }),
      );
      // A client that ignores the ticket's limit (the store is ours to tamper with in a test).
      const t0 = store.take(ticketKey)!;
      store.add(ticketKey, { ...t0, maxEarlyData: 1 << 20 });
      // Over a pipe: on TCP the server's close with our Finished unread resets the connection,
      // and the client's kernel may drop the alert before the client reads it.
      const r = await connectOnce("pipe", { tickets, maxEarlyData: 64 }, {
        tickets: store,
        ticketKey,
        earlyData: new Uint8Array(200).fill(0x41),
      });
      assertAlert(r, "server", "unexpected_message");
    });
  });
});
