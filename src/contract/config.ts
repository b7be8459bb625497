// What a case asks of one side of a cell: the configuration every implementation is started with.
// Every field is optional: absent means "the implementation's own default", which is how the
// out-of-the-box negotiation cases are expressed. docs/peer-contract.md is this, as flags.

import type {
  CertKind,
  CipherSuiteName,
  GroupName,
  PskModeName,
  SignatureSchemeName,
} from "../tls/names.ts";

/** An external PSK as provisioned on both sides (RFC 9846 §4.3.11). */
export interface ExternalPsk {
  identity: string;
  keyHex: string;
  hash: "sha256" | "sha384";
  mode: PskModeName;
  /** Use it through the RFC 9258 importer ("imp binder") instead of as a raw external PSK. */
  imported?: boolean;
}

/** A named misbehaviour of the reference peer (src/adversary/), for conformance cases. */
export interface MisbehaviourSpec {
  name: string;
  params?: Record<string, string | number | boolean>;
}

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
   * Reference peer only: misbehave on purpose, for conformance cases. Other implementations never
   * get this field (cases restrict that side to "ts").
   */
  misbehave?: MisbehaviourSpec;
}

/** The certificate a server presents when the case does not name one. */
export const DEFAULT_CERTIFICATE: CertKind = "ecdsa-p256";
