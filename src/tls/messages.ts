// Handshake messages (RFC 9846 §4): one encoder and one decoder per message, side by side. A
// decoded message is a typed struct plus the Field tree of everything read, so the transcript can
// show it; encoding a decoded message gives back the same bytes.

import { TlsAlert } from "./alert.ts";
import { equalBytes, fromHex, Reader, Writer } from "./codec.ts";
import { type Extension, readExtensions, writeExtensions } from "./extensions.ts";
import { CIPHER_SUITES, HANDSHAKE_TYPES, nameOf, SIGNATURE_SCHEMES } from "./names.ts";
import type { Field } from "./summary.ts";

/** ServerHello.random that marks a HelloRetryRequest (RFC 9846 §4.1.3): SHA-256("HelloRetryRequest"). */
export const HRR_RANDOM = fromHex(
  "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c",
);

export interface ClientHello {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuites: number[];
  compressionMethods: number[];
  extensions: Extension[];
}

/** ServerHello and HelloRetryRequest share a layout; `isHrr` is derived from the random. */
export interface ServerHello {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions: Extension[];
}

export interface CertificateEntry {
  data: Uint8Array;
  extensions: Extension[];
}

export type Handshake =
  | { type: "client_hello"; body: ClientHello }
  | { type: "server_hello"; body: ServerHello }
  | { type: "encrypted_extensions"; body: { extensions: Extension[] } }
  | { type: "certificate_request"; body: { context: Uint8Array; extensions: Extension[] } }
  | { type: "certificate"; body: { context: Uint8Array; entries: CertificateEntry[] } }
  | { type: "certificate_verify"; body: { scheme: number; signature: Uint8Array } }
  | { type: "finished"; body: { verifyData: Uint8Array } }
  | {
    type: "new_session_ticket";
    body: {
      lifetime: number;
      ageAdd: number;
      nonce: Uint8Array;
      ticket: Uint8Array;
      extensions: Extension[];
    };
  }
  | { type: "end_of_early_data"; body: Record<never, never> }
  | { type: "key_update"; body: { updateRequested: boolean } };

export type HandshakeType = Handshake["type"];
export type BodyOf<T extends HandshakeType> = Extract<Handshake, { type: T }>["body"];

export const isHelloRetryRequest = (sh: ServerHello): boolean => equalBytes(sh.random, HRR_RANDOM);

/** Message name for people: "HelloRetryRequest" for an HRR-flavoured ServerHello. */
export function messageName(m: Handshake): string {
  if (m.type === "server_hello" && isHelloRetryRequest(m.body)) return "HelloRetryRequest";
  return m.type.split("_").map((p) => p[0].toUpperCase() + p.slice(1)).join("");
}

// ---------------------------------------------------------------- encoders

function encodeBody(m: Handshake, w: Writer): void {
  switch (m.type) {
    case "client_hello": {
      const b = m.body;
      w.u16(b.legacyVersion).bytes(b.random).opaque(1, b.sessionId);
      w.vector(2, () => b.cipherSuites.forEach((s) => w.u16(s)));
      w.vector(1, () => b.compressionMethods.forEach((c) => w.u8(c)));
      writeExtensions(w, b.extensions);
      return;
    }
    case "server_hello": {
      const b = m.body;
      w.u16(b.legacyVersion).bytes(b.random).opaque(1, b.sessionId);
      w.u16(b.cipherSuite).u8(b.compressionMethod);
      writeExtensions(w, b.extensions);
      return;
    }
    case "encrypted_extensions":
      writeExtensions(w, m.body.extensions);
      return;
    case "certificate_request":
      w.opaque(1, m.body.context);
      writeExtensions(w, m.body.extensions);
      return;
    case "certificate":
      w.opaque(1, m.body.context);
      w.vector(3, () => {
        for (const e of m.body.entries) {
          w.opaque(3, e.data);
          writeExtensions(w, e.extensions);
        }
      });
      return;
    case "certificate_verify":
      w.u16(m.body.scheme).opaque(2, m.body.signature);
      return;
    case "finished":
      w.bytes(m.body.verifyData);
      return;
    case "new_session_ticket": {
      const b = m.body;
      w.u32(b.lifetime).u32(b.ageAdd).opaque(1, b.nonce).opaque(2, b.ticket);
      writeExtensions(w, b.extensions);
      return;
    }
    case "end_of_early_data":
      return;
    case "key_update":
      w.u8(m.body.updateRequested ? 1 : 0);
      return;
  }
}

/** The complete handshake message: msg_type, uint24 length, body. */
export function encodeHandshake(m: Handshake): Uint8Array {
  const w = new Writer();
  w.u8(HANDSHAKE_TYPES[m.type]);
  w.vector(3, () => encodeBody(m, w));
  return w.finish();
}

// ---------------------------------------------------------------- decoders

function readClientHello(r: Reader): ClientHello {
  const legacyVersion = r.u16("legacy_version");
  const random = r.fixed("random", 32);
  const sessionId = r.opaque("legacy_session_id", 1, 0, 32);
  const cipherSuites = r.vector("cipher_suites", 2, 2, 0xfffe, (v) => {
    const out: number[] = [];
    while (v.remaining > 0) out.push(v.u16("cipher_suite", CIPHER_SUITES));
    return out;
  });
  const compressionMethods = r.vector("legacy_compression_methods", 1, 1, 255, (v) => {
    const out: number[] = [];
    while (v.remaining > 0) out.push(v.u8("method"));
    return out;
  });
  // A ClientHello without extensions is TLS 1.2 or older; the caller answers protocol_version.
  const extensions = r.remaining === 0 ? [] : readExtensions(r, "client_hello");
  return { legacyVersion, random, sessionId, cipherSuites, compressionMethods, extensions };
}

function readServerHello(r: Reader): ServerHello {
  const legacyVersion = r.u16("legacy_version");
  const random = r.fixed("random", 32);
  const hrr = equalBytes(random, HRR_RANDOM);
  if (hrr) r.note('HelloRetryRequest marker: SHA-256("HelloRetryRequest")');
  const sessionId = r.opaque("legacy_session_id_echo", 1, 0, 32);
  const cipherSuite = r.u16("cipher_suite", CIPHER_SUITES);
  const compressionMethod = r.u8("legacy_compression_method");
  const extensions = readExtensions(r, hrr ? "hello_retry_request" : "server_hello", 0);
  return { legacyVersion, random, sessionId, cipherSuite, compressionMethod, extensions };
}

function readCertificate(r: Reader): BodyOf<"certificate"> {
  const context = r.opaque("certificate_request_context", 1, 0, 255);
  const entries = r.vector("certificate_list", 3, 0, 0xffffff, (v) => {
    const out: CertificateEntry[] = [];
    while (v.remaining > 0) {
      out.push(v.group("CertificateEntry", (e) => ({
        data: e.opaque("cert_data", 3, 1, 0xffffff, "DER X.509 certificate"),
        extensions: readExtensions(e, "certificate"),
      })));
    }
    return out;
  });
  return { context, entries };
}

function readBody(type: number, r: Reader): Handshake {
  switch (type) {
    case HANDSHAKE_TYPES.client_hello:
      return { type: "client_hello", body: readClientHello(r) };
    case HANDSHAKE_TYPES.server_hello:
      return { type: "server_hello", body: readServerHello(r) };
    case HANDSHAKE_TYPES.encrypted_extensions:
      return {
        type: "encrypted_extensions",
        body: { extensions: readExtensions(r, "encrypted_extensions") },
      };
    case HANDSHAKE_TYPES.certificate_request:
      return {
        type: "certificate_request",
        body: {
          context: r.opaque("certificate_request_context", 1, 0, 255),
          extensions: readExtensions(r, "certificate_request", 2),
        },
      };
    case HANDSHAKE_TYPES.certificate:
      return { type: "certificate", body: readCertificate(r) };
    case HANDSHAKE_TYPES.certificate_verify:
      return {
        type: "certificate_verify",
        body: {
          scheme: r.u16("algorithm", SIGNATURE_SCHEMES),
          signature: r.opaque("signature", 2, 0, 0xffff),
        },
      };
    case HANDSHAKE_TYPES.finished:
      return { type: "finished", body: { verifyData: r.rest("verify_data") } };
    case HANDSHAKE_TYPES.new_session_ticket:
      return {
        type: "new_session_ticket",
        body: {
          lifetime: r.u32("ticket_lifetime", "seconds"),
          ageAdd: r.u32("ticket_age_add"),
          nonce: r.opaque("ticket_nonce", 1, 0, 255),
          ticket: r.opaque("ticket", 2, 1, 0xffff),
          extensions: readExtensions(r, "new_session_ticket"),
        },
      };
    case HANDSHAKE_TYPES.end_of_early_data:
      return { type: "end_of_early_data", body: {} };
    case HANDSHAKE_TYPES.key_update: {
      const v = r.u8("request_update", { update_not_requested: 0, update_requested: 1 });
      if (v > 1) throw new TlsAlert("illegal_parameter", `KeyUpdate.request_update is ${v}`);
      return { type: "key_update", body: { updateRequested: v === 1 } };
    }
    default:
      throw new TlsAlert(
        "unexpected_message",
        `unknown handshake message type ${type}`,
      );
  }
}

export interface DecodedHandshake {
  message: Handshake;
  /** The complete message bytes (header included), as hashed into the transcript. */
  bytes: Uint8Array;
  fields: Field[];
}

/**
 * Decodes one complete handshake message (4-byte header + body). Field offsets are relative to
 * `base` (e.g. the message's offset within its record).
 */
export function decodeHandshake(bytes: Uint8Array, base = 0): DecodedHandshake {
  const type = bytes[0];
  const what = nameOf(HANDSHAKE_TYPES, type);
  const r = new Reader(bytes, what, base);
  let message!: Handshake;
  r.group(what, (g) => {
    g.u8("msg_type", HANDSHAKE_TYPES);
    g.vector("body", 3, 0, 0xffffff, (body) => {
      message = readBody(type, body);
    });
    g.expectEnd("message");
  });
  const top = r.fields[0];
  if (message.type === "server_hello" && isHelloRetryRequest(message.body)) {
    top.name = "HelloRetryRequest";
  }
  return { message, bytes, fields: r.fields };
}
