// Implementations as data: a manifest (docs/manifest.md) read, checked field by field, and turned
// into an Implementation that speaks the peer contract. Every problem is one line naming the file
// and the field; a manifest with any problem is refused as a whole.

import { capabilities, type Exceptions, FEATURES } from "../contract/capabilities.ts";
import { CERT_KINDS, CIPHER_SUITE_NAMES, GROUP_NAMES } from "../tls/names.ts";
import { contractImplementation } from "./contract.ts";
import type { Implementation, Placement } from "./implementation.ts";

export class ManifestError extends Error {
  override name = "ManifestError";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

/** The manifest file's content, as documented. */
export interface Manifest {
  id: string;
  name: string;
  image: {
    context: string;
    dockerfile?: string;
    args?: Record<string, string>;
    include?: Record<string, string>;
  } | {
    tag: string;
  };
  program: string[];
  version: string[];
  env?: Record<string, string>;
  exchange?: "line" | "http";
  default?: boolean;
  capabilities?: Partial<Exceptions> & {
    client?: Partial<Exceptions>;
    server?: Partial<Exceptions>;
  };
}

const TABLES = {
  groups: GROUP_NAMES,
  cipherSuites: CIPHER_SUITE_NAMES,
  certificates: CERT_KINDS,
  features: FEATURES,
} as const;

const ID = /^[a-z][a-z0-9-]*(@[0-9A-Za-z][0-9A-Za-z.+-]*)?$/;

/** Reads and checks a manifest; `taken` are the ids already in use. */
export async function loadManifest(path: string, taken: string[]): Promise<Implementation> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ManifestError([`${path}: cannot read: ${(e as Error).message}`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ManifestError([`${path}: not valid JSON (${(e as Error).message.split("\n")[0]})`]);
  }
  const problems = checkManifest(data, taken).map((p) => `${path}: ${p}`);
  if (problems.length) throw new ManifestError(problems);
  const m = data as Manifest;
  const dir = await Deno.realPath(path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".");
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return fromManifest(m, dir, {
    path: await Deno.realPath(path),
    sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
  });
}

/** Every problem with a manifest, one line each as "field: problem"; [] when it is fine. */
export function checkManifest(data: unknown, taken: string[]): string[] {
  const out: string[] = [];
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return ["the manifest must be a JSON object"];
  }
  const m = data as Record<string, unknown>;
  const known = [
    "id",
    "name",
    "image",
    "program",
    "version",
    "env",
    "exchange",
    "default",
    "capabilities",
  ];
  for (const k of Object.keys(m)) {
    if (!known.includes(k)) out.push(`${k}: unknown field (known: ${known.join(", ")})`);
  }
  if (typeof m.id !== "string") out.push(`id: missing (a name like "mylib" or "mylib@1.2")`);
  else if (!ID.test(m.id)) {
    out.push(`id: "${m.id}" must be lower-case letters, digits and -, optionally @version`);
  } else if (taken.includes(m.id)) out.push(`id: "${m.id}" is taken (taken: ${taken.join(", ")})`);
  if (typeof m.name !== "string" || !m.name) out.push(`name: missing (the display name)`);
  checkImage(m.image, out);
  for (const field of ["program", "version"] as const) {
    const v = m[field];
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string" && x)) {
      out.push(`${field}: missing (a command as a list of strings, e.g. ["/usr/local/bin/shim"])`);
    }
  }
  if (m.env !== undefined && !isStringMap(m.env)) out.push(`env: must map names to strings`);
  if (m.exchange !== undefined && m.exchange !== "line" && m.exchange !== "http") {
    out.push(`exchange: must be "line" or "http", got ${JSON.stringify(m.exchange)}`);
  }
  if (m.default !== undefined && typeof m.default !== "boolean") {
    out.push(`default: must be true or false`);
  }
  if (m.capabilities !== undefined) checkCapabilities(m.capabilities, "capabilities", out, true);
  return out;
}

function checkImage(image: unknown, out: string[]): void {
  if (typeof image !== "object" || image === null) {
    out.push(`image: missing ({ "context": "DIR" } or { "tag": "NAME:TAG" })`);
    return;
  }
  const i = image as Record<string, unknown>;
  if ("tag" in i) {
    if (typeof i.tag !== "string" || !i.tag) out.push(`image.tag: must be an image name`);
    if (Object.keys(i).length > 1) out.push(`image: a tag takes no other field`);
    return;
  }
  if (typeof i.context !== "string" || !i.context) {
    out.push(`image.context: missing (a directory with a Dockerfile, relative to the manifest)`);
  }
  if (i.dockerfile !== undefined && typeof i.dockerfile !== "string") {
    out.push(`image.dockerfile: must be a file name`);
  }
  if (i.args !== undefined && !isStringMap(i.args)) {
    out.push(`image.args: must map names to strings`);
  }
  if (i.include !== undefined && !isStringMap(i.include)) {
    out.push(`image.include: must map paths to paths`);
  }
  for (const k of Object.keys(i)) {
    if (!["context", "dockerfile", "args", "include"].includes(k)) {
      out.push(`image.${k}: unknown field`);
    }
  }
}

function checkCapabilities(caps: unknown, at: string, out: string[], top: boolean): void {
  if (typeof caps !== "object" || caps === null || Array.isArray(caps)) {
    out.push(`${at}: must be an object`);
    return;
  }
  for (const [table, entries] of Object.entries(caps as Record<string, unknown>)) {
    if (top && (table === "client" || table === "server")) {
      checkCapabilities(entries, `${at}.${table}`, out, false);
      continue;
    }
    const names = (TABLES as Record<string, readonly string[]>)[table];
    if (!names) {
      out.push(
        `${at}.${table}: unknown table (known: ${Object.keys(TABLES).join(", ")}${
          top ? ", client, server" : ""
        })`,
      );
      continue;
    }
    if (typeof entries !== "object" || entries === null) {
      out.push(`${at}.${table}: must be an object`);
      continue;
    }
    for (const [name, support] of Object.entries(entries as Record<string, unknown>)) {
      const field = `${at}.${table}.${name}`;
      if (!names.includes(name)) {
        out.push(`${field}: unknown ${singular(table)} (known: ${names.join(", ")})`);
        continue;
      }
      const why = supportProblem(support);
      if (why) out.push(`${field}: ${why}`);
    }
  }
}

function supportProblem(s: unknown): string | null {
  if (s === true) return null;
  const reason =
    `a "no" needs a reason: { "lacks": "…" } (the library) or { "adapter": "…" } (the shim)`;
  if (typeof s !== "object" || s === null) return reason;
  const keys = Object.keys(s);
  if (keys.length !== 1 || !["lacks", "adapter"].includes(keys[0])) return reason;
  const text = (s as Record<string, unknown>)[keys[0]];
  return typeof text === "string" && text.trim() ? null : reason;
}

const singular = (table: string) =>
  ({
    groups: "group",
    cipherSuites: "cipher suite",
    certificates: "certificate kind",
    features: "feature",
  })[
    table
  ] ?? table;

const isStringMap = (v: unknown) =>
  typeof v === "object" && v !== null && !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === "string");

/** A checked manifest as an Implementation; `dir` is the manifest's directory (absolute). */
export function fromManifest(
  m: Manifest,
  dir: string,
  source: { path: string; sha256: string },
): Implementation {
  const resolve = (p: string) => normalize(p.startsWith("/") ? p : `${dir}/${p}`);
  const placement: Placement = "tag" in m.image ? { kind: "tag", tag: m.image.tag } : {
    kind: "image",
    context: resolve(m.image.context),
    ...(m.image.dockerfile ? { dockerfile: m.image.dockerfile } : {}),
    ...(m.image.args ? { args: m.image.args } : {}),
    ...(m.image.include
      ? {
        include: Object.fromEntries(
          Object.entries(m.image.include).map(([dest, src]) => [dest, resolve(src)]),
        ),
      }
      : {}),
  };
  const caps = (m.capabilities ?? {}) as Parameters<typeof capabilities>[0];
  return contractImplementation({
    id: m.id,
    name: m.name,
    placement,
    capabilities: capabilities(caps),
    program: m.program,
    env: m.env,
    inDefaultRun: m.default ?? true,
    httpOnly: m.exchange === "http",
    versionCommand: m.version,
    manifest: source,
  });
}

/** An absolute path without "." and ".." steps. */
function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") out.pop();
    else if (part !== "." && part !== "") out.push(part);
  }
  return `/${out.join("/")}`;
}
