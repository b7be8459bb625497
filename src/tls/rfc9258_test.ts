// The RFC 9258 importer checked against a second implementation. psk_test.ts re-derives the
// imported PSK over WebCrypto, but by our own reading of the RFC; here the reading is BoringSSL's.
//
// What was looked for first, and not found: RFC 9258 has no test vectors (no appendix), nor has
// any revision of its draft (tlswg/draft-ietf-tls-external-psk-importer, every branch: the words
// occur only in pull request 43, May 2021, "Closes #42, modulo test vectors", which the area
// director agreed need not hold the document; none followed). BoringSSL's own tests
// (ssl/test/runner/psk_tests.go) check its importer against the runner's Go copy of it with no
// fixed values. No importer is reachable from this machine's registries (npm; Debian's OpenSSL,
// GnuTLS and wolfSSL have none), and the boringssl image's Bun does not expose its PSKs.
//
// So the vectors are BoringSSL's own output: testdata/rfc9258_boringssl.c, built once against a
// BoringSSL checkout, printed the ClientHello a BoringSSL client writes for an external PSK
// (SSL_CREDENTIAL_new_pre_shared_key), which BoringSSL only ever offers through the importer. Our
// importer must produce the same ImportedIdentity bytes, and binders that verify over those bytes:
// the binder covers ipskx (HKDF-Extract, "derived psk" over Hash(ImportedIdentity)), the
// "imp binder" label and the transcript, so any difference in any of them fails.

import { deepEqual, equal, throws } from "node:assert/strict";
import { TlsAlert } from "./alert.ts";
import { fromHex, toHex } from "./codec.ts";
import { decodeHandshake } from "./messages.ts";
import { computeBinder, importPsk, offeredPsks, type PskHashName, verifyBinder } from "./psk.ts";

interface Vector {
  epskHash: PskHashName;
  identity: string;
  keyHex: string;
  context: string;
  /** The target KDF of each identity BoringSSL offered, in its order. */
  targets: PskHashName[];
  clientHelloRecord: string;
}

const DATA: { boringsslCommit: string; vectors: Vector[] } = JSON.parse(
  Deno.readTextFileSync(new URL("./testdata/rfc9258_boringssl.json", import.meta.url)),
);

for (const v of DATA.vectors) {
  const what = `${v.epskHash} EPSK, context "${v.context}"`;
  Deno.test(`RFC 9258 importer: BoringSSL's ClientHello for a ${what}`, () => {
    const record = fromHex(v.clientHelloRecord);
    deepEqual([...record.subarray(0, 1)], [22], "a handshake record");
    const hello = record.subarray(5);
    const decoded = decodeHandshake(hello).message;
    equal(decoded.type, "client_hello");
    if (decoded.type !== "client_hello") return;
    const offered = offeredPsks(decoded.body)!;
    const epsk = {
      identity: new TextEncoder().encode(v.identity),
      key: fromHex(v.keyHex),
      hash: v.epskHash,
      context: new TextEncoder().encode(v.context),
    };
    const ours = v.targets.map((t) => importPsk(epsk, t));
    // The same ImportedIdentity bytes, one per target KDF…
    deepEqual(offered.identities.map((i) => toHex(i.identity)), ours.map((p) => toHex(p.identity)));
    // …and our binder for each is BoringSSL's, and our server's check accepts it.
    ours.forEach((psk, i) => {
      equal(
        toHex(computeBinder(psk, new Uint8Array(0), truncated(hello, offered))),
        toHex(offered.binders[i]),
      );
      verifyBinder(psk, i, hello, offered, new Uint8Array(0));
    });
    // The check can fail: another context is another PSK.
    const other = importPsk({ ...epsk, context: new TextEncoder().encode("other") }, v.targets[0]);
    throws(
      () =>
        verifyBinder(
          { ...other, identity: ours[0].identity },
          0,
          hello,
          offered,
          new Uint8Array(0),
        ),
      (e: TlsAlert) => e.alert === "decrypt_error",
    );
  });
}

/** The ClientHello up to its binders list: what each binder is computed over. */
function truncated(hello: Uint8Array, offered: { binders: Uint8Array[] }): Uint8Array {
  const binders = 2 + offered.binders.reduce((n, b) => n + 1 + b.length, 0);
  return hello.subarray(0, hello.length - binders);
}
