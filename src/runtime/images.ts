// Images: the debian:trixie-slim base (pulled where a registry answers, made with debootstrap where
// none does) and one image per containers/<dir>/, tagged by a hash of its build context so an
// unchanged directory is never rebuilt and a changed one always is.

import { ensureEngine } from "./engine.ts";
import { lastLines, onPath, runHost } from "./host.ts";
import { CACHE_DIR, CONTAINERS_DIR, ensureCacheDir } from "./paths.ts";

export const BASE_IMAGE = "debian:trixie-slim";
/** Every image and container the runtime makes carries this label, so cleanup can find them. */
export const LABEL = "pqinterop";

export class ImageBuildError extends Error {
  override name = "ImageBuildError";
}

export interface ImageInfo {
  dir: string;
  tag: string;
  id: string;
  built: boolean;
  /** Wall time of this call (the build, or the cache lookup). */
  ms: number;
}

let baseEnsured: Promise<void> | null = null;

/** The base image every Dockerfile starts FROM; idempotent. */
export function ensureBaseImage(): Promise<void> {
  baseEnsured ??= makeBaseImage().catch((e) => {
    baseEnsured = null;
    throw e;
  });
  return baseEnsured;
}

async function makeBaseImage(): Promise<void> {
  await ensureEngine();
  if (await imageId(BASE_IMAGE)) return;
  // Works where a registry answers (GitHub runners); fails fast offline.
  const pull = await runHost(["docker", "pull", BASE_IMAGE], { timeoutMs: 120_000 });
  if (pull.code === 0 && await imageId(BASE_IMAGE)) return;
  await debootstrapBaseImage(BASE_IMAGE);
}

/** Builds a minimal trixie root file system and imports it as `tag` (exported for a manual probe). */
export async function debootstrapBaseImage(tag: string): Promise<void> {
  const log = `${await ensureCacheDir()}/base-image.log`;
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
  if (!(await onPath("debootstrap"))) {
    if (Deno.uid() !== 0) throw await fail("debootstrap is not installed and we are not root");
    if (
      !(await step(["apt-get", "update"], 600_000)) ||
      !(await step(["apt-get", "install", "-y", "--no-install-recommends", "debootstrap"], 600_000))
    ) throw await fail("installing debootstrap failed");
  }
  const root = await Deno.makeTempDir({ dir: CACHE_DIR, prefix: "rootfs-" });
  try {
    const ok = await step([
      "debootstrap",
      "--variant=minbase",
      "trixie",
      root,
      "http://deb.debian.org/debian",
    ], 900_000) &&
      await step(["sh", "-c", `tar -C '${root}' -c . | docker import - ${tag}`], 600_000);
    if (!ok || !(await imageId(tag))) {
      throw await fail("debootstrap or docker import failed");
    }
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/** The image id for a tag, or null when the engine has no such image. */
export async function imageId(tag: string): Promise<string | null> {
  const r = await runHost(["docker", "image", "inspect", "--format", "{{.Id}}", tag], {
    timeoutMs: 30_000,
  });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Directories under containers/ that hold a Dockerfile: the implementations that need an image. */
export async function imageDirs(): Promise<string[]> {
  const dirs: string[] = [];
  for await (const e of Deno.readDir(CONTAINERS_DIR)) {
    if (!e.isDirectory) continue;
    try {
      await Deno.stat(`${CONTAINERS_DIR}/${e.name}/Dockerfile`);
      dirs.push(e.name);
    } catch { /* not an image directory */ }
  }
  return dirs.sort();
}

// Build outputs that live in a context directory but are not inputs (see .gitignore).
const NOT_CONTEXT = new Set(["target", "node_modules"]);

/** First 12 hex digits of sha256 over the context's files: sorted relative paths and contents. */
export async function contextHash(contextDir: string): Promise<string> {
  const files: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(`${contextDir}/${rel}`)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory && !NOT_CONTEXT.has(e.name)) await walk(path);
      else if (e.isFile) files.push(path);
    }
  };
  await walk("");
  files.sort();
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const f of files) {
    parts.push(enc.encode(`${f}\0`), await Deno.readFile(`${contextDir}/${f}`), enc.encode("\0"));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

const inFlight = new Map<string, Promise<ImageInfo>>();

/**
 * The image for containers/<dir>/, built when no image with its context hash exists.
 * `contextRoot` exists for tests that build a throwaway context elsewhere.
 */
export function ensureImage(dir: string, contextRoot = CONTAINERS_DIR): Promise<ImageInfo> {
  const key = `${contextRoot}/${dir}`;
  let p = inFlight.get(key);
  if (!p) {
    p = buildIfMissing(dir, contextRoot).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

async function buildIfMissing(dir: string, contextRoot: string): Promise<ImageInfo> {
  const started = Date.now();
  const context = `${contextRoot}/${dir}`;
  try {
    await Deno.stat(`${context}/Dockerfile`);
  } catch {
    throw new ImageBuildError(`no Dockerfile in ${context}`);
  }
  await ensureBaseImage();
  const tag = `pqinterop/${dir}:${await contextHash(context)}`;
  const existing = await imageId(tag);
  if (existing) return { dir, tag, id: existing, built: false, ms: Date.now() - started };

  const log = `${await ensureCacheDir()}/build-${dir}.log`;
  // Straight to the log file as it goes, so a long build can be followed with `tail -f`.
  const r = await runHost([
    "sh",
    "-c",
    'exec "$@" >"$BUILD_LOG" 2>&1',
    "sh",
    "docker",
    "build",
    "--force-rm",
    "--network",
    "host",
    "--label",
    `${LABEL}=1`,
    "--label",
    `${LABEL}.dir=${dir}`,
    "-t",
    tag,
    context,
  ], { timeoutMs: 3_600_000, env: { BUILD_LOG: log } });
  const id = r.code === 0 ? await imageId(tag) : null;
  if (!id) {
    const tail = lastLines(await Deno.readTextFile(log).catch(() => r.stderr), 20);
    throw new ImageBuildError(
      `building ${tag} failed (exit ${r.code}${
        r.timedOut ? ", timed out" : ""
      }); log ${log}:\n${tail}`,
    );
  }
  return { dir, tag, id, built: true, ms: Date.now() - started };
}

export interface AllImages {
  images: ImageInfo[];
  /** Images that failed to build; the others were still built. */
  failed: { dir: string; error: Error }[];
}

/**
 * Every image under containers/, one after another (builds are CPU-bound; the machine has 2
 * cores). A failing build does not stop the others: each implementation's tests then fail on
 * their own, with the build log's tail.
 */
export async function ensureAllImages(onLine?: (s: string) => void): Promise<AllImages> {
  const out: AllImages = { images: [], failed: [] };
  for (const dir of await imageDirs()) {
    onLine?.(`image ${dir}: checking`);
    try {
      const info = await ensureImage(dir);
      const how = info.built ? `built in ${(info.ms / 1000).toFixed(0)} s` : "cached";
      onLine?.(`image ${dir}: ${info.tag} ${how}`);
      out.images.push(info);
    } catch (e) {
      if (!(e instanceof ImageBuildError)) throw e;
      onLine?.(`image ${dir}: FAILED: ${e.message.split("\n")[0]}`);
      out.failed.push({ dir, error: e });
    }
  }
  return out;
}

/** What every Dockerfile writes to /pqinterop/provenance.json. */
export interface ImageProvenance {
  name: string;
  version: string;
  build: string;
  packages: Record<string, string>;
}

/** Reads an image's /pqinterop/provenance.json (in a throwaway container). */
export async function readProvenance(tag: string): Promise<ImageProvenance> {
  const r = await runHost(
    [
      "docker",
      "run",
      "--rm",
      "--network",
      "host",
      "--entrypoint",
      "cat",
      tag,
      "/pqinterop/provenance.json",
    ],
    { timeoutMs: 60_000 },
  );
  if (r.code !== 0) {
    throw new Error(`${tag} has no readable /pqinterop/provenance.json: ${lastLines(r.stderr, 1)}`);
  }
  return JSON.parse(r.stdout) as ImageProvenance;
}
