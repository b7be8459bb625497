// Read-only access to the run reports in one directory (`reports/runs/<id>.json`), newest first.
// The directory is looked at again at most once a second (`rescanMs`), so a run written while the
// server is up shows within a second; a file is parsed again only when its size or mtime changes.
// A corrupt file is skipped with one warning on stderr, never a crash: the page must stay up
// while a run is being written.

import { SCHEMA_VERSION } from "../report/schema.ts";
import type { Report } from "../report/schema.ts";

/** Run ids become file names and URL segments: letters, digits, `.`, `_`, `-`; no `..`. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const isRunId = (id: string): boolean => RUN_ID.test(id) && !id.includes("..");

interface Entry {
  stamp: string;
  report: Report | null;
}

interface Scan {
  at: number;
  /** id → size:mtime of its file. */
  stamps: Map<string, string>;
  /** Changes whenever any file appears, goes or changes. */
  version: string;
  reports: Report[];
}

export class ReportStore {
  readonly #dir: string;
  readonly #cache = new Map<string, Entry>();
  readonly #warn: (message: string) => void;
  readonly #rescanMs: number;
  #scan: Promise<Scan> | null = null;

  constructor(
    dir: string,
    warn: (message: string) => void = (m) => console.error(m),
    rescanMs = 1000,
  ) {
    this.#dir = dir;
    this.#warn = warn;
    this.#rescanMs = rescanMs;
  }

  /** Every readable report, newest first (by start time, then id). */
  async list(): Promise<Report[]> {
    return (await this.#current()).reports;
  }

  /** A token that changes whenever the set of reports or any of their files does. */
  async version(): Promise<string> {
    return (await this.#current()).version;
  }

  /** One report by id, or null when the id is malformed, unknown or unreadable. */
  async get(id: string): Promise<Report | null> {
    if (!isRunId(id)) return null;
    const stamp = (await this.#current()).stamps.get(id);
    return stamp === undefined ? null : this.#cache.get(id)?.report ?? null;
  }

  async latest(): Promise<Report | null> {
    return (await this.list())[0] ?? null;
  }

  /** Concurrent callers share one scan; a finished one is reused for rescanMs. */
  #current(): Promise<Scan> {
    const scan = this.#scan ?? this.#rescan();
    return scan.then((s) => {
      if (performance.now() - s.at < this.#rescanMs) return s;
      return this.#scan === scan ? this.#rescan() : this.#scan!;
    });
  }

  #rescan(): Promise<Scan> {
    const next = this.#read().catch((e) => {
      this.#scan = null;
      throw e;
    });
    this.#scan = next;
    return next;
  }

  async #read(): Promise<Scan> {
    const stamps = new Map<string, string>();
    const reports: Report[] = [];
    for (const id of await this.#ids()) {
      const stamp = await this.#load(id);
      if (stamp === null) continue;
      stamps.set(id, stamp);
      const report = this.#cache.get(id)?.report;
      if (report) reports.push(report);
    }
    reports.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
    const version = [...stamps].map(([id, s]) => `${id}=${s}`).sort().join(",");
    return { at: performance.now(), stamps, version, reports };
  }

  async #ids(): Promise<string[]> {
    const ids: string[] = [];
    try {
      for await (const e of Deno.readDir(this.#dir)) {
        const id = e.name.endsWith(".json") ? e.name.slice(0, -5) : "";
        if (e.isFile && isRunId(id)) ids.push(id);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return ids;
  }

  /** Brings the cache entry for `id` up to date; its file's stamp, or null when it is gone. */
  async #load(id: string): Promise<string | null> {
    const path = `${this.#dir}/${id}.json`;
    let stamp: string;
    try {
      const info = await Deno.stat(path);
      if (!info.isFile) return null;
      stamp = `${info.size}:${info.mtime?.getTime()}`;
    } catch {
      return null;
    }
    const cached = this.#cache.get(id);
    if (cached?.stamp === stamp) return stamp;
    let report: Report | null = null;
    try {
      report = validate(JSON.parse(await Deno.readTextFile(path)), id);
    } catch (e) {
      this.#warn(`reports: skipping ${path}: ${e instanceof Error ? e.message : e}`);
    }
    this.#cache.set(id, { stamp, report });
    return stamp;
  }
}

/** Enough shape checking that the pages can trust the fields they index into. */
function validate(data: unknown, id: string): Report {
  const r = data as Partial<Report> | null;
  if (typeof r !== "object" || r === null) throw new Error("not a JSON object");
  if (r.schema !== SCHEMA_VERSION) {
    throw new Error(`schema ${r.schema}, this viewer reads ${SCHEMA_VERSION}`);
  }
  if (r.id !== id) throw new Error(`id "${r.id}" does not match the file name`);
  if (typeof r.startedAt !== "string") throw new Error("no startedAt");
  if (!Array.isArray(r.results)) throw new Error("no results array");
  for (const x of r.results) {
    if (
      typeof x?.case !== "string" || typeof x.client !== "string" || typeof x.server !== "string"
    ) {
      throw new Error("a result without case/client/server");
    }
  }
  return {
    ...r,
    implementations: r.implementations ?? {},
    regressions: r.regressions ?? [],
  } as Report;
}
