// The contract between the runner and every implementation: what a case asks of one side
// (EndpointConfig), what an implementation can do (Capabilities), how it is started (ProcessSpec)
// and what it says happened (PeerReport). Implementations are data plus three small functions.

import type {
  AlertName,
  CertKind,
  CipherSuiteName,
  GroupName,
  PskModeName,
  SignatureSchemeName,
} from "../tls/names.ts";

export const IMPL_IDS = ["ts", "openssl", "boringssl", "rustls", "wolfssl"] as const;
export type ImplId = typeof IMPL_IDS[number];
export type Role = "client" | "server";

/** An external PSK as provisioned on both sides (RFC 9846 §4.3.11). */
export interface ExternalPsk {
  identity: string;
  keyHex: string;
  hash: "sha256" | "sha384";
  mode: PskModeName;
  /** Use it through the RFC 9258 importer ("imp binder") instead of as a raw external PSK. */
  imported?: boolean;
}

/**
 * What a case asks of one side. Every field is optional: absent means "the implementation's own
 * default", which is how the out-of-the-box negotiation cases are expressed.
 */
export interface EndpointConfig {
  /** supported_groups in order (client) or preference order (server). */
  groups?: GroupName[];
  /** Client: the groups that get a key share in the first ClientHello ([] = none). */
  keyShares?: GroupName[];
  /**
   * Server: when the client's shares do not include the server's first preference among the
   * client's groups, ask for it by HelloRetryRequest instead of accepting an offered share.
   */
  preferHrr?: boolean;
  cipherSuites?: CipherSuiteName[];
  /** Server: the certificate to present. Client: the certificate to present when asked. */
  certificate?: CertKind;
  /** Signature schemes offered (client) or accepted; default = implementation default. */
  signatureSchemes?: SignatureSchemeName[];
  /** Server: send CertificateRequest. Client: have a certificate ready (uses `certificate`). */
  clientAuth?: boolean;
  psk?: ExternalPsk;
  /** Client: connect twice, the second connection resumes. Server: issue tickets. */
  resume?: boolean;
  /** Client: the second (resumed) connection uses these groups instead. */
  resumeGroups?: GroupName[];
  /** Client: send this text as 0-RTT data on the resumed connection. Server: accept 0-RTT. */
  earlyData?: string;
  /** Server: max_early_data_size it announces (0 = reject early data). */
  maxEarlyData?: number;
  /**
   * RFC 9973 tls_cert_with_extern_psk. Client: "require" aborts when the server does not echo it,
   * "allow" accepts a plain PSK handshake. Server: "allow" echoes it when offered.
   */
  certWithPsk?: "require" | "allow";
  /**
   * Reference peer only: a named misbehaviour hook from src/tls/adversary.ts, for conformance
   * cases. Other implementations never get this field (cases restrict that side to "ts").
   */
  hook?: { name: string; params?: Record<string, string | number | boolean> };
}

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
] as const;
export type Feature = typeof FEATURES[number];

export interface Capabilities {
  /** Every group in GROUP_NAMES: true or why not. */
  groups: Record<GroupName, Support>;
  cipherSuites: Record<CipherSuiteName, Support>;
  /** Server certificates it can present, and verify as a client. */
  certificates: Record<CertKind, Support>;
  features: Record<Feature, Support>;
}

/** Paths as seen by the process (inside its container for library peers). */
export interface PkiPaths {
  caCert: string;
  /** Leaf certificate + key per kind; the leaf file holds the leaf only (CA is caCert). */
  leaf: Record<CertKind, { cert: string; key: string; chain: string }>;
}

export interface CellContext {
  /** Where the server listens, or where the client connects (both on 127.0.0.1). */
  port: number;
  serverName: "localhost";
  pki: PkiPaths;
  /** A short unique token: scratch file names, the line the client sends. */
  token: string;
  /** A writable directory for the process (session files, tickets). */
  scratch: string;
}

export interface ProcessSpec {
  argv: string[];
  env?: Record<string, string>;
  /** Server: a line matching this on stdout/stderr means it is listening. */
  ready?: RegExp;
  /** Text written to the process' stdin (clients that read the request from stdin). */
  stdin?: string;
}

/**
 * What one side says happened, parsed from its output. `null` means "this program does not say",
 * which is different from false; the judge only compares what was said.
 */
export interface PeerReport {
  ok: boolean;
  version: string | null;
  group: GroupName | null;
  cipherSuite: CipherSuiteName | null;
  helloRetryRequest: boolean | null;
  resumed: boolean | null;
  pskMode: PskModeName | null;
  pskIdentity: string | null;
  earlyData: "accepted" | "rejected" | null;
  certWithPsk: boolean | null;
  /** Name of the alert sent or received on failure. */
  alert: AlertName | null;
  /** Free text from the program when it failed. */
  error: string | null;
  /** Reports for further connections (the resumed one with `resume`). */
  next?: PeerReport[];
}

/** A failed connection about which nothing is known but `error` (nothing was reported). */
export function failedReport(error: string | null): PeerReport {
  return {
    ok: false,
    version: null,
    group: null,
    cipherSuite: null,
    helloRetryRequest: null,
    resumed: null,
    pskMode: null,
    pskIdentity: null,
    earlyData: null,
    certWithPsk: null,
    alert: null,
    error,
  };
}

/**
 * One report per connection, in order (at least one): the first, with the later ones (the
 * resumed connection) as `next`.
 */
export function chained(reports: PeerReport[]): PeerReport {
  const [first, ...next] = reports;
  return next.length ? { ...first, next } : first;
}

export interface Provenance {
  id: ImplId;
  name: string;
  /** The exact library version, e.g. "OpenSSL 3.5.4 30 Sep 2025". */
  version: string;
  /** Configure/build flags or features. */
  build: string;
  /** Debian package versions or crate versions that went into the image. */
  packages: Record<string, string>;
  /** Image id (sha256:…) and tag, or null for the host-side TypeScript peer. */
  image: { id: string; tag: string } | null;
}

export interface Implementation {
  id: ImplId;
  name: string;
  /** Directory under containers/ holding its Dockerfile, or null (runs on the host). */
  container: string | null;
  capabilities: Capabilities;
  /** Extra refusals that depend on a combination, beyond the capability tables. */
  refuse?(role: Role, config: EndpointConfig): string | null;
  server(config: EndpointConfig, ctx: CellContext): ProcessSpec;
  client(config: EndpointConfig, ctx: CellContext): ProcessSpec;
  parse(role: Role, output: { stdout: string; stderr: string; code: number | null }): PeerReport;
}
