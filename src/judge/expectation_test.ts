// The judge on real evidence: observations come from real ts↔ts cells recorded here, and the
// variations (a program lying about its group, a failed side, no wire) are made from them.

import assert from "node:assert/strict";
import { judge } from "./expectation.ts";
import { observe } from "./observe.ts";
import { recordCell } from "../testing/cells.ts";
import type { Observation } from "../report/schema.ts";
import type { PeerReport } from "../contract/report.ts";

const hybrid = await recordCell("hybrid/X25519MLKEM768");
const hrr = await recordCell("negotiation/hrr-MLKEM768");
const obs = hybrid.evidence.observation!;

Deno.test("a real X25519MLKEM768 cell passes on wire evidence that both reports confirm", () => {
  assert.equal(hybrid.result.outcome, "pass", hybrid.result.reason);
  assert.equal(obs.group, "X25519MLKEM768");
  assert.equal(obs.wire?.selectedGroup, "X25519MLKEM768");
  assert.equal(obs.helloRetryRequest, false);
  assert.deepEqual(obs.disagreements, []);
  assert.match(hybrid.result.reason, /^Handshake with X25519MLKEM768, as expected\.$/);
});

Deno.test("the same observation fails other expectations, saying what differed", () => {
  const v = judge({ kind: "handshake", group: "x25519" }, obs);
  assert.deepEqual(v, { outcome: "fail", reason: "Expected group x25519 but got X25519MLKEM768." });
  assert.equal(judge({ kind: "handshake", helloRetryRequest: true }, obs).outcome, "fail");
  assert.match(
    judge({ kind: "handshake", groupOneOf: ["MLKEM768", "x25519"] }, obs).reason,
    /^Expected one of MLKEM768, x25519 but got X25519MLKEM768\.$/,
  );
  assert.match(
    judge({ kind: "alert", by: "server", alert: "illegal_parameter" }, obs).reason,
    /^Expected the server to send illegal_parameter, but the handshake succeeded/,
  );
});

Deno.test("a program that contradicts the wire fails the cell, saying so", () => {
  const lying: PeerReport = { ...finalOf(obs.client!), group: "x25519" };
  const o = observe(obs.wire, lying, obs.server);
  assert.deepEqual(o.disagreements, [
    "group: the wire shows X25519MLKEM768 but the client reported x25519",
  ]);
  assert.equal(o.group, "X25519MLKEM768", "the wire is the source of truth");
  const v = judge(hybrid.expected, o);
  assert.equal(v.outcome, "fail");
  assert.match(v.reason, /^A program contradicts the wire: group: the wire shows/);
});

Deno.test("a side that failed fails the cell with its own words", () => {
  const failed: PeerReport = { ...finalOf(obs.server!), ok: false, error: "handshake aborted" };
  const v = judge(hybrid.expected, observe(obs.wire, obs.client, failed));
  assert.equal(v.outcome, "fail");
  assert.match(v.reason, /the server failed \(handshake aborted\)/);
});

Deno.test("without the wire, the programs' reports decide", () => {
  const o: Observation = observe(null, obs.client, obs.server);
  assert.equal(o.group, "X25519MLKEM768");
  assert.equal(judge(hybrid.expected, o).outcome, "pass");
});

Deno.test("a real HelloRetryRequest to MLKEM768 is seen on the wire and judged a pass", () => {
  assert.equal(hrr.result.outcome, "pass", hrr.result.reason);
  const o = hrr.evidence.observation!;
  assert.equal(o.wire?.helloRetryRequest, true);
  assert.equal(o.wire?.hrrGroup, "MLKEM768");
  assert.deepEqual(o.wire?.keySharesOffered.map((s) => s.group), ["x25519"]);
  assert.equal(o.group, "MLKEM768");
  assert.equal(judge({ kind: "handshake", helloRetryRequest: false }, o).outcome, "fail");
});

const finalOf = (r: PeerReport): PeerReport => r.next?.at(-1) ?? r;

Deno.test("authentication: a pass needs a program to report the certificate and the scheme", () => {
  const expect = {
    kind: "handshake" as const,
    certificate: "ecdsa-p256" as const,
    signatureScheme: ["ecdsa_secp256r1_sha256" as const],
  };
  assert.equal(obs.serverCertificate, "ecdsa-p256");
  assert.equal(obs.signatureScheme, "ecdsa_secp256r1_sha256");
  assert.equal(judge(expect, obs).outcome, "pass");
  // Another certificate or scheme than the case asked for fails, naming both.
  assert.deepEqual(judge({ ...expect, certificate: "mldsa65" }, obs), {
    outcome: "fail",
    reason: "Expected the server's certificate to be mldsa65 but a program reported ecdsa-p256.",
  });
  assert.match(
    judge({ ...expect, signatureScheme: ["mldsa65"] }, obs).reason,
    /^Expected the server to sign with mldsa65 but it used ecdsa_secp256r1_sha256\.$/,
  );
  // Programs that say nothing about it: not verified, never a pass.
  const silent = (r: PeerReport | null) =>
    r && { ...finalOf(r), signatureScheme: null, peerCertificate: null, certificate: null };
  const blind = observe(obs.wire, silent(obs.client), silent(obs.server));
  const v = judge(expect, blind);
  assert.equal(v.outcome, "unverified");
  assert.match(v.reason, /^Not verified: the server's certificate should be ecdsa-p256/);
});
