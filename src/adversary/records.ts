// Misbehaviours of the record layer and the very first bytes: what a peer must refuse before it
// even looks at a handshake message's fields. An empty alert, a record padded past the limit,
// another record between the fragments of a handshake message, a hello whose legacy_version is
// SSL 3.0, and an opening that is not TLS at all. Each is built on the `records`, `writes`,
// `clientHello` and `serverHello` hooks (src/tls/hooks.ts) and changes nothing else.

import type { RecordPlan } from "../tls/hooks.ts";
import { CONTENT_TYPES } from "../tls/names.ts";
import { MAX_CIPHERTEXT, MAX_PLAINTEXT } from "../tls/cleartext.ts";
import { AdversaryError, type Misbehaviour, num, type Params, str } from "./context.ts";

const CT = CONTENT_TYPES;
const TAG = 16; // every TLS 1.3 suite's AEAD tag
const encoder = new TextEncoder();

/** The default plan: as few records as 2^14 allows (what the core does without the hook). */
function chunks(length: number): { size: number; padding?: number }[] {
  const out: { size: number }[] = [];
  for (let left = length; left > 0; left -= MAX_PLAINTEXT) {
    out.push({ size: Math.min(left, MAX_PLAINTEXT) });
  }
  return out.length ? out : [{ size: 0 }];
}

/**
 * The flight a record-layer misbehaviour bites on: the first handshake content written under
 * the named key. "handshake" is the server's EncryptedExtensions..Finished or the client's
 * Certificate..Finished; "application" is the first post-handshake message (a server's
 * NewSessionTicket, a KeyUpdate).
 */
function onceUnder(key: string, plan: (length: number) => RecordPlan[], applied: () => void) {
  let done = false;
  return (contentType: number, length: number, writeKey: string | null): RecordPlan[] => {
    if (done || contentType !== CT.handshake || writeKey !== key) return chunks(length);
    done = true;
    applied();
    return plan(length);
  };
}

const keyParam = (p: Params): string => {
  const key = str(p, "key") ?? "handshake";
  if (key !== "handshake" && key !== "application") {
    throw new AdversaryError(`key must be handshake or application, not "${key}"`);
  }
  return key;
};

/** `refuse` for the record misbehaviours: any configuration will do, but key= must be known. */
function checkKey(_ctx: unknown, p: Params): string | null {
  keyParam(p); // throws with the reason when key= is neither
  return null;
}

/** A hello's legacy_version: a number, or hex as 0x0300. */
function versionParam(p: Params): number {
  const v = str(p, "version") ?? "0x0300";
  const n = /^0x[0-9a-f]{1,4}$/i.test(v) ? parseInt(v, 16) : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) {
    throw new AdversaryError(`version must be a 16-bit value such as 0x0300, not "${v}"`);
  }
  return n;
}

// ---------------------------------------------------------------- openings that are not TLS

/**
 * An SSL 2.0-compatible CLIENT-HELLO (RFC 6101 E.2 format, as RFC 9846 E.5 describes it): a
 * two-byte header with the top bit set, then msg_type 1, version 0x0303, five cipher specs and a
 * 16-byte challenge. Read as a TLS header its content type is 0x80.
 */
function sslv2ClientHello(): Uint8Array {
  const specs = [0x00c02f, 0x00c02b, 0x00009c, 0x00002f, 0x0000ff];
  const body = [0x01, 0x03, 0x03, 0x00, specs.length * 3, 0x00, 0x00, 0x00, 16];
  for (const s of specs) body.push(s >> 16, (s >> 8) & 0xff, s & 0xff);
  for (let i = 0; i < 16; i++) body.push(0xa0 + i);
  return Uint8Array.from([0x80 | (body.length >> 8), body.length & 0xff, ...body]);
}

/**
 * What each opening sends instead of the first flight. A client sends a request; a server
 * answers with what a plain HTTP server would. `overlong` is a handshake record header whose
 * length (0xffff) no TLS record may have, followed by a few bytes and nothing more.
 */
const OPENINGS: Record<string, Record<"client" | "server", Uint8Array | null>> = {
  sslv2: { client: sslv2ClientHello(), server: null },
  http: {
    client: encoder.encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    server: encoder.encode(
      "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    ),
  },
  overlong: {
    client: Uint8Array.from([CT.handshake, 3, 1, 0xff, 0xff, 1, 0, 0xff, 0xfb]),
    server: Uint8Array.from([CT.handshake, 3, 3, 0xff, 0xff, 2, 0, 0xff, 0xfb]),
  },
};

/** How long the reference peer waits for an answer to an opening that must be refused at once. */
const OPENING_PATIENCE_MS = 5_000;

export const RECORD_MISBEHAVIOURS: Misbehaviour[] = [
  {
    name: "empty-alert",
    description: "a protected Alert record with zero-length content, before the encrypted flight",
    roles: ["client", "server"],
    appliesTo: "any configuration (the server's EncryptedExtensions flight, the client's Finished)",
    params: { key: "handshake (default) | application: the key of the flight it precedes" },
    refuse: checkKey,
    build(_ctx, p, applied) {
      const insert = { contentType: CT.alert, content: new Uint8Array(0) };
      return {
        hooks: { records: onceUnder(keyParam(p), (n) => [{ insert }, ...chunks(n)], applied) },
      };
    },
  },
  {
    name: "padding-overflow",
    description:
      "the record carrying Finished is padded so its TLSInnerPlaintext exceeds 2^14 + 1 bytes",
    roles: ["client", "server"],
    appliesTo: "any configuration (the last record of the encrypted handshake flight)",
    params: {
      inner: `TLSInnerPlaintext bytes, padding included (default ${MAX_PLAINTEXT + 2}; at most ` +
        `${MAX_CIPHERTEXT - TAG}, which keeps the record itself within 2^14 + 256)`,
      key: "handshake (default) | application",
    },
    refuse(_ctx, p) {
      keyParam(p);
      const inner = num(p, "inner", MAX_PLAINTEXT + 2);
      if (inner <= MAX_PLAINTEXT + 1 || inner > MAX_CIPHERTEXT - TAG) {
        return `inner must be ${MAX_PLAINTEXT + 2}..${MAX_CIPHERTEXT - TAG}`;
      }
      return null;
    },
    build(_ctx, p, applied) {
      const inner = num(p, "inner", MAX_PLAINTEXT + 2);
      return {
        hooks: {
          records: onceUnder(keyParam(p), (length) => {
            const plan = chunks(length);
            const last = plan[plan.length - 1];
            // content + inner content type + padding = `inner` bytes, sealed as one record.
            last.padding = Math.max(0, inner - last.size - 1);
            return plan;
          }, applied),
        },
      };
    },
  },
  {
    name: "record-between-fragments",
    description:
      "an application_data record between two fragments of a handshake message (its last 2 bytes)",
    roles: ["client", "server"],
    appliesTo: "any configuration (inside Finished; with key=application, a ticket or KeyUpdate)",
    params: { key: "handshake (default) | application: the flight whose last message is split" },
    refuse: checkKey,
    build(_ctx, p, applied) {
      const insert = {
        contentType: CT.application_data,
        content: encoder.encode("pqinterop: a record between handshake fragments\n"),
      };
      return {
        hooks: {
          records: onceUnder(keyParam(p), (length) => {
            // The last message ends the flight, so its last two bytes are a fragment of it.
            const head = chunks(length - 2);
            return [...head, { insert }, { size: 2 }];
          }, applied),
        },
      };
    },
  },
  {
    name: "legacy-version",
    description: "the ClientHello or ServerHello carries legacy_version 0x0300 (SSL 3.0)",
    roles: ["client", "server"],
    appliesTo: "any configuration",
    params: { version: "the legacy_version, e.g. 0x0300 (default) or 0x0301" },
    refuse(_ctx, p) {
      versionParam(p); // throws with the reason when it is not a version
      return null;
    },
    build(_ctx, p, applied) {
      const legacyVersion = versionParam(p);
      return {
        hooks: {
          clientHello(ch) {
            applied();
            return { ...ch, legacyVersion };
          },
          serverHello(sh, isHrr) {
            if (isHrr) return sh;
            applied();
            return { ...sh, legacyVersion };
          },
        },
      };
    },
  },
  {
    name: "non-tls-opening",
    description: "the first flight is replaced by bytes that are not TLS records",
    roles: ["client", "server"],
    appliesTo: "any configuration",
    params: {
      bytes: "sslv2 (an SSLv2-format CLIENT-HELLO; client only) | http (default) | overlong " +
        "(a handshake header claiming 65535 bytes)",
    },
    refuse(ctx, p) {
      const which = str(p, "bytes") ?? "http";
      if (!OPENINGS[which]) return `bytes must be one of ${Object.keys(OPENINGS).join(", ")}`;
      if (!OPENINGS[which][ctx.role]) return `bytes=${which} is a client's opening`;
      return null;
    },
    build(ctx, p, applied) {
      const bytes = OPENINGS[str(p, "bytes") ?? "http"][ctx.role]!;
      let first = true;
      const sentInstead: Uint8Array[] = [];
      return {
        sentInstead,
        patienceMs: OPENING_PATIENCE_MS,
        hooks: {
          writes(flight) {
            if (!first) return [flight];
            first = false;
            applied();
            sentInstead.push(bytes);
            return [bytes];
          },
        },
      };
    },
  },
];
