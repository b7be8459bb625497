// The run report on disk: created when the run starts, rewritten atomically as cells finish
// (so a reader, or a crash, never sees half a file), and closed as complete or interrupted.

import {
  cellId,
  type Outcome,
  OUTCOMES,
  type Report,
  type Result,
  SCHEMA_VERSION,
} from "./schema.ts";
import type { ImplId, Provenance } from "../peers/types.ts";

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

export const emptyTotals = (): Record<Outcome, number> =>
  Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;

export function totalsOf(results: Result[]): Record<Outcome, number> {
  const totals = emptyTotals();
  for (const r of results) totals[r.outcome]++;
  return totals;
}

export class RunStore {
  readonly report: Report;
  private readonly started = performance.now();
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private order = new Map<string, number>();

  constructor(readonly path: string, id: string, command: string[]) {
    this.report = {
      schema: SCHEMA_VERSION,
      id,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      complete: false,
      command,
      host: { deno: Deno.version.deno, os: `${Deno.build.os}-${Deno.build.arch}`, cpus: cpus() },
      timing: { wallMs: null, cold: false },
      implementations: {},
      results: [],
      totals: emptyTotals(),
      regressions: [],
    };
  }

  setProvenance(id: ImplId, provenance: Provenance): Promise<void> {
    this.report.implementations[id] = provenance;
    return this.save();
  }

  markCold(): void {
    this.report.timing.cold = true;
  }

  /** Cell ids in plan order: results are kept in this order whatever order they finish in. */
  setOrder(cellIds: string[]): void {
    this.order = new Map(cellIds.map((id, i) => [id, i]));
  }

  add(result: Result): Promise<void> {
    const rank = (r: Result) => this.order.get(cellId(r)) ?? Infinity;
    const results = this.report.results;
    let at = results.length;
    while (at > 0 && rank(results[at - 1]) > rank(result)) at--;
    results.splice(at, 0, result);
    this.report.totals = totalsOf(this.report.results);
    return this.save();
  }

  /** Closes the run: complete, or interrupted with the reason (then `complete` stays false). */
  finish(opts: { regressions?: string[]; interrupted?: string } = {}): Promise<void> {
    this.report.finishedAt = new Date().toISOString();
    this.report.timing.wallMs = Math.round(performance.now() - this.started);
    this.report.regressions = opts.regressions ?? [];
    const interrupted = this.report.interrupted ?? opts.interrupted;
    if (interrupted) this.report.interrupted = interrupted;
    else this.report.complete = true;
    return this.save();
  }

  /**
   * For signal handlers, which may be followed by an exit at any moment: marks the run
   * interrupted and writes it synchronously. Later writes keep the mark.
   */
  interruptSync(reason: string): void {
    this.report.interrupted = reason;
    this.report.complete = false;
    this.report.finishedAt = new Date().toISOString();
    this.report.timing.wallMs = Math.round(performance.now() - this.started);
    const tmp = `${this.path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    Deno.mkdirSync(dirOf(this.path), { recursive: true });
    Deno.writeTextFileSync(tmp, JSON.stringify(this.report));
    Deno.renameSync(tmp, this.path);
  }

  /**
   * Writes the report: at most one write runs at a time, and a write asked for while one runs
   * happens right after it, so the file never lags more than one write behind the run.
   */
  save(): Promise<void> {
    if (this.dirty) return this.writing;
    this.dirty = true;
    // A failed write must not stop the later ones; its caller still sees the error.
    this.writing = this.writing.catch(() => {}).then(async () => {
      this.dirty = false;
      await writeAtomically(this.path, JSON.stringify(this.report));
    });
    return this.writing;
  }
}

export async function writeAtomically(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirOf(path), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/** Reads a report back, checking the schema version so old files fail clearly. */
export async function readReport(path: string): Promise<Report> {
  const report = JSON.parse(await Deno.readTextFile(path)) as Report;
  if (report.schema !== SCHEMA_VERSION) {
    throw new Error(`${path}: report schema ${report.schema}, this code reads ${SCHEMA_VERSION}`);
  }
  return report;
}

const dirOf = (path: string): string =>
  path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";

function cpus(): number {
  try {
    return navigator.hardwareConcurrency;
  } catch {
    return 0;
  }
}
