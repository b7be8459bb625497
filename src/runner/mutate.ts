// `deno task mutate [--only ID,…] [--list] [--no-baseline] [--timeout S]`: are the tests strong
// enough to notice a wrong product? Applies each one-line fault of mutations.ts, one at a time, to
// a scratch copy of the repository, runs the tests that should notice it, and lists every fault
// that no test caught (a survivor). A benchmark-like check, not part of `deno task test`.
//
// The working tree is only ever read: the copy lives in .cache/mutate/ (ignored by git), holds the
// tracked and untracked-but-not-ignored files as they are now (uncommitted edits included), and is
// removed at the end, on Ctrl-C and at the start of the next run. Before the faults, every test
// selection runs once on the unchanged copy: a selection that already fails cannot catch anything,
// and its faults are reported as such rather than as caught.

import { CACHE_DIR, REPO_ROOT } from "../runtime/paths.ts";
import { type Mutation, MUTATIONS } from "./mutations.ts";

export type { Mutation };

/** What running one selection of tests said. */
export interface TestRun {
  /** passed: every test passed; failed: at least one test failed; broken: no test verdict. */
  status: "passed" | "failed" | "broken" | "timeout";
  /** Names of the tests (or steps) that failed. */
  failed: string[];
  ms: number;
  /** The last lines of the output, for a broken or surprising run. */
  tail: string;
}

export interface Verdict {
  mutation: Mutation;
  /** caught: a test failed; survived: every test passed; unjudged: see `why`. */
  outcome: "caught" | "survived" | "unjudged";
  run: TestRun | null;
  why: string;
}

/** Thrown when a mutation no longer fits the code it names: its `find` must occur exactly once. */
export class StaleMutation extends Error {
  override name = "StaleMutation";
}

/** The file's text with the fault in it; the find text must occur exactly once. */
export function applyMutation(text: string, m: Pick<Mutation, "id" | "file" | "find" | "replace">) {
  const at = text.indexOf(m.find);
  if (at < 0) throw new StaleMutation(`${m.id}: ${m.file} no longer contains ${show(m.find)}`);
  if (text.indexOf(m.find, at + 1) >= 0) {
    throw new StaleMutation(`${m.id}: ${show(m.find)} occurs more than once in ${m.file}`);
  }
  return text.slice(0, at) + m.replace + text.slice(at + m.find.length);
}

const show = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);

// deno test's pretty reporter, without colours: "name ... FAILED (12ms)", then a closing line
// "FAILED | 3 passed | 1 failed (2s)" or "ok | 4 passed | 0 failed (1s)".
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Reads deno test's output: which tests failed, or that no test verdict was reached at all. */
export function readTestOutput(output: string, code: number): Omit<TestRun, "ms"> {
  const lines = output.replace(ANSI, "").split("\n");
  const tail = lines.filter((l) => l.trim()).slice(-12).join("\n");
  const summary = lines.map((l) => l.match(/^(ok|FAILED) \| (\d+) passed.* \| (\d+) failed/))
    .findLast((m) => m !== null);
  const failed = [
    ...new Set(
      lines.map((l) => l.match(/^\s*(.+?) \.\.\. FAILED/)?.[1]?.trim()).filter((x) =>
        x !== undefined
      ),
    ),
  ] as string[];
  if (!summary) return { status: "broken", failed, tail };
  if (Number(summary[3]) > 0 || code !== 0) {
    return { status: Number(summary[3]) > 0 ? "failed" : "broken", failed, tail };
  }
  return { status: "passed", failed: [], tail };
}

// ---------------------------------------------------------------- the scratch copy

export const SCRATCH = `${CACHE_DIR}/mutate/tree`;

/** Every file git would see in the working tree: tracked ones and untracked, not ignored ones. */
async function workingFiles(): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`git ls-files: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout).split("\0").filter(Boolean);
}

/** A fresh copy of the working tree at SCRATCH (files deleted but still tracked are skipped). */
export async function makeScratch(): Promise<number> {
  await removeScratch();
  let copied = 0;
  for (const path of await workingFiles()) {
    checkInterrupted();
    const from = `${REPO_ROOT}/${path}`;
    const to = `${SCRATCH}/${path}`;
    try {
      const info = await Deno.lstat(from);
      if (!info.isFile) continue;
    } catch {
      continue; // deleted in the working tree
    }
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(from, to);
    copied++;
  }
  return copied;
}

export async function removeScratch(): Promise<void> {
  await Deno.remove(SCRATCH, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

// ---------------------------------------------------------------- running tests

/** The test process now running, so an interrupt can end it (and whatever it started). */
let running: Deno.ChildProcess | null = null;

/** Set by Ctrl-C or SIGTERM: the run stops at the next step and reports nothing more. */
export class Interrupted extends Error {
  override name = "Interrupted";
}
let interrupted = false;

/** Stops the run: the running tests are ended, and the run unwinds at its next step. */
export async function interrupt(): Promise<void> {
  interrupted = true;
  await stopRunning();
}

const checkInterrupted = () => {
  if (interrupted) throw new Interrupted("interrupted");
};

/** Ends the running test process group: SIGTERM first, so its sandboxes are removed. */
async function stopRunning(): Promise<void> {
  const child = running;
  if (!child) return;
  const group = -child.pid;
  try {
    Deno.kill(group, "SIGTERM");
  } catch { /* already gone */ }
  const gone = await Promise.race([
    child.status.then(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), 15_000)),
  ]);
  if (!gone) {
    try {
      Deno.kill(group, "SIGKILL");
    } catch { /* already gone */ }
  }
}

/** `deno test -A --no-check FILES [--filter F]` in the scratch copy, in its own process group. */
export async function runTests(
  tests: string[],
  filter: string | undefined,
  timeoutMs: number,
): Promise<TestRun> {
  const started = performance.now();
  // --no-check: a fault must be caught by a test, not by the type checker.
  const args = ["test", "-A", "--no-check", ...(filter ? ["--filter", filter] : []), ...tests];
  // setsid: the tests and every program they start form one group that a timeout can end.
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), ...args],
    cwd: SCRATCH,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  running = child;
  const decoder = new TextDecoder();
  let output = "";
  const collect = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) output += decoder.decode(chunk, { stream: true });
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stopRunning();
  }, timeoutMs);
  const [status] = await Promise.all([child.status, collect(child.stdout), collect(child.stderr)]);
  clearTimeout(timer);
  running = null;
  checkInterrupted();
  const ms = performance.now() - started;
  if (timedOut) return { status: "timeout", failed: [], ms, tail: "" };
  return { ...readTestOutput(output, status.code), ms };
}

// ---------------------------------------------------------------- one run

export interface MutateOptions {
  only?: string[];
  baseline: boolean;
  timeoutMs: number;
  onLine: (line: string) => void;
}

const selectionKey = (m: Mutation) => JSON.stringify([m.tests, m.filter ?? null]);

export async function mutate(mutations: Mutation[], opts: MutateOptions): Promise<Verdict[]> {
  const { onLine } = opts;
  const files = await makeScratch();
  onLine(`mutate: ${files} files copied to ${SCRATCH.slice(REPO_ROOT.length + 1)}`);
  // Every fault must still fit its file before anything runs.
  for (const m of mutations) {
    applyMutation(await Deno.readTextFile(`${SCRATCH}/${m.file}`), m);
  }
  const baseline = new Map<string, TestRun>();
  if (opts.baseline) {
    for (const m of mutations) {
      const key = selectionKey(m);
      if (baseline.has(key)) continue;
      const run = await runTests(m.tests, m.filter, opts.timeoutMs);
      baseline.set(key, run);
      onLine(`baseline ${run.status.padEnd(7)} ${describeSelection(m)} (${seconds(run.ms)})`);
    }
  }
  const verdicts: Verdict[] = [];
  for (const m of mutations) {
    const path = `${SCRATCH}/${m.file}`;
    const before = baseline.get(selectionKey(m));
    if (before && before.status !== "passed") {
      verdicts.push({
        mutation: m,
        outcome: "unjudged",
        run: null,
        why: `its tests ${before.status} without the fault: ${
          before.failed.join("; ") || before.tail
        }`,
      });
      onLine(line(verdicts.at(-1)!));
      continue;
    }
    const original = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, applyMutation(original, m));
    let run: TestRun;
    try {
      run = await runTests(m.tests, m.filter, opts.timeoutMs);
    } finally {
      await Deno.writeTextFile(path, original);
    }
    verdicts.push(verdictOf(m, run));
    onLine(line(verdicts.at(-1)!));
  }
  return verdicts;
}

function verdictOf(m: Mutation, run: TestRun): Verdict {
  switch (run.status) {
    case "failed":
      return { mutation: m, outcome: "caught", run, why: run.failed.join("; ") };
    case "timeout":
      return { mutation: m, outcome: "caught", run, why: "the tests hung until the timeout" };
    case "passed":
      return { mutation: m, outcome: "survived", run, why: "every test passed" };
    case "broken":
      // The fault broke loading or running the tests, not a test's assertion: not a catch.
      return { mutation: m, outcome: "unjudged", run, why: `no test verdict:\n${run.tail}` };
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function describeSelection(m: Mutation): string {
  return `${m.tests.join(" ")}${m.filter ? ` --filter ${JSON.stringify(m.filter)}` : ""}`;
}

function line(v: Verdict): string {
  const label = v.outcome !== "caught" && v.mutation.pending ? "pending" : v.outcome;
  const time = v.run ? ` (${seconds(v.run.ms)})` : "";
  const by = v.outcome === "caught" ? ` by ${v.why}` : `: ${v.why}`;
  const note = v.mutation.pending && v.outcome !== "caught"
    ? `\n    expected until: ${v.mutation.pending}`
    : "";
  return `${label.toUpperCase().padEnd(9)} ${v.mutation.id}${time}${by}${note}`;
}

/** "mutate: 17 faults, 16 caught, 0 survived, 1 pending, 0 unjudged in 6m12s". */
export function summaryLine(verdicts: Verdict[], ms: number): string {
  const count = (f: (v: Verdict) => boolean) => verdicts.filter(f).length;
  const pending = (v: Verdict) => v.outcome !== "caught" && v.mutation.pending !== undefined;
  const caught = count((v) => v.outcome === "caught");
  const survived = count((v) => v.outcome === "survived" && !pending(v));
  const unjudged = count((v) => v.outcome === "unjudged" && !pending(v));
  const minutes = Math.floor(ms / 60_000);
  const secs = Math.round((ms % 60_000) / 1000);
  return `mutate: ${verdicts.length} faults, ${caught} caught, ${survived} survived, ` +
    `${count(pending)} pending, ${unjudged} unjudged in ${minutes}m${
      String(secs).padStart(2, "0")
    }s`;
}

// ---------------------------------------------------------------- command line

const USAGE = `deno task mutate [--only ID,...] [--list] [--no-baseline] [--timeout SECONDS]
  Applies each fault of src/runner/mutations.ts to a scratch copy of the working tree, runs the
  tests named for it, and lists the faults no test caught. Exit 0: every fault caught (or
  pending); 1: a survivor or a fault that could not be judged; 2: usage or a stale fault.`;

async function main(argv: string[]): Promise<number> {
  const { parseFlags, FlagError } = await import("../cli/flags.ts");
  let values;
  try {
    ({ values } = parseFlags({
      only: { kind: "list", help: "mutation ids" },
      list: { kind: "switch", help: "list the mutations and exit" },
      "no-baseline": { kind: "switch", help: "skip the unchanged run of each selection" },
      timeout: { kind: "int", min: 1, help: "seconds per test run (default 900)" },
      help: { kind: "switch", help: "this text" },
    }, argv));
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    console.error(`mutate: ${e.message}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let chosen = MUTATIONS;
  if (values.only) {
    const unknown = values.only.filter((id) => !MUTATIONS.some((m) => m.id === id));
    if (unknown.length) {
      console.error(`mutate: unknown mutation ${unknown.join(", ")} (see --list)`);
      return 2;
    }
    chosen = MUTATIONS.filter((m) => values.only!.includes(m.id));
  }
  if (values.list) {
    for (const m of chosen) console.log(`${m.id.padEnd(34)} ${m.file}\n    ${m.why}`);
    return 0;
  }
  const onSignal = () => {
    console.error("mutate: interrupted; ending the tests and removing the scratch copy");
    interrupt();
  };
  for (const s of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(s, onSignal);
  const started = performance.now();
  try {
    const verdicts = await mutate(chosen, {
      baseline: !values["no-baseline"],
      timeoutMs: (values.timeout ?? 900) * 1000,
      onLine: (s) => console.log(s),
    });
    console.log(summaryLine(verdicts, performance.now() - started));
    const bad = verdicts.filter((v) => v.outcome !== "caught" && !v.mutation.pending);
    return bad.length ? 1 : 0;
  } catch (e) {
    if (e instanceof Interrupted) return 130;
    if (!(e instanceof StaleMutation)) throw e;
    console.error(`mutate: ${e.message}`);
    return 2;
  } finally {
    await removeScratch();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
