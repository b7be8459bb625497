// How each role of the reference peer is configured, plus the explicit test-only injection used to
// replay RFC 8448 byte for byte. Absent fields mean the defaults below.

import type { Hooks } from "./hooks.ts";
import type { ExternalPskConfig } from "./psk.ts";
import type { TicketIssuer, TicketStore } from "./tickets.ts";
import {
  CIPHER_SUITE_NAMES,
  type CipherSuiteName,
  type GroupName,
  type PskModeName,
  type SignatureSchemeName,
  SUPPORTED_SIGNATURE_SCHEMES,
} from "./names.ts";
import type { SigningKey } from "./signatures.ts";

/** A certificate chain (leaf first, DER) and the leaf's private key. */
export interface Credential {
  chain: Uint8Array[];
  key: SigningKey;
}

/**
 * Values a test pins instead of drawing them at random. Never set outside tests and traces.
 * Seeds follow groups.ts: private scalar / ML-KEM d‖z (client), scalar / encaps randomness (server).
 */
export interface TestInjection {
  random?: Uint8Array;
  sessionId?: Uint8Array;
  keyShareSeeds?: Partial<Record<GroupName, Uint8Array>>;
  /** Server: the cookie to put in a HelloRetryRequest. */
  cookie?: Uint8Array;
  /** The RSA-PSS salt to sign with (PSS is randomized; a trace fixes it). */
  pssSalt?: Uint8Array;
  /** The time certificates are checked against. */
  now?: Date;
}

interface Common {
  cipherSuites?: CipherSuiteName[];
  /** Schemes we accept from the peer (and offer, as a client), in preference order. */
  signatureSchemes?: SignatureSchemeName[];
  /** DER trust anchors for the peer's chain. */
  trustAnchors?: Uint8Array[];
  /** Middlebox compatibility mode (RFC 9846 E.4): session id + dummy CCS. Default true. */
  compatibilityMode?: boolean;
  hooks?: Hooks;
  test?: TestInjection;
}

export interface ClientConfig extends Common {
  /** Sent as SNI (unless an IP address) and checked against the server certificate. */
  serverName?: string;
  /** supported_groups, in order. */
  groups?: GroupName[];
  /** The groups that get a share in the first ClientHello (default: the first of `groups`, or
   * DEFAULT_KEY_SHARES when `groups` is not given). */
  keyShares?: GroupName[];
  /** Presented when the server asks for a certificate. */
  certificate?: Credential;
  /** External PSKs to offer, in this order (RFC 9846 §4.3.11); imported ones become one per hash. */
  psks?: ExternalPskConfig[];
  /** psk_key_exchange_modes to offer with any PSK (default: psk_dhe_ke). */
  pskModes?: PskModeName[];
  /** Tickets: taken from here to resume, and every NewSessionTicket received is put here. */
  tickets?: TicketStore;
  /** The store's key for this server (default: serverName). */
  ticketKey?: string;
  /** 0-RTT data, sent when the ticket we resume with allows early data (RFC 9846 §4.3.10). */
  earlyData?: Uint8Array;
  /**
   * RFC 9973 tls_cert_with_extern_psk: offer it with the external PSKs. "require": abort when the
   * server does not echo it; "allow": accept a plain PSK handshake too.
   */
  certWithPsk?: "require" | "allow";
}

export interface ServerConfig extends Common {
  /** Absent: a PSK-only server (an unknown PSK identity is then unknown_psk_identity). */
  certificate?: Credential;
  /** Preference order. */
  groups?: GroupName[];
  /** HelloRetryRequest for our first preference when the client did not send a share for it. */
  preferHrr?: boolean;
  /** Ask the client for a certificate; "require" answers certificate_required without one. */
  clientAuth?: "none" | "request" | "require";
  /** Put a cookie in HelloRetryRequests (RFC 9846 §4.3.2). */
  hrrCookie?: boolean;
  /** External PSKs we know (raw identities, or imported per RFC 9258). */
  psks?: ExternalPskConfig[];
  /**
   * PSK modes we accept, by preference (default: psk_dhe_ke, then psk_ke). Leaving psk_ke out
   * requires (EC)DHE/KEM: a client offering only psk_ke gets certificates, or handshake_failure.
   */
  pskModes?: PskModeName[];
  /** Our ticket authority: redeems tickets, and issues `ticketCount` after each handshake. */
  tickets?: TicketIssuer;
  ticketCount?: number;
  /** max_early_data_size in our tickets, and what we accept as 0-RTT (0 = reject early data). */
  maxEarlyData?: number;
  /** RFC 9973: echo tls_cert_with_extern_psk (certificate plus external PSK) when offered. */
  certWithPsk?: boolean;
}

export const DEFAULT_GROUPS: GroupName[] = [
  "X25519MLKEM768",
  "x25519",
  "SecP256r1MLKEM768",
  "SecP384r1MLKEM1024",
  "MLKEM768",
  "MLKEM1024",
  "MLKEM512",
  "secp256r1",
  "secp384r1",
];
/** Like browsers: the hybrid plus its classic component, so old servers need no HRR. */
export const DEFAULT_KEY_SHARES: GroupName[] = ["X25519MLKEM768", "x25519"];
export const DEFAULT_SUITES: CipherSuiteName[] = [...CIPHER_SUITE_NAMES];
export const DEFAULT_SCHEMES: SignatureSchemeName[] = [...SUPPORTED_SIGNATURE_SCHEMES];
