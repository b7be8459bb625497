// pqi-boring: a TLS 1.3 client and server on BoringSSL, reached through Bun's node:tls (Bun links
// BoringSSL statically). It prints one JSON line per connection on stdout, with the fields of
// PeerReport in src/peers/types.ts, so the harness can read what BoringSSL negotiated.
//
// Run with bun. This file is self-contained (it is copied alone into the image), so the few
// codepoints it needs are repeated here rather than imported from src/tls/names.ts.
//
// Exit codes: 0 every connection succeeded, 1 a TLS failure (or BoringSSL refused the
// configuration), 2 usage error.

import tls from "node:tls";
import { readFileSync } from "node:fs";

const USAGE = `usage:
  pqi-boring server --port N --cert F --key F [--chain F] [--groups a,b] [--sigalgs a,b]
                    [--ca F --client-auth] [--count N] [--timeout S]
  pqi-boring client --port N --ca F [--server-name S] [--groups a,b] [--sigalgs a,b]
                    [--cert F --key F] [--message TEXT] [--resume] [--resume-groups a,b]
                    [--timeout S]
groups use IANA names: X25519MLKEM768, MLKEM1024, x25519, secp256r1, secp384r1, ...
sigalgs use IANA SignatureScheme names: ecdsa_secp256r1_sha256, ed25519, mldsa65, ...`;

// ---------------------------------------------------------------------------------------------
// Names

/** IANA NamedGroup codepoints (the same table as src/tls/names.ts GROUPS). */
const GROUPS: Record<string, number> = {
  x25519: 0x001d,
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  MLKEM512: 0x0200,
  MLKEM768: 0x0201,
  MLKEM1024: 0x0202,
  SecP256r1MLKEM768: 0x11eb,
  X25519MLKEM768: 0x11ec,
  SecP384r1MLKEM1024: 0x11ed,
};

/**
 * BoringSSL's own spelling of the groups it implements (its curve-name table accepts "P-256" and
 * "prime256v1" but not "secp256r1"). The other IANA names are passed through unchanged, so that
 * BoringSSL itself refuses the groups it does not implement and the report carries its refusal.
 */
const BORINGSSL_NAMES: Record<string, string> = {
  x25519: "X25519",
  secp256r1: "P-256",
  secp384r1: "P-384",
  X25519MLKEM768: "X25519MLKEM768",
  MLKEM1024: "MLKEM1024",
};

const CIPHER_SUITES = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
];

/** AlertDescription names (src/tls/names.ts ALERTS), as BoringSSL's reason strings spell them. */
const ALERT_NAMES = [
  "close_notify",
  "unexpected_message",
  "bad_record_mac",
  "record_overflow",
  "handshake_failure",
  "bad_certificate",
  "unsupported_certificate",
  "certificate_revoked",
  "certificate_expired",
  "certificate_unknown",
  "illegal_parameter",
  "unknown_ca",
  "access_denied",
  "decode_error",
  "decrypt_error",
  "protocol_version",
  "insufficient_security",
  "internal_error",
  "inappropriate_fallback",
  "user_canceled",
  "missing_extension",
  "unsupported_extension",
  "unrecognized_name",
  "bad_certificate_status_response",
  "unknown_psk_identity",
  "certificate_required",
  "general_error",
  "no_application_protocol",
];

/**
 * BoringSSL reason codes for failures it detects itself, with the alert it sends alongside
 * (ssl_send_alert / *out_alert next to OPENSSL_PUT_ERROR in BoringSSL's ssl/ sources). The
 * reason is all node:tls hands us; the alert itself is not exposed.
 */
const ALERT_SENT_FOR_REASON: Record<string, string> = {
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

// ---------------------------------------------------------------------------------------------
// Command line

class UsageError extends Error {}

interface Args {
  mode: "server" | "client";
  port: number;
  cert?: string;
  key?: string;
  chain?: string;
  ca?: string;
  groups?: string[];
  resumeGroups?: string[];
  sigalgs?: string;
  clientAuth: boolean;
  count: number;
  serverName: string;
  message: string;
  resume: boolean;
  timeoutSeconds: number;
}

const VALUE_FLAGS: Record<Args["mode"], string[]> = {
  server: [
    "port",
    "cert",
    "key",
    "chain",
    "groups",
    "sigalgs",
    "ca",
    "count",
    "timeout",
  ],
  client: [
    "port",
    "ca",
    "server-name",
    "groups",
    "sigalgs",
    "cert",
    "key",
    "message",
    "resume-groups",
    "timeout",
  ],
};
const SWITCHES: Record<Args["mode"], string[]> = {
  server: ["client-auth"],
  client: ["resume"],
};

function parseArgs(argv: string[]): Args {
  const [mode, ...rest] = argv;
  if (mode === undefined || mode === "--help") throw new UsageError(USAGE);
  if (mode !== "server" && mode !== "client") {
    throw new UsageError(
      `first argument must be "server" or "client", got ${JSON.stringify(mode)}`,
    );
  }
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i].replace(/^--/, "");
    if (!rest[i].startsWith("--")) {
      throw new UsageError(`unexpected argument ${rest[i]}`);
    }
    if (SWITCHES[mode].includes(flag)) switches.add(flag);
    else if (VALUE_FLAGS[mode].includes(flag)) {
      if (i + 1 >= rest.length) throw new UsageError(`--${flag} needs a value`);
      values.set(flag, rest[++i]);
    } else throw new UsageError(`unknown option --${flag} for ${mode}`);
  }
  const required = mode === "server" ? ["port", "cert", "key"] : ["port", "ca"];
  for (const r of required) {
    if (!values.has(r)) throw new UsageError(`--${r} is required`);
  }
  if (switches.has("client-auth") && !values.has("ca")) {
    throw new UsageError(
      "--client-auth needs --ca (the CA client certificates must chain to)",
    );
  }
  if (values.has("cert") !== values.has("key")) {
    throw new UsageError("--cert and --key go together");
  }
  return {
    mode,
    port: integer(values.get("port")!, "--port", 1, 65535),
    cert: values.get("cert"),
    key: values.get("key"),
    chain: values.get("chain"),
    ca: values.get("ca"),
    groups: groupList(values.get("groups")),
    resumeGroups: groupList(values.get("resume-groups")),
    // BoringSSL spells signature schemes by their IANA names and refuses the ones it lacks.
    sigalgs: values.get("sigalgs")?.split(",").join(":"),
    clientAuth: switches.has("client-auth"),
    count: integer(values.get("count") ?? "1", "--count", 1, 1000),
    serverName: values.get("server-name") ?? "localhost",
    message: values.get("message") ?? "hello from pqi-boring",
    resume: switches.has("resume"),
    timeoutSeconds: integer(
      values.get("timeout") ?? "30",
      "--timeout",
      1,
      3600,
    ),
  };
}

function integer(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${what} must be an integer in ${min}..${max}, got ${text}`,
    );
  }
  return n;
}

/** IANA names in, checked against the IANA table; BoringSSL decides later what it implements. */
function groupList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(",").filter((n) => n !== "");
  if (names.length === 0) {
    throw new UsageError("--groups needs at least one group");
  }
  for (const n of names) {
    if (!(n in GROUPS)) {
      throw new UsageError(
        `unknown group "${n}" (known: ${Object.keys(GROUPS).join(", ")})`,
      );
    }
  }
  return names;
}

const ecdhCurve = (groups: string[]) => groups.map((g) => BORINGSSL_NAMES[g] ?? g).join(":");

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(
      `cannot read ${what} ${path}: ${(e as Error).message}`,
    );
  }
}

/** The server's certificate list: the leaf, then whatever the chain file adds beyond it. */
function certificateChain(
  certPath: string,
  chainPath: string | undefined,
): string {
  const pemBlocks = (text: string) =>
    text.match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
    ) ?? [];
  const leaf = pemBlocks(readFile(certPath, "certificate").toString());
  const chain = chainPath ? pemBlocks(readFile(chainPath, "chain").toString()) : [];
  return [...new Set([...leaf, ...chain])].join("\n") + "\n";
}

/**
 * The private key as BoringSSL will load it. BoringSSL reads ML-DSA keys only in the seed-only
 * PKCS#8 form (RFC 9881 `[0] IMPLICIT seed`) and refuses the "both" form (seed and expanded key)
 * that OpenSSL 3.5 and our PKI write with PRIVATE_KEY_WAS_NOT_SEED. The seed alone defines the
 * key, so a "both" key is re-encoded seed-only; every other key is passed through untouched.
 */
function privateKey(path: string): Buffer {
  const pem = readFile(path, "key");
  const base64 = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(
    pem.toString(),
  )?.[1];
  if (!base64) return pem;
  const der = new Uint8Array(Buffer.from(base64.replace(/\s/g, ""), "base64"));
  const seed = mlDsaSeedOfBothForm(der);
  if (!seed) return pem;
  const algorithm = derChildren(der, derElement(der, 0)!)[1];
  const seedOnly = Uint8Array.of(0x80, seed.length, ...seed);
  const info = derSequence(
    Uint8Array.of(0x02, 0x01, 0x00),
    der.subarray(algorithm.at, algorithm.end),
    Uint8Array.of(0x04, seedOnly.length, ...seedOnly),
  );
  const lines = Buffer.from(info).toString("base64").match(/.{1,64}/g)!.join("\n");
  return Buffer.from(`-----BEGIN PRIVATE KEY-----\n${lines}\n-----END PRIVATE KEY-----\n`);
}

const ML_DSA_OID_PREFIX = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03]; // 2.16.840.1.101.3.4.3.

/** The 32-byte seed of an ML-DSA PrivateKeyInfo in the "both" form, or null for anything else. */
function mlDsaSeedOfBothForm(der: Uint8Array): Uint8Array | null {
  const outer = derElement(der, 0);
  if (!outer || der[0] !== 0x30) return null;
  const [, algorithm, privateKey] = derChildren(der, outer);
  if (!algorithm || !privateKey || der[privateKey.at] !== 0x04) return null;
  const oid = der.subarray(algorithm.start, algorithm.start + ML_DSA_OID_PREFIX.length);
  if (!ML_DSA_OID_PREFIX.every((b, i) => oid[i] === b)) return null;
  const both = derElement(der, privateKey.start);
  if (!both || der[privateKey.start] !== 0x30) return null; // seed-only or expanded-only
  const [seed] = derChildren(der, both);
  if (!seed || der[seed.at] !== 0x04 || seed.end - seed.start !== 32) return null;
  return der.subarray(seed.start, seed.end);
}

/** The TLVs directly inside a constructed element. */
function derChildren(
  der: Uint8Array,
  parent: { start: number; end: number },
): { at: number; start: number; end: number }[] {
  const children = [];
  for (let at = parent.start; at < parent.end;) {
    const child = derElement(der, at);
    if (!child) break;
    children.push({ at, ...child });
    at = child.end;
  }
  return children;
}

function derSequence(...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  const length = body.length < 0x80
    ? [body.length]
    : body.length < 0x100
    ? [0x81, body.length]
    : [0x82, body.length >> 8, body.length & 0xff];
  return Uint8Array.from([0x30, ...length, ...body]);
}

// ---------------------------------------------------------------------------------------------
// Reports

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
  alert: string | null;
  error: string | null;
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
    // Bun's node:tls exposes no external or imported PSKs, early data or RFC 9973: never used.
    pskIdentity: null,
    earlyData: null,
    certWithPsk: null,
    alert: null,
    error: null,
  };
}

/** What BoringSSL negotiated on an established connection. */
function negotiated(socket: tls.TLSSocket): Partial<Report> {
  const cipher = socket.getCipher()?.standardName ?? null;
  const resumed = socket.isSessionReused();
  return {
    version: socket.getProtocol(),
    cipherSuite: cipher && CIPHER_SUITES.includes(cipher) ? cipher : null,
    group: groupOfSession(socket.getSession()),
    resumed,
    // BoringSSL offers and accepts only psk_dhe_ke for resumption, so a resumed TLS 1.3
    // connection is psk_dhe_ke by construction.
    pskMode: resumed ? "psk_dhe_ke" : null,
  };
}

/**
 * The negotiated group, read from the serialized SSL_SESSION. getEphemeralKeyInfo() returns {}
 * for ML-KEM groups on the client and null on the server, but BoringSSL records the group of
 * every handshake in its session as `groupID [18] INTEGER` (ssl/ssl_asn1.cc), on both sides, and
 * getSession() hands us exactly that serialization.
 */
function groupOfSession(session: Uint8Array | undefined): string | null {
  if (!session || session[0] !== 0x30) return null; // absent, or BoringSSL's "NOT RESUMABLE"
  const outer = derElement(session, 0);
  if (!outer) return null;
  for (let at = outer.start; at < outer.end;) {
    const element = derElement(session, at);
    if (!element) return null;
    if (session[at] === 0xb2) { // [18] constructed, context-specific: groupID
      const integer = derElement(session, element.start);
      if (!integer || session[element.start] !== 0x02) return null;
      let id = 0;
      for (let i = integer.start; i < integer.end; i++) id = id * 256 + session[i];
      return Object.entries(GROUPS).find(([, code]) => code === id)?.[0] ??
        `0x${id.toString(16).padStart(4, "0")}`;
    }
    at = element.end;
  }
  return null;
}

/** The content of the DER TLV at `at`: where it starts and ends. */
function derElement(der: Uint8Array, at: number): { start: number; end: number } | null {
  let i = at + 1;
  // Tags from [31] on (late SSL_SESSION fields) continue in base-128 bytes.
  if ((der[at] & 0x1f) === 0x1f) {
    while (i < der.length && der[i] & 0x80) i++;
    i++;
  }
  if (i >= der.length) return null;
  let length = der[i++];
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || i + bytes > der.length) return null;
    length = 0;
    for (let k = 0; k < bytes; k++) length = length * 256 + der[i++];
  }
  return i + length > der.length ? null : { start: i, end: i + length };
}

/** A failure as one report: the alert (received from the peer, or sent by BoringSSL) and text. */
function failure(err: unknown, base: Partial<Report> = {}): Report {
  const e = err as { code?: string; message?: string; reason?: string };
  const text = [e.code, e.message].filter(Boolean).join(": ") || String(err);
  const received = /(?:SSLV3|TLSV1)_ALERT_([A-Z_]+)/.exec(text)?.[1]
    ?.toLowerCase()
    .replace("user_cancelled", "user_canceled");
  const reason = e.reason ?? /OPENSSL_internal:([A-Z0-9_]+)/.exec(text)?.[1];
  const sent = reason ? ALERT_SENT_FOR_REASON[reason] : undefined;
  let alert: string | null = null;
  let how = "";
  if (received && ALERT_NAMES.includes(received)) {
    [alert, how] = [received, "received alert"];
  } else if (sent) [alert, how] = [sent, "sent alert"];
  return {
    ...emptyReport(),
    ...base,
    ok: false,
    alert,
    error: how ? `${how} ${alert}: ${text}` : text,
  };
}

/**
 * BoringSSL refused the configuration before any connection. node:tls says only "Failed to set
 * ECDH curve", so each group is offered to BoringSSL alone to name the ones it refuses.
 */
function refusal(err: unknown, groups: string[] | undefined): Report {
  const refused = (groups ?? []).filter((g) => {
    try {
      tls.createSecureContext({ ecdhCurve: ecdhCurve([g]) });
      return false;
    } catch {
      return true;
    }
  });
  const what = refused.length
    ? `BoringSSL refused group ${refused.join(", ")}`
    : "BoringSSL refused the configuration";
  const report = { ...emptyReport(), error: `${what} (${describe(err)})` };
  console.error(`pqi-boring: ${report.error}`);
  return report;
}

const print = (report: Report) => console.log(JSON.stringify(report));

// ---------------------------------------------------------------------------------------------
// Server

function runServer(args: Args): Promise<number> {
  const options: tls.TlsOptions = {
    cert: certificateChain(args.cert!, args.chain),
    key: privateKey(args.key!),
    minVersion: "TLSv1.3",
  };
  if (args.groups) options.ecdhCurve = ecdhCurve(args.groups);
  if (args.sigalgs) options.sigalgs = args.sigalgs;
  if (args.clientAuth) {
    Object.assign(options, {
      ca: readFile(args.ca!, "CA"),
      requestCert: true,
      rejectUnauthorized: true,
    });
  }

  let server: tls.Server;
  try {
    server = tls.createServer(options);
  } catch (e) {
    // BoringSSL refused the configuration: a group it does not implement, a key it cannot load.
    print(refusal(e, args.groups));
    return Promise.resolve(1);
  }

  return new Promise((resolve) => {
    let reported = 0;
    let failures = 0;
    const report = (r: Report) => {
      if (reported >= args.count) return;
      print(r);
      reported++;
      if (!r.ok) failures++;
      if (reported === args.count) {
        server.close();
        resolve(failures === 0 ? 0 : 1);
      }
    };

    // Handshake failures never reach the connection handler.
    server.on("tlsClientError", (err) => report(failure(err)));

    server.on("secureConnection", (socket: tls.TLSSocket) => {
      const base = negotiated(socket);
      let done = false;
      const finish = (r: Report) => {
        if (done) return;
        done = true;
        report(r);
      };
      socket.setTimeout(args.timeoutSeconds * 1000, () => {
        finish(
          failure(
            new Error(
              `no line from the client within ${args.timeoutSeconds} s`,
            ),
            base,
          ),
        );
        socket.destroy();
      });
      // One line in, the same line back. A client that sends its text and closes without a
      // newline has still completed the exchange.
      let received = "";
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString();
        const newline = received.indexOf("\n");
        if (newline < 0) return;
        socket.end(received.slice(0, newline + 1));
        finish({ ...emptyReport(), ...base, ok: true });
      });
      socket.on("end", () => {
        if (received) finish({ ...emptyReport(), ...base, ok: true });
      });
      socket.on("error", (err) => finish(failure(err, base)));
      socket.on(
        "close",
        () => finish(failure(new Error("the client closed before sending anything"), base)),
      );
    });

    server.listen(args.port, "127.0.0.1", () => {
      console.error(`listening on 127.0.0.1:${args.port}`);
    });
    server.on("error", (err) => {
      console.error(
        `pqi-boring: cannot listen on 127.0.0.1:${args.port}: ${describe(err)}`,
      );
      resolve(1);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Client

interface Attempt {
  report: Report;
  /** The last session ticket BoringSSL handed us, for the resumed connection. */
  ticket: Buffer | undefined;
}

function connectOnce(
  args: Args,
  groups: string[] | undefined,
  wantTicket: boolean,
  session?: Buffer,
): Promise<Attempt> {
  const options: tls.ConnectionOptions = {
    host: "127.0.0.1",
    port: args.port,
    servername: args.serverName,
    ca: readFile(args.ca!, "CA"),
    minVersion: "TLSv1.3",
    rejectUnauthorized: true,
    session,
  };
  if (groups) options.ecdhCurve = ecdhCurve(groups);
  if (args.sigalgs) options.sigalgs = args.sigalgs;
  if (args.cert) {
    options.cert = certificateChain(args.cert, undefined);
    options.key = privateKey(args.key!);
  }

  return new Promise((resolve) => {
    let ticket: Buffer | undefined;
    let base: Partial<Report> = {};
    let done = false;
    let socket: tls.TLSSocket;
    const finish = (report: Report) => {
      if (done) return;
      done = true;
      socket?.destroy();
      resolve({ report, ticket });
    };

    try {
      socket = tls.connect(options);
    } catch (e) {
      // BoringSSL refused the configuration (ecdhCurve with a group it does not implement).
      finish(refusal(e, groups));
      return;
    }
    // The exchange every peer in the harness speaks: the client sends one line and closes, then
    // reads until the server closes too. An echo, if the server sends one, is read and ignored.
    // A client that wants to resume closes only once a session ticket arrived: Bun drops
    // tickets that come in after the client has closed its side.
    socket.on("secureConnect", () => {
      base = negotiated(socket);
      socket.write(args.message + "\n");
      if (!wantTicket) socket.end();
    });
    socket.on("session", (s: Buffer) => {
      ticket = s;
      if (wantTicket) socket.end();
    });
    socket.on("data", () => {});
    socket.setTimeout(args.timeoutSeconds * 1000, () => {
      const what = !base.version
        ? "no handshake"
        : wantTicket && !ticket
        ? "no session ticket"
        : "the server did not close";
      finish(failure(new Error(`${what} within ${args.timeoutSeconds} s`), base));
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

async function runClient(args: Args): Promise<number> {
  const first = await connectOnce(args, args.groups, args.resume);
  print(first.report);
  if (!args.resume) return first.report.ok ? 0 : 1;

  // The resumed connection offers the ticket from the first one. Without a ticket it still
  // connects, so the report says "not resumed" rather than nothing.
  const second = await connectOnce(args, args.resumeGroups ?? args.groups, false, first.ticket);
  if (!first.ticket && second.report.ok) {
    second.report.error = "the first connection received no session ticket";
  }
  print(second.report);
  return first.report.ok && second.report.ok ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------

const describe = (e: unknown) =>
  [(e as { code?: string }).code, (e as Error).message].filter(Boolean).join(
    ": ",
  );

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(
      e.message === USAGE ? USAGE : `pqi-boring: ${e.message} (--help for usage)`,
    );
    return 2;
  }
  try {
    return args.mode === "server" ? await runServer(args) : await runClient(args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`pqi-boring: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

process.exit(await main());
