// The byte reader and writer every wire structure is built on. The Reader records a Field for
// everything it reads (name, offset, length, value, meaning), so a decoded message explains itself
// and a transcript viewer can point at the exact bytes. Every shortfall is a decode_error that
// names the field, because "the peer sent a truncated X" is the sentence a person needs.

import { TlsAlert } from "./alert.ts";
import { nameOf } from "./names.ts";
import type { Field } from "./summary.ts";

export const toHex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Hex of opaque bytes for a Field value, shortened when long so a transcript stays readable. */
export function shortHex(b: Uint8Array): string {
  return b.length <= 48 ? toHex(b) : `${toHex(b.subarray(0, 24))}…${toHex(b.subarray(-8))}`;
}

type Table = Record<string, number>;

export class Reader {
  private pos = 0;
  /** Fields read at the current nesting level. */
  fields: Field[] = [];

  /**
   * @param bytes the bytes to read
   * @param what the structure's name, used in error messages ("ClientHello")
   * @param base offset of bytes[0] within the record/message the Field offsets refer to
   */
  constructor(readonly bytes: Uint8Array, readonly what: string, readonly base = 0) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  private take(name: string, n: number): Uint8Array {
    if (n > this.remaining) {
      throw new TlsAlert(
        "decode_error",
        `${this.what}: ${name} needs ${n} bytes but only ${this.remaining} remain`,
      );
    }
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private record(name: string, start: number, value?: string, meaning?: string): Field {
    const field: Field = { name, offset: this.base + start, length: this.pos - start };
    if (value !== undefined) field.value = value;
    if (meaning !== undefined) field.meaning = meaning;
    this.fields.push(field);
    return field;
  }

  private uint(name: string, n: number, table?: Table, meaning?: string): number {
    const start = this.pos;
    const b = this.take(name, n);
    let v = 0;
    for (const x of b) v = v * 256 + x;
    this.record(name, start, table ? nameOf(table, v) : String(v), meaning);
    return v;
  }

  u8(name: string, table?: Table, meaning?: string): number {
    return this.uint(name, 1, table, meaning);
  }
  u16(name: string, table?: Table, meaning?: string): number {
    return this.uint(name, 2, table, meaning);
  }
  u24(name: string, meaning?: string): number {
    return this.uint(name, 3, undefined, meaning);
  }
  u32(name: string, meaning?: string): number {
    return this.uint(name, 4, undefined, meaning);
  }

  /** Fixed-length opaque bytes. */
  fixed(name: string, n: number, meaning?: string): Uint8Array {
    const start = this.pos;
    const b = this.take(name, n).slice();
    this.record(name, start, shortHex(b), meaning);
    return b;
  }

  /** Everything left, as opaque bytes. */
  rest(name: string, meaning?: string): Uint8Array {
    return this.fixed(name, this.remaining, meaning);
  }

  /**
   * A length-prefixed vector `<min..max>` whose length field is `lenBytes` long. `body` reads the
   * contents from a sub-reader that must consume exactly the declared length.
   */
  vector<T>(
    name: string,
    lenBytes: 1 | 2 | 3,
    min: number,
    max: number,
    body: (r: Reader) => T,
  ): T {
    const start = this.pos;
    const lenBuf = this.take(`${name} length`, lenBytes);
    let len = 0;
    for (const x of lenBuf) len = len * 256 + x;
    if (len < min || len > max) {
      throw new TlsAlert(
        "decode_error",
        `${this.what}: ${name} is ${len} bytes, allowed ${min}..${max}`,
      );
    }
    const inner = new Reader(this.take(name, len), this.what, this.base + this.pos - len);
    const value = body(inner);
    inner.expectEnd(name);
    const field = this.record(name, start, undefined, `${len} bytes`);
    field.children = inner.fields;
    return value;
  }

  /** An opaque length-prefixed vector. */
  opaque(
    name: string,
    lenBytes: 1 | 2 | 3,
    min: number,
    max: number,
    meaning?: string,
  ): Uint8Array {
    let value!: Uint8Array;
    this.vector(name, lenBytes, min, max, (r) => {
      value = r.bytes.slice();
      r.pos = r.bytes.length;
    });
    // One leaf field (length prefix included) is easier to read than a vector with a child.
    const field = this.fields[this.fields.length - 1];
    field.value = shortHex(value);
    field.meaning = meaning ?? `${value.length} bytes`;
    delete field.children;
    return value;
  }

  /** Groups the fields `body` reads under one named Field (e.g. one extension). */
  group<T>(name: string, body: (r: Reader) => T, value?: string): T {
    const start = this.pos;
    const outer = this.fields;
    this.fields = [];
    try {
      return body(this);
    } finally {
      const children = this.fields;
      this.fields = outer;
      const field = this.record(name, start, value);
      field.children = children;
    }
  }

  /** Annotates the most recently read field. */
  note(meaning: string): void {
    const last = this.fields[this.fields.length - 1];
    if (last) last.meaning = meaning;
  }

  expectEnd(name: string): void {
    if (this.remaining !== 0) {
      throw new TlsAlert(
        "decode_error",
        `${this.what}: ${this.remaining} unexpected trailing bytes after ${name}`,
      );
    }
  }
}

export class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private uint(v: number, n: number): this {
    this.reserve(n);
    for (let i = n - 1; i >= 0; i--) {
      this.buf[this.len + i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    this.len += n;
    return this;
  }

  u8(v: number): this {
    return this.uint(v, 1);
  }
  u16(v: number): this {
    return this.uint(v, 2);
  }
  u24(v: number): this {
    return this.uint(v, 3);
  }
  u32(v: number): this {
    return this.uint(v, 4);
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** A length-prefixed vector; the length is patched in after `body` writes the contents. */
  vector(lenBytes: 1 | 2 | 3, body: (w: this) => void): this {
    const at = this.len;
    this.uint(0, lenBytes);
    body(this);
    const n = this.len - at - lenBytes;
    if (n >= 2 ** (8 * lenBytes)) throw new Error(`vector of ${n} bytes overflows its length`);
    for (let i = lenBytes - 1, v = n; i >= 0; i--, v >>>= 8) this.buf[at + i] = v & 0xff;
    return this;
  }

  opaque(lenBytes: 1 | 2 | 3, b: Uint8Array): this {
    return this.vector(lenBytes, (w) => w.bytes(b));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
