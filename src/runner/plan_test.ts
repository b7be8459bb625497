import assert from "node:assert/strict";
import { parseShard, planCells, planHash, shardOf, UsageError } from "./plan.ts";
import { implementation, IMPLEMENTATIONS } from "../peers/index.ts";
import { SUITES } from "../../suites/index.ts";

const cell = (caseId: string, client: string, server: string) => {
  const cells = planCells(SUITES, IMPLEMENTATIONS, {
    cases: [caseId],
    clients: [client],
    servers: [server],
  });
  assert.equal(cells.length, 1);
  return cells[0];
};

Deno.test("every suite case has a unique <suite>/<name> id", () => {
  const ids = Object.values(SUITES).flat().map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const [suite, cases] of Object.entries(SUITES)) {
    for (const c of cases) assert.equal(c.id.split("/")[0], suite, c.id);
  }
});

Deno.test("rustls cannot take part in pure/MLKEM512, and the reason names the group", () => {
  for (const [client, server] of [["rustls", "openssl"], ["openssl", "rustls"]]) {
    const c = cell("pure/MLKEM512", client, server);
    assert.ok(c.unsupported, `${c.id} should be unsupported`);
    assert.match(c.unsupported, /^rustls as (client|server): .*MLKEM512/);
  }
});

Deno.test("boringssl cannot use a raw external PSK", () => {
  const c = cell("psk/external-psk_dhe_ke-X25519MLKEM768", "boringssl", "openssl");
  assert.match(c.unsupported ?? "", /^boringssl as client: external PSK: library lacks it/);
  const s = cell("psk/external-psk_ke", "openssl", "boringssl");
  assert.match(s.unsupported ?? "", /^boringssl as server: external PSK/);
});

Deno.test("a pair that can do the case is runnable", () => {
  assert.equal(cell("hybrid/X25519MLKEM768", "openssl", "boringssl").unsupported, null);
  assert.equal(cell("classic/x25519", "openssl", "openssl").unsupported, null);
});

Deno.test("the plan crosses every selected case with every client and server", () => {
  const impls = ["openssl", "boringssl"];
  const cells = planCells(SUITES, IMPLEMENTATIONS, { suites: ["classic"], impls });
  assert.equal(cells.length, SUITES.classic.length * impls.length * impls.length);
  assert.equal(new Set(cells.map((c) => c.id)).size, cells.length);
  assert.ok(cells.every((c) => impls.includes(c.client.id) && impls.includes(c.server.id)));
});

Deno.test("unknown names are one-line errors that list the valid ones", () => {
  const valid = IMPLEMENTATIONS.map((i) => i.id).join(", ");
  assert.throws(() => planCells(SUITES, IMPLEMENTATIONS, { impls: ["gnutls"] }), {
    name: "UsageError",
    message: `unknown implementation "gnutls" (valid: ${valid})`,
  });
  assert.throws(() => planCells(SUITES, IMPLEMENTATIONS, { suites: ["quic"] }), {
    name: "UsageError",
    message: `unknown suite "quic" (valid: ${Object.keys(SUITES).join(", ")})`,
  });
  assert.throws(
    () => planCells(SUITES, IMPLEMENTATIONS, { cases: ["pure/MLKEM2048"] }),
    (e: Error) =>
      e instanceof UsageError && !e.message.includes("\n") &&
      /^unknown case "pure\/MLKEM2048" \(valid: .*pure\/MLKEM768.*\)$/.test(e.message),
  );
});

Deno.test("the registry holds every implementation once", () => {
  const ids = IMPLEMENTATIONS.map((i) => i.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ["ts", "openssl", "boringssl", "rustls", "wolfssl"]) {
    assert.ok(implementation(id), `${id} is registered`);
  }
});

Deno.test("shards partition the plan: every cell in exactly one, in plan order, balanced", () => {
  const all = planCells(SUITES, IMPLEMENTATIONS, {});
  for (const count of [1, 2, 3, 7]) {
    const shards = Array.from({ length: count }, (_, i) => shardOf(all, { index: i + 1, count }));
    const ids = shards.flat().map((c) => c.id);
    assert.equal(ids.length, all.length);
    assert.equal(new Set(ids).size, all.length);
    // Each shard keeps the plan's order, and the sizes differ by one at most.
    for (const s of shards) {
      const at = s.map((c) => all.indexOf(c));
      assert.deepEqual(at, [...at].sort((a, b) => a - b));
    }
    const sizes = shards.map((s) => s.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes}`);
  }
  assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
  for (const bad of ["0/3", "4/3", "x", "3", "1/0", "-1/2"]) {
    assert.throws(() => parseShard(bad), UsageError, bad);
  }
});

Deno.test("the plan's hash depends on what the cells are told, not on where they run", async () => {
  const a = planCells(SUITES, IMPLEMENTATIONS, { suites: ["classic"] });
  const b = planCells(SUITES, IMPLEMENTATIONS, { suites: ["classic"] });
  assert.equal(await planHash(a), await planHash(b));
  assert.notEqual(await planHash(a), await planHash(a.slice(1)));
  const told = a.map((c, i) =>
    i ? c : { ...c, case: { ...c.case, client: { groups: ["MLKEM1024" as const] } } }
  );
  assert.notEqual(await planHash(a), await planHash(told));
});
