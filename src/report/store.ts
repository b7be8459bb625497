// Writing a run as it goes, at a constant cost per cell: each finished cell appends one gzip
// member to the evidence file and one line to the journal, and nothing is rewritten. The report
// itself (<name>.json) is written once, at the end, or at once on an interrupt, and then the
// journal goes. A crash leaves the journal and the evidence, which read back as a partial run
// (src/report/read.ts). See src/report/schema.ts for the three files.

import {
  type CaseInfo,
  cellId,
  emptyTotals,
  type Evidence,
  type EvidenceRef,
  type PlanInfo,
  type Report,
  type Result,
  SCHEMA_VERSION,
  totalsOf,
} from "./schema.ts";
import type { Provenance } from "../contract/provenance.ts";

/** Each side's log is kept to this many bytes: the head and the tail, the middle cut. */
export const LOG_LIMIT = 16 * 1024;

export function boundLog(text: string, limit = LOG_LIMIT): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= limit) return text;
  const half = Math.floor((limit - 64) / 2);
  const dec = new TextDecoder();
  const cut = bytes.length - 2 * half;
  return `${dec.decode(bytes.subarray(0, half))}\n…[${cut} bytes cut]…\n${
    dec.decode(bytes.subarray(bytes.length - half))
  }`;
}

/** A run id that sorts by time and is safe in file names and URLs. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  return `${stamp}-${crypto.randomUUID().slice(0, 6)}`;
}

/** The evidence and journal files that go with a report file. */
export function companions(reportPath: string): { evidence: string; journal: string } {
  const stem = reportPath.replace(/\.json$/, "");
  return { evidence: `${stem}.evidence.gz`, journal: `${stem}.journal` };
}

/** A journal line: what happened, in the order it happened. */
export type JournalEntry =
  | { kind: "run"; report: Omit<Report, "results" | "totals"> }
  | { kind: "provenance"; id: string; provenance: Provenance }
  | { kind: "result"; result: Result }
  | { kind: "cold" };

export interface RunMeta {
  id: string;
  command: string[];
  commit: string | null;
  plan: PlanInfo;
  cases: Record<string, CaseInfo>;
}

const encoder = new TextEncoder();

export async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export class RunStore {
  readonly report: Report;
  private readonly started = performance.now();
  private readonly files: { evidence: string; journal: string };
  private queue: Promise<void> = Promise.resolve();
  private evidenceSize = 0;
  private order = new Map<string, number>();
  private opened: { evidence: Deno.FsFile; journal: Deno.FsFile } | null = null;

  constructor(readonly path: string, meta: RunMeta) {
    this.files = companions(path);
    this.report = {
      schema: SCHEMA_VERSION,
      id: meta.id,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      complete: false,
      command: meta.command,
      commit: meta.commit,
      host: { deno: Deno.version.deno, os: `${Deno.build.os}-${Deno.build.arch}`, cpus: cpus() },
      timing: { wallMs: null, cold: false },
      plan: meta.plan,
      implementations: {},
      cases: meta.cases,
      results: [],
      totals: emptyTotals(),
      regressions: [],
      evidenceFile: this.files.evidence.slice(this.files.evidence.lastIndexOf("/") + 1),
    };
  }

  /** Creates the files (a fresh journal and evidence file) and writes the run's header. */
  async open(): Promise<void> {
    await Deno.mkdir(dirOf(this.path), { recursive: true });
    const create = { write: true, create: true, truncate: true } as const;
    this.opened = {
      evidence: await Deno.open(this.files.evidence, create),
      journal: await Deno.open(this.files.journal, create),
    };
    const { results: _r, totals: _t, ...header } = this.report;
    await this.journal({ kind: "run", report: header });
  }

  /** Cell ids in plan order: results are kept in this order whatever order they finish in. */
  setOrder(cellIds: string[]): void {
    this.order = new Map(cellIds.map((id, i) => [id, i]));
  }

  setProvenance(id: string, provenance: Provenance): Promise<void> {
    this.report.implementations[id] = provenance;
    return this.journal({ kind: "provenance", id, provenance });
  }

  markCold(): Promise<void> {
    this.report.timing.cold = true;
    return this.journal({ kind: "cold" });
  }

  /** Records one cell: its evidence appended, then its line in the journal. */
  add(result: Omit<Result, "evidence">, evidence: Evidence | null): Promise<Result> {
    let full: Result | null = null;
    return this.enqueue(async () => {
      let ref: EvidenceRef | null = null;
      if (evidence && this.opened) {
        const bytes = await gzip(JSON.stringify(evidence));
        await writeAll(this.opened.evidence, bytes);
        ref = { offset: this.evidenceSize, length: bytes.length };
        this.evidenceSize += bytes.length;
      }
      full = { ...result, evidence: ref };
      this.insert(full);
      await this.writeLine({ kind: "result", result: full });
    }).then(() => full!);
  }

  private insert(result: Result): void {
    const rank = (r: Result) => this.order.get(cellId(r)) ?? Infinity;
    const results = this.report.results;
    let at = results.length;
    while (at > 0 && rank(results[at - 1]) > rank(result)) at--;
    results.splice(at, 0, result);
    this.report.totals[result.outcome]++;
  }

  /** Closes the run: complete, or interrupted with the reason (then `complete` stays false). */
  async finish(opts: { regressions?: string[]; interrupted?: string } = {}): Promise<void> {
    await this.queue;
    this.seal(opts);
    await writeAtomically(this.path, JSON.stringify(this.report));
    await this.close();
  }

  /**
   * For signal handlers, which may be followed by an exit at any moment: marks the run
   * interrupted and writes the report synchronously. Later writes keep the mark.
   */
  interruptSync(reason: string): void {
    this.seal({ interrupted: reason });
    const tmp = `${this.path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    Deno.mkdirSync(dirOf(this.path), { recursive: true });
    Deno.writeTextFileSync(tmp, JSON.stringify(this.report));
    Deno.renameSync(tmp, this.path);
    // The report now holds everything the journal did: a reader takes the report.
    try {
      Deno.removeSync(this.files.journal);
    } catch { /* not there */ }
  }

  private seal(opts: { regressions?: string[]; interrupted?: string }): void {
    this.report.finishedAt = new Date().toISOString();
    this.report.timing.wallMs = Math.round(performance.now() - this.started);
    if (opts.regressions) this.report.regressions = opts.regressions;
    const interrupted = this.report.interrupted ?? opts.interrupted;
    if (interrupted) {
      this.report.interrupted = interrupted;
      this.report.complete = false;
    } else this.report.complete = true;
    this.report.totals = totalsOf(this.report.results);
    if (this.evidenceSize === 0) this.report.evidenceFile = null;
  }

  private async close(): Promise<void> {
    if (!this.opened) return;
    for (const f of Object.values(this.opened)) {
      try {
        f.close();
      } catch { /* already closed */ }
    }
    this.opened = null;
    await Deno.remove(this.files.journal).catch(() => {});
    if (this.evidenceSize === 0) await Deno.remove(this.files.evidence).catch(() => {});
  }

  private journal(entry: JournalEntry): Promise<void> {
    return this.enqueue(() => this.writeLine(entry));
  }

  private async writeLine(entry: JournalEntry): Promise<void> {
    if (this.opened) {
      await writeAll(this.opened.journal, encoder.encode(JSON.stringify(entry) + "\n"));
    }
  }

  /** One write at a time, in order; a failed write does not stop the later ones. */
  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.catch(() => {}).then(work);
    this.queue = next.catch(() => {});
    return next;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await file.write(bytes.subarray(at));
}

export async function writeAtomically(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirOf(path), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

export const dirOf = (path: string): string =>
  path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";

function cpus(): number {
  try {
    return navigator.hardwareConcurrency;
  } catch {
    return 0;
  }
}
