// Every misbehaviour in the catalogue against the reference peer itself over 127.0.0.1: the TS
// peer as the party under test must answer each with the alert the source names (or complete the
// handshake where tolerance is required). Then composition, and refusals with a reason.

import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { AdversaryError, contextOf } from "./context.ts";
import {
  buildAdversary,
  composeHooks,
  formatMisbehaviour,
  parseMisbehaviour,
  refuseMisbehaviour,
} from "./compose.ts";
import { CATALOGUE } from "./catalogue.ts";
import { reencodePoint } from "./surgery.ts";
import { p256, p384 } from "@noble/curves/nist.js";
import { type AdversaryRole, duel, type DuelOptions } from "../testing/adversary.ts";
import { fromHex } from "../tls/codec.ts";
import { parseFlags } from "../cli/flags.ts";
import { PEER_FLAGS } from "../refpeer/flags.ts";
import { coefficientAt, firstUnreducedCoefficient, generateClientShare } from "../tls/groups.ts";
import type { AlertName, GroupName } from "../tls/names.ts";
import type { ExternalPskConfig } from "../tls/psk.ts";
import { TicketIssuer, TicketStore } from "../tls/tickets.ts";

const PSK: ExternalPskConfig = {
  identity: new TextEncoder().encode("Client_identity"),
  key: fromHex("0123456789abcdef".repeat(4)),
  hash: "sha256",
};

interface Row {
  title: string;
  opts: DuelOptions;
  /** The alert the party under test must send, or "handshake". */
  expect: AlertName | "handshake";
}

const client = (
  hooks: string[],
  clientCfg: DuelOptions["client"],
  serverCfg: DuelOptions["server"] = {},
): DuelOptions => ({ adversary: "client", misbehave: hooks, client: clientCfg, server: serverCfg });
const server = (
  hooks: string[],
  serverCfg: DuelOptions["server"],
  clientCfg: DuelOptions["client"] = {},
): DuelOptions => ({ adversary: "server", misbehave: hooks, client: clientCfg, server: serverCfg });

const only = (g: GroupName) => ({ groups: [g] });

const ROWS: Row[] = [
  // The reference peer as client: the TS server is under test.
  {
    title: "truncate-share MLKEM768",
    opts: client(["truncate-share"], only("MLKEM768"), only("MLKEM768")),
    expect: "illegal_parameter",
  },
  {
    title: "pad-share X25519MLKEM768 by 3",
    opts: client(["pad-share:n=3"], only("X25519MLKEM768"), only("X25519MLKEM768")),
    expect: "illegal_parameter",
  },
  ...["first", "middle", "last"].map((position): Row => ({
    title: `unreduced-coefficient ${position} MLKEM512`,
    opts: client(
      [`unreduced-coefficient:position=${position}`],
      only("MLKEM512"),
      only("MLKEM512"),
    ),
    expect: "illegal_parameter",
  })),
  ...(["MLKEM1024", "X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"] as const).map((
    g,
  ): Row => ({
    title: `unreduced-coefficient ${g}`,
    opts: client(["unreduced-coefficient:value=4095"], only(g), only(g)),
    expect: "illegal_parameter",
  })),
  {
    title: "invalid-ec-point SecP256r1MLKEM768",
    opts: client(["invalid-ec-point"], only("SecP256r1MLKEM768"), only("SecP256r1MLKEM768")),
    expect: "illegal_parameter",
  },
  {
    title: "x25519-low-order X25519MLKEM768",
    opts: client(["x25519-low-order"], only("X25519MLKEM768"), only("X25519MLKEM768")),
    expect: "illegal_parameter",
  },
  {
    title: "x25519-all-zero X25519MLKEM768",
    opts: client(["x25519-all-zero"], only("X25519MLKEM768"), only("X25519MLKEM768")),
    expect: "illegal_parameter",
  },
  ...(["X25519MLKEM768", "x25519"] as const).map((g): Row => ({
    title: `x25519-high-bit ${g} (the key is the same once masked)`,
    opts: client(["x25519-high-bit"], only(g), only(g)),
    expect: "handshake",
  })),
  {
    title: "swap-hybrid-components X25519MLKEM768 (client)",
    opts: client(["swap-hybrid-components"], only("X25519MLKEM768"), only("X25519MLKEM768")),
    expect: "illegal_parameter",
  },
  {
    title: "swap-hybrid-components SecP256r1MLKEM768 (client)",
    opts: client(["swap-hybrid-components"], only("SecP256r1MLKEM768"), only("SecP256r1MLKEM768")),
    expect: "illegal_parameter",
  },
  {
    title: "share-not-in-supported-groups",
    opts: client(["share-not-in-supported-groups"], {
      groups: ["X25519MLKEM768", "x25519"],
      keyShares: ["X25519MLKEM768"],
    }),
    expect: "illegal_parameter",
  },
  {
    title: "duplicate-share",
    opts: client(["duplicate-share"], only("X25519MLKEM768")),
    expect: "illegal_parameter",
  },
  {
    title: "pq-shares-order",
    opts: client(
      ["pq-shares-order:order=SecP256r1MLKEM768+MLKEM768+X25519MLKEM768"],
      {
        groups: ["X25519MLKEM768", "MLKEM768", "SecP256r1MLKEM768"],
        keyShares: ["X25519MLKEM768", "MLKEM768", "SecP256r1MLKEM768"],
      },
      { groups: ["MLKEM768", "X25519MLKEM768"] },
    ),
    expect: "handshake",
  },
  {
    title: "ch2-wrong-share",
    opts: client(["ch2-wrong-share"], {
      groups: ["x25519", "X25519MLKEM768"],
      keyShares: ["x25519"],
    }, only("X25519MLKEM768")),
    expect: "illegal_parameter",
  },
  {
    title: "pq-in-tls12-hello",
    opts: client(["pq-in-tls12-hello"], { groups: ["X25519MLKEM768", "x25519"] }),
    expect: "protocol_version",
  },
  {
    title: "split-client-hello",
    opts: client(["split-client-hello:segments=6,delayMs=5"], only("X25519MLKEM768")),
    expect: "handshake",
  },
  {
    title: "small-records (client)",
    opts: client(["small-records:size=50"], only("MLKEM1024")),
    expect: "handshake",
  },
  {
    title: "one-byte-records (client)",
    opts: client(["one-byte-records"], only("X25519MLKEM768")),
    expect: "handshake",
  },
  {
    title: "wrong-binder",
    opts: client(["wrong-binder"], { groups: ["X25519MLKEM768"], psks: [PSK] }, { psks: [PSK] }),
    expect: "decrypt_error",
  },
  // The reference peer as server: the TS client is under test.
  {
    title: "truncate-share MLKEM1024 ciphertext",
    opts: server(["truncate-share:n=2"], only("MLKEM1024"), only("MLKEM1024")),
    expect: "illegal_parameter",
  },
  {
    title: "pad-share SecP384r1MLKEM1024 ciphertext",
    opts: server(["pad-share"], only("SecP384r1MLKEM1024"), only("SecP384r1MLKEM1024")),
    expect: "illegal_parameter",
  },
  ...(["MLKEM512", "MLKEM768", "MLKEM1024", "X25519MLKEM768"] as const).map((g): Row => ({
    title: `ciphertext-wrong-length ${g}`,
    opts: server(["ciphertext-wrong-length"], only(g), only(g)),
    expect: "illegal_parameter",
  })),
  {
    title: "invalid-ec-point SecP384r1MLKEM1024 (server)",
    opts: server(["invalid-ec-point"], only("SecP384r1MLKEM1024"), only("SecP384r1MLKEM1024")),
    expect: "illegal_parameter",
  },
  {
    title: "x25519-low-order X25519MLKEM768 (server)",
    opts: server(["x25519-low-order:point=p"], only("X25519MLKEM768"), only("X25519MLKEM768")),
    expect: "illegal_parameter",
  },
  ...(["X25519MLKEM768", "x25519"] as const).map((g): Row => ({
    title: `x25519-high-bit ${g} (server)`,
    opts: server(["x25519-high-bit"], only(g), only(g)),
    expect: "handshake",
  })),
  // ML-KEM decapsulation never fails (implicit rejection), so only the records give it away.
  {
    title: "swap-hybrid-components X25519MLKEM768 (server)",
    opts: server(["swap-hybrid-components"], only("X25519MLKEM768"), only("X25519MLKEM768")),
    expect: "bad_record_mac",
  },
  {
    title: "swap-hybrid-components SecP256r1MLKEM768 (server)",
    opts: server(["swap-hybrid-components"], only("SecP256r1MLKEM768"), only("SecP256r1MLKEM768")),
    expect: "illegal_parameter",
  },
  {
    title: "hrr-offered-group",
    opts: server(["hrr-offered-group:group=x25519"], {
      groups: ["X25519MLKEM768", "x25519"],
      preferHrr: true,
    }, { groups: ["x25519", "X25519MLKEM768"], keyShares: ["x25519"] }),
    expect: "illegal_parameter",
  },
  {
    title: "hrr-unoffered-group",
    opts: server(["hrr-unoffered-group:group=MLKEM1024"], {
      groups: ["X25519MLKEM768", "x25519"],
      preferHrr: true,
    }, { groups: ["x25519", "X25519MLKEM768"], keyShares: ["x25519"] }),
    expect: "illegal_parameter",
  },
  {
    title: "sh-unoffered-group",
    opts: server(["sh-unoffered-group:group=MLKEM1024"], {}, {
      groups: ["X25519MLKEM768", "x25519"],
    }),
    expect: "illegal_parameter",
  },
  {
    title: "echo-cert-with-psk-unoffered",
    opts: server(["echo-cert-with-psk-unoffered"], {}, only("X25519MLKEM768")),
    expect: "unsupported_extension",
  },
  {
    title: "psk-ke-to-dhe-only",
    opts: server(["psk-ke-to-dhe-only"], { psks: [PSK] }, {
      groups: ["X25519MLKEM768"],
      psks: [PSK],
      pskModes: ["psk_dhe_ke"],
    }),
    expect: "illegal_parameter",
  },
  {
    title: "small-records (server)",
    opts: server(["small-records:size=33"], only("MLKEM768"), only("MLKEM768")),
    expect: "handshake",
  },
  {
    title: "one-byte-records (server)",
    opts: server(["one-byte-records"], only("x25519"), only("x25519")),
    expect: "handshake",
  },
  // Record layer and openings (issue 15): the TS peer answers each at once, in both roles.
  ...(["client", "server"] as const).flatMap((role): Row[] => {
    const as = (hooks: string[], mine: { groups?: GroupName[] } = {}, theirs = {}) =>
      role === "client" ? client(hooks, mine, theirs) : server(hooks, mine, theirs);
    return [
      { title: `empty-alert (${role})`, opts: as(["empty-alert"]), expect: "unexpected_message" },
      {
        title: `padding-overflow by one byte (${role})`,
        opts: as(["padding-overflow"]),
        expect: "record_overflow",
      },
      {
        title: `padding-overflow to the largest record (${role})`,
        opts: as(["padding-overflow:inner=16624"]),
        expect: "record_overflow",
      },
      {
        title: `record-between-fragments (${role})`,
        opts: as(["record-between-fragments"]),
        expect: "unexpected_message",
      },
      ...["0x0300", "0x0301"].map((v): Row => ({
        title: `legacy-version ${v} (${role})`,
        opts: as([`legacy-version:version=${v}`]),
        expect: "protocol_version",
      })),
      ...([
        ...(role === "client" ? [["sslv2", "unexpected_message"]] : []),
        ["http", "unexpected_message"],
        ["overlong", "record_overflow"],
      ] as [string, AlertName][]).map(([bytes, expect]): Row => ({
        title: `non-tls-opening ${bytes} (${role})`,
        opts: as([`non-tls-opening:bytes=${bytes}`]),
        expect,
      })),
      ...(["secp256r1", "SecP384r1MLKEM1024", "SecP256r1MLKEM768", "secp384r1"] as const)
        .flatMap((g) =>
          ["compressed-02", "compressed-03", "hybrid-06", "hybrid-07", "infinity"].map(
            (form): Row => ({
              title: `ec-point-format ${form} ${g} (${role})`,
              opts: as([`ec-point-format:form=${form}`], only(g), only(g)),
              expect: "illegal_parameter",
            }),
          )
        ),
    ];
  }),
  // After the handshake: a NewSessionTicket split around application data (§5.1 covers
  // post-handshake messages too), and an empty alert before it.
  ...["record-between-fragments:key=application", "empty-alert:key=application"].map(
    (hook): Row => ({
      title: `${hook} (server, in front of a NewSessionTicket)`,
      opts: server([hook], { tickets: new TicketIssuer(), ticketCount: 1 }, {
        tickets: new TicketStore(),
      }),
      expect: "unexpected_message",
    }),
  ),
];

const other = (r: AdversaryRole): AdversaryRole => (r === "client" ? "server" : "client");

for (const row of ROWS) {
  Deno.test(`adversary: ${row.title} → ${row.expect}`, async () => {
    const d = await duel(row.opts);
    const adv = d[row.opts.adversary];
    const victim = d[other(row.opts.adversary)];
    deepEqual(adv.adversary?.applied, row.opts.misbehave, "the misbehaviour must have happened");
    ok(adv.sentHex && adv.sentHex.length > 0, "the adversary's cleartext bytes are reported");
    if (row.expect === "handshake") {
      ok(victim.ok && adv.ok, `handshake expected: ${victim.error ?? adv.error}`);
      return;
    }
    equal(victim.alert, row.expect, `victim said: ${victim.error}`);
    equal(victim.alertDirection, "sent");
  });
}

Deno.test("adversary: unknown-identity falls back to the certificate handshake", async () => {
  const d = await duel(
    client(["unknown-identity"], { groups: ["X25519MLKEM768"], psks: [PSK] }, { psks: [PSK] }),
  );
  deepEqual(d.client.adversary?.applied, ["unknown-identity"]);
  ok(d.server.ok && d.client.ok, `${d.server.error ?? d.client.error}`);
  equal(d.server.pskIdentity, null);
});

Deno.test("adversary: unreduced-coefficient puts q at the named coefficient only", () => {
  for (const [position, index] of [["first", 0], ["middle", 256], ["last", 511]] as const) {
    const adv = buildAdversary(
      [parseMisbehaviour(`unreduced-coefficient:position=${position}`)],
      contextOf("client", { groups: ["MLKEM512"] }),
    );
    const share = generateClientShare("MLKEM512").share;
    const bad = adv.hooks.keyShare!("MLKEM512", share);
    equal(bad.length, share.length);
    equal(firstUnreducedCoefficient(bad), index);
    equal(coefficientAt(bad, index), 3329);
    deepEqual(adv.state.applied, [`unreduced-coefficient:position=${position}`]);
  }
  // Inside X25519MLKEM768 the ek comes first; the X25519 key after it is untouched.
  const adv = buildAdversary(
    [parseMisbehaviour("unreduced-coefficient:position=last")],
    contextOf("client", { groups: ["X25519MLKEM768"] }),
  );
  const share = generateClientShare("X25519MLKEM768").share;
  const bad = adv.hooks.keyShare!("X25519MLKEM768", share);
  deepEqual(bad.subarray(1184), share.subarray(1184));
  equal(firstUnreducedCoefficient(bad.subarray(0, 1184)), 767);
});

Deno.test("adversary: two hooks compose (truncated share in one-byte records)", async () => {
  const d = await duel(
    client(["truncate-share:n=5", "one-byte-records"], only("MLKEM768"), only("MLKEM768")),
  );
  deepEqual(d.client.adversary?.applied, ["truncate-share:n=5", "one-byte-records"]);
  equal(d.server.alert, "illegal_parameter");
  match(d.server.error ?? "", /1179 bytes, expected 1184/);
  // The ClientHello crossed in one-byte records: 6 bytes each on the wire.
  const clientRecords = d.wire.transcript.filter((e) => e.direction === "sent");
  ok(clientRecords.length >= 60, `${clientRecords.length} records`);
  ok(clientRecords.slice(0, 60).every((e) => e.hex.length === 12));
});

Deno.test("adversary: split ClientHello really crosses in several TCP segments", async () => {
  const d = await duel(client(["split-client-hello:segments=5,delayMs=30"], only("MLKEM1024")));
  ok(d.client.ok && d.server.ok);
  const first = d.wire.flights[0];
  equal(first.from, "client");
  ok(first.segments >= 5, `${first.segments} segments`);
});

Deno.test("adversary: composeHooks chains rewrites and refuses two record-size deciders", () => {
  const a = composeHooks([
    { keyShare: (_g, s) => s.subarray(1) },
    { keyShare: (_g, s) => s.subarray(1) },
    { writes: (b) => [b.subarray(0, 2), b.subarray(2)] },
    { writes: (b) => [b.subarray(0, 1), b.subarray(1)] },
  ]);
  equal(a.keyShare!("x25519", new Uint8Array(10)).length, 8);
  equal(a.writes!(new Uint8Array(5)).length, 4);
  throws(
    () =>
      composeHooks([{ records: (_t, n) => [{ size: n }] }, { records: (_t, n) => [{ size: n }] }]),
    AdversaryError,
  );
});

Deno.test("adversary: a PQ-share hook on a classic-only peer is refused with a reason", () => {
  const classic = contextOf("client", { groups: ["x25519", "secp256r1"] });
  for (
    const name of ["unreduced-coefficient", "truncate-share", "pad-share", "swap-hybrid-components"]
  ) {
    const why = refuseMisbehaviour(parseMisbehaviour(name), classic);
    ok(why, name);
    match(why!, /x25519/);
  }
  throws(
    () => buildAdversary([parseMisbehaviour("unreduced-coefficient")], classic),
    (e: Error) => e instanceof AdversaryError && /ML-KEM component/.test(e.message),
  );
  // A server-only misbehaviour asked of a client, and one needing a PSK without one.
  match(
    refuseMisbehaviour(parseMisbehaviour("ciphertext-wrong-length"), classic)!,
    /must be the server/,
  );
  match(refuseMisbehaviour(parseMisbehaviour("wrong-binder"), classic)!, /needs an external PSK/);
  match(
    refuseMisbehaviour(
      parseMisbehaviour("hrr-offered-group:group=x25519"),
      contextOf("server", { groups: ["X25519MLKEM768"] }),
    )!,
    /preferHrr/,
  );
  throws(() => parseMisbehaviour("no-such-hook"), /unknown hook/);
  throws(() => parseMisbehaviour("truncate-share:bogus=1"), /no parameter "bogus"/);
});

Deno.test("adversary: every catalogue entry has a description, roles and a spec round trip", () => {
  ok(CATALOGUE.length >= 22);
  for (const m of CATALOGUE) {
    ok(m.description.length > 10 && m.roles.length > 0, m.name);
    equal(formatMisbehaviour(parseMisbehaviour(m.name)), m.name);
  }
  equal(formatMisbehaviour({ name: "pad-share", params: { n: 3 } }), "pad-share:n=3");
});

Deno.test("cli: --misbehave repeats and keeps its order", () => {
  const { values } = parseFlags(PEER_FLAGS, [
    "--misbehave",
    "truncate-share:n=2",
    "--misbehave",
    "one-byte-records",
  ], "client");
  deepEqual(values.misbehave, ["truncate-share:n=2", "one-byte-records"]);
});

Deno.test("adversary: ec-point-format re-encodes ±P, so only the encoding check can refuse it", () => {
  for (const curve of [p256, p384]) {
    const n = curve === p256 ? 32 : 48;
    const ours = curve.utils.randomSecretKey();
    const theirs = curve.utils.randomSecretKey();
    const point = curve.getPublicKey(theirs, false);
    const secret = curve.getSharedSecret(ours, point, true).slice(1);
    for (const form of ["compressed-02", "compressed-03", "hybrid-06", "hybrid-07"]) {
      const encoded = reencodePoint(point, form, null);
      const odd = form.endsWith("3") || form.endsWith("7");
      equal(
        encoded[0],
        { "compressed-02": 2, "compressed-03": 3, "hybrid-06": 6, "hybrid-07": 7 }[
          form
        ],
      );
      deepEqual(encoded.subarray(1, 1 + n), point.subarray(1, 1 + n), `${form}: same X`);
      // As uncompressed again (the hybrid form's prefix swapped for 0x04; compressed decoded).
      const plain = form.startsWith("hybrid")
        ? Uint8Array.of(4, ...encoded.subarray(1))
        : curve.Point.fromBytes(encoded).toBytes(false);
      equal(plain[plain.length - 1] & 1, odd ? 1 : 0, `${form}: the prefix tells Y's parity`);
      deepEqual(curve.getSharedSecret(ours, plain, true).slice(1), secret, `${form}: same secret`);
    }
    deepEqual(reencodePoint(point, "infinity", null), new Uint8Array(1));
    deepEqual(reencodePoint(point, "infinity", 1 + 2 * n), new Uint8Array(1 + 2 * n));
  }
});

Deno.test("adversary: a non-TLS opening is what sentHex shows, and the server answers at once", async () => {
  const d = await duel(client(["non-tls-opening:bytes=sslv2"], {}));
  equal(d.client.sentHex?.slice(0, 4), "8028");
  equal(d.server.alert, "unexpected_message");
  match(d.server.error ?? "", /type 128 \(0x80\).*SSLv2/);
  // The server's answer is its alert, nothing else.
  deepEqual(d.wire.alerts, [{ from: "server", level: "fatal", alert: "unexpected_message" }]);
});
