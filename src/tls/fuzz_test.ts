// The fuzzer: generated and mutated inputs against the server and the client state machines,
// over in-memory transports (src/testing/fuzz*.ts). Whatever arrives, a connection must end, and
// only with an alert, a clean close or a finished exchange, within a bounded time: any other
// exception, an internal_error blamed on ourselves, or a hang is a finding. A finding is shrunk
// and written to testdata/fuzz-corpus/, whose inputs the last test replays on every run.
//
// The normal test run does 3,000 inputs; `deno task fuzz` (PQI_FUZZ_CAMPAIGN=1) does 100,000
// under coverage and then prints the coverage of src/tls. PQI_FUZZ_CASES sets the number and
// PQI_FUZZ_SEED picks another campaign.

import { deepEqual, equal, ok } from "node:assert/strict";
import {
  CORPUS_DIR,
  isFinding,
  minimize,
  type Outcome,
  readCorpus,
  runScripted,
  saveFinding,
  signature,
} from "../testing/fuzz.ts";
import { type Generator, nextInput, prng, recordSeeds } from "../testing/fuzz_mutators.ts";
import { TARGET, type Target, TARGETS } from "../testing/fuzz_world.ts";
import { fromHex } from "./codec.ts";

const CAMPAIGN = Deno.env.get("PQI_FUZZ_CAMPAIGN") === "1";
const CASES = Number(Deno.env.get("PQI_FUZZ_CASES") ?? (CAMPAIGN ? 100_000 : 3000));
const SEED = Number(Deno.env.get("PQI_FUZZ_SEED") ?? 0x5eed_7153);
const PROGRESS_EVERY = CASES >= 20_000 ? 5_000 : Infinity;

const count = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
const top = (m: Map<string, number>, n = 12) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${k} ${v}`).join(", ");

Deno.test(`fuzz: ${CASES} generated and mutated inputs against both state machines`, async () => {
  const rng = prng(SEED);
  const { seeds, tickets } = await recordSeeds(rng);
  // Every target has a clean conversation to mutate, and the ticket server issued tickets.
  deepEqual(
    TARGETS.filter((t) => !seeds.some((s) => s.target === t)).map((t) => t.name),
    [],
    "targets without a seed",
  );
  ok(tickets.length > 0, "the ticket-holding server issued tickets");

  const byGenerator = new Map<Generator, number>();
  const byKind = new Map<string, number>();
  const alerts = { server: new Map<string, number>(), client: new Map<string, number>() };
  const findings = new Map<string, { target: Target; chunks: Uint8Array[]; outcome: Outcome }>();
  const start = performance.now();
  for (let i = 1; i <= CASES; i++) {
    const input = nextInput(rng, seeds, tickets);
    const { outcome, chunks } = await input.run();
    count(byGenerator, input.generator);
    count(byKind, outcome.kind);
    count(alerts[input.target.role], outcome.alert ?? `(${outcome.kind})`);
    if (isFinding(outcome) && !findings.has(signature(outcome))) {
      findings.set(signature(outcome), { target: input.target, chunks, outcome });
    }
    if (i % PROGRESS_EVERY === 0) {
      const s = (performance.now() - start) / 1000;
      console.log(`  ${i} inputs, ${(i / s).toFixed(0)}/s, ${findings.size} findings`);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(
    [
      `fuzz: ${CASES} inputs (seed 0x${SEED.toString(16)}) in ${seconds.toFixed(1)} s: ` +
      `${(CASES / seconds).toFixed(0)} inputs/s`,
      `  generators: ${top(byGenerator as Map<string, number>)}`,
      `  endings: ${top(byKind)}`,
      `  server alerts: ${top(alerts.server)}`,
      `  client alerts: ${top(alerts.client)}`,
      `  findings: ${findings.size}`,
    ].join("\n"),
  );
  const saved: string[] = [];
  for (const f of findings.values()) {
    const small = await minimize(f.target, f.chunks, f.outcome);
    saved.push(
      `${await saveFinding(CORPUS_DIR, f.target, small, f.outcome)}: ${signature(f.outcome)}`,
    );
  }
  deepEqual(saved, [], "findings (minimised into the corpus)");
  // The inputs reached past the record layer, into decoders, extension and share checks,
  // signatures and Finished, on both sides.
  for (const role of ["server", "client"] as const) {
    for (
      const name of ["decode_error", "illegal_parameter", "unexpected_message", "bad_record_mac"]
    ) {
      ok((alerts[role].get(name) ?? 0) > 0, `${role} never sent ${name}: ${top(alerts[role])}`);
    }
  }
});

Deno.test("fuzz corpus: every kept input ends as recorded, with an alert or a close", async () => {
  for (const [file, entry] of await readCorpus()) {
    const target = TARGET.get(entry.target);
    ok(target, `${file}: unknown target ${entry.target}`);
    const outcome = await runScripted(target, entry.chunks.map(fromHex));
    equal(isFinding(outcome), false, `${file}: ${outcome.kind} ${outcome.detail}`);
    deepEqual({ kind: outcome.kind, alert: outcome.alert }, entry.expect, file);
  }
});
