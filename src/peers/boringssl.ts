// BoringSSL, reached through Bun: Bun links BoringSSL statically and exposes it as node:tls.
// containers/boringssl/pqi-boring.ts is the program; it prints one JSON PeerReport line per
// connection. What it can and cannot do was measured against the real thing (boringssl_test.ts).
//
// What its reports can and cannot say:
// - group: on both sides, from BoringSSL's serialized session (node:tls has no other way for the
//   ML-KEM groups); helloRetryRequest: never (null), the wire tap sees it.
// - alert: an alert BoringSSL received is certain (its reason names it); one it sent is inferred
//   from its reason code (e.g. NO_SHARED_GROUP → handshake_failure).
// - A client that rejects the server's certificate sends no alert at all: Bun checks the chain
//   itself and closes the socket before its Finished (seen with s_server -msg: nothing after the
//   ClientHello). Cases expecting bad_certificate/unknown_ca from it see alert null and a reset.

import type { SignatureSchemeName } from "../tls/names.ts";
import { adapterCannot, capabilities, lacks } from "../contract/capabilities.ts";
import type { CellContext, ProcessSpec } from "../contract/process.ts";
import { readPeerReport } from "../contract/report.ts";
import type { EndpointConfig } from "../contract/config.ts";
import type { Implementation } from "./implementation.ts";
import type { Role } from "../tls/names.ts";

const PROGRAM = ["bun", "/opt/pqi/pqi-boring.ts"];

const ONLY_TWO_PQ_GROUPS =
  "BoringSSL implements only X25519MLKEM768 and MLKEM1024 of the PQ groups";
const NO_PSK_API =
  "Bun's node:tls exposes no PSK API (BoringSSL's SSL_CREDENTIAL_new_pre_shared_key is not reachable)";

/** Signature schemes BoringSSL's name table refuses (it has no RSA-PSS-in-PSS-key nor Ed448). */
const UNKNOWN_TO_BORINGSSL: readonly SignatureSchemeName[] = [
  "ed448",
  "rsa_pss_pss_sha256",
  "rsa_pss_pss_sha384",
  "rsa_pss_pss_sha512",
];

export const boringssl: Implementation = {
  id: "boringssl",
  name: "BoringSSL (Bun)",
  placement: { kind: "image", context: "boringssl" },
  inDefaultRun: true,

  capabilities: capabilities({
    groups: {
      MLKEM512: lacks(ONLY_TWO_PQ_GROUPS),
      MLKEM768: lacks(ONLY_TWO_PQ_GROUPS),
      SecP256r1MLKEM768: lacks(ONLY_TWO_PQ_GROUPS),
      SecP384r1MLKEM1024: lacks(ONLY_TWO_PQ_GROUPS),
    },
    // All three TLS 1.3 suites are enabled; they just cannot be chosen (cipherSuiteSelection).
    // Certificates: every kind loads. ML-DSA keys must be seed-only PKCS#8 (BoringSSL refuses
    // OpenSSL's default seed+expanded encoding), and a BoringSSL client offers ML-DSA only when
    // signatureSchemes asks for it: BoringSSL's default list has none.
    features: {
      keyShareSelection: adapterCannot(
        "node:tls cannot choose key shares; BoringSSL sends one for the first group, plus one " +
          "for the first group of the other kind (post-quantum vs classical) when listed",
      ),
      serverPreferenceHrr: adapterCannot(
        "node:tls cannot make BoringSSL send a HelloRetryRequest for its preference",
      ),
      cipherSuiteSelection: lacks("BoringSSL does not let TLS 1.3 cipher suites be configured"),
      externalPsk: lacks("BoringSSL speaks only RFC 9258 imported PSKs, not raw external PSKs"),
      importedPsk: adapterCannot(NO_PSK_API),
      pskKe: lacks("BoringSSL implements only psk_dhe_ke"),
      pskDheKe: adapterCannot(NO_PSK_API),
      pskSha384: adapterCannot(NO_PSK_API),
      earlyData: adapterCannot("Bun's node:tls exposes no 0-RTT API"),
      certWithPsk: lacks("BoringSSL does not implement RFC 8773/9973 tls_cert_with_extern_psk"),
    },
  }),

  refuse(_role: Role, config: EndpointConfig): string | null {
    const unknown = config.signatureSchemes?.filter((s) => UNKNOWN_TO_BORINGSSL.includes(s));
    return unknown?.length ? `BoringSSL lacks signature scheme ${unknown.join(", ")}` : null;
  },

  server(config: EndpointConfig, ctx: CellContext): ProcessSpec {
    const leaf = ctx.pki.leaf[config.certificate ?? "ecdsa-p256"];
    const argv = [
      ...PROGRAM,
      "server",
      "--port",
      String(ctx.port),
      "--cert",
      leaf.cert,
      "--key",
      leaf.key,
      "--chain",
      leaf.chain,
      ...commonOptions(config),
      // The resumed connection is a second connection to the same server.
      "--count",
      config.resume ? "2" : "1",
    ];
    if (config.clientAuth) argv.push("--ca", ctx.pki.caCert, "--client-auth");
    return { argv, ready: /listening on 127\.0\.0\.1:\d+/ };
  },

  client(config: EndpointConfig, ctx: CellContext): ProcessSpec {
    const argv = [
      ...PROGRAM,
      "client",
      "--port",
      String(ctx.port),
      "--ca",
      ctx.pki.caCert,
      "--server-name",
      ctx.serverName,
      "--message",
      `pqinterop ${ctx.token}`,
      ...commonOptions(config),
    ];
    if (config.clientAuth) {
      const leaf = ctx.pki.leaf[config.certificate ?? "ecdsa-p256"];
      argv.push("--cert", leaf.cert, "--key", leaf.key);
    }
    if (config.resume) {
      argv.push("--resume");
      if (config.resumeGroups) argv.push("--resume-groups", config.resumeGroups.join(","));
    }
    return { argv };
  },

  parse: readPeerReport,
};

function commonOptions(config: EndpointConfig): string[] {
  const out: string[] = [];
  if (config.groups) out.push("--groups", config.groups.join(","));
  if (config.signatureSchemes) out.push("--sigalgs", config.signatureSchemes.join(","));
  return out;
}

/** The JSON report lines on stdout, in order; anything else on stdout is ignored. */
