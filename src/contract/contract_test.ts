// The peer contract in three places that must agree: docs/peer-contract.md (what implementers
// read), the flag table (src/contract/flags.ts), and the reference peer (src/refpeer/), its
// reference implementation. And every command line the runner builds for any case is a contract
// command line.

import assert from "node:assert/strict";
import { parseFlags } from "../cli/flags.ts";
import { CONTRACT_FLAGS, contractArgs, EXIT } from "./flags.ts";
import { readReports } from "./report.ts";
import { main as referencePeer } from "../refpeer/main.ts";
import { PEER_FLAGS } from "../refpeer/flags.ts";
import { writeTestPki } from "../testing/pki.ts";
import { SUITES } from "../../suites/index.ts";
import type { CellContext } from "./process.ts";

const DOC = await Deno.readTextFile(new URL("../../docs/peer-contract.md", import.meta.url));

/** The flag table of the document: name → [role, value]. */
function documentedFlags(): Map<string, [string, string]> {
  const table =
    DOC.split("<!-- contract-flags:begin -->")[1].split("<!-- contract-flags:end -->")[0];
  const rows = new Map<string, [string, string]>();
  for (const line of table.split("\n")) {
    // Cells split on unescaped pipes: a value like `a`\|`b` keeps its own.
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const name = cells[1]?.match(/^`--([a-z-]+)`$/)?.[1];
    if (name) rows.set(name, [cells[2], cells[3]]);
  }
  return rows;
}

Deno.test("contract: the document and the flag table name the same flags, roles and kinds", () => {
  const doc = documentedFlags();
  assert.deepEqual([...doc.keys()].sort(), Object.keys(CONTRACT_FLAGS).sort());
  for (const [name, spec] of Object.entries(CONTRACT_FLAGS)) {
    const [role, value] = doc.get(name)!;
    const roles = spec.roles.length === 2 ? "both" : spec.roles[0];
    assert.equal(role, roles, `--${name}: role`);
    const kind = spec.kind === "switch"
      ? "switch"
      : spec.kind === "list"
      ? /LIST/
      : spec.kind === "file"
      ? "FILE"
      : spec.kind === "int"
      ? "N"
      : spec.kind === "choice"
      ? new RegExp(spec.choices.map((c) => `\`${c}\``).join(".*"))
      : /TEXT|HEX|NAME/;
    if (typeof kind === "string") assert.equal(value, kind, `--${name}: value`);
    else assert.match(value, kind, `--${name}: value`);
  }
});

Deno.test("contract: the document's exit codes are the ones programs are judged by", () => {
  for (const [what, code] of Object.entries(EXIT)) {
    assert.match(DOC, new RegExp(`^\\| ${code} +\\|`, "m"), `exit ${code} (${what}) is documented`);
  }
});

Deno.test("contract: the reference peer takes every contract flag in its roles", () => {
  for (const [name, spec] of Object.entries(CONTRACT_FLAGS)) {
    assert.deepEqual(PEER_FLAGS[name as keyof typeof PEER_FLAGS], spec, `--${name}`);
  }
});

const dir = await Deno.makeTempDir({ prefix: "pqi-contract-" });
const pki = await writeTestPki(dir, [
  "ecdsa-p256",
  "ed25519",
  "mldsa44",
  "mldsa65",
  "mldsa87",
  "rsa2048",
  "ecdsa-p384",
]);
const ctx: CellContext = { port: 4433, serverName: "localhost", pki, token: "t0k", scratch: dir };

Deno.test("contract: every command line the runner builds, for every case, is a contract one", () => {
  let checked = 0;
  for (const c of Object.values(SUITES).flat()) {
    for (const role of ["client", "server"] as const) {
      const config = { ...c[role], misbehave: undefined };
      for (const http of [false, true]) {
        const args = contractArgs(role, config, { ...ctx, http });
        const { positionals } = parseFlags(CONTRACT_FLAGS, args, role);
        assert.deepEqual(positionals, [], `${c.id} ${role}: ${args.join(" ")}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 400);
});

Deno.test("contract: the reference peer's JSON line carries exactly the documented fields", async () => {
  const documented = [...DOC.matchAll(/^\| `([a-zA-Z]+)` +\|/gm)].map((m) => m[1]);
  for (const field of ["ok", "group", "signatureScheme", "peerCertificate", "echo", "alert"]) {
    assert.ok(documented.includes(field), field);
  }
  const out: string[] = [];
  const err: string[] = [];
  const stop = new AbortController();
  const io = {
    out: (l: string) => out.push(l),
    err: (l: string) => err.push(l),
    signal: stop.signal,
  };
  const leaf = pki.leaf["ecdsa-p256"];
  const server = referencePeer(
    ["server", "--port", "0", "--cert", leaf.cert, "--key", leaf.key, "--count", "1"],
    io,
  );
  while (!err.some((l) => /listening on/.test(l))) await new Promise((r) => setTimeout(r, 5));
  const port = err.join("\n").match(/listening on 127\.0\.0\.1:(\d+)/)![1];
  const clientOut: string[] = [];
  const code = await referencePeer(
    ["client", "--port", port, "--ca", pki.caCert, "--server-name", "localhost", "--expect-echo"],
    { out: (l) => clientOut.push(l), err: () => {} },
  );
  assert.equal(await server, EXIT.ok);
  assert.equal(code, EXIT.ok);
  const [line] = clientOut;
  const report = readReports(line)[0];
  assert.equal(report.ok, true);
  assert.equal(report.echo, "matched");
  assert.equal(report.signatureScheme, "ecdsa_secp256r1_sha256");
  assert.deepEqual(report.peerCertificate?.keyType, "ecdsa-p256");
  // Every contract field the line has is documented; the rest are the reference peer's own.
  const own = [
    "role",
    "hrrReason",
    "groupsOffered",
    "keySharesOffered",
    "keyShareSelected",
    "clientCertificate",
    "flights",
    "bytesSent",
    "bytesReceived",
  ];
  for (const field of Object.keys(JSON.parse(line))) {
    assert.ok(documented.includes(field) || own.includes(field), `${field} is not documented`);
  }
});
