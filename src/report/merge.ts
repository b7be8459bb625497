// Shards of one plan, run on several machines, merged into one run report: the same plan (hash),
// the same project commit, every shard of the partition present once, and no cell twice. The
// result is an ordinary report with a fresh run id, its evidence copied into one file.

import type { Run } from "./read.ts";
import {
  type CaseInfo,
  cellId,
  type EvidenceRef,
  type Report,
  type Result,
  SCHEMA_VERSION,
  totalsOf,
} from "./schema.ts";
import { companions, gzip, newRunId, writeAtomically } from "./store.ts";

export class MergeError extends Error {
  override name = "MergeError";
}

/** Checks that the runs are the shards of one plan; the message names the first difference. */
export function checkShards(runs: Run[]): void {
  if (runs.length === 0) throw new MergeError("nothing to merge");
  const [first, ...rest] = runs;
  const name = (r: Run) => r.source.path;
  for (const r of runs) {
    if (!r.report.plan.shard) {
      throw new MergeError(`${name(r)} is not a shard (run without --shard)`);
    }
  }
  const count = first.report.plan.shard!.count;
  for (const r of rest) {
    const a = first.report;
    const b = r.report;
    if (b.plan.hash !== a.plan.hash) {
      throw new MergeError(
        `${name(r)} ran another plan than ${name(first)} (plan ${b.plan.hash} vs ${a.plan.hash}: ` +
          `different cases, implementations or selection)`,
      );
    }
    if (b.commit !== a.commit) {
      throw new MergeError(
        `${name(r)} ran commit ${b.commit} but ${name(first)} ran ${a.commit}`,
      );
    }
    if (b.plan.shard!.count !== count) {
      throw new MergeError(
        `${name(r)} is shard ${b.plan.shard!.index}/${b.plan.shard!.count} of another split ` +
          `than ${name(first)} (/${count})`,
      );
    }
  }
  const indexes = runs.map((r) => r.report.plan.shard!.index);
  for (let i = 1; i <= count; i++) {
    const n = indexes.filter((x) => x === i).length;
    if (n === 0) throw new MergeError(`shard ${i}/${count} is missing`);
    if (n > 1) throw new MergeError(`shard ${i}/${count} is given ${n} times`);
  }
  const incomplete = runs.find((r) => !r.report.complete);
  if (incomplete) {
    throw new MergeError(
      `${name(incomplete)} did not complete (${incomplete.report.interrupted ?? "unfinished"})`,
    );
  }
}

function* interleave(runs: Run[]): Generator<[Result, Run]> {
  const longest = Math.max(...runs.map((r) => r.report.results.length));
  for (let i = 0; i < longest; i++) {
    for (const run of runs) {
      const r = run.report.results[i];
      if (r) yield [r, run];
    }
  }
}

/** Merges the shards into `out` (a report path); returns the merged report. */
export async function mergeShards(runs: Run[], out: string, command: string[]): Promise<Report> {
  checkShards(runs);
  const ordered = [...runs].sort((a, b) => a.report.plan.shard!.index - b.report.plan.shard!.index);
  const seen = new Set<string>();
  const results: Result[] = [];
  const cases: Record<string, CaseInfo> = {};
  const implementations: Report["implementations"] = {};
  const files = companions(out);
  const evidence = await Deno.open(files.evidence, { write: true, create: true, truncate: true });
  let size = 0;
  try {
    for (const run of ordered) {
      Object.assign(cases, run.report.cases);
      Object.assign(implementations, run.report.implementations);
    }
    // Cell k of the plan went to shard (k mod N) + 1, so taking one from each in turn gives the
    // plan's order back.
    for (const [r, run] of interleave(ordered)) {
      {
        const id = cellId(r);
        if (seen.has(id)) throw new MergeError(`cell ${id} is in more than one shard`);
        seen.add(id);
        let ref: EvidenceRef | null = null;
        const ev = await run.evidence(r);
        if (ev) {
          const bytes = await gzip(JSON.stringify(ev));
          await evidence.write(bytes);
          ref = { offset: size, length: bytes.length };
          size += bytes.length;
        }
        results.push({ ...r, evidence: ref });
      }
    }
  } finally {
    evidence.close();
  }
  const first = ordered[0].report;
  if (results.length !== first.plan.cells) {
    throw new MergeError(
      `the shards hold ${results.length} cells but the plan has ${first.plan.cells}`,
    );
  }
  const starts = ordered.map((r) => r.report.startedAt).sort();
  const ends = ordered.map((r) => r.report.finishedAt ?? r.report.startedAt).sort();
  const report: Report = {
    schema: SCHEMA_VERSION,
    id: newRunId(),
    startedAt: starts[0],
    finishedAt: ends[ends.length - 1],
    complete: true,
    command,
    commit: first.commit,
    host: first.host,
    timing: {
      wallMs: Math.max(...ordered.map((r) => r.report.timing.wallMs ?? 0)),
      cold: ordered.some((r) => r.report.timing.cold),
    },
    plan: { hash: first.plan.hash, cells: first.plan.cells },
    implementations,
    cases,
    results,
    totals: totalsOf(results),
    regressions: ordered.flatMap((r) => r.report.regressions),
    evidenceFile: files.evidence.slice(files.evidence.lastIndexOf("/") + 1),
  };
  await writeAtomically(out, JSON.stringify(report));
  return report;
}
