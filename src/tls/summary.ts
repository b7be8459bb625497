// What the reference peer tells about each connection: a structured summary (one JSON line from
// the command-line peer) and an annotated transcript a person can read field by field. The
// summary's first part, ConnectionReport, is the peer contract's JSON line (docs/peer-contract.md):
// what any implementation can say about a connection.

import type {
  AlertName,
  CipherSuiteName,
  GroupName,
  PskModeName,
  Role,
  SignatureSchemeName,
} from "./names.ts";

/**
 * One decoded field of a wire structure. Offsets are relative to the start of the record or
 * message the tree belongs to, so a viewer can highlight the exact bytes.
 */
export interface Field {
  name: string;
  offset: number;
  length: number;
  /** The value as a person reads it: a number, a codepoint name, hex for opaque bytes. */
  value?: string;
  /** Why this field matters, e.g. "ML-KEM-768 encapsulation key (1184 bytes)". */
  meaning?: string;
  children?: Field[];
}

/** One record as it crossed the wire, with its decoded content when readable. */
export interface TranscriptEntry {
  direction: "sent" | "received";
  /** Milliseconds since the connection started. */
  at: number;
  contentType: string;
  /** Key the record was protected under ("handshake", "application", …) or null when clear. */
  protection: string | null;
  /** Hex of the record exactly as on the wire. */
  hex: string;
  fields: Field[];
}

export interface KeyShareInfo {
  group: GroupName | string;
  size: number;
}

export interface Flight {
  direction: "sent" | "received";
  messages: string[];
  bytes: number;
  records: number;
}

/** A certificate as one side saw it: its subject, and its key in the PKI's kind names. */
export interface CertificateInfo {
  subject: string;
  /** ecdsa-p256, ecdsa-p384, ed25519, rsa2048, mldsa44, mldsa65, mldsa87, or the key's own name. */
  keyType: string;
}

/** What one side says about one connection: the peer contract's JSON line. */
export interface ConnectionReport {
  /** The handshake completed and the connection closed in order (the echo is checked apart). */
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
  /** The scheme of the server's CertificateVerify (signed, or verified). */
  signatureScheme: SignatureSchemeName | null;
  /** The leaf the peer presented and this side verified. */
  peerCertificate: CertificateInfo | null;
  /** The leaf this side presented. */
  certificate: CertificateInfo | null;
  /** Client: whether the server's answer equalled what was sent. */
  echo?: "matched" | "mismatched" | "none";
  /** The alert that ended the connection, sent or received. */
  alert: AlertName | null;
  alertDirection: "sent" | "received" | null;
  /** Free text from the program when it failed. */
  error: string | null;
  handshakeMs: number | null;
}

/** The reference peer's full report: the contract's line plus what only we can see. */
export interface ConnectionSummary extends ConnectionReport {
  role: Role;
  /** Why a HelloRetryRequest happened, e.g. "client offered no share for MLKEM768". */
  hrrReason: string | null;
  groupsOffered: (GroupName | string)[];
  keySharesOffered: KeyShareInfo[];
  /** Size of the share each side sent for the selected group. */
  keyShareSelected: { group: GroupName; client: number; server: number } | null;
  clientCertificate: boolean;
  flights: Flight[];
  bytesSent: number;
  bytesReceived: number;
}
