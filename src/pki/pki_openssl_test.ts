// The evidence that the PKI and the signatures are right: a real OpenSSL (3.5, in a container)
// verifies every chain, reads every key, checks signatures made here, and makes signatures and
// keys that are checked and read here. Runs when an OpenSSL image is present: the one named by
// PQINTEROP_OPENSSL_IMAGE, else any pqinterop/openssl:* image; otherwise the test is ignored.

import assert from "node:assert/strict";
import { CERT_KINDS, type CertKind, type SignatureSchemeName } from "../tls/names.ts";
import { pemBlocks } from "../tls/asn1.ts";
import { importPrivateKeyPem, verifySignature } from "../tls/signatures.ts";
import { ensurePki } from "./pki.ts";

async function findImage(): Promise<string | null> {
  const fromEnv = Deno.env.get("PQINTEROP_OPENSSL_IMAGE");
  if (fromEnv) return fromEnv;
  try {
    const out = await new Deno.Command("docker", {
      args: ["images", "--format", "{{.Repository}}:{{.Tag}}", "pqinterop/openssl"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout).split("\n").find((l) => l.trim()) ?? null;
  } catch {
    return null;
  }
}

const image = await findImage();

/** Per kind: the scheme TS signs with, and how OpenSSL signs and verifies the same thing. */
const CASES: Record<CertKind, { scheme: SignatureSchemeName; genpkey: string; opts: string }> = {
  "ecdsa-p256": {
    scheme: "ecdsa_secp256r1_sha256",
    genpkey: "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
    opts: "dgst -sha256",
  },
  "ecdsa-p384": {
    scheme: "ecdsa_secp384r1_sha384",
    genpkey: "-algorithm EC -pkeyopt ec_paramgen_curve:P-384",
    opts: "dgst -sha384",
  },
  ed25519: { scheme: "ed25519", genpkey: "-algorithm ED25519", opts: "rawin" },
  rsa2048: {
    scheme: "rsa_pss_rsae_sha256",
    genpkey: "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
    opts:
      "dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:sha256",
  },
  mldsa44: { scheme: "mldsa44", genpkey: "-algorithm ML-DSA-44", opts: "rawin" },
  mldsa65: { scheme: "mldsa65", genpkey: "-algorithm ML-DSA-65", opts: "rawin" },
  mldsa87: { scheme: "mldsa87", genpkey: "-algorithm ML-DSA-87", opts: "rawin" },
};

/** The shell script run inside the container, with the PKI at /pki and scratch files at /x. */
function script(): string {
  const lines = ["set -e", "openssl version"];
  for (const kind of CERT_KINDS) {
    const { genpkey, opts } = CASES[kind];
    const [mode, ...rest] = opts.split(" ");
    const sign = (key: string, out: string) =>
      mode === "dgst"
        ? `openssl dgst ${rest.join(" ")} -sign ${key} -out ${out} /x/msg`
        : `openssl pkeyutl -sign -rawin -inkey ${key} -in /x/msg -out ${out}`;
    const verify = (pub: string, sig: string) =>
      mode === "dgst"
        ? `openssl dgst ${rest.join(" ")} -verify ${pub} -signature ${sig} /x/msg`
        : `openssl pkeyutl -verify -rawin -pubin -inkey ${pub} -in /x/msg -sigfile ${sig}`;
    lines.push(
      `echo "== ${kind}"`,
      `openssl verify -CAfile /pki/ca.pem -verify_hostname localhost -purpose sslserver /pki/${kind}.pem`,
      `openssl verify -CAfile /pki/ca.pem -verify_ip 127.0.0.1 -purpose sslclient -untrusted /pki/${kind}-chain.pem /pki/${kind}.pem`,
      `openssl pkey -in /pki/${kind}.key -pubout -out /x/${kind}.keypub`,
      `openssl x509 -in /pki/${kind}.pem -pubkey -noout > /x/${kind}.certpub`,
      `cmp /x/${kind}.keypub /x/${kind}.certpub && echo "key file matches certificate"`,
      `${verify(`/x/${kind}.certpub`, `/x/${kind}.ts.sig`)}`,
      `openssl genpkey ${genpkey} -out /x/${kind}.ossl.key`,
      `openssl pkey -in /x/${kind}.ossl.key -pubout -out /x/${kind}.ossl.pub`,
      sign(`/x/${kind}.ossl.key`, `/x/${kind}.ossl.sig`),
    );
  }
  return lines.join("\n") + "\necho ALL-DONE\n";
}

Deno.test({
  name: "OpenSSL 3.5 accepts the PKI and our signatures; we accept OpenSSL's keys and signatures",
  ignore: image === null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pqinterop-ossl-" });
    const scratch = await Deno.makeTempDir({ prefix: "pqinterop-ossl-x-" });
    try {
      const paths = await ensurePki(dir);
      const msg = new TextEncoder().encode("TLS 1.3, server CertificateVerify\0" + "x".repeat(100));
      await Deno.writeFile(`${scratch}/msg`, msg);
      for (const kind of CERT_KINDS) {
        const key = await importPrivateKeyPem(await Deno.readTextFile(paths.leaf[kind].key));
        await Deno.writeFile(`${scratch}/${kind}.ts.sig`, await key.sign(CASES[kind].scheme, msg));
      }
      await Deno.writeTextFile(`${scratch}/check.sh`, script());
      const r = await new Deno.Command("docker", {
        args: [
          "run",
          "--rm",
          "--network",
          "host",
          "-v",
          `${dir}:/pki:ro`,
          "-v",
          `${scratch}:/x`,
          image!,
          "sh",
          "/x/check.sh",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
      assert.equal(r.code, 0, out);
      assert.match(out, /ALL-DONE/);
      for (const kind of CERT_KINDS) {
        assert.match(
          out,
          new RegExp(
            `== ${kind}\\n/pki/${kind}.pem: OK\\n/pki/${kind}.pem: OK\\nkey file matches certificate\\n(Signature Verified Successfully|Verified OK)`,
          ),
          out,
        );
        // OpenSSL's own key (its default PKCS#8 form) and signature, read and checked here.
        const key = await importPrivateKeyPem(
          await Deno.readTextFile(`${scratch}/${kind}.ossl.key`),
        );
        const spki =
          pemBlocks(await Deno.readTextFile(`${scratch}/${kind}.ossl.pub`), "PUBLIC KEY")[0];
        assert.deepEqual(
          key.spki,
          spki,
          `${kind}: OpenSSL's private key gives OpenSSL's public key`,
        );
        const sig = await Deno.readFile(`${scratch}/${kind}.ossl.sig`);
        assert.ok(
          await verifySignature(CASES[kind].scheme, spki, msg, sig),
          `${kind}: OpenSSL's signature verifies`,
        );
        const wrong = msg.slice();
        wrong[0] ^= 1;
        assert.equal(await verifySignature(CASES[kind].scheme, spki, wrong, sig), false);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
    }
  },
});
