// OpenSSL 3.5 (Debian trixie) through its own command-line tools, `openssl s_server` and
// `openssl s_client`, in the containers/openssl image.
//
// Evidence comes from `-trace`, which decodes every handshake message either side sent or received:
// the group is the one in the ServerHello's key_share, not what the tool claims afterwards (after a
// psk_ke resumption s_client still prints "Negotiated TLS1.3 group: <the old group>"). Each program
// runs under a small shell script that drops the trace's hex dumps and certificate bodies (an
// ML-DSA-87 handshake would otherwise outgrow the bounded log) and prints marker lines:
//   == pqinterop {"connection":1,"psk":"id"}   before each client connection, and the config the
//                                             parser cannot otherwise know (an external PSK)
//   == pqinterop exit N                       after each program, with its exit status
//
// The application exchange (as with the reference peer): the client sends `ping <token>`, the server
// answers with the same line, the client closes. The OpenSSL server runs in its plain mode (it
// prints what it receives, sends what is on its stdin) because `-rev` and `-www` cannot be combined
// with `-early_data`; it exits after its last connection.

import { adapterCannot, capabilities, lacks } from "../contract/capabilities.ts";
import type { CellContext, ProcessSpec } from "../contract/process.ts";
import { chained, failedReport, type PeerReport } from "../contract/report.ts";
import type { EndpointConfig } from "../contract/config.ts";
import type { Implementation } from "./implementation.ts";
import type { Role } from "../tls/names.ts";
import {
  type AlertName,
  ALERTS,
  CIPHER_SUITES,
  type CipherSuiteName,
  type GroupName,
  GROUPS,
  nameOf,
} from "../tls/names.ts";

/** Certificate the server presents when the case does not say (the tools have no default). */
const DEFAULT_CERT = "ecdsa-p256";
/** s_client puts at most this many key shares in its ClientHello (SSL_CTX_set1_groups_list). */
const MAX_KEY_SHARES = 4;
const MARK = "== pqinterop";

export const openssl: Implementation = {
  id: "openssl",
  name: "OpenSSL",
  placement: { kind: "image", context: "openssl" },
  inDefaultRun: true,
  capabilities: capabilities({
    // s_client/s_server build the external PSK's session with TLS_AES_128_GCM_SHA256 ("We default
    // to SHA256" in apps/s_client.c and apps/s_server.c): a SHA-384 external PSK cannot be set up.
    features: {
      http: adapterCannot("s_server is driven for the echoed line only, not an HTTP request"),
      pskSha384: adapterCannot(
        "s_client/s_server pin an external PSK to TLS_AES_128_GCM_SHA256 (SHA-256)",
      ),
      importedPsk: lacks("OpenSSL has no RFC 9258 PSK importer"),
      certWithPsk: lacks("OpenSSL does not implement RFC 9973 tls_cert_with_extern_psk"),
    },
  }),
  refuse,
  server: serverSpec,
  client: clientSpec,
  parse,
};

function refuse(role: Role, config: EndpointConfig): string | null {
  if (role === "client" && config.keyShares) {
    const shares = config.keyShares;
    const groups = config.groups ?? shares;
    if (shares.length === 0) {
      return "s_client cannot send an empty key_share: it always offers at least one share";
    }
    if (shares.length > MAX_KEY_SHARES) {
      return `s_client sends at most ${MAX_KEY_SHARES} key shares`;
    }
    if (shares.some((g) => !groups.includes(g))) {
      return "s_client only sends key shares for groups it lists in supported_groups";
    }
  }
  if (config.psk && config.resume) {
    return "the adapter does not combine an external PSK with resumption";
  }
  if (role === "client" && config.earlyData !== undefined && !config.resume) {
    return "0-RTT needs a resumed connection (set resume)";
  }
  return null;
}

// --- Command lines ---------------------------------------------------------------------------

function serverSpec(config: EndpointConfig, ctx: CellContext): ProcessSpec {
  const args = ["openssl", "s_server", "-accept", `127.0.0.1:${ctx.port}`, "-tls1_3", "-trace"];
  const connections = config.resume ? 2 : 1;
  args.push("-naccept", String(connections));
  if (config.psk && !config.certificate) {
    args.push("-nocert");
  } else {
    const leaf = ctx.pki.leaf[config.certificate ?? DEFAULT_CERT];
    args.push("-cert", leaf.cert, "-key", leaf.key);
  }
  if (config.groups) {
    // OpenSSL 3.5 group tuples: within one tuple a key share the client sent wins over the
    // server's order; across tuples the earlier tuple wins, by HelloRetryRequest if needed. So one
    // tuple per group is exactly "prefer my order, even at the cost of an HRR".
    args.push("-groups", config.groups.join(config.preferHrr ? "/" : ":"));
  }
  // Without -groups, preferHrr is what OpenSSL does anyway: its default list puts
  // X25519MLKEM768 alone in the first tuple.
  pushCommon(args, config);
  if (config.clientAuth) {
    args.push("-Verify", "1", "-verify_return_error", "-CAfile", ctx.pki.caCert);
  }
  if (config.psk) {
    args.push("-psk", config.psk.keyHex, "-psk_identity", config.psk.identity);
    if (config.psk.mode === "psk_ke") args.push("-allow_no_dhe_kex", "-prefer_no_dhe_kex");
  }
  if (config.earlyData !== undefined || config.maxEarlyData !== undefined) {
    args.push("-early_data", "-max_early_data", String(config.maxEarlyData ?? 16384));
  }
  const marker = JSON.stringify({ role: "server", psk: config.psk?.identity ?? null });
  // Plain-mode s_server sends what it reads on stdin and closes the connection when stdin ends.
  // So stdin is a FIFO this shell holds open (no EOF, ever), and the reply to each connection, the
  // line every client sends (`ping <token>`), goes in once the previous connection has closed
  // (s_server reads stdin only while a connection is up, and would send both lines to the first).
  const reply = `printf '%s\\n' ${sh(`ping ${ctx.token}`)} >&3`;
  const script = [
    "exec 2>&1",
    `echo ${sh(`${MARK} ${marker}`)}`,
    `fifo=/tmp/pqinterop-stdin.$$; out=/tmp/pqinterop-out.$$; rm -f "$fifo" "$out"`,
    `mkfifo "$fifo"; exec 3<>"$fifo"; rm -f "$fifo"; : > "$out"`,
    `{ ${args.map(sh).join(" ")} <&3; echo "${MARK} exit $?"; } 2>&1 | tee "$out" | ${FILTER} &`,
    reply,
    `n=1; while [ $n -lt ${connections} ] && kill -0 $! 2>/dev/null; do`,
    `  if [ "$(grep -c '^CONNECTION CLOSED$' "$out")" -ge $n ]; then ${reply}; n=$((n+1)); fi`,
    `  sleep 0.05`,
    `done`,
    `wait; rm -f "$out"`,
  ].join("\n");
  return { argv: ["sh", "-c", script], ready: /^ACCEPT$/m };
}

function clientSpec(config: EndpointConfig, ctx: CellContext): ProcessSpec {
  const base = [
    "openssl",
    "s_client",
    "-connect",
    `127.0.0.1:${ctx.port}`,
    "-servername",
    ctx.serverName,
    "-verify_hostname",
    ctx.serverName,
    "-CAfile",
    ctx.pki.caCert,
    "-verify_return_error",
    "-tls1_3",
    "-trace",
  ];
  pushCommon(base, config);
  if (config.clientAuth) {
    const leaf = ctx.pki.leaf[config.certificate ?? DEFAULT_CERT];
    base.push("-cert", leaf.cert, "-key", leaf.key);
  }
  if (config.psk) {
    base.push("-psk", config.psk.keyHex, "-psk_identity", config.psk.identity);
    // s_client always offers psk_dhe_ke; this adds psk_ke, and the server chooses.
    if (config.psk.mode === "psk_ke") base.push("-allow_no_dhe_kex");
  }
  const line = `ping ${ctx.token}`;
  const session = `${ctx.scratch}/openssl-${ctx.token}.session`;
  const connections: string[] = [];
  if (!config.resume) {
    connections.push(
      connection(1, config.psk?.identity ?? null, line, [...base, ...groupArgs(config)]),
    );
  } else {
    // The first connection must also live until its ticket is saved to the session file.
    connections.push(
      connection(1, null, line, [...base, ...groupArgs(config), "-sess_out", session], session),
    );
    const second = [
      ...base,
      ...groupArgs({ ...config, groups: config.resumeGroups ?? config.groups }),
      "-sess_in",
      session,
    ];
    if (config.earlyData !== undefined) {
      const early = `${ctx.scratch}/openssl-${ctx.token}.early`;
      connections.push(`printf '%s' ${sh(config.earlyData)} > ${sh(early)}`);
      second.push("-early_data", early);
    }
    connections.push(connection(2, null, line, second));
  }
  const script = ["exec 2>&1", ...connections].join("\n");
  return { argv: ["sh", "-c", script] };
}

/**
 * One s_client run. It sends `line`, and its input ends (so it sends close_notify and exits)
 * once the server's reply, the same line, has arrived and, for a first connection that will be
 * resumed, the session file is written; or when s_client is gone; or after five seconds (a server
 * that never answers).
 */
function connection(
  n: number,
  psk: string | null,
  line: string,
  argv: string[],
  sessionFile?: string,
): string {
  const marker = JSON.stringify({ connection: n, psk });
  const done = [
    // Not a whole-line match: s_client writes the data unbuffered, into the middle of trace lines.
    `grep -qF ${sh(line)} "$out"`,
    ...(sessionFile ? [`[ -s ${sh(sessionFile)} ]`] : []),
  ].join(" && ");
  return [
    `echo ${sh(`${MARK} ${marker}`)}`,
    `in=/tmp/pqinterop-in.$$.${n}; out=/tmp/pqinterop-out.$$.${n}; rm -f "$in" "$out"`,
    `mkfifo "$in"; : > "$out"`,
    `{ ${argv.map(sh).join(" ")} <"$in"; echo "${MARK} exit $?"; } 2>&1 | tee "$out" | ${FILTER} &`,
    // Opened only now, so s_client's side of the pipeline does not hold a writer too: closing
    // fd 3 below is then its end of input. Read-write, so the open never blocks.
    `exec 3<>"$in"; printf '%s\\n' ${sh(line)} >&3`,
    `end=$(($(date +%s) + 5)); while kill -0 $! 2>/dev/null && [ "$(date +%s)" -lt $end ] && ` +
    `! { ${done}; }; do sleep 0.05; done`,
    `exec 3>&-; wait; rm -f "$in" "$out"`,
  ].join("\n");
}

function groupArgs(config: EndpointConfig): string[] {
  if (!config.keyShares) return config.groups ? ["-groups", config.groups.join(":")] : [];
  // A "*" before a group name asks s_client for a key share for it.
  const shares = new Set(config.keyShares);
  const groups = config.groups ?? config.keyShares;
  return ["-groups", groups.map((g) => (shares.has(g) ? `*${g}` : g)).join(":")];
}

function pushCommon(args: string[], config: EndpointConfig): void {
  if (config.cipherSuites) args.push("-ciphersuites", config.cipherSuites.join(":"));
  if (config.signatureSchemes) args.push("-sigalgs", config.signatureSchemes.join(":"));
}

/**
 * Keeps the trace readable and small, one line at a time (a multi-line range could swallow the
 * rest when stderr interleaves): drops hex dump lines, PEM bodies and the hex blocks of
 * certificate details, and cuts long hex values (key shares, signatures) off. Unbuffered, so the
 * server's ACCEPT line arrives while it waits.
 */
const FILTER = "sed -u -E" +
  " -e '/^ +[0-9a-f]{4} - /d'" +
  " -e '/^[A-Za-z0-9+\\/]{64}$/d'" +
  " -e '/^ +([0-9a-f]{2}:)+[0-9a-f]{0,2}$/d'" +
  " -e 's/: ?[0-9A-F]{64,}$//'";

/** POSIX shell single-quoting. */
const sh = (s: string) =>
  /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;

// --- Reading the trace -------------------------------------------------------------------------

/** One TLS connection as the trace showed it, from this program's point of view. */
interface Connection {
  psk: string | null;
  exit: number | null;
  sent: Message[];
  received: Message[];
  alert: { name: AlertName | null; code: number; sent: boolean } | null;
  errors: string[];
}

interface Message {
  type: string;
  lines: string[];
}

// RFC 9846 §4.1.4: a HelloRetryRequest is a ServerHello with this random; the trace prints its
// first four bytes as gmt_unix_time.
const HRR_RANDOM_PREFIX = "gmt_unix_time=0xCF21AD74";

function parse(
  role: Role,
  output: { stdout: string; stderr: string; code: number | null },
): PeerReport {
  const connections = splitConnections(role, output.stdout + "\n" + output.stderr);
  if (connections.length === 0) {
    return failedReport(`${role} printed no TLS trace (exit ${output.code}): ${lastLine(output)}`);
  }
  return chained(connections.map((c) => report(role, c)));
}

function splitConnections(role: Role, text: string): Connection[] {
  const out: Connection[] = [];
  let serverPsk: string | null = null;
  let current: Connection | null = null;
  let direction: "sent" | "received" | null = null;
  let message: Message | null = null;
  // stderr is unbuffered: an error line can come out before the trace of its connection.
  let pendingErrors: string[] = [];
  const fresh = (psk: string | null): Connection => {
    const c: Connection = {
      psk,
      exit: null,
      sent: [],
      received: [],
      alert: null,
      errors: pendingErrors,
    };
    pendingErrors = [];
    out.push(c);
    return c;
  };
  for (const line of text.split("\n")) {
    if (line.startsWith(MARK)) {
      const rest = line.slice(MARK.length).trim();
      const exit = rest.match(/^exit (\d+)$/);
      if (exit) {
        for (const c of role === "server" ? out : [current]) if (c) c.exit ??= Number(exit[1]);
        continue;
      }
      try {
        const m = JSON.parse(rest) as { connection?: number; psk?: string | null };
        if (role === "server") serverPsk = m.psk ?? null;
        else current = fresh(m.psk ?? null);
      } catch { /* not ours */ }
      continue;
    }
    if (line === "Sent TLS Record" || line === "Received TLS Record") {
      direction = line.startsWith("Sent") ? "sent" : "received";
      message = null;
      // A server connection begins with a ClientHello that arrives after the previous one closed.
      if (role === "server" && !current) current = fresh(serverPsk);
      continue;
    }
    if (role === "server" && line === "CONNECTION CLOSED") {
      current = null;
      continue;
    }
    const error = line.match(/:error:[0-9A-F]+:[^:]*:([^:]*):([^:]*):/);
    if (error) {
      (current?.errors ?? pendingErrors).push(`${error[1]}: ${error[2]}`);
      continue;
    }
    if (!current) continue;
    const msg = line.match(/^ {4}([A-Za-z]+), Length=\d+$/);
    if (msg && direction) {
      message = { type: msg[1], lines: [] };
      current[direction].push(message);
      continue;
    }
    const alert = line.match(/Level=(\w+)\(\d\), description=.*\((\d+)\)$/);
    if (alert && direction && alert[1] === "fatal" && !current.alert) {
      const code = Number(alert[2]);
      const name = nameOf(ALERTS, code);
      current.alert = {
        name: name in ALERTS ? name as AlertName : null,
        code,
        sent: direction === "sent",
      };
      continue;
    }
    if (line.startsWith("Verification error: ")) current.errors.push(line);
    message?.lines.push(line);
  }
  out.at(-1)?.errors.push(...pendingErrors);
  return out;
}

function report(role: Role, c: Connection): PeerReport {
  const fromServer = role === "client" ? c.received : c.sent;
  const fromClient = role === "client" ? c.sent : c.received;
  const serverHellos = fromServer.filter((m) => m.type === "ServerHello");
  const hrr = serverHellos.some((m) => m.lines.some((l) => l.includes(HRR_RANDOM_PREFIX)));
  const hello = serverHellos.find((m) => !m.lines.some((l) => l.includes(HRR_RANDOM_PREFIX)));
  const ee = fromServer.find((m) => m.type === "EncryptedExtensions");
  const firstHello = fromClient.find((m) => m.type === "ClientHello");
  const lastHello = fromClient.filter((m) => m.type === "ClientHello").at(-1);

  const groupCode = hello && matchNumber(hello.lines, /NamedGroup: .* \((\d+)\)$/);
  const group = groupCode === null || groupCode === undefined ? null : groupName(groupCode);
  const suite = hello?.lines.map((l) => l.match(/cipher_suite \{.*\} (\w+)$/)?.[1]).find(Boolean);
  const pskAccepted = !!hello?.lines.some((l) => l.includes("extension_type=psk(41)"));
  const finished = c.sent.some((m) => m.type === "Finished") &&
    c.received.some((m) => m.type === "Finished");
  const offeredEarly = !!lastHello?.lines.some((l) => l.includes("extension_type=early_data(42)"));
  const acceptedEarly = !!ee?.lines.some((l) => l.includes("extension_type=early_data(42)"));

  const failedHere = c.errors.length > 0 || (c.exit !== null && c.exit !== 0);
  return {
    ...failedReport(null),
    ok: finished && !c.alert && !failedHere,
    version: hello?.lines.some((l) => l.includes("TLS 1.3 (772)")) ? "TLSv1.3" : null,
    group,
    cipherSuite: suite && suite in CIPHER_SUITES ? suite as CipherSuiteName : null,
    helloRetryRequest: firstHello ? hrr : null,
    resumed: hello ? pskAccepted && c.psk === null : null,
    pskMode: hello && pskAccepted ? (group ? "psk_dhe_ke" : "psk_ke") : null,
    pskIdentity: pskAccepted && c.psk !== null ? c.psk : null,
    earlyData: offeredEarly && ee ? (acceptedEarly ? "accepted" : "rejected") : null,
    certWithPsk: null,
    alert: c.alert?.name ?? null,
    error: c.errors[0] ??
      (c.alert
        ? `${c.alert.sent ? "sent" : "received"} alert ${c.alert.name ?? c.alert.code}`
        : finished
        ? null
        : "handshake did not complete"),
  };
}

function matchNumber(lines: string[], re: RegExp): number | null {
  for (const l of lines) {
    const m = l.match(re);
    if (m) return Number(m[1]);
  }
  return null;
}

function groupName(code: number): GroupName | null {
  const name = nameOf(GROUPS, code);
  return name in GROUPS ? name as GroupName : null;
}

function lastLine(o: { stdout: string; stderr: string }): string {
  return (o.stderr + "\n" + o.stdout).split("\n").filter((l) => l.trim()).at(-1) ?? "no output";
}
