// What the wire tap saw between the two programs of a cell: the cleartext part of the handshake
// decoded, the rest counted. The wire is the source of truth where it can see.

import type { AlertName, CipherSuiteName, GroupName, Role } from "../tls/names.ts";
import type { KeyShareInfo, TranscriptEntry } from "../tls/summary.ts";

/** What the wire tap saw in the cleartext part of the handshake. */
export interface WireObservation {
  groupsOffered: (GroupName | string)[];
  keySharesOffered: KeyShareInfo[];
  /** Selected group from the ServerHello (null when psk_ke or no ServerHello). */
  selectedGroup: GroupName | string | null;
  serverShareSize: number | null;
  helloRetryRequest: boolean;
  /** Group asked for by the HelloRetryRequest. */
  hrrGroup: GroupName | string | null;
  cipherSuite: CipherSuiteName | string | null;
  pskOffered: number;
  pskSelected: number | null;
  certWithPskOffered: boolean;
  certWithPskEchoed: boolean;
  earlyDataOffered: boolean;
  /** Alerts seen in clear (before encryption started). */
  alerts: { from: Role; level: string; alert: AlertName | string }[];
  bytes: { clientToServer: number; serverToClient: number };
  segments: { clientToServer: number; serverToClient: number };
  /** The first flight of each side: records and bytes. */
  flights: { from: Role; bytes: number; segments: number; records: number }[];
  /** Milliseconds from the client's first byte to the server's first byte, and to the close. */
  timings: { firstServerByteMs: number | null; closedMs: number | null };
  /** Every record that crossed, annotated where cleartext. Bounded. */
  transcript: TranscriptEntry[];
  /** Second and later connections through the same tap (resumption). */
  connections: number;
}
