// Record protection (RFC 9846 §5.2–5.4): TLSInnerPlaintext = content ‖ real type ‖ zero padding,
// sealed with the suite's AEAD under nonce = iv XOR sequence number, with the 5-byte record header
// as additional data. One RecordProtection per direction and traffic secret.

import { gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { TlsAlert } from "./alert.ts";
import { type CipherSuite, trafficKeys } from "./keyschedule.ts";
import { CONTENT_TYPES } from "./names.ts";
import { MAX_CIPHERTEXT, MAX_PLAINTEXT, RECORD_HEADER, type WireRecord } from "./cleartext.ts";

const TAG = 16;

export function plaintextRecord(contentType: number, fragment: Uint8Array, version = 0x0303) {
  const out = new Uint8Array(RECORD_HEADER + fragment.length);
  out.set([
    contentType,
    version >> 8,
    version & 0xff,
    fragment.length >> 8,
    fragment.length & 0xff,
  ]);
  out.set(fragment, RECORD_HEADER);
  return out;
}

export class RecordProtection {
  private readonly key: Uint8Array;
  private readonly iv: Uint8Array;
  /** Records protected or opened under this key so far; the next record's sequence number. */
  seq = 0;

  /** `label` names the key in transcripts: "handshake", "application", "application 1", … */
  constructor(readonly suite: CipherSuite, readonly secret: Uint8Array, readonly label: string) {
    const k = trafficKeys(suite, secret);
    this.key = k.key;
    this.iv = k.iv;
  }

  private nonce(): Uint8Array {
    const n = this.iv.slice();
    let s = this.seq;
    for (let i = 11; i >= 4 && s > 0; i--) {
      n[i] ^= s % 256;
      s = Math.floor(s / 256);
    }
    this.seq++;
    return n;
  }

  private aead(nonce: Uint8Array, aad: Uint8Array) {
    return this.suite.aead === "aes-gcm"
      ? gcm(this.key, nonce, aad)
      : chacha20poly1305(this.key, nonce, aad);
  }

  /** The complete protected record (outer type application_data, version 0x0303). */
  seal(contentType: number, content: Uint8Array, padding = 0): Uint8Array {
    if (content.length > MAX_PLAINTEXT) {
      throw new Error(`record content of ${content.length} bytes exceeds 2^14`);
    }
    const inner = new Uint8Array(content.length + 1 + padding);
    inner.set(content);
    inner[content.length] = contentType;
    const length = inner.length + TAG;
    const header = new Uint8Array([
      CONTENT_TYPES.application_data,
      3,
      3,
      length >> 8,
      length & 0xff,
    ]);
    const sealed = this.aead(this.nonce(), header).encrypt(inner);
    const out = new Uint8Array(RECORD_HEADER + sealed.length);
    out.set(header);
    out.set(sealed, RECORD_HEADER);
    return out;
  }

  /** Opens a protected record: its real content type and content, padding removed. */
  open(record: WireRecord): { contentType: number; content: Uint8Array } {
    if (record.fragment.length > MAX_CIPHERTEXT) {
      throw new TlsAlert("record_overflow", `protected record of ${record.fragment.length} bytes`);
    }
    if (record.fragment.length < TAG + 1) {
      throw new TlsAlert("bad_record_mac", `protected record of ${record.fragment.length} bytes`);
    }
    let inner: Uint8Array;
    try {
      inner = this.aead(this.nonce(), record.bytes.subarray(0, RECORD_HEADER))
        .decrypt(record.fragment);
    } catch {
      throw new TlsAlert(
        "bad_record_mac",
        `record ${this.seq - 1} under the ${this.label} key failed to decrypt`,
      );
    }
    // The limit counts the padding too: a short message padded past 2^14 + 1 is as much an
    // overflow as a long one (§5.4), and a receiver that buffers it whole must not grow further.
    if (inner.length > MAX_PLAINTEXT + 1) {
      throw new TlsAlert(
        "record_overflow",
        `protected record's TLSInnerPlaintext is ${inner.length} bytes (padding included), ` +
          `over 2^14 + 1 (RFC 9846 §5.4)`,
      );
    }
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    if (end < 0) {
      throw new TlsAlert("unexpected_message", "protected record has no non-zero content type");
    }
    return { contentType: inner[end], content: inner.subarray(0, end) };
  }
}
