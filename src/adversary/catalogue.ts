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

import { concat, fromHex } from "../tls/codec.ts";
import {
  CERT_WITH_EXTERN_PSK,
  encodeExtension,
  getExtension,
  KEY_SHARE_CLIENT,
  KEY_SHARE_SERVER,
  PRE_SHARED_KEY_CLIENT,
  SUPPORTED_GROUPS,
} from "../tls/extensions.ts";
import {
  coefficientCount,
  COMPONENT_LAYOUT,
  generateClientShare,
  respondToShare,
  withCoefficient,
} from "../tls/groups.ts";
import type { RecordPlan } from "../tls/hooks.ts";
import { EXTENSIONS, type GroupName, GROUPS } from "../tls/names.ts";
import {
  type AdversaryContext,
  AdversaryError,
  groupParam,
  type Misbehaviour,
  num,
  type Params,
  str,
} from "./context.ts";
import { RECORD_MISBEHAVIOURS } from "./records.ts";
import {
  componentRange,
  finalClientHello,
  firstOf,
  hasComponent,
  hasMlkem,
  hrrSelecting,
  isHybrid,
  isMlkem,
  isNist,
  isX25519,
  needPsk,
  OTHER_CT,
  POINT_FORMS,
  reencodePoint,
  refuseShare,
  shareHook,
  splice,
  TLS12_SUITES,
  withExtension,
  without,
  X25519_LOW_ORDER,
} from "./surgery.ts";

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
  {
    name: "ec-point-format",
    description:
      "the P-256/P-384 point in the share is sent compressed, in X9.62 hybrid form or as the " +
      "point at infinity instead of uncompressed",
    roles: ["client", "server"],
    appliesTo: "groups with a NIST curve component (secp256r1, secp384r1 and their hybrids)",
    params: {
      form: `one of ${POINT_FORMS.join(", ")} (required)`,
      group: "which share (default: first that fits)",
    },
    refuse(ctx, p) {
      const form = str(p, "form");
      if (!form || !POINT_FORMS.includes(form)) return `needs form=${POINT_FORMS.join("|")}`;
      return refuseShare("a share with a P-256/P-384 component", hasComponent(isNist))(ctx, p);
    },
    build(ctx, p, applied) {
      const form = str(p, "form")!;
      return shareHook(ctx, p, hasComponent(isNist), applied, (g, share, side) => {
        const r = componentRange(g, side, isNist)!;
        const width = isHybrid(g) ? r.end - r.start : null;
        return splice(
          share,
          r.start,
          r.end,
          reencodePoint(share.slice(r.start, r.end), form, width),
        );
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
          records(contentType, length) {
            if (contentType !== 22 || length <= size) return [{ size: length }];
            applied();
            const out: RecordPlan[] = [];
            for (let left = length; left > 0; left -= size) {
              out.push({ size: Math.min(size, left) });
            }
            return out;
          },
        },
      };
    },
  })),
  ...RECORD_MISBEHAVIOURS,
];

function orderParam(ctx: AdversaryContext, p: Params): GroupName[] {
  const given = str(p, "order");
  if (given === undefined) return [...ctx.keyShares].reverse();
  return given.split("+").map((g) => groupParam({ g }, "g")!);
}

export const MISBEHAVIOURS: ReadonlyMap<string, Misbehaviour> = new Map(
  CATALOGUE.map((m) => [m.name, m]),
);
