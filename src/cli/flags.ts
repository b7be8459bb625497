// Every program's command line is one table of flags, parsed the same way: node:util parseArgs
// does the splitting, the table's kinds do the checking, and the values come back typed from the
// table itself. A mistake is a FlagError whose message is one line naming the flag and the problem.
//
//   const FLAGS = { port: { kind: "int", help: "TCP port" }, … } as const satisfies FlagTable;
//   const { values } = parseFlags(FLAGS, Deno.args);   // values.port: number | undefined

import { parseArgs } from "node:util";

interface Common {
  help: string;
  /** The roles (first positional argument) that accept it; absent = every role. */
  roles?: readonly string[];
}
export type FlagSpec =
  | Common & { kind: "switch" }
  | Common & { kind: "int"; min?: number; max?: number }
  /** A positive number, possibly fractional (seconds). */
  | Common & { kind: "number" }
  | Common & { kind: "text"; repeat?: boolean }
  | Common & { kind: "file" }
  /** Comma-separated; with `none`, that word alone means the empty list; repeat = concatenated. */
  | Common & { kind: "list"; choices?: readonly string[]; none?: string; repeat?: boolean }
  /** One of the choices; `optional`: the value may be left out, meaning the first choice. */
  | Common & { kind: "choice"; choices: readonly string[]; optional?: boolean };

export type FlagTable = Record<string, FlagSpec>;

type ValueOf<S> = S extends { kind: "switch" } ? boolean
  : S extends { kind: "int" | "number" } ? number
  : S extends { kind: "list"; choices: readonly (infer C)[] } ? C[]
  : S extends { kind: "list" } ? string[]
  : S extends { kind: "choice"; choices: readonly (infer C)[] } ? C
  : S extends { kind: "text"; repeat: true } ? string[]
  : string;

export type FlagValues<T extends FlagTable> = { -readonly [K in keyof T]?: ValueOf<T[K]> };

export class FlagError extends Error {
  override name = "FlagError";
}

/**
 * Parses `argv` against `table`. With `role`, only that role's flags are accepted (the role itself
 * is the caller's business). Positionals are returned as they are.
 */
export function parseFlags<T extends FlagTable>(
  table: T,
  argv: string[],
  role?: string,
): { values: FlagValues<T>; positionals: string[] } {
  const mine = Object.entries(table).filter(([, s]) => !role || !s.roles || s.roles.includes(role));
  const known = new Map(mine);
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const [name, s] of mine) {
    options[name] = s.kind === "switch"
      ? { type: "boolean" }
      : { type: "string", multiple: s.kind === "list" || s.kind === "text" };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: withOptionalValues(argv, known),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new FlagError(explain(e as Error, role, table));
  }
  const values: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    values[name] = check(name, known.get(name)!, raw as string | string[] | boolean);
  }
  return { values: values as FlagValues<T>, positionals: parsed.positionals };
}

/** An optional-value flag given without its value gets its first choice written in. */
function withOptionalValues(argv: string[], known: Map<string, FlagSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    out.push(argv[i]);
    const spec = known.get(argv[i].replace(/^--/, ""));
    if (spec?.kind === "choice" && spec.optional && !spec.choices.includes(argv[i + 1])) {
      out.push(spec.choices[0]);
    }
  }
  return out;
}

function explain(e: Error, role: string | undefined, table: FlagTable): string {
  const flag = e.message.match(/'(-[^' ]+)/)?.[1] ?? "";
  const name = flag.replace(/^--?/, "");
  const code = (e as { code?: string }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    if (table[name]?.roles && role) {
      return `--${name} is not a ${role} flag (it is for the ${table[name].roles!.join(" and ")})`;
    }
    return `unknown ${role ? `${role} ` : ""}flag "${flag}" (see --help)`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return table[name]?.kind === "switch" ? `--${name} takes no value` : `--${name} needs a value`;
  }
  return e.message.split("\n")[0];
}

function check(name: string, spec: FlagSpec, raw: string | string[] | boolean): unknown {
  const one = (v: string | string[] | boolean) => Array.isArray(v) ? v[v.length - 1] : String(v);
  switch (spec.kind) {
    case "switch":
      return raw === true;
    case "int": {
      const text = one(raw);
      const n = Number(text);
      const min = spec.min ?? 0;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (text === "" || !Number.isInteger(n) || n < min || n > max) {
        const range = spec.max === undefined
          ? `a whole number ≥ ${min}`
          : `a number ${min}..${max}`;
        throw new FlagError(`--${name} must be ${range}, got "${text}"`);
      }
      return n;
    }
    case "number": {
      const text = one(raw);
      const n = Number(text);
      if (text === "" || !Number.isFinite(n) || n <= 0) {
        throw new FlagError(`--${name} needs a positive number, got "${text}"`);
      }
      return n;
    }
    case "text":
      return spec.repeat ? raw : one(raw);
    case "file": {
      const text = one(raw);
      if (text === "") throw new FlagError(`--${name} needs a file name`);
      return text;
    }
    case "choice": {
      const text = one(raw);
      if (!spec.choices.includes(text)) {
        throw new FlagError(`--${name} must be ${spec.choices.join(" or ")}, got "${text}"`);
      }
      return text;
    }
    case "list": {
      // Without `repeat`, the last occurrence wins, as for every other flag.
      const occurrences = (raw as string[]).map((v) =>
        spec.none !== undefined && v === spec.none
          ? []
          : v.split(",").map((item) => item.trim()).filter((item) => item.length > 0)
      );
      const items = spec.repeat ? occurrences.flat() : occurrences[occurrences.length - 1];
      for (const item of items) {
        if (spec.choices && !spec.choices.includes(item)) {
          throw new FlagError(
            `unknown name "${item}" in --${name} (known: ${spec.choices.join(", ")})`,
          );
        }
      }
      return items;
    }
  }
}

/** The flags of one role (or all), one per line, for --help. */
export function usageLines(table: FlagTable, role?: string, width = 34): string[] {
  const lines: string[] = [];
  for (const [name, s] of Object.entries(table)) {
    if (role && s.roles && !s.roles.includes(role)) continue;
    const arg = s.kind === "switch"
      ? ""
      : s.kind === "list"
      ? " a,b,…"
      : s.kind === "int" || s.kind === "number"
      ? " N"
      : s.kind === "file"
      ? " FILE"
      : s.kind === "choice"
      ? s.optional ? ` [${s.choices.join("|")}]` : ` ${s.choices.join("|")}`
      : " TEXT";
    lines.push(`  --${name}${arg}`.padEnd(width) + s.help);
    if (s.kind === "list" && s.choices) lines.push(" ".repeat(width) + `(${s.choices.join(", ")})`);
  }
  return lines;
}
