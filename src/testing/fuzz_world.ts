// The fuzzer's world: a PKI, PSKs and peers whose every random choice is pinned, so that the
// same bytes sent to a target always get the same answer, in this process or the next. That is
// what lets a failing input be minimised by replaying it, and kept in a corpus the normal tests
// replay (src/tls/testdata/fuzz-corpus/).
//
// A target is the peer under test (server or client state machine) with one configuration; a
// driver is the peer on the other side, whose hooks the mutators fill in.

import { buildCertificate } from "../pki/cert.ts";
import type { ClientConfig, Credential, ServerConfig } from "../tls/config.ts";
import { SEED_SIZES } from "../tls/groups.ts";
import { GROUP_NAMES, type GroupName } from "../tls/names.ts";
import type { ExternalPskConfig } from "../tls/psk.ts";
import { type PrivateKey, publicKeyOf, signingKey } from "../tls/signatures.ts";
import { TicketIssuer, TicketStore } from "../tls/tickets.ts";

const fill = (n: number, byte: number) => new Uint8Array(n).fill(byte);
const ecKey = (byte: number): PrivateKey => ({
  type: "ec",
  curve: "P-256",
  scalar: fill(32, byte),
});

/** A CA and two leaves from fixed scalars, valid 2020–2099: the same DER in every process. */
function fixedPki() {
  const caKey = ecKey(0x0c);
  const issuer = { name: "pqinterop fuzz CA", key: caKey };
  const cert = (cn: string, key: PrivateKey, serial: bigint, isCa: boolean) =>
    buildCertificate({
      cn,
      publicKey: publicKeyOf(key),
      issuer,
      serial,
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2099-01-01T00:00:00Z"),
      isCa,
      ...(isCa ? {} : { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] }),
    });
  const leaf = (cn: string, byte: number, serial: bigint): Credential => {
    const key = ecKey(byte);
    return { chain: [cert(cn, key, serial, false)], key: signingKey(key) };
  };
  return {
    ca: cert("pqinterop fuzz CA", caKey, 0x4000_0001n, true),
    server: leaf("fuzz server", 0x5e, 0x4000_0002n),
    client: leaf("fuzz client", 0xc1, 0x4000_0003n),
  };
}

export const PKI = fixedPki();

export const PSK_A: ExternalPskConfig = {
  identity: new TextEncoder().encode("Client_identity"),
  key: fill(32, 0x5a),
  hash: "sha256",
};
/** An RFC 9258 imported PSK under SHA-384: the second hash and the importer's binder label. */
export const PSK_B: ExternalPskConfig = {
  identity: new TextEncoder().encode("fuzz-imported"),
  key: fill(48, 0xb7),
  hash: "sha384",
  imported: true,
};

/** Every group's seeds, pinned: the key shares a target sends never change. */
function seeds(side: "client" | "server", byte: number) {
  return Object.fromEntries(
    GROUP_NAMES.map((g) => [g, fill(SEED_SIZES[g][side], byte)]),
  ) as Record<GroupName, Uint8Array>;
}

const SERVER_TEST = {
  random: fill(32, 0x53),
  keyShareSeeds: seeds("server", 0x2a),
  cookie: fill(16, 0xcc),
};
const CLIENT_TEST = {
  random: fill(32, 0x43),
  sessionId: fill(32, 0x1d),
  keyShareSeeds: seeds("client", 0x3b),
};

/** The server targets' one ticket authority: a fixed key, so its tickets outlive the process. */
export const ISSUER = new TicketIssuer({ key: fill(32, 0x71), lifetime: 7 * 86400 });

export interface Target {
  name: string;
  role: "server" | "client";
  /** A fresh configuration for one connection (ticket stores are per connection). */
  config(): ServerConfig | ClientConfig;
}

const server = (name: string, c: Partial<ServerConfig>): Target => ({
  name,
  role: "server",
  config: () => ({ certificate: PKI.server, test: SERVER_TEST, ...c }),
});
const client = (name: string, c: Partial<ClientConfig>): Target => ({
  name,
  role: "client",
  config: () => ({
    serverName: "localhost",
    trustAnchors: [PKI.ca],
    tickets: new TicketStore(),
    test: CLIENT_TEST,
    ...c,
  }),
});

/**
 * The peers under test. Servers: certificates with every PSK kind, tickets and 0-RTT; one that
 * asks for a retry with a cookie; one that requires a client certificate; one with PSKs only.
 * Clients: the default offer, one per group (every group's share, from both sides), and a
 * PSK-only one with psk_ke.
 */
export const TARGETS: Target[] = [
  server("server", {
    psks: [PSK_A, PSK_B],
    tickets: ISSUER,
    ticketCount: 2,
    maxEarlyData: 4096,
    certWithPsk: true,
  }),
  server("server-hrr", {
    groups: ["MLKEM1024", "SecP384r1MLKEM1024", "X25519MLKEM768", "x25519", "secp256r1"],
    preferHrr: true,
    hrrCookie: true,
  }),
  server("server-auth", { clientAuth: "require", trustAnchors: [PKI.ca] }),
  {
    name: "server-psk",
    role: "server",
    config: () => ({ psks: [PSK_A, PSK_B], pskModes: ["psk_ke", "psk_dhe_ke"], test: SERVER_TEST }),
  },
  client("client", { psks: [PSK_A], certificate: PKI.client, certWithPsk: "allow" }),
  ...GROUP_NAMES.map((g) => client(`client-${g}`, { groups: [g], keyShares: [g] })),
  client("client-psk", { psks: [PSK_A, PSK_B], pskModes: ["psk_ke", "psk_dhe_ke"] }),
];

export const TARGET = new Map(TARGETS.map((t) => [t.name, t]));
