// The flag table's checks, one kind at a time: a value outside what the table allows is a
// FlagError naming the flag and the value, never a value passed on.

import assert from "node:assert/strict";
import { FlagError, type FlagTable, parseFlags } from "./flags.ts";

const TABLE = {
  port: { kind: "int", max: 65535, help: "" },
  count: { kind: "int", min: 1, help: "" },
  groups: { kind: "list", choices: ["a", "b", "c"], none: "none", help: "" },
  mode: { kind: "choice", choices: ["require", "allow"], optional: true, help: "" },
  "prefer-hrr": { kind: "switch", roles: ["server"], help: "" },
} as const satisfies FlagTable;

const parse = (argv: string[], role?: string) => parseFlags(TABLE, argv, role).values;
const refuses = (argv: string[], message: RegExp, role?: string) =>
  assert.throws(() => parse(argv, role), (e) => e instanceof FlagError && message.test(e.message));

Deno.test("flags: an int is a whole number within its bounds, both ends included", () => {
  assert.equal(parse(["--port", "0"]).port, 0);
  assert.equal(parse(["--port", "65535"]).port, 65535);
  refuses(["--port", "65536"], /^--port must be a number 0\.\.65535, got "65536"$/);
  refuses(["--port=-1"], /--port must be a number 0\.\.65535, got "-1"/);
  refuses(["--port", "4.5"], /got "4\.5"/);
  refuses(["--count", "0"], /^--count must be a whole number ≥ 1, got "0"$/);
  assert.equal(parse(["--count", "1"]).count, 1);
});

Deno.test("flags: a list takes known names only, and its `none` word is the empty list", () => {
  assert.deepEqual(parse(["--groups", "c,a"]).groups, ["c", "a"]);
  assert.deepEqual(parse(["--groups", "none"]).groups, []);
  // Given twice, the last one counts.
  assert.deepEqual(parse(["--groups", "a", "--groups", "b"]).groups, ["b"]);
  refuses(["--groups", "a,z"], /"z"/);
});

Deno.test("flags: an optional choice given without a value means its first choice", () => {
  assert.equal(parse(["--mode"]).mode, "require");
  assert.equal(parse(["--mode", "allow"]).mode, "allow");
  // A word that is no choice is left as a positional; written with "=" it is the value.
  assert.deepEqual(parseFlags(TABLE, ["--mode", "sometimes"]).positionals, ["sometimes"]);
  refuses(["--mode=sometimes"], /^--mode must be require or allow, got "sometimes"$/);
});

Deno.test("flags: a flag of another role is refused, naming the role it belongs to", () => {
  assert.equal(parse(["--prefer-hrr"], "server")["prefer-hrr"], true);
  refuses(
    ["--prefer-hrr"],
    /^--prefer-hrr is not a client flag \(it is for the server\)$/,
    "client",
  );
});
