// The command line of `deno task interop`, as one flag table parsed the project's one way
// (src/cli/flags.ts). Every mistake is a UsageError whose message is one line.

import { FlagError, type FlagTable, parseFlags, usageLines } from "../cli/flags.ts";
import { EXPECTED_PATH } from "../report/expected.ts";
import { parseShard, type Selection, type Shard, UsageError } from "./plan.ts";
import { DEFAULT_JOBS, DEFAULT_TIMEOUT_MS } from "./run.ts";

export const INTEROP_FLAGS = {
  impl: {
    kind: "list",
    repeat: true,
    help: "only cells between these implementations (name@version for other versions; all)",
  },
  suite: { kind: "list", repeat: true, help: "only these suites" },
  case: { kind: "list", repeat: true, help: "only these cases (suite/name)" },
  client: { kind: "list", repeat: true, help: "only these client implementations" },
  server: { kind: "list", repeat: true, help: "only these server implementations" },
  "impl-file": {
    kind: "text",
    repeat: true,
    help: "add the implementation a manifest describes (docs/manifest.md); repeatable",
  },
  shard: { kind: "text", help: "run shard I of N of the plan (I/N), for several machines" },
  jobs: { kind: "int", min: 1, help: `cells at once (default ${DEFAULT_JOBS})` },
  timeout: {
    kind: "number",
    help: `per-cell deadline in seconds (default ${DEFAULT_TIMEOUT_MS / 1000})`,
  },
  report: { kind: "file", help: "where the report goes (default reports/runs/<id>.json)" },
  junit: { kind: "file", help: "also write JUnit XML here" },
  markdown: { kind: "file", help: "also write a Markdown summary here" },
  expected: { kind: "file", help: `the cells that must pass (default ${EXPECTED_PATH})` },
  "update-expected": { kind: "switch", help: "after a complete run: record which cells passed" },
  list: { kind: "switch", help: "print the plan and exit" },
  help: { kind: "switch", help: "show this help" },
} as const satisfies FlagTable;

export const USAGE = ["usage: deno task interop [flags]", "", ...usageLines(INTEROP_FLAGS)].join(
  "\n",
);

export interface Options {
  selection: Selection;
  implFiles: string[];
  shard: Shard | null;
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

export function parseArgs(argv: string[]): Options {
  let values;
  try {
    const parsed = parseFlags(INTEROP_FLAGS, argv);
    if (parsed.positionals.length) {
      throw new FlagError(`unexpected argument "${parsed.positionals[0]}" (flags start with --)`);
    }
    values = parsed.values;
  } catch (e) {
    if (e instanceof FlagError) throw new UsageError(e.message);
    throw e;
  }
  return {
    selection: {
      impls: values.impl,
      suites: values.suite,
      cases: values.case,
      clients: values.client,
      servers: values.server,
    },
    implFiles: values["impl-file"] ?? [],
    shard: values.shard === undefined ? null : parseShard(values.shard),
    jobs: values.jobs ?? DEFAULT_JOBS,
    timeoutMs: Math.round((values.timeout ?? DEFAULT_TIMEOUT_MS / 1000) * 1000),
    report: values.report ?? null,
    junit: values.junit ?? null,
    markdown: values.markdown ?? null,
    expected: values.expected ?? EXPECTED_PATH,
    updateExpected: values["update-expected"] ?? false,
    list: values.list ?? false,
    help: values.help ?? false,
  };
}
