// The adapter for our own peer: the argv it builds for a case, and a real run of both process
// specs over loopback, parsed back into PeerReports.

import { deepEqual, equal, match } from "node:assert/strict";
import { writeTestPki } from "../testing/pki.ts";
import { whyUnsupported } from "../contract/capabilities.ts";
import { closeAllSandboxes, openSandbox } from "../runtime/sandbox.ts";
import { ts } from "./ts.ts";
import type { CellContext } from "../contract/process.ts";
import type { EndpointConfig } from "../contract/config.ts";
import { CERT_KINDS, type CertKind, type SignatureSchemeName } from "../tls/names.ts";

const dir = await Deno.makeTempDir({ prefix: "pqi-ts-adapter-" });
const pki = await writeTestPki(dir, ["ecdsa-p256", "ed25519"]);

function context(port: number): CellContext {
  return { port, serverName: "localhost", pki, token: "tok123", scratch: dir };
}

const flagValue = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

Deno.test("ts adapter: argv for server and client", () => {
  const ctx = context(4433);
  const server = ts.server(
    { groups: ["MLKEM768", "x25519"], preferHrr: true, certificate: "ed25519", clientAuth: true },
    ctx,
  );
  deepEqual(server.argv.slice(0, 2), ["pqinterop-peer", "server"]);
  equal(flagValue(server.argv, "--port"), "4433");
  equal(flagValue(server.argv, "--groups"), "MLKEM768,x25519");
  equal(flagValue(server.argv, "--cert"), pki.leaf.ed25519.cert);
  equal(server.argv.includes("--prefer-hrr"), true);
  equal(server.argv.includes("--client-auth"), true);
  match("listening on 127.0.0.1:4433", server.ready!);

  const client = ts.client({ keyShares: [], cipherSuites: ["TLS_AES_256_GCM_SHA384"] }, ctx);
  equal(flagValue(client.argv, "--key-shares"), "none");
  equal(flagValue(client.argv, "--cipher-suites"), "TLS_AES_256_GCM_SHA384");
  equal(flagValue(client.argv, "--server-name"), "localhost");
  match(flagValue(client.argv, "--message"), /tok123/);
});

Deno.test("ts adapter: the PSK family is supported, and maps to the CLI's flags", () => {
  for (const f of ["externalPsk", "pskKe", "pskDheKe", "pskSha384", "importedPsk"] as const) {
    equal(ts.capabilities.features[f], true, f);
  }
  for (const f of ["resumption", "earlyData", "certWithPsk"] as const) {
    equal(ts.capabilities.features[f], true, f);
  }
  equal(whyUnsupported(ts.capabilities, "client", { resume: true }), null);
  const ctx = context(4433);
  const psk = { identity: "id", keyHex: "ab".repeat(32), hash: "sha384" as const };
  const client = ts.client({
    psk: { ...psk, mode: "psk_ke", imported: true },
    resume: true,
    resumeGroups: ["MLKEM768"],
    earlyData: "zero",
    certWithPsk: "allow",
  }, ctx);
  equal(flagValue(client.argv, "--psk-identity"), "id");
  equal(flagValue(client.argv, "--psk-key"), "ab".repeat(32));
  equal(flagValue(client.argv, "--psk-hash"), "sha384");
  equal(flagValue(client.argv, "--psk-mode"), "ke");
  equal(client.argv.includes("--psk-import"), true);
  equal(client.argv.includes("--resume"), true);
  equal(flagValue(client.argv, "--resume-groups"), "MLKEM768");
  equal(flagValue(client.argv, "--early-data"), "zero");
  equal(flagValue(client.argv, "--cert-with-psk"), "allow");
  // A PSK server without a certificate asked for has none; with RFC 9973 it has one.
  const pskOnly = ts.server({ psk: { ...psk, mode: "psk_dhe_ke" } }, ctx);
  equal(pskOnly.argv.includes("--cert"), false);
  equal(flagValue(pskOnly.argv, "--psk-mode"), "dhe_ke");
  equal(flagValue(pskOnly.argv, "--count"), "1");
  const withCert = ts.server({ psk: { ...psk, mode: "psk_dhe_ke" }, certWithPsk: "allow" }, ctx);
  equal(withCert.argv.includes("--cert"), true);
  equal(withCert.argv.includes("--cert-with-psk"), true);
  const resuming = ts.server({ resume: true, earlyData: "", maxEarlyData: 4096 }, ctx);
  equal(flagValue(resuming.argv, "--tickets"), "2");
  equal(flagValue(resuming.argv, "--max-early-data"), "4096");
  equal(flagValue(resuming.argv, "--count"), "2");
});

Deno.test("ts adapter: parse gives the first connection with the resumed one in next", () => {
  const line = (resumed: boolean) =>
    JSON.stringify({
      ok: true,
      version: "TLSv1.3",
      resumed,
      pskMode: resumed ? "psk_dhe_ke" : null,
    });
  const r = ts.parse("client", { stdout: `${line(false)}\n${line(true)}\n`, stderr: "", code: 0 });
  deepEqual([r.resumed, r.pskMode, r.next?.length], [false, null, 1]);
  deepEqual([r.next![0].resumed, r.next![0].pskMode], [true, "psk_dhe_ke"]);
});

Deno.test("ts adapter: parse reads the JSON line, or says why there is none", () => {
  const report = ts.parse("client", {
    stdout:
      '{"ok":true,"version":"TLSv1.3","group":"x25519","cipherSuite":"TLS_AES_128_GCM_SHA256","helloRetryRequest":false,"resumed":false,"alert":null}\n',
    stderr: "",
    code: 0,
  });
  deepEqual([report.ok, report.group, report.helloRetryRequest], [true, "x25519", false]);
  const none = ts.parse("server", { stdout: "", stderr: "peer: bad flag\n", code: 2 });
  equal(none.ok, false);
  match(none.error!, /bad flag/);
});

Deno.test("ts adapter: both process specs run in-process and report over loopback", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const ctx = context(port);
  const serverConfig: EndpointConfig = { groups: ["SecP256r1MLKEM768", "x25519"], preferHrr: true };
  const clientConfig: EndpointConfig = {
    groups: ["x25519", "SecP256r1MLKEM768"],
    keyShares: ["x25519"],
  };
  const sandbox = await openSandbox(ts);
  try {
    const spec = ts.server(serverConfig, ctx);
    const server = sandbox.spawn(spec);
    await server.ready(spec.ready!, 10_000);
    const client = await sandbox.spawn(ts.client(clientConfig, ctx)).wait(10_000);
    const clientReport = ts.parse("client", client);
    const serverReport = ts.parse("server", await server.wait(10_000));
    for (const r of [clientReport, serverReport]) {
      deepEqual(
        [r.ok, r.version, r.group, r.helloRetryRequest, r.resumed, r.alert],
        [true, "TLSv1.3", "SecP256r1MLKEM768", true, false, null],
      );
    }
    equal(clientReport.echo, "matched");
    equal(clientReport.peerCertificate?.keyType, "ecdsa-p256");
    equal(serverReport.certificate?.subject, clientReport.peerCertificate?.subject);
  } finally {
    await closeAllSandboxes();
  }
});

/** The scheme each kind of leaf signs CertificateVerify with by default, written out. */
const SCHEME_OF: Record<CertKind, SignatureSchemeName> = {
  "ecdsa-p256": "ecdsa_secp256r1_sha256",
  "ecdsa-p384": "ecdsa_secp384r1_sha384",
  ed25519: "ed25519",
  rsa2048: "rsa_pss_rsae_sha256",
  mldsa44: "mldsa44",
  mldsa65: "mldsa65",
  mldsa87: "mldsa87",
};

Deno.test("ts adapter: each side presents the certificate kind its case names, as the other side saw it", async () => {
  const kindsDir = await Deno.makeTempDir({ prefix: "pqi-ts-kinds-" });
  const kinds = await writeTestPki(kindsDir, [...CERT_KINDS]);
  const sandbox = await openSandbox(ts);
  const once = async (server: EndpointConfig, client: EndpointConfig) => {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const ctx = { ...context((probe.addr as Deno.NetAddr).port), pki: kinds, scratch: kindsDir };
    probe.close();
    const spec = ts.server(server, ctx);
    const running = sandbox.spawn(spec);
    await running.ready(spec.ready!, 10_000);
    const c = ts.parse("client", await sandbox.spawn(ts.client(client, ctx)).wait(10_000));
    return { client: c, server: ts.parse("server", await running.wait(10_000)) };
  };
  try {
    for (const kind of CERT_KINDS) {
      const { client } = await once({ certificate: kind }, {});
      equal(client.ok, true, client.error ?? "");
      equal(client.peerCertificate?.keyType, kind, `the client saw the server's ${kind} leaf`);
      equal(client.signatureScheme, SCHEME_OF[kind], kind);
    }
    const { server } = await once({ clientAuth: true }, {
      clientAuth: true,
      certificate: "mldsa65",
    });
    equal(server.ok, true, server.error ?? "");
    equal(server.peerCertificate?.keyType, "mldsa65", "the server saw the client's mldsa65 leaf");
  } finally {
    await closeAllSandboxes();
    await Deno.remove(kindsDir, { recursive: true });
  }
});
