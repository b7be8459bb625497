// The annotated transcript: one TranscriptEntry per record that crossed the wire, with the record
// header decoded and, for handshake and alert content, every field of every message. Protected
// records also carry the decrypted messages, under a "decrypted" field whose children's offsets
// count from the start of the decrypted content (the ciphertext itself has no readable fields).

import { toHex } from "./codec.ts";
import { decodeAlert, recordHeaderFields, type WireRecord } from "./cleartext.ts";
import { CONTENT_TYPES, nameOf } from "./names.ts";
import type { Field, Flight, TranscriptEntry } from "./summary.ts";

export interface RecordContent {
  contentType: number;
  /** Handshake message fields (each message's tree), already decoded by the caller. */
  messages?: { name: string; fields: Field[] }[];
  /** Plain content for alerts and application data. */
  content?: Uint8Array;
}

export class TranscriptLog {
  readonly entries: TranscriptEntry[] = [];
  readonly flights: Flight[] = [];
  private readonly start = performance.now();

  record(
    direction: "sent" | "received",
    wire: WireRecord,
    protection: string | null,
    inner: RecordContent,
  ): void {
    const fields = recordHeaderFields(wire);
    const contentFields: Field[] = [];
    const names: string[] = [];
    for (const m of inner.messages ?? []) {
      contentFields.push(...m.fields);
      names.push(m.name);
    }
    if (inner.contentType === CONTENT_TYPES.alert && inner.content) {
      try {
        const alert = decodeAlert(inner.content);
        contentFields.push({
          name: "Alert",
          offset: 0,
          length: inner.content.length,
          value: `${alert.level} ${alert.description}`,
          children: alert.fields,
        });
        names.push(`Alert(${alert.description})`);
      } catch {
        names.push("Alert(malformed)");
      }
    } else if (inner.contentType === CONTENT_TYPES.change_cipher_spec) {
      names.push("ChangeCipherSpec");
    } else if (inner.contentType === CONTENT_TYPES.application_data) {
      names.push("ApplicationData");
    }
    const contentType = nameOf(CONTENT_TYPES, inner.contentType);
    if (protection) {
      fields.push({
        name: "encrypted_record",
        offset: 5,
        length: wire.fragment.length,
        meaning: `AEAD-protected under the ${protection} key; inner type ${contentType}`,
        children: contentFields.length
          ? [{
            name: "decrypted",
            offset: 0,
            length: 0,
            meaning: "offsets count from the start of the decrypted content",
            children: contentFields,
          }]
          : undefined,
      });
    } else {
      for (const f of contentFields) fields.push(shift(f, 5));
    }
    this.entries.push({
      direction,
      at: Math.round(performance.now() - this.start),
      contentType,
      protection,
      hex: toHex(wire.bytes),
      fields,
    });
    const last = this.flights[this.flights.length - 1];
    const flight = last?.direction === direction
      ? last
      : (this.flights.push({ direction, messages: [], bytes: 0, records: 0 }),
        this.flights[this.flights.length - 1]);
    flight.messages.push(...names);
    flight.bytes += wire.bytes.length;
    flight.records += 1;
  }

  elapsed(): number {
    return performance.now() - this.start;
  }
}

function shift(f: Field, by: number): Field {
  return { ...f, offset: f.offset + by, children: f.children?.map((c) => shift(c, by)) };
}
