// Where the fuzzer's inputs come from. Four generators, drawn at random for every input:
//
//   bytes    a recorded conversation (a seed) with bytes flipped, overwritten, cut, inserted,
//            deleted, duplicated or set to values that look like lengths
//   records  a seed cut into its records, which are dropped, doubled, swapped, split, retyped,
//            resized, padded with empty or foreign records, or truncated
//   random   random bytes, or random records with plausible headers
//   live     a driver peer whose hooks (src/tls/hooks.ts) rewrite its hellos, extensions, key
//            shares of every group, PSK identities and binders, certificates, signatures,
//            Finished, tickets, record layout and TCP writes, before they are encoded and
//            encrypted, so the mutation reaches the target's deepest checks under valid keys
//
// Seeds are live conversations without mutations, one per target and group, recorded at start.

import { composeHooks } from "../adversary/compose.ts";
import { POINT_FORMS, reencodePoint } from "../adversary/surgery.ts";
import { TlsClient } from "../tls/client.ts";
import { concat } from "../tls/codec.ts";
import type { ClientConfig, ServerConfig } from "../tls/config.ts";
import type { Transport } from "../tls/connection.ts";
import type { TlsEndpoint } from "../tls/endpoint.ts";
import type { Extension } from "../tls/extensions.ts";
import { COMPONENT_LAYOUT } from "../tls/groups.ts";
import type { Hooks, RecordPlan } from "../tls/hooks.ts";
import { type Handshake, HRR_RANDOM } from "../tls/messages.ts";
import {
  CIPHER_SUITE_NAMES,
  EXTENSIONS,
  GROUP_NAMES,
  type GroupName,
  SIGNATURE_SCHEMES,
} from "../tls/names.ts";
import { TlsServer } from "../tls/server.ts";
import { type ClientTicket, TicketIssuer, TicketStore } from "../tls/tickets.ts";
import { type Outcome, runLive, runScripted } from "./fuzz.ts";
import { PKI, type Target, TARGETS } from "./fuzz_world.ts";

// ---------------------------------------------------------------- randomness

/** mulberry32: small, fast, good enough to spread mutations; a seed names a whole campaign. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    pick: <T>(list: readonly T[]): T => list[int(list.length)],
    bytes: (n: number) => Uint8Array.from({ length: n }, () => int(256)),
    /** A random subset in random order, never empty when `nonEmpty`. */
    subset<T>(list: readonly T[], nonEmpty = true): T[] {
      const out = list.filter(() => next() < 0.5).sort(() => next() - 0.5);
      return out.length || !nonEmpty ? out : [list[int(list.length)]];
    },
  };
}
export type Rng = ReturnType<typeof prng>;

// ---------------------------------------------------------------- bytes

const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x7f, 0x80, 0xfe, 0xff];

/** A few rounds of one mutation style each: bit flip, overwrite, cut, insert, delete, length. */
export function mutateBytes(input: Uint8Array, rng: Rng, rounds = 1 + rng.int(4)): Uint8Array {
  let out: Uint8Array = input.slice();
  for (let i = 0; i < rounds; i++) {
    const at = rng.int(Math.max(out.length, 1));
    switch (rng.int(8)) {
      case 0:
        if (out.length) out[at] ^= 1 << rng.int(8);
        break;
      case 1:
        if (out.length) out[at] = rng.int(256);
        break;
      case 2:
        out = out.subarray(0, at);
        break;
      case 3:
        out = concat(out.subarray(0, at), rng.bytes(1 + rng.int(8)), out.subarray(at));
        break;
      case 4:
        out = concat(out.subarray(0, at), out.subarray(at + 1 + rng.int(16)));
        break;
      case 5: // what may be a length field: a small, a boundary or a huge value
        if (out.length) out[at] = rng.pick(INTERESTING);
        if (at + 1 < out.length) out[at + 1] = rng.pick(INTERESTING);
        break;
      case 6:
        out = concat(out.subarray(0, at), out.subarray(at, at + 1 + rng.int(64)), out.subarray(at));
        break;
      case 7: // a run of one value
        out = concat(
          out.subarray(0, at),
          new Uint8Array(1 + rng.int(32)).fill(rng.pick(INTERESTING)),
          out.subarray(at),
        );
        break;
    }
  }
  return out;
}

const flatten = (chunks: Uint8Array[]) => concat(...chunks);

/** Cuts bytes into `n` random pieces (the TCP writes of an input). */
function split(bytes: Uint8Array, rng: Rng, n = 1 + rng.int(4)): Uint8Array[] {
  const cuts = Array.from({ length: n - 1 }, () => rng.int(bytes.length + 1)).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    if (c > at) out.push(bytes.subarray(at, c));
    at = Math.max(at, c);
  }
  return out.length ? out : [bytes];
}

// ---------------------------------------------------------------- records

interface Rec {
  type: number;
  version: number;
  body: Uint8Array;
  /** A length to write instead of the body's own (a lie). */
  length?: number;
}

/** Records as they are laid end to end; a tail that is not a whole record is kept as a blob. */
function toRecords(bytes: Uint8Array): { recs: Rec[]; tail: Uint8Array } {
  const recs: Rec[] = [];
  let at = 0;
  while (at + 5 <= bytes.length) {
    const length = (bytes[at + 3] << 8) | bytes[at + 4];
    if (at + 5 + length > bytes.length) break;
    recs.push({
      type: bytes[at],
      version: (bytes[at + 1] << 8) | bytes[at + 2],
      body: bytes.subarray(at + 5, at + 5 + length),
    });
    at += 5 + length;
  }
  return { recs, tail: bytes.subarray(at) };
}

function fromRecords(recs: Rec[], tail: Uint8Array): Uint8Array {
  return concat(
    ...recs.map((r) => {
      const n = r.length ?? r.body.length;
      return concat(
        Uint8Array.of(r.type, r.version >> 8, r.version & 0xff, n >> 8, n & 0xff),
        r.body,
      );
    }),
    tail,
  );
}

const RECORD_TYPES = [20, 21, 22, 23, 24, 0, 0x80, 0xff];

function mutateRecords(bytes: Uint8Array, rng: Rng): Uint8Array {
  const { recs, tail } = toRecords(bytes);
  for (let i = 0, rounds = 1 + rng.int(3); i < rounds; i++) {
    const at = rng.int(Math.max(recs.length, 1));
    const r = recs[at];
    switch (rng.int(9)) {
      case 0:
        recs.splice(at, 1);
        break;
      case 1:
        if (r) recs.splice(at, 0, { ...r });
        break;
      case 2: {
        const j = rng.int(Math.max(recs.length, 1));
        if (r && recs[j]) [recs[at], recs[j]] = [recs[j], r];
        break;
      }
      case 3: // split one record's body in two (only meaningful in the clear)
        if (r && r.body.length > 1) {
          const cut = 1 + rng.int(r.body.length - 1);
          recs.splice(at, 1, { ...r, body: r.body.subarray(0, cut) }, {
            ...r,
            body: r.body.subarray(cut),
          });
        }
        break;
      case 4:
        if (r) r.type = rng.pick(RECORD_TYPES);
        break;
      case 5:
        if (r) {
          r.length = rng.pick([0, 1, r.body.length + 1, 0x4000, 0x4001, 0x4100, 0x4101, 0xffff]);
        }
        break;
      case 6: // a foreign record: empty, a CCS, an alert, or random content of any type
        recs.splice(at, 0, {
          type: rng.pick(RECORD_TYPES),
          version: rng.pick([0x0301, 0x0303, 0x0300, 0x0000]),
          body: rng.pick([
            new Uint8Array(0),
            Uint8Array.of(1),
            Uint8Array.of(2, 10),
            rng.bytes(rng.int(40)),
          ]),
        });
        break;
      case 7:
        if (r) r.body = mutateBytes(r.body, rng, 1);
        break;
      case 8:
        if (r) r.version = rng.pick([0x0300, 0x0301, 0x0302, 0x0304, 0x0200, 0xffff]);
        break;
    }
  }
  return fromRecords(recs, rng.chance(0.2) ? tail.subarray(0, rng.int(tail.length + 1)) : tail);
}

function randomInput(rng: Rng): Uint8Array {
  if (rng.chance(0.5)) return rng.bytes(rng.int(400));
  const recs: Rec[] = Array.from({ length: 1 + rng.int(5) }, () => ({
    type: rng.pick([22, 22, 21, 23, 20, rng.int(256)]),
    version: rng.pick([0x0301, 0x0303]),
    body: rng.chance(0.5) ? rng.bytes(rng.int(300)) : concat(
      Uint8Array.of(rng.pick([1, 2, 4, 5, 8, 11, 13, 15, 20, 24]), 0, 0, rng.int(256)),
      rng.bytes(rng.int(260)),
    ),
  }));
  return fromRecords(recs, new Uint8Array(0));
}

// ---------------------------------------------------------------- structure, through the hooks

const KNOWN_EXTENSIONS = Object.values(EXTENSIONS) as number[];

function mutateExtensions(list: Extension[], rng: Rng): Extension[] {
  const out = list.map((e) => ({ ...e }));
  const at = rng.int(Math.max(out.length, 1));
  switch (rng.int(7)) {
    case 0:
      out.splice(at, 1);
      break;
    case 1:
      if (out[at]) out.splice(at, 0, { ...out[at] });
      break;
    case 2:
      out.sort(() => rng.next() - 0.5);
      break;
    case 3:
    case 4:
      if (out[at]) out[at].data = mutateBytes(out[at].data, rng, 1 + rng.int(2));
      break;
    case 5:
      if (out[at]) out[at].data = new Uint8Array(0);
      break;
    case 6:
      out.splice(at, 0, {
        type: rng.chance(0.7) ? rng.pick(KNOWN_EXTENSIONS) : rng.int(0x10000),
        data: rng.bytes(rng.int(12)),
      });
      break;
  }
  return out;
}

/** A key share changed the ways a broken or hostile peer would change it. */
function mutateShare(group: GroupName, share: Uint8Array, rng: Rng, side: "client" | "server") {
  const nist = COMPONENT_LAYOUT[group].findIndex((c) => c.name === "P-256" || c.name === "P-384");
  switch (rng.int(7)) {
    case 0:
      return share.subarray(0, rng.int(share.length));
    case 1:
      return concat(share, rng.bytes(1 + rng.int(4)));
    case 2:
      return new Uint8Array(share.length);
    case 3:
      return rng.bytes(share.length);
    case 4:
      return new Uint8Array(share.length).fill(0xff);
    case 5:
      if (nist >= 0) {
        let at = 0;
        for (const c of COMPONENT_LAYOUT[group].slice(0, nist)) at += c[side];
        const width = COMPONENT_LAYOUT[group][nist][side];
        const point = reencodePoint(
          share.slice(at, at + width),
          rng.pick(POINT_FORMS),
          COMPONENT_LAYOUT[group].length > 1 ? width : null,
        );
        return concat(share.subarray(0, at), point, share.subarray(at + width));
      }
      return mutateBytes(share, rng, 1);
    default:
      return mutateBytes(share, rng, 1);
  }
}

const SCHEMES = Object.values(SIGNATURE_SCHEMES) as number[];

/** Another handshake message in place of `m`, or `m` with one field changed. */
function mutateMessage(m: Handshake, rng: Rng): Handshake {
  if (rng.chance(0.1)) {
    return rng.pick<Handshake>([
      { type: "finished", body: { verifyData: rng.bytes(32) } },
      { type: "key_update", body: { updateRequested: rng.chance(0.5) } },
      { type: "end_of_early_data", body: {} },
      { type: "encrypted_extensions", body: { extensions: [] } },
      { type: "certificate", body: { context: new Uint8Array(0), entries: [] } },
    ]);
  }
  const b = (x: Uint8Array) => mutateBytes(x, rng, 1 + rng.int(2));
  switch (m.type) {
    case "finished":
      return { type: "finished", body: { verifyData: b(m.body.verifyData) } };
    case "certificate": {
      const entries = m.body.entries.map((e) => ({ ...e }));
      const choice = rng.int(4);
      if (choice === 0 && entries[0]) entries[0].data = b(entries[0].data);
      if (choice === 1) entries.push({ data: rng.bytes(rng.int(64)), extensions: [] });
      if (choice === 2 && entries[0]) entries[0].extensions = mutateExtensions([], rng);
      const context = choice === 3 ? rng.bytes(1 + rng.int(4)) : m.body.context;
      return { type: "certificate", body: { context, entries: rng.chance(0.1) ? [] : entries } };
    }
    case "certificate_verify":
      return rng.chance(0.5)
        ? {
          type: "certificate_verify",
          body: { ...m.body, scheme: rng.chance(0.8) ? rng.pick(SCHEMES) : rng.int(0x10000) },
        }
        : { type: "certificate_verify", body: { ...m.body, signature: b(m.body.signature) } };
    case "certificate_request":
      return {
        type: "certificate_request",
        body: rng.chance(0.5)
          ? { ...m.body, context: rng.bytes(rng.int(4)) }
          : { ...m.body, extensions: mutateExtensions(m.body.extensions, rng) },
      };
    case "new_session_ticket": {
      const t = { ...m.body };
      const choice = rng.int(5);
      if (choice === 0) t.lifetime = rng.pick([0, 604800, 604801, 0xffffffff]);
      if (choice === 1) t.ticket = rng.chance(0.3) ? new Uint8Array(0) : b(t.ticket);
      if (choice === 2) t.nonce = rng.bytes(rng.int(300) % 256);
      if (choice === 3) t.extensions = mutateExtensions(t.extensions, rng);
      if (choice === 4) {
        t.extensions = [{ type: EXTENSIONS.early_data, data: rng.bytes(rng.pick([0, 2, 4, 5])) }];
      }
      return { type: "new_session_ticket", body: t };
    }
    case "key_update":
      return { type: "key_update", body: { updateRequested: !m.body.updateRequested } };
    default:
      return m;
  }
}

/** A record layout: random cuts, padding of any size, foreign or empty records in between. */
function recordPlan(rng: Rng) {
  let used = false;
  return (contentType: number, length: number): RecordPlan[] => {
    if (used && rng.chance(0.5)) return [{ size: length }];
    used = true;
    const plan: RecordPlan[] = [];
    let left = length;
    while (left > 0) {
      const size = Math.min(left, 1 + rng.int(rng.chance(0.3) ? 8 : 2000));
      plan.push({
        size,
        ...(rng.chance(0.2) ? { padding: rng.pick([1, 255, 16000, 16384]) } : {}),
      });
      left -= size;
      if (rng.chance(0.1)) {
        plan.splice(rng.int(plan.length + 1), 0, {
          insert: {
            contentType: rng.pick([20, 21, 22, 23, contentType]),
            content: rng.pick([
              new Uint8Array(0),
              Uint8Array.of(1),
              Uint8Array.of(1, 0),
              rng.bytes(rng.int(20)),
            ]),
          },
        });
      }
    }
    return plan.length ? plan : [{ size: 0 }];
  };
}

/** One to three structural mutations for a driver in `role`, as one Hooks value. */
function driverHooks(rng: Rng, role: "client" | "server"): Hooks {
  const parts: Hooks[] = [];
  const once = <A extends unknown[], R>(f: (...a: A) => R, keep: (...a: A) => R) => {
    let done = false;
    return (...a: A): R => {
      if (done || rng.chance(0.3)) return keep(...a);
      done = true;
      return f(...a);
    };
  };
  const kinds = role === "client"
    ? ["ch-ext", "ch-fields", "ch-final", "share", "message", "records", "writes"]
    : ["sh-ext", "sh-fields", "ee", "share", "message", "records", "writes"];
  let planned = false;
  // Which ClientHello the hello mutations bite on: now and then the second, after an HRR.
  const which = rng.chance(0.25) ? 2 : 1;
  for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
    const kind = rng.pick(kinds);
    switch (kind) {
      case "ch-ext":
        parts.push({
          clientHello: (ch, attempt) =>
            attempt === which ? { ...ch, extensions: mutateExtensions(ch.extensions, rng) } : ch,
        });
        break;
      case "ch-fields":
        parts.push({
          clientHello: (ch, attempt) => {
            if (attempt !== which) return ch;
            switch (rng.int(5)) {
              case 0:
                return {
                  ...ch,
                  legacyVersion: rng.pick([
                    0x0300,
                    0x0301,
                    0x0302,
                    0x0304,
                    0x7f1c,
                    rng.int(0x10000),
                  ]),
                };
              case 1:
                return { ...ch, sessionId: rng.bytes(rng.pick([0, 1, 31, 32, 33])) };
              case 2:
                return {
                  ...ch,
                  cipherSuites: rng.chance(0.2)
                    ? []
                    : [...ch.cipherSuites, rng.int(0x10000)].sort(() => rng.next() - 0.5),
                };
              case 3:
                return { ...ch, compressionMethods: rng.pick([[], [1], [0, 1], [1, 0]]) };
              default:
                return { ...ch, random: rng.chance(0.5) ? new Uint8Array(32) : HRR_RANDOM };
            }
          },
        });
        break;
      case "ch-final": // after the binders: identities, ages, binders as they go out
        parts.push({
          handshake: once((m) => {
            if (m.type !== "client_hello") return m;
            const ext = m.body.extensions;
            const psk = ext.findIndex((e) => e.type === EXTENSIONS.pre_shared_key);
            const at = psk >= 0 && rng.chance(0.7) ? psk : rng.int(ext.length);
            const extensions = ext.map((
              e,
              i,
            ) => (i === at ? { ...e, data: mutateBytes(e.data, rng, 1 + rng.int(2)) } : e));
            return { type: "client_hello", body: { ...m.body, extensions } };
          }, (m) => m),
        });
        break;
      case "sh-ext":
        parts.push({
          serverHello: once(
            (sh) => ({ ...sh, extensions: mutateExtensions(sh.extensions, rng) }),
            (sh) => sh,
          ),
        });
        break;
      case "sh-fields":
        parts.push({
          serverHello: once((sh) => {
            switch (rng.int(5)) {
              case 0:
                return { ...sh, legacyVersion: rng.pick([0x0300, 0x0301, 0x0302, 0x0304]) };
              case 1:
                return { ...sh, sessionId: rng.bytes(rng.pick([0, 1, 32])) };
              case 2:
                return {
                  ...sh,
                  cipherSuite: rng.pick([0x1301, 0x1302, 0x1303, 0xc02f, 0x00ff, rng.int(0x10000)]),
                };
              case 3:
                return { ...sh, compressionMethod: 1 };
              default:
                return {
                  ...sh,
                  random: rng.chance(0.5) ? HRR_RANDOM : concat(
                    rng.bytes(24),
                    Uint8Array.of(0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 1),
                  ),
                };
            }
          }, (sh) => sh),
        });
        break;
      case "ee":
        parts.push({ encryptedExtensions: (list) => mutateExtensions(list, rng) });
        break;
      case "share":
        parts.push({ keyShare: once((g, s) => mutateShare(g, s, rng, role), (_g, s) => s) });
        break;
      case "message":
        parts.push({
          handshake: (
            m,
          ) => (m.type === "client_hello" || m.type === "server_hello" || !rng.chance(0.4)
            ? m
            : mutateMessage(m, rng)),
        });
        break;
      case "records":
        if (!planned) parts.push({ records: recordPlan(rng) });
        planned = true;
        break;
      case "writes":
        parts.push({ writes: (bytes) => split(bytes, rng, 1 + rng.int(6)) });
        break;
    }
  }
  return composeHooks(parts);
}

// ---------------------------------------------------------------- drivers

const SUITES = CIPHER_SUITE_NAMES;
/** The drivers' own ticket authority (servers facing a client target). */
const DRIVER_ISSUER = new TicketIssuer({ key: new Uint8Array(32).fill(0x72) });

/** A client to talk to a server target: groups, shares, PSKs, tickets and 0-RTT vary. */
function clientDriver(target: Target, rng: Rng, tickets: ClientTicket[]): ClientConfig {
  const t = target.config() as ServerConfig;
  const groups = rng.subset(GROUP_NAMES);
  const store = new TicketStore();
  const ticket = tickets.length && rng.chance(0.4) ? rng.pick(tickets) : null;
  // Its real age: the server checks the obfuscated age against when it issued the ticket.
  if (ticket) store.add("localhost", ticket);
  return {
    serverName: "localhost",
    trustAnchors: [PKI.ca],
    groups,
    keyShares: rng.chance(0.1) ? [] : rng.subset(groups),
    cipherSuites: rng.subset(SUITES),
    compatibilityMode: rng.chance(0.7),
    psks: t.psks && rng.chance(0.6) ? rng.subset(t.psks) : undefined,
    pskModes: rng.subset(["psk_dhe_ke", "psk_ke"] as const),
    certWithPsk: rng.chance(0.15) ? rng.pick(["allow", "require"] as const) : undefined,
    certificate: target.name === "server-auth" || rng.chance(0.2) ? PKI.client : undefined,
    tickets: store,
    earlyData: ticket && rng.chance(0.6) ? rng.bytes(rng.pick([1, 100, 4096, 5000])) : undefined,
  };
}

/** A server to talk to a client target: groups, HRR, cookies, client auth, PSKs, tickets. */
function serverDriver(target: Target, rng: Rng): ServerConfig {
  const c = target.config() as ClientConfig;
  const theirs = c.groups ?? ["X25519MLKEM768", "x25519"];
  const groups = rng.chance(0.8)
    ? [...new Set([...rng.subset(theirs), ...rng.subset(GROUP_NAMES, false)])]
    : rng.subset(GROUP_NAMES);
  return {
    certificate: PKI.server,
    trustAnchors: [PKI.ca],
    groups,
    cipherSuites: rng.subset(SUITES),
    compatibilityMode: rng.chance(0.7),
    preferHrr: rng.chance(0.3),
    hrrCookie: rng.chance(0.3),
    clientAuth: rng.pick(["none", "none", "request", "require"] as const),
    psks: c.psks && rng.chance(0.6) ? rng.subset(c.psks) : undefined,
    pskModes: rng.subset(["psk_dhe_ke", "psk_ke"] as const),
    certWithPsk: rng.chance(0.2),
    tickets: DRIVER_ISSUER,
    ticketCount: rng.int(3),
    maxEarlyData: rng.pick([0, 1024]),
  };
}

function makeDriver(target: Target, config: ClientConfig | ServerConfig) {
  return (t: Transport): TlsEndpoint =>
    target.role === "server"
      ? new TlsClient(t, config as ClientConfig)
      : new TlsServer(t, config as ServerConfig);
}

// ---------------------------------------------------------------- seeds and the generator

export interface Seed {
  target: Target;
  chunks: Uint8Array[];
}

/**
 * Unmutated conversations: for every target, one per group the driver can lead with (and for the
 * ticket-holding server, the tickets it issued, for later drivers to resume with and send 0-RTT).
 */
export async function recordSeeds(rng: Rng): Promise<{ seeds: Seed[]; tickets: ClientTicket[] }> {
  const seeds: Seed[] = [];
  const tickets: ClientTicket[] = [];
  for (const target of TARGETS) {
    const groups = target.role === "server" ? GROUP_NAMES : [null];
    for (const g of groups) {
      const config = target.role === "server"
        ? {
          ...clientDriver(target, rng, []),
          groups: [g!],
          keyShares: [g!],
          certWithPsk: undefined,
          earlyData: undefined,
          cipherSuites: undefined,
        }
        : { ...serverDriver(target, rng), preferHrr: false, clientAuth: "none" as const };
      const { outcome, chunks } = await runLive(target, makeDriver(target, config));
      if (outcome.kind === "ok") seeds.push({ target, chunks });
      const store = (config as ClientConfig).tickets;
      if (target.name === "server" && store) {
        for (let t = store.take("localhost"); t; t = store.take("localhost")) tickets.push(t);
      }
    }
  }
  return { seeds, tickets };
}

export type Generator = "bytes" | "records" | "random" | "live";

export interface Input {
  generator: Generator;
  target: Target;
  run(): Promise<{ outcome: Outcome; chunks: Uint8Array[] }>;
}

/** The next input: a generator drawn by weight, a target, and how to run it. */
export function nextInput(rng: Rng, seeds: Seed[], tickets: ClientTicket[]): Input {
  const roll = rng.next();
  const generator: Generator = roll < 0.3
    ? "bytes"
    : roll < 0.42
    ? "records"
    : roll < 0.47
    ? "random"
    : "live";
  if (generator === "live") {
    const target = rng.pick(TARGETS);
    const config = target.role === "server"
      ? clientDriver(target, rng, tickets)
      : serverDriver(target, rng);
    const clean = rng.chance(0.05);
    const hooks = clean ? {} : driverHooks(rng, target.role === "server" ? "client" : "server");
    const run = async () => {
      const result = await runLive(target, makeDriver(target, { ...config, hooks }));
      // Fresh tickets from the server target keep 0-RTT acceptable (each is good for one try).
      const store = (config as ClientConfig).tickets;
      if (target.name === "server" && store) {
        for (let t = store.take("localhost"); t; t = store.take("localhost")) tickets.push(t);
        tickets.splice(0, Math.max(0, tickets.length - 64));
      }
      return result;
    };
    return { generator, target, run };
  }
  const seed = rng.pick(seeds);
  const target = generator === "random" ? rng.pick(TARGETS) : seed.target;
  let chunks: Uint8Array[];
  if (generator === "random") chunks = split(randomInput(rng), rng);
  else if (generator === "records") chunks = split(mutateRecords(flatten(seed.chunks), rng), rng);
  else if (rng.chance(0.5)) {
    const i = rng.int(seed.chunks.length);
    chunks = seed.chunks.map((c, j) => (j === i ? mutateBytes(c, rng) : c));
  } else chunks = split(mutateBytes(flatten(seed.chunks), rng), rng);
  return {
    generator,
    target,
    run: async () => ({ outcome: await runScripted(target, chunks), chunks }),
  };
}
