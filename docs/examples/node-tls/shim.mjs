#!/usr/bin/env node
// A peer-contract shim (docs/peer-contract.md) for Node.js's TLS: flags in, one JSON line per
// connection out, exit 127 for a flag it cannot honour. About 70 lines; see docs/shim-example.md.
import tls from "node:tls";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const VALUES = [
  "port",
  "cert",
  "key",
  "chain",
  "ca",
  "groups",
  "cipher-suites",
  "signature-schemes",
  "server-name",
  "message",
  "count",
  "key-shares",
  "psk-identity",
  "psk-key",
  "psk-hash",
  "psk-mode",
  "cert-with-psk",
  "tickets",
  "max-early-data",
  "resume-groups",
  "early-data",
];
const SWITCHES = ["client-auth", "resume", "expect-echo", "http", "psk-import", "prefer-hrr"];
const UNSUPPORTED = [
  "key-shares",
  "psk-identity",
  "psk-key",
  "psk-hash",
  "psk-mode",
  "psk-import",
  "cert-with-psk",
  "max-early-data",
  "early-data",
  "resume-groups",
  "http",
  "prefer-hrr",
];

const [role, ...rest] = process.argv.slice(2);
const { values: o } = parseArgs({
  args: rest,
  options: Object.fromEntries([
    ...VALUES.map((f) => [f, { type: "string" }]),
    ...SWITCHES.map((f) => [f, { type: "boolean" }]),
  ]),
});
const missing = UNSUPPORTED.find((f) => o[f] !== undefined);
if (missing) {
  console.error(`unsupported: shim: this shim does not implement --${missing}`);
  process.exit(127);
}

const file = (f) => f && readFileSync(f);
const list = (s) => s?.replaceAll(",", ":");
const options = {
  minVersion: "TLSv1.3",
  ecdhCurve: list(o.groups),
  ciphersuites: list(o["cipher-suites"]),
  sigalgs: list(o["signature-schemes"]),
  ca: file(o.ca),
  key: file(o.key),
  cert: file(o.chain ?? o.cert),
};
const KEY_TYPES = { prime256v1: "ecdsa-p256", secp384r1: "ecdsa-p384" };
// Node names a certificate's key by its curve or size; anything else (ML-DSA) it cannot say.
const keyType = (c) => KEY_TYPES[c.asn1Curve] ?? (c.modulus ? `rsa${c.bits}` : null);
const certificate = (c) =>
  c?.subject && keyType(c) ? { subject: `CN=${c.subject.CN}`, keyType: keyType(c) } : null;
const alertOf = (e) => e?.code?.match(/ALERT_([A-Z_]+)$/)?.[1]?.toLowerCase() ?? null;

/** What Node says about a connection once its handshake is done (null where it cannot say). */
const facts = (socket) => ({
  version: socket.getProtocol(),
  cipherSuite: socket.getCipher()?.standardName ?? null,
  resumed: socket.isSessionReused(),
  peerCertificate: certificate(socket.getPeerCertificate()) ?? null,
});
/** One JSON line about one connection. */
const report = (seen, extra) =>
  console.log(JSON.stringify({ ok: !extra.error && !!seen, ...seen, ...extra }));

if (role === "server") {
  let left = Number(o.count ?? Infinity);
  const done = () => --left === 0 && server.close();
  const server = tls.createServer({
    ...options,
    requestCert: !!o["client-auth"],
    rejectUnauthorized: !!o["client-auth"],
  }, (socket) => {
    let error = null;
    const seen = facts(socket);
    socket.once("data", (d) => socket.end(d.toString().split("\n")[0] + "\n"));
    socket.on("error", (e) => error = e);
    socket.on("close", () => {
      report(seen, error ? { error: error.message, alert: alertOf(error) } : {});
      done();
    });
  });
  server.on("tlsClientError", (e) => {
    report(null, { error: e.message, alert: alertOf(e) });
    done();
  });
  server.listen(
    Number(o.port),
    "127.0.0.1",
    () => console.error(`listening on 127.0.0.1:${server.address().port}`),
  );
} else {
  const message = o.message ?? "hello";
  const connect = (session) =>
    new Promise((resolve) => {
      let got = "", ticket = null, error = null, seen = null;
      const socket = tls.connect({
        ...options,
        host: "127.0.0.1",
        port: Number(o.port),
        session,
        servername: o["server-name"],
      }, () => {
        seen = facts(socket);
        socket.write(message + "\n");
      });
      socket.on("session", (t) => ticket = t);
      socket.on("data", (d) => {
        got += d;
        if (got.includes("\n")) socket.end();
      });
      socket.on("error", (e) => error = e);
      socket.on("close", () => {
        const echo = got.split("\n")[0] === message ? "matched" : got ? "mismatched" : "none";
        report(seen, error ? { error: error.message, alert: alertOf(error), echo } : { echo });
        resolve({ ok: !error && !!seen && (!o["expect-echo"] || echo === "matched"), ticket });
      });
    });
  const first = await connect();
  const second = o.resume ? await connect(first.ticket) : first;
  process.exitCode = first.ok && second.ok ? 0 : 1;
}
