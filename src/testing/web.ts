// Shared by the web tests: the real report fixtures under testdata/ (see its README for the
// commands that made them): three of schema 1 and one of schema 2 with its evidence file. Tests
// read their expectations from these reports rather than hard-coding strings, so a new fixture
// from a newer run drops in.

import type { Run } from "../report/read.ts";
import type { Report } from "../report/schema.ts";
import { ReportStore } from "../web/store.ts";

export const FIXTURES = new URL("../web/testdata/runs", import.meta.url).pathname;

/** The fixture runs' reports, newest first. */
export async function fixtureReports(): Promise<Report[]> {
  return (await fixtureRuns()).map((r) => r.report);
}

export async function fixtureRuns(): Promise<Run[]> {
  return await new ReportStore(FIXTURES).list();
}

/** A fresh temporary directory holding copies of the fixtures (for tests that add files). */
export async function fixtureCopy(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pqinterop-web-" });
  for await (const e of Deno.readDir(FIXTURES)) {
    if (e.isFile) await Deno.copyFile(`${FIXTURES}/${e.name}`, `${dir}/${e.name}`);
  }
  return dir;
}
