// `deno run -A src/runtime/prepare.ts`: everything the tests and the matrix need, from a fresh
// machine up: the Docker engine, the base image, every implementation image, the test PKI.
// `deno task test` runs it first. Exits non-zero with one line saying what is wrong.

import { ensureEngine } from "./engine.ts";
import { type AllImages, ensureAllImages, ensureBaseImage } from "./images.ts";
import { CACHE_DIR } from "./paths.ts";
import { ensurePki } from "../pki/pki.ts";

/** The PKI directory tests and runs use: absolute, so containers can mount it at the same path. */
export const PKI_DIR = `${CACHE_DIR}/pki`;

export async function prepare(onLine: (s: string) => void = console.log): Promise<AllImages> {
  await ensureEngine();
  onLine("engine: docker answers");
  await ensureBaseImage();
  const images = await ensureAllImages(onLine);
  await ensurePki(PKI_DIR);
  onLine(`pki: ${PKI_DIR}`);
  return images;
}

if (import.meta.main) {
  try {
    const { failed } = await prepare((s) => console.log(`prepare: ${s}`));
    if (failed.length) {
      console.error(
        `prepare: ${failed.length} image(s) failed to build: ${
          failed.map((f) => f.dir).join(", ")
        } (logs in .cache/build-<dir>.log)`,
      );
      Deno.exit(1);
    }
  } catch (e) {
    console.error(`prepare: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
