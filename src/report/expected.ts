// The committed expectations (reports/expected.json): the cells that must pass. A run that does
// not pass one of them has a regression and exits non-zero; `--update-expected` rewrites the list
// from what a run actually passed.

import { cellId, type Result } from "./schema.ts";
import { writeAtomically } from "./store.ts";

export const EXPECTED_PATH = "reports/expected.json";

export interface Expected {
  /** Cell ids (`cellId()`: `<case>@<client>-><server>`) that must pass, sorted. */
  mustPass: string[];
}

/** The expectations file is unreadable; the message names the file. Exit code 2. */
export class ExpectedFileError extends Error {
  override name = "ExpectedFileError";
}

/** Reads the expectations; a missing file means no expectations yet. */
export async function readExpected(path = EXPECTED_PATH): Promise<Expected> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { mustPass: [] };
    throw new ExpectedFileError(`${path}: cannot read expectations: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ExpectedFileError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const list = (data as { mustPass?: unknown })?.mustPass;
  if (!Array.isArray(list) || !list.every((x) => typeof x === "string" && x.includes("@"))) {
    throw new ExpectedFileError(
      `${path}: expected {"mustPass": ["<case>@<client>-><server>", ...]}`,
    );
  }
  return { mustPass: list };
}

/** Whether a cell is expected to pass: anything else it does is a regression. */
export function expectsPass(expected: Expected): (cellId: string) => boolean {
  const ids = new Set(expected.mustPass);
  return (cellId) => ids.has(cellId);
}

/** Expected cells that ran in this run and did not pass (flaky is not pass). */
export function regressions(expected: Expected, results: Result[]): string[] {
  const byId = new Map(results.map((r) => [cellId(r), r]));
  return expected.mustPass.filter((id) => {
    const r = byId.get(id);
    return r !== undefined && r.outcome !== "pass";
  });
}

/**
 * The expectations after this run: cells that ran take their new state (in if passed, out if
 * not); cells the run did not include (filtered out) keep theirs.
 */
export function updatedExpected(expected: Expected, results: Result[]): Expected {
  const ran = new Set(results.map(cellId));
  const keep = expected.mustPass.filter((id) => !ran.has(id));
  const passed = results.filter((r) => r.outcome === "pass").map(cellId);
  return { mustPass: [...new Set([...keep, ...passed])].sort() };
}

export async function writeExpected(expected: Expected, path = EXPECTED_PATH): Promise<void> {
  await writeAtomically(path, JSON.stringify(expected, null, 2) + "\n");
}
