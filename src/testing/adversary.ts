// Test helper: one TS↔TS connection over 127.0.0.1 through the wire tap, with one side playing
// the adversary (src/adversary/) exactly as the command-line peer would: same hooks, same
// pacing, and the same `adversary`/`sentHex` fields added to its summary.

import { adversaryExtras, adversaryFor, withAdversary } from "../refpeer/adversary.ts";
import type { AdversaryState } from "../adversary/compose.ts";
import { TlsClient } from "../tls/client.ts";
import type { ClientConfig, ServerConfig } from "../tls/config.ts";
import { TlsServer } from "../tls/server.ts";
import type { ConnectionSummary } from "../tls/summary.ts";
import { testPki } from "./pki.ts";
import { openTap } from "../wire/tap.ts";
import type { WireObservation } from "../wire/observation.ts";

export type AdversaryRole = "client" | "server";

export interface DuelSummary extends ConnectionSummary {
  adversary?: AdversaryState;
  sentHex?: string;
}

export interface Duel {
  client: DuelSummary;
  server: DuelSummary;
  wire: WireObservation;
}

export interface DuelOptions {
  /** The side that misbehaves. */
  adversary: AdversaryRole;
  /** --misbehave specs, NAME[:k=v,…]. */
  misbehave: string[];
  client?: Partial<ClientConfig>;
  server?: Partial<ServerConfig>;
}

const pki = await testPki();
const p256 = await pki.leaf("ecdsa-p256");
const enc = new TextEncoder();

/** Runs one connection; never throws for TLS failures (they are in the summaries). */
export async function duel(opts: DuelOptions): Promise<Duel> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const tap = await openTap({ target: port });
  const serverConfig: ServerConfig = { certificate: p256, ...opts.server } as ServerConfig;
  const clientConfig: ClientConfig = {
    serverName: "localhost",
    trustAnchors: [pki.ca],
    ...opts.client,
  };
  const advConfig = opts.adversary === "client" ? clientConfig : serverConfig;
  const adv = adversaryFor(opts.misbehave, opts.adversary, advConfig);
  const advOf = (role: AdversaryRole) => role === opts.adversary ? adv : null;

  const [tcpServer, tcpClient] = await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port: tap.port }),
  ]);
  const s = new TlsServer(...withAdversary(advOf("server"), tcpServer, serverConfig));
  const c = new TlsClient(...withAdversary(advOf("client"), tcpClient, clientConfig));
  let echo: DuelSummary["echo"] = "none";
  // A side that stops talking must not hang the test.
  const timer = setTimeout(() => {
    s.conn.abort();
    c.conn.abort();
  }, 10_000);
  await Promise.all([
    (async () => {
      await s.handshake();
      const line = await s.read();
      if (line) await s.write(line);
      await s.close();
    })().catch(() => {}),
    (async () => {
      await c.handshake();
      await c.write(enc.encode("ping\n"));
      const got = await c.read();
      // As the command-line client says it: whether the server answered our line.
      echo = got === null
        ? "none"
        : new TextDecoder().decode(got) === "ping\n"
        ? "matched"
        : "mismatched";
      await c.close();
    })().catch(() => {}),
  ]);
  clearTimeout(timer);
  listener.close();
  const { observation } = await tap.finish();
  const extras = (e: TlsClient | TlsServer, role: AdversaryRole): DuelSummary => ({
    ...e.summary(),
    ...adversaryExtras(advOf(role), e.transcript),
  });
  return {
    client: { ...extras(c, "client"), echo },
    server: extras(s, "server"),
    wire: observation,
  };
}
