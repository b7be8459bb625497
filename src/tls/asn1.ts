// The DER subset that certificates and keys need: a reader that turns bytes into a tree of
// tag-length-value nodes (with offsets, so a certificate can be annotated byte by byte) and a
// writer for the same types. Each primitive type has its encoder and decoder side by side.
//
// Only definite lengths in minimal form are accepted: DER is a canonical encoding, and a
// certificate that is not canonical DER would hash differently from what the issuer signed.
// Every problem is a TlsAlert("decode_error") that says which structure and field broke.

import { TlsAlert } from "./alert.ts";
import { concat, toHex } from "./codec.ts";

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tags: [n] EXPLICIT/constructed is 0xa0|n, [n] IMPLICIT primitive is 0x80|n. */
export const contextTag = (n: number, constructed: boolean): number =>
  (constructed ? 0xa0 : 0x80) | n;

/** One decoded TLV. */
export interface Der {
  tag: number;
  /** Offset of the tag byte from the start of the outermost buffer given to decodeDer. */
  offset: number;
  /** Bytes of tag plus length. */
  headerLength: number;
  /** The whole element (tag, length, content): what a signature covers. */
  bytes: Uint8Array;
  content: Uint8Array;
  /** Parsed children of a constructed element (SEQUENCE, SET, [n] constructed); else null. */
  children: Der[] | null;
}

const bad = (what: string, why: string) => new TlsAlert("decode_error", `${what}: ${why}`);

// ---------------------------------------------------------------------------------------------
// TLV

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(tag), encodeLength(content.length), content);
}

/**
 * Decodes exactly one DER element spanning all of `bytes`. `what` names the structure for error
 * messages ("certificate", "PKCS#8 key"); `base` is the offset of bytes[0] in the outer buffer.
 */
export function decodeDer(bytes: Uint8Array, what: string, base = 0): Der {
  const [node, end] = decodeAt(bytes, 0, what, base);
  if (end !== bytes.length) {
    throw bad(what, `${bytes.length - end} trailing bytes after the DER element`);
  }
  return node;
}

function decodeAt(buf: Uint8Array, at: number, what: string, base: number): [Der, number] {
  if (at + 2 > buf.length) throw bad(what, `truncated DER header at offset ${base + at}`);
  const tag = buf[at];
  if ((tag & 0x1f) === 0x1f) throw bad(what, `multi-byte tag at offset ${base + at}`);
  let len = buf[at + 1];
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw bad(what, `indefinite length at offset ${base + at} (not DER)`);
    if (n > 4) throw bad(what, `length of ${n} bytes at offset ${base + at}`);
    if (at + 2 + n > buf.length) throw bad(what, `truncated length at offset ${base + at}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + 2 + i];
    if (buf[at + 2] === 0 || len < 0x80) {
      throw bad(what, `non-minimal length encoding at offset ${base + at} (not DER)`);
    }
    header += n;
  }
  const end = at + header + len;
  if (end > buf.length) {
    throw bad(
      what,
      `element at offset ${base + at} claims ${len} bytes, ${buf.length - at - header} remain`,
    );
  }
  const content = buf.subarray(at + header, end);
  let children: Der[] | null = null;
  if (tag & 0x20) {
    children = [];
    for (let p = 0; p < content.length;) {
      const [child, next] = decodeAt(content, p, what, base + at + header);
      children.push(child);
      p = next;
    }
  }
  const node: Der = {
    tag,
    offset: base + at,
    headerLength: header,
    bytes: buf.subarray(at, end),
    content,
    children,
  };
  return [node, end];
}

const tagName = (tag: number): string => {
  for (const [name, value] of Object.entries(TAG)) if (value === tag) return name;
  if ((tag & 0xc0) === 0x80) return `[${tag & 0x1f}]`;
  return `tag 0x${tag.toString(16).padStart(2, "0")}`;
};

/** Checks the tag and returns the node; `name` says which field was expected. */
export function expectTag(node: Der | undefined, tag: number, name: string, what: string): Der {
  if (!node) throw bad(what, `${name} (${tagName(tag)}) is missing`);
  if (node.tag !== tag) {
    throw bad(
      what,
      `${name} should be ${tagName(tag)}, found ${tagName(node.tag)} at offset ${node.offset}`,
    );
  }
  return node;
}

/** The children of a SEQUENCE/SET/[n] with at least `min` entries. */
export function childrenOf(node: Der, name: string, what: string, min = 0): Der[] {
  if (!node.children) throw bad(what, `${name} is not a constructed element`);
  if (node.children.length < min) {
    throw bad(what, `${name} has ${node.children.length} elements, expected at least ${min}`);
  }
  return node.children;
}

// ---------------------------------------------------------------------------------------------
// Constructed types

export const encodeSequence = (...items: Uint8Array[]): Uint8Array =>
  encodeTlv(TAG.SEQUENCE, concat(...items));

export const encodeSet = (...items: Uint8Array[]): Uint8Array =>
  encodeTlv(TAG.SET, concat(...items));

/** [n] EXPLICIT wrapping of an encoded element, or [n] IMPLICIT of raw content when primitive. */
export const encodeContext = (n: number, content: Uint8Array, constructed = true): Uint8Array =>
  encodeTlv(contextTag(n, constructed), content);

// ---------------------------------------------------------------------------------------------
// INTEGER: two's complement, minimal; we only meet non-negative values.

export function encodeInteger(value: bigint | number | Uint8Array): Uint8Array {
  let bytes = value instanceof Uint8Array ? value : bigintToBytes(BigInt(value));
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0 && !(bytes[i + 1] & 0x80)) i++;
  bytes = bytes.subarray(i);
  if (bytes.length === 0) bytes = Uint8Array.of(0);
  if (bytes[0] & 0x80) bytes = concat(Uint8Array.of(0), bytes);
  return encodeTlv(TAG.INTEGER, bytes);
}

export function decodeInteger(node: Der, name: string, what: string): bigint {
  const c = expectTag(node, TAG.INTEGER, name, what).content;
  if (c.length === 0) throw bad(what, `${name} is an empty INTEGER`);
  if (c.length > 1 && ((c[0] === 0 && !(c[1] & 0x80)) || (c[0] === 0xff && c[1] & 0x80))) {
    throw bad(what, `${name} is not minimally encoded`);
  }
  let v = bytesToBigint(c);
  if (c[0] & 0x80) v -= 1n << BigInt(8 * c.length);
  return v;
}

export function bigintToBytes(v: bigint, length?: number): Uint8Array {
  if (v < 0n) throw new RangeError("negative");
  let hex = v.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  const out = new Uint8Array(length ?? Math.max(1, hex.length / 2));
  const n = hex.length / 2;
  if (n > out.length) throw new RangeError(`${n} bytes do not fit in ${out.length}`);
  for (let i = 0; i < n; i++) out[out.length - n + i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export const bytesToBigint = (b: Uint8Array): bigint =>
  b.length === 0 ? 0n : BigInt("0x" + toHex(b));

// ---------------------------------------------------------------------------------------------
// OBJECT IDENTIFIER

export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split(".").map(BigInt);
  const out: number[] = [];
  const first = arcs[0] * 40n + arcs[1];
  for (const arc of [first, ...arcs.slice(2)]) {
    const group: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) group.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...group);
  }
  return encodeTlv(TAG.OID, Uint8Array.from(out));
}

export function decodeOid(node: Der, name: string, what: string): string {
  const c = expectTag(node, TAG.OID, name, what).content;
  if (c.length === 0 || c[c.length - 1] & 0x80) throw bad(what, `${name} is a malformed OID`);
  const arcs: bigint[] = [];
  let v = 0n;
  for (const b of c) {
    v = (v << 7n) | BigInt(b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs[0] < 80n ? arcs[0] / 40n : 2n;
  return [first, arcs[0] - first * 40n, ...arcs.slice(1)].join(".");
}

// ---------------------------------------------------------------------------------------------
// BIT STRING (whole bytes only: keys and signatures) and OCTET STRING

export const encodeBitString = (bytes: Uint8Array): Uint8Array =>
  encodeTlv(TAG.BIT_STRING, concat(Uint8Array.of(0), bytes));

export function decodeBitString(node: Der, name: string, what: string): Uint8Array {
  const c = expectTag(node, TAG.BIT_STRING, name, what).content;
  if (c.length === 0 || c[0] !== 0) throw bad(what, `${name} is not a whole number of bytes`);
  return c.subarray(1);
}

/** A BIT STRING of flags (KeyUsage): bit 0 is the most significant bit of the first byte. */
export function encodeNamedBits(bits: number[]): Uint8Array {
  const max = Math.max(...bits);
  const bytes = new Uint8Array((max >> 3) + 1);
  for (const b of bits) bytes[b >> 3] |= 0x80 >> (b & 7);
  const unused = 7 - (max & 7);
  return encodeTlv(TAG.BIT_STRING, concat(Uint8Array.of(unused), bytes));
}

export function decodeNamedBits(node: Der, name: string, what: string): number[] {
  const c = expectTag(node, TAG.BIT_STRING, name, what).content;
  if (c.length === 0 || c[0] > 7) throw bad(what, `${name} is a malformed BIT STRING`);
  const bits: number[] = [];
  for (let i = 1; i < c.length; i++) {
    for (let j = 0; j < 8; j++) if (c[i] & (0x80 >> j)) bits.push((i - 1) * 8 + j);
  }
  return bits;
}

export const encodeOctetString = (bytes: Uint8Array): Uint8Array =>
  encodeTlv(TAG.OCTET_STRING, bytes);

export const decodeOctetString = (node: Der, name: string, what: string): Uint8Array =>
  expectTag(node, TAG.OCTET_STRING, name, what).content;

// ---------------------------------------------------------------------------------------------
// BOOLEAN and NULL

export const encodeBoolean = (v: boolean): Uint8Array =>
  encodeTlv(TAG.BOOLEAN, Uint8Array.of(v ? 0xff : 0));

export function decodeBoolean(node: Der, name: string, what: string): boolean {
  const c = expectTag(node, TAG.BOOLEAN, name, what).content;
  if (c.length !== 1 || (c[0] !== 0 && c[0] !== 0xff)) {
    throw bad(what, `${name} is not a DER BOOLEAN`);
  }
  return c[0] === 0xff;
}

export const encodeNull = (): Uint8Array => Uint8Array.of(TAG.NULL, 0);

// ---------------------------------------------------------------------------------------------
// Strings

export const encodeUtf8String = (s: string): Uint8Array =>
  encodeTlv(TAG.UTF8String, new TextEncoder().encode(s));

/** Any of the string types a Name or a SAN uses, as text. */
export function decodeString(node: Der, name: string, what: string): string {
  if (node.children) throw bad(what, `${name} should be a string, found a constructed element`);
  // BMPString (0x1e) is UTF-16BE; everything else we meet is ASCII or UTF-8.
  if (node.tag === 0x1e) {
    let s = "";
    for (let i = 0; i + 1 < node.content.length; i += 2) {
      s += String.fromCharCode((node.content[i] << 8) | node.content[i + 1]);
    }
    return s;
  }
  return new TextDecoder().decode(node.content);
}

// ---------------------------------------------------------------------------------------------
// Time (RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always Zulu seconds)

export function encodeTime(date: Date): Uint8Array {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z";
  const year = date.getUTCFullYear();
  return year < 2050
    ? encodeTlv(TAG.UTCTime, new TextEncoder().encode(digits.slice(2)))
    : encodeTlv(TAG.GeneralizedTime, new TextEncoder().encode(digits));
}

export function decodeTime(node: Der, name: string, what: string): Date {
  const text = new TextDecoder().decode(node.content);
  let m: RegExpMatchArray | null;
  let year: number;
  if (node.tag === TAG.UTCTime && (m = text.match(/^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/))) {
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (
    node.tag === TAG.GeneralizedTime &&
    (m = text.match(/^(\d\d\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/))
  ) {
    year = Number(m[1]);
  } else {
    throw bad(what, `${name} "${text}" is not a UTCTime/GeneralizedTime in Zulu seconds`);
  }
  const [mo, d, h, mi, s] = m.slice(2, 7).map(Number);
  return new Date(Date.UTC(year, mo - 1, d, h, mi, s));
}

// ---------------------------------------------------------------------------------------------
// PEM (RFC 7468): the text wrapping of DER in certificate and key files

/** The DER of every PEM block in `text`, in order; only blocks with `label` when given. */
export function pemBlocks(text: string, label?: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const m of text.matchAll(re)) {
    if (label && m[1] !== label) continue;
    const b64 = m[2].replace(/\s+/g, "");
    try {
      out.push(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    } catch {
      throw new TlsAlert("decode_error", `PEM block ${m[1]} is not valid base64`);
    }
  }
  return out;
}

export function toPem(label: string, der: Uint8Array): string {
  // btoa takes a "binary string" (one char per byte); build it in chunks to stay under arg limits.
  let binary = "";
  for (let i = 0; i < der.length; i += 0x8000) {
    binary += String.fromCharCode(...der.subarray(i, i + 0x8000));
  }
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
