import assert from "node:assert/strict";
import { CERT_KINDS } from "../tls/names.ts";
import { pemBlocks } from "../tls/asn1.ts";
import { importPrivateKeyPem, verifySignature } from "../tls/signatures.ts";
import { parseCertificate, verifyChain } from "../tls/x509.ts";
import { pkiPaths } from "./layout.ts";
import { caKeyPath, ensurePki, manifestPath, type PkiManifest } from "./pki.ts";

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "pqinterop-pki-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const snapshot = async (dir: string) => {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    out[e.name] = await Deno.readTextFile(`${dir}/${e.name}`);
  }
  return out;
};

Deno.test("ensurePki writes the layout of pkiPaths, records it, and is idempotent", async () => {
  await withTempDir(async (dir) => {
    const paths = await ensurePki(dir);
    assert.deepEqual(paths, pkiPaths(dir));
    const manifest: PkiManifest = JSON.parse(await Deno.readTextFile(manifestPath(dir)));
    assert.deepEqual(manifest.kinds, [...CERT_KINDS]);
    assert.deepEqual(Object.keys(manifest.leaves).sort(), [...CERT_KINDS].sort());
    assert.equal(manifest.ca!.keyAlgorithm, "ECDSA P-256");
    const first = await snapshot(dir);
    // 1 CA cert + CA key + manifest + 3 files per kind, and no temporary or lock files left over.
    assert.equal(Object.keys(first).length, 3 + 3 * CERT_KINDS.length);
    await ensurePki(dir);
    assert.deepEqual(await snapshot(dir), first, "a second call changes nothing");
  });
});

Deno.test("ensurePki regenerates only what is missing or broken", async () => {
  await withTempDir(async (dir) => {
    const paths = await ensurePki(dir);
    const before = await snapshot(dir);
    await Deno.remove(paths.leaf.mldsa65.key);
    await Deno.writeTextFile(paths.leaf.ed25519.cert, "garbage");
    await ensurePki(dir);
    const after = await snapshot(dir);
    for (const [name, text] of Object.entries(before)) {
      const regenerated = /^(mldsa65|ed25519)[.-]/.test(name) || name === "pki.json";
      if (regenerated) assert.notEqual(after[name], text, `${name} regenerated`);
      else assert.equal(after[name], text, `${name} kept`);
    }
    await verifyChain(
      pemBlocks(after["ed25519-chain.pem"], "CERTIFICATE"),
      pemBlocks(after["ca.pem"], "CERTIFICATE"),
      { serverName: "localhost" },
    );

    // Without the CA key nothing can be added, so the whole PKI is made anew.
    await Deno.remove(caKeyPath(dir));
    await ensurePki(dir);
    const fresh = await snapshot(dir);
    for (const kind of CERT_KINDS) assert.notEqual(fresh[`${kind}.pem`], after[`${kind}.pem`]);
  });
});

Deno.test("concurrent ensurePki calls agree on one PKI", async () => {
  await withTempDir(async (dir) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { ensurePki } from "${new URL(
          "./pki.ts",
          import.meta.url,
        )}"; await ensurePki("${dir}");`,
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    await Promise.all([ensurePki(dir), ensurePki(dir)]);
    const { code, stderr } = await child.output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const caPem = await Deno.readTextFile(`${dir}/ca.pem`);
    for (const kind of CERT_KINDS) {
      const chain = pemBlocks(await Deno.readTextFile(`${dir}/${kind}-chain.pem`), "CERTIFICATE");
      await verifyChain(chain, pemBlocks(caPem, "CERTIFICATE"), { serverName: "127.0.0.1" });
    }
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.ok(!names.some((n) => n.includes(".tmp-") || n.endsWith(".lock")), names.join(" "));
  });
});

Deno.test("every leaf key signs with each of its schemes and verifies against its certificate", async () => {
  await withTempDir(async (dir) => {
    const paths = await ensurePki(dir);
    for (const kind of CERT_KINDS) {
      const key = await importPrivateKeyPem(await Deno.readTextFile(paths.leaf[kind].key));
      assert.equal(key.kind, kind);
      const cert = parseCertificate(pemBlocks(await Deno.readTextFile(paths.leaf[kind].cert))[0]);
      assert.deepEqual(key.spki, cert.spki);
      const msg = new TextEncoder().encode(`CertificateVerify content for ${kind}`);
      for (const scheme of key.schemes) {
        assert.ok(
          await verifySignature(scheme, cert.spki, msg, await key.sign(scheme, msg)),
          scheme,
        );
      }
    }
  });
});
