// Record I/O over a byte stream, shared by both roles: framing and reassembly (wire.ts), record
// protection (record.ts), the middlebox-compatibility CCS rule, alerts, KeyUpdate and
// close_notify, and the annotated transcript of every record. The handshake state machines
// (client.ts, server.ts) only see whole handshake messages and decide what they mean.

import { TlsAlert } from "./alert.ts";
import { concat } from "./codec.ts";
import { type Hooks, NO_HOOKS, type RecordPlan } from "./hooks.ts";
import { nextTrafficSecret } from "./keyschedule.ts";
import {
  type BodyOf,
  type DecodedHandshake,
  decodeHandshake,
  encodeHandshake,
  type Handshake,
  messageName,
} from "./messages.ts";
import { type AlertName, ALERTS, CONTENT_TYPES, nameOf } from "./names.ts";
import { plaintextRecord, RecordProtection } from "./record.ts";
import type { Field } from "./summary.ts";
import { TranscriptLog } from "./transcript.ts";
import {
  decodeAlert,
  HandshakeAssembler,
  MAX_PLAINTEXT,
  RecordSplitter,
  type WireRecord,
} from "./cleartext.ts";

/** What a connection runs over: a Deno.Conn, or one end of `memoryPipe()`. */
export interface Transport {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

/** The peer closed the stream without an alert (not a TLS alert, so not a TlsAlert). */
export class PeerClosed extends Error {
  constructor(when: string) {
    super(`peer closed the connection ${when}`);
    this.name = "PeerClosed";
  }
}

const CT = CONTENT_TYPES;
/** The record types TLS 1.3 defines (RFC 9846 §5.1); anything else is unexpected_message. */
const KNOWN_TYPES = new Set<number>([
  CT.change_cipher_spec,
  CT.alert,
  CT.handshake,
  CT.application_data,
]);

/** RFC 9846 §5.1: no other record between the fragments of one handshake message. */
const interleaved = (type: number) =>
  new TlsAlert(
    "unexpected_message",
    `${nameOf(CT, type)} record between the fragments of a handshake message (RFC 9846 §5.1)`,
  );

/** RFC 9846 §5.1, §5.4: Handshake and Alert records never have empty content. */
const empty = (type: number) =>
  new TlsAlert(
    "unexpected_message",
    `${nameOf(CT, type)} record with zero-length content (RFC 9846 §5.4)`,
  );

interface OutgoingMessage {
  bytes: Uint8Array;
  name: string;
  fields: Field[];
}

export class Connection {
  readonly log = new TranscriptLog();
  private readonly splitter = new RecordSplitter();
  private readonly assembler = new HandshakeAssembler();
  private readonly inbox: WireRecord[] = [];
  private readonly received: DecodedHandshake[] = [];
  private readonly handshakeOut: OutgoingMessage[] = [];
  /** Records waiting for flush(); each is logged when it is actually written. */
  private readonly outgoing: { bytes: Uint8Array; log: () => void }[] = [];
  private readKey: RecordProtection | null = null;
  private writeKey: RecordProtection | null = null;
  private keyUpdates = { read: 0, write: 0 };
  private closed = false;

  /** While true, one plaintext ChangeCipherSpec (0x01) from the peer is dropped (§5, E.4). */
  acceptCcs = false;
  /** legacy_record_version of plaintext records: 0x0301 for the first ClientHello (§5.1). */
  recordVersion = 0x0303;
  bytesSent = 0;
  bytesReceived = 0;
  /** The alert that ended the connection, sent or received. */
  alert: { name: AlertName; direction: "sent" | "received" } | null = null;
  peerClosed = false;
  /** Set once the handshake is done: post-handshake messages are handled here. */
  established = false;
  /** Client: where NewSessionTickets go after the handshake (none: they are read and dropped). */
  onTicket: ((ticket: BodyOf<"new_session_ticket">) => void) | null = null;
  /**
   * Server that rejected 0-RTT: how many more bytes of the client's early data records to skip
   * (records that do not open under the current key, or arrive before any key) (RFC 9846
   * §4.3.10). Zero once a record opens.
   */
  skipEarlyData = 0;

  constructor(
    readonly transport: Transport,
    readonly role: "client" | "server",
    readonly hooks: Hooks = NO_HOOKS,
  ) {}

  // ------------------------------------------------------------ reading

  private async nextRecord(): Promise<WireRecord | null> {
    while (this.inbox.length === 0) {
      // Before waiting for the rest of a record, judge what its header already says: input that
      // is not TLS (an SSLv2-format hello, an HTTP request) is answered now, not after the bytes
      // its "length" promises, which may never come.
      const header = this.splitter.partialHeader;
      if (header) this.checkHeader(header.contentType, header.length);
      const buf = new Uint8Array(32 * 1024);
      let n: number | null;
      try {
        n = await this.transport.read(buf);
      } catch {
        n = null; // a reset is the same as a close for our purposes
      }
      if (n === null) return null;
      this.bytesReceived += n;
      try {
        this.inbox.push(...this.splitter.feed(buf.subarray(0, n)));
      } catch (e) {
        // A type TLS does not define says more than the length after it ("HTTP/" reads as a
        // 20,527-byte record): unexpected_message first, record_overflow for real TLS headers.
        const header = this.splitter.partialHeader;
        if (header) this.checkHeader(header.contentType, null);
        throw e;
      }
    }
    const rec = this.inbox.shift()!;
    try {
      this.checkHeader(rec.contentType, rec.fragment.length);
    } catch (e) {
      this.log.record("received", rec, null, { contentType: rec.contentType });
      throw e;
    }
    return rec;
  }

  /**
   * What a record header alone shows is wrong, given where we are (RFC 9846 §5.1, §5.2): a type
   * TLS does not define, a plaintext record over 2^14 bytes, an empty handshake or alert record,
   * an alert that is not one two-byte message, a record that cannot come now. `length` is null
   * while only the type byte has arrived.
   */
  private checkHeader(type: number, length: number | null): void {
    if (!KNOWN_TYPES.has(type)) {
      const hint = type & 0x80
        ? " (the first byte of an SSLv2-format hello)"
        : type >= 0x20 && type < 0x7f
        ? ` ("${String.fromCharCode(type)}": text, not a TLS record)`
        : "";
      throw new TlsAlert(
        "unexpected_message",
        `record of type ${type} (0x${type.toString(16).padStart(2, "0")}), which TLS does not ` +
          `define${hint} (RFC 9846 §5)`,
      );
    }
    // Protected records all travel as application_data; what they hold is checked once opened.
    if (type === CT.application_data && (this.readKey || this.skipEarlyData > 0)) return;
    if (type === CT.application_data) {
      throw new TlsAlert(
        "unexpected_message",
        "application_data record before the handshake keys are in place",
      );
    }
    if (type === CT.handshake && this.readKey) {
      throw new TlsAlert(
        "unexpected_message",
        "plaintext handshake record after encryption started",
      );
    }
    if (this.assembler.partial && type !== CT.handshake && type !== CT.alert) {
      throw interleaved(type);
    }
    if (type === CT.change_cipher_spec && !this.acceptCcs) {
      throw new TlsAlert(
        "unexpected_message",
        "ChangeCipherSpec outside the middlebox-compatibility window (RFC 9846 §5)",
      );
    }
    if (length === null) return;
    if (length > MAX_PLAINTEXT) {
      throw new TlsAlert(
        "record_overflow",
        `plaintext ${nameOf(CT, type)} record of ${length} bytes, over 2^14 (RFC 9846 §5.1)`,
      );
    }
    if (length === 0 && (type === CT.handshake || type === CT.alert)) throw empty(type);
    if (type === CT.alert && length !== 2) {
      throw new TlsAlert(
        "decode_error",
        `alert record of ${length} bytes: a record with an Alert type holds exactly one ` +
          `two-byte alert (RFC 9846 §5.1)`,
      );
    }
    if (type === CT.change_cipher_spec && length !== 1) {
      throw new TlsAlert("unexpected_message", `ChangeCipherSpec record of ${length} bytes, not 1`);
    }
  }

  /**
   * The next record's real content: protected records opened, the one allowed CCS dropped,
   * alerts raised as TlsAlert (close_notify returns null), null at end of stream.
   */
  private async readContent(): Promise<{ type: number; content: Uint8Array } | null> {
    for (;;) {
      const rec = await this.nextRecord();
      if (!rec) return null;
      let type = rec.contentType;
      let content = rec.fragment;
      let protection: string | null = null;
      if (type === CT.change_cipher_spec) {
        // Its window, its length and its place between messages were checked with the header.
        this.log.record("received", rec, null, { contentType: type });
        if (content[0] !== 1) {
          throw new TlsAlert("unexpected_message", `ChangeCipherSpec of 0x${content[0]}, not 0x01`);
        }
        continue;
      }
      if (type === CT.application_data && this.skipEarlyData > 0 && this.skipped(rec)) continue;
      if (type === CT.application_data && this.readKey) {
        protection = this.readKey.label;
        ({ contentType: type, content } = this.readKey.open(rec));
        this.skipEarlyData = 0;
        // What the protection hid, checked as the header checks a plaintext record: no
        // protected CCS, no other record inside a handshake message, no empty alert or handshake.
        let wrong: TlsAlert | null = null;
        if (type === CT.change_cipher_spec) {
          wrong = new TlsAlert("unexpected_message", "encrypted ChangeCipherSpec record");
        } else if (!KNOWN_TYPES.has(type)) {
          wrong = new TlsAlert("unexpected_message", `protected record of inner type ${type}`);
        } else if (this.assembler.partial && type !== CT.handshake && type !== CT.alert) {
          wrong = interleaved(type);
        } else if (content.length === 0 && (type === CT.handshake || type === CT.alert)) {
          wrong = empty(type);
        }
        if (wrong) {
          this.log.record("received", rec, protection, { contentType: type });
          throw wrong;
        }
      }
      // Plaintext records passed checkHeader; plaintext alerts are accepted at any time, since a
      // peer that failed before it had keys can only send one in the clear.
      if (type === CT.handshake) {
        this.receiveHandshake(rec, protection, content);
      } else if (type === CT.alert) {
        this.log.record("received", rec, protection, { contentType: type, content });
        this.receiveAlert(content);
        return null;
      } else {
        this.log.record("received", rec, protection, { contentType: type, content });
      }
      return { type, content };
    }
  }

  /** Rejected 0-RTT: drops `rec` if it cannot be opened and the skip budget covers it. */
  private skipped(rec: WireRecord): boolean {
    if (this.readKey) {
      const seq = this.readKey.seq;
      try {
        this.readKey.open(rec);
        this.readKey.seq = seq; // it opens: not early data; readContent opens it again
        return false;
      } catch {
        this.readKey.seq = seq;
      }
    }
    if (rec.fragment.length > this.skipEarlyData) {
      throw new TlsAlert(
        "unexpected_message",
        `more rejected early data than max_early_data_size allows (${this.skipEarlyData} left)`,
      );
    }
    this.skipEarlyData -= rec.fragment.length;
    this.log.record("received", rec, "early (rejected, skipped)", {
      contentType: CT.application_data,
    });
    return true;
  }

  /**
   * Server with 0-RTT accepted: the next piece of early application data, or null when the next
   * thing is a handshake message (EndOfEarlyData, left for readHandshake).
   */
  async readEarlyData(): Promise<Uint8Array | null> {
    while (this.received.length === 0) {
      const got = await this.readContent();
      if (!got) throw new PeerClosed("during 0-RTT");
      if (got.type === CT.application_data) return got.content;
    }
    return null;
  }

  private receiveHandshake(rec: WireRecord, protection: string | null, content: Uint8Array) {
    const messages: { name: string; fields: Field[] }[] = [];
    try {
      for (const { bytes, offset } of this.assembler.add(content)) {
        const decoded = decodeHandshake(bytes, offset);
        this.received.push(decoded);
        messages.push({ name: messageName(decoded.message), fields: decoded.fields });
      }
    } finally {
      this.log.record("received", rec, protection, { contentType: CT.handshake, messages });
    }
  }

  private receiveAlert(content: Uint8Array): never | void {
    const alert = decodeAlert(content);
    // An unknown code keeps its hex name ("0x..") so the report says what actually arrived.
    const name = alert.description as AlertName;
    // user_canceled is a closure alert (RFC 8446 §6.1). After the handshake it ends the stream as
    // close_notify does: JSSE sends it, then close_notify, whenever it closes a TLS 1.3 socket.
    if (name === "user_canceled" && this.established) {
      this.peerClosed = true;
      return;
    }
    this.alert = { name, direction: "received" };
    if (name === "close_notify") {
      this.peerClosed = true;
      return;
    }
    throw TlsAlert.fromWire(alert.code);
  }

  /**
   * After the peer closed on us: reads what it sent before closing, for up to `ms`, so that an
   * alert it sent (and its name in our summary) is not lost. Anything else is dropped.
   */
  async readPendingAlert(ms = 1000): Promise<void> {
    if (this.alert) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(resolve, ms, null)));
    try {
      while (await Promise.race([this.readContent(), timeout])) {
        // skip records until the alert (readContent throws it) or the end
      }
    } catch {
      // a received alert is recorded in this.alert by receiveAlert; other errors do not matter
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next handshake message. Anything else here is unexpected_message. */
  async readHandshake(): Promise<DecodedHandshake> {
    while (this.received.length === 0) {
      const got = await this.readContent();
      if (!got) {
        if (this.peerClosed) {
          throw new TlsAlert("close_notify", "peer sent close_notify during the handshake", true);
        }
        throw new PeerClosed("during the handshake");
      }
      if (got.type === CT.application_data) {
        throw new TlsAlert("unexpected_message", "application data before the handshake finished");
      }
    }
    return this.received.shift()!;
  }

  /** Application data, or null once the peer has closed. Handles post-handshake messages. */
  async read(): Promise<Uint8Array | null> {
    for (;;) {
      while (this.received.length > 0) await this.postHandshake(this.received.shift()!);
      if (this.peerClosed) return null;
      const got = await this.readContent();
      if (!got) return null;
      if (got.type === CT.application_data) return got.content;
    }
  }

  private async postHandshake(m: DecodedHandshake): Promise<void> {
    const msg = m.message;
    if (msg.type === "key_update") {
      if (this.assembler.partial || this.received.length > 0) {
        throw new TlsAlert("unexpected_message", "KeyUpdate not aligned with a record boundary");
      }
      this.updateReadKey();
      if (msg.body.updateRequested) await this.keyUpdate(false);
      return;
    }
    if (msg.type === "new_session_ticket" && this.role === "client") {
      this.onTicket?.(msg.body);
      return;
    }
    throw new TlsAlert("unexpected_message", `${messageName(msg)} after the handshake`);
  }

  // ------------------------------------------------------------ keys

  /** Installs the key for the peer's next records; a message may not straddle the change. */
  setReadKey(key: RecordProtection): void {
    if (this.assembler.partial || this.received.length > 0) {
      throw new TlsAlert(
        "unexpected_message",
        "handshake data continues in the same record across a key change (RFC 9846 §5.1)",
      );
    }
    this.readKey = key;
  }

  setWriteKey(key: RecordProtection | null): void {
    this.commitHandshake();
    this.writeKey = key;
  }

  private updateReadKey(): void {
    const k = this.readKey!;
    this.keyUpdates.read++;
    this.readKey = new RecordProtection(
      k.suite,
      nextTrafficSecret(k.suite, k.secret),
      `application ${this.keyUpdates.read}`,
    );
  }

  /** Sends KeyUpdate and switches our write key; `requestPeer` asks the peer to update too. */
  async keyUpdate(requestPeer: boolean): Promise<void> {
    this.sendHandshake({ type: "key_update", body: { updateRequested: requestPeer } });
    await this.flush();
    const k = this.writeKey!;
    this.keyUpdates.write++;
    this.writeKey = new RecordProtection(
      k.suite,
      nextTrafficSecret(k.suite, k.secret),
      `application ${this.keyUpdates.write}`,
    );
  }

  // ------------------------------------------------------------ writing

  /** Queues a handshake message for the current flight; returns its bytes for the transcript hash. */
  sendHandshake(message: Handshake): Uint8Array {
    const m = this.hooks.handshake ? this.hooks.handshake(message) : message;
    const bytes = encodeHandshake(m);
    let fields: Field[] = [];
    try {
      fields = decodeHandshake(bytes).fields;
    } catch {
      // A hook may send something undecodable on purpose; it is still sent and logged as bytes.
    }
    this.handshakeOut.push({ bytes, name: messageName(m), fields });
    return bytes;
  }

  /** Turns queued handshake messages into records under the current write key. */
  private commitHandshake(): void {
    if (this.handshakeOut.length === 0) return;
    const content = concat(...this.handshakeOut.map((m) => m.bytes));
    const starts: number[] = [];
    let at = 0;
    for (const m of this.handshakeOut) {
      starts.push(at);
      at += m.bytes.length;
    }
    const messages = this.handshakeOut.map((m, i) => ({ ...m, start: starts[i] }));
    this.handshakeOut.length = 0;
    this.writeRecords(CT.handshake, content, messages);
  }

  private writeRecords(
    type: number,
    content: Uint8Array,
    messages: (OutgoingMessage & { start: number })[] = [],
  ): void {
    const key = this.writeKey?.label ?? null;
    const plan: RecordPlan[] = this.hooks.records?.(type, content.length, key) ??
      chunkSizes(content.length).map((size) => ({ size }));
    let at = 0;
    for (const piece of plan) {
      if ("insert" in piece) {
        this.queueRecord(piece.insert.contentType, piece.insert.content, 0, []);
        continue;
      }
      const inRecord = messages.filter((m) => m.start >= at && m.start < at + piece.size);
      this.queueRecord(
        type,
        content.subarray(at, at + piece.size),
        piece.padding ?? 0,
        inRecord.map((m) => ({
          name: m.name,
          fields: m.fields.map((f) => shiftField(f, m.start - at)),
        })),
      );
      at += piece.size;
    }
  }

  /** One record under the current write key (or in the clear), logged when it is written. */
  private queueRecord(
    type: number,
    content: Uint8Array,
    padding: number,
    messages: { name: string; fields: Field[] }[],
  ): void {
    const bytes = this.writeKey
      ? this.writeKey.seal(type, content, padding)
      : plaintextRecord(type, content, this.recordVersion);
    const wire: WireRecord = {
      contentType: bytes[0],
      legacyVersion: (bytes[1] << 8) | bytes[2],
      fragment: bytes.subarray(5),
      bytes,
    };
    const protection = this.writeKey?.label ?? null;
    const inner = { contentType: type, content, messages };
    this.outgoing.push({ bytes, log: () => this.log.record("sent", wire, protection, inner) });
  }

  /** The middlebox-compatibility ChangeCipherSpec: always a plaintext 14 03 03 00 01 01. */
  sendCcs(): void {
    this.commitHandshake();
    const bytes = plaintextRecord(CT.change_cipher_spec, new Uint8Array([1]));
    const wire = {
      contentType: bytes[0],
      legacyVersion: 0x0303,
      fragment: bytes.subarray(5),
      bytes,
    };
    this.outgoing.push({
      bytes,
      log: () => this.log.record("sent", wire, null, { contentType: CT.change_cipher_spec }),
    });
  }

  /** Writes everything queued, cut into transport writes as the hooks say (default: one). */
  async flush(): Promise<void> {
    this.commitHandshake();
    if (this.outgoing.length === 0) return;
    for (const r of this.outgoing) r.log();
    const bytes = concat(...this.outgoing.map((r) => r.bytes));
    this.outgoing.length = 0;
    for (const piece of this.hooks.writes?.(bytes) ?? [bytes]) {
      let at = 0;
      try {
        while (at < piece.length) at += await this.transport.write(piece.subarray(at));
      } catch {
        throw new PeerClosed("while we were writing");
      }
      this.bytesSent += piece.length;
    }
  }

  async write(data: Uint8Array): Promise<void> {
    this.writeRecords(CT.application_data, data);
    await this.flush();
  }

  /** Sends an alert (best effort: the peer may be gone) and records it. */
  async sendAlert(name: AlertName): Promise<void> {
    if (name !== "close_notify" || !this.alert) this.alert = { name, direction: "sent" };
    try {
      this.handshakeOut.length = 0;
      this.writeRecords(CT.alert, new Uint8Array([name === "close_notify" ? 1 : 2, ALERTS[name]]));
      await this.flush();
    } catch {
      // the transport may already be closed; the alert is recorded either way
    }
  }

  /** close_notify, then close the transport. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.writeKey || this.alert === null) await this.sendAlert("close_notify");
    try {
      this.transport.close();
    } catch {
      // already closed
    }
  }

  /** Closes the transport without a TLS goodbye (after a fatal alert). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.transport.close();
    } catch {
      // already closed
    }
  }
}

function chunkSizes(length: number): number[] {
  if (length === 0) return [0];
  const out: number[] = [];
  for (let left = length; left > 0; left -= MAX_PLAINTEXT) out.push(Math.min(left, MAX_PLAINTEXT));
  return out;
}

function shiftField(f: Field, by: number): Field {
  return { ...f, offset: f.offset + by, children: f.children?.map((c) => shiftField(c, by)) };
}

/** Moves the head of a queue of written chunks into `p` (as much as fits); the count moved. */
export function takeQueued(chunks: Uint8Array[], p: Uint8Array): number {
  const chunk = chunks[0];
  const n = Math.min(p.length, chunk.length);
  p.set(chunk.subarray(0, n));
  if (n === chunk.length) chunks.shift();
  else chunks[0] = chunk.subarray(n);
  return n;
}

/** Two connected in-memory transports (tests, fuzzing, benchmarks). */
export function memoryPipe(): [Transport, Transport] {
  const make = () => ({
    chunks: [] as Uint8Array[],
    waiter: null as (() => void) | null,
    closed: false,
  });
  const a = make();
  const b = make();
  const end = (inbox: ReturnType<typeof make>, outbox: ReturnType<typeof make>): Transport => ({
    async read(p) {
      while (inbox.chunks.length === 0) {
        if (inbox.closed) return null;
        await new Promise<void>((resolve) => (inbox.waiter = resolve));
      }
      return takeQueued(inbox.chunks, p);
    },
    write(p) {
      if (outbox.closed) return Promise.reject(new Error("pipe closed"));
      outbox.chunks.push(p.slice());
      outbox.waiter?.();
      outbox.waiter = null;
      return Promise.resolve(p.length);
    },
    close() {
      for (const box of [inbox, outbox]) {
        box.closed = true;
        box.waiter?.();
        box.waiter = null;
      }
    },
  });
  return [end(a, b), end(b, a)];
}
