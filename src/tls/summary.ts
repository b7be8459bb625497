// What the reference peer tells about each connection: a structured summary (one JSON line from
// the command-line peer) and an annotated transcript a person can read field by field.

import type { PeerReport } from "../peers/types.ts";
import type { GroupName } from "./names.ts";

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

/** The reference peer's full report: the common PeerReport plus what only we can see. */
export interface ConnectionSummary extends PeerReport {
  role: "client" | "server";
  /** Why a HelloRetryRequest happened, e.g. "client offered no share for MLKEM768". */
  hrrReason: string | null;
  groupsOffered: (GroupName | string)[];
  keySharesOffered: KeyShareInfo[];
  /** Size of the share each side sent for the selected group. */
  keyShareSelected: { group: GroupName; client: number; server: number } | null;
  signatureScheme: string | null;
  /** Subject of the certificate the peer presented and verified, if any. */
  peerCertificate: string | null;
  clientCertificate: boolean;
  alertDirection: "sent" | "received" | null;
  flights: Flight[];
  bytesSent: number;
  bytesReceived: number;
  handshakeMs: number | null;
}
