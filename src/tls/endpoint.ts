// What a client and a server have in common once the handshake state machine is set aside:
// running the handshake with one error path (send the alert, record it, close), the application
// data API, and the ConnectionSummary every connection yields, successful or not.

import { TlsAlert } from "./alert.ts";
import { Connection, PeerClosed, type Transport } from "./connection.ts";
import type { Hooks } from "./hooks.ts";
import { type Handshake, type HandshakeType, messageName } from "./messages.ts";
import type {
  CipherSuiteName,
  GroupName,
  PskModeName,
  Role,
  SignatureSchemeName,
} from "./names.ts";
import type {
  CertificateInfo,
  ConnectionSummary,
  KeyShareInfo,
  TranscriptEntry,
} from "./summary.ts";

/** The negotiated facts the state machines fill in as they learn them. */
export interface Negotiated {
  cipherSuite: CipherSuiteName | null;
  group: GroupName | null;
  helloRetryRequest: boolean;
  hrrReason: string | null;
  groupsOffered: (GroupName | string)[];
  keySharesOffered: KeyShareInfo[];
  keyShareSelected: { group: GroupName; client: number; server: number } | null;
  signatureScheme: SignatureSchemeName | null;
  peerCertificate: CertificateInfo | null;
  /** The leaf we presented. */
  certificate: CertificateInfo | null;
  clientCertificate: boolean;
  resumed: boolean;
  pskMode: PskModeName | null;
  /** The external PSK's identity as text (null for tickets and for no PSK). */
  pskIdentity: string | null;
  earlyData: "accepted" | "rejected" | null;
  certWithPsk: boolean;
}

export abstract class TlsEndpoint {
  readonly conn: Connection;
  protected readonly negotiated: Negotiated = {
    cipherSuite: null,
    group: null,
    helloRetryRequest: false,
    hrrReason: null,
    groupsOffered: [],
    keySharesOffered: [],
    keyShareSelected: null,
    signatureScheme: null,
    peerCertificate: null,
    certificate: null,
    clientCertificate: false,
    resumed: false,
    pskMode: null,
    pskIdentity: null,
    earlyData: null,
    certWithPsk: false,
  };
  /** 0-RTT data the server accepted, handed to the application before anything else. */
  protected readonly earlyReceived: Uint8Array[] = [];
  private handshakeMs: number | null = null;
  private error: string | null = null;

  constructor(transport: Transport, readonly role: Role, hooks?: Hooks) {
    this.conn = new Connection(transport, role, hooks);
  }

  protected abstract runHandshake(): Promise<void>;

  /**
   * Runs the handshake. On failure the alert is sent (unless the peer sent one), the transport
   * closed, and the error rethrown: a TlsAlert, or PeerClosed when the stream just ended.
   */
  async handshake(): Promise<void> {
    try {
      await this.runHandshake();
      this.conn.established = true;
      this.handshakeMs = Math.round(this.conn.log.elapsed() * 10) / 10;
    } catch (e) {
      await this.fail(e);
      throw e;
    }
  }

  private async fail(e: unknown): Promise<void> {
    this.error = e instanceof Error ? e.message : String(e);
    if (e instanceof TlsAlert) {
      if (!e.received) await this.conn.sendAlert(e.alert);
    } else if (e instanceof PeerClosed) {
      // The peer may have said why before it closed (e.g. while we were still writing).
      await this.conn.readPendingAlert();
    } else {
      await this.conn.sendAlert("internal_error");
    }
    this.conn.abort();
  }

  /**
   * The 0-RTT data received so far, taken out of the stream, for an application that handles
   * early data apart from what follows the handshake (as the libraries' example servers do).
   */
  takeEarlyData(): Uint8Array[] {
    return this.earlyReceived.splice(0);
  }

  /** Application data; null once the peer has closed. Errors end the connection like above. */
  async read(): Promise<Uint8Array | null> {
    if (this.earlyReceived.length > 0) return this.earlyReceived.shift()!;
    try {
      return await this.conn.read();
    } catch (e) {
      await this.fail(e);
      throw e;
    }
  }

  async write(data: Uint8Array): Promise<void> {
    await this.conn.write(data);
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  get transcript(): TranscriptEntry[] {
    return this.conn.log.entries;
  }

  summary(): ConnectionSummary {
    const n = this.negotiated;
    const alert = this.conn.alert?.name === "close_notify" ? null : this.conn.alert;
    return {
      ok: this.conn.established && !alert,
      role: this.role,
      version: this.conn.established ? "TLSv1.3" : null,
      group: n.group,
      cipherSuite: n.cipherSuite,
      helloRetryRequest: n.helloRetryRequest,
      hrrReason: n.hrrReason,
      resumed: n.resumed,
      pskMode: n.pskMode,
      pskIdentity: n.pskIdentity,
      earlyData: n.earlyData,
      certWithPsk: n.certWithPsk,
      alert: alert?.name ?? null,
      alertDirection: alert?.direction ?? null,
      error: this.error,
      groupsOffered: n.groupsOffered,
      keySharesOffered: n.keySharesOffered,
      keyShareSelected: n.keyShareSelected,
      signatureScheme: n.signatureScheme,
      peerCertificate: n.peerCertificate,
      certificate: n.certificate,
      clientCertificate: n.clientCertificate,
      flights: this.conn.log.flights,
      bytesSent: this.conn.bytesSent,
      bytesReceived: this.conn.bytesReceived,
      handshakeMs: this.handshakeMs,
    };
  }
}

/** Reads the next handshake message; unexpected_message unless it is one of `types`. */
export async function readMessage<T extends HandshakeType>(
  conn: Connection,
  ...types: T[]
): Promise<{ message: Extract<Handshake, { type: T }>; bytes: Uint8Array }> {
  const { message, bytes } = await conn.readHandshake();
  if (!(types as string[]).includes(message.type)) {
    throw new TlsAlert(
      "unexpected_message",
      `expected ${types.join(" or ")}, got ${messageName(message)}`,
    );
  }
  return { message: message as Extract<Handshake, { type: T }>, bytes };
}
