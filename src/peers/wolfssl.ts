// wolfSSL 5.9.2, driven through its own example programs (examples/client/client and
// examples/server/server, built by containers/wolfssl). Everything below was measured against
// those programs (wolfssl_test.ts); where they cannot say something, the adapter says so.
//
// What the example programs cannot express, and therefore what this adapter refuses or bends:
// - One group per run. A server option (--pqc, -t, -Y, --force-curve) sets the server's groups
//   to exactly that group. A client option gives exactly one key share, but the client's
//   supported_groups stays wolfSSL's default list (only -t narrows it, to x25519, P-384, P-256,
//   ffdhe2048), so a server with another preference may still pull it elsewhere by HRR.
// - No P-384 key share on the client (it can only reach P-384 through an HRR).
// - No choice of signature_algorithms: a config asking for a subset of the default list runs
//   (the client offers the whole list), anything else is refused.
// - The PSK is hard-coded in wolfssl/test.h: identity "Client_identity", key 0123456789abcdef ×4,
//   TLS13-AES128-GCM-SHA256.
// - The client's 0-RTT text is its own ("A drop of info"), and the server always announces
//   max_early_data_size 4096.
// - Neither program prints whether a HelloRetryRequest happened (the client's report says true
//   when it ended on another group than the one it shared, else null) or whether
//   tls_cert_with_extern_psk was negotiated (always null). The wire tap sees both.

import {
  type AlertName,
  type CipherSuiteName,
  type GroupName,
  type PskModeName,
  type SignatureSchemeName,
} from "../tls/names.ts";
import { adapterCannot, capabilities, lacks } from "../contract/capabilities.ts";
import type { CellContext, ProcessSpec } from "../contract/process.ts";
import { chained, failedReport, type PeerReport } from "../contract/report.ts";
import type { EndpointConfig } from "../contract/config.ts";
import type { Implementation } from "./implementation.ts";
import type { Role } from "../tls/names.ts";

// --- The example programs' vocabulary ----------------------------------------------------------

/** The option that makes a program use exactly one group (server) or one key share (client). */
const GROUP_OPTION: Record<GroupName, { client: string[] | null; server: string[] }> = {
  x25519: { client: ["-t"], server: ["-t"] },
  secp256r1: { client: ["-Y"], server: ["-Y"] },
  secp384r1: { client: null, server: ["--force-curve", "SECP384R1"] },
  MLKEM512: { client: ["--pqc", "ML_KEM_512"], server: ["--pqc", "ML_KEM_512"] },
  MLKEM768: { client: ["--pqc", "ML_KEM_768"], server: ["--pqc", "ML_KEM_768"] },
  MLKEM1024: { client: ["--pqc", "ML_KEM_1024"], server: ["--pqc", "ML_KEM_1024"] },
  X25519MLKEM768: { client: ["--pqc", "X25519MLKEM768"], server: ["--pqc", "X25519MLKEM768"] },
  SecP256r1MLKEM768: {
    client: ["--pqc", "SecP256r1MLKEM768"],
    server: ["--pqc", "SecP256r1MLKEM768"],
  },
  SecP384r1MLKEM1024: {
    client: ["--pqc", "SecP384r1MLKEM1024"],
    server: ["--pqc", "SecP384r1MLKEM1024"],
  },
};

/** `SSL curve name is X` prints wolfSSL's own names (wolfSSL_get_curve_name). */
const GROUP_BY_WOLFSSL_NAME: Record<string, GroupName> = {
  X25519: "x25519",
  SECP256R1: "secp256r1",
  SECP384R1: "secp384r1",
  ML_KEM_512: "MLKEM512",
  ML_KEM_768: "MLKEM768",
  ML_KEM_1024: "MLKEM1024",
  X25519MLKEM768: "X25519MLKEM768",
  SecP256r1MLKEM768: "SecP256r1MLKEM768",
  SecP384r1MLKEM1024: "SecP384r1MLKEM1024",
};

/** `-l` takes wolfSSL's suite names; `SSL cipher suite is X` prints the IANA ones. */
const WOLFSSL_SUITE: Record<CipherSuiteName, string> = {
  TLS_AES_128_GCM_SHA256: "TLS13-AES128-GCM-SHA256",
  TLS_AES_256_GCM_SHA384: "TLS13-AES256-GCM-SHA384",
  TLS_CHACHA20_POLY1305_SHA256: "TLS13-CHACHA20-POLY1305-SHA256",
};

/** wolfssl/test.h: the only PSK the example programs know. */
export const EXAMPLE_PSK = {
  identity: "Client_identity",
  keyHex: "0123456789abcdef".repeat(4),
  suite: "TLS_AES_128_GCM_SHA256" as CipherSuiteName,
};

/**
 * The alert wolfSSL sends when it detects this error itself (internal.c: TranslateErrorToAlert,
 * and DoCertFatalAlert for certificate errors). Codes from wolfssl/error-ssl.h and
 * wolfcrypt/error-crypt.h. FATAL_ERROR (-313) means an alert was *received*; the examples do not
 * print which one, so it maps to nothing.
 */
const ALERT_FOR_ERROR: Record<number, AlertName> = {
  [-188]: "unknown_ca", // ASN_NO_SIGNER_E
  [-237]: "unknown_ca", // ASN_PATHLEN_SIZE_E
  [-238]: "unknown_ca", // ASN_PATHLEN_INV_E
  [-150]: "certificate_expired", // ASN_BEFORE_DATE_E
  [-151]: "certificate_expired", // ASN_AFTER_DATE_E
  [-155]: "bad_certificate", // ASN_SIG_CONFIRM_E
  [-322]: "bad_certificate", // DOMAIN_NAME_MISMATCH
  [-345]: "certificate_required", // NO_PEER_CERT (TLS 1.3)
  [-328]: "decode_error", // BUFFER_ERROR
  [-342]: "illegal_parameter", // PEER_KEY_ERROR
  [-352]: "illegal_parameter", // ECC_PEERKEY_ERROR
  [-333]: "illegal_parameter", // PSK_KEY_ERROR
  [-421]: "illegal_parameter", // BAD_KEY_SHARE_DATA
  [-423]: "illegal_parameter", // BAD_BINDER
  [-424]: "illegal_parameter", // EXT_NOT_ALLOWED
  [-425]: "illegal_parameter", // INVALID_PARAMETER
  [-457]: "illegal_parameter", // DUPLICATE_TLS_EXT_E
  [-505]: "illegal_parameter", // HRR_COOKIE_ERROR
  [-310]: "missing_extension", // INCOMPLETE_DATA
  [-422]: "handshake_failure", // MISSING_HANDSHAKE_DATA
  [-501]: "handshake_failure", // MATCH_SUITE_ERROR
  [-326]: "protocol_version", // VERSION_ERROR
  [-373]: "unexpected_message", // OUT_OF_ORDER_E
};

const DEFAULT_CERT = "ecdsa-p256" as const;

/**
 * The example programs have no option for signature_algorithms; they always offer this list
 * (as OpenSSL's s_server -trace read it from the client). A config that asks for a subset is
 * accepted: the client offers more than asked, never less.
 */
const DEFAULT_SIGNATURE_SCHEMES: readonly SignatureSchemeName[] = [
  "ecdsa_secp521r1_sha512",
  "ecdsa_secp384r1_sha384",
  "ecdsa_secp256r1_sha256",
  "ed25519",
  "mldsa44",
  "mldsa65",
  "mldsa87",
  "rsa_pss_rsae_sha512",
  "rsa_pss_pss_sha512",
  "rsa_pss_rsae_sha384",
  "rsa_pss_pss_sha384",
  "rsa_pss_rsae_sha256",
  "rsa_pss_pss_sha256",
  "rsa_pkcs1_sha512",
  "rsa_pkcs1_sha384",
  "rsa_pkcs1_sha256",
];

// --- Refusals ----------------------------------------------------------------------------------

const ONE_GROUP = "the example programs take one group per run (--pqc, -t, -Y or --force-curve)";
const NO_CLIENT_P384 =
  "the example client cannot send a P-384 key share (it has -t for x25519, -Y for P-256 and " +
  "--pqc for the ML-KEM groups); it could reach P-384 only through a HelloRetryRequest";
const PSK_IS_HARD_CODED = "the example programs hard-code PSK identity Client_identity and key " +
  "0123456789abcdef×4 with TLS13-AES128-GCM-SHA256; another key needs a program on libwolfssl";
const NO_CERT_WITH_PSK_REQUIRE =
  "wolfSSL 5.9.2 has no way to require tls_cert_with_extern_psk: its client carries on with a " +
  "plain PSK handshake when the server does not echo the extension, and says nothing";

function refuse(role: Role, config: EndpointConfig): string | null {
  const groups = config.groups ?? [];
  if (groups.length > 1) return `${groups.length} groups: ${ONE_GROUP}`;
  const missing = config.signatureSchemes?.filter((s) => !DEFAULT_SIGNATURE_SCHEMES.includes(s));
  if (missing?.length) {
    return `the example programs always use wolfSSL's default signature_algorithms, which lack ${
      missing.join(", ")
    }`;
  }
  if (config.resumeGroups && config.resumeGroups.join() !== groups.join()) {
    return "the example client resumes with the same options as the first connection";
  }
  if (config.psk) {
    const { identity, keyHex } = config.psk;
    if (identity !== EXAMPLE_PSK.identity || keyHex.toLowerCase() !== EXAMPLE_PSK.keyHex) {
      return PSK_IS_HARD_CODED;
    }
    const suites = config.cipherSuites ?? [EXAMPLE_PSK.suite];
    if (suites.length !== 1 || suites[0] !== EXAMPLE_PSK.suite) return PSK_IS_HARD_CODED;
  }
  if (config.maxEarlyData !== undefined && config.maxEarlyData > 0 && config.maxEarlyData < 4096) {
    return "the example server always announces max_early_data_size 4096";
  }
  return role === "client" ? refuseClient(config) : null;
}

function refuseClient(config: EndpointConfig): string | null {
  const group = config.groups?.[0];
  const shares = config.keyShares;
  if (shares && shares.length > 1) return `${shares.length} key shares: ${ONE_GROUP}`;
  if (shares?.length === 0 && group) {
    return "with no key share (-J) the example client lists wolfSSL's default groups, not " + group;
  }
  if (shares?.length === 1 && group && shares[0] !== group) {
    return "the example client shares the one group it supports; it cannot list one and share another";
  }
  if ((shares?.[0] ?? group) === "secp384r1") return NO_CLIENT_P384;
  if (config.certWithPsk === "require") return NO_CERT_WITH_PSK_REQUIRE;
  if (config.earlyData !== undefined && !config.resume && !config.psk) {
    return "0-RTT needs a resumed connection or an external PSK";
  }
  return null;
}

// --- Command lines -----------------------------------------------------------------------------

/**
 * Both programs run under `stdbuf -oL` with stderr folded into stdout: the lines stay in the
 * order they were printed (the connection blocks below depend on it) and survive a kill.
 * `notes` are printed first, for the facts the programs do not print themselves (what was offered).
 */
function spec(program: "client" | "server", args: string[], notes: string[]): ProcessSpec {
  const echo = notes.map((n) => `echo '${NOTE} ${n}'; `).join("");
  return {
    argv: ["sh", "-c", `${echo}exec stdbuf -oL "$@" 2>&1`, "sh", program, ...args],
    ready: program === "server" ? /listening on port \d+/ : undefined,
  };
}
const NOTE = "pqinterop-wolfssl:";

function serverArgs(config: EndpointConfig, ctx: CellContext): ProcessSpec {
  // -e: echo what the client sends (the project's clients send a line and expect it back),
  // until the client's close_notify.
  const args = ["-v", "4", "-p", String(ctx.port), "-e"];
  const notes: string[] = [];
  const group = config.groups?.[0];
  if (group) args.push(...GROUP_OPTION[group].server);
  if (config.cipherSuites && !config.psk) {
    args.push("-l", config.cipherSuites.map((s) => WOLFSSL_SUITE[s]).join(":"));
  }
  if (config.psk) {
    args.push(...pskModeOption(config.psk.mode));
    if (config.certWithPsk) args.push("--psk-with-certs");
    else {
      // -s loads no certificate at all, so a completed handshake was a PSK handshake.
      args.push("-s");
      notes.push("psk-only");
    }
  }
  if (!config.psk || config.certWithPsk) {
    const leaf = ctx.pki.leaf[config.certificate ?? DEFAULT_CERT];
    args.push("-c", leaf.chain, "-k", leaf.key);
  }
  if (config.clientAuth) args.push("-A", ctx.pki.caCert);
  else args.push("-d");
  // -r: one more connection, which may resume the first.
  if (config.resume) args.push("-r");
  // -0 accepts 0-RTT; maxEarlyData 0 means "announce none", i.e. leave it out.
  const acceptsEarly = config.maxEarlyData !== undefined
    ? config.maxEarlyData > 0
    : config.earlyData !== undefined;
  if (acceptsEarly) args.push("-0");
  return spec("server", args, notes);
}

function clientArgs(config: EndpointConfig, ctx: CellContext): ProcessSpec {
  // -m checks the certificate against the -h host (the test leaves carry IP:127.0.0.1);
  // -S sends SNI like the other clients; -g makes the one message a line ("GET /index.html
  // HTTP/1.0\r\n\r\n" instead of "hello wolfssl!" without a newline), which the servers echo.
  const args = ["-v", "4", "-h", "127.0.0.1", "-p", String(ctx.port), "-S", ctx.serverName];
  args.push("-A", ctx.pki.caCert, "-m", "-g");
  const notes: string[] = [];
  const share = config.keyShares?.[0] ?? config.groups?.[0];
  if (config.keyShares?.length === 0) args.push("-J");
  else if (share) {
    args.push(...GROUP_OPTION[share].client!);
    notes.push(`key_share ${share}`);
  }
  if (config.cipherSuites && !config.psk) {
    args.push("-l", config.cipherSuites.map((s) => WOLFSSL_SUITE[s]).join(":"));
  }
  if (config.psk) {
    // --openssl-psk: the identity on the wire is exactly Client_identity (without it the client
    // appends the suite's hash name). Offering one mode only makes success tell which was used.
    args.push(config.certWithPsk ? "--psk-with-certs" : "-s", "--openssl-psk");
    args.push(...pskModeOption(config.psk.mode));
    if (!config.certWithPsk) notes.push(`psk-only ${config.psk.mode}`);
  }
  if (config.clientAuth) {
    const leaf = ctx.pki.leaf[config.certificate ?? DEFAULT_CERT];
    args.push("-c", leaf.chain, "-k", leaf.key);
  } else args.push("-x");
  if (config.resume) args.push("-r");
  // The example sends its own 0-RTT text ("A drop of info"), not config.earlyData.
  if (config.earlyData !== undefined) args.push("-0");
  return spec("client", args, notes);
}

const pskModeOption = (mode: PskModeName): string[] =>
  mode === "psk_ke" ? ["-K"] : ["--onlyPskDheKe"];

// --- Reading the output ------------------------------------------------------------------------
// Lines the parser relies on (wolfssl/test.h showPeerEx, EarlyDataStatus, tcp_connect and the
// examples' error paths):
//   connecting to 127.0.0.1:PORT            client: a connection starts
//   Early Data was (not sent.|rejected.|accepted)   server: an accepted connection's first line
//   SSL version is TLSv1.3
//   SSL cipher suite is TLS_AES_128_GCM_SHA256
//   SSL curve name is X25519MLKEM768
//   SSL reused session
//   wolfSSL_connect error -188, ASN no signer error to confirm failure   (also "… resume error")
//   SSL_accept error -345, peer did not return a certificate
//   SSL_read reply error -313, received alert fatal error                (any "… error -N[, text]")
//   wolfSSL error: …                                                      (err_sys: exits)

interface Block {
  lines: string[];
}

function connectionBlocks(role: Role, lines: string[]): { before: string[]; blocks: Block[] } {
  const starts = role === "client" ? /^connecting to / : /^Early Data was /;
  const before: string[] = [];
  const blocks: Block[] = [];
  for (const line of lines) {
    if (starts.test(line)) blocks.push({ lines: [line] });
    else if (blocks.length) blocks[blocks.length - 1].lines.push(line);
    else before.push(line);
  }
  return { before, blocks };
}

/** "SSL_accept error -345, peer did not return a certificate", "SSL_read echo error -397". */
const ERROR_LINE = /\berror (-\d+)(?:, .+)?$/;

function blockReport(block: Block, notes: Set<string>, role: Role, lastExitOk: boolean) {
  const line = (re: RegExp) => block.lines.find((l) => re.test(l)) ?? null;
  const field = (re: RegExp) => line(re)?.match(re)?.[1] ?? null;
  const version = field(/^SSL version is (\S+)/);
  const suite = field(/^SSL cipher suite is (\S+)/);
  const curve = field(/^SSL curve name is (\S+)/);
  const failure = line(ERROR_LINE);
  const fatal = field(/^wolfSSL error: (.+)$/);
  // A connection is done once the program moves on to the next one or exits cleanly.
  const ok = version !== null && !failure && !fatal && lastExitOk;

  let group: GroupName | null = curve ? GROUP_BY_WOLFSSL_NAME[curve] ?? null : null;
  let pskMode: PskModeName | null = null;
  let pskIdentity: string | null = null;
  const offeredPskMode = noteValue(notes, "psk-only") as PskModeName | null;
  if (ok && role === "client" && offeredPskMode) {
    // The client loaded no certificate and offered one PSK in one mode (-s and -K or
    // --onlyPskDheKe), so a completed handshake used it in that mode. For psk_ke it still prints
    // the group of the key share it sent, which the server never used.
    pskMode = offeredPskMode;
    pskIdentity = EXAMPLE_PSK.identity;
    if (pskMode === "psk_ke") group = null;
  }
  if (ok && role === "server" && notes.has("psk-only")) {
    // The server loaded no certificate (-s), and it prints a group only when one was used.
    pskMode = curve ? "psk_dhe_ke" : "psk_ke";
  }
  // The client sent one key share; ending on another group means the server asked again.
  // Ending on the same group does not prove the opposite (an HRR may ask for a cookie only).
  const share = noteValue(notes, "key_share");
  const helloRetryRequest = ok && group !== null && share !== null && share !== group ? true : null;

  const code = failure ? Number(failure.match(ERROR_LINE)![1]) : null;
  const early = field(/^Early Data was (\w+)/);
  return {
    ...failedReport(null),
    ok,
    version,
    group,
    cipherSuite: suite && suite in WOLFSSL_SUITE ? suite as CipherSuiteName : null,
    helloRetryRequest,
    resumed: version === null ? null : block.lines.includes("SSL reused session"),
    pskMode,
    pskIdentity,
    earlyData: early === "accepted" || early === "rejected" ? early : null,
    certWithPsk: null,
    alert: code === null ? null : ALERT_FOR_ERROR[code] ?? null,
    error: ok ? null : failure?.trim() ?? fatal ??
      (version === null ? "no handshake" : "the connection did not finish"),
  } satisfies PeerReport;
}

/** `key_share MLKEM768` → "MLKEM768" for key "key_share". */
function noteValue(notes: Set<string>, key: string): string | null {
  for (const n of notes) if (n.startsWith(`${key} `)) return n.slice(key.length + 1);
  return null;
}

function parse(role: Role, output: { stdout: string; stderr: string; code: number | null }) {
  const lines = `${output.stdout}\n${output.stderr}`.split("\n").map((l) => l.trimEnd());
  const notes = new Set(
    lines.filter((l) => l.startsWith(NOTE)).map((l) => l.slice(NOTE.length).trim()),
  );
  const { before, blocks } = connectionBlocks(role, lines.filter((l) => !l.startsWith(NOTE)));
  if (blocks.length === 0) {
    const said = [...before].reverse().find((l) => /^wolfSSL error: |error -\d+/.test(l)) ??
      before.filter(Boolean).at(-1);
    return failedReport(
      said
        ? `${role} made no connection: ${said}`
        : `${role} made no connection (exit code ${output.code})`,
    );
  }
  const reports = blocks.map((b, i) =>
    blockReport(b, notes, role, i < blocks.length - 1 || output.code === 0)
  );
  return chained(reports);
}

// --- The implementation ------------------------------------------------------------------------

export const wolfssl: Implementation = {
  id: "wolfssl",
  name: "wolfSSL",
  placement: { kind: "image", context: "wolfssl" },
  inDefaultRun: true,
  capabilities: capabilities({
    // All nine groups, all three suites and all seven certificate kinds were measured working.
    features: {
      http: adapterCannot(
        "the example server is driven for the echoed line only, not an HTTP request",
      ),
      serverPreferenceHrr: adapterCannot(
        "the example server takes one group, so it has no preference order to enforce by HRR",
      ),
      pskSha384: adapterCannot(PSK_IS_HARD_CODED),
      importedPsk: lacks("wolfSSL 5.9.2 does not implement RFC 9258 imported PSKs"),
    },
  }),
  refuse,
  server: serverArgs,
  client: clientArgs,
  parse,
};
