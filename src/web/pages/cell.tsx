// One cell: what was expected against what was seen, then its evidence (both programs' reports,
// the wire tap's view, the annotated transcript, both logs). The first part comes from the report
// alone; the evidence is read from the run's evidence file only when this page is asked for. The
// static export writes the evidence as a compressed fragment beside a light page, and its script
// puts it in place (a static host cannot read one cell out of the run's evidence file).
// deno-lint-ignore-file jsx-key -- rendered once on the server: keys reconcile nothing

import type { PeerReport } from "../../contract/report.ts";
import type { Provenance } from "../../contract/provenance.ts";
import {
  cellId,
  type Evidence,
  type Report,
  type Result,
  type WireObservation,
} from "../../report/schema.ts";
import type { Field, TranscriptEntry } from "../../tls/summary.ts";
import { CONFORMANCE_SUITE, verdict, verdictText } from "../conformance.ts";
import { cellSlug } from "../cells.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { Mark, ms, ProvenanceTable } from "../parts.tsx";
import { pairKey } from "../runindex.ts";

const show = (v: unknown): string =>
  v === null || v === undefined ? "—" : Array.isArray(v) ? v.join(", ") || "none" : String(v);

/**
 * How the evidence is on the page: in it (the live server), loaded by the script from the
 * compressed fragment beside the page (the static export), or absent (nothing ran).
 */
export type EvidenceOnPage =
  | { kind: "inline"; evidence: Evidence | null }
  | { kind: "deferred"; src: string };

export function CellPage(
  { here, report, r, evidence }: {
    here: Here;
    report: Report;
    r: Result;
    evidence: EvidenceOnPage;
  },
) {
  const o = r.observed;
  const title = report.cases[r.case]?.title ?? r.case;
  const pair = pairKey(r.client, r.server);
  return (
    <Layout here={here} title={`${title}: ${r.client} → ${r.server}`} page="cell">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={to(here, paths.run(report.id))}>Run {report.id}</a> ›{" "}
        <a href={to(here, paths.suite(report.id, r.suite))}>{r.suite}</a> ›{" "}
        <a href={to(here, paths.pairSuite(report.id, pair, r.suite))}>
          {r.client} → {r.server}
        </a>
      </nav>
      <h1>
        {title}: {r.client} (client) → {r.server} (server)
      </h1>
      <p class={`o-${r.outcome} banner-outcome`}>
        <Mark outcome={r.outcome} /> — {r.reason}
      </p>
      <dl class="facts">
        <dt>cell</dt>
        <dd>
          <code>{cellId(r)}</code>
        </dd>
        <dt>attempts</dt>
        <dd>{r.attempts}</dd>
        <dt>total time</dt>
        <dd>{ms(r.durations.totalMs)}</dd>
        <dt>handshake time</dt>
        <dd>{ms(r.durations.handshakeMs)}</dd>
        {o?.wire && (
          <>
            <dt>bytes on the wire</dt>
            <dd>
              {o.wire.bytes.clientToServer} client → server, {o.wire.bytes.serverToClient}{" "}
              server → client; first flights {show(o.wire.firstFlight.client)} and{" "}
              {show(o.wire.firstFlight.server)}; key shares {show(o.wire.share.client)} and{" "}
              {show(o.wire.share.server)}
            </dd>
          </>
        )}
        {r.suite === CONFORMANCE_SUITE && (
          <>
            <dt>verdict</dt>
            <dd>{verdictText(verdict(report, r))}</dd>
          </>
        )}
        {here.detailed(report.id) && !here.staticSite && (
          <>
            <dt>JSON</dt>
            <dd>
              <a href={to(here, paths.apiCell(report.id, cellSlug(r)))}>
                this cell and its evidence as JSON
              </a>
            </dd>
          </>
        )}
      </dl>

      {evidence.kind === "inline"
        ? <CellDetails here={here} report={report} r={r} evidence={evidence.evidence} />
        : (
          <div id="evidence" data-src={evidence.src}>
            <p>
              The details (expectation against observation, both programs' reports, the wire, the
              annotated transcript, the logs and the builds) are loaded by this page's script from
              {" "}
              <a href={evidence.src}>a compressed file beside it</a>.
            </p>
          </div>
        )}
    </Layout>
  );
}

/**
 * Everything below a cell's headline: the expectation against the observation, then the evidence
 * from the evidence file, then the builds. The same HTML inline (live) or deferred (static).
 */
export function CellDetails(
  { here, report, r, evidence }: {
    here: Here;
    report: Report;
    r: Result;
    evidence: Evidence | null;
  },
) {
  const o = r.observed;
  const impls = report.implementations as Partial<Record<string, Provenance>>;
  return (
    <>
      <h2 id="expectation">Expected and observed</h2>
      <ExpectedObserved report={report} r={r} />

      <h2 id="disagreements">Disagreements</h2>
      {o && o.disagreements.length > 0
        ? (
          <ul>
            {o.disagreements.map((d) => <li>{d}</li>)}
          </ul>
        )
        : (
          <p>
            None: the wire and both programs tell the same story{o ? "" : " (nothing observed)"}.
          </p>
        )}

      {evidence ? <Evidence r={r} evidence={evidence} /> : (
        <>
          <h2 id="evidence-missing">Evidence</h2>
          <p>
            {r.outcome === "unsupported"
              ? "Nothing ran, so there is no evidence."
              : "The evidence of this cell is not available (its evidence file is missing or damaged)."}
          </p>
        </>
      )}

      <h2 id="provenance">Builds</h2>
      <ProvenanceTable
        here={here}
        impls={{ [r.client]: impls[r.client], [r.server]: impls[r.server] }}
        caption="The two implementations in this cell"
        full
      />
    </>
  );
}

function Evidence({ r, evidence }: { r: Result; evidence: Evidence }) {
  const o = evidence.observation;
  return (
    <section>
      <h2 id="reports">What each program reported</h2>
      <PeerReports client={o?.client ?? null} server={o?.server ?? null} />

      <h2 id="wire">On the wire</h2>
      {o?.wire ? <Wire wire={o.wire} /> : <p>The wire tap saw no handshake for this cell.</p>}

      {evidence.sentHex !== undefined && (
        <>
          <h2 id="sent">Bytes the adversary sent</h2>
          <pre class="hex" tabindex={0}>{evidence.sentHex}</pre>
        </>
      )}

      <h2 id="transcript">Annotated handshake transcript</h2>
      {o?.wire && o.wire.transcript.length > 0
        ? <Transcript entries={o.wire.transcript} />
        : <p>No transcript was recorded.</p>}

      {/* Long logs scroll inside their box; tabindex lets a keyboard reach and scroll them. */}
      <h2 id="logs">Logs</h2>
      <div class="two">
        <section aria-labelledby="log-client">
          <h3 id="log-client">client log ({r.client})</h3>
          <pre tabindex={0}>{foldRepeats(evidence.logs.client) || "(empty)"}</pre>
        </section>
        <section aria-labelledby="log-server">
          <h3 id="log-server">server log ({r.server})</h3>
          <pre tabindex={0}>{foldRepeats(evidence.logs.server) || "(empty)"}</pre>
        </section>
      </div>
    </section>
  );
}

/** A line repeated many times in a row is shown once, with how often it came. */
export function foldRepeats(log: string): string {
  const out: string[] = [];
  const lines = log.split("\n");
  for (let i = 0; i < lines.length;) {
    let j = i + 1;
    while (j < lines.length && lines[j] === lines[i]) j++;
    out.push(lines[i]);
    if (j - i > 2) out.push(`  [the line above ${j - i - 1} more times]`);
    else if (j - i === 2) out.push(lines[i]);
    i = j;
  }
  return out.join("\n");
}

function ExpectedObserved({ report, r }: { report: Report; r: Result }) {
  const o = r.observed;
  const e = report.cases[r.case]?.expected;
  if (!e) return <p>The report does not say what this case expects.</p>;
  const rows: [string, unknown, unknown][] = e.kind === "alert"
    ? [
      ["alert", e.alert, o?.alert?.name],
      ["sent by", e.by, o?.alert?.by],
    ]
    : [
      [
        "group",
        "groupOneOf" in e && e.groupOneOf ? `one of ${e.groupOneOf.join(", ")}` : e.group,
        o?.group,
      ],
      ["HelloRetryRequest", e.helloRetryRequest, o?.helloRetryRequest],
      ["cipher suite", e.cipherSuite, o?.cipherSuite],
      ["resumed", e.resumed, o?.resumed],
      ["PSK mode", e.pskMode, o?.pskMode],
      ["early data", e.earlyData, o?.earlyData],
      ["cert with external PSK", e.certWithPsk, o?.certWithPsk],
      ["signature scheme", undefined, o?.signatureScheme],
      ["server certificate", undefined, o?.serverCertificate],
      ["alert", "none", o?.alert ? `${o.alert.name} (by ${o.alert.by})` : null],
    ];
  return (
    <table>
      <caption>Expectation ({e.kind}) against observation; "—" = not checked or not seen</caption>
      <thead>
        <tr>
          <th scope="col">property</th>
          <th scope="col">expected</th>
          <th scope="col">observed</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, exp, obs]) => (
          <tr>
            <th scope="row">{name}</th>
            <td>{show(exp)}</td>
            <td>{show(obs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const PEER_FIELDS: (keyof PeerReport)[] = [
  "ok",
  "version",
  "group",
  "cipherSuite",
  "helloRetryRequest",
  "resumed",
  "pskMode",
  "pskIdentity",
  "earlyData",
  "certWithPsk",
  "signatureScheme",
  "alert",
  "error",
];

function PeerReports({ client, server }: { client: PeerReport | null; server: PeerReport | null }) {
  return (
    <table>
      <caption>Each program's own account ("—" = it does not say)</caption>
      <thead>
        <tr>
          <th scope="col">field</th>
          <th scope="col">client</th>
          <th scope="col">server</th>
        </tr>
      </thead>
      <tbody>
        {PEER_FIELDS.map((f) => (
          <tr>
            <th scope="row">{f}</th>
            <td>{client ? show(client[f]) : "no report"}</td>
            <td>{server ? show(server[f]) : "no report"}</td>
          </tr>
        ))}
        <tr>
          <th scope="row">further connections</th>
          <td>{client?.next?.length ?? 0}</td>
          <td>{server?.next?.length ?? 0}</td>
        </tr>
      </tbody>
    </table>
  );
}

function Wire({ wire }: { wire: WireObservation }) {
  return (
    <>
      <dl class="facts">
        <dt>groups offered</dt>
        <dd>{show(wire.groupsOffered)}</dd>
        <dt>key shares offered</dt>
        <dd>
          {wire.keySharesOffered.map((k) => `${k.group} (${k.size} bytes)`).join(", ") || "none"}
        </dd>
        <dt>selected group</dt>
        <dd>
          {show(wire.selectedGroup)}
          {wire.serverShareSize !== null ? `, server share ${wire.serverShareSize} bytes` : ""}
        </dd>
        <dt>HelloRetryRequest</dt>
        <dd>{wire.helloRetryRequest ? `yes, for ${show(wire.hrrGroup)}` : "no"}</dd>
        <dt>cipher suite</dt>
        <dd>{show(wire.cipherSuite)}</dd>
        <dt>PSK</dt>
        <dd>
          {wire.pskOffered} offered, selected {show(wire.pskSelected)}; cert with PSK offered{" "}
          {show(wire.certWithPskOffered)}, echoed {show(wire.certWithPskEchoed)}; early data offered
          {" "}
          {show(wire.earlyDataOffered)}
        </dd>
        <dt>alerts in clear</dt>
        <dd>
          {wire.alerts.map((a) => `${a.alert} (${a.level}) from the ${a.from}`).join("; ") ||
            "none"}
        </dd>
        <dt>connections</dt>
        <dd>{wire.connections}</dd>
        <dt>time to first server byte</dt>
        <dd>{ms(wire.timings.firstServerByteMs)}</dd>
        <dt>time to close</dt>
        <dd>{ms(wire.timings.closedMs)}</dd>
      </dl>
      <table>
        <caption>Bytes and TCP segments per direction</caption>
        <thead>
          <tr>
            <th scope="col">direction</th>
            <th scope="col">bytes</th>
            <th scope="col">segments</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">client → server</th>
            <td>{wire.bytes.clientToServer}</td>
            <td>{wire.segments.clientToServer}</td>
          </tr>
          <tr>
            <th scope="row">server → client</th>
            <td>{wire.bytes.serverToClient}</td>
            <td>{wire.segments.serverToClient}</td>
          </tr>
        </tbody>
      </table>
      {wire.flights.length > 0 && (
        <table>
          <caption>Flights: each side's run of records before the other answers</caption>
          <thead>
            <tr>
              <th scope="col">from</th>
              <th scope="col">bytes</th>
              <th scope="col">segments</th>
              <th scope="col">records</th>
            </tr>
          </thead>
          <tbody>
            {wire.flights.map((f) => (
              <tr>
                <th scope="row">{f.from}</th>
                <td>{f.bytes}</td>
                <td>{f.segments}</td>
                <td>{f.records}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Hex values longer than this (characters) are shortened in the field tree. */
const VALUE_SHOWN = 64;

function Transcript({ entries }: { entries: TranscriptEntry[] }) {
  return (
    <ol class="transcript">
      {entries.map((e) => {
        // The record's hex holds every byte once; a long field value repeats part of it, so the
        // tree shows its start. When the tap cut the record short, the values are the only copy.
        const whole = !e.hex.endsWith("…");
        return (
          <li>
            <details>
              <summary>
                {e.direction === "sent" ? "client → server" : "server → client"} at {ms(e.at)}:{" "}
                {e.contentType}
                {e.protection === null
                  ? " (in clear)"
                  : e.protection === "protected"
                  ? " (encrypted)"
                  : ` (encrypted, ${e.protection} keys)`}, {recordSize(e)} bytes
              </summary>
              <ul class="fields">
                {e.fields.map((f) => <FieldTree f={f} depth={0} shorten={whole} />)}
              </ul>
              <details>
                <summary>
                  record bytes (hex{whole ? "" : ", cut short by the tap"})
                </summary>
                <pre class="hex" tabindex={0}>{e.hex}</pre>
              </details>
            </details>
          </li>
        );
      })}
    </ol>
  );
}

/** The record header's length says the size; the hex of a long record may be cut short. */
function recordSize(e: TranscriptEntry): number {
  const length = Number(e.fields.find((f) => f.name === "length")?.value);
  return Number.isInteger(length) ? 5 + length : Math.floor(e.hex.length / 2);
}

function FieldLine({ f, shorten }: { f: Field; shorten: boolean }) {
  const long = shorten && f.value !== undefined && f.value.length > VALUE_SHOWN &&
    /^[0-9a-f]+$/.test(f.value);
  return (
    <>
      <b>{f.name}</b> <i>[{f.offset}, {f.offset + f.length})</i>
      {f.value !== undefined && (
        <>
          {" "}
          <code>{long ? `${f.value.slice(0, VALUE_SHOWN)}…` : f.value}</code>
          {long && ` (${f.value.length / 2} bytes, all in the record bytes)`}
        </>
      )}
      {f.meaning && (
        <>
          {" "}
          <span class="meaning">— {f.meaning}</span>
        </>
      )}
    </>
  );
}

/** The outer two levels start open (record, message); deeper structure is a click away. */
function FieldTree(
  { f, depth, shorten }: { f: Field; depth: number; shorten: boolean },
): ReturnType<typeof FieldLine> {
  if (!f.children?.length) {
    return (
      <li>
        <FieldLine f={f} shorten={shorten} />
      </li>
    );
  }
  return (
    <li>
      <details open={depth < 2}>
        <summary>
          <FieldLine f={f} shorten={shorten} />
        </summary>
        <ul class="fields">
          {f.children.map((c) => <FieldTree f={c} depth={depth + 1} shorten={shorten} />)}
        </ul>
      </details>
    </li>
  );
}
