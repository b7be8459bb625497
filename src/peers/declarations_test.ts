// Every implementation's capability table against reality, through the real cell engine: each group
// it claims is negotiated with the reference peer in each role it claims (asserted on the wire and
// in the reference peer's report); each group it says it lacks stays missing even when it is
// configured with every group it has (and a group outside its defaults, in the same configuration,
// proves that configuration is live); each certificate kind it claims authenticates it as a
// server. A table that claims too much fails here; one that claims too little shows as a group the
// library negotiates anyway.

import assert from "node:assert/strict";
import type { Case } from "../contract/case.ts";
import type { EndpointConfig } from "../contract/config.ts";
import type { Capabilities } from "../contract/capabilities.ts";
import { recordRun } from "../testing/cells.ts";
import { engineAnswers } from "../runtime/engine.ts";
import { CERT_KINDS, GROUP_NAMES, type GroupName, type Role } from "../tls/names.ts";
import { IMPLEMENTATIONS } from "./index.ts";
import type { Implementation } from "./implementation.ts";

const engine = await engineAnswers().catch(() => false);
const opts = { sanitizeOps: false, sanitizeResources: false, ignore: !engine };

/** Claimed in this role: the role's own exception first, then the common table. */
function claims(caps: Capabilities, role: Role, group: GroupName): boolean {
  return (caps[role]?.groups?.[group] ?? caps.groups[group]) === true;
}
const plays = (i: Implementation, role: Role) => i.capabilities.features[role] === true;

/** Libraries only: the reference peer's own behaviour is tested in src/tls. */
const LIBRARIES = IMPLEMENTATIONS.filter((i) =>
  i.id !== "ts" && i.capabilities.features.groupSelection === true
);

const SUITE = "declarations";

/**
 * Claimed, and broken: a library that offers a feature and gets it wrong keeps the claim (the
 * matrix shows a fail with its evidence, never "unsupported"). Each such cell must fail the way
 * recorded here; one that starts passing means the finding is gone and this entry with it.
 */
const KNOWN_DEFECTS: Record<string, { cell: string; failure: RegExp; finding: string }[]> = {
  "botan@3.7": [{
    cell: "server-SecP256r1MLKEM768",
    failure: /Concatenated public values have an unexpected length/,
    finding:
      "Botan 3.7.1's server rejects a valid SecP256r1MLKEM768 share (fixed in 3.8.0, GH #4752)",
  }],
};
const only = (group: GroupName): EndpointConfig => ({ groups: [group] });
const handshake = (group: GroupName) => ({ kind: "handshake" as const, group });

/** The cases for one implementation, as data the runner crosses with ts. */
function casesFor(impl: Implementation): Case[] {
  const cases: Case[] = [];
  for (const role of ["client", "server"] as const) {
    if (!plays(impl, role)) continue;
    for (const g of GROUP_NAMES.filter((g) => claims(impl.capabilities, role, g))) {
      const library = only(g);
      const reference: EndpointConfig = role === "client"
        ? { ...only(g), certificate: "ecdsa-p256" }
        : only(g);
      cases.push({
        id: `${SUITE}/${impl.id}-${role}-${g}`,
        suite: SUITE,
        title: `${impl.id} as ${role} negotiates ${g}`,
        client: role === "client" ? library : reference,
        server: role === "server" ? { ...library, certificate: "ecdsa-p256" } : reference,
        expect: handshake(g),
        only: role === "client"
          ? { client: [impl.id], server: ["ts"] }
          : { client: ["ts"], server: [impl.id] },
      });
    }
  }
  if (plays(impl, "server")) {
    for (const kind of CERT_KINDS.filter((k) => impl.capabilities.certificates[k] === true)) {
      cases.push({
        id: `${SUITE}/${impl.id}-certificate-${kind}`,
        suite: SUITE,
        title: `${impl.id} authenticates with its ${kind} certificate`,
        client: {},
        server: { certificate: kind },
        expect: { kind: "handshake", certificate: kind },
        only: { client: ["ts"], server: [impl.id] },
      });
    }
  }
  return cases;
}

for (const impl of LIBRARIES) {
  Deno.test({
    name: `${impl.id}: every group and certificate it claims works with the reference peer`,
    ...opts,
    async fn() {
      const cases = casesFor(impl);
      const run = await recordRun({ impls: ["all"] }, { suites: { [SUITE]: cases } });
      const known = KNOWN_DEFECTS[impl.id] ?? [];
      const isKnown = (caseId: string) =>
        known.find((k) => caseId === `${SUITE}/${impl.id}-${k.cell}`);
      const failures = run.report.results.filter((r) => r.outcome !== "pass" && !isKnown(r.case))
        .map((r) => `${r.case} ${r.client}->${r.server}: ${r.outcome}: ${r.reason}`);
      assert.deepEqual(failures, [], `${impl.id} does not do what its manifest claims`);
      for (const k of known) {
        const r = run.report.results.find((r) => r.case === `${SUITE}/${impl.id}-${k.cell}`);
        assert.equal(r?.outcome, "fail", `${k.finding}: the cell no longer fails`);
        assert.match(r!.reason, k.failure, k.finding);
      }
      assert.equal(run.report.results.length, cases.length);
      for (const r of run.report.results.filter((r) => !isKnown(r.case))) {
        const group = run.report.cases[r.case].expected.kind === "handshake"
          ? (run.report.cases[r.case].expected as { group?: GroupName }).group
          : undefined;
        if (group) assert.equal(r.observed?.group, group, `${r.case}: the wire's group`);
      }
    },
  });

  const lacking = GROUP_NAMES.filter((g) => !claims(impl.capabilities, "server", g));
  const everything = GROUP_NAMES.filter((g) => claims(impl.capabilities, "server", g));
  if (!plays(impl, "server") || lacking.length === 0) continue;
  Deno.test({
    name: `${impl.id}: each group it lacks stays missing with every group it has enabled`,
    ...opts,
    async fn() {
      // Control: a claimed group that a client offers alone is taken from the full list.
      const control = everything.at(-1)!;
      const server: EndpointConfig = { groups: everything, certificate: "ecdsa-p256" };
      const cases: Case[] = [control, ...lacking].map((g) => ({
        id: `${SUITE}/${impl.id}-lacks-${g}`,
        suite: SUITE,
        title: `${impl.id} as server with every group it has, offered only ${g}`,
        client: only(g),
        server,
        expect: handshake(g),
        only: { client: ["ts"], server: [impl.id] },
      }));
      // The capability table would refuse to plan a lacking group on the client's side of the
      // library, but here the library is the server and is given only groups it claims.
      const run = await recordRun({ impls: ["all"] }, { suites: { [SUITE]: cases } });
      const byCase = new Map(run.report.results.map((r) => [r.case, r]));
      const ok = byCase.get(`${SUITE}/${impl.id}-lacks-${control}`)!;
      assert.equal(ok.outcome, "pass", `control ${control}: ${ok.reason}`);
      for (const g of lacking) {
        const r = byCase.get(`${SUITE}/${impl.id}-lacks-${g}`)!;
        assert.notEqual(r.outcome, "pass", `${impl.id} negotiated ${g}, which it says it lacks`);
        assert.notEqual(r.observed?.group, g, `${g} was selected`);
      }
    },
  });
}
