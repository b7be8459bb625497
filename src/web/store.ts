// Read-only access to the runs in one folder, newest first, for a server that stays up while runs
// are written. Any report file counts, whatever its name (the run id comes from the content, see
// src/report/read.ts); so does the journal of a run still going or one that crashed. The folder is
// looked at again at most once a second (`rescanMs`), in the background while the last look keeps
// answering, and a file is parsed again only when its size or mtime changes. A damaged file never
// takes the pages down: it becomes a problem the pages name, and one line on stderr when it
// appears (so does a run id that two files hold).

import { assembleFolder, type FolderProblem, readRun, type Run, runFiles } from "../report/read.ts";

/** Run ids become URL segments and file names: letters, digits, `.`, `_`, `-`; no `..`. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const isRunId = (id: string): boolean => RUN_ID.test(id) && !id.includes("..");

/** How many rescan periods an answer may be behind while the next look is under way. */
const STALE_SCANS = 5;

/** Everything the pages know about the folder at one moment. */
export interface Shelf {
  /** Readable runs, newest first. */
  runs: Run[];
  /** Files that could not be read, or that repeat a run id; each named once. */
  problems: FolderProblem[];
  /** Changes whenever any file appears, goes or changes. */
  version: string;
}

interface Cached {
  stamp: string;
  read: Run | Error;
}

export class ReportStore {
  readonly #dir: string;
  readonly #cache = new Map<string, Cached>();
  readonly #warn: (message: string) => void;
  #warned = new Set<string>();
  readonly #rescanMs: number;
  /** The newest finished scan, and the one under way (if any). */
  #done: (Shelf & { at: number }) | null = null;
  #pending: Promise<Shelf & { at: number }> | null = null;

  constructor(
    dir: string,
    warn: (message: string) => void = (m) => console.error(m),
    rescanMs = 1000,
  ) {
    this.#dir = dir;
    this.#warn = warn;
    this.#rescanMs = rescanMs;
  }

  get dir(): string {
    return this.#dir;
  }

  /**
   * The folder now: at most rescanMs old, or up to STALE_SCANS times that while a new look is
   * under way. A request then never waits for the file system: a page under load must not stall
   * every second while the folder is read again.
   */
  shelf(): Promise<Shelf> {
    const done = this.#done;
    const age = done ? performance.now() - done.at : Infinity;
    if (done && age < this.#rescanMs) return Promise.resolve(done);
    // Concurrent callers share one look.
    const next = this.#pending ??= this.#read().then((s) => {
      this.#done = s;
      return s;
    }).finally(() => this.#pending = null);
    return done && age < this.#rescanMs * STALE_SCANS ? Promise.resolve(done) : next;
  }

  async list(): Promise<Run[]> {
    return (await this.shelf()).runs;
  }

  async version(): Promise<string> {
    return (await this.shelf()).version;
  }

  /** One run by id, or null when the id is malformed or no readable file holds it. */
  async get(id: string): Promise<Run | null> {
    if (!isRunId(id)) return null;
    return (await this.list()).find((r) => r.report.id === id) ?? null;
  }

  async #read(): Promise<Shelf & { at: number }> {
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(this.#dir)) if (e.isFile) names.push(e.name);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const files: { file: string; read: Run | Error }[] = [];
    const stamps: string[] = [];
    const present = new Set<string>();
    for (const file of runFiles(names)) {
      const entry = await this.#load(file);
      if (!entry) continue;
      present.add(file);
      files.push({ file, read: entry.read });
      stamps.push(`${file}=${entry.stamp}`);
    }
    for (const file of this.#cache.keys()) if (!present.has(file)) this.#cache.delete(file);
    const { runs, problems } = assembleFolder(files);
    // Each problem once on stderr, when it first appears (a damaged file, a repeated run id).
    const now = new Set(problems.map((p) => `${p.file}: ${p.why}`));
    for (const line of now) if (!this.#warned.has(line)) this.#warn(`reports: ${line}`);
    this.#warned = now;
    return { at: performance.now(), runs, problems, version: stamps.join(",") };
  }

  /** The file read or failed, re-read only when it changed; null when it is gone. */
  async #load(file: string): Promise<Cached | null> {
    const path = `${this.#dir}/${file}`;
    let stamp: string;
    try {
      const info = await Deno.stat(path);
      if (!info.isFile) return null;
      stamp = `${info.size}:${info.mtime?.getTime()}`;
    } catch {
      return null;
    }
    const cached = this.#cache.get(file);
    if (cached?.stamp === stamp) return cached;
    const read = await readRun(path).catch((e: Error) => e);
    const entry = { stamp, read };
    this.#cache.set(file, entry);
    return entry;
  }
}
