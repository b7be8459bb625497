// The command line of `deno task interop`, parsed into plain options. Every mistake is a
// UsageError whose message is one line naming the valid choices.

import { type Selection, UsageError } from "./plan.ts";
import { DEFAULT_JOBS, DEFAULT_TIMEOUT_MS } from "./run.ts";
import { EXPECTED_PATH } from "../report/expected.ts";

export interface Options {
  selection: Selection;
  jobs: number;
  timeoutMs: number;
  /** Default: reports/runs/<id>.json. */
  report: string | null;
  junit: string | null;
  markdown: string | null;
  expected: string;
  updateExpected: boolean;
  list: boolean;
  help: boolean;
}

const VALUE_FLAGS = [
  "--impl",
  "--suite",
  "--case",
  "--client",
  "--server",
  "--jobs",
  "--timeout",
  "--report",
  "--junit",
  "--markdown",
  "--expected",
];
const BOOL_FLAGS = ["--update-expected", "--list", "--help"];

export const USAGE =
  `deno task interop [--impl a,b] [--suite s] [--case id] [--client x] [--server y]
                  [--jobs N] [--timeout S] [--report FILE] [--junit FILE] [--markdown FILE]
                  [--expected FILE] [--update-expected] [--list]`;

const list = (v: string): string[] => v.split(",").map((s) => s.trim()).filter(Boolean);

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} needs a positive number, got "${v}"`);
  }
  return n;
}

export function parseArgs(argv: string[]): Options {
  const o: Options = {
    selection: {},
    jobs: DEFAULT_JOBS,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    report: null,
    junit: null,
    markdown: null,
    expected: EXPECTED_PATH,
    updateExpected: false,
    list: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes("=") ? argv[i].split(/=(.*)/s) : [argv[i], undefined];
    if (BOOL_FLAGS.includes(flag)) {
      if (flag === "--update-expected") o.updateExpected = true;
      if (flag === "--list") o.list = true;
      if (flag === "--help") o.help = true;
      continue;
    }
    if (!VALUE_FLAGS.includes(flag)) {
      throw new UsageError(
        `unknown option "${argv[i]}" (valid: ${[...VALUE_FLAGS, ...BOOL_FLAGS].join(", ")})`,
      );
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith("--")) {
      throw new UsageError(`${flag} needs a value`);
    }
    const sel = o.selection;
    switch (flag) {
      case "--impl":
        sel.impls = [...sel.impls ?? [], ...list(value)];
        break;
      case "--suite":
        sel.suites = [...sel.suites ?? [], ...list(value)];
        break;
      case "--case":
        sel.cases = [...sel.cases ?? [], ...list(value)];
        break;
      case "--client":
        sel.clients = [...sel.clients ?? [], ...list(value)];
        break;
      case "--server":
        sel.servers = [...sel.servers ?? [], ...list(value)];
        break;
      case "--jobs":
        o.jobs = Math.floor(positive(flag, value));
        break;
      case "--timeout":
        o.timeoutMs = Math.round(positive(flag, value) * 1000);
        break;
      case "--report":
        o.report = value;
        break;
      case "--junit":
        o.junit = value;
        break;
      case "--markdown":
        o.markdown = value;
        break;
      case "--expected":
        o.expected = value;
        break;
    }
  }
  return o;
}
