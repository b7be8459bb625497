// `deno task report merge A.json B.json … --out R.json`: the shards of one plan, run on several
// machines (`deno task interop --shard I/N`), joined into one run report with a fresh run id and
// every cell's evidence. Refused, with the difference named, when the files are not the shards of
// one plan from one commit. Exit codes: 0 merged, 2 bad input.

import { FlagError, type FlagTable, parseFlags, usageLines } from "../cli/flags.ts";
import { MergeError, mergeShards } from "../report/merge.ts";
import { toJUnit } from "../report/junit.ts";
import { toMarkdown } from "../report/markdown.ts";
import { readRun, ReportFormatError, type Run } from "../report/read.ts";
import { writeAtomically } from "../report/store.ts";

const FLAGS = {
  out: { kind: "file", help: "where the merged report goes (its evidence file goes beside it)" },
  junit: { kind: "file", help: "also write the merged run as JUnit XML here" },
  markdown: { kind: "file", help: "also write the merged run's Markdown summary here" },
  help: { kind: "switch", help: "show this help" },
} as const satisfies FlagTable;

const USAGE = [
  "usage: deno task report merge SHARD.json… --out REPORT.json",
  "",
  ...usageLines(FLAGS),
].join("\n");

export async function main(argv: string[], print = (l: string) => console.log(l)): Promise<number> {
  try {
    const { values, positionals } = parseFlags(FLAGS, argv);
    const [verb, ...files] = positionals;
    if (values.help || verb === undefined) {
      print(USAGE);
      return values.help ? 0 : 2;
    }
    if (verb !== "merge") throw new FlagError(`unknown command "${verb}" (known: merge)`);
    if (!values.out) throw new FlagError("merge needs --out REPORT.json");
    if (files.length === 0) throw new FlagError("merge needs the shard reports to join");
    const runs: Run[] = [];
    for (const file of files) runs.push(await readRun(file));
    const report = await mergeShards(runs, values.out, ["deno task report", ...argv]);
    if (values.junit) await writeAtomically(values.junit, await toJUnit(await readRun(values.out)));
    if (values.markdown) await writeAtomically(values.markdown, toMarkdown(report));
    print(
      `${values.out}: run ${report.id}, ${report.results.length} cells from ${runs.length} ` +
        `shards (${report.totals.pass} pass, ${report.totals.fail} fail)`,
    );
    return 0;
  } catch (e) {
    if (e instanceof FlagError || e instanceof MergeError || e instanceof ReportFormatError) {
      print(`report: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
