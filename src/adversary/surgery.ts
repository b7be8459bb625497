// The byte-level tools the misbehaviours are made of: where each component sits in a share, how to
// cut one out or put another in, which shares a misbehaviour may touch, and the few ClientHello,
// ServerHello and HelloRetryRequest rewrites the catalogue uses.

import { p256, p384 } from "@noble/curves/nist.js";
import { concat } from "../tls/codec.ts";
import { encodeExtension, type Extension, KEY_SHARE_HRR } from "../tls/extensions.ts";
import { COMPONENT_LAYOUT, type ComponentName } from "../tls/groups.ts";
import type { Hooks } from "../tls/hooks.ts";
import type { ClientHello, Handshake, ServerHello } from "../tls/messages.ts";
import { type GroupName, GROUPS, type Role } from "../tls/names.ts";
import { type Adversary, type AdversaryContext, groupParam, type Params } from "./context.ts";

/** Byte range of the first component of `group` matching `pick` in a share of `side`. */
export function componentRange(
  group: GroupName,
  side: Role,
  pick: (name: ComponentName) => boolean,
): { start: number; end: number; name: ComponentName } | null {
  let at = 0;
  for (const c of COMPONENT_LAYOUT[group]) {
    if (pick(c.name)) return { start: at, end: at + c[side], name: c.name };
    at += c[side];
  }
  return null;
}

export const isMlkem = (n: ComponentName) => n.startsWith("ML-KEM");
export const isNist = (n: ComponentName) => n === "P-256" || n === "P-384";
export const isX25519 = (n: ComponentName) => n === "X25519";
export const hasComponent = (pick: (n: ComponentName) => boolean) => (g: GroupName) =>
  COMPONENT_LAYOUT[g].some((c) => pick(c.name));
export const hasMlkem = hasComponent(isMlkem);
export const isHybrid = (g: GroupName) => COMPONENT_LAYOUT[g].length > 1;

/** `share` with bytes [start, end) replaced by `part` (which may have another length). */
export const splice = (share: Uint8Array, start: number, end: number, part: Uint8Array) =>
  concat(share.subarray(0, start), part, share.subarray(end));

/** A ciphertext length of another parameter set: what a confused peer would send. */
export const OTHER_CT: Record<string, number> = {
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
// EC point encodings other than the uncompressed one

/** SEC 1 §2.3.3 point forms a peer could send instead of 0x04 ‖ X ‖ Y. */
export const POINT_FORMS = ["compressed-02", "compressed-03", "hybrid-06", "hybrid-07", "infinity"];

/**
 * The uncompressed point `point` (0x04 ‖ X ‖ Y) re-encoded in `form`, as ±P so the prefix's
 * parity bit is the truth: x(s·(−P)) = x(s·P), so a peer that accepts the form derives the very
 * secret the correct point would give, and only its encoding check can tell. The point at
 * infinity is the single byte 0x00 where the share's length is free (the classic groups), and
 * that byte zero-filled to the component's width inside a fixed-size hybrid share (`width`), so
 * a hybrid case measures the point check rather than the share's length.
 */
export function reencodePoint(point: Uint8Array, form: string, width: number | null): Uint8Array {
  const n = (point.length - 1) / 2;
  if (form === "infinity") return width === null ? new Uint8Array(1) : new Uint8Array(width);
  const x = point.subarray(1, 1 + n);
  const y = point.subarray(1 + n);
  const wantOdd = form.endsWith("3") || form.endsWith("7");
  // −P = (x, p − y): p is odd, so negating flips the parity of y.
  const flip = ((y[n - 1] & 1) === 1) !== wantOdd;
  const curve = n === 32 ? p256 : p384;
  const yBytes = flip ? curve.Point.fromBytes(point).negate().toBytes(false).subarray(1 + n) : y;
  const prefix = form.startsWith("compressed") ? (wantOdd ? 0x03 : 0x02) : (wantOdd ? 0x07 : 0x06);
  return form.startsWith("compressed")
    ? concat(Uint8Array.of(prefix), x)
    : concat(Uint8Array.of(prefix), x, yBytes);
}

// ---------------------------------------------------------------------------------------------
// Targets: which share a share-level misbehaviour changes

/**
 * The groups a share-level misbehaviour may change in this configuration: the shares the client
 * sends, or the groups the server may select. Narrowed to `group=` when given.
 */
export function targets(
  ctx: AdversaryContext,
  p: Params,
  fits: (g: GroupName) => boolean,
): GroupName[] {
  const pool = ctx.role === "client" ? ctx.keyShares : ctx.groups;
  const only = groupParam(p);
  return pool.filter((g) => fits(g) && (only === undefined || g === only));
}

/** A refusal for share-level misbehaviours: no share in this configuration it could change. */
export function refuseShare(what: string, fits: (g: GroupName) => boolean) {
  return (ctx: AdversaryContext, p: Params): string | null => {
    if (targets(ctx, p, fits).length > 0) return null;
    const pool = ctx.role === "client" ? ctx.keyShares : ctx.groups;
    const where = ctx.role === "client" ? "key shares" : "groups";
    return `needs ${what}; the reference peer's ${where} are ${pool.join(", ") || "none"}` +
      (p.group ? ` (group=${p.group})` : "");
  };
}

/** A keyShare hook changing the first target share (and only that group) with `change`. */
export function shareHook(
  ctx: AdversaryContext,
  p: Params,
  fits: (g: GroupName) => boolean,
  applied: () => void,
  change: (group: GroupName, share: Uint8Array, side: Role) => Uint8Array,
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
export const needPsk = (ctx: AdversaryContext): string | null =>
  ctx.psk ? null : "needs an external PSK on the reference peer";

export const firstOf = (...checks: (string | null)[]) => checks.find((c) => c !== null) ?? null;

// ---------------------------------------------------------------------------------------------
// Hello surgery

export const withExtension = (list: Extension[], ext: Extension) =>
  list.some((e) => e.type === ext.type)
    ? list.map((e) => (e.type === ext.type ? ext : e))
    : [...list, ext];
export const without = (list: Extension[], type: number) => list.filter((e) => e.type !== type);

/** An HRR rewrite: selected_group := `group`. */
export function hrrSelecting(group: GroupName, applied: () => void): Hooks {
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
export function finalClientHello(change: (ch: ClientHello) => ClientHello | null): Hooks {
  return {
    handshake(m: Handshake): Handshake {
      if (m.type !== "client_hello") return m;
      const out = change(m.body);
      return out ? { type: "client_hello", body: out } : m;
    },
  };
}

/** TLS 1.2 ECDHE suites (RFC 8422, RFC 7905) a TLS 1.2 server could pick with our P-256 cert. */
export const TLS12_SUITES = [0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca9, 0xcca8];
