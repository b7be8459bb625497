// Where the runtime keeps things on the host: everything is relative to the repository root, so
// the commands work from any working directory.

export const REPO_ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
export const CACHE_DIR = `${REPO_ROOT}/.cache`;
export const CONTAINERS_DIR = `${REPO_ROOT}/containers`;

export async function ensureCacheDir(): Promise<string> {
  await Deno.mkdir(CACHE_DIR, { recursive: true });
  return CACHE_DIR;
}
