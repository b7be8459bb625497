// What an implementation can do, as tables where every "no" carries its reason and says whose
// limit it is: the library lacks it, or the adapter (our program) cannot express it. The plan
// consults them through whyUnsupported, the one place they are read.

import {
  CERT_KINDS,
  type CertKind,
  CIPHER_SUITE_NAMES,
  type CipherSuiteName,
  GROUP_NAMES,
  type GroupName,
  type Role,
} from "../tls/names.ts";
import type { EndpointConfig } from "./config.ts";

/** Either supported, or the reason it is not: the library lacks it, or the adapter cannot say it. */
export type Support = true | { lacks: string } | { adapter: string };

export const FEATURES = [
  "client",
  "server",
  "groupSelection",
  "keyShareSelection",
  "serverPreferenceHrr",
  "cipherSuiteSelection",
  "clientAuth",
  "externalPsk",
  "pskKe",
  "pskDheKe",
  "pskSha384",
  "importedPsk",
  "resumption",
  "earlyData",
  "certWithPsk",
  "http",
] as const;
export type Feature = typeof FEATURES[number];

export interface CapabilityTables {
  /** Every group in GROUP_NAMES: true or why not. */
  groups: Record<GroupName, Support>;
  cipherSuites: Record<CipherSuiteName, Support>;
  /** Certificates it can present, and verify as a peer. */
  certificates: Record<CertKind, Support>;
  features: Record<Feature, Support>;
}

/** The tables, plus what differs by role (a library that offers fewer groups as a server). */
export interface Capabilities extends CapabilityTables {
  client?: Partial<Exceptions>;
  server?: Partial<Exceptions>;
}

/** The "no" entries of each table; whatever is not named is supported. */
export interface Exceptions {
  groups: Partial<Record<GroupName, Support>>;
  cipherSuites: Partial<Record<CipherSuiteName, Support>>;
  certificates: Partial<Record<CertKind, Support>>;
  features: Partial<Record<Feature, Support>>;
}

export const lacks = (why: string): Support => ({ lacks: why });
export const adapterCannot = (why: string): Support => ({ adapter: why });

function table<K extends string>(
  keys: readonly K[],
  except: Partial<Record<K, Support>>,
): Record<K, Support> {
  return Object.fromEntries(keys.map((k) => [k, except[k] ?? true])) as Record<K, Support>;
}

/** A capability table where everything is supported except what is listed, each with a reason. */
export function capabilities(
  except: Partial<Exceptions> & { client?: Partial<Exceptions>; server?: Partial<Exceptions> },
): Capabilities {
  const caps: Capabilities = {
    groups: table(GROUP_NAMES, except.groups ?? {}),
    cipherSuites: table(CIPHER_SUITE_NAMES, except.cipherSuites ?? {}),
    certificates: table(CERT_KINDS, except.certificates ?? {}),
    features: table(FEATURES, except.features ?? {}),
  };
  if (except.client) caps.client = except.client;
  if (except.server) caps.server = except.server;
  return caps;
}

export const supportReason = (s: Support): string | null =>
  s === true
    ? null
    : "lacks" in s
    ? `library lacks it: ${s.lacks}`
    : `adapter cannot: ${s.adapter}`;

/** One entry, for one role: the role's own exception first, then the common table. */
function entry<T extends keyof Exceptions>(
  caps: Capabilities,
  role: Role,
  kind: T,
  key: keyof CapabilityTables[T],
): Support {
  const own = (caps[role]?.[kind] as Record<string, Support> | undefined)?.[key as string];
  return own ?? (caps[kind] as Record<string, Support>)[key as string] ?? true;
}

/**
 * Why an implementation cannot take this role with this configuration, or null when it can.
 * The one place capability tables are consulted; adapters add combination rules via `refuse`.
 */
export function whyUnsupported(
  caps: Capabilities,
  role: Role,
  config: EndpointConfig,
  /** The exchange is one HTTP request: the client is a browser. */
  http = false,
  /** The certificate the other side will present, which this side must verify. */
  peerCertificate?: EndpointConfig["certificate"],
): string | null {
  const feature = (f: Feature) => entry(caps, role, "features", f);
  const need: [string, Support][] = [[role, feature(role)]];
  if (http) need.push(["answering a browser's HTTP request", feature("http")]);
  for (
    const g of new Set([
      ...(config.groups ?? []),
      ...(config.keyShares ?? []),
      ...(config.resumeGroups ?? []),
    ])
  ) {
    need.push([`group ${g}`, entry(caps, role, "groups", g)]);
  }
  if (config.groups) need.push(["choosing groups", feature("groupSelection")]);
  if (config.keyShares) need.push(["choosing key shares", feature("keyShareSelection")]);
  if (config.preferHrr) {
    need.push(["HelloRetryRequest by preference", feature("serverPreferenceHrr")]);
  }
  for (const s of config.cipherSuites ?? []) need.push([s, entry(caps, role, "cipherSuites", s)]);
  if (config.cipherSuites) need.push(["choosing cipher suites", feature("cipherSuiteSelection")]);
  if (config.certificate && (role === "server" || config.clientAuth)) {
    need.push([
      `${config.certificate} certificate`,
      entry(caps, role, "certificates", config.certificate),
    ]);
  }
  if (peerCertificate) {
    need.push([
      `verifying a ${peerCertificate} certificate`,
      entry(caps, role, "certificates", peerCertificate),
    ]);
  }
  if (config.clientAuth) need.push(["client certificates", feature("clientAuth")]);
  if (config.psk) {
    need.push(["external PSK", feature(config.psk.imported ? "importedPsk" : "externalPsk")]);
    need.push([config.psk.mode, feature(config.psk.mode === "psk_ke" ? "pskKe" : "pskDheKe")]);
    if (config.psk.hash === "sha384") need.push(["SHA-384 PSK", feature("pskSha384")]);
  }
  if (config.resume) need.push(["resumption", feature("resumption")]);
  if (config.earlyData !== undefined || config.maxEarlyData) {
    need.push(["0-RTT", feature("earlyData")]);
  }
  if (config.certWithPsk) need.push(["cert_with_extern_psk (RFC 9973)", feature("certWithPsk")]);
  for (const [what, s] of need) {
    const why = supportReason(s);
    if (why) return `${what}: ${why}`;
  }
  return null;
}
