// Merging the evidence of a cell into one Observation: what the wire saw, where it can see, then
// each program's own report, with every disagreement between them written down. The judge works
// from this alone.

import type { PeerReport } from "../contract/report.ts";
import type { Observation } from "../report/schema.ts";
import type { CipherSuiteName, GroupName, PskModeName } from "../tls/names.ts";
import type { WireObservation } from "../wire/observation.ts";

/** The report of the connection an expectation is about: the last one (the resumed one). */
export function finalReport(r: PeerReport | null): PeerReport | null {
  if (!r) return null;
  return r.next?.length ? r.next[r.next.length - 1] : r;
}

/** Every connection of a program went through. */
export const allOk = (r: PeerReport): boolean => r.ok && (r.next ?? []).every(allOk);

/** What the wire can tell for certain, field by field; undefined = the wire cannot see it. */
interface WireFacts {
  group?: GroupName | null;
  cipherSuite?: CipherSuiteName;
  helloRetryRequest?: boolean;
  pskMode?: PskModeName | null;
  certWithPsk?: boolean;
}

function wireFacts(w: WireObservation | null): WireFacts {
  if (!w) return {};
  const facts: WireFacts = {};
  // A ServerHello always carries key_share or pre_shared_key; seeing either means we saw it.
  const sawServerHello = w.selectedGroup !== null || w.pskSelected !== null;
  if (w.cipherSuite !== null) {
    facts.helloRetryRequest = w.helloRetryRequest;
    if (w.cipherSuite.startsWith("TLS_")) facts.cipherSuite = w.cipherSuite as CipherSuiteName;
  }
  if (sawServerHello) {
    // Unknown codepoints stay visible as their hex name rather than vanishing into null.
    facts.group = w.selectedGroup as GroupName | null;
    facts.pskMode = w.pskSelected === null ? null : w.selectedGroup ? "psk_dhe_ke" : "psk_ke";
    facts.certWithPsk = w.certWithPskEchoed;
  }
  return facts;
}

type Field = "group" | "cipherSuite" | "helloRetryRequest" | "pskMode" | "certWithPsk";
const WIRE_FIELDS: Field[] = [
  "group",
  "cipherSuite",
  "helloRetryRequest",
  "pskMode",
  "certWithPsk",
];
const REPORT_ONLY = ["resumed", "earlyData", "signatureScheme"] as const;

/** A value as a reason sentence shows it. */
export const show = (v: unknown): string => v === null ? "none" : String(v);

/** Merges the wire and both reports into one observation, listing every disagreement. */
export function observe(
  wire: WireObservation | null,
  clientReport: PeerReport | null,
  serverReport: PeerReport | null,
): Observation {
  const client = finalReport(clientReport);
  const server = finalReport(serverReport);
  const facts = wireFacts(wire);
  const disagreements: string[] = [];
  const merged = {} as Record<Field | typeof REPORT_ONLY[number], unknown>;

  for (const field of WIRE_FIELDS) {
    const seen = facts[field];
    const said = [["client", client?.[field] ?? null], [
      "server",
      server?.[field] ?? null,
    ]] as const;
    if (seen !== undefined) {
      merged[field] = seen;
      for (const [who, value] of said) {
        if (value !== null && value !== seen) {
          disagreements.push(
            `${field}: the wire shows ${show(seen)} but the ${who} reported ${show(value)}`,
          );
        }
      }
    } else {
      merged[field] = said[0][1] ?? said[1][1];
      reportsDisagree(field, said[0][1], said[1][1], disagreements);
    }
  }
  for (const field of REPORT_ONLY) {
    const c = client?.[field] ?? null;
    const s = server?.[field] ?? null;
    merged[field] = c ?? s;
    reportsDisagree(field, c, s, disagreements);
  }
  // The server's certificate: as the client verified it, or as the server says it presented it.
  const serverCertificate = client?.peerCertificate?.keyType ?? null;
  const presented = server?.certificate?.keyType ?? null;
  reportsDisagree("serverCertificate", serverCertificate, presented, disagreements);
  if (merged.earlyData === "accepted" && wire && !wire.earlyDataOffered && wire.connections > 0) {
    disagreements.push(
      "earlyData: a program reported accepted 0-RTT but no ClientHello offered it",
    );
  }

  return {
    group: merged.group as GroupName | null,
    cipherSuite: merged.cipherSuite as CipherSuiteName | null,
    helloRetryRequest: merged.helloRetryRequest as boolean | null,
    resumed: merged.resumed as boolean | null,
    pskMode: merged.pskMode as PskModeName | null,
    earlyData: merged.earlyData as Observation["earlyData"],
    certWithPsk: merged.certWithPsk as boolean | null,
    signatureScheme: merged.signatureScheme as Observation["signatureScheme"],
    serverCertificate: serverCertificate ?? presented,
    alert: alertOf(wire, client, server),
    client: clientReport,
    server: serverReport,
    wire,
    disagreements,
  };
}

function reportsDisagree(field: string, c: unknown, s: unknown, out: string[]): void {
  if (c !== null && s !== null && c !== s) {
    out.push(`${field}: the client reported ${show(c)} but the server reported ${show(s)}`);
  }
}

/** The alert that ended the handshake: one seen in clear on the wire, else a program's word. */
function alertOf(
  wire: WireObservation | null,
  client: PeerReport | null,
  server: PeerReport | null,
): Observation["alert"] {
  const clear = wire?.alerts.find((a) => a.level === "fatal") ?? wire?.alerts[0];
  if (clear) return { name: clear.alert, by: clear.from };
  const name = client?.alert ?? server?.alert;
  return name ? { name, by: "unknown" } : null;
}
