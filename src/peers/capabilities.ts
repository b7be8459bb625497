// Building blocks for capability tables: start from "everything" and name what is missing and why.

import {
  CERT_KINDS,
  type CertKind,
  CIPHER_SUITE_NAMES,
  type CipherSuiteName,
  GROUP_NAMES,
  type GroupName,
} from "../tls/names.ts";
import {
  type Capabilities,
  type EndpointConfig,
  type Feature,
  FEATURES,
  type Role,
  type Support,
} from "./types.ts";

export const lacks = (why: string): Support => ({ lacks: why });
export const adapterCannot = (why: string): Support => ({ adapter: why });

function table<K extends string>(
  keys: readonly K[],
  except: Partial<Record<K, Support>>,
): Record<K, Support> {
  return Object.fromEntries(keys.map((k) => [k, except[k] ?? true])) as Record<K, Support>;
}

/** A capability table where everything is supported except what is listed, each with a reason. */
export function capabilities(except: {
  groups?: Partial<Record<GroupName, Support>>;
  cipherSuites?: Partial<Record<CipherSuiteName, Support>>;
  certificates?: Partial<Record<CertKind, Support>>;
  features?: Partial<Record<Feature, Support>>;
}): Capabilities {
  return {
    groups: table(GROUP_NAMES, except.groups ?? {}),
    cipherSuites: table(CIPHER_SUITE_NAMES, except.cipherSuites ?? {}),
    certificates: table(CERT_KINDS, except.certificates ?? {}),
    features: table(FEATURES, except.features ?? {}),
  };
}

export const supportReason = (s: Support): string | null =>
  s === true
    ? null
    : "lacks" in s
    ? `library lacks it: ${s.lacks}`
    : `adapter cannot: ${s.adapter}`;

/**
 * Why an implementation cannot take this role with this configuration, or null when it can.
 * The one place capability tables are consulted; adapters add combination rules via `refuse`.
 */
export function whyUnsupported(
  caps: Capabilities,
  role: Role,
  config: EndpointConfig,
): string | null {
  const need: [string, Support][] = [[role, caps.features[role]]];
  for (
    const g of new Set([
      ...(config.groups ?? []),
      ...(config.keyShares ?? []),
      ...(config.resumeGroups ?? []),
    ])
  ) {
    need.push([`group ${g}`, caps.groups[g]]);
  }
  if (config.groups) need.push(["choosing groups", caps.features.groupSelection]);
  if (config.keyShares) need.push(["choosing key shares", caps.features.keyShareSelection]);
  if (config.preferHrr) {
    need.push(["HelloRetryRequest by preference", caps.features.serverPreferenceHrr]);
  }
  for (const s of config.cipherSuites ?? []) need.push([s, caps.cipherSuites[s]]);
  if (config.cipherSuites) {
    need.push(["choosing cipher suites", caps.features.cipherSuiteSelection]);
  }
  if (config.certificate && (role === "server" || config.clientAuth)) {
    need.push([`${config.certificate} certificate`, caps.certificates[config.certificate]]);
  }
  if (config.clientAuth) need.push(["client certificates", caps.features.clientAuth]);
  if (config.psk) {
    need.push([
      "external PSK",
      config.psk.imported ? caps.features.importedPsk : caps.features.externalPsk,
    ]);
    need.push([
      config.psk.mode,
      config.psk.mode === "psk_ke" ? caps.features.pskKe : caps.features.pskDheKe,
    ]);
    if (config.psk.hash === "sha384") need.push(["SHA-384 PSK", caps.features.pskSha384]);
  }
  if (config.resume) need.push(["resumption", caps.features.resumption]);
  if (config.earlyData !== undefined || config.maxEarlyData) {
    need.push(["0-RTT", caps.features.earlyData]);
  }
  if (config.certWithPsk) need.push(["cert_with_extern_psk (RFC 9973)", caps.features.certWithPsk]);
  for (const [what, s] of need) {
    const why = supportReason(s);
    if (why) return `${what}: ${why}`;
  }
  return null;
}
