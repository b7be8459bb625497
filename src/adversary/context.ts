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

import { DEFAULT_GROUPS, DEFAULT_KEY_SHARES } from "../tls/config.ts";
import type { Hooks } from "../tls/hooks.ts";
import { type GroupName, GROUPS, type Role } from "../tls/names.ts";

/** A misbehaviour's parameters, as given after its name: NAME:k=v,k=v. */
export type Params = Record<string, string | number | boolean>;

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
  /** Why it cannot apply to this configuration, or null. */
  refuse(ctx: AdversaryContext, params: Params): string | null;
  /** The hooks; `applied()` is called whenever the misbehaviour actually changes something. */
  build(ctx: AdversaryContext, params: Params, applied: () => void): Partial<Adversary>;
}

/** Hooks plus the transport pacing the split ClientHello needs (a pause between writes). */
export interface Adversary {
  hooks: Hooks;
  /** Pauses (ms) to take before the next transport writes, consumed one per write. */
  pauses: number[];
  /**
   * Bytes written in place of a flight (non-tls-opening): what the wire carried, where the
   * transcript still shows the records the core meant to send.
   */
  sentInstead?: Uint8Array[];
  /**
   * How long to wait for the other side's answer before giving up, when the answer must come at
   * once: a silent peer then shows as silent in seconds, not at the end of the cell.
   */
  patienceMs?: number;
}

export const str = (p: Params, k: string): string | undefined =>
  p[k] === undefined ? undefined : String(p[k]);
export const num = (p: Params, k: string, dflt: number): number => {
  const v = p[k] === undefined ? dflt : Number(p[k]);
  if (!Number.isInteger(v) || v < 0) {
    throw new AdversaryError(`parameter ${k} must be a whole number`);
  }
  return v;
};

export class AdversaryError extends Error {
  override name = "AdversaryError";
}

export function groupParam(p: Params, k = "group"): GroupName | undefined {
  const g = str(p, k);
  if (g === undefined) return undefined;
  if (!(g in GROUPS)) throw new AdversaryError(`unknown group "${g}" in parameter ${k}`);
  return g as GroupName;
}

/** The parts of a ClientConfig/ServerConfig a misbehaviour looks at. */
export interface PeerConfigView {
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
