// What can be read off the wire without keys: record framing, handshake message reassembly and
// the cleartext handshake messages (ClientHello, ServerHello/HelloRetryRequest), plus plaintext
// alerts. The reference peer's record layer uses these, and so does the runner's wire tap that
// watches two other programs talk.

import { TlsAlert } from "./alert.ts";
import { concat, Reader } from "./codec.ts";
import { type DecodedHandshake, decodeHandshake } from "./messages.ts";
import { ALERTS, CONTENT_TYPES, nameOf } from "./names.ts";
import type { Field } from "./summary.ts";

export const RECORD_HEADER = 5;
/** Largest plaintext fragment (RFC 9846 §5.1). */
export const MAX_PLAINTEXT = 2 ** 14;
/** Largest protected record body: 2^14 plus 256 bytes of expansion (§5.2). */
export const MAX_CIPHERTEXT = 2 ** 14 + 256;
/** Largest handshake message we buffer: room for ML-DSA-87 chains, bounded against abuse. */
export const MAX_HANDSHAKE = 2 ** 18;

export interface WireRecord {
  contentType: number;
  legacyVersion: number;
  /** The record body (ciphertext when protected). */
  fragment: Uint8Array;
  /** The complete record, header included, as it crossed the wire. */
  bytes: Uint8Array;
}

/** Feed it TCP bytes in whatever pieces they arrive; it returns each complete record once. */
export class RecordSplitter {
  private buffered: Uint8Array = new Uint8Array(0);

  feed(chunk: Uint8Array): WireRecord[] {
    this.buffered = this.buffered.length ? concat(this.buffered, chunk) : chunk.slice();
    const out: WireRecord[] = [];
    while (this.buffered.length >= RECORD_HEADER) {
      const b = this.buffered;
      const length = (b[3] << 8) | b[4];
      if (length > MAX_CIPHERTEXT) {
        throw new TlsAlert(
          "record_overflow",
          `record of ${length} bytes exceeds 2^14+256 (RFC 9846 §5.2)`,
        );
      }
      if (b.length < RECORD_HEADER + length) break;
      const bytes = b.slice(0, RECORD_HEADER + length);
      out.push({
        contentType: b[0],
        legacyVersion: (b[1] << 8) | b[2],
        fragment: bytes.subarray(RECORD_HEADER),
        bytes,
      });
      this.buffered = b.subarray(RECORD_HEADER + length);
    }
    return out;
  }

  /** Bytes of an incomplete record still waiting for the rest. */
  get pending(): number {
    return this.buffered.length;
  }

  /**
   * What is known of the incomplete record waiting for its rest: its content type once its first
   * byte is in, its length once the whole header is. Null when nothing is waiting.
   */
  get partialHeader(): { contentType: number; length: number | null } | null {
    const b = this.buffered;
    if (b.length === 0) return null;
    return { contentType: b[0], length: b.length >= RECORD_HEADER ? (b[3] << 8) | b[4] : null };
  }
}

/**
 * Joins handshake-record fragments into complete handshake messages: a message may span records
 * and a record may carry several messages (RFC 9846 §5.1).
 */
export class HandshakeAssembler {
  private buffered: Uint8Array = new Uint8Array(0);

  /**
   * Adds one handshake record's content; returns the messages it completed (header included),
   * each with its start offset within this fragment (negative when it began in an earlier one).
   */
  add(fragment: Uint8Array): { bytes: Uint8Array; offset: number }[] {
    if (fragment.length === 0) {
      throw new TlsAlert("unexpected_message", "zero-length handshake record (RFC 9846 §5.1)");
    }
    let offset = -this.buffered.length;
    this.buffered = this.buffered.length ? concat(this.buffered, fragment) : fragment.slice();
    const out: { bytes: Uint8Array; offset: number }[] = [];
    while (this.buffered.length >= 4) {
      const b = this.buffered;
      const length = (b[1] << 16) | (b[2] << 8) | b[3];
      if (length > MAX_HANDSHAKE) {
        throw new TlsAlert(
          "decode_error",
          `handshake message of ${length} bytes is larger than we accept (${MAX_HANDSHAKE})`,
        );
      }
      if (b.length < 4 + length) break;
      out.push({ bytes: b.slice(0, 4 + length), offset });
      offset += 4 + length;
      this.buffered = b.subarray(4 + length);
    }
    return out;
  }

  /** True when part of a message is still waiting; a key change now is unexpected_message. */
  get partial(): boolean {
    return this.buffered.length > 0;
  }
}

/** Annotated fields of a record header, offsets from the record's first byte. */
export function recordHeaderFields(rec: WireRecord): Field[] {
  const r = new Reader(rec.bytes.subarray(0, RECORD_HEADER), "record");
  r.u8("content_type", CONTENT_TYPES);
  r.u16("legacy_record_version");
  r.u16("length");
  return r.fields;
}

/**
 * Decodes one complete cleartext handshake message (header included). Meant for ClientHello and
 * ServerHello/HelloRetryRequest, which travel unprotected, but decodes any handshake type.
 * Throws TlsAlert (decode_error, …) on malformed input.
 */
export function decodeCleartextHandshake(bytes: Uint8Array, base = 0): DecodedHandshake & {
  type: DecodedHandshake["message"]["type"];
} {
  if (bytes.length < 4) {
    throw new TlsAlert("decode_error", `handshake message of ${bytes.length} bytes has no header`);
  }
  const decoded = decodeHandshake(bytes, base);
  return { ...decoded, type: decoded.message.type };
}

export interface AlertMessage {
  level: "warning" | "fatal" | string;
  description: string;
  code: number;
  fields: Field[];
}

export function decodeAlert(fragment: Uint8Array, base = 0): AlertMessage {
  const r = new Reader(fragment, "Alert", base);
  const level = r.u8("level", { warning: 1, fatal: 2 });
  const code = r.u8("description", ALERTS);
  r.expectEnd("Alert");
  return {
    level: level === 1 ? "warning" : level === 2 ? "fatal" : String(level),
    description: nameOf(ALERTS, code),
    code,
    fields: r.fields,
  };
}
