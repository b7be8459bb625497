// The reference peer as a precise adversary: a catalogue of named misbehaviours for conformance
// cases. Each entry turns parameters into Hooks (hooks.ts) around the correct core, so the peer
// stays correct everywhere except in the one structure the misbehaviour names. Entries compose:
// `buildAdversary` chains several into one Hooks value.
//
// Every entry says which role the reference peer plays when it misbehaves, which groups it bites
// on, and refuses a configuration it cannot apply to with a sentence (the runner turns that into
// an `unsupported` cell). At run time each entry records when it actually changed something, so a
// misbehaviour that never happened cannot pass as conformance.
//
//   deno task peer client --port N --ca F --groups MLKEM768 --hook unreduced-coefficient:position=last

import { concat, fromHex } from "./codec.ts";
import { DEFAULT_GROUPS, DEFAULT_KEY_SHARES } from "./config.ts";
import type { Transport } from "./connection.ts";
import {
  CERT_WITH_EXTERN_PSK,
  encodeExtension,
  type Extension,
  getExtension,
  KEY_SHARE_CLIENT,
  KEY_SHARE_HRR,
  KEY_SHARE_SERVER,
  PRE_SHARED_KEY_CLIENT,
  SUPPORTED_GROUPS,
} from "./extensions.ts";
import {
  coefficientCount,
  COMPONENT_LAYOUT,
  type ComponentName,
  generateClientShare,
  respondToShare,
  withCoefficient,
} from "./groups.ts";
import type { Hooks } from "./hooks.ts";
import type { ClientHello, Handshake, ServerHello } from "./messages.ts";
import { type AlertName, EXTENSIONS, type GroupName, GROUPS } from "./names.ts";
import type { TranscriptEntry } from "./summary.ts";

export type Role = "client" | "server";
export type HookParams = Record<string, string | number | boolean>;

/** What a misbehaviour may rely on: the reference peer's own configuration. */
export interface AdversaryContext {
  /** The role the reference peer plays (the implementation under test plays the other one). */
  role: Role;
  /** supported_groups (client) or preference order (server). */
  groups: GroupName[];
  /** Client: the groups with a share in the first ClientHello. Server: unused. */
  keyShares: GroupName[];
  /** Server: asks for its first preference by HelloRetryRequest. */
  preferHrr: boolean;
  /** An external PSK is configured. */
  psk: boolean;
}

/** How the conformance verdict reads a misbehaviour besides the case's expectation. */
export interface VerdictHints {
  /** The RFC lets the party under test abort with one of these instead of carrying on (MAY). */
  mayAbortWith?: AlertName[];
  /** pq-in-tls12-hello: negotiating TLS 1.2 without a post-quantum group is also correct. */
  tls12Fallback?: boolean;
}

export interface Misbehaviour {
  name: string;
  /** One line: what goes on the wire. */
  description: string;
  /** The roles the reference peer can play while doing it. */
  roles: Role[];
  /** Where it bites, for people: which groups or which configuration. */
  appliesTo: string;
  /** Parameter name → what it means and its default. */
  params: Record<string, string>;
  verdict?: VerdictHints;
  /** Why it cannot apply to this configuration, or null. */
  refuse(ctx: AdversaryContext, params: HookParams): string | null;
  /** The hooks; `applied()` is called whenever the misbehaviour actually changes something. */
  build(ctx: AdversaryContext, params: HookParams, applied: () => void): Partial<Adversary>;
}

/** Hooks plus the transport pacing the split ClientHello needs (a pause between writes). */
export interface Adversary {
  hooks: Hooks;
  /** Pauses (ms) to take before the next transport writes, consumed one per write. */
  pauses: number[];
}

// ---------------------------------------------------------------------------------------------
// Share surgery

type Side = "client" | "server";

/** Byte range of the first component of `group` matching `pick` in a share of `side`. */
function componentRange(
  group: GroupName,
  side: Side,
  pick: (name: ComponentName) => boolean,
): { start: number; end: number; name: ComponentName } | null {
  let at = 0;
  for (const c of COMPONENT_LAYOUT[group]) {
    if (pick(c.name)) return { start: at, end: at + c[side], name: c.name };
    at += c[side];
  }
  return null;
}

const isMlkem = (n: ComponentName) => n.startsWith("ML-KEM");
const isNist = (n: ComponentName) => n === "P-256" || n === "P-384";
const isX25519 = (n: ComponentName) => n === "X25519";
const hasComponent = (pick: (n: ComponentName) => boolean) => (g: GroupName) =>
  COMPONENT_LAYOUT[g].some((c) => pick(c.name));
const hasMlkem = hasComponent(isMlkem);
const isHybrid = (g: GroupName) => COMPONENT_LAYOUT[g].length > 1;

/** `share` with bytes [start, end) replaced by `part` (which may have another length). */
const splice = (share: Uint8Array, start: number, end: number, part: Uint8Array) =>
  concat(share.subarray(0, start), part, share.subarray(end));

/** A ciphertext length of another parameter set: what a confused peer would send. */
const OTHER_CT: Record<string, number> = {
  "ML-KEM-512": 1088,
  "ML-KEM-768": 1568,
  "ML-KEM-1024": 1088,
};

/**
 * X25519 u-coordinates of small order (RFC 7748 §6.1; the list libsodium and BoGo block): any
 * scalar times one of these is the identity, so the shared secret is all zeros.
 */
export const X25519_LOW_ORDER: Record<string, string> = {
  zero: "00".repeat(32),
  one: "01" + "00".repeat(31),
  order8: "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  order8b: "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "p-1": "ec" + "ff".repeat(30) + "7f",
  p: "ed" + "ff".repeat(30) + "7f",
  "p+1": "ee" + "ff".repeat(30) + "7f",
};

// ---------------------------------------------------------------------------------------------
// Targets: which share a share-level misbehaviour changes

const str = (p: HookParams, k: string): string | undefined =>
  p[k] === undefined ? undefined : String(p[k]);
const num = (p: HookParams, k: string, dflt: number): number => {
  const v = p[k] === undefined ? dflt : Number(p[k]);
  if (!Number.isInteger(v) || v < 0) {
    throw new AdversaryError(`parameter ${k} must be a whole number`);
  }
  return v;
};

export class AdversaryError extends Error {
  override name = "AdversaryError";
}

function groupParam(p: HookParams, k = "group"): GroupName | undefined {
  const g = str(p, k);
  if (g === undefined) return undefined;
  if (!(g in GROUPS)) throw new AdversaryError(`unknown group "${g}" in parameter ${k}`);
  return g as GroupName;
}

/**
 * The groups a share-level misbehaviour may change in this configuration: the shares the client
 * sends, or the groups the server may select. Narrowed to `group=` when given.
 */
function targets(
  ctx: AdversaryContext,
  p: HookParams,
  fits: (g: GroupName) => boolean,
): GroupName[] {
  const pool = ctx.role === "client" ? ctx.keyShares : ctx.groups;
  const only = groupParam(p);
  return pool.filter((g) => fits(g) && (only === undefined || g === only));
}

/** A refusal for share-level misbehaviours: no share in this configuration it could change. */
function refuseShare(what: string, fits: (g: GroupName) => boolean) {
  return (ctx: AdversaryContext, p: HookParams): string | null => {
    if (targets(ctx, p, fits).length > 0) return null;
    const pool = ctx.role === "client" ? ctx.keyShares : ctx.groups;
    const where = ctx.role === "client" ? "key shares" : "groups";
    return `needs ${what}; the reference peer's ${where} are ${pool.join(", ") || "none"}` +
      (p.group ? ` (group=${p.group})` : "");
  };
}

/** A keyShare hook changing the first target share (and only that group) with `change`. */
function shareHook(
  ctx: AdversaryContext,
  p: HookParams,
  fits: (g: GroupName) => boolean,
  applied: () => void,
  change: (group: GroupName, share: Uint8Array, side: Side) => Uint8Array,
): Partial<Adversary> {
  const chosen = targets(ctx, p, fits);
  // A client changes one share (the first that fits); a server changes whichever it selects.
  const hit = ctx.role === "client" ? chosen.slice(0, 1) : chosen;
  return {
    hooks: {
      keyShare(group, share) {
        if (!hit.includes(group)) return share;
        applied();
        return change(group, share, ctx.role);
      },
    },
  };
}

// The role check is refuseHook's (from `roles`); `refuse` says what else a misbehaviour needs.
const needPsk = (ctx: AdversaryContext): string | null =>
  ctx.psk ? null : "needs an external PSK on the reference peer";

const firstOf = (...checks: (string | null)[]) => checks.find((c) => c !== null) ?? null;

// ---------------------------------------------------------------------------------------------
// Hello surgery

const withExtension = (list: Extension[], ext: Extension) =>
  list.some((e) => e.type === ext.type)
    ? list.map((e) => (e.type === ext.type ? ext : e))
    : [...list, ext];
const without = (list: Extension[], type: number) => list.filter((e) => e.type !== type);

/** An HRR rewrite: selected_group := `group`. */
function hrrSelecting(group: GroupName, applied: () => void): Hooks {
  return {
    serverHello(sh: ServerHello, isHrr: boolean) {
      if (!isHrr) return sh;
      applied();
      return {
        ...sh,
        extensions: withExtension(sh.extensions, encodeExtension(KEY_SHARE_HRR, GROUPS[group])),
      };
    },
  };
}

/** A client_hello handshake hook: rewrite the final ClientHello (binders included). */
function finalClientHello(change: (ch: ClientHello) => ClientHello | null): Hooks {
  return {
    handshake(m: Handshake): Handshake {
      if (m.type !== "client_hello") return m;
      const out = change(m.body);
      return out ? { type: "client_hello", body: out } : m;
    },
  };
}

/** TLS 1.2 ECDHE suites (RFC 8422, RFC 7905) a TLS 1.2 server could pick with our P-256 cert. */
const TLS12_SUITES = [0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca9, 0xcca8];

// ---------------------------------------------------------------------------------------------
// The catalogue

const PQ = "groups with an ML-KEM component (pure ML-KEM and hybrids)";

export const CATALOGUE: Misbehaviour[] = [
  {
    name: "truncate-share",
    description: "the post-quantum key share is n bytes short",
    roles: ["client", "server"],
    appliesTo: PQ,
    params: { n: "bytes cut from the end (default 1)", group: "which share (default: first PQ)" },
    refuse: (ctx, p) => refuseShare("a share with an ML-KEM component", hasMlkem)(ctx, p),
    build(ctx, p, applied) {
      const n = num(p, "n", 1);
      return shareHook(ctx, p, hasMlkem, applied, (_g, s) => s.subarray(0, s.length - n));
    },
  },
  {
    name: "pad-share",
    description: "the post-quantum key share has n extra zero bytes at the end",
    roles: ["client", "server"],
    appliesTo: PQ,
    params: { n: "bytes added (default 1)", group: "which share (default: first PQ)" },
    refuse: (ctx, p) => refuseShare("a share with an ML-KEM component", hasMlkem)(ctx, p),
    build(ctx, p, applied) {
      const n = num(p, "n", 1);
      return shareHook(ctx, p, hasMlkem, applied, (_g, s) => concat(s, new Uint8Array(n)));
    },
  },
  {
    name: "unreduced-coefficient",
    description: "one coefficient of the ML-KEM encapsulation key is ≥ q (fails FIPS 203 §7.2)",
    roles: ["client"],
    appliesTo: PQ,
    params: {
      position: "first | middle | last | a coefficient index (default first)",
      value: "the 12-bit value, 3329..4095 (default 3329 = q)",
      group: "which share (default: first PQ)",
    },
    refuse: refuseShare("a share with an ML-KEM component", hasMlkem),
    build(ctx, p, applied) {
      const value = num(p, "value", 3329);
      if (value < 3329 || value > 4095) throw new AdversaryError("value must be 3329..4095");
      const position = str(p, "position") ?? "first";
      return shareHook(ctx, p, hasMlkem, applied, (g, share) => {
        const r = componentRange(g, "client", isMlkem)!;
        const ek = share.subarray(r.start, r.end);
        const count = coefficientCount(ek.length);
        const index = position === "first"
          ? 0
          : position === "middle"
          ? count >> 1
          : position === "last"
          ? count - 1
          : Number(position);
        if (!Number.isInteger(index) || index < 0 || index >= count) {
          throw new AdversaryError(`position must be first, middle, last or 0..${count - 1}`);
        }
        return splice(share, r.start, r.end, withCoefficient(ek, index, value));
      });
    },
  },
  {
    name: "ciphertext-wrong-length",
    description: "the ML-KEM ciphertext has the length of another parameter set",
    roles: ["server"],
    appliesTo: PQ,
    params: { length: "ciphertext bytes (default: another parameter set's ct length)" },
    refuse: refuseShare("a group with an ML-KEM component", hasMlkem),
    build(ctx, p, applied) {
      return shareHook(ctx, p, hasMlkem, applied, (g, share) => {
        const r = componentRange(g, "server", isMlkem)!;
        const length = num(p, "length", OTHER_CT[r.name]);
        if (length === r.end - r.start) throw new AdversaryError("length is the right one");
        const ct = new Uint8Array(length);
        ct.set(share.subarray(r.start, Math.min(r.end, r.start + length)));
        return splice(share, r.start, r.end, ct);
      });
    },
  },
  {
    name: "invalid-ec-point",
    description: "the P-256/P-384 point in the share is not on the curve (Y changed)",
    roles: ["client", "server"],
    appliesTo: "groups with a NIST curve component (SecP256r1MLKEM768, SecP384r1MLKEM1024, …)",
    params: { group: "which share (default: first that fits)" },
    refuse: (ctx, p) =>
      refuseShare("a share with a P-256/P-384 component", hasComponent(isNist))(ctx, p),
    build(ctx, p, applied) {
      return shareHook(ctx, p, hasComponent(isNist), applied, (g, share, side) => {
        const r = componentRange(g, side, isNist)!;
        const point = share.slice(r.start, r.end);
        point[point.length - 1] ^= 1; // Y±1: for a given X only Y and p−Y are on the curve
        return splice(share, r.start, r.end, point);
      });
    },
  },
  ...(["x25519-low-order", "x25519-all-zero"] as const).map((name): Misbehaviour => ({
    name,
    description: name === "x25519-all-zero"
      ? "the X25519 public key is all zeros (the shared secret is all zeros)"
      : "the X25519 public key is a small-order point (the shared secret is all zeros)",
    roles: ["client", "server"],
    appliesTo: "groups with an X25519 component (X25519MLKEM768, x25519)",
    params: name === "x25519-low-order"
      ? { point: `one of ${Object.keys(X25519_LOW_ORDER).join(", ")} (default order8)` }
      : {},
    refuse: (ctx, p) =>
      refuseShare("a share with an X25519 component", hasComponent(isX25519))(ctx, p),
    build(ctx, p, applied) {
      const which = name === "x25519-all-zero" ? "zero" : str(p, "point") ?? "order8";
      const hex = X25519_LOW_ORDER[which];
      if (!hex) throw new AdversaryError(`unknown point "${which}"`);
      return shareHook(ctx, p, hasComponent(isX25519), applied, (g, share, side) => {
        const r = componentRange(g, side, isX25519)!;
        return splice(share, r.start, r.end, fromHex(hex));
      });
    },
  })),
  {
    name: "swap-hybrid-components",
    description: "the hybrid share's components are sent in the opposite order",
    roles: ["client", "server"],
    appliesTo: "hybrid groups",
    params: { group: "which share (default: first hybrid)" },
    refuse: (ctx, p) => refuseShare("a hybrid share", isHybrid)(ctx, p),
    build(ctx, p, applied) {
      return shareHook(ctx, p, isHybrid, applied, (g, share, side) => {
        const parts: Uint8Array[] = [];
        let at = 0;
        for (const c of COMPONENT_LAYOUT[g]) {
          parts.push(share.subarray(at, at + c[side]));
          at += c[side];
        }
        const swapped = concat(...parts.reverse());
        // Where the peer reads an X25519 key it now finds ciphertext bytes. Clearing their top
        // bit keeps that value one RFC 7748 §5 tells it to accept, so the case measures the
        // component order every run, not the top-bit rule (x25519-high-bit measures that).
        const x = componentRange(g, side, isX25519);
        if (x) swapped[x.end - 1] &= 0x7f;
        return swapped;
      });
    },
  },
  {
    name: "x25519-high-bit",
    description: "the X25519 public key has its unused top bit set (the same key once masked)",
    roles: ["client", "server"],
    appliesTo: "groups with an X25519 component (X25519MLKEM768, x25519)",
    params: { group: "which share (default: first that fits)" },
    refuse: (ctx, p) =>
      refuseShare("a share with an X25519 component", hasComponent(isX25519))(ctx, p),
    build(ctx, p, applied) {
      return shareHook(ctx, p, hasComponent(isX25519), applied, (g, share, side) => {
        const r = componentRange(g, side, isX25519)!;
        const key = share.slice(r.start, r.end);
        key[key.length - 1] |= 0x80;
        return splice(share, r.start, r.end, key);
      });
    },
  },
  {
    name: "share-not-in-supported-groups",
    description: "the ClientHello has a key share for a group left out of supported_groups",
    roles: ["client"],
    appliesTo: "any group, with at least one other group in supported_groups",
    params: { group: "the shared group to leave out (default: first key share)" },
    verdict: { mayAbortWith: ["illegal_parameter"] },
    refuse(ctx, p) {
      const g = groupParam(p) ?? ctx.keyShares[0];
      if (!g || !ctx.keyShares.includes(g)) return "needs a key share to leave out";
      if (ctx.groups.filter((x) => x !== g).length === 0) {
        return "supported_groups would be empty; configure a second group";
      }
      return null;
    },
    build(ctx, p, applied) {
      const g = groupParam(p) ?? ctx.keyShares[0];
      return {
        hooks: {
          clientHello(ch, attempt) {
            if (attempt !== 1) return ch;
            const groups = getExtension(ch.extensions, SUPPORTED_GROUPS) ?? [];
            applied();
            const kept = groups.filter((x) => x !== GROUPS[g]);
            return {
              ...ch,
              extensions: withExtension(ch.extensions, encodeExtension(SUPPORTED_GROUPS, kept)),
            };
          },
        },
      };
    },
  },
  {
    name: "duplicate-share",
    description: "the ClientHello has two identical key shares for one group",
    roles: ["client"],
    appliesTo: "any group",
    params: { group: "the group shared twice (default: first key share)" },
    verdict: { mayAbortWith: ["illegal_parameter"] },
    refuse(ctx, p) {
      const g = groupParam(p) ?? ctx.keyShares[0];
      return g && ctx.keyShares.includes(g) ? null : "needs a key share to duplicate";
    },
    build(ctx, p, applied) {
      const g = groupParam(p) ?? ctx.keyShares[0];
      return {
        hooks: {
          clientHello(ch, attempt) {
            if (attempt !== 1) return ch;
            const shares = getExtension(ch.extensions, KEY_SHARE_CLIENT) ?? [];
            const twice = shares.flatMap((s) => (s.group === GROUPS[g] ? [s, s] : [s]));
            if (twice.length === shares.length) return ch;
            applied();
            return {
              ...ch,
              extensions: withExtension(ch.extensions, encodeExtension(KEY_SHARE_CLIENT, twice)),
            };
          },
        },
      };
    },
  },
  {
    name: "pq-shares-order",
    description: "several post-quantum key shares, in the order given (supported_groups alike)",
    roles: ["client"],
    appliesTo: "two or more key shares",
    params: { order: "groups separated by '+', e.g. MLKEM768+X25519MLKEM768 (default: reversed)" },
    refuse(ctx, p) {
      if (ctx.keyShares.filter(hasMlkem).length < 2) return "needs two or more PQ key shares";
      const order = orderParam(ctx, p);
      const missing = order.find((g) => !ctx.keyShares.includes(g));
      return missing ? `${missing} in order= has no key share` : null;
    },
    build(ctx, p, applied) {
      const order = orderParam(ctx, p).map((g) => GROUPS[g] as number);
      const rank = (code: number) => {
        const i = order.indexOf(code);
        return i < 0 ? order.length : i;
      };
      return {
        hooks: {
          clientHello(ch, attempt) {
            if (attempt !== 1) return ch;
            const shares = getExtension(ch.extensions, KEY_SHARE_CLIENT) ?? [];
            const groups = getExtension(ch.extensions, SUPPORTED_GROUPS) ?? [];
            applied();
            // Stable sort: groups outside `order` keep their places after the ordered ones.
            const sortedShares = [...shares].sort((a, b) => rank(a.group) - rank(b.group));
            const sortedGroups = [...groups].sort((a, b) => rank(a) - rank(b));
            let ext = withExtension(ch.extensions, encodeExtension(SUPPORTED_GROUPS, sortedGroups));
            ext = withExtension(ext, encodeExtension(KEY_SHARE_CLIENT, sortedShares));
            return { ...ch, extensions: ext };
          },
        },
      };
    },
  },
  {
    name: "hrr-offered-group",
    description: "the HelloRetryRequest selects a group the client already sent a share for",
    roles: ["server"],
    appliesTo: "a server configured to send a HelloRetryRequest (preferHrr)",
    params: { group: "the group the HRR names (required: one the client shared)" },
    refuse: (ctx, p) =>
      firstOf(
        p.group === undefined ? "needs group= (a group the client sends a share for)" : null,
        ctx.preferHrr ? null : "needs a server that sends a HelloRetryRequest (preferHrr)",
      ),
    build: (_ctx, p, applied) => ({ hooks: hrrSelecting(groupParam(p)!, applied) }),
  },
  {
    name: "hrr-unoffered-group",
    description: "the HelloRetryRequest selects a group not in the client's supported_groups",
    roles: ["server"],
    appliesTo: "a server configured to send a HelloRetryRequest (preferHrr)",
    params: { group: "the group the HRR names (required: one the client did not offer)" },
    refuse: (ctx, p) =>
      firstOf(
        p.group === undefined ? "needs group= (a group the client does not offer)" : null,
        ctx.preferHrr ? null : "needs a server that sends a HelloRetryRequest (preferHrr)",
      ),
    build: (_ctx, p, applied) => ({ hooks: hrrSelecting(groupParam(p)!, applied) }),
  },
  {
    name: "ch2-wrong-share",
    description: "the second ClientHello's share is for another group than the HRR asked for",
    roles: ["client"],
    appliesTo: "a client that receives a HelloRetryRequest",
    params: {
      group: "the group of the wrong share (default: the first ClientHello's first share)",
    },
    refuse: (ctx) => ctx.keyShares.length ? null : "needs a first key share",
    build(ctx, p, applied) {
      const g = groupParam(p) ?? ctx.keyShares[0];
      return {
        hooks: {
          clientHello(ch, attempt) {
            if (attempt !== 2) return ch;
            applied();
            // A fresh share whose private key is thrown away: the server must not get that far.
            const share = { group: GROUPS[g], keyExchange: generateClientShare(g).share };
            return {
              ...ch,
              extensions: withExtension(ch.extensions, encodeExtension(KEY_SHARE_CLIENT, [share])),
            };
          },
        },
      };
    },
  },
  {
    name: "sh-unoffered-group",
    description: "the ServerHello's key share is for a group the client sent no share for",
    roles: ["server"],
    appliesTo: "any group",
    params: { group: "the group the ServerHello names (required)" },
    refuse: (_ctx, p) => p.group === undefined ? "needs group=" : null,
    build(_ctx, p, applied) {
      const g = groupParam(p)!;
      return {
        hooks: {
          serverHello(sh, isHrr) {
            if (isHrr) return sh;
            applied();
            // A well-formed server share for `g`, so only the group is wrong.
            const keyExchange = respondToShare(g, generateClientShare(g).share).share;
            const ks = encodeExtension(KEY_SHARE_SERVER, { group: GROUPS[g], keyExchange });
            return { ...sh, extensions: withExtension(sh.extensions, ks) };
          },
        },
      };
    },
  },
  {
    name: "pq-in-tls12-hello",
    description:
      "a TLS 1.2-only ClientHello (no supported_versions, TLS 1.2 ECDHE suites added) offering PQ groups",
    roles: ["client"],
    appliesTo: PQ,
    params: {},
    verdict: { tls12Fallback: true },
    refuse: (ctx) =>
      ctx.groups.some(hasMlkem) ? null : "needs a post-quantum group in supported_groups",
    build(_ctx, _p, applied) {
      return {
        hooks: {
          clientHello(ch, attempt) {
            if (attempt !== 1) return ch;
            applied();
            return {
              ...ch,
              cipherSuites: [...ch.cipherSuites, ...TLS12_SUITES],
              extensions: without(ch.extensions, EXTENSIONS.supported_versions),
            };
          },
        },
      };
    },
  },
  {
    name: "wrong-binder",
    description: "the PSK binder's last byte is flipped",
    roles: ["client"],
    appliesTo: "a client with an external PSK",
    params: {},
    refuse: needPsk,
    build: (_ctx, _p, applied) => ({
      hooks: finalClientHello((ch) => {
        const psk = getExtension(ch.extensions, PRE_SHARED_KEY_CLIENT);
        if (!psk) return null;
        applied();
        const binders = psk.binders.map((b, i) => {
          if (i !== psk.binders.length - 1) return b;
          const out = b.slice();
          out[out.length - 1] ^= 0x01;
          return out;
        });
        const ext = encodeExtension(PRE_SHARED_KEY_CLIENT, { ...psk, binders });
        return { ...ch, extensions: withExtension(ch.extensions, ext) };
      }),
    }),
  },
  {
    name: "unknown-identity",
    description: "the PSK identity is one the server does not know (binder left as computed)",
    roles: ["client"],
    appliesTo: "a client with an external PSK",
    params: { identity: 'the identity sent (default "pqinterop-unknown-identity")' },
    verdict: { mayAbortWith: ["unknown_psk_identity", "decrypt_error"] },
    refuse: needPsk,
    build(_ctx, p, applied) {
      const identity = new TextEncoder().encode(str(p, "identity") ?? "pqinterop-unknown-identity");
      return {
        hooks: finalClientHello((ch) => {
          const psk = getExtension(ch.extensions, PRE_SHARED_KEY_CLIENT);
          if (!psk) return null;
          applied();
          const identities = psk.identities.map((id) => ({ ...id, identity }));
          const ext = encodeExtension(PRE_SHARED_KEY_CLIENT, { ...psk, identities });
          return { ...ch, extensions: withExtension(ch.extensions, ext) };
        }),
      };
    },
  },
  {
    name: "psk-ke-to-dhe-only",
    description:
      "the ServerHello accepts the PSK without a key_share (psk_ke) though the client offered only psk_dhe_ke",
    roles: ["server"],
    appliesTo: "a server with an external PSK",
    params: {},
    refuse: needPsk,
    build: (_ctx, _p, applied) => ({
      hooks: {
        serverHello(sh, isHrr) {
          if (isHrr || !sh.extensions.some((e) => e.type === EXTENSIONS.pre_shared_key)) return sh;
          applied();
          return { ...sh, extensions: without(sh.extensions, EXTENSIONS.key_share) };
        },
      },
    }),
  },
  {
    name: "echo-cert-with-psk-unoffered",
    description:
      "the ServerHello carries tls_cert_with_extern_psk though the client did not offer it",
    roles: ["server"],
    appliesTo: "any server (with or without a PSK)",
    params: {},
    refuse: () => null,
    build: (_ctx, _p, applied) => ({
      hooks: {
        serverHello(sh, isHrr) {
          if (isHrr) return sh;
          applied();
          const ext = encodeExtension(CERT_WITH_EXTERN_PSK, true);
          // Before pre_shared_key if any is there; ServerHello order is free, but keep it tidy.
          return { ...sh, extensions: withExtension(sh.extensions, ext) };
        },
      },
    }),
  },
  {
    name: "split-client-hello",
    description: "the first flight is written in many TCP segments with a pause between them",
    roles: ["client"],
    appliesTo: "any configuration",
    params: {
      segments: "number of writes (default 8)",
      delayMs: "pause between them (default 20)",
    },
    refuse: () => null,
    build(_ctx, p, applied) {
      const segments = Math.max(2, num(p, "segments", 8));
      const delayMs = num(p, "delayMs", 20);
      let first = true;
      const pauses: number[] = [];
      return {
        pauses,
        hooks: {
          writes(bytes) {
            if (!first) return [bytes];
            first = false;
            applied();
            const size = Math.ceil(bytes.length / segments);
            const out: Uint8Array[] = [];
            for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
            // The pause goes before every write but the first (Adversary.pauses, see paced()).
            pauses.push(0, ...out.slice(1).map(() => delayMs));
            return out;
          },
        },
      };
    },
  },
  ...([["small-records", 64], ["one-byte-records", 1]] as const).map((
    [name, dflt],
  ): Misbehaviour => ({
    name,
    description: dflt === 1
      ? "every handshake record carries one byte"
      : "handshake messages are cut into records of `size` bytes",
    roles: ["client", "server"],
    appliesTo: "any configuration",
    params: dflt === 1 ? {} : { size: "content bytes per record (default 64)" },
    refuse: () => null,
    build(_ctx, p, applied) {
      const size = dflt === 1 ? 1 : Math.max(1, num(p, "size", dflt));
      return {
        hooks: {
          recordSizes(contentType, length) {
            if (contentType !== 22 || length <= size) return [length];
            applied();
            const out: number[] = [];
            for (let left = length; left > 0; left -= size) out.push(Math.min(size, left));
            return out;
          },
        },
      };
    },
  })),
];

function orderParam(ctx: AdversaryContext, p: HookParams): GroupName[] {
  const given = str(p, "order");
  if (given === undefined) return [...ctx.keyShares].reverse();
  return given.split("+").map((g) => groupParam({ g }, "g")!);
}

export const MISBEHAVIOURS: ReadonlyMap<string, Misbehaviour> = new Map(
  CATALOGUE.map((m) => [m.name, m]),
);

// ---------------------------------------------------------------------------------------------
// Parsing, building, composing

export interface HookSpec {
  name: string;
  params: HookParams;
}

/** "NAME[:k=v,k=v]" → spec. Values that look like numbers or booleans become them. */
export function parseHookSpec(text: string): HookSpec {
  const [name, rest] = text.split(/:(.*)/s, 2);
  if (!MISBEHAVIOURS.has(name)) {
    throw new AdversaryError(
      `unknown hook "${name}" (known: ${[...MISBEHAVIOURS.keys()].join(", ")})`,
    );
  }
  const params: HookParams = {};
  for (const pair of (rest ?? "").split(",").filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new AdversaryError(`hook parameter "${pair}" is not k=v`);
    const k = pair.slice(0, eq);
    const v = pair.slice(eq + 1);
    params[k] = v === "true" ? true : v === "false" ? false : /^-?\d+$/.test(v) ? Number(v) : v;
  }
  const known = MISBEHAVIOURS.get(name)!.params;
  for (const k of Object.keys(params)) {
    if (!(k in known) && k !== "group") {
      throw new AdversaryError(`hook ${name} has no parameter "${k}"`);
    }
  }
  return { name, params };
}

/** The spec written back as NAME:k=v,… (what --hook takes). */
export function formatHookSpec(spec: { name: string; params?: HookParams }): string {
  const kv = Object.entries(spec.params ?? {}).map(([k, v]) => `${k}=${v}`);
  return kv.length ? `${spec.name}:${kv.join(",")}` : spec.name;
}

/** Why `spec` cannot apply to `ctx` ("<hook>: <reason>"), or null. */
export function refuseHook(spec: HookSpec, ctx: AdversaryContext): string | null {
  const m = MISBEHAVIOURS.get(spec.name);
  if (!m) return `unknown hook "${spec.name}"`;
  if (!m.roles.includes(ctx.role)) {
    return `${m.name}: the reference peer must be the ${m.roles.join(" or ")}, not the ${ctx.role}`;
  }
  try {
    const why = m.refuse(ctx, spec.params);
    return why ? `${m.name}: ${why}` : null;
  } catch (e) {
    return `${m.name}: ${(e as Error).message}`;
  }
}

/** The misbehaviours that ran, by name, and which of them changed something on the wire. */
export interface AdversaryState {
  hooks: string[];
  applied: string[];
}

export interface BuiltAdversary extends Adversary {
  state: AdversaryState;
  /** Wraps a transport so writes honour `pauses` (split-client-hello); identity otherwise. */
  paced(t: Transport): Transport;
}

/**
 * Builds the composition of `specs` for `ctx`. Throws AdversaryError with the refusal when one
 * cannot apply, so a misbehaviour never silently does nothing.
 */
export function buildAdversary(specs: HookSpec[], ctx: AdversaryContext): BuiltAdversary {
  const state: AdversaryState = { hooks: specs.map((s) => formatHookSpec(s)), applied: [] };
  const parts: Partial<Adversary>[] = [];
  for (const spec of specs) {
    const why = refuseHook(spec, ctx);
    if (why) throw new AdversaryError(why);
    const label = formatHookSpec(spec);
    const applied = () => {
      if (!state.applied.includes(label)) state.applied.push(label);
    };
    parts.push(MISBEHAVIOURS.get(spec.name)!.build(ctx, spec.params, applied));
  }
  const hooks = composeHooks(parts.map((p) => p.hooks ?? {}));
  const pauseLists = parts.map((p) => p.pauses).filter((p): p is number[] => p !== undefined);
  if (pauseLists.length > 1) throw new AdversaryError("two misbehaviours both pace the writes");
  const pauses = pauseLists[0] ?? [];
  const paced = (t: Transport): Transport => {
    if (pauseLists.length === 0) return t;
    // Without Nagle each paced write leaves as its own TCP segment.
    (t as Partial<Deno.TcpConn>).setNoDelay?.(true);
    return {
      async write(p) {
        const ms = pauses.shift() ?? 0;
        if (ms > 0) await new Promise((r) => setTimeout(r, ms));
        return await t.write(p);
      },
      read: (p) => t.read(p),
      close: () => t.close(),
    };
  };
  return { hooks, pauses, state, paced };
}

/**
 * One Hooks value running each of `list` in turn: rewrites chain (the later sees the earlier's
 * result), writes are cut again piece by piece, and only one may decide record sizes.
 */
export function composeHooks(list: Hooks[]): Hooks {
  const defined = <K extends keyof Hooks>(k: K) => list.filter((h) => h[k]).map((h) => h[k]!);
  const out: Hooks = {};
  const ch = defined("clientHello");
  if (ch.length) out.clientHello = (h, n) => ch.reduce((acc, f) => f(acc, n), h);
  const sh = defined("serverHello");
  if (sh.length) out.serverHello = (h, hrr) => sh.reduce((acc, f) => f(acc, hrr), h);
  const ee = defined("encryptedExtensions");
  if (ee.length) out.encryptedExtensions = (x) => ee.reduce((acc, f) => f(acc), x);
  const ks = defined("keyShare");
  if (ks.length) out.keyShare = (g, s) => ks.reduce((acc, f) => f(g, acc), s);
  const hs = defined("handshake");
  if (hs.length) out.handshake = (m) => hs.reduce((acc, f) => f(acc), m);
  const rs = defined("recordSizes");
  if (rs.length > 1) throw new AdversaryError("two misbehaviours both decide record sizes");
  if (rs.length) out.recordSizes = rs[0];
  const ws = defined("writes");
  if (ws.length) out.writes = (b) => ws.reduce<Uint8Array[]>((acc, f) => acc.flatMap(f), [b]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Glue for the command-line peer

/** The parts of a ClientConfig/ServerConfig a misbehaviour looks at. */
interface PeerConfigView {
  groups?: GroupName[];
  keyShares?: GroupName[];
  preferHrr?: boolean;
  psks?: unknown[];
}

/** The context of a configured peer, with the defaults client.ts and server.ts apply. */
export function contextOf(role: Role, config: PeerConfigView): AdversaryContext {
  const groups = config.groups ?? DEFAULT_GROUPS;
  const keyShares = role === "client"
    ? config.keyShares ?? (config.groups ? groups.slice(0, 1) : DEFAULT_KEY_SHARES)
    : [];
  return {
    role,
    groups,
    keyShares,
    preferHrr: Boolean(config.preferHrr),
    psk: (config.psks?.length ?? 0) > 0,
  };
}

/** Parses and builds the --hook specs for a configured peer; null when there are none. */
export function adversaryFor(
  specs: string[],
  role: Role,
  config: PeerConfigView,
): BuiltAdversary | null {
  if (specs.length === 0) return null;
  return buildAdversary(specs.map(parseHookSpec), contextOf(role, config));
}

/**
 * The transport and configuration an endpoint runs with: through the adversary's pacing and with
 * its hooks when there is one, untouched otherwise.
 */
export function withAdversary<C extends object>(
  adv: BuiltAdversary | null,
  transport: Transport,
  config: C,
): [Transport, C] {
  return adv ? [adv.paced(transport), { ...config, hooks: adv.hooks }] : [transport, config];
}

/** What the misbehaving side adds to its summary: which hooks ran, and the bytes sent in clear. */
export function adversaryExtras(
  adv: BuiltAdversary | null,
  transcript: TranscriptEntry[],
): { adversary?: AdversaryState; sentHex?: string } {
  return adv ? { adversary: adv.state, sentHex: sentCleartextHex(transcript) } : {};
}

/**
 * The exact bytes we sent in clear (the records before encryption: every ClientHello, or the
 * ServerHello/HelloRetryRequest), as hex: what a misbehaviour manipulates, for the cell detail.
 */
export function sentCleartextHex(transcript: TranscriptEntry[], limit = 65_536): string {
  const hex = transcript
    .filter((e) => e.direction === "sent" && e.protection === null)
    .map((e) => e.hex)
    .join("");
  return hex.length > limit ? `${hex.slice(0, limit)}…` : hex;
}
