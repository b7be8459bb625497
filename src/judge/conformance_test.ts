// The conformance verdict on real observations: TS↔TS connections over 127.0.0.1 through the wire
// tap, one side misbehaving (src/testing/adversary.ts), merged by observe() exactly as a cell
// is, then classified. Plus the conformance suite's own consistency.

import { equal, match, ok } from "node:assert/strict";
import type { Case } from "../contract/case.ts";
import { observe } from "./observe.ts";
import { classifyConformance, serverCleartextHandshake } from "./conformance.ts";
import { conformance, VERDICT_HINTS } from "../../suites/conformance.ts";
import { ts } from "../peers/ts.ts";
import type { AlertName, Role } from "../tls/names.ts";
import { buildAdversary, parseMisbehaviour } from "../adversary/compose.ts";
import { MISBEHAVIOURS } from "../adversary/catalogue.ts";
import { contextOf } from "../adversary/context.ts";
import { sentCleartextHex } from "../refpeer/adversary.ts";
import { duel, type DuelOptions } from "../testing/adversary.ts";
import { TlsClient } from "../tls/client.ts";
import { testPki } from "../testing/pki.ts";
import { openTap } from "../wire/tap.ts";
import type { Observation } from "../report/schema.ts";

type Pick2 = Pick<Case, "expect" | "conformance">;

/** A conformance case as the suite would write it, with the suite's own verdict hints. */
const caseOf = (
  name: string,
  roleUnderTest: Role,
  expect: Case["expect"],
): Pick2 => ({
  expect,
  conformance: {
    misbehaviour: { name },
    roleUnderTest,
    source: "test source §0",
    ...(VERDICT_HINTS[name] ? { hints: VERDICT_HINTS[name] } : {}),
  },
});

async function observed(opts: DuelOptions): Promise<Observation> {
  const d = await duel(opts);
  return observe(d.wire, d.client, d.server);
}

const alertCase = (hook: string, by: Role, alert: string) =>
  caseOf(hook, by, { kind: "alert", by, alert } as Case["expect"]);

Deno.test("verdict: correct-alert, and wrong-alert on the same observation", async () => {
  const obs = await observed({
    adversary: "client",
    misbehave: ["truncate-share"],
    client: { groups: ["MLKEM768"] },
    server: { groups: ["MLKEM768"] },
  });
  const right = classifyConformance(
    alertCase("truncate-share", "server", "illegal_parameter"),
    obs,
  );
  equal(right.classification, "correct-alert");
  equal(right.outcome, "pass");
  const wrong = classifyConformance(alertCase("truncate-share", "server", "decode_error"), obs);
  equal(wrong.classification, "wrong-alert");
  equal(wrong.alert, "illegal_parameter");
  equal(wrong.outcome, "fail");
  match(wrong.reason, /Expected decode_error from the server but it sent illegal_parameter/);
});

Deno.test("verdict: a client's alert on a bad ServerHello, read by the reference server", async () => {
  // The check fails while processing the ServerHello, before any key is installed: in clear.
  const obs = await observed({
    adversary: "server",
    misbehave: ["echo-cert-with-psk-unoffered"],
    client: { groups: ["X25519MLKEM768"] },
    server: { groups: ["X25519MLKEM768"] },
  });
  const v = classifyConformance(
    alertCase("echo-cert-with-psk-unoffered", "client", "unsupported_extension"),
    obs,
  );
  equal(v.classification, "correct-alert");
  equal(v.outcome, "pass");
});

Deno.test("verdict: alert-unreadable when the misbehaviour makes the keys differ", async () => {
  const obs = await observed({
    adversary: "server",
    misbehave: ["swap-hybrid-components"],
    client: { groups: ["X25519MLKEM768"] },
    server: { groups: ["X25519MLKEM768"] },
  });
  // The TS client sent bad_record_mac under its own (different) handshake keys: nobody reads it.
  equal(obs.alert?.name === "bad_record_mac" && obs.alert.by !== "unknown", false);
  const v = classifyConformance(
    alertCase("swap-hybrid-components", "client", "bad_record_mac"),
    obs,
  );
  equal(v.classification, "alert-unreadable", v.reason);
  equal(v.outcome, "pass");
  match(v.reason, /19-byte protected record/);
  // The same evidence where a clear illegal_parameter was due: the client derived keys instead.
  const w = classifyConformance(
    alertCase("swap-hybrid-components", "client", "illegal_parameter"),
    obs,
  );
  equal(w.classification, "accepted");
  equal(w.outcome, "fail");
});

Deno.test("verdict: accepted when the party under test completes the handshake", async () => {
  const obs = await observed({
    adversary: "client",
    misbehave: ["small-records:size=40"],
    client: { groups: ["X25519MLKEM768"] },
    server: { groups: ["X25519MLKEM768"] },
  });
  const v = classifyConformance(alertCase("small-records", "server", "illegal_parameter"), obs);
  equal(v.classification, "accepted");
  equal(v.outcome, "fail");
  match(v.reason, /completed the handshake/);
  // Where tolerance is the requirement, the same observation passes.
  const t = classifyConformance(
    caseOf("small-records", "server", { kind: "handshake", group: "X25519MLKEM768" }),
    obs,
  );
  equal(t.classification, "tolerated");
  equal(t.outcome, "pass");
});

Deno.test("verdict: tolerance required but the peer alerted (and a permitted MAY abort)", async () => {
  const obs = await observed({
    adversary: "client",
    misbehave: ["duplicate-share"],
    client: { groups: ["X25519MLKEM768"] },
  });
  // RFC 9846 §4.3.8 lets the server abort with illegal_parameter: a pass.
  const may = classifyConformance(
    caseOf("duplicate-share", "server", { kind: "handshake", group: "X25519MLKEM768" }),
    obs,
  );
  equal(may.classification, "correct-alert");
  equal(may.outcome, "pass");
  // A hook with no such permission: the same alert is a failure.
  const no = classifyConformance(
    caseOf("pq-shares-order", "server", { kind: "handshake", group: "X25519MLKEM768" }),
    obs,
  );
  equal(no.classification, "wrong-alert");
  equal(no.outcome, "fail");
});

Deno.test("verdict: a HelloRetryRequest the client should have refused", async () => {
  const opts: DuelOptions = {
    adversary: "server",
    misbehave: ["hrr-offered-group:group=x25519"],
    client: { groups: ["x25519", "X25519MLKEM768"], keyShares: ["x25519"] },
    server: { groups: ["X25519MLKEM768", "x25519"], preferHrr: true },
  };
  const v = classifyConformance(
    alertCase("hrr-offered-group", "client", "illegal_parameter"),
    await observed(opts),
  );
  equal(v.classification, "correct-alert");
  // A harmless HRR rewrite (to the group it asked for anyway) shows "carried on": a second
  // ClientHello answered it.
  const harmless = classifyConformance(
    alertCase("hrr-offered-group", "client", "illegal_parameter"),
    await observed({ ...opts, misbehave: ["hrr-offered-group:group=X25519MLKEM768"] }),
  );
  equal(harmless.classification, "accepted");
});

Deno.test("verdict: pq-in-tls12-hello against a TLS 1.3-only server is protocol_version", async () => {
  const obs = await observed({
    adversary: "client",
    misbehave: ["pq-in-tls12-hello"],
    client: { groups: ["X25519MLKEM768", "x25519"] },
  });
  equal(serverCleartextHandshake(obs.wire).serverHello, null);
  const v = classifyConformance(alertCase("pq-in-tls12-hello", "server", "protocol_version"), obs);
  equal(v.classification, "correct-alert");
});

Deno.test("verdict: not-applied when the misbehaviour never happened", async () => {
  // preferHrr, but the client already shares the server's first choice: no HRR to rewrite.
  const obs = await observed({
    adversary: "server",
    misbehave: ["hrr-unoffered-group:group=MLKEM1024"],
    client: { groups: ["X25519MLKEM768", "x25519"], keyShares: ["X25519MLKEM768"] },
    server: { groups: ["X25519MLKEM768", "x25519"], preferHrr: true },
  });
  const v = classifyConformance(
    alertCase("hrr-unoffered-group", "client", "illegal_parameter"),
    obs,
  );
  equal(v.classification, "not-applied");
  equal(v.outcome, "error");
});

Deno.test("verdict: closed-without-alert from a server that just hangs up", async () => {
  const pki = await testPki();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const tap = await openTap({ target: (listener.addr as Deno.NetAddr).port });
  const config = { groups: ["MLKEM768" as const], serverName: "localhost", trustAnchors: [pki.ca] };
  const adv = buildAdversary([parseMisbehaviour("pad-share")], contextOf("client", config));
  const [conn, tcp] = await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port: tap.port }),
  ]);
  const c = new TlsClient(tcp, { ...config, hooks: adv.hooks });
  await Promise.all([
    c.handshake().catch(() => {}),
    (async () => {
      await conn.read(new Uint8Array(4096));
      conn.close();
    })(),
  ]);
  listener.close();
  const { observation } = await tap.finish();
  const summary = { ...c.summary(), adversary: adv.state, sentHex: sentCleartextHex(c.transcript) };
  const obs = observe(observation, summary, null);
  const v = classifyConformance(alertCase("pad-share", "server", "illegal_parameter"), obs);
  equal(v.classification, "closed-without-alert");
  equal(v.outcome, "fail");
  match(v.reason, /closed the connection without an alert/);
});

Deno.test("conformance suite: ids unique, hooks known, each adversary config accepted", () => {
  ok(conformance.length >= 60);
  equal(new Set(conformance.map((c) => c.id)).size, conformance.length);
  for (const c of conformance) {
    const m = c.conformance!;
    ok(MISBEHAVIOURS.has(m.misbehaviour.name), c.id);
    match(m.source, /(RFC \d+|draft-ietf-[a-z-]+-\d+) §/, c.id);
    const advRole: Role = m.roleUnderTest === "server" ? "client" : "server";
    equal(c.only?.[advRole]?.[0], "ts", c.id);
    equal(c[advRole].misbehave?.name, m.misbehaviour.name, c.id);
    if (c.expect.kind === "alert") equal(c.expect.by, m.roleUnderTest, c.id);
    equal(ts.refuse!(advRole, c[advRole]), null, c.id);
  }
});

const suiteCase = (id: string): Pick2 => {
  const c = conformance.find((x) => x.id === `conformance/${id}`);
  if (!c) throw new Error(`no case ${id}`);
  return c;
};

Deno.test("verdict: a client that misbehaves in its Finished is judged by the server's answer", async () => {
  const c = suiteCase("empty-alert-handshake");
  equal(c.conformance!.hints?.afterServerFlight, true);
  const obs = await observed({ adversary: "client", misbehave: ["empty-alert"], client: {} });
  const v = classifyConformance(c, obs);
  equal(v.classification, "correct-alert", v.reason);
  equal(v.alert, "unexpected_message");
  // The same connection where the server had said nothing: its ServerHello came before the
  // misbehaviour, so it is no sign of carrying on; a silent server closed without an alert.
  const quiet = (echo: "none" | "matched") => ({
    ...obs,
    server: { ...obs.server!, ok: false, alert: null, alertDirection: null },
    client: { ...obs.client!, ok: true, alert: null, alertDirection: null, echo },
  });
  const silent = classifyConformance(c, quiet("none"));
  equal(silent.classification, "closed-without-alert", silent.reason);
  // An answer to our line after the bad record: the server took it.
  const took = classifyConformance(c, quiet("matched"));
  equal(took.classification, "accepted", took.reason);
  match(took.reason, /completed the handshake despite empty-alert/);
});

Deno.test("verdict: an alert the source also names passes; another does not", async () => {
  const c = suiteCase("ec-point-format-secp256r1-compressed-02");
  const obs = await observed({
    adversary: "client",
    misbehave: ["ec-point-format:form=compressed-02"],
    client: { groups: ["secp256r1"] },
    server: { groups: ["secp256r1"] },
  });
  equal(classifyConformance(c, obs).classification, "correct-alert");
  const said = (alert: AlertName) => ({
    ...obs,
    server: { ...obs.server!, alert },
    client: { ...obs.client!, alert },
  });
  const alt = classifyConformance(c, said("decode_error"));
  equal(alt.classification, "correct-alert", alt.reason);
  match(alt.reason, /which the source also names/);
  equal(classifyConformance(c, said("handshake_failure")).classification, "wrong-alert");
  // The hybrid group's sentence names illegal_parameter only.
  const hybrid = suiteCase("ec-point-format-SecP256r1MLKEM768-compressed-02");
  equal(hybrid.conformance!.hints?.alternatives, undefined);
});

Deno.test("verdict: a server that never answers a non-TLS opening 'sent nothing at all'", async () => {
  const c = suiteCase("non-tls-opening-http");
  const obs = await observed({
    adversary: "client",
    misbehave: ["non-tls-opening:bytes=http"],
    client: {},
  });
  equal(classifyConformance(c, obs).classification, "correct-alert");
  const mute = {
    ...obs,
    server: { ...obs.server!, alert: null, alertDirection: null },
    client: {
      ...obs.client!,
      alert: null,
      alertDirection: null,
      error: "no answer at all within 5 s; we closed the connection",
    },
    wire: { ...obs.wire!, alerts: [] },
  };
  const v = classifyConformance(c, mute);
  equal(v.classification, "closed-without-alert");
  match(v.reason, /the server sent nothing at all: no answer at all within 5 s/);
});
