// Reading runs back, whatever wrote them: a report of any schema version that was ever written
// (1: everything inline in one file; 2: the report, its evidence file and, for an unfinished run,
// its journal), or a journal alone (a run that crashed before writing its report). Every reader
// gets the current shape (schema.ts) and the evidence through `evidence(result)`. A file that is
// not a report, or is damaged, is a ReportFormatError with one line that names it.

import {
  type CaseInfo,
  cellId,
  type Evidence,
  type Observation,
  observedOf,
  OUTCOMES,
  type Report,
  type Result,
  SCHEMA_VERSION,
  totalsOf,
} from "./schema.ts";
import { companions, dirOf, type JournalEntry } from "./store.ts";

export class ReportFormatError extends Error {
  override name = "ReportFormatError";
}

/** A JSON file that is plainly something else (expectations, a manifest): no schema, no results. */
export class NotAReportError extends ReportFormatError {
  override name = "NotAReportError";
}

/** A report from a newer (or unknown) schema: what it says about itself, so a reader can list it. */
export class UnknownSchemaError extends ReportFormatError {
  override name = "UnknownSchemaError";
  constructor(
    message: string,
    readonly run: { id: string; startedAt: string | null; schema: unknown },
  ) {
    super(message);
  }
}

/** A run as read back: the report in the current shape, and a way to its cells' evidence. */
export interface Run {
  report: Report;
  /** The file it was read from, and the schema version that file has. */
  source: { path: string; schema: number };
  evidence(result: Result): Promise<Evidence | null>;
}

/** Reads a report file (`.json`) or an orphaned journal (`.journal`). */
export async function readRun(path: string): Promise<Run> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ReportFormatError(`${path}: cannot read: ${(e as Error).message}`);
  }
  return path.endsWith(".journal") ? fromJournal(path, text) : fromReportText(path, text);
}

/** The schema versions this code reads. */
export const READABLE_SCHEMAS = [1, SCHEMA_VERSION];

function fromReportText(path: string, text: string): Run {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ReportFormatError(`${path}: not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new NotAReportError(`${path}: not a pqinterop report (not a JSON object)`);
  }
  if (!("schema" in data) && !("results" in data)) {
    throw new NotAReportError(`${path}: not a pqinterop report (no schema, no results)`);
  }
  if (typeof data.id !== "string") {
    throw new ReportFormatError(`${path}: not a pqinterop report (no run id)`);
  }
  if (data.schema === 1) return fromV1(path, data as unknown as ReportV1);
  if (data.schema !== SCHEMA_VERSION) {
    throw new UnknownSchemaError(
      `${path}: report schema ${JSON.stringify(data.schema)}; this code reads ${
        READABLE_SCHEMAS.join(" and ")
      }`,
      {
        id: data.id,
        startedAt: typeof data.startedAt === "string" ? data.startedAt : null,
        schema: data.schema,
      },
    );
  }
  const report = data as unknown as Report;
  if (!Array.isArray(report.results) || typeof report.cases !== "object") {
    throw new ReportFormatError(`${path}: schema 2 report without results or cases`);
  }
  checkResults(path, report.results);
  // An interrupted run may have results in its journal that its report does not (written later).
  const evidencePath = report.evidenceFile ? `${dirOf(path)}/${report.evidenceFile}` : null;
  return { report, source: { path, schema: 2 }, evidence: evidenceReader(evidencePath) };
}

/** Every reader indexes cells by these fields: a result without them makes the file damaged. */
function checkResults(path: string, results: unknown[]): void {
  for (const [i, x] of results.entries()) {
    const r = x as Partial<Result> | null;
    const named = typeof r?.case === "string" && typeof r.suite === "string" &&
      typeof r.client === "string" && typeof r.server === "string";
    if (!named || !OUTCOMES.includes(r!.outcome!)) {
      throw new ReportFormatError(`${path}: result ${i + 1} has no case, suite, pair or outcome`);
    }
  }
}

/** Reads one cell's gzip member from an evidence file. */
function evidenceReader(path: string | null): Run["evidence"] {
  return async (result) => {
    if (!path || !result.evidence) return null;
    const { offset, length } = result.evidence;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch {
      return null;
    }
    try {
      await file.seek(offset, Deno.SeekMode.Start);
      const bytes = new Uint8Array(length);
      let at = 0;
      while (at < length) {
        const n = await file.read(bytes.subarray(at));
        if (n === null) return null;
        at += n;
      }
      return JSON.parse(await gunzip(bytes)) as Evidence;
    } catch {
      return null;
    } finally {
      file.close();
    }
  };
}

export async function gunzip(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return await new Response(stream).text();
}

// ---------------------------------------------------------------- a crashed run's journal

function fromJournal(path: string, text: string): Run {
  let report: Report | null = null;
  const lines = text.split("\n").filter((l) => l.trim());
  for (const [i, line] of lines.entries()) {
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line);
    } catch {
      // The last line of a crashed run can be cut off; anything earlier is damage.
      if (i === lines.length - 1) break;
      throw new ReportFormatError(`${path}: line ${i + 1} is not JSON`);
    }
    if (entry.kind === "run") {
      report = { ...entry.report, results: [], totals: totalsOf([]) } as Report;
    } else if (!report) {
      throw new ReportFormatError(`${path}: the journal does not start with the run`);
    } else if (entry.kind === "provenance") report.implementations[entry.id] = entry.provenance;
    else if (entry.kind === "cold") report.timing.cold = true;
    else if (entry.kind === "result") report.results.push(entry.result);
  }
  if (!report) throw new ReportFormatError(`${path}: empty journal`);
  report.complete = false;
  // A journal without its report is a run still going or one that stopped before writing it.
  report.interrupted ??=
    "no report yet: still running, or stopped before it wrote one (read from its journal)";
  report.totals = totalsOf(report.results);
  const evidence = companions(path.replace(/\.journal$/, ".json")).evidence;
  return { report, source: { path, schema: report.schema }, evidence: evidenceReader(evidence) };
}

// ---------------------------------------------------------------- schema 1

/** What schema 1 wrote: one file, every cell with its title, expectation and evidence inline. */
interface ReportV1 {
  schema: 1;
  id: string;
  startedAt: string;
  finishedAt: string | null;
  complete: boolean;
  interrupted?: string;
  command: string[];
  host: Report["host"];
  timing: Report["timing"];
  implementations: Report["implementations"];
  results: ResultV1[];
  regressions: string[];
}

interface ResultV1 {
  case: string;
  suite: string;
  title: string;
  client: string;
  server: string;
  outcome: Result["outcome"];
  reason: string;
  expected: CaseInfo["expected"];
  observed: Omit<Observation, "signatureScheme" | "serverCertificate"> | null;
  logs: { client: string; server: string };
  durations: Result["durations"];
  attempts: number;
  conformance?: Result["conformance"];
  sentHex?: string;
}

function fromV1(path: string, v1: ReportV1): Run {
  if (!Array.isArray(v1.results)) {
    throw new ReportFormatError(`${path}: schema 1 report without results`);
  }
  checkResults(path, v1.results);
  const cases: Record<string, CaseInfo> = {};
  const inline = new Map<string, Evidence>();
  const results: Result[] = v1.results.map((r) => {
    cases[r.case] ??= { suite: r.suite, title: r.title, expected: r.expected };
    const observation: Observation | null = r.observed
      ? { ...r.observed, signatureScheme: null, serverCertificate: null }
      : null;
    inline.set(cellId(r), {
      observation,
      logs: r.logs ?? { client: "", server: "" },
      ...(r.sentHex ? { sentHex: r.sentHex } : {}),
    });
    return {
      case: r.case,
      suite: r.suite,
      client: r.client,
      server: r.server,
      outcome: r.outcome,
      reason: r.reason,
      observed: observation ? observedOf(observation) : null,
      durations: r.durations,
      attempts: r.attempts,
      ...(r.conformance ? { conformance: r.conformance } : {}),
      // Schema 1 kept the evidence in the report itself: it is served from memory.
      evidence: r.outcome === "unsupported" ? null : { offset: 0, length: 0 },
    };
  });
  const version = Object.values(v1.implementations ?? {}).find((p) => p.id === "ts")?.version;
  const report: Report = {
    schema: SCHEMA_VERSION,
    id: v1.id,
    startedAt: v1.startedAt,
    finishedAt: v1.finishedAt,
    complete: v1.complete,
    ...(v1.interrupted ? { interrupted: v1.interrupted } : {}),
    command: v1.command,
    commit: version?.replace(/^pqinterop /, "") ?? null,
    host: v1.host,
    timing: v1.timing,
    plan: { hash: "schema-1", cells: results.length },
    implementations: v1.implementations ?? {},
    cases,
    results,
    totals: totalsOf(results),
    regressions: v1.regressions ?? [],
    evidenceFile: null,
  };
  return {
    report,
    source: { path, schema: 1 },
    evidence: (result) => Promise.resolve(inline.get(cellId(result)) ?? null),
  };
}

// ---------------------------------------------------------------- a folder of runs

export interface RunFolder {
  runs: Run[];
  /**
   * Files that look like reports but could not be read, one line each. A report of a schema this
   * code does not read also says which run it is, so a reader can list that run with a notice.
   */
  problems: FolderProblem[];
}

export interface FolderProblem {
  file: string;
  why: string;
  run?: UnknownSchemaError["run"];
}

/**
 * The files of a folder listing that may hold runs, whatever they are called: reports (`*.json`)
 * and the journals of runs that never wrote one, sorted by name.
 */
export function runFiles(names: string[]): string[] {
  const sorted = [...names].sort();
  const reports = new Set(sorted.filter((n) => n.endsWith(".json")));
  return [
    ...reports,
    // A journal whose report exists belongs to a run that was interrupted and then written.
    ...sorted.filter((n) =>
      n.endsWith(".journal") && !reports.has(n.replace(/\.journal$/, ".json"))
    ),
  ];
}

/**
 * Puts the files of one folder, each read or failed, together as its runs (newest first): files
 * that are plainly not reports are left out without a word, damaged ones become problems, and two
 * files with one run id are a problem, not a silent choice (the first by file name is kept).
 */
export function assembleFolder(files: { file: string; read: Run | Error }[]): RunFolder {
  const out: RunFolder = { runs: [], problems: [] };
  const seen = new Map<string, string>();
  for (const { file, read } of [...files].sort((a, b) => a.file.localeCompare(b.file))) {
    if (read instanceof NotAReportError) continue;
    if (read instanceof Error) {
      // Messages start with the file's path; the problem names the file on its own.
      const at = read.message.indexOf(`${file}: `);
      const why = at >= 0 ? read.message.slice(at + file.length + 2) : read.message;
      out.problems.push({
        file,
        why,
        ...(read instanceof UnknownSchemaError ? { run: read.run } : {}),
      });
      continue;
    }
    const id = read.report.id;
    const other = seen.get(id);
    if (other) {
      out.problems.push({ file, why: `run ${id} is also in ${other}; only that file is shown` });
      continue;
    }
    seen.set(id, file);
    out.runs.push(read);
  }
  out.runs.sort((a, b) =>
    b.report.startedAt.localeCompare(a.report.startedAt) || b.report.id.localeCompare(a.report.id)
  );
  return out;
}

/** Every run in a folder (see runFiles and assembleFolder). A missing folder holds no runs. */
export async function readFolder(dir: string): Promise<RunFolder> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { runs: [], problems: [] };
    throw e;
  }
  const files = [];
  for (const file of runFiles(names)) {
    files.push({ file, read: await readRun(`${dir}/${file}`).catch((e: Error) => e) });
  }
  return assembleFolder(files);
}
