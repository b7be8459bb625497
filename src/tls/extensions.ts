// TLS 1.3 extensions (RFC 9846 §4.3): one codec per extension body, encoder and decoder side by
// side. Messages keep their extensions as an ordered list of raw {type, data} so that unknown and
// GREASE extensions survive a decode-then-encode and misbehaviour hooks can reorder or forge them;
// the state machines read typed values through `getExtension(list, CODEC)`.

import { TlsAlert } from "./alert.ts";
import { Reader, Writer } from "./codec.ts";
import { EXTENSIONS, GROUPS, isGrease, nameOf, PSK_MODES, SIGNATURE_SCHEMES } from "./names.ts";
import { type GroupName } from "./names.ts";
import { describeShare } from "./groups.ts";

export interface Extension {
  type: number;
  data: Uint8Array;
}

/** Where an extension block sits; some extensions have a different body per message. */
export type ExtensionContext =
  | "client_hello"
  | "server_hello"
  | "hello_retry_request"
  | "encrypted_extensions"
  | "certificate_request"
  | "certificate"
  | "new_session_ticket";

export interface ExtensionCodec<T> {
  type: number;
  encode(value: T, w: Writer): void;
  read(r: Reader): T;
}

export interface KeyShareEntry {
  group: number;
  keyExchange: Uint8Array;
}

export const TLS13 = 0x0304;
export const TLS12 = 0x0303;
const VERSIONS = { "TLS 1.3": TLS13, "TLS 1.2": TLS12, "TLS 1.1": 0x0302, "TLS 1.0": 0x0301 };

function groupMeaning(group: number, size: number): string {
  const name = nameOf(GROUPS, group);
  return `${name} key_exchange (${size} bytes)`;
}

// ---------------------------------------------------------------- codecs, one per body layout

const u16List = (type: number, what: string, table: Record<string, number>, min = 2) => ({
  type,
  encode(values: number[], w: Writer) {
    w.vector(2, () => values.forEach((v) => w.u16(v)));
  },
  read(r: Reader): number[] {
    return r.vector(what, 2, min, 0xfffe, (v) => {
      const out: number[] = [];
      while (v.remaining > 0) {
        if (v.remaining < 2) v.u16(what); // throws decode_error with the field name
        out.push(v.u16("entry", table));
      }
      return out;
    });
  },
} satisfies ExtensionCodec<number[]>);

export const SUPPORTED_GROUPS = u16List(EXTENSIONS.supported_groups, "named_group_list", GROUPS);
export const SIGNATURE_ALGORITHMS = u16List(
  EXTENSIONS.signature_algorithms,
  "supported_signature_algorithms",
  SIGNATURE_SCHEMES,
);
export const SIGNATURE_ALGORITHMS_CERT = u16List(
  EXTENSIONS.signature_algorithms_cert,
  "supported_signature_algorithms",
  SIGNATURE_SCHEMES,
);

/** server_name in ClientHello: a list of host names (RFC 6066 §3). */
export const SERVER_NAME: ExtensionCodec<string[]> = {
  type: EXTENSIONS.server_name,
  encode(names, w) {
    w.vector(2, () => {
      for (const n of names) w.u8(0).opaque(2, new TextEncoder().encode(n));
    });
  },
  read(r) {
    return r.vector("server_name_list", 2, 1, 0xffff, (v) => {
      const out: string[] = [];
      while (v.remaining > 0) {
        const kind = v.u8("name_type", { host_name: 0 });
        const name = v.opaque("host_name", 2, 1, 0xffff);
        if (kind === 0) out.push(new TextDecoder().decode(name));
      }
      return out;
    });
  },
};

/** Extensions whose body is empty (server_name acknowledgement, post_handshake_auth, …). */
export const empty = (type: number): ExtensionCodec<true> => ({
  type,
  encode() {},
  read(r) {
    r.expectEnd(nameOf(EXTENSIONS, type));
    return true;
  },
});
export const SERVER_NAME_ACK = empty(EXTENSIONS.server_name);

export const SUPPORTED_VERSIONS_CLIENT: ExtensionCodec<number[]> = {
  type: EXTENSIONS.supported_versions,
  encode(versions, w) {
    w.vector(1, () => versions.forEach((v) => w.u16(v)));
  },
  read(r) {
    return r.vector("versions", 1, 2, 254, (v) => {
      const out: number[] = [];
      while (v.remaining > 0) out.push(v.u16("version", VERSIONS));
      return out;
    });
  },
};

export const SUPPORTED_VERSIONS_SERVER: ExtensionCodec<number> = {
  type: EXTENSIONS.supported_versions,
  encode(version, w) {
    w.u16(version);
  },
  read(r) {
    return r.u16("selected_version", VERSIONS);
  },
};

function writeShare(w: Writer, e: KeyShareEntry) {
  w.u16(e.group).opaque(2, e.keyExchange);
}

function readShare(r: Reader, side: "client" | "server"): KeyShareEntry {
  return r.group("KeyShareEntry", (e) => {
    const group = e.u16("group", GROUPS);
    const keyExchange = e.opaque("key_exchange", 2, 1, 0xffff);
    e.note(groupMeaning(group, keyExchange.length));
    // Hybrid shares are shown component by component (ML-KEM key, X25519 key, …).
    const name = knownGroup(group);
    const field = e.fields[e.fields.length - 1];
    if (name) field.children = describeShare(name, keyExchange, side, field.offset + 2);
    return { group, keyExchange };
  });
}

/** key_share in ClientHello: client_shares<0..2^16-1>. */
export const KEY_SHARE_CLIENT: ExtensionCodec<KeyShareEntry[]> = {
  type: EXTENSIONS.key_share,
  encode(entries, w) {
    w.vector(2, () => entries.forEach((e) => writeShare(w, e)));
  },
  read(r) {
    return r.vector("client_shares", 2, 0, 0xffff, (v) => {
      const out: KeyShareEntry[] = [];
      while (v.remaining > 0) out.push(readShare(v, "client"));
      return out;
    });
  },
};

/** key_share in ServerHello: the one server_share. */
export const KEY_SHARE_SERVER: ExtensionCodec<KeyShareEntry> = {
  type: EXTENSIONS.key_share,
  encode(entry, w) {
    writeShare(w, entry);
  },
  read: (r) => readShare(r, "server"),
};

/** key_share in HelloRetryRequest: the selected_group the client must retry with. */
export const KEY_SHARE_HRR: ExtensionCodec<number> = {
  type: EXTENSIONS.key_share,
  encode(group, w) {
    w.u16(group);
  },
  read(r) {
    return r.u16("selected_group", GROUPS);
  },
};

export const COOKIE: ExtensionCodec<Uint8Array> = {
  type: EXTENSIONS.cookie,
  encode(cookie, w) {
    w.opaque(2, cookie);
  },
  read(r) {
    return r.opaque("cookie", 2, 1, 0xffff);
  },
};

export const PSK_KEY_EXCHANGE_MODES: ExtensionCodec<number[]> = {
  type: EXTENSIONS.psk_key_exchange_modes,
  encode(modes, w) {
    w.vector(1, () => modes.forEach((m) => w.u8(m)));
  },
  read(r) {
    return r.vector("ke_modes", 1, 1, 255, (v) => {
      const out: number[] = [];
      while (v.remaining > 0) out.push(v.u8("mode", PSK_MODES));
      return out;
    });
  },
};

export const RECORD_SIZE_LIMIT: ExtensionCodec<number> = {
  type: EXTENSIONS.record_size_limit,
  encode(limit, w) {
    w.u16(limit);
  },
  read(r) {
    return r.u16("record_size_limit");
  },
};

/** padding (RFC 7685): zero bytes, kept as their count. */
export const PADDING: ExtensionCodec<number> = {
  type: EXTENSIONS.padding,
  encode(n, w) {
    w.bytes(new Uint8Array(n));
  },
  read(r) {
    return r.rest("zeros").length;
  },
};

// ---------------------------------------------------------------- PSK, 0-RTT, RFC 9973 (psk.ts uses them)

export interface PskIdentity {
  identity: Uint8Array;
  /** (ticket age in ms + ticket_age_add) mod 2^32 for tickets; 0 for external PSKs. */
  obfuscatedTicketAge: number;
}

/** pre_shared_key in ClientHello (RFC 9846 §4.3.11). */
export interface OfferedPsks {
  identities: PskIdentity[];
  binders: Uint8Array[];
}

export const PRE_SHARED_KEY_CLIENT: ExtensionCodec<OfferedPsks> = {
  type: EXTENSIONS.pre_shared_key,
  encode(value, w) {
    w.vector(2, () => {
      for (const id of value.identities) w.opaque(2, id.identity).u32(id.obfuscatedTicketAge);
    });
    w.vector(2, () => value.binders.forEach((b) => w.opaque(1, b)));
  },
  read(r) {
    const identities = r.vector("identities", 2, 7, 0xffff, (v) => {
      const out: PskIdentity[] = [];
      while (v.remaining > 0) {
        out.push(v.group("PskIdentity", (p) => ({
          identity: p.opaque("identity", 2, 1, 0xffff),
          obfuscatedTicketAge: p.u32("obfuscated_ticket_age"),
        })));
      }
      return out;
    });
    const binders = r.vector("binders", 2, 33, 0xffff, (v) => {
      const out: Uint8Array[] = [];
      while (v.remaining > 0) out.push(v.opaque("PskBinderEntry", 1, 32, 255));
      return out;
    });
    if (identities.length !== binders.length) {
      throw new TlsAlert(
        "illegal_parameter",
        `pre_shared_key has ${identities.length} identities but ${binders.length} binders`,
      );
    }
    return { identities, binders };
  },
};

/** pre_shared_key in ServerHello: the index of the identity the server chose. */
export const PRE_SHARED_KEY_SERVER: ExtensionCodec<number> = {
  type: EXTENSIONS.pre_shared_key,
  encode(selected, w) {
    w.u16(selected);
  },
  read(r) {
    return r.u16("selected_identity");
  },
};

/** early_data in ClientHello and EncryptedExtensions: empty (RFC 9846 §4.3.10). */
export const EARLY_DATA = empty(EXTENSIONS.early_data);

/** early_data in NewSessionTicket: max_early_data_size. */
export const EARLY_DATA_TICKET: ExtensionCodec<number> = {
  type: EXTENSIONS.early_data,
  encode(max, w) {
    w.u32(max);
  },
  read(r) {
    return r.u32("max_early_data_size", "bytes of 0-RTT data the server accepts");
  },
};

/** RFC 9973 tls_cert_with_extern_psk (33): empty, in ClientHello and ServerHello only. */
export const CERT_WITH_EXTERN_PSK = empty(EXTENSIONS.tls_cert_with_extern_psk);

/** The codec that reads an extension's body in a given message, for annotation and checks. */
function codecFor(context: ExtensionContext, type: number): ExtensionCodec<unknown> | null {
  const E = EXTENSIONS;
  const hello = context === "client_hello";
  switch (type) {
    case E.server_name:
      return hello ? SERVER_NAME : SERVER_NAME_ACK;
    case E.supported_groups:
      return SUPPORTED_GROUPS;
    case E.signature_algorithms:
      return SIGNATURE_ALGORITHMS;
    case E.signature_algorithms_cert:
      return SIGNATURE_ALGORITHMS_CERT;
    case E.supported_versions:
      return hello ? SUPPORTED_VERSIONS_CLIENT : SUPPORTED_VERSIONS_SERVER;
    case E.key_share:
      return hello
        ? KEY_SHARE_CLIENT
        : context === "hello_retry_request"
        ? KEY_SHARE_HRR
        : KEY_SHARE_SERVER;
    case E.cookie:
      return COOKIE;
    case E.psk_key_exchange_modes:
      return PSK_KEY_EXCHANGE_MODES;
    case E.record_size_limit:
      return RECORD_SIZE_LIMIT;
    case E.padding:
      return PADDING;
    case E.pre_shared_key:
      return hello ? PRE_SHARED_KEY_CLIENT : PRE_SHARED_KEY_SERVER;
    case E.early_data:
      return context === "new_session_ticket" ? EARLY_DATA_TICKET : EARLY_DATA;
    case E.post_handshake_auth:
    case E.tls_cert_with_extern_psk:
      return empty(type);
    default:
      return null;
  }
}

// ---------------------------------------------------------------- extension blocks

export function encodeExtension<T>(codec: ExtensionCodec<T>, value: T): Extension {
  const w = new Writer();
  codec.encode(value, w);
  return { type: codec.type, data: w.finish() };
}

export function writeExtensions(w: Writer, list: Extension[]): void {
  w.vector(2, () => {
    for (const e of list) w.u16(e.type).opaque(2, e.data);
  });
}

/**
 * Reads an extension block `<min..2^16-1>`, decoding known bodies (so malformed ones are a
 * decode_error here, and the transcript shows their fields). A repeated type is illegal_parameter.
 */
export function readExtensions(r: Reader, context: ExtensionContext, min = 0): Extension[] {
  return r.vector("extensions", 2, min, 0xffff, (v) => {
    const list: Extension[] = [];
    const seen = new Set<number>();
    while (v.remaining > 0) {
      const ext = v.group(
        "Extension",
        (e) => {
          const type = e.u16("extension_type", EXTENSIONS);
          const data = e.vector("extension_data", 2, 0, 0xffff, (body) => {
            const codec = codecFor(context, type);
            if (codec) codec.read(body);
            else if (body.remaining > 0) body.rest("data");
            return body.bytes;
          });
          return { type, data: data.slice() };
        },
        v.remaining >= 2
          ? nameOf(EXTENSIONS, v.bytes[v.offset] * 256 + v.bytes[v.offset + 1])
          : undefined,
      );
      if (seen.has(ext.type)) {
        throw new TlsAlert(
          "illegal_parameter",
          `${r.what}: extension ${nameOf(EXTENSIONS, ext.type)} appears twice`,
        );
      }
      seen.add(ext.type);
      list.push(ext);
    }
    return list;
  });
}

/** The typed value of an extension in a list, or undefined when absent. */
export function getExtension<T>(
  list: Extension[],
  codec: ExtensionCodec<T>,
  what = "extension",
): T | undefined {
  const ext = list.find((e) => e.type === codec.type);
  if (!ext) return undefined;
  const r = new Reader(ext.data, `${what} ${nameOf(EXTENSIONS, codec.type)}`);
  const value = codec.read(r);
  r.expectEnd(nameOf(EXTENSIONS, codec.type));
  return value;
}

export const hasExtension = (list: Extension[], type: number): boolean =>
  list.some((e) => e.type === type);

/** Group code → our name, or null for unknown and GREASE groups (which are skipped). */
export function knownGroup(code: number): GroupName | null {
  if (isGrease(code)) return null;
  for (const [name, value] of Object.entries(GROUPS)) if (value === code) return name as GroupName;
  return null;
}
