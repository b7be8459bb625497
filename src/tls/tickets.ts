// Session tickets (RFC 9846 §4.7.1, §4.3.11.1, §8): what the server issues and later redeems, and
// the client's store of tickets per server.
//
// Server: each NewSessionTicket carries a fresh ticket_age_add and a nonce unique on the
// connection; the resumption PSK is HKDF-Expand-Label(resumption_master_secret, "resumption",
// nonce, Hash.length). "stateless" tickets are the session state sealed with AES-256-GCM under a
// server ticket key (the server keeps nothing); "stateful" tickets are random ids into a cache and
// can be used once. Either way a ticket allows 0-RTT at most once (a single-use record of the
// tickets that carried early data) and only while the client's view of its age is fresh.
//
// Client: tickets are kept per server (name and port), newest first, dropped after their
// lifetime, and each is used once; the age it presents is (age in ms + ticket_age_add) mod 2^32.

import { gcm } from "@noble/ciphers/aes.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { TlsAlert } from "./alert.ts";
import { concat, Reader, toHex, Writer } from "./codec.ts";
import { EARLY_DATA_TICKET, getExtension, knownGroup } from "./extensions.ts";
import { type CipherSuite, expandLabel, suiteByCode } from "./keyschedule.ts";
import type { BodyOf } from "./messages.ts";
import { CIPHER_SUITES, type CipherSuiteName, type GroupName, GROUPS } from "./names.ts";

/** RFC 9846 §4.7.1: no ticket lives longer than seven days. */
export const MAX_TICKET_LIFETIME = 604800;
export const DEFAULT_TICKET_LIFETIME = 7200;
/** How far the client's and the server's idea of a ticket's age may differ for 0-RTT (§8.3). */
export const AGE_TOLERANCE_MS = 10_000;

export type NewSessionTicket = BodyOf<"new_session_ticket">;

/** PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
export const resumptionPsk = (suite: CipherSuite, rms: Uint8Array, nonce: Uint8Array) =>
  expandLabel(suite.hash, rms, "resumption", nonce, suite.hashLen);

/** What a ticket stands for: enough to resume, check the age and decide on 0-RTT. */
export interface SessionState {
  suite: CipherSuiteName;
  /** The resumption PSK (already expanded from the resumption secret and the nonce). */
  psk: Uint8Array;
  /** The group of the original connection (informative: a resumption may use another). */
  group: GroupName | null;
  /** Milliseconds since the epoch when the ticket was issued. */
  createdMs: number;
  ageAdd: number;
  /** Seconds. */
  lifetime: number;
  /** max_early_data_size announced in the ticket (0 = none). */
  maxEarlyData: number;
}

const STATE_VERSION = 1;

export function encodeSessionState(s: SessionState): Uint8Array {
  return new Writer()
    .u8(STATE_VERSION)
    .u16(CIPHER_SUITES[s.suite])
    .opaque(1, s.psk)
    .u16(s.group ? GROUPS[s.group] : 0)
    .u32(Math.floor(s.createdMs / 2 ** 32))
    .u32(s.createdMs % 2 ** 32)
    .u32(s.ageAdd)
    .u32(s.lifetime)
    .u32(s.maxEarlyData)
    .finish();
}

export function decodeSessionState(bytes: Uint8Array): SessionState {
  const r = new Reader(bytes, "session state");
  const version = r.u8("version");
  if (version !== STATE_VERSION) throw new Error(`session state version ${version}`);
  const suite = suiteByCode(r.u16("cipher_suite"));
  if (!suite) throw new Error("session state names an unknown cipher suite");
  const psk = r.opaque("psk", 1, 32, 48);
  const group = r.u16("group");
  const createdMs = r.u32("created_hi") * 2 ** 32 + r.u32("created_lo");
  const state = {
    suite: suite.name,
    psk,
    group: group === 0 ? null : knownGroup(group),
    createdMs,
    ageAdd: r.u32("age_add"),
    lifetime: r.u32("lifetime"),
    maxEarlyData: r.u32("max_early_data"),
  };
  r.expectEnd("session state");
  return state;
}

export type TicketStoreKind = "stateless" | "stateful";

export interface TicketIssuerOptions {
  store?: TicketStoreKind;
  /** Seconds, at most MAX_TICKET_LIFETIME. */
  lifetime?: number;
  /** AES-256 key for stateless tickets (default: random per issuer). */
  key?: Uint8Array;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** A server's ticket authority, shared by all its connections. */
export class TicketIssuer {
  readonly store: TicketStoreKind;
  readonly lifetime: number;
  private readonly key: Uint8Array;
  /** Four bytes at the front of every stateless ticket: which key sealed it. */
  private readonly keyName: Uint8Array;
  private readonly cache = new Map<string, SessionState>();
  private readonly earlyDataSeen = new Set<string>();
  private readonly now: () => number;

  constructor(opts: TicketIssuerOptions = {}) {
    this.store = opts.store ?? "stateless";
    this.lifetime = opts.lifetime ?? DEFAULT_TICKET_LIFETIME;
    if (!Number.isInteger(this.lifetime) || this.lifetime < 0) {
      throw new Error(`ticket lifetime ${this.lifetime} is not a whole number of seconds`);
    }
    if (this.lifetime > MAX_TICKET_LIFETIME) {
      throw new Error(`ticket lifetime ${this.lifetime} s exceeds ${MAX_TICKET_LIFETIME} s`);
    }
    this.key = opts.key ?? crypto.getRandomValues(new Uint8Array(32));
    // A configured key names itself the same way in every process (its hash), so tickets it
    // sealed are recognised after a restart; a random key gets a random name.
    this.keyName = opts.key
      ? sha256(opts.key).slice(0, 4)
      : crypto.getRandomValues(new Uint8Array(4));
    this.now = opts.now ?? Date.now;
  }

  /**
   * The `index`-th ticket of a connection: a NewSessionTicket body (with early_data when
   * maxEarlyData > 0) and the state it stands for.
   */
  issue(
    suite: CipherSuite,
    resumptionMasterSecret: Uint8Array,
    index: number,
    group: GroupName | null,
    maxEarlyData: number,
  ): { ticket: NewSessionTicket; state: SessionState } {
    const nonce = new Writer().u16(index).finish();
    const state: SessionState = {
      suite: suite.name,
      psk: resumptionPsk(suite, resumptionMasterSecret, nonce),
      group,
      createdMs: this.now(),
      ageAdd: crypto.getRandomValues(new Uint32Array(1))[0],
      lifetime: this.lifetime,
      maxEarlyData,
    };
    const ticket = this.store === "stateless" ? this.seal(state) : this.remember(state);
    const extensions = maxEarlyData > 0
      ? [{ type: EARLY_DATA_TICKET.type, data: new Writer().u32(maxEarlyData).finish() }]
      : [];
    return {
      ticket: { lifetime: state.lifetime, ageAdd: state.ageAdd, nonce, ticket, extensions },
      state,
    };
  }

  private seal(state: SessionState): Uint8Array {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = gcm(this.key, iv, this.keyName).encrypt(encodeSessionState(state));
    return concat(this.keyName, iv, sealed);
  }

  private remember(state: SessionState): Uint8Array {
    const id = crypto.getRandomValues(new Uint8Array(32));
    this.cache.set(toHex(id), state);
    return id;
  }

  /**
   * Stateful only: takes `state` under a ticket someone else issued (tests replaying a trace,
   * whose ticket bytes are given).
   */
  adopt(ticket: Uint8Array, state: SessionState): void {
    if (this.store !== "stateful") throw new Error("only a stateful store adopts tickets");
    this.cache.set(toHex(ticket), state);
  }

  /**
   * The state behind a ticket the client offers, or null when we cannot use it (not ours, altered,
   * already used, expired). A stateful ticket is used up by redeeming it.
   */
  redeem(ticket: Uint8Array): SessionState | null {
    let state: SessionState | null = null;
    if (this.store === "stateful") {
      const id = toHex(ticket);
      state = this.cache.get(id) ?? null;
      this.cache.delete(id);
    } else if (ticket.length > 16 + 16 && this.keyName.every((b, i) => ticket[i] === b)) {
      try {
        const plain = gcm(this.key, ticket.subarray(4, 16), this.keyName)
          .decrypt(ticket.subarray(16));
        state = decodeSessionState(plain);
      } catch {
        state = null;
      }
    }
    if (!state) return null;
    if (this.now() - state.createdMs > state.lifetime * 1000) return null;
    return state;
  }

  /**
   * Whether this ticket may carry 0-RTT now: the client's age (de-obfuscated) agrees with ours
   * within AGE_TOLERANCE_MS, and the ticket has not carried early data before (RFC 9846 §8).
   */
  allowEarlyData(ticket: Uint8Array, state: SessionState, obfuscatedAge: number): boolean {
    if (state.maxEarlyData === 0) return false;
    const clientAge = (obfuscatedAge - state.ageAdd) >>> 0;
    const serverAge = this.now() - state.createdMs;
    if (Math.abs(clientAge - serverAge) > AGE_TOLERANCE_MS) return false;
    const id = toHex(ticket);
    if (this.earlyDataSeen.has(id)) return false;
    this.earlyDataSeen.add(id);
    return true;
  }
}

// ---------------------------------------------------------------- the client's side

export interface ClientTicket {
  ticket: Uint8Array;
  psk: Uint8Array;
  suite: CipherSuiteName;
  ageAdd: number;
  /** Seconds, as the server said. */
  lifetime: number;
  /** Milliseconds since the epoch when we received it. */
  receivedMs: number;
  maxEarlyData: number;
  /** The group of the connection that got it (informative). */
  group: GroupName | null;
}

/**
 * A received NewSessionTicket turned into something to resume with. A lifetime over seven days
 * is illegal_parameter (as Go's crypto/tls does; RFC 9846 §4.7.1 says servers MUST NOT send it).
 */
export function ticketFromMessage(
  nst: NewSessionTicket,
  suite: CipherSuite,
  resumptionMasterSecret: Uint8Array,
  group: GroupName | null,
  now = Date.now(),
): ClientTicket {
  if (nst.lifetime > MAX_TICKET_LIFETIME) {
    throw new TlsAlert(
      "illegal_parameter",
      `NewSessionTicket lifetime is ${nst.lifetime} s, more than ${MAX_TICKET_LIFETIME} s`,
    );
  }
  // Other NewSessionTicket extensions are ignored (§4.7.1).
  const maxEarlyData = getExtension(nst.extensions, EARLY_DATA_TICKET, "NewSessionTicket") ?? 0;
  return {
    ticket: nst.ticket,
    psk: resumptionPsk(suite, resumptionMasterSecret, nst.nonce),
    suite: suite.name,
    ageAdd: nst.ageAdd,
    lifetime: nst.lifetime,
    receivedMs: now,
    maxEarlyData,
    group,
  };
}

/** obfuscated_ticket_age = (age in ms + ticket_age_add) mod 2^32 (RFC 9846 §4.3.11.1). */
export const obfuscatedAge = (t: ClientTicket, now = Date.now()): number =>
  (now - t.receivedMs + t.ageAdd) >>> 0;

/** Where the client keeps tickets: one list per server, "name:port". */
export class TicketStore {
  private readonly byServer = new Map<string, ClientTicket[]>();

  static key(serverName: string, port: number): string {
    return `${serverName}:${port}`;
  }

  add(server: string, ticket: ClientTicket): void {
    const list = this.byServer.get(server) ?? [];
    list.unshift(ticket);
    this.byServer.set(server, list);
  }

  /** The newest ticket still alive, removed from the store (tickets are used once). */
  take(server: string, now = Date.now()): ClientTicket | null {
    const list = (this.byServer.get(server) ?? []).filter((t) =>
      now - t.receivedMs < t.lifetime * 1000
    );
    const ticket = list.shift() ?? null;
    this.byServer.set(server, list);
    return ticket;
  }

  count(server: string): number {
    return this.byServer.get(server)?.length ?? 0;
  }
}
