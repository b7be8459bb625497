// Misbehaviours by name: "NAME[:k=v,…]" parsed and written back, refused with a sentence when the
// configuration gives them nothing to change, and several built into one Hooks value (rewrites
// chain, writes are cut again piece by piece, only one may decide the records).

import type { MisbehaviourSpec } from "../contract/config.ts";
import type { Transport } from "../tls/connection.ts";
import type { Hooks } from "../tls/hooks.ts";
import { MISBEHAVIOURS } from "./catalogue.ts";
import { type Adversary, type AdversaryContext, AdversaryError, type Params } from "./context.ts";

/** "NAME[:k=v,k=v]" → spec. Values that look like numbers or booleans become them. */
export function parseMisbehaviour(text: string): MisbehaviourSpec {
  const [name, rest] = text.split(/:(.*)/s, 2);
  if (!MISBEHAVIOURS.has(name)) {
    throw new AdversaryError(
      `unknown hook "${name}" (known: ${[...MISBEHAVIOURS.keys()].join(", ")})`,
    );
  }
  const params: Params = {};
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
export function formatMisbehaviour(spec: { name: string; params?: Params }): string {
  const kv = Object.entries(spec.params ?? {}).map(([k, v]) => `${k}=${v}`);
  return kv.length ? `${spec.name}:${kv.join(",")}` : spec.name;
}

/** Why `spec` cannot apply to `ctx` ("<hook>: <reason>"), or null. */
export function refuseMisbehaviour(spec: MisbehaviourSpec, ctx: AdversaryContext): string | null {
  const m = MISBEHAVIOURS.get(spec.name);
  if (!m) return `unknown hook "${spec.name}"`;
  if (!m.roles.includes(ctx.role)) {
    return `${m.name}: the reference peer must be the ${m.roles.join(" or ")}, not the ${ctx.role}`;
  }
  try {
    const why = m.refuse(ctx, spec.params ?? {});
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
export function buildAdversary(specs: MisbehaviourSpec[], ctx: AdversaryContext): BuiltAdversary {
  const state: AdversaryState = { hooks: specs.map((s) => formatMisbehaviour(s)), applied: [] };
  const parts: Partial<Adversary>[] = [];
  for (const spec of specs) {
    const why = refuseMisbehaviour(spec, ctx);
    if (why) throw new AdversaryError(why);
    const label = formatMisbehaviour(spec);
    const applied = () => {
      if (!state.applied.includes(label)) state.applied.push(label);
    };
    parts.push(MISBEHAVIOURS.get(spec.name)!.build(ctx, spec.params ?? {}, applied));
  }
  const hooks = composeHooks(parts.map((p) => p.hooks ?? {}));
  const pauseLists = parts.map((p) => p.pauses).filter((p): p is number[] => p !== undefined);
  if (pauseLists.length > 1) throw new AdversaryError("two misbehaviours both pace the writes");
  const pauses = pauseLists[0] ?? [];
  const sentInstead = parts.flatMap((p) => (p.sentInstead ? [p.sentInstead] : []));
  if (sentInstead.length > 1) throw new AdversaryError("two misbehaviours both replace a flight");
  const patience = parts.flatMap((p) => (p.patienceMs === undefined ? [] : [p.patienceMs]));
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
  return {
    hooks,
    pauses,
    state,
    paced,
    sentInstead: sentInstead[0],
    patienceMs: patience.length ? Math.min(...patience) : undefined,
  };
}

/**
 * One Hooks value running each of `list` in turn: rewrites chain (the later sees the earlier's
 * result), writes are cut again piece by piece, and only one may decide the records.
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
  const rs = defined("records");
  if (rs.length > 1) throw new AdversaryError("two misbehaviours both decide the records");
  if (rs.length) out.records = rs[0];
  const ws = defined("writes");
  if (ws.length) out.writes = (b) => ws.reduce<Uint8Array[]>((acc, f) => acc.flatMap(f), [b]);
  return out;
}
