// JUnit XML for CI systems: one testsuite per suite, one testcase per cell. Unsupported cells are
// skipped (never passed), timeouts and harness errors are errors, fails and flaky cells failures.

import type { Run } from "./read.ts";
import { cellId, type Evidence, type Result } from "./schema.ts";

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
    // XML 1.0 forbids most control characters, which program logs do contain.
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");

function testcase(r: Result, evidence: Evidence | null): string {
  const name = esc(cellId(r));
  const time = (r.durations.totalMs / 1000).toFixed(3);
  const open = `    <testcase classname="${esc(r.suite)}" name="${name}" time="${time}">`;
  const logs = `      <system-out>${
    esc(
      `client:\n${evidence?.logs.client ?? ""}\nserver:\n${evidence?.logs.server ?? ""}`,
    )
  }` +
    `</system-out>`;
  switch (r.outcome) {
    case "pass":
      return `${open}</testcase>`;
    case "unsupported":
      return `${open}\n      <skipped message="${esc(r.reason)}"/>\n    </testcase>`;
    case "fail":
    case "unverified":
    case "flaky":
      return `${open}\n      <failure type="${r.outcome}" message="${esc(r.reason)}"/>\n${logs}\n` +
        `    </testcase>`;
    case "timeout":
    case "error":
      return `${open}\n      <error type="${r.outcome}" message="${esc(r.reason)}"/>\n${logs}\n` +
        `    </testcase>`;
  }
}

export async function toJUnit(run: Run): Promise<string> {
  const report = run.report;
  // Logs only for the cells that did not pass, read from the evidence as they are written.
  const evidence = new Map<Result, Evidence | null>();
  for (const r of report.results) {
    if (r.outcome !== "pass" && r.outcome !== "unsupported") evidence.set(r, await run.evidence(r));
  }
  const suites = [...new Set(report.results.map((r) => r.suite))];
  const body = suites.map((suite) => {
    const rs = report.results.filter((r) => r.suite === suite);
    const count = (...o: string[]) => rs.filter((r) => o.includes(r.outcome)).length;
    const time = rs.reduce((t, r) => t + r.durations.totalMs, 0) / 1000;
    return `  <testsuite name="${esc(suite)}" tests="${rs.length}" ` +
      `failures="${count("fail", "unverified", "flaky")}" errors="${count("error", "timeout")}" ` +
      `skipped="${count("unsupported")}" time="${time.toFixed(3)}">\n` +
      rs.map((r) => testcase(r, evidence.get(r) ?? null)).join("\n") + "\n  </testsuite>";
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="pqinterop ${esc(report.id)}">\n${body.join("\n")}\n</testsuites>\n`;
}
