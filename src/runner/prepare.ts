// `deno run -A src/runner/prepare.ts`: everything the tests and the matrix need, from a fresh
// machine up: the Docker engine, the base images, every implementation's image, the test PKI.
// `deno task test` runs it first. Exits non-zero with one line saying what is wrong.

import { IMPLEMENTATIONS } from "../peers/index.ts";
import type { Implementation } from "../peers/implementation.ts";
import { ensurePki } from "../pki/pki.ts";
import { ensureEngine } from "../runtime/engine.ts";
import type { ImageInfo } from "../runtime/images.ts";
import { CACHE_DIR } from "../runtime/paths.ts";
import { imageFor } from "../runtime/sandbox.ts";

/** The PKI directory tests and runs use: absolute, so containers can mount it at the same path. */
export const PKI_DIR = `${CACHE_DIR}/pki`;

export interface Prepared {
  images: { impl: Implementation; image: ImageInfo }[];
  /** Implementations whose image could not be made; the others were still built. */
  failed: { impl: Implementation; error: Error }[];
}

/**
 * The engine, every image (one after another: builds are CPU-bound and the machine has two
 * cores), the PKI. A failing image does not stop the others: its cells then say why.
 */
export async function prepare(
  onLine: (s: string) => void = console.log,
  impls: Implementation[] = IMPLEMENTATIONS,
): Promise<Prepared> {
  await ensureEngine();
  onLine("engine: docker answers");
  const out: Prepared = { images: [], failed: [] };
  for (const impl of impls.filter((i) => i.placement.kind !== "in-process")) {
    onLine(`image ${impl.id}: checking`);
    try {
      const image = (await imageFor(impl, onLine))!;
      const how = image.built ? `built in ${(image.ms / 1000).toFixed(0)} s` : "cached";
      onLine(`image ${impl.id}: ${image.tag} ${how}`);
      out.images.push({ impl, image });
    } catch (e) {
      onLine(`image ${impl.id}: FAILED: ${(e as Error).message.split("\n")[0]}`);
      out.failed.push({ impl, error: e as Error });
    }
  }
  await ensurePki(PKI_DIR);
  onLine(`pki: ${PKI_DIR}`);
  return out;
}

if (import.meta.main) {
  try {
    const { failed } = await prepare((s) => console.log(`prepare: ${s}`));
    if (failed.length) {
      console.error(
        `prepare: ${failed.length} image(s) failed to build: ${
          failed.map((f) => f.impl.id).join(", ")
        } (logs in .cache/build-<name>.log)`,
      );
      Deno.exit(1);
    }
  } catch (e) {
    console.error(`prepare: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
