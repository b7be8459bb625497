// One cell's evidence: what was expected against what was seen, the handshake as the wire tap
// decoded it (field by field, each with its byte range and meaning), where the sides disagree,
// both programs' logs and reports, timings and sizes, and which builds ran.
// deno-lint-ignore-file jsx-key -- rendered once on the server: keys reconcile nothing

import type { PeerReport } from "../../contract/report.ts";
import type { Provenance } from "../../contract/provenance.ts";
import { cellId, type Report, type Result, type WireObservation } from "../../report/schema.ts";
import type { Field, TranscriptEntry } from "../../tls/summary.ts";
import { CONFORMANCE_SUITE, verdict, verdictText } from "../conformance.ts";
import { cellSlug } from "../cells.ts";
import { Layout } from "../layout.tsx";
import { type Here, paths, to } from "../links.ts";
import { Mark, ms, ProvenanceTable } from "../parts.tsx";

const show = (v: unknown): string =>
  v === null || v === undefined ? "—" : Array.isArray(v) ? v.join(", ") || "none" : String(v);

export function CellPage({ here, report, r }: { here: Here; report: Report; r: Result }) {
  const o = r.observed;
  const impls = report.implementations as Partial<Record<string, Provenance>>;
  return (
    <Layout here={here} title={`${r.title}: ${r.client} → ${r.server}`} page="cell">
      <p>
        <a href={to(here, paths.run(report.id))}>Run {report.id}</a> › suite {r.suite}
      </p>
      <h1>
        {r.title}: {r.client} (client) → {r.server} (server)
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
        {r.suite === CONFORMANCE_SUITE && (
          <>
            <dt>verdict</dt>
            <dd>{verdictText(verdict(r))}</dd>
          </>
        )}
        <dt>JSON</dt>
        <dd>
          <a href={to(here, paths.apiCell(report.id, cellSlug(r)))}>this cell as JSON</a>
        </dd>
      </dl>

      <h2 id="expectation">Expected and observed</h2>
      <ExpectedObserved r={r} />

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

      <h2 id="reports">What each program reported</h2>
      <PeerReports client={o?.client ?? null} server={o?.server ?? null} />

      <h2 id="wire">On the wire</h2>
      {o?.wire ? <Wire wire={o.wire} /> : <p>The wire tap saw no handshake for this cell.</p>}

      {r.sentHex !== undefined && (
        <>
          <h2 id="sent">Bytes the adversary sent</h2>
          <pre class="hex" tabindex={0}>{r.sentHex}</pre>
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
          <pre tabindex={0}>{r.logs.client || "(empty)"}</pre>
        </section>
        <section aria-labelledby="log-server">
          <h3 id="log-server">server log ({r.server})</h3>
          <pre tabindex={0}>{r.logs.server || "(empty)"}</pre>
        </section>
      </div>

      <h2 id="provenance">Builds</h2>
      <ProvenanceTable
        here={here}
        impls={{ [r.client]: impls[r.client], [r.server]: impls[r.server] }}
        caption="The two implementations in this cell"
      />
    </Layout>
  );
}

function ExpectedObserved({ r }: { r: Result }) {
  const o = r.observed;
  const e = r.expected;
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

function Transcript({ entries }: { entries: TranscriptEntry[] }) {
  return (
    <ol class="transcript">
      {entries.map((e) => (
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
            {e.fields.map((f) => <FieldTree f={f} depth={0} />)}
            <details>
              <summary>
                record bytes (hex{e.hex.endsWith("…") ? ", cut short by the tap" : ""})
              </summary>
              <pre class="hex" tabindex={0}>{e.hex}</pre>
            </details>
          </details>
        </li>
      ))}
    </ol>
  );
}

/** The record header's length says the size; the hex of a long record may be cut short. */
function recordSize(e: TranscriptEntry): number {
  const length = Number(e.fields.find((f) => f.name === "length")?.value);
  return Number.isInteger(length) ? 5 + length : Math.floor(e.hex.length / 2);
}

function FieldLine({ f }: { f: Field }) {
  return (
    <>
      <strong>{f.name}</strong> <span class="range">[{f.offset}, {f.offset + f.length})</span>
      {f.value !== undefined && (
        <>
          = <code>{f.value}</code>
        </>
      )}
      {f.meaning && <span class="meaning">— {f.meaning}</span>}
    </>
  );
}

/** The outer two levels start open (record, message); deeper structure is a click away. */
function FieldTree({ f, depth }: { f: Field; depth: number }): ReturnType<typeof FieldLine> {
  if (!f.children?.length) {
    return (
      <div class="field">
        <FieldLine f={f} />
      </div>
    );
  }
  return (
    <details class="field" open={depth < 2}>
      <summary>
        <FieldLine f={f} />
      </summary>
      {f.children.map((c) => <FieldTree f={c} depth={depth + 1} />)}
    </details>
  );
}
