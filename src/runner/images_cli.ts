// `deno task images`: prepare everything, then one line per implementation image:
//   <id>  <version>  <image tag>  (built in Ns | cached)
// An image that cannot be built gets its line with the reason; the others are still built.

import { runInImage } from "../runtime/images.ts";
import { prepare } from "./prepare.ts";

try {
  const { images, failed } = await prepare((s) => console.error(s));
  for (const { impl, image } of images) {
    const version = impl.versionCommand
      ? (await runInImage(image.tag, impl.versionCommand).catch((e) => `(${e.message})`))
        .split("\n")[0]
      : JSON.parse(
        await runInImage(image.tag, ["cat", "/pqinterop/provenance.json"]).catch(() => "{}"),
      ).version ?? "(no version)";
    const how = image.built ? `built in ${(image.ms / 1000).toFixed(0)} s` : "cached";
    console.log(`${impl.id}  ${version}  ${image.tag}  (${how})`);
  }
  for (const f of failed) {
    console.log(`${f.impl.id}  (build failed)  ${f.error.message.split("\n")[0]}`);
  }
  if (failed.length) Deno.exitCode = 1;
} catch (e) {
  console.error(`images: ${(e as Error).message}`);
  Deno.exitCode = 1;
}
