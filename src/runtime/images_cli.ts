// `deno task images`: prepare everything, then one line per implementation image:
//   <id>  <version>  <image tag>  (built in Ns | cached)

import { readProvenance } from "./images.ts";
import { prepare } from "./prepare.ts";
import { IMPLEMENTATIONS } from "../peers/index.ts";

try {
  const { images, failed } = await prepare((s) => console.error(s));
  for (const image of images) {
    const impl = IMPLEMENTATIONS.find((i) => i.container === image.dir);
    const { version } = await readProvenance(image.tag);
    const how = image.built ? `built in ${(image.ms / 1000).toFixed(0)} s` : "cached";
    console.log(`${impl?.id ?? image.dir}  ${version}  ${image.tag}  (${how})`);
  }
  for (const f of failed) {
    console.log(`${f.dir}  (build failed)  ${f.error.message.split("\n")[0]}`);
  }
  if (failed.length) Deno.exitCode = 1;
} catch (e) {
  console.error(`images: ${(e as Error).message}`);
  Deno.exitCode = 1;
}
