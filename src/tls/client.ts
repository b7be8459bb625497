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
  COOKIE,
  encodeExtension,
  type Extension,
  getExtension,
  KEY_SHARE_CLIENT,
  KEY_SHARE_HRR,
  KEY_SHARE_SERVER,
  knownGroup,
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
  type CipherSuite,
  finishedVerifyData,
  KeySchedule,
  suiteByCode,
  Transcript,
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
  SIGNATURE_SCHEMES,
  type SignatureSchemeName,
} from "./names.ts";
import { RecordProtection } from "./record.ts";
import type { Certificate } from "./x509.ts";

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

const isIpAddress = (name: string) => /^[0-9.]+$/.test(name) || name.includes(":");

export class TlsClient extends TlsEndpoint {
  private readonly transcript_ = new Transcript();
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
  /** resumption_master_secret, kept for session tickets (issue 4). */
  resumptionMasterSecret: Uint8Array | null = null;

  constructor(transport: Transport, readonly config: ClientConfig) {
    super(transport, "client", config.hooks);
    this.schemes = config.signatureSchemes ?? DEFAULT_SCHEMES;
  }

  private get compat(): boolean {
    return this.config.compatibilityMode ?? true;
  }

  protected async runHandshake(): Promise<void> {
    const groups = this.config.groups ?? DEFAULT_GROUPS;
    const shares = this.config.keyShares ??
      (this.config.groups ? groups.slice(0, 1) : DEFAULT_KEY_SHARES);
    await this.sendClientHello(this.buildClientHello(shares));
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
    await this.readCertificateRequest();
    await this.readServerCertificate();
    await this.readServerCertificateVerify();
    await this.readServerFinished();
    await this.sendClientFlight();
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

  private async sendClientHello(hello: ClientHello): Promise<void> {
    const attempt = this.hrr ? 2 : 1;
    this.hello = this.conn.hooks.clientHello?.(hello, attempt) ?? hello;
    if (attempt === 1) this.recordOffer();
    if (attempt === 2 && this.compat && !this.ccsSent) this.sendCcs();
    this.conn.recordVersion = attempt === 1 ? 0x0301 : 0x0303;
    this.transcript_.add(this.conn.sendHandshake({ type: "client_hello", body: this.hello }));
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
      throw new TlsAlert("protocol_version", `ServerHello.legacy_version is ${sh.legacyVersion}`);
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
      : [EXTENSIONS.key_share, EXTENSIONS.supported_versions, EXTENSIONS.pre_shared_key];
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
      this.transcript_.replaceFirstWithMessageHash(suite);
    }
    this.transcript_.add(bytes);
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
    // The second ClientHello is the first with the key_share replaced and the cookie added.
    const extensions = this.hello.extensions.map((e) =>
      e.type === EXTENSIONS.key_share
        ? encodeExtension(KEY_SHARE_CLIENT, this.makeShares(shareGroups))
        : e
    ).filter((e) => e.type !== EXTENSIONS.cookie);
    if (cookie) extensions.push(encodeExtension(COOKIE, cookie));
    return { ...this.hello, extensions };
  }

  /** ServerHello: the key share, the handshake secret and the handshake traffic keys. */
  private processServerHello(sh: ServerHello): void {
    const share = getExtension(sh.extensions, KEY_SHARE_SERVER, "ServerHello");
    if (!share) {
      throw new TlsAlert("missing_extension", "ServerHello has no key_share (and we sent no PSK)");
    }
    const ours = this.shares.get(share.group);
    if (!ours) {
      throw new TlsAlert(
        "illegal_parameter",
        `ServerHello key_share is for ${nameOf(GROUPS, share.group)}, for which we sent no share`,
      );
    }
    const secret = ours.complete(share.keyExchange);
    const n = this.negotiated;
    n.group = ours.group;
    n.keyShareSelected = {
      group: ours.group,
      client: ours.share.length,
      server: share.keyExchange.length,
    };
    this.keys = new KeySchedule(this.suite);
    this.keys.enterHandshake(secret);
    this.secrets = this.keys.handshakeTrafficSecrets(this.transcript_.hash(this.suite));
    this.conn.setReadKey(new RecordProtection(this.suite, this.secrets.server, "handshake"));
    // Our own alerts from here on are encrypted; the compatibility CCS must precede them.
    if (this.compat && !this.ccsSent) this.sendCcs();
    this.conn.setWriteKey(new RecordProtection(this.suite, this.secrets.client, "handshake"));
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
    this.transcript_.add(bytes);
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
    this.transcript_.add(bytes);
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
    this.negotiated.peerCertificate = this.serverCert.subject;
    this.transcript_.add(bytes);
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
      this.transcript_.hash(this.suite),
    );
    this.transcript_.add(bytes);
  }

  private async readServerFinished(): Promise<void> {
    const { message, bytes } = await readMessage(this.conn, "finished");
    const expected = finishedVerifyData(
      this.suite,
      this.secrets.server,
      this.transcript_.hash(this.suite),
    );
    checkFinished(message.body.verifyData, expected, "server");
    this.transcript_.add(bytes);
    this.conn.acceptCcs = false;
  }

  // ---------------------------------------------------------------- our second flight

  private async sendClientFlight(): Promise<void> {
    this.keys.enterMaster();
    const app = this.keys.applicationSecrets(this.transcript_.hash(this.suite));
    if (this.certRequest) await this.sendClientCertificate(this.certRequest);
    const verifyData = finishedVerifyData(
      this.suite,
      this.secrets.client,
      this.transcript_.hash(this.suite),
    );
    this.transcript_.add(this.conn.sendHandshake({ type: "finished", body: { verifyData } }));
    this.conn.setWriteKey(new RecordProtection(this.suite, app.client, "application"));
    this.conn.setReadKey(new RecordProtection(this.suite, app.server, "application"));
    await this.conn.flush();
    this.resumptionMasterSecret = this.keys.resumptionMasterSecret(
      this.transcript_.hash(this.suite),
    );
  }

  /** Certificate (empty when we have none or no scheme fits) and CertificateVerify (§4.4.2). */
  private async sendClientCertificate(request: BodyOf<"certificate_request">): Promise<void> {
    const cred = this.config.certificate;
    const wanted = getExtension(request.extensions, SIGNATURE_ALGORITHMS) ?? [];
    const scheme = cred ? chooseScheme(this.schemes, wanted, cred) : null;
    const entries = cred && scheme ? cred.chain.map((data) => ({ data, extensions: [] })) : [];
    this.transcript_.add(this.conn.sendHandshake({
      type: "certificate",
      body: { context: request.context, entries },
    }));
    if (!cred || !scheme) return;
    this.negotiated.clientCertificate = true;
    const content = signedContent("client", this.transcript_.hash(this.suite));
    const signature = await cred.key.sign(scheme, content, { pssSalt: this.config.test?.pssSalt });
    this.transcript_.add(this.conn.sendHandshake({
      type: "certificate_verify",
      body: { scheme: SIGNATURE_SCHEMES[scheme], signature },
    }));
  }
}

export function checkFinished(got: Uint8Array, expected: Uint8Array, who: string): void {
  if (got.length !== expected.length) {
    throw new TlsAlert(
      "decode_error",
      `${who} Finished has ${got.length} bytes of verify_data, expected ${expected.length}`,
    );
  }
  if (!equalBytes(got, expected)) {
    throw new TlsAlert("decrypt_error", `${who} Finished verify_data does not match`);
  }
}

/** Connects over `transport` and runs the handshake; throws TlsAlert/PeerClosed on failure. */
export async function connect(transport: Transport, config: ClientConfig): Promise<TlsClient> {
  const client = new TlsClient(transport, config);
  await client.handshake();
  return client;
}
