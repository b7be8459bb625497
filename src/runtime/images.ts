// Images: the Debian base images (pulled where a registry answers, made with debootstrap from the
// machine's own apt mirror where none does), the project's base layer (containers/base: a helper
// that adds sid from the image's own sources, the loopback bind() wrapper), and one image per
// implementation, tagged by a hash of everything that goes into it (its build context, files
// included from elsewhere, build arguments, the base layer) so an unchanged image is never rebuilt
// and a changed one always is.

import { ensureEngine } from "./engine.ts";
import { lastLines, onPath, runHost } from "./host.ts";
import { CACHE_DIR, CONTAINERS_DIR, ensureCacheDir } from "./paths.ts";

/** Every image and container the runtime makes carries this label, so cleanup can find them. */
export const LABEL = "pqinterop";

/** The Debian suites an implementation image may start from, as `pqinterop/base:<suite>`. */
export const BASE_SUITES = ["trixie", "sid"] as const;
export type BaseSuite = typeof BASE_SUITES[number];

export class ImageBuildError extends Error {
  override name = "ImageBuildError";
}

/** How to build one image. */
export interface ImageRecipe {
  /** A name for tags, logs and messages: the directory's name, or the implementation's id. */
  name: string;
  /** The build context directory (absolute, or relative to containers/). */
  context: string;
  /** Another Dockerfile in the context. */
  dockerfile?: string;
  args?: Record<string, string>;
  /** Files copied into the context before the build: destination in the context → source path. */
  include?: Record<string, string>;
}

export interface ImageInfo {
  name: string;
  tag: string;
  id: string;
  built: boolean;
  /** Wall time of this call (the build, or the cache lookup). */
  ms: number;
}

/** Progress of a long build: the step it is at, for a terminal line that moves. */
export type BuildProgress = (line: string) => void;

// ---------------------------------------------------------------- Debian base images

const debianTag = (suite: BaseSuite) => `debian:${suite}-slim`;
const debianEnsured = new Map<BaseSuite, Promise<void>>();

/** `debian:<suite>-slim`: pulled, or made with debootstrap; idempotent. */
export function ensureDebianImage(suite: BaseSuite): Promise<void> {
  let p = debianEnsured.get(suite);
  if (!p) {
    p = makeDebianImage(suite).catch((e) => {
      debianEnsured.delete(suite);
      throw e;
    });
    debianEnsured.set(suite, p);
  }
  return p;
}

async function makeDebianImage(suite: BaseSuite): Promise<void> {
  await ensureEngine();
  const tag = debianTag(suite);
  if (await imageId(tag)) return;
  // Works where a registry answers (GitHub runners); fails fast offline.
  const pull = await runHost(["docker", "pull", tag], { timeoutMs: 120_000 });
  if (pull.code === 0 && await imageId(tag)) return;
  await debootstrapImage(suite, tag);
}

/**
 * The mirror this machine's own apt sources use: one-line sources (`deb URI suite …`) or deb822
 * (`URIs: …`). Null when the machine names none.
 */
export async function machineMirror(): Promise<string | null> {
  const files = ["/etc/apt/sources.list"];
  for (const dir of ["/etc/apt/sources.list.d"]) {
    try {
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile && /\.(list|sources)$/.test(e.name)) files.push(`${dir}/${e.name}`);
      }
    } catch { /* no such directory */ }
  }
  for (const file of files) {
    const text = await Deno.readTextFile(file).catch(() => "");
    for (const line of text.split("\n")) {
      const uri = line.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s/)?.[1] ??
        line.match(/^URIs:\s*(\S+)/)?.[1];
      if (uri && /^https?:/.test(uri) && !/security/.test(uri)) return uri;
    }
  }
  return null;
}

/** Builds a minimal root file system of `suite` and imports it as `tag`. */
async function debootstrapImage(suite: BaseSuite, tag: string): Promise<void> {
  const log = `${await ensureCacheDir()}/base-${suite}.log`;
  const fail = async (what: string) => {
    const tail = lastLines(await Deno.readTextFile(log).catch(() => ""), 10);
    return new ImageBuildError(
      `cannot make ${tag}: ${what} (no registry answered \`docker pull\`); log ${log}` +
        (tail ? `:\n${tail}` : ""),
    );
  };
  // Each step appends to the log as it goes (debootstrap takes a while: `tail -f` shows progress).
  const step = async (argv: string[], timeoutMs: number) => {
    await Deno.writeTextFile(log, `$ ${argv.join(" ")}\n`, { append: true });
    const r = await runHost(["sh", "-c", 'exec "$@" >>"$STEP_LOG" 2>&1', "sh", ...argv], {
      timeoutMs,
      env: { DEBIAN_FRONTEND: "noninteractive", STEP_LOG: log },
    });
    return r.code === 0;
  };
  const mirror = await machineMirror();
  if (!mirror) throw await fail("this machine's apt sources name no mirror to debootstrap from");
  if (!(await onPath("debootstrap"))) {
    if (Deno.uid() !== 0) throw await fail("debootstrap is not installed and we are not root");
    if (
      !(await step(["apt-get", "update"], 600_000)) ||
      !(await step(["apt-get", "install", "-y", "--no-install-recommends", "debootstrap"], 600_000))
    ) throw await fail("installing debootstrap failed");
  }
  const root = await Deno.makeTempDir({ dir: CACHE_DIR, prefix: `rootfs-${suite}-` });
  try {
    const ok = await step(["debootstrap", "--variant=minbase", suite, root, mirror], 900_000) &&
      await step(["sh", "-c", `tar -C '${root}' -c . | docker import - ${tag}`], 600_000);
    if (!ok || !(await imageId(tag))) throw await fail("debootstrap or docker import failed");
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

// ---------------------------------------------------------------- the project's base layer

const BASE_CONTEXT = "base";
const baseEnsured = new Map<BaseSuite, Promise<ImageInfo>>();

/** `pqinterop/base:<suite>`, rebuilt whenever containers/base changes. */
export function ensureBaseImage(suite: BaseSuite, progress?: BuildProgress): Promise<ImageInfo> {
  let p = baseEnsured.get(suite);
  if (!p) {
    p = (async () => {
      await ensureDebianImage(suite);
      const info = await buildIfMissing(
        { name: `base-${suite}`, context: BASE_CONTEXT, args: { SUITE: suite } },
        null,
        progress,
      );
      // The fixed name every Dockerfile starts FROM points at the current build.
      await runHost(["docker", "tag", info.tag, `pqinterop/base:${suite}`], { timeoutMs: 30_000 });
      return info;
    })().catch((e) => {
      baseEnsured.delete(suite);
      throw e;
    });
    baseEnsured.set(suite, p);
  }
  return p;
}

/**
 * What a Dockerfile starts FROM that the runtime provides: `pqinterop/base:<suite>` (the base
 * layer) or a plain `debian:<suite>-slim`.
 */
export async function basesOf(
  dockerfile: string,
): Promise<{ layer: BaseSuite[]; debian: BaseSuite[] }> {
  const text = await Deno.readTextFile(dockerfile);
  const known = (suite: string, what: string): BaseSuite => {
    if (!(BASE_SUITES as readonly string[]).includes(suite)) {
      throw new ImageBuildError(`${dockerfile}: FROM ${what} is not one this runtime makes`);
    }
    return suite as BaseSuite;
  };
  const layer = new Set<BaseSuite>();
  const debian = new Set<BaseSuite>();
  for (const m of text.matchAll(/^\s*FROM\s+(\S+)/gim)) {
    const base = m[1].match(/^pqinterop\/base:(\S+)$/);
    const plain = m[1].match(/^debian:(\S+)-slim$/);
    if (base) layer.add(known(base[1], m[1]));
    else if (plain) debian.add(known(plain[1], m[1]));
  }
  return { layer: [...layer], debian: [...debian] };
}

// ---------------------------------------------------------------- implementation images

/** The image id for a tag, or null when the engine has no such image. */
export async function imageId(tag: string): Promise<string | null> {
  const r = await runHost(["docker", "image", "inspect", "--format", "{{.Id}}", tag], {
    timeoutMs: 30_000,
  });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Directories under containers/ that hold a Dockerfile (the base layer excluded). */
export async function imageDirs(): Promise<string[]> {
  const dirs: string[] = [];
  for await (const e of Deno.readDir(CONTAINERS_DIR)) {
    if (!e.isDirectory || e.name === BASE_CONTEXT) continue;
    try {
      await Deno.stat(`${CONTAINERS_DIR}/${e.name}/Dockerfile`);
      dirs.push(e.name);
    } catch { /* not an image directory */ }
  }
  return dirs.sort();
}

// Build outputs that live in a context directory but are not inputs (see .gitignore).
const NOT_CONTEXT = new Set(["target", "node_modules"]);
/**
 * Files beside an image that describe it rather than go into it: its manifest and its notes. A
 * corrected capability reason must not cost an image rebuild.
 */
const NOT_INPUT = /^(impl(-[^/]*)?\.json|[^/]*\.md)$/;

const contextPath = (context: string) =>
  context.startsWith("/") ? context : `${CONTAINERS_DIR}/${context}`;

/** Every input file of a recipe: path inside the context → absolute source. */
async function inputsOf(recipe: ImageRecipe): Promise<Map<string, string>> {
  const root = contextPath(recipe.context);
  const files = new Map<string, string>();
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(`${root}/${rel}`)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory && !NOT_CONTEXT.has(e.name)) await walk(path);
      else if (e.isFile && !NOT_INPUT.test(path)) files.set(path, `${root}/${path}`);
    }
  };
  await walk("");
  for (const [dest, source] of Object.entries(recipe.include ?? {})) files.set(dest, source);
  return files;
}

/**
 * First 12 hex digits of sha256 over everything that makes the image: the input files (sorted
 * paths and contents), the build arguments, the Dockerfile's name, and the base layer's tag.
 */
export async function recipeHash(recipe: ImageRecipe, baseTags: string[] = []): Promise<string> {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const inputs = await inputsOf(recipe);
  for (const path of [...inputs.keys()].sort()) {
    let content: Uint8Array;
    try {
      content = await Deno.readFile(inputs.get(path)!);
    } catch (e) {
      throw new ImageBuildError(
        `${recipe.name}: cannot read ${inputs.get(path)}: ${(e as Error).message}`,
      );
    }
    parts.push(enc.encode(`${path}\0`), content, enc.encode("\0"));
  }
  const args = Object.entries(recipe.args ?? {}).sort().map(([k, v]) => `${k}=${v}`);
  parts.push(enc.encode(`args\0${args.join("\0")}\0dockerfile\0${recipe.dockerfile ?? ""}\0`));
  parts.push(enc.encode(`base\0${baseTags.join("\0")}`));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The same hash for a plain directory under containers/ (kept for the tests and `images`). */
export const contextHash = (dir: string): Promise<string> =>
  recipeHash({ name: dir, context: dir });

const inFlight = new Map<string, Promise<ImageInfo>>();

/** The image for a recipe, built when no image with its hash exists. */
export function ensureImage(
  recipe: ImageRecipe | string,
  progress?: BuildProgress,
): Promise<ImageInfo> {
  const r = typeof recipe === "string" ? { name: recipe, context: recipe } : recipe;
  const key = JSON.stringify(r);
  let p = inFlight.get(key);
  if (!p) {
    p = (async () => {
      const dockerfile = `${contextPath(r.context)}/${r.dockerfile ?? "Dockerfile"}`;
      try {
        await Deno.stat(dockerfile);
      } catch {
        throw new ImageBuildError(
          `${r.name}: no ${r.dockerfile ?? "Dockerfile"} in ${contextPath(r.context)}`,
        );
      }
      const { layer, debian } = await basesOf(dockerfile);
      for (const suite of debian) await ensureDebianImage(suite);
      const bases = [];
      for (const suite of layer) bases.push(await ensureBaseImage(suite, progress));
      return await buildIfMissing(r, bases.map((b) => b.tag), progress);
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

async function buildIfMissing(
  recipe: ImageRecipe,
  baseTags: string[] | null,
  progress?: BuildProgress,
): Promise<ImageInfo> {
  const started = Date.now();
  const tag = `pqinterop/${recipe.name.replace(/[^a-z0-9._-]+/g, "-")}:${await recipeHash(
    recipe,
    baseTags ?? [],
  )}`;
  const existing = await imageId(tag);
  if (existing) {
    return { name: recipe.name, tag, id: existing, built: false, ms: Date.now() - started };
  }

  // Files from outside the context are copied into a scratch copy of it: the build sees one tree.
  let context = contextPath(recipe.context);
  let scratch: string | null = null;
  if (recipe.include && Object.keys(recipe.include).length) {
    scratch = await Deno.makeTempDir({
      dir: await ensureCacheDir(),
      prefix: `context-${recipe.name}-`,
    });
    for (const [path, source] of await inputsOf(recipe)) {
      const dest = `${scratch}/${path}`;
      await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
      await Deno.copyFile(source, dest);
    }
    context = scratch;
  }
  const log = `${await ensureCacheDir()}/build-${recipe.name}.log`;
  const args = Object.entries(recipe.args ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
  const argv = [
    "docker",
    "build",
    "--force-rm",
    "--network",
    "host",
    "--label",
    `${LABEL}=1`,
    "--label",
    `${LABEL}.image=${recipe.name}`,
    ...args,
    ...(recipe.dockerfile ? ["-f", `${context}/${recipe.dockerfile}`] : []),
    "-t",
    tag,
    context,
  ];
  try {
    const code = await buildWithProgress(
      argv,
      log,
      (step) => progress?.(`image ${recipe.name}: ${step}`),
    );
    const id = code === 0 ? await imageId(tag) : null;
    if (!id) {
      const tail = lastLines(await Deno.readTextFile(log).catch(() => ""), 20);
      throw new ImageBuildError(`building ${tag} failed (exit ${code}); log ${log}:\n${tail}`);
    }
    return { name: recipe.name, tag, id, built: true, ms: Date.now() - started };
  } finally {
    if (scratch) await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}

/**
 * Runs `docker build`, writing everything to the log (so `tail -f` follows it) and telling
 * `onStep` which step it is at and for how long, every few seconds.
 */
async function buildWithProgress(
  argv: string[],
  log: string,
  onStep: (line: string) => void,
): Promise<number> {
  const file = await Deno.open(log, { write: true, create: true, truncate: true });
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(3_600_000),
  }).spawn();
  const started = Date.now();
  let step = "starting";
  const decoder = new TextDecoder();
  const pump = (stream: ReadableStream<Uint8Array>) =>
    stream.pipeTo(
      new WritableStream({
        async write(chunk) {
          await file.write(chunk);
          const m = decoder.decode(chunk).match(/Step (\d+\/\d+) : (.{0,60})/g);
          if (m) step = m[m.length - 1].replace(/^Step /, "step ");
        },
      }),
    ).catch(() => {});
  const timer = setInterval(
    () => onStep(`${step} (${Math.round((Date.now() - started) / 1000)} s)`),
    5_000,
  );
  try {
    await Promise.all([pump(child.stdout), pump(child.stderr)]);
    return (await child.status).code;
  } finally {
    clearInterval(timer);
    file.close();
  }
}

export interface AllImages {
  images: ImageInfo[];
  /** Images that failed to build; the others were still built. */
  failed: { name: string; error: Error }[];
}

/**
 * Every recipe, one after another (builds are CPU-bound; the machine has 2 cores). A failing build
 * does not stop the others: its implementation's cells then say why.
 */
export async function ensureAllImages(
  recipes: ImageRecipe[],
  onLine?: (s: string) => void,
): Promise<AllImages> {
  const out: AllImages = { images: [], failed: [] };
  for (const recipe of recipes) {
    onLine?.(`image ${recipe.name}: checking`);
    try {
      const info = await ensureImage(recipe, onLine);
      const how = info.built ? `built in ${(info.ms / 1000).toFixed(0)} s` : "cached";
      onLine?.(`image ${recipe.name}: ${info.tag} ${how}`);
      out.images.push(info);
    } catch (e) {
      if (!(e instanceof ImageBuildError)) throw e;
      onLine?.(`image ${recipe.name}: FAILED: ${e.message.split("\n")[0]}`);
      out.failed.push({ name: recipe.name, error: e });
    }
  }
  return out;
}

/** Runs one command in a throwaway container of `tag` and returns what it printed. */
export async function runInImage(tag: string, argv: string[]): Promise<string> {
  const r = await runHost(
    ["docker", "run", "--rm", "--network", "host", "--entrypoint", argv[0], tag, ...argv.slice(1)],
    { timeoutMs: 60_000 },
  );
  if (r.code !== 0) {
    throw new Error(
      `${argv.join(" ")} in ${tag} failed (exit ${r.code}): ${lastLines(r.stderr, 1)}`,
    );
  }
  return r.stdout;
}
