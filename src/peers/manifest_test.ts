// Manifests: every problem one line naming the field, nothing half-accepted, and a good one read
// into an Implementation that speaks the contract.

import assert from "node:assert/strict";
import { checkManifest, loadManifest, ManifestError } from "./manifest.ts";
import { builtInManifests, implementationsWith } from "./index.ts";

const good = {
  id: "mylib",
  name: "My TLS",
  image: { context: "." },
  program: ["/usr/local/bin/shim"],
  version: ["/usr/local/bin/shim", "--version"],
  capabilities: {
    groups: { MLKEM512: { lacks: "no MLKEM512 in mylib" } },
    features: { earlyData: { adapter: "the shim has no 0-RTT yet" } },
    server: { groups: { SecP384r1MLKEM1024: { lacks: "not as a server" } } },
  },
};

Deno.test("manifest: a good one has no problems", () => {
  assert.deepEqual(checkManifest(good, ["ts", "openssl"]), []);
});

Deno.test("manifest: one line per problem, each naming its field", () => {
  const bad = {
    name: "",
    image: { context: ".", unknown: 1 },
    program: "shim",
    capabilities: {
      groups: { MLKEM2048: { lacks: "x" }, MLKEM512: false },
      features: { earlyData: { lacks: "" }, teleport: true },
      nonsense: {},
    },
    exchange: "carrier-pigeon",
    extra: true,
  };
  const problems = checkManifest(bad, ["ts"]);
  const fields = problems.map((p) => p.split(":")[0]);
  for (
    const field of [
      "extra",
      "id",
      "name",
      "image.unknown",
      "program",
      "version",
      "exchange",
      "capabilities.groups.MLKEM2048",
      "capabilities.groups.MLKEM512",
      "capabilities.features.earlyData",
      "capabilities.features.teleport",
      "capabilities.nonsense",
    ]
  ) {
    assert.ok(fields.includes(field), `${field} missing from:\n${problems.join("\n")}`);
  }
  assert.equal(problems.length, fields.length);
  assert.ok(problems.every((p) => !p.includes("\n")));
  assert.match(
    problems.find((p) => p.startsWith("capabilities.groups.MLKEM2048"))!,
    /unknown group \(known: x25519, /,
  );
  assert.match(
    problems.find((p) => p.startsWith("capabilities.features.earlyData"))!,
    /needs a reason/,
  );
});

Deno.test("manifest: an id that clashes with another is refused with the list of taken ids", () => {
  const problems = checkManifest({ ...good, id: "openssl" }, ["ts", "openssl"]);
  assert.deepEqual(problems, ['id: "openssl" is taken (taken: ts, openssl)']);
  assert.deepEqual(checkManifest({ ...good, id: "My Lib" }, []).length, 1);
  assert.deepEqual(checkManifest({ ...good, id: "botan@3.7" }, []), []);
});

Deno.test("manifest: loading names the file on every line, and reads a good one", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify({ ...good, id: 7 }));
  await Deno.writeTextFile(`${dir}/garbage.json`, "{ not json");
  await Deno.writeTextFile(`${dir}/good.json`, JSON.stringify(good));
  await assert.rejects(loadManifest(`${dir}/bad.json`, []), (e: unknown) => {
    assert.ok(e instanceof ManifestError);
    assert.deepEqual(e.problems, [
      `${dir}/bad.json: id: missing (a name like "mylib" or "mylib@1.2")`,
    ]);
    return true;
  });
  await assert.rejects(loadManifest(`${dir}/garbage.json`, []), /garbage\.json: not valid JSON/);
  const impl = await loadManifest(`${dir}/good.json`, ["ts"]);
  assert.equal(impl.id, "mylib");
  assert.deepEqual(impl.placement, { kind: "image", context: await Deno.realPath(dir) });
  assert.deepEqual(impl.capabilities.groups.MLKEM512, { lacks: "no MLKEM512 in mylib" });
  assert.equal(impl.capabilities.groups.MLKEM768, true, "what is not listed is claimed");
  assert.deepEqual(impl.capabilities.server?.groups?.SecP384r1MLKEM1024, {
    lacks: "not as a server",
  });
  assert.equal(impl.manifest?.path, await Deno.realPath(`${dir}/good.json`));
  assert.match(impl.manifest?.sha256 ?? "", /^[0-9a-f]{64}$/);
  const spec = impl.client({ groups: ["x25519"] }, {
    port: 1,
    serverName: "localhost",
    pki: { caCert: "/ca.pem", leaf: {} as never },
    token: "t",
    scratch: "/tmp",
  });
  assert.deepEqual(spec.argv.slice(0, 2), ["/usr/local/bin/shim", "client"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("manifest: the built-in manifests are valid and their ids unique", async () => {
  const impls = await implementationsWith();
  assert.equal(new Set(impls.map((i) => i.id)).size, impls.length);
  for (const file of await builtInManifests()) {
    assert.ok(impls.some((i) => i.manifest?.path === Deno.realPathSync(file)), file);
  }
});
