// Key exchange for every named group the reference peer speaks: classic ECDHE (X25519, P-256,
// P-384), pure ML-KEM (draft-ietf-tls-mlkem) and the ECDHE+ML-KEM hybrids (RFC 10024).
//
// Every group is a list of components laid end to end, with no length prefixes: a hybrid share is
// the concatenation of its components' shares, and its secret the concatenation of their secrets,
// in the order of COMPONENT_LAYOUT. That one table is the only place the ordering trap lives
// (X25519MLKEM768 puts ML-KEM first, the SecP* hybrids put ECDH first).
//
// The checks a peer must make on the other side's share are here, next to the bytes: fixed
// lengths, the FIPS 203 §7.2 modulus check on an ML-KEM encapsulation key, points on the curve,
// and the all-zero X25519 output. Each failure is a TlsAlert("illegal_parameter") whose sentence
// names the group, the component and what was wrong.

import { ml_kem1024, ml_kem512, ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import { TlsAlert } from "./alert.ts";
import { concat, shortHex } from "./codec.ts";
import { GROUP_NAMES, type GroupName } from "./names.ts";
import type { Field } from "./summary.ts";

// ---------------------------------------------------------------------------------------------
// The component table

export type ComponentName =
  | "X25519"
  | "P-256"
  | "P-384"
  | "ML-KEM-512"
  | "ML-KEM-768"
  | "ML-KEM-1024";

/** One building block of a group, with its fixed sizes on the wire. */
export interface Component {
  name: ComponentName;
  kind: "ecdh" | "mlkem";
  /** Bytes the client sends: a public key (ECDH) or an encapsulation key (ML-KEM). */
  client: number;
  /** Bytes the server sends: a public key (ECDH) or a ciphertext (ML-KEM). */
  server: number;
  secret: number;
  /** Bytes of client key material `generateClientShare` takes as seed: a scalar or d‖z. */
  clientSeed: number;
  /** Bytes of server randomness `respondToShare` takes as seed: a scalar or the encaps message m. */
  serverSeed: number;
  /** How the client's and the server's share are called in an annotated transcript. */
  clientLabel: string;
  serverLabel: string;
}

const X25519_C: Component = {
  name: "X25519",
  kind: "ecdh",
  client: 32,
  server: 32,
  secret: 32,
  clientSeed: 32,
  serverSeed: 32,
  clientLabel: "X25519 public key",
  serverLabel: "X25519 public key",
};
const P256_C: Component = {
  name: "P-256",
  kind: "ecdh",
  client: 65,
  server: 65,
  secret: 32,
  clientSeed: 32,
  serverSeed: 32,
  clientLabel: "P-256 public key (uncompressed point)",
  serverLabel: "P-256 public key (uncompressed point)",
};
const P384_C: Component = {
  name: "P-384",
  kind: "ecdh",
  client: 97,
  server: 97,
  secret: 48,
  clientSeed: 48,
  serverSeed: 48,
  clientLabel: "P-384 public key (uncompressed point)",
  serverLabel: "P-384 public key (uncompressed point)",
};
const mlkem = (name: ComponentName, ek: number, ct: number): Component => ({
  name,
  kind: "mlkem",
  client: ek,
  server: ct,
  secret: 32,
  clientSeed: 64,
  serverSeed: 32,
  clientLabel: `${name} encapsulation key`,
  serverLabel: `${name} ciphertext`,
});
const MLKEM512_C = mlkem("ML-KEM-512", 800, 768);
const MLKEM768_C = mlkem("ML-KEM-768", 1184, 1088);
const MLKEM1024_C = mlkem("ML-KEM-1024", 1568, 1568);

/** The components of each group, in wire order (shares and secret alike). */
export const COMPONENT_LAYOUT: Record<GroupName, readonly Component[]> = {
  x25519: [X25519_C],
  secp256r1: [P256_C],
  secp384r1: [P384_C],
  MLKEM512: [MLKEM512_C],
  MLKEM768: [MLKEM768_C],
  MLKEM1024: [MLKEM1024_C],
  // RFC 10024 §3.1: ML-KEM first for X25519MLKEM768 (X25519 is not FIPS-approved), ECDH first
  // for the NIST-curve hybrids.
  X25519MLKEM768: [MLKEM768_C, X25519_C],
  SecP256r1MLKEM768: [P256_C, MLKEM768_C],
  SecP384r1MLKEM1024: [P384_C, MLKEM1024_C],
};

/** The fixed-size parts a group's bytes come in; each component has a size for each. */
const PART_NAMES = {
  client: "client key share",
  server: "server key share",
  secret: "shared secret",
  clientSeed: "client seed",
  serverSeed: "server seed",
} as const;
export type SharePart = keyof typeof PART_NAMES;

const sum = (g: GroupName, part: SharePart) => COMPONENT_LAYOUT[g].reduce((n, c) => n + c[part], 0);

export const SHARE_SIZES = Object.fromEntries(
  GROUP_NAMES.map((
    g,
  ) => [g, { client: sum(g, "client"), server: sum(g, "server"), secret: sum(g, "secret") }]),
) as Record<GroupName, { client: number; server: number; secret: number }>;

/** Seed sizes for `generateClientShare` and `respondToShare`. */
export const SEED_SIZES = Object.fromEntries(
  GROUP_NAMES.map((g) => [g, { client: sum(g, "clientSeed"), server: sum(g, "serverSeed") }]),
) as Record<GroupName, { client: number; server: number }>;

/** Cuts a share (or seed, or secret) into its components' parts, after checking the total. */
export function splitShare(group: GroupName, part: SharePart, bytes: Uint8Array): Uint8Array[] {
  const layout = COMPONENT_LAYOUT[group];
  const total = sum(group, part);
  if (bytes.length !== total) {
    const sizes = layout.map((c) => `${c.name} ${c[part]}`).join(" ‖ ");
    const why = `${group} ${
      PART_NAMES[part]
    } is ${bytes.length} bytes, expected ${total} (${sizes})`;
    // A wrong seed is our own caller's mistake, not the peer's.
    const ours = part === "clientSeed" || part === "serverSeed";
    throw new TlsAlert(ours ? "internal_error" : "illegal_parameter", why);
  }
  const out: Uint8Array[] = [];
  let at = 0;
  for (const c of layout) {
    out.push(bytes.subarray(at, at + c[part]));
    at += c[part];
  }
  return out;
}

/** Annotates a key share component by component, for transcripts and conformance reports. */
export function describeShare(
  group: GroupName,
  bytes: Uint8Array,
  side: "client" | "server" = "client",
  base = 0,
): Field[] {
  const layout = COMPONENT_LAYOUT[group];
  if (bytes.length !== SHARE_SIZES[group][side]) {
    return [{
      name: `${group} ${side} share`,
      offset: base,
      length: bytes.length,
      value: shortHex(bytes),
      meaning: `${bytes.length} bytes; a ${group} ${side} share is ${SHARE_SIZES[group][side]}`,
    }];
  }
  const fields: Field[] = [];
  let at = 0;
  for (const c of layout) {
    const n = c[side];
    const label = side === "client" ? c.clientLabel : c.serverLabel;
    fields.push({
      name: label,
      offset: base + at,
      length: n,
      value: shortHex(bytes.subarray(at, at + n)),
      meaning: `${label} (${n} bytes)`,
    });
    at += n;
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------
// One implementation per component kind

interface ComponentClient {
  share: Uint8Array;
  complete(serverShare: Uint8Array): Uint8Array;
}

interface ComponentOps {
  client(seed?: Uint8Array): ComponentClient;
  respond(clientShare: Uint8Array, seed?: Uint8Array): { share: Uint8Array; secret: Uint8Array };
}

const illegal = (group: GroupName, c: Component, why: string) =>
  new TlsAlert("illegal_parameter", `${group}: ${c.name} component: ${why}`);

function x25519Ops(group: GroupName, c: Component): ComponentOps {
  const dh = (scalar: Uint8Array, peer: Uint8Array, who: string) => {
    let secret: Uint8Array;
    try {
      secret = x25519.getSharedSecret(scalar, peer);
    } catch {
      // noble refuses exactly the all-zero output (RFC 7748 §6.1, RFC 9846 §7.4.2).
      secret = new Uint8Array(32);
    }
    if (secret.every((b) => b === 0)) {
      throw illegal(
        group,
        c,
        `the ${who} public key is a low-order point (all-zero X25519 output)`,
      );
    }
    return secret;
  };
  return {
    client(seed) {
      const scalar = seed ?? x25519.utils.randomSecretKey();
      return {
        share: x25519.getPublicKey(scalar),
        complete: (serverShare) => dh(scalar, serverShare, "server's"),
      };
    },
    respond(clientShare, seed) {
      const scalar = seed ?? x25519.utils.randomSecretKey();
      const secret = dh(scalar, clientShare, "client's");
      return { share: x25519.getPublicKey(scalar), secret };
    },
  };
}

function nistOps(group: GroupName, c: Component, curve: typeof p256 | typeof p384): ComponentOps {
  // RFC 9846 §4.3.8.2: the peer's point must be uncompressed (0x04 ‖ X ‖ Y) and on the curve;
  // the secret is the x-coordinate only (noble prefixes it with a parity byte we drop).
  const check = (point: Uint8Array, who: string) => {
    if (point[0] !== 0x04) {
      throw illegal(
        group,
        c,
        `the ${who} point starts with 0x${point[0].toString(16)}, not 0x04 (uncompressed)`,
      );
    }
    try {
      curve.Point.fromBytes(point).assertValidity();
    } catch (e) {
      throw illegal(group, c, `the ${who} point is invalid (${(e as Error).message})`);
    }
  };
  const scalarOf = (seed?: Uint8Array) => {
    const scalar = seed ?? curve.utils.randomSecretKey();
    if (!curve.utils.isValidSecretKey(scalar)) {
      throw new TlsAlert(
        "internal_error",
        `${group}: the injected ${c.name} scalar is out of range`,
      );
    }
    return scalar;
  };
  const dh = (scalar: Uint8Array, peer: Uint8Array) =>
    curve.getSharedSecret(scalar, peer, true).slice(1);
  return {
    client(seed) {
      const scalar = scalarOf(seed);
      return {
        share: curve.getPublicKey(scalar, false),
        complete(serverShare) {
          check(serverShare, "server's");
          return dh(scalar, serverShare);
        },
      };
    },
    respond(clientShare, seed) {
      check(clientShare, "client's");
      const scalar = scalarOf(seed);
      return { share: curve.getPublicKey(scalar, false), secret: dh(scalar, clientShare) };
    },
  };
}

const ML_KEM_Q = 3329;

/**
 * FIPS 203 §7.2 modulus check: ByteEncode12(ByteDecode12(ek)) == ek, i.e. every 12-bit
 * coefficient of t̂ is below q. Returns the index of the first unreduced coefficient, or -1.
 */
export function firstUnreducedCoefficient(ek: Uint8Array): number {
  for (let n = 0; n < coefficientCount(ek.length); n++) {
    if (coefficientAt(ek, n) >= ML_KEM_Q) return n;
  }
  return -1;
}

/** The 12-bit coefficient `index` of t̂ (two coefficients per three bytes, little-endian). */
export function coefficientAt(ek: Uint8Array, index: number): number {
  const i = (index >> 1) * 3;
  return index % 2 === 0 ? ek[i] | ((ek[i + 1] & 0x0f) << 8) : (ek[i + 1] >> 4) | (ek[i + 2] << 4);
}

/** Number of 12-bit coefficients in an encapsulation key of this many bytes. */
export const coefficientCount = (ekLength: number): number => ((ekLength - 32) / 3) * 2;

/**
 * A copy of `ek` with coefficient `index` set to `value` (0..4095). With value ≥ 3329 this makes
 * the malformed key the modulus check must reject; conformance cases build their shares with it.
 */
export function withCoefficient(ek: Uint8Array, index: number, value: number): Uint8Array {
  const out = ek.slice();
  const i = (index >> 1) * 3;
  if (index % 2 === 0) {
    out[i] = value & 0xff;
    out[i + 1] = (out[i + 1] & 0xf0) | (value >> 8);
  } else {
    out[i + 1] = (out[i + 1] & 0x0f) | ((value & 0x0f) << 4);
    out[i + 2] = value >> 4;
  }
  return out;
}

function mlkemOps(group: GroupName, c: Component, kem: typeof ml_kem768): ComponentOps {
  return {
    client(seed) {
      const { publicKey, secretKey } = kem.keygen(seed);
      return {
        share: publicKey,
        complete(ct) {
          // The length was checked with the whole share; anything else failing here is ours.
          try {
            return kem.decapsulate(ct, secretKey);
          } catch (e) {
            throw new TlsAlert(
              "internal_error",
              `${group}: ${c.name} decapsulation failed (${(e as Error).message})`,
            );
          }
        },
      };
    },
    respond(ek, seed) {
      const bad = firstUnreducedCoefficient(ek);
      if (bad >= 0) {
        const value = coefficientAt(ek, bad);
        throw illegal(
          group,
          c,
          `encapsulation key fails the FIPS 203 modulus check: coefficient ${bad} of ${
            coefficientCount(ek.length)
          } is ${value}, not below q = 3329`,
        );
      }
      const { cipherText, sharedSecret } = kem.encapsulate(ek, seed);
      return { share: cipherText, secret: sharedSecret };
    },
  };
}

function opsFor(group: GroupName, c: Component): ComponentOps {
  switch (c.name) {
    case "X25519":
      return x25519Ops(group, c);
    case "P-256":
      return nistOps(group, c, p256);
    case "P-384":
      return nistOps(group, c, p384);
    case "ML-KEM-512":
      return mlkemOps(group, c, ml_kem512);
    case "ML-KEM-768":
      return mlkemOps(group, c, ml_kem768);
    case "ML-KEM-1024":
      return mlkemOps(group, c, ml_kem1024);
  }
}

// ---------------------------------------------------------------------------------------------
// The API the handshake uses

export interface ClientKeyShare {
  group: GroupName;
  /** key_exchange bytes for the ClientHello. */
  share: Uint8Array;
  /**
   * Validates the server's share and returns the shared secret. Throws illegal_parameter for a
   * wrong length, an invalid point or an all-zero X25519 output; internal_error when
   * decapsulation fails otherwise.
   */
  complete(serverShare: Uint8Array): Uint8Array;
}

/**
 * A fresh client key share. `seed` injects the private key material (trace replay, reproducible
 * tests): X25519 32-byte scalar, P-256/P-384 32/48-byte scalar, ML-KEM 64-byte d‖z, and for
 * hybrids the components' seeds concatenated in wire order (SEED_SIZES[group].client bytes).
 */
export function generateClientShare(group: GroupName, seed?: Uint8Array): ClientKeyShare {
  const layout = COMPONENT_LAYOUT[group];
  const seeds = seed ? splitShare(group, "clientSeed", seed) : layout.map(() => undefined);
  const parts = layout.map((c, i) => opsFor(group, c).client(seeds[i]));
  return {
    group,
    share: concat(...parts.map((p) => p.share)),
    complete(serverShare) {
      const pieces = splitShare(group, "server", serverShare);
      return concat(...parts.map((p, i) => p.complete(pieces[i])));
    },
  };
}

/**
 * The server's answer to a client share: validates it (length, FIPS 203 modulus check, point on
 * the curve, all-zero X25519 output → illegal_parameter) and returns the server's share and the
 * shared secret. `seed` injects the ephemeral scalar / ML-KEM encapsulation randomness (32 bytes),
 * for hybrids concatenated in wire order (SEED_SIZES[group].server bytes).
 */
export function respondToShare(
  group: GroupName,
  clientShare: Uint8Array,
  seed?: Uint8Array,
): { share: Uint8Array; secret: Uint8Array } {
  const layout = COMPONENT_LAYOUT[group];
  const pieces = splitShare(group, "client", clientShare);
  const seeds = seed ? splitShare(group, "serverSeed", seed) : layout.map(() => undefined);
  const results = layout.map((c, i) => opsFor(group, c).respond(pieces[i], seeds[i]));
  return {
    share: concat(...results.map((r) => r.share)),
    secret: concat(...results.map((r) => r.secret)),
  };
}
