// IANA codepoints used across the project: the reference peer, the adapters, the suites and the
// wire tap all name things through these tables, so a name means one number everywhere.
// Sources: RFC 9846 (TLS 1.3), draft-ietf-tls-mlkem, RFC 10024, draft-ietf-tls-mldsa, RFC 9973.

/** The two sides of a connection. */
export type Role = "client" | "server";

/** NamedGroup (RFC 9846 §4.3.7), using the IANA names the command-line peer accepts. */
export const GROUPS = {
  x25519: 0x001d,
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  MLKEM512: 0x0200,
  MLKEM768: 0x0201,
  MLKEM1024: 0x0202,
  SecP256r1MLKEM768: 0x11eb,
  X25519MLKEM768: 0x11ec,
  SecP384r1MLKEM1024: 0x11ed,
} as const;
export type GroupName = keyof typeof GROUPS;
export const GROUP_NAMES = Object.keys(GROUPS) as GroupName[];

export const CLASSIC_GROUPS: readonly GroupName[] = ["x25519", "secp256r1", "secp384r1"];
export const PURE_MLKEM_GROUPS: readonly GroupName[] = ["MLKEM512", "MLKEM768", "MLKEM1024"];
export const HYBRID_GROUPS: readonly GroupName[] = [
  "X25519MLKEM768",
  "SecP256r1MLKEM768",
  "SecP384r1MLKEM1024",
];
export const isPostQuantum = (g: GroupName): boolean => !CLASSIC_GROUPS.includes(g);

export const CIPHER_SUITES = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;
export type CipherSuiteName = keyof typeof CIPHER_SUITES;
export const CIPHER_SUITE_NAMES = Object.keys(CIPHER_SUITES) as CipherSuiteName[];

/** SignatureScheme (RFC 9846 §4.3.3, draft-ietf-tls-mldsa). */
export const SIGNATURE_SCHEMES = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
  mldsa44: 0x0904,
  mldsa65: 0x0905,
  mldsa87: 0x0906,
} as const;
export type SignatureSchemeName = keyof typeof SIGNATURE_SCHEMES;

/** The signature schemes the reference peer signs and verifies in TLS 1.3. */
export const SUPPORTED_SIGNATURE_SCHEMES: readonly SignatureSchemeName[] = [
  "ecdsa_secp256r1_sha256",
  "ecdsa_secp384r1_sha384",
  "ed25519",
  "rsa_pss_rsae_sha256",
  "rsa_pss_rsae_sha384",
  "mldsa44",
  "mldsa65",
  "mldsa87",
];

/** Kinds of test certificate the PKI generator makes; one leaf per kind, all under one CA. */
export const CERT_KINDS = [
  "ecdsa-p256",
  "ecdsa-p384",
  "ed25519",
  "rsa2048",
  "mldsa44",
  "mldsa65",
  "mldsa87",
] as const;
export type CertKind = typeof CERT_KINDS[number];

export const ALERTS = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  general_error: 117,
  no_application_protocol: 120,
} as const;
export type AlertName = keyof typeof ALERTS;

export const EXTENSIONS = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  record_size_limit: 28,
  tls_cert_with_extern_psk: 33,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  renegotiation_info: 0xff01,
} as const;
export type ExtensionName = keyof typeof EXTENSIONS;

export const HANDSHAKE_TYPES = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;
export type HandshakeTypeName = keyof typeof HANDSHAKE_TYPES;

export const CONTENT_TYPES = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;
export type ContentTypeName = keyof typeof CONTENT_TYPES;

export const PSK_MODES = { psk_ke: 0, psk_dhe_ke: 1 } as const;
export type PskModeName = keyof typeof PSK_MODES;

/** RFC 8701 GREASE: 0x?A?A for two-byte codepoints. */
export const isGrease = (code: number): boolean =>
  (code & 0x0f0f) === 0x0a0a && (code >> 8) === (code & 0xff);

/** Reverse lookup: the name for a code in one of the tables above, or its hex when unknown. */
export function nameOf<T extends Record<string, number>>(table: T, code: number): string {
  for (const [name, value] of Object.entries(table)) if (value === code) return name;
  return isGrease(code) ? `GREASE(0x${hex16(code)})` : `0x${hex16(code)}`;
}

/** Forward lookup that says which names exist when the name is unknown. */
export function codeOf<T extends Record<string, number>>(
  table: T,
  name: string,
  what: string,
): number {
  const code = (table as Record<string, number>)[name];
  if (code === undefined) {
    throw new Error(`unknown ${what} "${name}" (known: ${Object.keys(table).join(", ")})`);
  }
  return code;
}

const hex16 = (n: number) => n.toString(16).padStart(4, "0");
