// Writes what the image really holds as JSON (run by bun at build time): the BoringSSL commit
// compiled into this Bun binary, Bun's own version, and the packages that went into the image.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const debianVersion = (pkg: string) =>
  execFileSync("dpkg-query", ["-W", "-f=${Version}", pkg]).toString();
// "name@version" of the npm package the binary came from, recorded by the fetch stage.
const [platformPackage, platformVersion] = readFileSync(
  "/pqinterop/PLATFORM_PACKAGE",
  "utf8",
)
  .trim().split(/@(?=[^@]*$)/);

console.log(JSON.stringify({
  name: "BoringSSL (via Bun)",
  version: process.versions.boringssl,
  build: `Bun ${Bun.version} (${Bun.revision}), statically linked BoringSSL`,
  packages: {
    bun: Bun.version,
    [platformPackage]: platformVersion,
    procps: debianVersion("procps"),
    debian: readFileSync("/etc/debian_version", "utf8").trim(),
  },
}));
