// The server side of the TLS 1.3 handshake (RFC 9846 §2, §4), one method per step. The server
// chooses: cipher suite by its own preference among the client's, group by its own preference
// among the client's supported_groups (asking for a better share by HelloRetryRequest when
// configured to), and a signature scheme its certificate can make and the client accepts.
//
// PSKs: the server takes the first identity, in the client's order, that it knows (external,
// imported, or one of its tickets) and whose hash fits a suite it accepts; it checks only that
// identity's binder. Accepted PSKs skip the certificate (unless RFC 9973 tls_cert_with_extern_psk
// is negotiated); 0-RTT is accepted only for the first identity, a ticket that allows it, without
// HRR. Tickets go out after the client's Finished.

import { TlsAlert } from "./alert.ts";
import { checkCertificateVerify, chooseScheme, signedContent } from "./auth.ts";
import { equalBytes, toHex } from "./codec.ts";
import { DEFAULT_GROUPS, DEFAULT_SCHEMES, DEFAULT_SUITES, type ServerConfig } from "./config.ts";
import type { Transport } from "./connection.ts";
import { readMessage, TlsEndpoint } from "./endpoint.ts";
import {
  CERT_WITH_EXTERN_PSK,
  COOKIE,
  EARLY_DATA,
  encodeExtension,
  type Extension,
  getExtension,
  KEY_SHARE_CLIENT,
  KEY_SHARE_HRR,
  KEY_SHARE_SERVER,
  type KeyShareEntry,
  knownGroup,
  PRE_SHARED_KEY_SERVER,
  PSK_KEY_EXCHANGE_MODES,
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
  checkFinished,
  type CipherSuite,
  finishedVerifyData,
  KeySchedule,
  SUITES,
  TranscriptHash,
} from "./keyschedule.ts";
import { type ClientHello, HRR_RANDOM, type ServerHello } from "./messages.ts";
import {
  CIPHER_SUITES,
  EXTENSIONS,
  type GroupName,
  GROUPS,
  isGrease,
  nameOf,
  PSK_MODES,
  SIGNATURE_SCHEMES,
  type SignatureSchemeName,
} from "./names.ts";
import {
  choosePsk,
  earlySecrets,
  hrrPrefix,
  offeredPsks,
  type PskChoice,
  verifyBinder,
} from "./psk.ts";
import { RecordProtection } from "./record.ts";
import type { SessionState } from "./tickets.ts";
import { certificateInfo, parseCertificate, verifyChain } from "./x509.ts";

/** What the server decided from a ClientHello. */
type Decision =
  | { kind: "share"; group: GroupName; share: KeyShareEntry }
  | { kind: "retry"; group: GroupName; reason: string }
  | { kind: "psk_ke" };

export class TlsServer extends TlsEndpoint {
  private readonly transcriptHash = new TranscriptHash();
  private hello!: ClientHello;
  private suite!: CipherSuite;
  private scheme!: SignatureSchemeName;
  private keys!: KeySchedule;
  private secrets!: { client: Uint8Array; server: Uint8Array };
  private app!: { client: Uint8Array; server: Uint8Array };
  private hrrGroup: GroupName | null = null;
  private hrrCookie: Uint8Array | null = null;
  private ccsSent = false;
  /** The PSK we accepted, its identity's index and the suite it fixed; null: certificates. */
  private psk: PskChoice | null = null;
  /** The ClientHello and HelloRetryRequest as on the wire (binders after an HRR). */
  private helloBytes1: Uint8Array | null = null;
  private hrrBytes: Uint8Array | null = null;
  /** Tickets this connection redeemed, by identity (stateful ones are gone after the first). */
  private readonly redeemed = new Map<string, SessionState | null>();
  /** 0-RTT accepted: the early key to read with, and how much may come. */
  private early: { secret: Uint8Array; limit: number } | null = null;
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
    if (decision.kind === "retry") throw new Error("unreachable: HRR answered by HRR");
    this.sendServerHello(decision);
    this.sendEncryptedExtensions();
    if (this.certificateAuth) {
      this.sendCertificateRequest();
      this.sendCertificate();
      await this.sendCertificateVerify();
    }
    await this.sendFinished();
    await this.readEarlyData();
    if (this.certificateAuth) await this.readClientCertificate();
    await this.readClientFinished();
    await this.sendTickets();
  }

  /** Certificates are used without a PSK, and with one under RFC 9973. */
  private get certificateAuth(): boolean {
    return !this.psk || this.negotiated.certWithPsk;
  }

  // ---------------------------------------------------------------- ClientHello

  private async readClientHello(): Promise<Decision> {
    const { message, bytes } = await readMessage(this.conn, "client_hello");
    this.hello = message.body;
    this.transcriptHash.add(bytes);
    // From the first ClientHello until the client's Finished, one dummy CCS may arrive (E.4).
    this.conn.acceptCcs = true;
    this.helloBytes1 = bytes;
    this.recordOffer(message.body);
    this.checkVersion(message.body);
    this.chooseSuite(message.body);
    this.choosePsk(message.body, bytes);
    if (this.certificateAuth) this.chooseScheme(message.body);
    const name = getExtension(message.body.extensions, SERVER_NAME, "ClientHello");
    this.serverName = name?.[0] ?? null;
    const decision = this.negotiated.pskMode === "psk_ke"
      ? { kind: "psk_ke" as const }
      : this.chooseGroup(message.body, null);
    this.decideEarlyData(message.body, decision.kind === "retry");
    return decision;
  }

  /**
   * The PSK, if any: pre_shared_key needs psk_key_exchange_modes (missing_extension); then the
   * first identity we know whose hash fits one of our suites, in a mode we both accept, and its
   * binder must match (decrypt_error). Without a usable PSK we fall back to certificates, or
   * refuse: unknown_psk_identity when no identity was ours, handshake_failure when only the mode
   * (or RFC 9973's rules) stood in the way.
   */
  private choosePsk(ch: ClientHello, bytes: Uint8Array): void {
    this.psk = null;
    const n = this.negotiated;
    n.pskMode = n.pskIdentity = null;
    n.resumed = n.certWithPsk = false;
    const offered = offeredPsks(ch);
    if (!offered) {
      if (!this.config.certificate) {
        throw new TlsAlert("handshake_failure", "client offers no PSK and we have no certificate");
      }
      return;
    }
    const modes = getExtension(ch.extensions, PSK_KEY_EXCHANGE_MODES, "ClientHello");
    if (!modes) {
      throw new TlsAlert(
        "missing_extension",
        "ClientHello offers pre_shared_key without psk_key_exchange_modes (RFC 9846 §4.3.9)",
      );
    }
    const certExt = ch.extensions.some((e) => e.type === EXTENSIONS.tls_cert_with_extern_psk);
    const ours = this.config.cipherSuites ?? DEFAULT_SUITES;
    const suites = (this.hrrBytes ? [this.suite] : ours.map((s) => SUITES[s]))
      .filter((s) => ch.cipherSuites.includes(s.code));
    const choice = choosePsk(offered, {
      external: this.config.psks ?? [],
      ticket: (id) => this.redeem(id),
      suites,
    });
    if (choice?.psk.kind === "resumption" && certExt) {
      // RFC 9973 combines certificates with an external PSK only, never with resumption.
      throw new TlsAlert(
        "illegal_parameter",
        "ClientHello offers tls_cert_with_extern_psk together with a resumption PSK",
      );
    }
    const withCert = certExt && !!this.config.certWithPsk && !!this.config.certificate;
    // RFC 9973: a key share is required with the certificate, so psk_dhe_ke only.
    const accepted = withCert
      ? ["psk_dhe_ke" as const]
      : (this.config.pskModes ?? ["psk_dhe_ke", "psk_ke"]);
    const mode = accepted.find((m) => modes.includes(PSK_MODES[m]));
    if (!choice || !mode) {
      if (this.config.certificate) return; // certificates instead
      if (!choice) {
        throw new TlsAlert(
          "unknown_psk_identity",
          `none of the ${offered.identities.length} PSK identities offered is ours`,
        );
      }
      throw new TlsAlert(
        "handshake_failure",
        `client offers PSK modes ${modes.map((m) => nameOf(PSK_MODES, m)).join(", ")}; ` +
          `we accept only ${accepted.join(", ")}`,
      );
    }
    const prefix = this.hrrBytes
      ? hrrPrefix(choice.psk, this.helloBytes1!, this.hrrBytes)
      : new Uint8Array(0);
    verifyBinder(choice.psk, choice.index, bytes, offered, prefix);
    this.psk = choice;
    this.suite = choice.suite;
    n.cipherSuite = choice.suite.name;
    n.pskMode = mode;
    n.resumed = choice.psk.kind === "resumption";
    n.pskIdentity = n.resumed ? null : choice.psk.label;
    n.certWithPsk = withCert;
  }

  /** A ticket of ours, once per connection (a stateful ticket is used up by redeeming it). */
  private redeem(identity: Uint8Array) {
    const issuer = this.config.tickets;
    if (!issuer) return null;
    const key = toHex(identity);
    if (!this.redeemed.has(key)) this.redeemed.set(key, issuer.redeem(identity));
    const state = this.redeemed.get(key)!;
    return state ? { psk: state.psk, suite: SUITES[state.suite] } : null;
  }

  /**
   * 0-RTT (§4.3.10): accepted only with the first identity, a ticket that allows early data
   * under this very suite, a fresh age and no earlier use (tickets.ts), no HelloRetryRequest, no
   * RFC 9973 certificate, and a non-zero max_early_data_size of ours. Otherwise the records are
   * skipped, up to that many bytes.
   */
  private decideEarlyData(ch: ClientHello, retry: boolean): void {
    if (!ch.extensions.some((e) => e.type === EXTENSIONS.early_data)) return;
    const max = this.config.maxEarlyData ?? 0;
    const choice = this.psk;
    const identity = choice ? offeredPsks(ch)!.identities[choice.index] : null;
    const state = identity ? this.redeemed.get(toHex(identity.identity)) : null;
    const ok = !retry && max > 0 && choice?.index === 0 && state &&
      state.suite === this.suite.name && !this.negotiated.certWithPsk &&
      this.config.tickets!.allowEarlyData(identity!.identity, state, identity!.obfuscatedTicketAge);
    this.negotiated.earlyData = ok ? "accepted" : "rejected";
    if (ok) {
      const keys = new KeySchedule(this.suite, choice!.psk.key);
      const secret = earlySecrets(keys, this.transcriptHash.hash(this.suite)).clientEarlyTraffic;
      this.early = { secret, limit: Math.min(max, state!.maxEarlyData) };
    } else {
      // Skip what cannot be opened: at most max_early_data_size plus record overhead.
      const budget = Math.max(max, state?.maxEarlyData ?? 0, 16384);
      this.conn.skipEarlyData = budget + 256 * Math.ceil(budget / 16384 + 1);
    }
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
    // Whatever supported_versions says: 0x0300 is refused outright (RFC 9846 E.5), and below
    // 0x0303 no TLS 1.3 client writes it (§4.2.2: legacy_version MUST be 0x0303), as OpenSSL
    // also refuses.
    if (ch.legacyVersion < TLS12) {
      const v = `0x${ch.legacyVersion.toString(16).padStart(4, "0")}`;
      throw new TlsAlert(
        "protocol_version",
        ch.legacyVersion <= 0x0300
          ? `ClientHello.legacy_version is ${v} (SSL 3.0 or older), which RFC 9846 E.5 refuses`
          : `ClientHello.legacy_version is ${v}; a TLS 1.3 ClientHello sets 0x0303 (RFC 9846 §4.2.2)`,
      );
    }
    const versions = getExtension(ch.extensions, SUPPORTED_VERSIONS_CLIENT, "ClientHello");
    if (!versions || !versions.includes(TLS13)) {
      throw new TlsAlert(
        "protocol_version",
        versions
          ? "client does not offer TLS 1.3 in supported_versions"
          : "ClientHello without supported_versions (TLS 1.2 or older)",
      );
    }
    // Beyond the floor above, legacy_version is not used: with supported_versions present it
    // "MUST NOT" be used for version negotiation (RFC 9846 §4.3.1).
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
    const cert = this.config.certificate!; // choosePsk refused when there is none
    const ours = this.config.signatureSchemes ?? DEFAULT_SCHEMES;
    const scheme = chooseScheme(ours, offered, cert) ??
      // Our certificate's own schemes, when the configured list leaves none in common.
      chooseScheme(cert.key.schemes, offered, cert);
    if (!scheme) {
      throw new TlsAlert(
        "handshake_failure",
        `the client accepts no signature scheme our ${cert.key.kind} key makes`,
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
    this.transcriptHash.replaceFirstWithMessageHash(this.suite);
    this.hrrBytes = this.conn.sendHandshake({ type: "server_hello", body: hrr });
    this.transcriptHash.add(this.hrrBytes);
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
    this.transcriptHash.add(bytes);
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
    if (ch.extensions.some((e) => e.type === EXTENSIONS.early_data)) {
      throw new TlsAlert("illegal_parameter", "second ClientHello still offers early_data");
    }
    this.choosePsk(ch, bytes);
    if (this.negotiated.pskMode === "psk_ke") {
      throw new TlsAlert("illegal_parameter", "psk_ke after a HelloRetryRequest for a key share");
    }
    if (this.certificateAuth) this.chooseScheme(ch);
    return this.chooseGroup(ch, group);
  }

  // ---------------------------------------------------------------- our flight

  /** ServerHello: pre_shared_key (selected), key_share (not for psk_ke), RFC 9973's echo. */
  private sendServerHello(decision: Exclude<Decision, { kind: "retry" }>): void {
    const t = this.config.test;
    const n = this.negotiated;
    const extensions: Extension[] = [];
    if (this.psk) extensions.push(encodeExtension(PRE_SHARED_KEY_SERVER, this.psk.index));
    let secret: Uint8Array | null = null;
    if (decision.kind === "share") {
      const { group, share: entry } = decision;
      const answer = respondToShare(group, entry.keyExchange, t?.keyShareSeeds?.[group]);
      secret = answer.secret;
      n.group = group;
      n.keyShareSelected = { group, client: entry.keyExchange.length, server: answer.share.length };
      const wire = this.conn.hooks.keyShare?.(group, answer.share) ?? answer.share;
      extensions.push(
        encodeExtension(KEY_SHARE_SERVER, { group: GROUPS[group], keyExchange: wire }),
      );
    }
    extensions.push(encodeExtension(SUPPORTED_VERSIONS_SERVER, TLS13));
    if (n.certWithPsk) extensions.push(encodeExtension(CERT_WITH_EXTERN_PSK, true));
    let sh: ServerHello = {
      legacyVersion: TLS12,
      random: t?.random ?? crypto.getRandomValues(new Uint8Array(32)),
      sessionId: this.hello.sessionId,
      cipherSuite: this.suite.code,
      compressionMethod: 0,
      extensions,
    };
    sh = this.conn.hooks.serverHello?.(sh, false) ?? sh;
    this.transcriptHash.add(this.conn.sendHandshake({ type: "server_hello", body: sh }));
    this.sendCompatCcs();
    this.keys = new KeySchedule(this.suite, this.psk?.psk.key ?? null);
    this.keys.enterHandshake(secret);
    this.secrets = this.keys.handshakeTrafficSecrets(this.transcriptHash.hash(this.suite));
    this.conn.setWriteKey(new RecordProtection(this.suite, this.secrets.server, "handshake"));
    // Accepted 0-RTT is read under the early key until EndOfEarlyData.
    this.conn.setReadKey(
      this.early
        ? new RecordProtection(this.suite, this.early.secret, "early")
        : new RecordProtection(this.suite, this.secrets.client, "handshake"),
    );
  }

  private sendEncryptedExtensions(): void {
    let extensions: Extension[] = [];
    if (this.serverName !== null) extensions.push(encodeExtension(SERVER_NAME_ACK, true));
    // Telling the client our groups lets it send the right share next time (§4.3.7).
    const groups = this.config.groups ?? DEFAULT_GROUPS;
    extensions.push(encodeExtension(SUPPORTED_GROUPS, groups.map((g) => GROUPS[g])));
    if (this.early) extensions.push(encodeExtension(EARLY_DATA, true));
    extensions = this.conn.hooks.encryptedExtensions?.(extensions) ?? extensions;
    this.transcriptHash.add(this.conn.sendHandshake({
      type: "encrypted_extensions",
      body: { extensions },
    }));
  }

  private sendCertificateRequest(): void {
    if (this.clientAuth === "none") return;
    const schemes = this.config.signatureSchemes ?? DEFAULT_SCHEMES;
    this.transcriptHash.add(this.conn.sendHandshake({
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
    const chain = this.config.certificate!.chain;
    this.negotiated.certificate = certificateInfo(parseCertificate(chain[0]));
    const entries = chain.map((data) => ({ data, extensions: [] }));
    this.transcriptHash.add(this.conn.sendHandshake({
      type: "certificate",
      body: { context: new Uint8Array(0), entries },
    }));
  }

  private async sendCertificateVerify(): Promise<void> {
    const content = signedContent("server", this.transcriptHash.hash(this.suite));
    const signature = await this.config.certificate!.key.sign(this.scheme, content, {
      pssSalt: this.config.test?.pssSalt,
    });
    this.negotiated.signatureScheme = this.scheme;
    this.transcriptHash.add(this.conn.sendHandshake({
      type: "certificate_verify",
      body: { scheme: SIGNATURE_SCHEMES[this.scheme], signature },
    }));
  }

  private async sendFinished(): Promise<void> {
    const verifyData = finishedVerifyData(
      this.suite,
      this.secrets.server,
      this.transcriptHash.hash(this.suite),
    );
    this.transcriptHash.add(this.conn.sendHandshake({ type: "finished", body: { verifyData } }));
    this.keys.enterMaster();
    const app = this.keys.applicationSecrets(this.transcriptHash.hash(this.suite));
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
      this.transcriptHash.add(bytes);
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
    this.negotiated.peerCertificate = certificateInfo(leaf);
    this.negotiated.clientCertificate = true;
    this.transcriptHash.add(bytes);
    const cv = await readMessage(this.conn, "certificate_verify");
    await checkCertificateVerify(
      cv.message.body,
      leaf,
      this.config.signatureSchemes ?? DEFAULT_SCHEMES,
      "client",
      this.transcriptHash.hash(this.suite),
    );
    this.transcriptHash.add(cv.bytes);
  }

  private async readClientFinished(): Promise<void> {
    const { message, bytes } = await readMessage(this.conn, "finished");
    const expected = finishedVerifyData(
      this.suite,
      this.secrets.client,
      this.transcriptHash.hash(this.suite),
    );
    checkFinished(message.body.verifyData, expected, "client");
    this.transcriptHash.add(bytes);
    this.conn.acceptCcs = false;
    this.conn.setReadKey(new RecordProtection(this.suite, this.app.client, "application"));
  }

  // ---------------------------------------------------------------- 0-RTT and tickets

  /**
   * Accepted 0-RTT: application data under the early key, for the application, until
   * EndOfEarlyData; more than max_early_data_size is unexpected_message (§4.3.10).
   */
  private async readEarlyData(): Promise<void> {
    if (!this.early) return;
    let total = 0;
    for (;;) {
      const data = await this.conn.readEarlyData();
      if (data === null) break;
      total += data.length;
      if (total > this.early.limit) {
        throw new TlsAlert(
          "unexpected_message",
          `more than max_early_data_size (${this.early.limit}) bytes of 0-RTT data`,
        );
      }
      this.earlyReceived.push(data);
    }
    const { bytes } = await readMessage(this.conn, "end_of_early_data");
    this.transcriptHash.add(bytes);
    this.conn.setReadKey(new RecordProtection(this.suite, this.secrets.client, "handshake"));
  }

  /**
   * `ticketCount` NewSessionTickets, each with its own nonce and age_add, and early_data when we
   * take 0-RTT. None after an RFC 9973 handshake: its authentication cannot be resumed. None to a
   * client that listed no psk_key_exchange_modes: it could not resume with them (RFC 9846
   * §4.3.9, "SHOULD NOT send NewSessionTicket with tickets that are not compatible").
   */
  private async sendTickets(): Promise<void> {
    const issuer = this.config.tickets;
    const count = this.config.ticketCount ?? 0;
    if (!issuer || count === 0 || this.negotiated.certWithPsk) return;
    const modes = getExtension(this.hello.extensions, PSK_KEY_EXCHANGE_MODES, "ClientHello");
    if (!modes || modes.length === 0) return;
    const rms = this.keys.resumptionMasterSecret(this.transcriptHash.hash(this.suite));
    for (let i = 0; i < count; i++) {
      const { ticket } = issuer.issue(
        this.suite,
        rms,
        i,
        this.negotiated.group,
        this.config.maxEarlyData ?? 0,
      );
      this.conn.sendHandshake({ type: "new_session_ticket", body: ticket });
    }
    await this.conn.flush();
  }
}

/** Runs the server handshake over `transport`; throws TlsAlert/PeerClosed on failure. */
export async function accept(transport: Transport, config: ServerConfig): Promise<TlsServer> {
  const server = new TlsServer(transport, config);
  await server.handshake();
  return server;
}
