// `deno task pki [--out DIR] [--force]`: make sure the test PKI exists and print what it holds.
// --force deletes the directory's PKI files first, so everything is generated anew.

import { CERT_KINDS } from "../tls/names.ts";
import { caKeyPath, DEFAULT_PKI_DIR, ensurePki, manifestPath } from "./pki.ts";
import { pkiPaths } from "./layout.ts";

function parseArgs(args: string[]): { out: string; force: boolean } {
  let out = DEFAULT_PKI_DIR;
  let force = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out" && args[i + 1]) out = args[++i];
    else if (args[i] === "--force") force = true;
    else {
      console.error(`usage: deno task pki [--out DIR] [--force]   (unknown argument ${args[i]})`);
      Deno.exit(2);
    }
  }
  return { out, force };
}

const { out, force } = parseArgs(Deno.args);
if (force) {
  const p = pkiPaths(out);
  const files = [p.caCert, caKeyPath(out), manifestPath(out)];
  for (const kind of CERT_KINDS) {
    files.push(p.leaf[kind].cert, p.leaf[kind].key, p.leaf[kind].chain);
  }
  for (const f of files) await Deno.remove(f).catch(() => {});
}
const paths = await ensurePki(out);
const manifest = JSON.parse(await Deno.readTextFile(manifestPath(out)));
console.log(`CA     ${paths.caCert}  ${manifest.ca.subject}  serial ${manifest.ca.serial}`);
for (const kind of CERT_KINDS) {
  const leaf = manifest.leaves[kind];
  console.log(
    `${kind.padEnd(11)} ${paths.leaf[kind].cert}  ${leaf.keyAlgorithm}  until ${leaf.notAfter}`,
  );
}
