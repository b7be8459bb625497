// The client side of the TLS 1.3 handshake (RFC 9846 §2, §4), one method per step, every check
// next to the bytes it checks. State lives in the TlsClient object; the order of the methods in
// runHandshake is the order of the protocol.
//
//   ClientHello ──►
//               ◄── HelloRetryRequest        (optional: retry with the requested share)
//   ClientHello ──►
//               ◄── ServerHello, {EncryptedExtensions}, {CertificateRequest}?,
//                   {Certificate}, {CertificateVerify}, {Finished}
//   {Certificate, CertificateVerify}?, {Finished} ──►
//
// With a PSK (external, imported or a ticket) the ClientHello ends in pre_shared_key, whose binders
// are computed over the hello as sent; 0-RTT data may follow it under the client early traffic
// key. When the server accepts the PSK, certificates are skipped (unless RFC 9973's
// tls_cert_with_extern_psk was negotiated), and accepted early data ends with EndOfEarlyData.

import { TlsAlert } from "./alert.ts";
import { checkCertificate, checkCertificateVerify, chooseScheme, signedContent } from "./auth.ts";
import { equalBytes } from "./codec.ts";
import {
  type ClientConfig,
  DEFAULT_GROUPS,
  DEFAULT_KEY_SHARES,
  DEFAULT_SCHEMES,
  DEFAULT_SUITES,
} from "./config.ts";
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
  knownGroup,
  PRE_SHARED_KEY_SERVER,
  PSK_KEY_EXCHANGE_MODES,
  SERVER_NAME,
  SIGNATURE_ALGORITHMS,
  SUPPORTED_GROUPS,
  SUPPORTED_VERSIONS_CLIENT,
  SUPPORTED_VERSIONS_SERVER,
  TLS12,
  TLS13,
} from "./extensions.ts";
import { type ClientKeyShare, generateClientShare } from "./groups.ts";
import {
  checkFinished,
  type CipherSuite,
  finishedVerifyData,
  KeySchedule,
  suiteByCode,
  SUITES,
  TranscriptHash,
} from "./keyschedule.ts";
import {
  type BodyOf,
  type ClientHello,
  isHelloRetryRequest,
  type ServerHello,
} from "./messages.ts";
import {
  CIPHER_SUITES,
  EXTENSIONS,
  GROUPS,
  nameOf,
  PSK_MODES,
  SIGNATURE_SCHEMES,
  type SignatureSchemeName,
} from "./names.ts";
import {
  bindClientHello,
  earlySecrets,
  externalPsks,
  hashOfSuite,
  hrrPrefix,
  offeredPsks,
  placeholderPskExtension,
  type Psk,
} from "./psk.ts";
import { RecordProtection } from "./record.ts";
import { type ClientTicket, obfuscatedAge, ticketFromMessage } from "./tickets.ts";
import { type Certificate, certificateInfo, parseCertificate } from "./x509.ts";

/** Extensions a server may put in EncryptedExtensions (RFC 9846 §4.3, the "EE" column). */
const EE_ALLOWED = new Set<number>([
  EXTENSIONS.server_name,
  EXTENSIONS.max_fragment_length,
  EXTENSIONS.supported_groups,
  EXTENSIONS.use_srtp,
  EXTENSIONS.heartbeat,
  EXTENSIONS.application_layer_protocol_negotiation,
  EXTENSIONS.client_certificate_type,
  EXTENSIONS.server_certificate_type,
  EXTENSIONS.early_data,
  EXTENSIONS.record_size_limit,
]);

/** The PSKs in our ClientHello, with their obfuscated ages; `early` when 0-RTT goes with them. */
interface PskOffer {
  psks: Psk[];
  ages: number[];
  /** The ticket behind psks[0] when it is a resumption PSK. */
  ticket: ClientTicket | null;
  early: boolean;
}

const isIpAddress = (name: string) => /^[0-9.]+$/.test(name) || name.includes(":");

export class TlsClient extends TlsEndpoint {
  private readonly transcriptHash = new TranscriptHash();
  /** Our key shares of the ClientHello in flight, by group. */
  private shares = new Map<number, ClientKeyShare>();
  private hello!: ClientHello;
  private hrr: ServerHello | null = null;
  private suite!: CipherSuite;
  private keys!: KeySchedule;
  private secrets!: { client: Uint8Array; server: Uint8Array };
  private serverCert: Certificate | null = null;
  private certRequest: BodyOf<"certificate_request"> | null = null;
  /** CertificateRequest is optional: when the server skipped it, the Certificate read instead. */
  private pendingCertificate: {
    message: { type: "certificate"; body: BodyOf<"certificate"> };
    bytes: Uint8Array;
  } | null = null;
  private ccsSent = false;
  private readonly schemes: SignatureSchemeName[];
  /** resumption_master_secret: the PSK of every ticket the server sends on this connection. */
  resumptionMasterSecret: Uint8Array | null = null;
  /** The PSKs in our pre_shared_key, in order (after an HRR, those that fit its suite). */
  private offer: PskOffer | null = null;
  /** The PSK the server selected. */
  private psk: Psk | null = null;
  /** The first ClientHello and the HelloRetryRequest as on the wire (binders after an HRR). */
  private helloBytes1: Uint8Array | null = null;
  private hrrBytes: Uint8Array | null = null;
  /** 0-RTT: sent under the early key, then accepted or rejected in EncryptedExtensions. */
  private earlySent = false;

  constructor(transport: Transport, readonly config: ClientConfig) {
    super(transport, "client", config.hooks);
    this.schemes = config.signatureSchemes ?? DEFAULT_SCHEMES;
    if (config.tickets) this.conn.onTicket = (nst) => this.storeTicket(nst);
  }

  private get compat(): boolean {
    return this.config.compatibilityMode ?? true;
  }

  protected async runHandshake(): Promise<void> {
    const groups = this.config.groups ?? DEFAULT_GROUPS;
    const shares = this.config.keyShares ??
      (this.config.groups ? groups.slice(0, 1) : DEFAULT_KEY_SHARES);
    await this.sendClientHello(this.buildClientHello(shares));
    await this.sendEarlyData();
    let sh = await this.readServerHello();
    if (isHelloRetryRequest(sh)) {
      await this.sendClientHello(this.processHelloRetryRequest(sh));
      sh = await this.readServerHello();
      if (isHelloRetryRequest(sh)) {
        throw new TlsAlert("unexpected_message", "second HelloRetryRequest (RFC 9846 §4.2.4)");
      }
    }
    this.processServerHello(sh);
    await this.readEncryptedExtensions();
    if (!this.psk || this.negotiated.certWithPsk) {
      await this.readCertificateRequest();
      await this.readServerCertificate();
      await this.readServerCertificateVerify();
    }
    await this.readServerFinished();
    await this.sendClientFlight();
    await this.retransmitEarlyData();
  }

  // ---------------------------------------------------------------- ClientHello

  private buildClientHello(shareGroups: readonly string[]): ClientHello {
    const t = this.config.test ?? {};
    const groups = this.config.groups ?? DEFAULT_GROUPS;
    const suites = this.config.cipherSuites ?? DEFAULT_SUITES;
    const random = t.random ?? crypto.getRandomValues(new Uint8Array(32));
    const sessionId = t.sessionId ??
      (this.compat ? crypto.getRandomValues(new Uint8Array(32)) : new Uint8Array(0));
    const extensions: Extension[] = [];
    const name = this.config.serverName;
    if (name && !isIpAddress(name)) extensions.push(encodeExtension(SERVER_NAME, [name]));
    extensions.push(encodeExtension(SUPPORTED_GROUPS, groups.map((g) => GROUPS[g])));
    extensions.push(encodeExtension(KEY_SHARE_CLIENT, this.makeShares(shareGroups)));
    extensions.push(encodeExtension(SUPPORTED_VERSIONS_CLIENT, [TLS13]));
    extensions.push(
      encodeExtension(SIGNATURE_ALGORITHMS, this.schemes.map((s) => SIGNATURE_SCHEMES[s])),
    );
    this.offer = this.pskOffer(suites.map((s) => SUITES[s]));
    // A client that keeps tickets says which modes it could resume with even before it has one:
    // servers such as rustls issue no NewSessionTicket to a client without this extension.
    const modes = this.config.pskModes ?? ["psk_dhe_ke"];
    if (this.offer || (this.config.tickets && modes.length > 0)) {
      extensions.push(encodeExtension(PSK_KEY_EXCHANGE_MODES, modes.map((m) => PSK_MODES[m])));
    }
    if (this.offer) {
      if (this.offer.early) extensions.push(encodeExtension(EARLY_DATA, true));
      if (this.config.certWithPsk && this.offer.psks.some((p) => p.kind !== "resumption")) {
        extensions.push(encodeExtension(CERT_WITH_EXTERN_PSK, true));
      }
      // Last (RFC 9846 §4.3.11); the binders are filled in once the hello is final.
      extensions.push(placeholderPskExtension(this.offer.psks, this.offer.ages));
    }
    return {
      legacyVersion: TLS12,
      random,
      sessionId,
      cipherSuites: suites.map((s) => CIPHER_SUITES[s]),
      compressionMethods: [0],
      extensions,
    };
  }

  private makeShares(groups: readonly string[]) {
    this.shares = new Map();
    return groups.map((g) => {
      const group = g as keyof typeof GROUPS;
      const share = generateClientShare(group, this.config.test?.keyShareSeeds?.[group]);
      this.shares.set(GROUPS[group], share);
      const wire = this.conn.hooks.keyShare?.(group, share.share) ?? share.share;
      return { group: GROUPS[group], keyExchange: wire };
    });
  }

  /**
   * The PSKs to offer: a ticket for this server first (it may carry 0-RTT), then the external
   * PSKs, each only if one of our suites has its hash. No ticket goes with RFC 9973's extension.
   */
  private pskOffer(suites: CipherSuite[]): PskOffer | null {
    const hashes = suites.map(hashOfSuite);
    const psks: Psk[] = [];
    const ages: number[] = [];
    const store = this.config.tickets;
    const ticket = store && !this.config.certWithPsk
      ? store.take(this.config.ticketKey ?? this.config.serverName ?? "")
      : null;
    const ticketSuite = ticket ? SUITES[ticket.suite] : null;
    if (ticket && ticketSuite && hashes.includes(hashOfSuite(ticketSuite))) {
      psks.push({
        kind: "resumption",
        identity: ticket.ticket,
        key: ticket.psk,
        hash: hashOfSuite(ticketSuite),
        label: "ticket",
      });
      ages.push(obfuscatedAge(ticket));
    }
    for (const epsk of this.config.psks ?? []) {
      for (const p of externalPsks(epsk, hashes)) {
        if (hashes.includes(p.hash)) {
          psks.push(p);
          ages.push(0); // external PSKs: 0 (§4.3.11)
        }
      }
    }
    if (psks.length === 0) return null;
    const data = this.config.earlyData;
    const early = !!data && data.length > 0 && psks[0].kind === "resumption" && !!ticket &&
      suites.includes(ticketSuite!) && data.length <= ticket.maxEarlyData;
    return { psks, ages, ticket: psks[0].kind === "resumption" ? ticket : null, early };
  }

  /** 0-RTT: the early data right after the first ClientHello, under client_early_traffic_secret. */
  private async sendEarlyData(): Promise<void> {
    const ticket = this.offer?.ticket;
    if (!this.offer?.early || !ticket || !this.config.earlyData) return;
    const suite = SUITES[ticket.suite];
    const keys = new KeySchedule(suite, ticket.psk);
    const early = earlySecrets(keys, suite.hash(this.helloBytes1!));
    // Compatibility mode: the dummy CCS goes right after the first ClientHello (RFC 9846 E.4).
    if (this.compat && !this.ccsSent) this.sendCcs();
    this.conn.setWriteKey(new RecordProtection(suite, early.clientEarlyTraffic, "early"));
    await this.conn.write(this.config.earlyData);
    this.earlySent = true;
  }

  private async sendClientHello(hello: ClientHello): Promise<void> {
    const attempt = this.hrr ? 2 : 1;
    this.hello = this.conn.hooks.clientHello?.(hello, attempt) ?? hello;
    if (this.offer && offeredPsks(this.hello)) {
      // The binders: over Truncate(ClientHello), after an HRR preceded by message_hash(CH1) ‖ HRR.
      const first = this.offer.psks[0];
      const prefix = attempt === 1
        ? new Uint8Array(0)
        : hrrPrefix(first, this.helloBytes1!, this.hrrBytes!);
      this.hello = bindClientHello(this.hello, this.offer.psks, prefix);
    }
    if (attempt === 1) this.recordOffer();
    if (attempt === 2 && this.compat && !this.ccsSent) this.sendCcs();
    this.conn.recordVersion = attempt === 1 ? 0x0301 : 0x0303;
    const bytes = this.conn.sendHandshake({ type: "client_hello", body: this.hello });
    if (attempt === 1) this.helloBytes1 = bytes;
    this.transcriptHash.add(bytes);
    await this.conn.flush();
    this.conn.recordVersion = 0x0303;
    // From the first ClientHello until the server's Finished, one dummy CCS may arrive (E.4).
    this.conn.acceptCcs = true;
  }

  /** What the first ClientHello offered, as sent (hooks included), for the summary. */
  private recordOffer(): void {
    const n = this.negotiated;
    const groups = getExtension(this.hello.extensions, SUPPORTED_GROUPS) ?? [];
    n.groupsOffered = groups.map((g) => nameOf(GROUPS, g));
    const shares = getExtension(this.hello.extensions, KEY_SHARE_CLIENT) ?? [];
    n.keySharesOffered = shares.map((s) => ({
      group: nameOf(GROUPS, s.group),
      size: s.keyExchange.length,
    }));
  }

  private sendCcs(): void {
    this.conn.sendCcs();
    this.ccsSent = true;
  }

  private offered(type: number): boolean {
    return this.hello.extensions.some((e) => e.type === type);
  }

  // ---------------------------------------------------------------- ServerHello / HRR

  private async readServerHello(): Promise<ServerHello> {
    const { message, bytes } = await readMessage(this.conn, "server_hello");
    const sh = message.body;
    // Version first: a TLS 1.2 ServerHello has no supported_versions and is protocol_version.
    const version = getExtension(sh.extensions, SUPPORTED_VERSIONS_SERVER, "ServerHello");
    if (version === undefined) {
      throw new TlsAlert(
        "protocol_version",
        "ServerHello without supported_versions (not TLS 1.3)",
      );
    }
    if (version !== TLS13) {
      throw new TlsAlert(
        "illegal_parameter",
        `ServerHello selected version 0x${version.toString(16)}, we offered only TLS 1.3`,
      );
    }
    if (sh.legacyVersion !== TLS12) {
      // RFC 9846 E.5 for 0x0300 and below; §4.2.3 (legacy_version MUST be 0x0303) otherwise.
      const v = `0x${sh.legacyVersion.toString(16).padStart(4, "0")}`;
      throw new TlsAlert("protocol_version", `ServerHello.legacy_version is ${v}, not 0x0303`);
    }
    if (!equalBytes(sh.sessionId, this.hello.sessionId)) {
      throw new TlsAlert("illegal_parameter", "legacy_session_id_echo differs from what we sent");
    }
    if (!this.hello.cipherSuites.includes(sh.cipherSuite)) {
      throw new TlsAlert(
        "illegal_parameter",
        `server selected ${nameOf(CIPHER_SUITES, sh.cipherSuite)}, which we did not offer`,
      );
    }
    const suite = suiteByCode(sh.cipherSuite)!;
    if (this.hrr && this.hrr.cipherSuite !== sh.cipherSuite) {
      throw new TlsAlert("illegal_parameter", "ServerHello cipher suite differs from the HRR's");
    }
    if (sh.compressionMethod !== 0) {
      throw new TlsAlert("illegal_parameter", "legacy_compression_method is not 0");
    }
    const hrr = isHelloRetryRequest(sh);
    const allowed = hrr
      ? [EXTENSIONS.key_share, EXTENSIONS.cookie, EXTENSIONS.supported_versions]
      : [
        EXTENSIONS.key_share,
        EXTENSIONS.supported_versions,
        EXTENSIONS.pre_shared_key,
        EXTENSIONS.tls_cert_with_extern_psk,
      ];
    for (const e of sh.extensions) {
      if (!this.offered(e.type) && e.type !== EXTENSIONS.cookie) {
        throw new TlsAlert(
          "unsupported_extension",
          `${hrr ? "HelloRetryRequest" : "ServerHello"} has ${
            nameOf(EXTENSIONS, e.type)
          }, which we did not offer`,
        );
      }
      if (!allowed.includes(e.type as never)) {
        throw new TlsAlert(
          "illegal_parameter",
          `${nameOf(EXTENSIONS, e.type)} is not allowed in ${
            hrr ? "HelloRetryRequest" : "ServerHello"
          }`,
        );
      }
    }
    this.suite = suite;
    this.negotiated.cipherSuite = suite.name;
    if (hrr) {
      this.transcriptHash.replaceFirstWithMessageHash(suite);
      this.hrrBytes = bytes;
    }
    this.transcriptHash.add(bytes);
    return sh;
  }

  /** Checks the HelloRetryRequest and builds the second ClientHello it asks for. */
  private processHelloRetryRequest(hrr: ServerHello): ClientHello {
    this.hrr = hrr;
    const n = this.negotiated;
    n.helloRetryRequest = true;
    const selected = getExtension(hrr.extensions, KEY_SHARE_HRR, "HelloRetryRequest");
    const cookie = getExtension(hrr.extensions, COOKIE, "HelloRetryRequest");
    if (selected === undefined && cookie === undefined) {
      throw new TlsAlert("illegal_parameter", "HelloRetryRequest would not change the ClientHello");
    }
    const offeredGroups = getExtension(this.hello.extensions, SUPPORTED_GROUPS) ?? [];
    let shareGroups = [...this.shares.values()].map((s) => s.group) as string[];
    if (selected !== undefined) {
      const name = nameOf(GROUPS, selected);
      if (!offeredGroups.includes(selected) || !knownGroup(selected)) {
        throw new TlsAlert(
          "illegal_parameter",
          `HelloRetryRequest selected ${name}, which is not in our supported_groups`,
        );
      }
      if (this.shares.has(selected)) {
        throw new TlsAlert(
          "illegal_parameter",
          `HelloRetryRequest selected ${name}, for which we already sent a share`,
        );
      }
      shareGroups = [knownGroup(selected)!];
      n.hrrReason = `server asked for a ${name} share`;
    } else {
      n.hrrReason = "server sent a cookie";
    }
    // The second ClientHello is the first with the key_share replaced and the cookie added,
    // without early_data (0-RTT is over, §4.2.4), and with only the PSKs whose hash is the HRR
    // suite's; pre_shared_key stays last.
    const late = [EXTENSIONS.cookie, EXTENSIONS.early_data, EXTENSIONS.pre_shared_key];
    const extensions = this.hello.extensions.map((e) =>
      e.type === EXTENSIONS.key_share
        ? encodeExtension(KEY_SHARE_CLIENT, this.makeShares(shareGroups))
        : e
    ).filter((e) => !late.includes(e.type as never));
    if (cookie) extensions.push(encodeExtension(COOKIE, cookie));
    if (this.offer) {
      const hash = hashOfSuite(this.suite);
      const keep = this.offer.psks.map((p, i) => [p, this.offer!.ages[i]] as const)
        .filter(([p]) => p.hash === hash);
      this.offer = keep.length
        ? { ...this.offer, psks: keep.map(([p]) => p), ages: keep.map(([, a]) => a), early: false }
        : null;
      if (this.offer) extensions.push(placeholderPskExtension(this.offer.psks, this.offer.ages));
    }
    // Early data went under the early key; the second ClientHello is in the clear again.
    if (this.earlySent) this.conn.setWriteKey(null);
    return { ...this.hello, extensions };
  }

  /** ServerHello: the key share, the handshake secret and the handshake traffic keys. */
  private processServerHello(sh: ServerHello): void {
    const share = getExtension(sh.extensions, KEY_SHARE_SERVER, "ServerHello");
    this.psk = this.checkSelectedPsk(sh, share !== undefined);
    this.checkCertWithPsk(sh, share !== undefined);
    if (!share && !this.psk) {
      throw new TlsAlert("missing_extension", "ServerHello has no key_share and selects no PSK");
    }
    const n = this.negotiated;
    let secret: Uint8Array | null = null; // psk_ke: no (EC)DHE/KEM input (§7.1)
    if (share) {
      const ours = this.shares.get(share.group);
      if (!ours) {
        throw new TlsAlert(
          "illegal_parameter",
          `ServerHello key_share is for ${nameOf(GROUPS, share.group)}, for which we sent no share`,
        );
      }
      secret = ours.complete(share.keyExchange);
      n.group = ours.group;
      n.keyShareSelected = {
        group: ours.group,
        client: ours.share.length,
        server: share.keyExchange.length,
      };
    }
    if (this.psk) {
      n.pskMode = share ? "psk_dhe_ke" : "psk_ke";
      n.resumed = this.psk.kind === "resumption";
      n.pskIdentity = this.psk.kind === "resumption" ? null : this.psk.label;
    }
    this.keys = new KeySchedule(this.suite, this.psk?.key ?? null);
    this.keys.enterHandshake(secret);
    this.secrets = this.keys.handshakeTrafficSecrets(this.transcriptHash.hash(this.suite));
    this.conn.setReadKey(new RecordProtection(this.suite, this.secrets.server, "handshake"));
    // Our own alerts from here on are encrypted; the compatibility CCS must precede them.
    if (this.compat && !this.ccsSent) this.sendCcs();
    // After 0-RTT the early key stays until EncryptedExtensions says whether it was accepted.
    if (!this.earlySent) this.useHandshakeWriteKey();
  }

  private useHandshakeWriteKey(): void {
    this.conn.setWriteKey(new RecordProtection(this.suite, this.secrets.client, "handshake"));
  }

  /**
   * pre_shared_key in ServerHello: the identity must be one we offered, its hash the suite's, and
   * the key exchange one of the modes we offered (§4.3.9, §4.3.11). Returns the selected PSK.
   */
  private checkSelectedPsk(sh: ServerHello, hasShare: boolean): Psk | null {
    const selected = getExtension(sh.extensions, PRE_SHARED_KEY_SERVER, "ServerHello");
    if (selected === undefined) return null;
    const offered = this.offer?.psks ?? [];
    if (selected >= offered.length) {
      throw new TlsAlert(
        "illegal_parameter",
        `ServerHello selected_identity is ${selected}, we offered ${offered.length} PSK(s)`,
      );
    }
    const psk = offered[selected];
    if (psk.hash !== hashOfSuite(this.suite)) {
      throw new TlsAlert(
        "illegal_parameter",
        `server selected PSK ${selected} (${psk.hash}) with ${this.suite.name}, another hash`,
      );
    }
    const modes = getExtension(this.hello.extensions, PSK_KEY_EXCHANGE_MODES) ?? [];
    if (hasShare && !modes.includes(PSK_MODES.psk_dhe_ke)) {
      throw new TlsAlert("illegal_parameter", "server used psk_dhe_ke, we offered only psk_ke");
    }
    if (!hasShare && !modes.includes(PSK_MODES.psk_ke)) {
      throw new TlsAlert(
        "illegal_parameter",
        "ServerHello selects a PSK without key_share, but we offered only psk_dhe_ke",
      );
    }
    return psk;
  }

  /**
   * RFC 9973 tls_cert_with_extern_psk in ServerHello (offered: readServerHello already sent
   * unsupported_extension otherwise). An echo needs an external PSK and a key share; without them
   * the ServerHello is missing what the extension requires (missing_extension, as RFC 8773 §5.2
   * says). When we "require" it and the server did not echo, we cannot accept the handshake's
   * security parameters: handshake_failure (RFC 9846 §6.2). RFC 9973 leaves this to the client's
   * policy; the server's plain answer is legal, so illegal_parameter would blame the wrong field.
   */
  private checkCertWithPsk(sh: ServerHello, hasShare: boolean): void {
    const echoed = sh.extensions.some((e) => e.type === EXTENSIONS.tls_cert_with_extern_psk);
    if (echoed && (!this.psk || !hasShare || this.psk.kind === "resumption")) {
      throw new TlsAlert(
        "missing_extension",
        "ServerHello echoes tls_cert_with_extern_psk without an external PSK and a key_share",
      );
    }
    if (
      !echoed && this.config.certWithPsk === "require" &&
      this.offered(EXTENSIONS.tls_cert_with_extern_psk)
    ) {
      throw new TlsAlert(
        "handshake_failure",
        "server did not accept tls_cert_with_extern_psk, which we require",
      );
    }
    this.negotiated.certWithPsk = echoed;
  }

  // ---------------------------------------------------------------- server's encrypted flight

  private async readEncryptedExtensions(): Promise<void> {
    const { message, bytes } = await readMessage(this.conn, "encrypted_extensions");
    for (const e of message.body.extensions) {
      const name = nameOf(EXTENSIONS, e.type);
      if (!this.offered(e.type)) {
        throw new TlsAlert("unsupported_extension", `EncryptedExtensions has ${name}, not offered`);
      }
      if (!EE_ALLOWED.has(e.type)) {
        throw new TlsAlert("illegal_parameter", `${name} is not allowed in EncryptedExtensions`);
      }
    }
    this.transcriptHash.add(bytes);
    const accepted = message.body.extensions.some((e) => e.type === EXTENSIONS.early_data);
    if (accepted && this.offer?.psks[0] !== this.psk) {
      throw new TlsAlert(
        "illegal_parameter",
        "server accepted early data but did not select the first PSK (§4.3.10)",
      );
    }
    if (this.earlySent) {
      this.negotiated.earlyData = accepted ? "accepted" : "rejected";
      if (!accepted) this.useHandshakeWriteKey();
    }
  }

  /** Accepted 0-RTT ends with EndOfEarlyData under the early key, then the handshake key. */
  private sendEndOfEarlyData(): void {
    if (this.negotiated.earlyData !== "accepted") return;
    this.transcriptHash.add(this.conn.sendHandshake({ type: "end_of_early_data", body: {} }));
    this.useHandshakeWriteKey();
  }

  /** Rejected 0-RTT is sent again as ordinary application data (§4.3.10). */
  private async retransmitEarlyData(): Promise<void> {
    if (this.negotiated.earlyData === "rejected") await this.conn.write(this.config.earlyData!);
  }

  /** A NewSessionTicket after the handshake: kept for the next connection to this server. */
  private storeTicket(nst: BodyOf<"new_session_ticket">): void {
    if (!this.resumptionMasterSecret || !this.config.tickets) return;
    const ticket = ticketFromMessage(
      nst,
      this.suite,
      this.resumptionMasterSecret,
      this.negotiated.group,
    );
    this.config.tickets.add(this.config.ticketKey ?? this.config.serverName ?? "", ticket);
  }

  private async readCertificateRequest(): Promise<void> {
    const { message, bytes } = await readMessage(
      this.conn,
      "certificate_request",
      "certificate",
    );
    if (message.type === "certificate") {
      this.pendingCertificate = { message, bytes };
      return;
    }
    if (message.body.context.length !== 0) {
      throw new TlsAlert(
        "illegal_parameter",
        "CertificateRequest in the handshake must have an empty context",
      );
    }
    if (!getExtension(message.body.extensions, SIGNATURE_ALGORITHMS, "CertificateRequest")) {
      throw new TlsAlert("missing_extension", "CertificateRequest without signature_algorithms");
    }
    this.certRequest = message.body;
    this.transcriptHash.add(bytes);
  }

  private async readServerCertificate(): Promise<void> {
    const { message, bytes } = this.pendingCertificate ??
      await readMessage(this.conn, "certificate");
    this.pendingCertificate = null;
    if (message.body.context.length !== 0) {
      throw new TlsAlert("illegal_parameter", "server Certificate has a request context");
    }
    const anchors = this.config.trustAnchors ?? [];
    this.serverCert = await checkCertificate(message.body, anchors, {
      serverName: this.config.serverName,
      now: this.config.test?.now,
    });
    this.negotiated.peerCertificate = certificateInfo(this.serverCert);
    this.transcriptHash.add(bytes);
  }

  private async readServerCertificateVerify(): Promise<void> {
    const { message, bytes } = await readMessage(this.conn, "certificate_verify");
    const offered = (getExtension(this.hello.extensions, SIGNATURE_ALGORITHMS) ?? [])
      .map((c) => nameOf(SIGNATURE_SCHEMES, c) as SignatureSchemeName);
    this.negotiated.signatureScheme = await checkCertificateVerify(
      message.body,
      this.serverCert!,
      offered,
      "server",
      this.transcriptHash.hash(this.suite),
    );
    this.transcriptHash.add(bytes);
  }

  private async readServerFinished(): Promise<void> {
    const { message, bytes } = await readMessage(this.conn, "finished");
    const expected = finishedVerifyData(
      this.suite,
      this.secrets.server,
      this.transcriptHash.hash(this.suite),
    );
    checkFinished(message.body.verifyData, expected, "server");
    this.transcriptHash.add(bytes);
    this.conn.acceptCcs = false;
  }

  // ---------------------------------------------------------------- our second flight

  private async sendClientFlight(): Promise<void> {
    this.keys.enterMaster();
    const app = this.keys.applicationSecrets(this.transcriptHash.hash(this.suite));
    this.sendEndOfEarlyData();
    if (this.certRequest) await this.sendClientCertificate(this.certRequest);
    const verifyData = finishedVerifyData(
      this.suite,
      this.secrets.client,
      this.transcriptHash.hash(this.suite),
    );
    this.transcriptHash.add(this.conn.sendHandshake({ type: "finished", body: { verifyData } }));
    this.conn.setWriteKey(new RecordProtection(this.suite, app.client, "application"));
    this.conn.setReadKey(new RecordProtection(this.suite, app.server, "application"));
    await this.conn.flush();
    this.resumptionMasterSecret = this.keys.resumptionMasterSecret(
      this.transcriptHash.hash(this.suite),
    );
  }

  /** Certificate (empty when we have none or no scheme fits) and CertificateVerify (§4.4.2). */
  private async sendClientCertificate(request: BodyOf<"certificate_request">): Promise<void> {
    const cred = this.config.certificate;
    const wanted = getExtension(request.extensions, SIGNATURE_ALGORITHMS) ?? [];
    const scheme = cred ? chooseScheme(this.schemes, wanted, cred) : null;
    const entries = cred && scheme ? cred.chain.map((data) => ({ data, extensions: [] })) : [];
    this.transcriptHash.add(this.conn.sendHandshake({
      type: "certificate",
      body: { context: request.context, entries },
    }));
    if (!cred || !scheme) return;
    this.negotiated.clientCertificate = true;
    this.negotiated.certificate = certificateInfo(parseCertificate(cred.chain[0]));
    const content = signedContent("client", this.transcriptHash.hash(this.suite));
    const signature = await cred.key.sign(scheme, content, { pssSalt: this.config.test?.pssSalt });
    this.transcriptHash.add(this.conn.sendHandshake({
      type: "certificate_verify",
      body: { scheme: SIGNATURE_SCHEMES[scheme], signature },
    }));
  }
}

/** Connects over `transport` and runs the handshake; throws TlsAlert/PeerClosed on failure. */
export async function connect(transport: Transport, config: ClientConfig): Promise<TlsClient> {
  const client = new TlsClient(transport, config);
  await client.handshake();
  return client;
}
