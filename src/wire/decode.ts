// Turns what the relay captured into a WireObservation, decoding with the reference peer's own
// wire codec (src/tls/wire.ts), so the project reads TLS bytes one way only. Without keys the
// tap sees the ClientHello, ServerHello/HelloRetryRequest and alerts in clear; everything after
// the ServerHello is protected and only counted.
//
// With several connections (resumption), the handshake fields describe the last connection that
// sent a ClientHello (the one a resumption expectation is about); bytes and segments are totals;
// flights and the transcript list every connection in order (a transcript's `at` restarts at 0
// for each connection). In the transcript "sent" is client→server and "received" server→client.

import { Reader, toHex } from "../tls/codec.ts";
import {
  getExtension,
  hasExtension,
  KEY_SHARE_CLIENT,
  KEY_SHARE_HRR,
  KEY_SHARE_SERVER,
  SUPPORTED_GROUPS,
} from "../tls/extensions.ts";
import { type ClientHello, isHelloRetryRequest, type ServerHello } from "../tls/messages.ts";
import { CIPHER_SUITES, CONTENT_TYPES, EXTENSIONS, GROUPS, nameOf } from "../tls/names.ts";
import type { Field, TranscriptEntry } from "../tls/summary.ts";
import {
  decodeAlert,
  decodeCleartextHandshake,
  HandshakeAssembler,
  recordHeaderFields,
  RecordSplitter,
  type WireRecord,
} from "../tls/cleartext.ts";
import type { WireObservation } from "./observation.ts";
import type { CapturedConnection, Side } from "./relay.ts";

/** Bounds that keep a report readable and small. */
export const TRANSCRIPT_LIMIT = { entries: 64, clearHexChars: 16_384, protectedHexChars: 96 };
const FLIGHT_LIMIT = 48;

export interface Decoded {
  observation: WireObservation;
  /** What could not be decoded (malformed bytes from a peer), one sentence each. */
  problems: string[];
}

/** The handshake facts of one connection, before they are merged into the observation. */
interface Hello {
  clientHellos: ClientHello[];
  serverHellos: ServerHello[];
}

export function emptyObservation(): WireObservation {
  return {
    groupsOffered: [],
    keySharesOffered: [],
    selectedGroup: null,
    serverShareSize: null,
    helloRetryRequest: false,
    hrrGroup: null,
    cipherSuite: null,
    pskOffered: 0,
    pskSelected: null,
    certWithPskOffered: false,
    certWithPskEchoed: false,
    earlyDataOffered: false,
    alerts: [],
    bytes: { clientToServer: 0, serverToClient: 0 },
    segments: { clientToServer: 0, serverToClient: 0 },
    flights: [],
    timings: { firstServerByteMs: null, closedMs: null },
    transcript: [],
    connections: 0,
  };
}

export function decodeConnections(connections: CapturedConnection[]): Decoded {
  const obs = emptyObservation();
  const problems: string[] = [];
  const used = connections.filter((c) => c.chunks.length > 0);
  obs.connections = used.length;
  let last: Hello | null = null;
  let lastTimings = obs.timings;
  used.forEach((conn, i) => {
    const label = used.length > 1 ? `connection ${i + 1}: ` : "";
    const hello = decodeOne(conn, obs, (p) => problems.push(label + p));
    if (conn.error) problems.push(`${label}${conn.error}`);
    if (hello.clientHellos.length > 0) {
      last = hello;
      lastTimings = timingsOf(conn);
    }
  });
  if (last) applyHello(obs, last);
  obs.timings = lastTimings;
  return { observation: obs, problems };
}

function timingsOf(conn: CapturedConnection): WireObservation["timings"] {
  const firstClient = conn.chunks.find((c) => c.from === "client");
  const firstServer = conn.chunks.find((c) => c.from === "server");
  if (!firstClient) return { firstServerByteMs: null, closedMs: null };
  return {
    firstServerByteMs: firstServer ? round(firstServer.at - firstClient.at) : null,
    closedMs: conn.closedAt === null ? null : round(conn.closedAt - firstClient.at),
  };
}

/** Walks one connection's chunks, filling totals, flights, alerts and the transcript. */
function decodeOne(
  conn: CapturedConnection,
  obs: WireObservation,
  problem: (p: string) => void,
): Hello {
  const hello: Hello = { clientHellos: [], serverHellos: [] };
  const splitters = { client: new RecordSplitter(), server: new RecordSplitter() };
  const assemblers = { client: new HandshakeAssembler(), server: new HandshakeAssembler() };
  const broken = { client: false, server: false };
  let flight: WireObservation["flights"][number] | null = null;
  for (const chunk of conn.chunks) {
    const dir = chunk.from === "client" ? "clientToServer" : "serverToClient";
    obs.bytes[dir] += chunk.size;
    obs.segments[dir]++;
    if (!flight || flight.from !== chunk.from) {
      flight = { from: chunk.from, bytes: 0, segments: 0, records: 0 };
      if (obs.flights.length < FLIGHT_LIMIT) obs.flights.push(flight);
    }
    flight.bytes += chunk.size;
    flight.segments++;
    if (broken[chunk.from]) continue;
    let records: WireRecord[];
    try {
      records = splitters[chunk.from].feed(chunk.bytes);
    } catch (e) {
      broken[chunk.from] = true;
      problem(`${chunk.from} sent bytes that are not TLS records: ${messageOf(e)}`);
      continue;
    }
    flight.records += records.length;
    for (const rec of records) {
      const fields = decodeRecord(rec, chunk.from, assemblers[chunk.from], hello, obs, problem);
      addTranscript(obs, rec, chunk.from, chunk.at, fields);
    }
  }
  if (conn.droppedBytes > 0) {
    problem(`${conn.droppedBytes} bytes past the capture bound were counted but not decoded`);
  }
  return hello;
}

/** Decodes one record's cleartext content; returns its annotated fields. */
function decodeRecord(
  rec: WireRecord,
  from: Side,
  assembler: HandshakeAssembler,
  hello: Hello,
  obs: WireObservation,
  problem: (p: string) => void,
): Field[] {
  const fields = recordHeaderFields(rec);
  try {
    if (rec.contentType === CONTENT_TYPES.handshake) {
      for (const msg of assembler.add(rec.fragment)) {
        // Offsets in the fields count from the record's first byte (after the 5-byte header).
        const decoded = decodeCleartextHandshake(msg.bytes, 5 + msg.offset);
        fields.push(...decoded.fields);
        const m = decoded.message;
        if (m.type === "client_hello" && from === "client") hello.clientHellos.push(m.body);
        if (m.type === "server_hello" && from === "server") hello.serverHellos.push(m.body);
      }
    } else if (rec.contentType === CONTENT_TYPES.alert) {
      const alert = decodeAlert(rec.fragment, 5);
      fields.push(...alert.fields);
      obs.alerts.push({ from, level: alert.level, alert: alert.description });
    }
  } catch (e) {
    problem(`${from}'s ${nameOf(CONTENT_TYPES, rec.contentType)} record: ${messageOf(e)}`);
  }
  return fields;
}

function addTranscript(
  obs: WireObservation,
  rec: WireRecord,
  from: Side,
  at: number,
  fields: Field[],
): void {
  if (obs.transcript.length >= TRANSCRIPT_LIMIT.entries) return;
  // In TLS 1.3 every protected record travels as application_data (RFC 9846 §5.2).
  const clear = rec.contentType !== CONTENT_TYPES.application_data;
  const limit = clear ? TRANSCRIPT_LIMIT.clearHexChars : TRANSCRIPT_LIMIT.protectedHexChars;
  const hex = toHex(rec.bytes);
  const entry: TranscriptEntry = {
    direction: from === "client" ? "sent" : "received",
    at: round(at),
    contentType: nameOf(CONTENT_TYPES, rec.contentType),
    protection: clear ? null : "protected",
    hex: hex.length > limit ? `${hex.slice(0, limit)}…` : hex,
    fields,
  };
  obs.transcript.push(entry);
}

/** Fills the handshake fields from one connection's hellos. */
function applyHello(obs: WireObservation, hello: Hello): void {
  // The first ClientHello shows the client's own policy; a second one only answers an HRR.
  const ch = hello.clientHellos[0];
  obs.groupsOffered = (getExtension(ch.extensions, SUPPORTED_GROUPS) ?? []).map(groupName);
  obs.keySharesOffered = (getExtension(ch.extensions, KEY_SHARE_CLIENT) ?? []).map((s) => ({
    group: groupName(s.group),
    size: s.keyExchange.length,
  }));
  const lastCh = hello.clientHellos[hello.clientHellos.length - 1];
  obs.pskOffered = pskIdentitiesOffered(lastCh);
  obs.certWithPskOffered = hasExtension(lastCh.extensions, EXTENSIONS.tls_cert_with_extern_psk);
  obs.earlyDataOffered = hello.clientHellos.some((c) =>
    hasExtension(c.extensions, EXTENSIONS.early_data)
  );
  for (const sh of hello.serverHellos) {
    obs.cipherSuite = nameOf(CIPHER_SUITES, sh.cipherSuite);
    if (isHelloRetryRequest(sh)) {
      obs.helloRetryRequest = true;
      const asked = getExtension(sh.extensions, KEY_SHARE_HRR);
      obs.hrrGroup = asked === undefined ? null : groupName(asked);
      continue;
    }
    const share = getExtension(sh.extensions, KEY_SHARE_SERVER);
    obs.selectedGroup = share ? groupName(share.group) : null;
    obs.serverShareSize = share ? share.keyExchange.length : null;
    obs.pskSelected = pskSelected(sh);
    obs.certWithPskEchoed = hasExtension(sh.extensions, EXTENSIONS.tls_cert_with_extern_psk);
  }
}

/** Number of identities in the ClientHello's pre_shared_key (RFC 9846 §4.3.11). */
function pskIdentitiesOffered(ch: ClientHello): number {
  const ext = ch.extensions.find((e) => e.type === EXTENSIONS.pre_shared_key);
  if (!ext) return 0;
  const r = new Reader(ext.data, "pre_shared_key");
  return r.vector("identities", 2, 7, 0xffff, (v) => {
    let n = 0;
    while (v.remaining > 0) {
      v.opaque("identity", 2, 1, 0xffff);
      v.u32("obfuscated_ticket_age");
      n++;
    }
    return n;
  });
}

/** The server's selected_identity, or null when it did not accept a PSK. */
function pskSelected(sh: ServerHello): number | null {
  const ext = sh.extensions.find((e) => e.type === EXTENSIONS.pre_shared_key);
  if (!ext) return null;
  return new Reader(ext.data, "pre_shared_key").u16("selected_identity");
}

const groupName = (code: number): string => nameOf(GROUPS, code);
const round = (ms: number): number => Math.round(ms * 10) / 10;
const messageOf = (e: unknown): string => e instanceof Error ? e.message : String(e);
