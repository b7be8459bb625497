// The command-line peer as a user runs it: two processes over loopback TCP, one JSON line each,
// and usage mistakes as one line on stderr with exit code 2.

import { deepEqual, equal, match } from "node:assert/strict";
import { writeTestPki } from "../testing/pki.ts";

const CLI = new URL("./main.ts", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "pqi-cli-" });
const pki = await writeTestPki(dir, ["ecdsa-p256", "mldsa65"]);

function peer(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

async function run(args: string[]) {
  const out = await peer(args).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Starts a server and resolves with its port once it says "listening on". */
async function startServer(args: string[]) {
  const child = peer(["server", "--port", "0", ...args]).spawn();
  const stdout = new Response(child.stdout).text();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  while (!/listening on 127\.0\.0\.1:\d+/.test(err)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${err}`);
    err += value;
  }
  // Keep draining stderr so the server never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done);
  })();
  const port = Number(err.match(/listening on 127\.0\.0\.1:(\d+)/)![1]);
  const finished = async () => ({ code: (await child.status).code, stdout: await stdout });
  return { port, finished };
}

Deno.test("cli: server and client over loopback, HRR and ML-DSA, one JSON line each", async () => {
  const leaf = pki.leaf.mldsa65;
  const { finished, port } = await startServer([
    "--cert",
    leaf.cert,
    "--key",
    leaf.key,
    "--groups",
    "MLKEM768,x25519",
    "--prefer-hrr",
    "--count",
    "2",
  ]);
  const ok = await run([
    "client",
    "--port",
    String(port),
    "--ca",
    pki.caCert,
    "--server-name",
    "localhost",
    "--groups",
    "x25519,MLKEM768",
    "--key-shares",
    "x25519",
    "--message",
    "hello there",
  ]);
  equal(ok.code, 0, ok.stderr);
  const c = JSON.parse(ok.stdout.trim());
  deepEqual(
    [c.ok, c.version, c.group, c.cipherSuite, c.helloRetryRequest, c.resumed, c.alert],
    [true, "TLSv1.3", "MLKEM768", "TLS_AES_128_GCM_SHA256", true, false, null],
  );
  equal(c.signatureScheme, "mldsa65");

  const bad = await run([
    "client",
    "--port",
    String(port),
    "--ca",
    pki.caCert,
    "--server-name",
    "example.org",
  ]);
  equal(bad.code, 1);
  const b = JSON.parse(bad.stdout.trim());
  deepEqual([b.ok, b.alert, b.alertDirection], [false, "bad_certificate", "sent"]);

  const status = await finished();
  equal(status.code, 0);
  const lines = status.stdout.trim().split("\n").map((l) => JSON.parse(l));
  equal(lines.length, 2);
  deepEqual(lines.map((l) => [l.ok, l.role, l.group]).sort(), [
    [false, "server", "MLKEM768"],
    [true, "server", "MLKEM768"],
  ]);
  equal(lines.find((l) => !l.ok).alert, "bad_certificate");
});

Deno.test("cli: --transcript writes the annotated records", async () => {
  const leaf = pki.leaf["ecdsa-p256"];
  const file = `${dir}/transcript.jsonl`;
  const { finished, port } = await startServer([
    "--cert",
    leaf.cert,
    "--key",
    leaf.key,
    "--count",
    "1",
  ]);
  const r = await run([
    "client",
    "--port",
    String(port),
    "--ca",
    pki.caCert,
    "--transcript",
    file,
  ]);
  equal(r.code, 0, r.stderr);
  await finished();
  const { summary, transcript } = JSON.parse((await Deno.readTextFile(file)).trim());
  equal(summary.group, "X25519MLKEM768");
  equal(transcript[0].direction, "sent");
  equal(transcript[0].contentType, "handshake");
  const hello = transcript[0].fields.find((f: { name: string }) => f.name === "client_hello");
  equal(hello.offset, 5);
});

Deno.test("cli: usage mistakes are one line on stderr and exit 2", async (t) => {
  const cases: [string, string[], RegExp][] = [
    ["unknown flag", ["client", "--port", "1", "--bogus"], /unknown client flag "--bogus"/],
    ["unknown group", ["client", "--port", "1", "--groups", "x25519,nope"], /unknown name "nope"/],
    [
      "server-only flag on a client",
      ["client", "--prefer-hrr"],
      /--prefer-hrr is not a client flag/,
    ],
    [
      "unreadable file",
      ["client", "--port", "1", "--ca", "/nonexistent/ca.pem"],
      /cannot read --ca/,
    ],
    ["missing value", ["server", "--port"], /--port needs a value/],
    ["bad port", ["server", "--port", "seventy"], /--port must be a number/],
    ["no role", ["serve"], /first argument must be "server" or "client"/],
    [
      "share for a group not offered",
      ["client", "--port", "1", "--groups", "x25519", "--key-shares", "MLKEM768"],
      /--key-shares MLKEM768 is not in --groups/,
    ],
    ["server without a key", ["server", "--port", "0"], /server needs --cert and --key/],
  ];
  for (const [name, args, want] of cases) {
    await t.step(name, async () => {
      const r = await run(args);
      equal(r.code, 2);
      equal(r.stdout, "");
      const lines = r.stderr.trim().split("\n");
      equal(lines.length, 1, r.stderr);
      match(lines[0], want);
    });
  }
});

Deno.test("cli: --help documents every flag", async () => {
  const r = await run(["--help"]);
  equal(r.code, 0);
  for (
    const flag of [
      "--port",
      "--groups",
      "--key-shares",
      "--prefer-hrr",
      "--client-auth",
      "--count",
      "--transcript",
      "--message",
      "--server-name",
      "--psk-identity",
      "--psk-key",
      "--psk-hash",
      "--psk-mode",
      "--psk-import",
      "--resume",
      "--tickets",
      "--ticket-store",
      "--early-data",
      "--max-early-data",
      "--cert-with-psk",
    ]
  ) {
    match(r.stdout, new RegExp(flag));
  }
});

Deno.test("cli: a PSK in a bad format is refused before any connection, exit 2", async (t) => {
  const base = ["client", "--port", "1", "--ca", pki.caCert];
  const cases: [string, string[], RegExp][] = [
    ["odd-length hex", ["--psk-identity", "a", "--psk-key", "abc"], /even number of hex digits/],
    ["not hex", ["--psk-identity", "a", "--psk-key", "zz"], /even number of hex digits/],
    ["empty identity", ["--psk-identity", "", "--psk-key", "ab"], /identity is empty/],
    ["unknown hash", ["--psk-identity", "a", "--psk-key", "ab", "--psk-hash", "md5"], /sha256/],
    ["key without identity", ["--psk-key", "ab"], /go together/],
    ["mode without a PSK", ["--psk-mode", "ke"], /needs --psk-identity/],
    ["unknown mode", ["--psk-identity", "a", "--psk-key", "ab", "--psk-mode", "x"], /dhe_ke/],
    ["resume groups without resume", ["--resume-groups", "x25519"], /needs --resume/],
  ];
  for (const [name, args, want] of cases) {
    await t.step(name, async () => {
      const r = await run([...base, ...args]);
      equal(r.code, 2);
      equal(r.stdout, "");
      const lines = r.stderr.trim().split("\n");
      equal(lines.length, 1, r.stderr);
      match(lines[0], want);
    });
  }
  await t.step("server: --cert-with-psk without a certificate", async () => {
    const r = await run([
      "server",
      "--port",
      "0",
      "--psk-identity",
      "a",
      "--psk-key",
      "ab",
      "--cert-with-psk",
    ]);
    equal(r.code, 2);
    match(r.stderr.trim(), /--cert-with-psk needs --cert/);
  });
});

Deno.test("cli: external PSK, then --resume with 0-RTT, one JSON line per connection", async () => {
  const leaf = pki.leaf["ecdsa-p256"];
  const key = "5a".repeat(32);
  const psk = ["--psk-identity", "Client_identity", "--psk-key", key];
  const { finished, port } = await startServer([
    ...["--cert", leaf.cert, "--key", leaf.key, ...psk],
    ...["--tickets", "2", "--ticket-store", "stateful", "--max-early-data", "1024", "--count", "3"],
  ]);
  const client = ["client", "--port", String(port), "--ca", pki.caCert];
  const one = await run([...client, ...psk, "--psk-mode", "ke", "--cert-with-psk", "allow"]);
  equal(one.code, 0, one.stdout + one.stderr);
  const j = JSON.parse(one.stdout);
  deepEqual([j.pskMode, j.pskIdentity, j.group, j.certWithPsk], [
    "psk_ke",
    "Client_identity",
    null,
    false,
  ]);
  const two = await run([
    ...client,
    ...["--groups", "MLKEM768", "--resume", "--resume-groups", "SecP256r1MLKEM768"],
    ...["--early-data", "zero-rtt:"],
  ]);
  equal(two.code, 0, two.stdout + two.stderr);
  const [first, resumed] = two.stdout.trim().split("\n").map((l) => JSON.parse(l));
  deepEqual([first.resumed, first.group, first.earlyData], [false, "MLKEM768", null]);
  deepEqual(
    [resumed.resumed, resumed.pskMode, resumed.group, resumed.earlyData],
    [true, "psk_dhe_ke", "SecP256r1MLKEM768", "accepted"],
  );
  const server = (await finished()).stdout.trim().split("\n").map((l) => JSON.parse(l));
  equal(server.length, 3);
  deepEqual(
    server.map((s) => [s.resumed, s.pskMode, s.earlyData]).sort(),
    [[false, "psk_ke", null], [false, null, null], [true, "psk_dhe_ke", "accepted"]].sort(),
  );
});
