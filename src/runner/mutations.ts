// The faults `deno task mutate` puts into the product, one at a time, as data. Each is a one-line
// change that makes the product wrong in a way some test must notice: `find` must occur exactly
// once in `file` (a few lines of context may come with it to make it unique), `tests` are the
// test files that should fail (with `filter`, only the tests whose names match), and `why` says
// which property breaks. `pending` marks a fault known to survive until someone's work lands.
//
// The first six are issue 17's own findings, mapped onto today's code; then one per layer.

export interface Mutation {
  id: string;
  file: string;
  find: string;
  replace: string;
  tests: string[];
  filter?: string;
  why: string;
  pending?: string;
}

export const MUTATIONS: Mutation[] = [
  // ------------------------------------------------------------ issue 17, items 1-6
  {
    id: "contract/always-ecdsa-p256-leaf",
    file: "src/contract/flags.ts",
    find: "const leaf = ctx.pki.leaf[config.certificate ?? DEFAULT_CERTIFICATE];",
    replace: "const leaf = ctx.pki.leaf[DEFAULT_CERTIFICATE];",
    tests: ["src/peers/ts_test.ts"],
    why: "item 1: every program is handed the ECDSA P-256 leaf, whatever certificate the case " +
      "asks for, so an ML-DSA cell would show only that some handshake succeeded",
  },
  {
    id: "judge/any-reported-certificate-passes",
    file: "src/judge/expectation.ts",
    find: "if (obs.serverCertificate !== expect.certificate) {",
    replace: "if (obs.serverCertificate === null) {",
    tests: ["src/judge/expectation_test.ts"],
    why: "item 1: the judge passes a cell whatever certificate a program reports having seen",
  },
  {
    id: "tls/server-takes-least-preferred-share",
    file: "src/tls/server.ts",
    find: "const shared = mutual.filter((g) => shares.has(GROUPS[g]));",
    replace: "const shared = mutual.filter((g) => shares.has(GROUPS[g])).reverse();",
    tests: ["src/tls/server_choice_test.ts"],
    why: "item 2: among several shares the TS server takes its least preferred group",
  },
  {
    id: "tls/importer-hashes-with-the-target",
    file: "src/tls/psk.ts",
    find: "const h = hashFn(epsk.hash);",
    replace: "const h = hashFn(target);",
    tests: ["src/tls/rfc9258_test.ts"],
    why: "item 6: the RFC 9258 importer derives with the target KDF's hash instead of the " +
      "EPSK's own: BoringSSL's imported identities and binders no longer verify",
  },
  {
    id: "wire/splitter-disabled",
    file: "src/wire/relay.ts",
    find: 'if (from !== "client" || index >= reads) return null;',
    replace: 'if (from !== "client" || index >= reads || chunk.length > 0) return null;',
    tests: ["src/wire/tap_test.ts"],
    why: "item 3: the tap forwards the client's flight whole instead of in segments",
  },
  {
    id: "web/fixed-cells-filed-as-other",
    file: "src/web/diff.ts",
    find: 'else if (old.outcome !== "pass" && after.outcome === "pass") d.fixed.push(c);',
    replace: 'else if (old.outcome !== "pass" && after.outcome === "pass") d.otherChanged.push(c);',
    tests: ["src/web/diff_test.ts"],
    why: "item 4: the run diff files a fixed cell under other changes",
  },
  {
    id: "report/only-fail-is-a-regression",
    file: "src/report/expected.ts",
    find: 'return r !== undefined && r.outcome !== "pass";',
    replace: 'return r !== undefined && r.outcome === "fail";',
    tests: ["src/report/report_test.ts"],
    filter: "regressions",
    why: "item 4's equivalent in report code: an expected cell that now errs, times out or is " +
      "flaky is not counted as a regression",
  },
  {
    id: "peers/rustls-declares-a-group-it-lacks",
    file: "containers/rustls/impl.json",
    find: '"SecP384r1MLKEM1024": {',
    replace: '"MLKEM768": {',
    tests: ["src/peers/rustls_test.ts"],
    filter: "rustls declares",
    why: "item 5: rustls's capability table claims SecP384r1MLKEM1024 (and denies MLKEM768)",
  },
  {
    id: "contract/server-group-list-dropped",
    file: "src/contract/flags.ts",
    find: "...(pskOnly ? [] : credentialArgs(config, ctx)),\n    ...sharedArgs(config),",
    replace:
      "...(pskOnly ? [] : credentialArgs(config, ctx)),\n    ...sharedArgs({ ...config, groups: undefined }),",
    tests: ["src/peers/rustls_test.ts"],
    filter: "really lacks",
    why: "item 5: a server runs with its library's default groups, so 'rustls lacks X' would " +
      "hold for groups rustls does implement",
  },
  {
    id: "peers/boringssl-claims-psk-ke",
    file: "containers/boringssl/impl.json",
    find: '      "pskKe": { "lacks": "BoringSSL implements only psk_dhe_ke" },\n',
    replace: "",
    tests: ["src/peers/boringssl_test.ts"],
    filter: "BoringSSL declares",
    why: "item 6: a feature declared lacking is claimed after all (BoringSSL's psk_ke)",
  },
  // ------------------------------------------------------------ one per layer
  {
    id: "cli/int-flag-ignores-its-maximum",
    file: "src/cli/flags.ts",
    find: 'if (text === "" || !Number.isInteger(n) || n < min || n > max) {',
    replace: 'if (text === "" || !Number.isInteger(n) || n < min) {',
    tests: ["src/cli/flags_test.ts"],
    why: "--port 70000 is taken as a port",
  },
  {
    id: "pki/leaves-lose-client-auth",
    file: "src/pki/cert.ts",
    find: "encodeSequence(encodeOid(EKU_OIDS.serverAuth), encodeOid(EKU_OIDS.clientAuth)),",
    replace: "encodeSequence(encodeOid(EKU_OIDS.serverAuth)),",
    tests: ["src/pki/pki_openssl_test.ts"],
    why: "leaf certificates are no longer good for client authentication",
  },
  {
    id: "adversary/wrong-ciphertext-length-is-right",
    file: "src/adversary/surgery.ts",
    find: '"ML-KEM-768": 1568,',
    replace: '"ML-KEM-768": 1088,',
    tests: ["src/adversary/adversary_test.ts"],
    why: "the 'ciphertext of another parameter set' misbehaviour sends the right length for " +
      "ML-KEM-768, so it no longer misbehaves",
  },
  {
    id: "refpeer/prefer-hrr-ignored",
    file: "src/refpeer/options.ts",
    find: 'preferHrr: Boolean(o["prefer-hrr"]),',
    replace: "preferHrr: false,",
    tests: ["src/refpeer/main_test.ts"],
    why: "the reference peer's --prefer-hrr has no effect",
  },
  {
    id: "runtime/image-hash-ignores-paths",
    file: "src/runtime/images.ts",
    find: 'parts.push(enc.encode(`${path}\\0`), content, enc.encode("\\0"));',
    replace: 'parts.push(content, enc.encode("\\0"));',
    tests: ["src/runtime/runtime_test.ts"],
    filter: "contextHash",
    why: "an image's hash ignores file names: adding an empty file reuses a stale image",
  },
  {
    id: "peers/manifest-takes-an-empty-reason",
    file: "src/peers/manifest.ts",
    find: 'return typeof text === "string" && text.trim() ? null : reason;',
    replace: 'return typeof text === "string" ? null : reason;',
    tests: ["src/peers/manifest_test.ts"],
    why: 'a manifest may say { "lacks": "" }: a "no" without a reason',
  },
  {
    id: "runner/shards-overlap",
    file: "src/runner/plan.ts",
    find: "return cells.filter((_, k) => k % shard.count === shard.index - 1);",
    replace: "return cells.filter((_, k) => k % shard.count <= shard.index - 1);",
    tests: ["src/runner/plan_test.ts"],
    filter: "shards",
    why: "a cell runs in more than one shard, so merged shards count it twice",
  },
  {
    id: "runner/known-failures-retried",
    file: "src/runner/cell.ts",
    find: '(outcome === "fail" && (env.retryFail?.(cell.id) ?? true));',
    replace: 'outcome === "fail";',
    tests: ["src/runner/runner_test.ts"],
    filter: "known failure",
    why: "every fail runs twice again, known failures too: a tenth of a full run repeats itself",
  },
  {
    id: "runtime/sandbox-opens-after-a-signal",
    file: "src/runtime/sandbox.ts",
    find: 'if (stopping) throw new Error("interrupted: no new sandbox is opened");',
    replace: "",
    tests: ["src/runtime/runtime_test.ts"],
    filter: "SIGTERM",
    why: "a cell that repairs its sandbox during the signal's cleanup starts a container that " +
      "outlives the process",
  },
];
