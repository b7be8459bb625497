// The server side of the TLS 1.3 handshake (RFC 9846 §2, §4), one method per step. The server
// chooses: cipher suite by its own preference among the client's, group by its own preference
// among the client's supported_groups (asking for a better share by HelloRetryRequest when
// configured to), and a signature scheme its certificate can make and the client accepts.

import { TlsAlert } from "./alert.ts";
import { checkCertificateVerify, chooseScheme, signedContent } from "./auth.ts";
import { checkFinished } from "./client.ts";
import { equalBytes } from "./codec.ts";
import { DEFAULT_GROUPS, DEFAULT_SCHEMES, DEFAULT_SUITES, type ServerConfig } from "./config.ts";
import type { Transport } from "./connection.ts";
import { readMessage, TlsEndpoint } from "./endpoint.ts";
import {
  COOKIE,
  encodeExtension,
  type Extension,
  getExtension,
  KEY_SHARE_CLIENT,
  KEY_SHARE_HRR,
  KEY_SHARE_SERVER,
  type KeyShareEntry,
  knownGroup,
  SERVER_NAME,
  SERVER_NAME_ACK,
  SIGNATURE_ALGORITHMS,
  SUPPORTED_GROUPS,
  SUPPORTED_VERSIONS_CLIENT,
  SUPPORTED_VERSIONS_SERVER,
  TLS12,
  TLS13,
} from "./extensions.ts";
import { respondToShare } from "./groups.ts";
import {
  type CipherSuite,
  finishedVerifyData,
  KeySchedule,
  SUITES,
  Transcript,
} from "./keyschedule.ts";
import { type ClientHello, HRR_RANDOM, type ServerHello } from "./messages.ts";
import {
  CIPHER_SUITES,
  EXTENSIONS,
  type GroupName,
  GROUPS,
  isGrease,
  nameOf,
  SIGNATURE_SCHEMES,
  type SignatureSchemeName,
} from "./names.ts";
import { RecordProtection } from "./record.ts";
import { verifyChain } from "./x509.ts";

/** What the server decided from a ClientHello. */
type Decision =
  | { kind: "share"; group: GroupName; share: KeyShareEntry }
  | { kind: "retry"; group: GroupName; reason: string };

export class TlsServer extends TlsEndpoint {
  private readonly transcript_ = new Transcript();
  private hello!: ClientHello;
  private suite!: CipherSuite;
  private scheme!: SignatureSchemeName;
  private keys!: KeySchedule;
  private secrets!: { client: Uint8Array; server: Uint8Array };
  private app!: { client: Uint8Array; server: Uint8Array };
  private hrrGroup: GroupName | null = null;
  private hrrCookie: Uint8Array | null = null;
  private ccsSent = false;
  /** The server_name the client asked for, if any. */
  serverName: string | null = null;

  constructor(transport: Transport, readonly config: ServerConfig) {
    super(transport, "server", config.hooks);
  }

  private get clientAuth() {
    return this.config.clientAuth ?? "none";
  }

  protected async runHandshake(): Promise<void> {
    let decision = await this.readClientHello();
    if (decision.kind === "retry") {
      await this.sendHelloRetryRequest(decision.group, decision.reason);
      decision = await this.readSecondClientHello(decision.group);
    }
    if (decision.kind !== "share") throw new Error("unreachable: HRR answered by HRR");
    this.sendServerHello(decision.group, decision.share);
    this.sendEncryptedExtensions();
    this.sendCertificateRequest();
    this.sendCertificate();
    await this.sendCertificateVerify();
    await this.sendFinished();
    await this.readClientCertificate();
    await this.readClientFinished();
  }

  // ---------------------------------------------------------------- ClientHello

  private async readClientHello(): Promise<Decision> {
    const { message, bytes } = await readMessage(this.conn, "client_hello");
    this.hello = message.body;
    this.transcript_.add(bytes);
    // From the first ClientHello until the client's Finished, one dummy CCS may arrive (E.4).
    this.conn.acceptCcs = true;
    this.recordOffer(message.body);
    this.checkVersion(message.body);
    this.chooseSuite(message.body);
    this.chooseScheme(message.body);
    const name = getExtension(message.body.extensions, SERVER_NAME, "ClientHello");
    this.serverName = name?.[0] ?? null;
    return this.chooseGroup(message.body, null);
  }

  /** What the client offered, for the summary (even if the handshake fails below). */
  private recordOffer(ch: ClientHello): void {
    const n = this.negotiated;
    try {
      n.groupsOffered = (getExtension(ch.extensions, SUPPORTED_GROUPS) ?? [])
        .map((g) => nameOf(GROUPS, g));
      n.keySharesOffered = (getExtension(ch.extensions, KEY_SHARE_CLIENT) ?? [])
        .map((s) => ({ group: nameOf(GROUPS, s.group), size: s.keyExchange.length }));
    } catch {
      // malformed extensions were already rejected by the decoder; nothing to record
    }
  }

  private checkVersion(ch: ClientHello): void {
    const versions = getExtension(ch.extensions, SUPPORTED_VERSIONS_CLIENT, "ClientHello");
    if (!versions || !versions.includes(TLS13)) {
      throw new TlsAlert(
        "protocol_version",
        versions
          ? "client does not offer TLS 1.3 in supported_versions"
          : "ClientHello without supported_versions (TLS 1.2 or older)",
      );
    }
    // legacy_version is not checked: with supported_versions present it "MUST NOT" be used for
    // version negotiation (RFC 9846 §4.3.1).
    if (ch.compressionMethods.length !== 1 || ch.compressionMethods[0] !== 0) {
      throw new TlsAlert("illegal_parameter", "legacy_compression_methods must be exactly [0]");
    }
    const last = ch.extensions[ch.extensions.length - 1];
    if (
      ch.extensions.some((e) => e.type === EXTENSIONS.pre_shared_key) &&
      last.type !== EXTENSIONS.pre_shared_key
    ) {
      throw new TlsAlert("illegal_parameter", "pre_shared_key is not the last extension");
    }
  }

  private chooseSuite(ch: ClientHello): void {
    const ours = this.config.cipherSuites ?? DEFAULT_SUITES;
    const name = ours.find((s) => ch.cipherSuites.includes(CIPHER_SUITES[s]));
    if (!name) {
      throw new TlsAlert("handshake_failure", "no cipher suite in common");
    }
    this.suite = SUITES[name];
    this.negotiated.cipherSuite = name;
  }

  private chooseScheme(ch: ClientHello): void {
    const offered = getExtension(ch.extensions, SIGNATURE_ALGORITHMS, "ClientHello");
    if (!offered) {
      throw new TlsAlert("missing_extension", "ClientHello without signature_algorithms");
    }
    const ours = this.config.signatureSchemes ?? DEFAULT_SCHEMES;
    const scheme = chooseScheme(ours, offered, this.config.certificate) ??
      // Our certificate's own schemes, when the configured list leaves none in common.
      chooseScheme(this.config.certificate.key.schemes, offered, this.config.certificate);
    if (!scheme) {
      throw new TlsAlert(
        "handshake_failure",
        `the client accepts no signature scheme our ${this.config.certificate.key.kind} key makes`,
      );
    }
    this.scheme = scheme;
  }

  /**
   * The group, by our preference among the groups the client supports: its share when it sent
   * one we like, or a HelloRetryRequest for the group we want (`required` after an HRR).
   */
  private chooseGroup(ch: ClientHello, required: GroupName | null): Decision {
    const supported = getExtension(ch.extensions, SUPPORTED_GROUPS, "ClientHello");
    const entries = getExtension(ch.extensions, KEY_SHARE_CLIENT, "ClientHello");
    if (!supported) throw new TlsAlert("missing_extension", "ClientHello without supported_groups");
    if (!entries) throw new TlsAlert("missing_extension", "ClientHello without key_share");
    if (new Set(supported).size !== supported.length) {
      throw new TlsAlert("illegal_parameter", "supported_groups lists a group twice");
    }
    const shares = new Map<number, KeyShareEntry>();
    for (const e of entries) {
      if (shares.has(e.group)) {
        throw new TlsAlert(
          "illegal_parameter",
          `two key shares for ${nameOf(GROUPS, e.group)} (RFC 9846 §4.3.8)`,
        );
      }
      shares.set(e.group, e);
      if (!isGrease(e.group) && knownGroup(e.group) && !supported.includes(e.group)) {
        throw new TlsAlert(
          "illegal_parameter",
          `key share for ${nameOf(GROUPS, e.group)}, which is not in supported_groups`,
        );
      }
    }
    if (required) {
      const only = entries.filter((e) => !isGrease(e.group));
      if (only.length !== 1 || only[0].group !== GROUPS[required]) {
        throw new TlsAlert(
          "illegal_parameter",
          `second ClientHello must carry exactly one share, for ${required} as requested`,
        );
      }
      return { kind: "share", group: required, share: only[0] };
    }
    const ours = this.config.groups ?? DEFAULT_GROUPS;
    const mutual = ours.filter((g) => supported.includes(GROUPS[g]));
    if (mutual.length === 0) {
      throw new TlsAlert("handshake_failure", "no key exchange group in common");
    }
    const best = mutual[0];
    const shared = mutual.filter((g) => shares.has(GROUPS[g]));
    if (shared[0] === best || (shared.length > 0 && !this.config.preferHrr)) {
      return { kind: "share", group: shared[0], share: shares.get(GROUPS[shared[0]])! };
    }
    const reason = shared.length === 0
      ? `client sent no share for a group we accept; asking for ${best}`
      : `client offered no share for ${best}, our first preference`;
    return { kind: "retry", group: best, reason };
  }

  // ---------------------------------------------------------------- HelloRetryRequest

  private async sendHelloRetryRequest(group: GroupName, reason: string): Promise<void> {
    const n = this.negotiated;
    n.helloRetryRequest = true;
    n.hrrReason = reason;
    this.hrrGroup = group;
    const extensions: Extension[] = [encodeExtension(KEY_SHARE_HRR, GROUPS[group])];
    const t = this.config.test;
    if (t?.cookie || this.config.hrrCookie) {
      this.hrrCookie = t?.cookie ?? crypto.getRandomValues(new Uint8Array(32));
      extensions.push(encodeExtension(COOKIE, this.hrrCookie));
    }
    extensions.push(encodeExtension(SUPPORTED_VERSIONS_SERVER, TLS13));
    let hrr: ServerHello = {
      legacyVersion: TLS12,
      random: HRR_RANDOM,
      sessionId: this.hello.sessionId,
      cipherSuite: this.suite.code,
      compressionMethod: 0,
      extensions,
    };
    hrr = this.conn.hooks.serverHello?.(hrr, true) ?? hrr;
    this.transcript_.replaceFirstWithMessageHash(this.suite);
    this.transcript_.add(this.conn.sendHandshake({ type: "server_hello", body: hrr }));
    this.sendCompatCcs();
    await this.conn.flush();
  }

  private sendCompatCcs(): void {
    const compat = this.config.compatibilityMode ?? true;
    if (compat && !this.ccsSent && this.hello.sessionId.length > 0) {
      this.conn.sendCcs();
      this.ccsSent = true;
    }
  }

  private async readSecondClientHello(group: GroupName): Promise<Decision> {
    const first = this.hello;
    const { message, bytes } = await readMessage(this.conn, "client_hello");
    const ch = message.body;
    this.hello = ch;
    this.transcript_.add(bytes);
    if (!equalBytes(ch.random, first.random) || !equalBytes(ch.sessionId, first.sessionId)) {
      throw new TlsAlert("illegal_parameter", "second ClientHello changed random or session id");
    }
    this.checkVersion(ch);
    if (!ch.cipherSuites.includes(this.suite.code)) {
      throw new TlsAlert(
        "illegal_parameter",
        `second ClientHello no longer offers ${this.suite.name}, chosen in the HRR`,
      );
    }
    const cookie = getExtension(ch.extensions, COOKIE, "ClientHello");
    if (this.hrrCookie && (!cookie || !equalBytes(cookie, this.hrrCookie))) {
      throw new TlsAlert("illegal_parameter", "second ClientHello does not echo our cookie");
    }
    this.chooseScheme(ch);
    return this.chooseGroup(ch, group);
  }

  // ---------------------------------------------------------------- our flight

  private sendServerHello(group: GroupName, entry: KeyShareEntry): void {
    const t = this.config.test;
    const { share, secret } = respondToShare(group, entry.keyExchange, t?.keyShareSeeds?.[group]);
    const n = this.negotiated;
    n.group = group;
    n.keyShareSelected = { group, client: entry.keyExchange.length, server: share.length };
    const wire = this.conn.hooks.keyShare?.(group, share) ?? share;
    let sh: ServerHello = {
      legacyVersion: TLS12,
      random: t?.random ?? crypto.getRandomValues(new Uint8Array(32)),
      sessionId: this.hello.sessionId,
      cipherSuite: this.suite.code,
      compressionMethod: 0,
      extensions: [
        encodeExtension(KEY_SHARE_SERVER, { group: GROUPS[group], keyExchange: wire }),
        encodeExtension(SUPPORTED_VERSIONS_SERVER, TLS13),
      ],
    };
    sh = this.conn.hooks.serverHello?.(sh, false) ?? sh;
    this.transcript_.add(this.conn.sendHandshake({ type: "server_hello", body: sh }));
    this.sendCompatCcs();
    this.keys = new KeySchedule(this.suite);
    this.keys.enterHandshake(secret);
    this.secrets = this.keys.handshakeTrafficSecrets(this.transcript_.hash(this.suite));
    this.conn.setWriteKey(new RecordProtection(this.suite, this.secrets.server, "handshake"));
    this.conn.setReadKey(new RecordProtection(this.suite, this.secrets.client, "handshake"));
  }

  private sendEncryptedExtensions(): void {
    let extensions: Extension[] = [];
    if (this.serverName !== null) extensions.push(encodeExtension(SERVER_NAME_ACK, true));
    // Telling the client our groups lets it send the right share next time (§4.3.7).
    const groups = this.config.groups ?? DEFAULT_GROUPS;
    extensions.push(encodeExtension(SUPPORTED_GROUPS, groups.map((g) => GROUPS[g])));
    extensions = this.conn.hooks.encryptedExtensions?.(extensions) ?? extensions;
    this.transcript_.add(this.conn.sendHandshake({
      type: "encrypted_extensions",
      body: { extensions },
    }));
  }

  private sendCertificateRequest(): void {
    if (this.clientAuth === "none") return;
    const schemes = this.config.signatureSchemes ?? DEFAULT_SCHEMES;
    this.transcript_.add(this.conn.sendHandshake({
      type: "certificate_request",
      body: {
        context: new Uint8Array(0),
        extensions: [
          encodeExtension(SIGNATURE_ALGORITHMS, schemes.map((s) => SIGNATURE_SCHEMES[s])),
        ],
      },
    }));
  }

  private sendCertificate(): void {
    const entries = this.config.certificate.chain.map((data) => ({ data, extensions: [] }));
    this.transcript_.add(this.conn.sendHandshake({
      type: "certificate",
      body: { context: new Uint8Array(0), entries },
    }));
  }

  private async sendCertificateVerify(): Promise<void> {
    const content = signedContent("server", this.transcript_.hash(this.suite));
    const signature = await this.config.certificate.key.sign(this.scheme, content, {
      pssSalt: this.config.test?.pssSalt,
    });
    this.negotiated.signatureScheme = this.scheme;
    this.transcript_.add(this.conn.sendHandshake({
      type: "certificate_verify",
      body: { scheme: SIGNATURE_SCHEMES[this.scheme], signature },
    }));
  }

  private async sendFinished(): Promise<void> {
    const verifyData = finishedVerifyData(
      this.suite,
      this.secrets.server,
      this.transcript_.hash(this.suite),
    );
    this.transcript_.add(this.conn.sendHandshake({ type: "finished", body: { verifyData } }));
    this.keys.enterMaster();
    const app = this.keys.applicationSecrets(this.transcript_.hash(this.suite));
    this.app = app;
    this.conn.setWriteKey(new RecordProtection(this.suite, app.server, "application"));
    await this.conn.flush();
  }

  // ---------------------------------------------------------------- client's flight

  private async readClientCertificate(): Promise<void> {
    if (this.clientAuth === "none") return;
    const { message, bytes } = await readMessage(this.conn, "certificate");
    const body = message.body;
    if (body.context.length !== 0) {
      throw new TlsAlert("illegal_parameter", "client Certificate context differs from ours");
    }
    if (body.entries.length === 0) {
      if (this.clientAuth === "require") {
        throw new TlsAlert("certificate_required", "client sent no certificate");
      }
      this.transcript_.add(bytes);
      return;
    }
    if (body.entries.some((e) => e.extensions.length > 0)) {
      throw new TlsAlert("unsupported_extension", "client CertificateEntry has extensions");
    }
    const leaf = await verifyChain(
      body.entries.map((e) => e.data),
      this.config.trustAnchors ?? [],
      { now: this.config.test?.now },
    );
    this.negotiated.peerCertificate = leaf.subject;
    this.negotiated.clientCertificate = true;
    this.transcript_.add(bytes);
    const cv = await readMessage(this.conn, "certificate_verify");
    await checkCertificateVerify(
      cv.message.body,
      leaf,
      this.config.signatureSchemes ?? DEFAULT_SCHEMES,
      "client",
      this.transcript_.hash(this.suite),
    );
    this.transcript_.add(cv.bytes);
  }

  private async readClientFinished(): Promise<void> {
    const { message, bytes } = await readMessage(this.conn, "finished");
    const expected = finishedVerifyData(
      this.suite,
      this.secrets.client,
      this.transcript_.hash(this.suite),
    );
    checkFinished(message.body.verifyData, expected, "client");
    this.transcript_.add(bytes);
    this.conn.acceptCcs = false;
    this.conn.setReadKey(new RecordProtection(this.suite, this.app.client, "application"));
  }
}

/** Runs the server handshake over `transport`; throws TlsAlert/PeerClosed on failure. */
export async function accept(transport: Transport, config: ServerConfig): Promise<TlsServer> {
  const server = new TlsServer(transport, config);
  await server.handshake();
  return server;
}
