// pqi-boring: BoringSSL through Bun's node:tls (Bun links BoringSSL statically), speaking the peer
// contract (docs/peer-contract.md): `pqi-boring server|client` plus the contract's flags, one JSON
// line per connection on stdout. `pqi-boring version` prints the BoringSSL commit.
//
// The project's own tables and DER reader are copied in beside this file at build time
// (impl.json image.include → shared/), so names mean the same numbers as everywhere else.
//
// Exit codes: 0 every connection succeeded (and every echo matched with --expect-echo), 1 a
// connection failed, 2 usage error, 127 a configuration BoringSSL or node:tls cannot do (the last
// stderr line says `unsupported: lacks: …` or `unsupported: shim: …`).

import tls from "node:tls";
import { isIP } from "node:net";
import { constants, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  ALERTS,
  CIPHER_SUITES,
  type GroupName,
  GROUPS,
  isPostQuantum,
  nameOf,
  SIGNATURE_SCHEMES,
} from "./shared/names.ts";
import {
  childrenOf,
  contextTag,
  decodeDer,
  decodeInteger,
  decodeOid,
  type Der,
  encodeContext,
  encodeInteger,
  encodeOctetString,
  encodeSequence,
  expectTag,
  pemBlocks,
  TAG,
  toPem,
} from "./shared/asn1.ts";

/** A peer that goes silent fails the connection instead of hanging the program. */
const IDLE_TIMEOUT_MS = 15_000;
/** After the echo, how long a resuming client waits for a NewSessionTicket still in flight. */
const TICKET_GRACE_MS = 1_000;

// ---------------------------------------------------------------------------------------------
// Stopping before any connection: usage errors (2) and configurations we cannot do (127)

class Stop extends Error {
  constructor(readonly code: 2 | 127, message: string) {
    super(message);
  }
}
const usage = (why: string) => new Stop(2, why);
const lacks = (why: string) => new Stop(127, `lacks: ${why}`);
const shimCannot = (why: string) => new Stop(127, `shim: ${why}`);

const NO_PSK_API = "Bun's node:tls exposes no PSK API: it ignores pskCallback (measured), and " +
  "BoringSSL's SSL_CREDENTIAL_new_pre_shared_key is not reachable";

// ---------------------------------------------------------------------------------------------
// Command line

type Role = "server" | "client";

/** The contract's flags per role: valued flags, switches, and --cert-with-psk's optional value. */
const COMMON_VALUED = [
  "port",
  "cert",
  "key",
  "chain",
  "ca",
  "groups",
  "cipher-suites",
  "signature-schemes",
  "psk-identity",
  "psk-key",
  "psk-hash",
  "psk-mode",
];
const VALUED: Record<Role, string[]> = {
  server: [...COMMON_VALUED, "count", "tickets", "max-early-data"],
  client: [...COMMON_VALUED, "server-name", "message", "key-shares", "resume-groups", "early-data"],
};
const SWITCHES: Record<Role, string[]> = {
  server: ["psk-import", "http", "prefer-hrr", "client-auth"],
  client: ["psk-import", "http", "expect-echo", "resume"],
};
const CERT_WITH_PSK = ["require", "allow"];

type Flags = Map<string, string>;

function parseFlags(role: Role, args: string[]): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : null;
    if (name === null) throw usage(`unexpected argument ${JSON.stringify(args[i])}`);
    if (SWITCHES[role].includes(name)) flags.set(name, "");
    else if (VALUED[role].includes(name)) {
      if (i + 1 >= args.length) throw usage(`--${name} needs a value`);
      flags.set(name, args[++i]);
    } else if (name === "cert-with-psk") {
      flags.set(name, CERT_WITH_PSK.includes(args[i + 1]) ? args[++i] : CERT_WITH_PSK[0]);
    } else throw usage(`unknown ${role} flag --${name}`);
  }
  return flags;
}

function integer(flags: Flags, name: string, fallback: number | null): number | null {
  const text = flags.get(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw usage(`--${name} needs a number, got "${text}"`);
  return n;
}

/** A comma-separated list of names from `table`, in order. */
function names<T extends string>(flags: Flags, flag: string, table: Record<T, number>): T[] | null {
  const text = flags.get(flag);
  if (text === undefined) return null;
  const list = text.split(",").filter((n) => n !== "");
  if (list.length === 0) throw usage(`--${flag} needs at least one name`);
  for (const n of list) {
    if (!(n in table)) {
      throw usage(`--${flag}: unknown name "${n}" (known: ${Object.keys(table).join(", ")})`);
    }
  }
  return list as T[];
}

function readFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw usage(`--${flag} ${path}: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// What BoringSSL can do, asked of BoringSSL itself

/**
 * BoringSSL's own spelling of groups (its table accepts "P-256", not "secp256r1"). Other IANA
 * names are passed on unchanged, so BoringSSL itself refuses the groups it does not implement.
 */
const BORINGSSL_GROUP_NAMES: Partial<Record<GroupName, string>> = {
  x25519: "X25519",
  secp256r1: "P-256",
  secp384r1: "P-384",
};
const ecdhCurve = (groups: GroupName[]) =>
  groups.map((g) => BORINGSSL_GROUP_NAMES[g] ?? g).join(":");

/** Each group BoringSSL refuses by name: a configuration it lacks. */
function checkGroups(groups: GroupName[] | null, flag: string): void {
  for (const g of groups ?? []) {
    try {
      tls.createSecureContext({ ecdhCurve: ecdhCurve([g]) });
    } catch {
      throw lacks(
        `BoringSSL refuses group ${g} in --${flag} (of the PQ groups it implements only ` +
          `X25519MLKEM768 and MLKEM1024)`,
      );
    }
  }
}

/** Each signature scheme BoringSSL's name table refuses: one it lacks. */
function checkSignatureSchemes(schemes: string[] | null): void {
  for (const s of schemes ?? []) {
    try {
      tls.createSecureContext({ sigalgs: s });
    } catch {
      throw lacks(`BoringSSL does not know signature scheme ${s}`);
    }
  }
}

/**
 * The key shares BoringSSL puts in its first ClientHello: one for the first group, plus one for
 * the first listed group of the other kind (post-quantum vs classical), as measured against the
 * reference server. node:tls cannot ask for any other set.
 */
function sharesBoringSslSends(groups: GroupName[]): GroupName[] {
  const [first] = groups;
  const other = groups.find((g) => isPostQuantum(g) !== isPostQuantum(first));
  return other ? [first, other] : [first];
}

/** Everything the contract allows that BoringSSL or node:tls cannot do: exit 127, before I/O. */
function refuseUnsupported(role: Role, flags: Flags, groups: GroupName[] | null): void {
  const psk = ["psk-identity", "psk-key", "psk-hash", "psk-mode", "psk-import", "cert-with-psk"]
    .filter((f) => flags.has(f));
  if (psk.length > 0) refusePsk(flags, psk[0]);
  if (flags.has("cipher-suites")) {
    throw lacks("BoringSSL does not let TLS 1.3 cipher suites be configured");
  }
  // --prefer-hrr needs nothing: a BoringSSL server always takes its own first preference among
  // the client's groups and asks for it by HelloRetryRequest when the client sent no share for it
  // (measured: --groups MLKEM1024,x25519 against a client sharing only x25519 gives an HRR).
  if ((integer(flags, "max-early-data", 0) ?? 0) > 0 || flags.has("early-data")) {
    throw shimCannot("Bun's node:tls exposes no 0-RTT API");
  }
  const shares = flags.get("key-shares");
  if (role === "client" && shares !== undefined) {
    const wanted = shares === "none" ? [] : names(flags, "key-shares", GROUPS)!;
    const list = groups ?? DEFAULT_GROUPS;
    const missing = wanted.find((g) => !list.includes(g));
    if (missing) throw usage(`--key-shares ${missing} is not in --groups`);
    const sent = sharesBoringSslSends(list);
    if (wanted.join() !== sent.join()) {
      throw shimCannot(
        `node:tls cannot choose key shares: with these groups BoringSSL sends ` +
          `[${sent.join(", ")}], not [${wanted.join(", ")}]`,
      );
    }
  }
}

/** BoringSSL's default supported_groups as Bun configures it (measured: X25519MLKEM768 first). */
const DEFAULT_GROUPS: GroupName[] = ["X25519MLKEM768", "x25519", "secp256r1", "secp384r1"];

/** The PSK flags are checked like any other (exit 2), then refused with the right reason. */
function refusePsk(flags: Flags, first: string): never {
  if (flags.has("psk-identity") !== flags.has("psk-key")) {
    throw usage("--psk-identity and --psk-key go together");
  }
  if (!flags.has("psk-key")) throw usage(`--${first} needs --psk-identity and --psk-key`);
  if (!/^([0-9a-fA-F]{2})+$/.test(flags.get("psk-key")!)) {
    throw usage("--psk-key needs an even number of hex digits");
  }
  for (
    const [flag, choices] of [["psk-hash", ["sha256", "sha384"]], ["psk-mode", ["dhe_ke", "ke"]]]
  ) {
    const value = flags.get(flag as string);
    if (value !== undefined && !choices.includes(value)) {
      throw usage(`--${flag} must be ${(choices as string[]).join(" or ")}, got "${value}"`);
    }
  }
  if (flags.has("cert-with-psk")) {
    throw lacks("BoringSSL does not implement RFC 9973 tls_cert_with_extern_psk");
  }
  if (flags.get("psk-mode") === "ke") throw lacks("BoringSSL implements only psk_dhe_ke");
  if (!flags.has("psk-import")) {
    throw lacks("BoringSSL speaks only RFC 9258 imported PSKs, not raw external PSKs");
  }
  throw shimCannot(NO_PSK_API);
}

// ---------------------------------------------------------------------------------------------
// Certificates and keys

/** The certificate list: the leaf, then the chain file's certificates other than the leaf. */
function certificateChain(certPath: string, chainPath: string | undefined): string {
  const blocks = (flag: string, path: string) => {
    const der = pemBlocks(readFile(flag, path).toString(), "CERTIFICATE");
    if (der.length === 0) throw usage(`--${flag} ${path}: no certificate in it`);
    return der.map((d) => toPem("CERTIFICATE", d));
  };
  const [leaf] = blocks("cert", certPath);
  const extra = chainPath ? blocks("chain", chainPath).filter((c) => c !== leaf) : [];
  return [leaf, ...extra].join("");
}

const ML_DSA_OIDS = [
  "2.16.840.1.101.3.4.3.17",
  "2.16.840.1.101.3.4.3.18",
  "2.16.840.1.101.3.4.3.19",
];

/**
 * The private key as BoringSSL will load it. BoringSSL reads ML-DSA keys only in the seed-only
 * PKCS#8 form (RFC 9881 `[0] IMPLICIT seed`) and refuses the "both" form (seed and expanded key)
 * that OpenSSL 3.5 and our PKI write, with PRIVATE_KEY_WAS_NOT_SEED. The seed alone defines the
 * key, so a "both" key is re-encoded seed-only; every other key is passed on untouched.
 */
function privateKey(path: string): Buffer {
  const pem = readFile("key", path);
  const [der] = pemBlocks(pem.toString(), "PRIVATE KEY");
  if (!der) return pem;
  let info: Der;
  try {
    info = decodeDer(der, "PKCS#8 key");
  } catch {
    return pem; // not ours to judge: BoringSSL says what is wrong with it
  }
  const seed = seedOfBothForm(info);
  if (!seed) return pem;
  const [, algorithm] = childrenOf(info, "PrivateKeyInfo", "PKCS#8 key", 3);
  const seedOnly = encodeSequence(
    encodeInteger(0),
    algorithm.bytes,
    encodeOctetString(encodeContext(0, seed, false)),
  );
  return Buffer.from(toPem("PRIVATE KEY", seedOnly));
}

/** The 32-byte seed of an ML-DSA PrivateKeyInfo in the "both" form, or null for anything else. */
function seedOfBothForm(info: Der): Uint8Array | null {
  const what = "PKCS#8 key";
  try {
    const [, algorithm, key] = childrenOf(info, "PrivateKeyInfo", what, 3);
    const oid = decodeOid(childrenOf(algorithm, "algorithm", what, 1)[0], "algorithm", what);
    if (!ML_DSA_OIDS.includes(oid)) return null;
    const inner = decodeDer(expectTag(key, TAG.OCTET_STRING, "privateKey", what).content, what);
    if (inner.tag !== TAG.SEQUENCE) return null; // seed-only or expanded-only
    const [seed] = childrenOf(inner, "ML-DSA both", what, 2);
    return seed.tag === TAG.OCTET_STRING && seed.content.length === 32 ? seed.content : null;
  } catch {
    return null;
  }
}

/** `{subject, keyType}` of a DER certificate, in node:crypto's (BoringSSL's) words. */
function describe(der: Uint8Array | undefined): { subject: string; keyType: string | null } | null {
  if (!der || der.length === 0) return null;
  const cert = new X509Certificate(der);
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const keyType = key.asymmetricKeyType === "ec"
    ? { prime256v1: "ecdsa-p256", secp384r1: "ecdsa-p384" }[details.namedCurve ?? ""] ?? null
    : key.asymmetricKeyType === "rsa"
    ? `rsa${details.modulusLength}`
    : key.asymmetricKeyType?.startsWith("ml-dsa-")
    ? key.asymmetricKeyType.replace("ml-dsa-", "mldsa")
    : key.asymmetricKeyType ?? null;
  const kinds = ["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa2048", "mldsa44", "mldsa65", "mldsa87"];
  return {
    subject: cert.subject.split("\n").join(", "),
    keyType: keyType && kinds.includes(keyType) ? keyType : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Reports

interface Described {
  subject: string;
  keyType: string | null;
}

interface Report {
  ok: boolean;
  version: string | null;
  group: string | null;
  cipherSuite: string | null;
  helloRetryRequest: boolean | null;
  resumed: boolean | null;
  pskMode: string | null;
  pskIdentity: string | null;
  earlyData: string | null;
  certWithPsk: boolean | null;
  signatureScheme: string | null;
  peerCertificate: Described | null;
  certificate: Described | null;
  echo?: "matched" | "mismatched" | "none" | null;
  alert: string | null;
  alertDirection: "sent" | "received" | null;
  error: string | null;
  handshakeMs: number | null;
}

function emptyReport(): Report {
  return {
    ok: false,
    version: null,
    group: null,
    cipherSuite: null,
    // node:tls does not say whether a HelloRetryRequest happened; the wire tap does.
    helloRetryRequest: null,
    resumed: null,
    pskMode: null,
    pskIdentity: null,
    // Bun exposes no 0-RTT: never offered, never accepted.
    earlyData: null,
    // BoringSSL does not implement RFC 9973.
    certWithPsk: false,
    signatureScheme: null,
    peerCertificate: null,
    certificate: null,
    alert: null,
    alertDirection: null,
    error: null,
    handshakeMs: null,
  };
}

/**
 * What BoringSSL negotiated on an established connection. node:tls has no call for the group or
 * the signature scheme (getEphemeralKeyInfo() is empty for ML-KEM, getSharedSigalgs() returns []
 * in Bun), but BoringSSL records both in its SSL_SESSION, which getSession() hands over
 * serialized (ssl/ssl_asn1.cc): `groupID [18]` on both sides, `peerSignatureAlgorithm [23]` on
 * the client (the server's CertificateVerify). The certificates are in BoringSSL's words too.
 */
function negotiated(socket: tls.TLSSocket, role: Role): Partial<Report> {
  const cipher = socket.getCipher()?.standardName;
  const resumed = socket.isSessionReused();
  const session = sessionFields(socket.getSession());
  const scheme = role === "client" && !resumed ? session.get(contextTag(23, true)) : undefined;
  return {
    version: socket.getProtocol(),
    cipherSuite: cipher && cipher in CIPHER_SUITES ? cipher : null,
    group: groupName(session.get(contextTag(18, true))),
    resumed,
    // BoringSSL offers and accepts only psk_dhe_ke for resumption.
    pskMode: resumed ? "psk_dhe_ke" : null,
    signatureScheme: scheme === undefined ? null : knownName(SIGNATURE_SCHEMES, scheme),
    // A resumed handshake carries no Certificate message.
    peerCertificate: resumed ? null : describe(socket.getPeerCertificate()?.raw),
    // A client cannot tell whether it was asked for its certificate: null there.
    certificate: role === "server" && !resumed ? describe(socket.getCertificate()?.raw) : null,
  };
}

/** The INTEGER inside each [n] field of a serialized SSL_SESSION, by tag. */
function sessionFields(session: Buffer | undefined): Map<number, number> {
  const fields = new Map<number, number>();
  if (!session || session[0] !== TAG.SEQUENCE) return fields; // BoringSSL's "NOT RESUMABLE"
  try {
    for (const field of childrenOf(decodeDer(new Uint8Array(session), "SSL_SESSION"), "", "")) {
      const [value] = field.children ?? [];
      if (value?.tag === TAG.INTEGER) {
        fields.set(field.tag, Number(decodeInteger(value, "field", "SSL_SESSION")));
      }
    }
  } catch { /* a session layout we do not know: the fields stay unsaid */ }
  return fields;
}

const groupName = (code: number | undefined) => code === undefined ? null : knownName(GROUPS, code);

/** A name from the project's table, or null (the code then goes nowhere typed). */
function knownName(table: Record<string, number>, code: number): string | null {
  const name = nameOf(table, code);
  return name in table ? name : null;
}

/**
 * BoringSSL reason codes for failures it detects itself, with the alert it sends alongside
 * (ssl_send_alert / *out_alert next to OPENSSL_PUT_ERROR in BoringSSL's ssl/ sources). The
 * reason is all node:tls hands over; the alert itself is not exposed.
 */
const ALERT_SENT_FOR_REASON: Record<string, keyof typeof ALERTS> = {
  NO_SHARED_GROUP: "handshake_failure",
  NO_SHARED_CIPHER: "handshake_failure",
  NO_COMMON_SIGNATURE_ALGORITHMS: "handshake_failure",
  UNSUPPORTED_PROTOCOL: "protocol_version",
  WRONG_VERSION_NUMBER: "protocol_version",
  PEER_DID_NOT_RETURN_A_CERTIFICATE: "certificate_required",
  WRONG_CURVE: "illegal_parameter",
  BAD_ECPOINT: "illegal_parameter",
  DUPLICATE_KEY_SHARE: "illegal_parameter",
  DECODE_ERROR: "decode_error",
  BAD_SIGNATURE: "decrypt_error",
  DIGEST_CHECK_FAILED: "decrypt_error",
  DECRYPTION_FAILED_OR_BAD_RECORD_MAC: "bad_record_mac",
  UNEXPECTED_MESSAGE: "unexpected_message",
  UNEXPECTED_RECORD: "unexpected_message",
  UNEXPECTED_EXTENSION: "unsupported_extension",
  MISSING_KEY_SHARE: "missing_extension",
  DATA_LENGTH_TOO_LONG: "record_overflow",
  ENCRYPTED_LENGTH_TOO_LONG: "record_overflow",
};

/** A failure as one report: the alert (received, or sent by BoringSSL) and the library's text. */
function failure(err: unknown, base: Partial<Report> = {}): Report {
  const e = err as { code?: string; message?: string; reason?: string };
  const text = [e.code, e.message].filter(Boolean).join(": ") || String(err);
  const received = /(?:SSLV3|TLSV1)_ALERT_([A-Z_]+)/.exec(text)?.[1]
    ?.toLowerCase()
    .replace("user_cancelled", "user_canceled");
  const reason = e.reason ?? /OPENSSL_internal:([A-Z0-9_]+)/.exec(text)?.[1];
  const sent = reason ? ALERT_SENT_FOR_REASON[reason] : undefined;
  const report: Report = { ...emptyReport(), ...base, ok: false, error: text };
  if (received && received in ALERTS) {
    Object.assign(report, { alert: received, alertDirection: "received" });
  } else if (sent) Object.assign(report, { alert: sent, alertDirection: "sent" });
  return report;
}

const print = (report: Report) => console.log(JSON.stringify(report));

// ---------------------------------------------------------------------------------------------
// The exchange: one echoed line, or one HTTP/1.1 request answered with its path

const HEAD_END = "\r\n\r\n";

/** Server: the answer to what the client sent so far, or null while it is incomplete. */
function answerTo(received: string, http: boolean): string | null {
  if (!http) {
    const newline = received.indexOf("\n");
    return newline < 0 ? null : received.slice(0, newline + 1);
  }
  if (!received.includes(HEAD_END)) return null;
  const path = received.split("\r\n")[0].split(" ")[1] ?? "/";
  const body = path.replace(/^\//, "");
  return `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${
    Buffer.byteLength(body)
  }\r\nconnection: close\r\n\r\n${body}`;
}

/** Client: the request for `message`. */
const request = (message: string, http: boolean) =>
  http
    ? `GET /${message} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`
    : `${message}\n`;

/**
 * Client: the answer in what came back so far, or null while it is incomplete. Once the server
 * closed (`ended`), whatever came is the answer: a line without its newline, an HTTP body without
 * content-length.
 */
function answerIn(received: string, http: boolean, ended = false): string | null {
  if (!http) {
    const newline = received.indexOf("\n");
    if (newline >= 0) return received.slice(0, newline);
    return ended && received !== "" ? received : null;
  }
  const end = received.indexOf(HEAD_END);
  if (end < 0) return null;
  const length = /content-length:\s*(\d+)/i.exec(received.slice(0, end))?.[1];
  const body = received.slice(end + HEAD_END.length);
  const complete = length !== undefined && Buffer.byteLength(body) >= Number(length);
  return complete || ended ? body : null;
}

// ---------------------------------------------------------------------------------------------
// Server

interface Common {
  groups: GroupName[] | null;
  sigalgs: string | undefined;
  http: boolean;
}

function runServer(flags: Flags, common: Common): Promise<number> {
  const tickets = integer(flags, "tickets", 0)!;
  const options: tls.TlsOptions = {
    cert: certificateChain(flags.get("cert") ?? missing("cert"), flags.get("chain")),
    key: privateKey(flags.get("key") ?? missing("key")),
    minVersion: "TLSv1.3",
    // BoringSSL sends two NewSessionTickets, a number it does not let be set; --tickets 0 (the
    // contract's default) turns them off.
    secureOptions: tickets === 0 ? constants.SSL_OP_NO_TICKET : 0,
  };
  if (common.groups) options.ecdhCurve = ecdhCurve(common.groups);
  if (common.sigalgs) options.sigalgs = common.sigalgs;
  if (flags.has("client-auth")) {
    const ca = flags.get("ca") ?? missing("ca", "--client-auth needs --ca");
    Object.assign(options, { ca: readFile("ca", ca), requestCert: true, rejectUnauthorized: true });
  }
  const count = integer(flags, "count", null);
  const port = integer(flags, "port", 0)!;

  let server: tls.Server;
  try {
    server = tls.createServer(options);
  } catch (e) {
    // A key or certificate BoringSSL cannot load.
    throw usage(`BoringSSL refused the configuration: ${describeError(e)}`);
  }
  return new Promise((resolve) => {
    let reported = 0;
    let failures = 0;
    const report = (r: Report) => {
      if (count !== null && reported >= count) return;
      print(r);
      reported++;
      if (!r.ok) failures++;
      if (reported === count) {
        server.close();
        resolve(failures === 0 ? 0 : 1);
      }
    };
    let started = 0;
    server.on("connection", () => started = performance.now());
    // Handshake failures never reach the connection handler.
    server.on("tlsClientError", (err) => report(failure(err)));
    server.on("secureConnection", (socket: tls.TLSSocket) => {
      const handshakeMs = Math.round((performance.now() - started) * 10) / 10;
      serve(socket, { ...negotiated(socket, "server"), handshakeMs }, common.http, report);
    });
    server.on("error", (err) => {
      console.error(`pqi-boring: cannot listen on 127.0.0.1:${port}: ${describeError(err)}`);
      resolve(2);
    });
    server.listen(port, "127.0.0.1", () => {
      const address = server.address() as { port: number };
      console.error(`listening on 127.0.0.1:${address.port}`);
    });
  });
}

/** One connection after its handshake: answer the line or request, then close_notify. */
function serve(
  socket: tls.TLSSocket,
  base: Partial<Report>,
  http: boolean,
  report: (r: Report) => void,
) {
  let done = false;
  const finish = (r: Report) => {
    if (done) return;
    done = true;
    report(r);
  };
  socket.setTimeout(IDLE_TIMEOUT_MS, () => {
    finish(failure(new Error(`the client went silent for ${IDLE_TIMEOUT_MS / 1000} s`), base));
    socket.destroy();
  });
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString();
    const answer = answerTo(received, http);
    if (answer === null) return;
    socket.end(answer);
    finish({ ...emptyReport(), ...base, ok: true });
  });
  socket.on("error", (err) => finish(failure(err, base)));
  // A client that closes without a request has still completed the handshake.
  socket.on("close", () => finish({ ...emptyReport(), ...base, ok: true }));
}

// ---------------------------------------------------------------------------------------------
// Client

interface Attempt {
  report: Report;
  /** The last session ticket BoringSSL handed over, for the resumed connection. */
  ticket: Buffer | undefined;
}

function connectOnce(
  flags: Flags,
  common: Common,
  groups: GroupName[] | null,
  wantTicket: boolean,
  session?: Buffer,
): Promise<Attempt> {
  const serverName = flags.get("server-name") ?? "127.0.0.1";
  const message = flags.get("message") ?? "hello";
  const options: tls.ConnectionOptions = {
    host: "127.0.0.1",
    port: integer(flags, "port", null) ?? missing("port"),
    // An IP address is checked against the IP SANs and sends no SNI, as the contract wants.
    servername: isIP(serverName) ? undefined : serverName,
    ca: readFile("ca", flags.get("ca") ?? missing("ca")),
    minVersion: "TLSv1.3",
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(serverName, cert),
    session,
  };
  if (groups) options.ecdhCurve = ecdhCurve(groups);
  if (common.sigalgs) options.sigalgs = common.sigalgs;
  if (flags.has("cert") !== flags.has("key")) throw usage("--cert and --key go together");
  if (flags.has("cert")) {
    options.cert = certificateChain(flags.get("cert")!, flags.get("chain"));
    options.key = privateKey(flags.get("key")!);
  }

  return new Promise((resolve) => {
    let ticket: Buffer | undefined;
    let base: Partial<Report> = {};
    let echo: Report["echo"] = null;
    let done = false;
    let socket: tls.TLSSocket;
    /** The connection's report; `destroy` drops it at once (a failure, a timeout). */
    const finish = (report: Report, destroy = true) => {
      if (done) return;
      done = true;
      if (destroy) socket?.destroy();
      resolve({ report: { ...report, echo }, ticket });
    };
    // end() sends close_notify and closes once it is written; destroying now would drop it.
    const close = () => {
      socket.end();
      finish({ ...emptyReport(), ...base, ok: true }, false);
    };
    const started = performance.now();
    try {
      socket = tls.connect(options);
    } catch (e) {
      finish(failure(e));
      return;
    }
    socket.on("secureConnect", () => {
      base = {
        ...negotiated(socket, "client"),
        handshakeMs: Math.round((performance.now() - started) * 10) / 10,
      };
      echo = "none";
      socket.write(request(message, common.http));
    });
    // Bun drops tickets that arrive after the client closed its side: a resuming client closes
    // once it has one (they come before the echo from every server measured).
    socket.on("session", (s: Buffer) => ticket = s);
    let received = "";
    const judge = (answer: string | null) => {
      if (answer !== null && echo === "none") echo = answer === message ? "matched" : "mismatched";
    };
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString();
      const answer = answerIn(received, common.http);
      if (answer === null || echo !== "none") return;
      judge(answer);
      if (wantTicket && !ticket) setTimeout(close, TICKET_GRACE_MS);
      else close();
    });
    socket.on("end", () => judge(answerIn(received, common.http, true)));
    socket.setTimeout(IDLE_TIMEOUT_MS, () => {
      const what = base.version ? "the server went silent" : "no handshake";
      finish(failure(new Error(`${what} for ${IDLE_TIMEOUT_MS / 1000} s`), base));
    });
    socket.on("error", (err) => finish(failure(err, base)));
    socket.on("close", () => {
      finish(
        base.version
          ? { ...emptyReport(), ...base, ok: true }
          : failure(new Error("the server closed the connection during the handshake"), base),
      );
    });
  });
}

async function runClient(flags: Flags, common: Common): Promise<number> {
  const resume = flags.has("resume");
  const resumeGroups = names(flags, "resume-groups", GROUPS);
  if (resumeGroups && !resume) throw usage("--resume-groups needs --resume");
  checkGroups(resumeGroups, "resume-groups");
  const first = await connectOnce(flags, common, common.groups, resume);
  print(first.report);
  const reports = [first.report];
  if (resume) {
    // The resumed connection offers the ticket of the first one (none: a full handshake).
    const second = await connectOnce(
      flags,
      common,
      resumeGroups ?? common.groups,
      false,
      first.ticket,
    );
    print(second.report);
    reports.push(second.report);
  }
  const expectEcho = flags.has("expect-echo");
  return reports.every((r) => r.ok && (!expectEcho || r.echo === "matched")) ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------

const describeError = (e: unknown) =>
  [(e as { code?: string }).code, (e as Error).message].filter(Boolean).join(": ");

function missing(flag: string, why = `--${flag} is required`): never {
  throw usage(why);
}

async function main(argv: string[]): Promise<number> {
  const [role, ...args] = argv;
  if (role === "version") {
    console.log(`BoringSSL ${process.versions.boringssl} (Bun ${Bun.version})`);
    return 0;
  }
  try {
    if (role !== "server" && role !== "client") {
      throw usage("the first argument must be server, client or version");
    }
    const flags = parseFlags(role, args);
    const groups = names(flags, "groups", GROUPS);
    const schemes = names(flags, "signature-schemes", SIGNATURE_SCHEMES);
    checkGroups(groups, "groups");
    checkSignatureSchemes(schemes);
    refuseUnsupported(role, flags, groups);
    // BoringSSL spells signature schemes by their IANA names.
    const common = { groups, sigalgs: schemes?.join(":"), http: flags.has("http") };
    return role === "server" ? await runServer(flags, common) : await runClient(flags, common);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    console.error(e.code === 127 ? `unsupported: ${e.message}` : `pqi-boring: ${e.message}`);
    return e.code;
  }
}

process.exit(await main(process.argv.slice(2)));
