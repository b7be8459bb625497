/*
 * pqi-nss: the pqinterop peer contract (docs/peer-contract.md) on NSS's libssl.
 *
 *   pqi-nss server --port P --cert F --key F [flags]   listens on 127.0.0.1:P
 *   pqi-nss client --port P --ca F [flags]             connects to 127.0.0.1:P
 *   pqi-nss version                                    the NSS version the program runs on
 *
 * One JSON line per connection on stdout. Everything is reported from what NSS says
 * (SSL_GetChannelInfo, the alert callbacks, the certificates NSS handed over), never from the
 * configuration. The same source builds against NSS 3.110 (Debian trixie) and 3.132 (sid);
 * what the older headers lack is behind NSS_VMINOR.
 *
 * NSS runs without a database (NSS_NoDB_Init): the CA, the leaf and its PKCS#8 key are imported
 * as session objects each run, which keeps a start at a few milliseconds and leaves no files.
 */

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nspr.h>
#include <private/pprio.h>
#include <nss.h>
#include <base64.h>
#include <cert.h>
#include <certdb.h>
#include <certt.h>
#include <keyhi.h>
#include <pk11pub.h>
#include <secerr.h>
#include <secoid.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslexp.h>
#include <sslproto.h>

/* NSS 3.118 added the P-256 and P-384 hybrids; 3.132 is the first version we have seen with
 * MLKEM1024 and the ML-DSA signature schemes (they are not in 3.124). Older headers do not
 * name them, so the codepoints are written out here and only offered where NSS has them. */
#define NSS_AT_LEAST(minor) (NSS_VMAJOR > 3 || (NSS_VMAJOR == 3 && NSS_VMINOR >= (minor)))
#define HAS_EC_HYBRIDS NSS_AT_LEAST(118)
#define HAS_MLKEM1024 NSS_AT_LEAST(132)
#define HAS_MLDSA NSS_AT_LEAST(132)

/* Bound on every wait inside one connection: a peer that stops talking must not hold us. */
#define CONNECTION_TIMEOUT_S 15
#define MAX_LINE 65536

/* ------------------------------------------------------------------ names */

typedef struct {
  const char *name;
  int code;      /* IANA codepoint, which is also NSS's enum value */
  int available; /* this NSS build has it */
} Name;

static const Name GROUPS[] = {
    {"x25519", 0x001d, 1},
    {"secp256r1", 0x0017, 1},
    {"secp384r1", 0x0018, 1},
    {"MLKEM512", 0x0200, 0},
    {"MLKEM768", 0x0201, 0},
    {"MLKEM1024", 0x0202, HAS_MLKEM1024},
    {"X25519MLKEM768", 0x11ec, 1},
    {"SecP256r1MLKEM768", 0x11eb, HAS_EC_HYBRIDS},
    {"SecP384r1MLKEM1024", 0x11ed, HAS_EC_HYBRIDS},
    {NULL, 0, 0},
};

static const Name SUITES[] = {
    {"TLS_AES_128_GCM_SHA256", 0x1301, 1},
    {"TLS_AES_256_GCM_SHA384", 0x1302, 1},
    {"TLS_CHACHA20_POLY1305_SHA256", 0x1303, 1},
    {NULL, 0, 0},
};

/* The flag accepts the contract's schemes; the table also names what NSS may report. */
static const Name SCHEMES[] = {
    {"ecdsa_secp256r1_sha256", 0x0403, 1},
    {"ecdsa_secp384r1_sha384", 0x0503, 1},
    {"ed25519", 0x0807, 0}, /* in sslt.h, but libssl signs and verifies no Ed25519 */
    {"rsa_pss_rsae_sha256", 0x0804, 1},
    {"rsa_pss_rsae_sha384", 0x0805, 1},
    {"mldsa44", 0x0904, HAS_MLDSA},
    {"mldsa65", 0x0905, HAS_MLDSA},
    {"mldsa87", 0x0906, HAS_MLDSA},
    {"rsa_pkcs1_sha256", 0x0401, -1},
    {"rsa_pkcs1_sha384", 0x0501, -1},
    {"rsa_pkcs1_sha512", 0x0601, -1},
    {"ecdsa_secp521r1_sha512", 0x0603, -1},
    {"rsa_pss_rsae_sha512", 0x0806, -1},
    {"ed448", 0x0808, -1},
    {"rsa_pss_pss_sha256", 0x0809, -1},
    {"rsa_pss_pss_sha384", 0x080a, -1},
    {"rsa_pss_pss_sha512", 0x080b, -1},
    {NULL, 0, 0},
};

static const Name ALERTS[] = {
    {"close_notify", 0, 1},          {"unexpected_message", 10, 1},
    {"bad_record_mac", 20, 1},       {"record_overflow", 22, 1},
    {"handshake_failure", 40, 1},    {"bad_certificate", 42, 1},
    {"unsupported_certificate", 43, 1}, {"certificate_revoked", 44, 1},
    {"certificate_expired", 45, 1},  {"certificate_unknown", 46, 1},
    {"illegal_parameter", 47, 1},    {"unknown_ca", 48, 1},
    {"access_denied", 49, 1},        {"decode_error", 50, 1},
    {"decrypt_error", 51, 1},        {"protocol_version", 70, 1},
    {"insufficient_security", 71, 1}, {"internal_error", 80, 1},
    {"inappropriate_fallback", 86, 1}, {"user_canceled", 90, 1},
    {"missing_extension", 109, 1},   {"unsupported_extension", 110, 1},
    {"unrecognized_name", 112, 1},   {"bad_certificate_status_response", 113, 1},
    {"unknown_psk_identity", 115, 1}, {"certificate_required", 116, 1},
    {"general_error", 117, 1},       {"no_application_protocol", 120, 1},
    {NULL, 0, 0},
};

static const Name *by_name(const Name *table, const char *name) {
  for (; table->name; table++)
    if (strcmp(table->name, name) == 0) return table;
  return NULL;
}

static const char *name_of(const Name *table, int code) {
  for (; table->name; table++)
    if (table->code == code) return table->name;
  return NULL;
}

/* ------------------------------------------------------------------ exits */

static const char *role_name = "pqi-nss";

/* Exit 2: a usage mistake, one line naming the flag. */
static void usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", role_name);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

/* Exit 127: a configuration NSS (lacks) or this program (shim) cannot do. */
static void unsupported(const char *whose, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "unsupported: %s: ", whose);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(127);
}

/* NSS's own name and words for the last error, e.g. "SSL_ERROR_NO_CYPHER_OVERLAP: ...". */
static const char *nss_error(void) {
  static char text[512];
  PRErrorCode code = PR_GetError();
  const char *name = PR_ErrorToName(code);
  const char *words = PR_ErrorToString(code, PR_LANGUAGE_I_DEFAULT);
  if (!name) name = "unknown error";
  if (words && *words && strcmp(words, name) != 0)
    snprintf(text, sizeof text, "%s: %s", name, words);
  else
    snprintf(text, sizeof text, "%s (%d)", name, (int)code);
  return text;
}

static void fatal_setup(const char *what) {
  fprintf(stderr, "%s: %s: %s\n", role_name, what, nss_error());
  exit(1);
}

/* ------------------------------------------------------------------ flags */

typedef struct {
  int role_server;
  int port;
  const char *cert, *key, *chain, *ca;
  const Name *groups[16];
  int n_groups, have_groups;
  const Name *shares[16];
  int n_shares, have_shares;
  const Name *resume_groups[16];
  int n_resume_groups, have_resume_groups;
  const Name *suites[4];
  int n_suites, have_suites;
  const Name *schemes[16];
  int n_schemes, have_schemes;
  const char *psk_identity, *psk_key, *psk_hash, *psk_mode, *cert_with_psk;
  int psk_import, http, prefer_hrr, client_auth, count, tickets, max_early_data;
  const char *server_name, *message, *early_data;
  int expect_echo, resume;
} Options;

enum Kind { K_INT, K_TEXT, K_FILE, K_LIST, K_SWITCH, K_CHOICE };

typedef struct {
  const char *name;
  enum Kind kind;
  int roles; /* 1 server, 2 client, 3 both */
} Flag;

static const Flag FLAGS[] = {
    {"port", K_INT, 3},           {"cert", K_FILE, 3},
    {"key", K_FILE, 3},           {"chain", K_FILE, 3},
    {"ca", K_FILE, 3},            {"groups", K_LIST, 3},
    {"cipher-suites", K_LIST, 3}, {"signature-schemes", K_LIST, 3},
    {"psk-identity", K_TEXT, 3},  {"psk-key", K_TEXT, 3},
    {"psk-hash", K_CHOICE, 3},    {"psk-mode", K_CHOICE, 3},
    {"psk-import", K_SWITCH, 3},  {"cert-with-psk", K_CHOICE, 3},
    {"http", K_SWITCH, 3},        {"prefer-hrr", K_SWITCH, 1},
    {"client-auth", K_SWITCH, 1}, {"count", K_INT, 1},
    {"tickets", K_INT, 1},        {"max-early-data", K_INT, 1},
    {"server-name", K_TEXT, 2},   {"message", K_TEXT, 2},
    {"expect-echo", K_SWITCH, 2}, {"key-shares", K_LIST, 2},
    {"resume", K_SWITCH, 2},      {"resume-groups", K_LIST, 2},
    {"early-data", K_TEXT, 2},    {NULL, 0, 0},
};

static int parse_int(const char *flag, const char *value) {
  char *end;
  long n = strtol(value, &end, 10);
  if (!*value || *end || n < 0 || n > 65535)
    usage_error("--%s must be a number 0..65535, got \"%s\"", flag, value);
  return (int)n;
}

/* "a,b,c" → table entries; "none" only where allowed (--key-shares). */
static int parse_list(const char *flag, const char *value, const Name *table,
                      const Name **out, int max, int allow_none) {
  if (allow_none && strcmp(value, "none") == 0) return 0;
  char *copy = strdup(value), *save = NULL;
  int n = 0;
  for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    const Name *entry = by_name(table, item);
    if (!entry || entry->available < 0) usage_error("unknown name \"%s\" in --%s", item, flag);
    if (n == max) usage_error("--%s has too many entries", flag);
    out[n++] = entry;
  }
  free(copy);
  return n;
}

static void check_file(const char *flag, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) usage_error("cannot read --%s %s: %s", flag, path, strerror(errno));
  fclose(f);
}

static const char *parse_choice(const char *flag, const char *value, const char *a,
                                const char *b) {
  if (strcmp(value, a) != 0 && strcmp(value, b) != 0)
    usage_error("--%s must be %s or %s, got \"%s\"", flag, a, b, value);
  return value;
}

static void set_option(Options *o, const Flag *f, const char *v) {
  const char *n = f->name;
  if (!strcmp(n, "port")) o->port = parse_int(n, v);
  else if (!strcmp(n, "cert")) o->cert = v;
  else if (!strcmp(n, "key")) o->key = v;
  else if (!strcmp(n, "chain")) o->chain = v;
  else if (!strcmp(n, "ca")) o->ca = v;
  else if (!strcmp(n, "groups")) o->n_groups = parse_list(n, v, GROUPS, o->groups, 16, 0), o->have_groups = 1;
  else if (!strcmp(n, "key-shares")) o->n_shares = parse_list(n, v, GROUPS, o->shares, 16, 1), o->have_shares = 1;
  else if (!strcmp(n, "resume-groups")) o->n_resume_groups = parse_list(n, v, GROUPS, o->resume_groups, 16, 0), o->have_resume_groups = 1;
  else if (!strcmp(n, "cipher-suites")) o->n_suites = parse_list(n, v, SUITES, o->suites, 4, 0), o->have_suites = 1;
  else if (!strcmp(n, "signature-schemes")) o->n_schemes = parse_list(n, v, SCHEMES, o->schemes, 16, 0), o->have_schemes = 1;
  else if (!strcmp(n, "psk-identity")) o->psk_identity = v;
  else if (!strcmp(n, "psk-key")) o->psk_key = v;
  else if (!strcmp(n, "psk-hash")) o->psk_hash = parse_choice(n, v, "sha256", "sha384");
  else if (!strcmp(n, "psk-mode")) o->psk_mode = parse_choice(n, v, "dhe_ke", "ke");
  else if (!strcmp(n, "cert-with-psk")) o->cert_with_psk = v;
  else if (!strcmp(n, "psk-import")) o->psk_import = 1;
  else if (!strcmp(n, "http")) o->http = 1;
  else if (!strcmp(n, "prefer-hrr")) o->prefer_hrr = 1;
  else if (!strcmp(n, "client-auth")) o->client_auth = 1;
  else if (!strcmp(n, "count")) o->count = parse_int(n, v);
  else if (!strcmp(n, "tickets")) o->tickets = parse_int(n, v);
  else if (!strcmp(n, "max-early-data")) o->max_early_data = parse_int(n, v);
  else if (!strcmp(n, "server-name")) o->server_name = v;
  else if (!strcmp(n, "message")) o->message = v;
  else if (!strcmp(n, "expect-echo")) o->expect_echo = 1;
  else if (!strcmp(n, "resume")) o->resume = 1;
  else if (!strcmp(n, "early-data")) o->early_data = v;
}

static void parse_args(int argc, char **argv, Options *o) {
  memset(o, 0, sizeof *o);
  o->port = -1;
  o->count = -1;
  o->role_server = strcmp(argv[1], "server") == 0;
  int role = o->role_server ? 1 : 2;
  for (int i = 2; i < argc; i++) {
    const Flag *f = NULL;
    if (strncmp(argv[i], "--", 2) == 0)
      for (const Flag *c = FLAGS; c->name; c++)
        if (strcmp(argv[i] + 2, c->name) == 0) f = c;
    if (!f || !(f->roles & role)) usage_error("unknown %s flag \"%s\"", argv[1], argv[i]);
    if (f->kind == K_SWITCH) {
      set_option(o, f, NULL);
      continue;
    }
    /* --cert-with-psk's value is optional (server: accept it). */
    if (!strcmp(f->name, "cert-with-psk") &&
        (i + 1 >= argc || (strcmp(argv[i + 1], "require") && strcmp(argv[i + 1], "allow")))) {
      set_option(o, f, "require");
      continue;
    }
    if (i + 1 >= argc) usage_error("--%s needs a value", f->name);
    const char *value = argv[++i];
    if (f->kind == K_FILE) check_file(f->name, value);
    set_option(o, f, value);
  }
}

/* Combinations the contract forbids (exit 2), checked before anything starts. */
static void check_options(Options *o) {
  if (o->port < 0) usage_error("%s needs --port", o->role_server ? "server" : "client");
  if (!o->cert != !o->key) usage_error("--cert and --key go together");
  if (!o->psk_identity != !o->psk_key) usage_error("--psk-identity and --psk-key go together");
  if (!o->psk_key && (o->psk_hash || o->psk_mode || o->psk_import || o->cert_with_psk))
    usage_error("--psk-hash/--psk-mode/--psk-import/--cert-with-psk need --psk-identity and --psk-key");
  if (o->psk_key) {
    size_t len = strlen(o->psk_key);
    if (len == 0 || len % 2 || strspn(o->psk_key, "0123456789abcdefABCDEF") != len)
      usage_error("--psk-key must be hex, got \"%s\"", o->psk_key);
    if (!*o->psk_identity) usage_error("--psk-identity must not be empty");
  }
  if (o->role_server) {
    if (!o->cert && !o->psk_key) usage_error("server needs --cert and --key, or a PSK");
    if (o->client_auth && !o->ca) usage_error("--client-auth needs --ca");
  } else {
    if (!o->ca) usage_error("client needs --ca");
    if (o->have_resume_groups && !o->resume) usage_error("--resume-groups needs --resume");
    for (int i = 0; i < o->n_shares && o->have_groups; i++) {
      int found = 0;
      for (int j = 0; j < o->n_groups; j++) found |= o->groups[j] == o->shares[i];
      if (!found) usage_error("--key-shares %s is not in --groups", o->shares[i]->name);
    }
  }
}

/* What NSS cannot do at all (exit 127), after the usage checks. */
static void check_supported(Options *o) {
  const Name **lists[] = {o->groups, o->shares, o->resume_groups};
  int counts[] = {o->n_groups, o->n_shares, o->n_resume_groups};
  for (int l = 0; l < 3; l++)
    for (int i = 0; i < counts[l]; i++)
      if (!lists[l][i]->available)
        unsupported("lacks", "NSS %s has no group %s", NSS_VERSION, lists[l][i]->name);
  for (int i = 0; i < o->n_schemes; i++)
    if (!o->schemes[i]->available)
      unsupported("lacks", "NSS %s has no signature scheme %s", NSS_VERSION, o->schemes[i]->name);
  if (o->psk_import) unsupported("lacks", "NSS has no RFC 9258 PSK importer");
  if (o->cert_with_psk) unsupported("lacks", "NSS does not implement RFC 9973 (cert_with_extern_psk)");
  /* Measured with 3.110 and 3.132: a server holding only the PSK answers a matching
   * ClientHello with handshake_failure (SSL_ERROR_NO_CERTIFICATE); with a certificate beside
   * it the same PSK is negotiated. selfserv, too, always requires a certificate. */
  if (o->role_server && o->psk_key && !o->cert)
    unsupported("lacks", "an NSS server negotiates an external PSK only with a certificate configured as well");
  if (o->psk_mode && !strcmp(o->psk_mode, "ke"))
    unsupported("lacks", "NSS offers and accepts PSKs only with psk_dhe_ke");
  if (!o->role_server && o->have_shares) {
    /* NSS sends shares for the first N groups of its list (SSL_SendAdditionalKeyShares). */
    if (o->n_shares == 0) unsupported("lacks", "NSS always sends a key share for its first group");
    if (!o->have_groups) unsupported("shim", "--key-shares needs --groups (NSS shares a prefix of its group list)");
    for (int i = 0; i < o->n_shares; i++)
      if (o->shares[i] != o->groups[i])
        unsupported("lacks", "NSS sends key shares only for the first groups of --groups, in order");
  }
}

/* ------------------------------------------------------------------ files */

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) usage_error("cannot read %s: %s", path, strerror(errno));
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  char *text = malloc(size + 1);
  if (fread(text, 1, size, f) != (size_t)size) usage_error("cannot read %s", path);
  text[size] = 0;
  fclose(f);
  return text;
}

/* Every "-----BEGIN <label>-----" block of a PEM file as DER, in order. */
static int pem_blocks(const char *flag, const char *path, const char *label, SECItem *out,
                      int max) {
  char *text = read_text(path), *p = text;
  char begin[64], end[64];
  snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
  snprintf(end, sizeof end, "-----END %s-----", label);
  int n = 0;
  while ((p = strstr(p, begin)) && n < max) {
    p += strlen(begin);
    char *stop = strstr(p, end);
    if (!stop) usage_error("--%s %s: unterminated %s block", flag, path, label);
    *stop = 0;
    out[n].data = NULL;
    if (ATOB_ConvertAsciiToItem(&out[n], p) != SECSuccess)
      usage_error("--%s %s: bad base64 in %s block", flag, path, label);
    n++;
    p = stop + 1;
  }
  free(text);
  if (n == 0) usage_error("--%s %s holds no %s block", flag, path, label);
  return n;
}

/* ------------------------------------------------------------------ credentials */

static const char *key_type(CERTCertificate *cert);

typedef struct {
  CERTCertificate *leaf;
  SECKEYPrivateKey *key;
  CERTCertificateList *chain; /* leaf first, then --chain without the leaf */
} Credential;

static CERTCertificate *decode_cert(SECItem *der, const char *flag) {
  CERTCertificate *cert = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), der, NULL, PR_FALSE, PR_TRUE);
  if (!cert) usage_error("--%s: NSS cannot read the certificate: %s", flag, nss_error());
  return cert;
}

/* --ca: trusted for issuing server and client certificates. NSS's own check
 * (SSL_AuthCertificate: CERT_VerifyCert plus the name) then judges the peer, as it does for
 * any NSS application that keeps the default hook. */
static void load_trust_anchors(const char *path) {
  SECItem ders[32];
  int n = pem_blocks("ca", path, "CERTIFICATE", ders, 32);
  CERTCertTrust trust;
  CERT_DecodeTrustString(&trust, "CT,C,C");
  for (int i = 0; i < n; i++)
    if (CERT_ChangeCertTrust(CERT_GetDefaultCertDB(), decode_cert(&ders[i], "ca"), &trust) != SECSuccess)
      fatal_setup("CERT_ChangeCertTrust");
}

/* The certificate list SSL_ConfigServerCert sends: exactly the leaf plus --chain. */
static CERTCertificateList *chain_list(SECItem *leaf, SECItem *extra, int n_extra) {
  PLArenaPool *arena = PORT_NewArena(4096);
  CERTCertificateList *list = PORT_ArenaZNew(arena, CERTCertificateList);
  list->arena = arena;
  list->certs = PORT_ArenaZNewArray(arena, SECItem, n_extra + 1);
  SECITEM_CopyItem(arena, &list->certs[list->len++], leaf);
  for (int i = 0; i < n_extra; i++)
    if (SECITEM_CompareItem(&extra[i], leaf) != SECEqual)
      SECITEM_CopyItem(arena, &list->certs[list->len++], &extra[i]);
  return list;
}

static int load_credential(Options *o, Credential *c) {
  if (!o->cert) return 0;
  SECItem leaf[1], key[1], extra[16];
  pem_blocks("cert", o->cert, "CERTIFICATE", leaf, 1);
  pem_blocks("key", o->key, "PRIVATE KEY", key, 1);
  int n_extra = o->chain ? pem_blocks("chain", o->chain, "CERTIFICATE", extra, 16) : 0;
  c->leaf = decode_cert(&leaf[0], "cert");
  /* libssl signs with no Ed25519 scheme: as a client NSS would silently send no certificate. */
  if (key_type(c->leaf) && !strcmp(key_type(c->leaf), "ed25519"))
    unsupported("lacks", "NSS %s libssl has no Ed25519 signature scheme", NSS_VERSION);
  c->chain = chain_list(&leaf[0], extra, n_extra);
  PK11SlotInfo *slot = PK11_GetInternalKeySlot();
  SECItem nickname = {siBuffer, (unsigned char *)"pqi", 3};
  if (PK11_ImportDERPrivateKeyInfoAndReturnKey(slot, &key[0], &nickname, NULL, PR_FALSE, PR_TRUE,
                                               KU_ALL, &c->key, NULL) != SECSuccess)
    unsupported("lacks", "NSS %s cannot import the --key %s: %s", NSS_VERSION, o->key, nss_error());
  PK11_FreeSlot(slot);
  return 1;
}

/* ------------------------------------------------------------------ certificate facts */

/* keyType in the contract's words, from the SubjectPublicKeyInfo's algorithm (and curve). */
static const char *key_type(CERTCertificate *cert) {
  static const unsigned char ec[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
  static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  static const unsigned char p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
  static const unsigned char ed25519[] = {0x2b, 0x65, 0x70};
  static const unsigned char rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
  static const unsigned char mldsa[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03};
  SECAlgorithmID *alg = &cert->subjectPublicKeyInfo.algorithm;
  SECItem *oid = &alg->algorithm, *params = &alg->parameters;
#define IS(item, bytes) ((item)->len == sizeof(bytes) && !memcmp((item)->data, bytes, sizeof(bytes)))
  if (IS(oid, ec)) return IS(params, p256) ? "ecdsa-p256" : IS(params, p384) ? "ecdsa-p384" : NULL;
  if (IS(oid, ed25519)) return "ed25519";
  if (IS(oid, rsa)) {
    SECKEYPublicKey *pub = CERT_ExtractPublicKey(cert);
    unsigned bits = pub ? SECKEY_PublicKeyStrengthInBits(pub) : 0;
    if (pub) SECKEY_DestroyPublicKey(pub);
    return bits == 2048 ? "rsa2048" : NULL;
  }
  if (oid->len == sizeof(mldsa) + 1 && !memcmp(oid->data, mldsa, sizeof(mldsa))) {
    switch (oid->data[sizeof(mldsa)]) {
      case 17: return "mldsa44";
      case 18: return "mldsa65";
      case 19: return "mldsa87";
    }
  }
#undef IS
  return NULL;
}

/* ------------------------------------------------------------------ the JSON line */

typedef struct {
  char buf[8192];
  size_t len;
} Json;

static void json_raw(Json *j, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(j->buf + j->len, sizeof j->buf - j->len, fmt, ap);
  va_end(ap);
  if (n > 0) j->len += (size_t)n < sizeof j->buf - j->len ? (size_t)n : sizeof j->buf - j->len - 1;
}

static void json_string(Json *j, const char *s) {
  json_raw(j, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') json_raw(j, "\\%c", c);
    else if (c < 0x20) json_raw(j, "\\u%04x", c);
    else json_raw(j, "%c", c);
  }
  json_raw(j, "\"");
}

static void json_field(Json *j, const char *key, const char *value) {
  json_raw(j, ",\"%s\":", key);
  if (value) json_string(j, value);
  else json_raw(j, "null");
}

static void json_bool(Json *j, const char *key, int value) {
  json_raw(j, ",\"%s\":%s", key, value < 0 ? "null" : value ? "true" : "false");
}

static void json_cert(Json *j, const char *key, CERTCertificate *cert) {
  if (!cert) {
    json_raw(j, ",\"%s\":null", key);
    return;
  }
  char *subject = CERT_NameToAscii(&cert->subject);
  json_raw(j, ",\"%s\":{\"subject\":", key);
  json_string(j, subject ? subject : "");
  json_raw(j, ",\"keyType\":");
  const char *type = key_type(cert);
  if (type) json_string(j, type);
  else json_raw(j, "null");
  json_raw(j, "}");
  PORT_Free(subject);
}

/* ------------------------------------------------------------------ one connection's state */

typedef struct {
  int alert_code;        /* first fatal alert, -1 none */
  int alert_sent;        /* 1 sent, 0 received */
  int client_hellos;     /* ClientHellos this client wrote: 2 means a HelloRetryRequest */
  int second_hello;      /* server: NSS saw a second ClientHello (after its HRR) */
  int early_offered;     /* client: 0-RTT data went out */
  int timed_out;
  char error[600];
  int handshake_done;
  double handshake_ms;
  const char *echo;      /* matched | mismatched | none, client only */
  PRUint8 *token;        /* resumption token from the server's ticket */
  unsigned token_len;
} Conn;

static Conn *current; /* the connection the alarm belongs to */
static int current_os_fd = -1;

static void set_error(Conn *c, const char *fmt, ...) {
  if (c->error[0]) return; /* the first failure is the one that matters */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->error, sizeof c->error, fmt, ap);
  va_end(ap);
}

/* SIGALRM: the peer went silent. Shutting the socket down makes the blocked NSS call fail. */
static void on_timeout(int sig) {
  (void)sig;
  if (current) current->timed_out = 1;
  if (current_os_fd >= 0) shutdown(current_os_fd, SHUT_RDWR);
}

static void watch(Conn *c, PRFileDesc *tcp) {
  current = c;
  current_os_fd = PR_FileDesc2NativeHandle(tcp);
  alarm(CONNECTION_TIMEOUT_S);
}

static void unwatch(void) {
  alarm(0);
  current = NULL;
  current_os_fd = -1;
}

static void on_alert(const PRFileDesc *fd, void *arg, const SSLAlert *alert, int sent) {
  (void)fd;
  Conn *c = arg;
  /* close_notify is a warning; the first fatal alert is what ended the connection. */
  if (alert->level == 2 /* fatal */ && c->alert_code < 0) {
    c->alert_code = alert->description;
    c->alert_sent = sent;
  }
}
static void on_alert_sent(const PRFileDesc *fd, void *arg, const SSLAlert *alert) { on_alert(fd, arg, alert, 1); }
static void on_alert_received(const PRFileDesc *fd, void *arg, const SSLAlert *alert) { on_alert(fd, arg, alert, 0); }

/* An extension nobody sends: NSS calls its writer once per ClientHello it builds, so two
 * calls mean a HelloRetryRequest made NSS send a second one. It never writes anything. */
#define HELLO_COUNTER_EXTENSION 0xfe5a
static PRBool count_client_hello(PRFileDesc *fd, SSLHandshakeType message, PRUint8 *data,
                                 unsigned int *len, unsigned int max, void *arg) {
  (void)fd, (void)data, (void)len, (void)max;
  if (message == ssl_hs_client_hello) ((Conn *)arg)->client_hellos++;
  return PR_FALSE;
}

/* NSS wants a handler beside the writer; the extension is never sent, so an answer to it is
 * unsolicited (RFC 8446 4.2: unsupported_extension). */
static SECStatus refuse_hello_counter(PRFileDesc *fd, SSLHandshakeType message,
                                      const PRUint8 *data, unsigned int len,
                                      SSLAlertDescription *alert, void *arg) {
  (void)fd, (void)message, (void)data, (void)len, (void)arg;
  *alert = 110;
  return SECFailure;
}

/* Server: NSS asks on every ClientHello; firstHello false means its HRR was answered. */
static SSLHelloRetryRequestAction on_client_hello(PRBool first, const PRUint8 *token,
                                                  unsigned int token_len, PRUint8 *retry,
                                                  unsigned int *retry_len, unsigned int max,
                                                  void *arg) {
  (void)token, (void)token_len, (void)retry, (void)max;
  *retry_len = 0;
  if (!first) ((Conn *)arg)->second_hello = 1;
  return ssl_hello_retry_accept;
}

static SECStatus on_resumption_token(PRFileDesc *fd, const PRUint8 *token, unsigned int len,
                                     void *arg) {
  (void)fd;
  Conn *c = arg;
  free(c->token);
  c->token = malloc(len);
  memcpy(c->token, token, len);
  c->token_len = len;
  return SECSuccess;
}

/* ------------------------------------------------------------------ socket configuration */

static Options opts;
static Credential credential;
static int have_credential;

/* Client certificate on request: the one from --cert/--key, when given. */
static SECStatus client_auth_data(void *arg, PRFileDesc *fd, CERTDistNames *ca_names,
                                  CERTCertificate **cert, SECKEYPrivateKey **key) {
  (void)arg, (void)fd, (void)ca_names;
  if (!have_credential) return SECFailure;
  *cert = CERT_DupCertificate(credential.leaf);
  *key = SECKEY_CopyPrivateKey(credential.key);
  return SECSuccess;
}

static void check(SECStatus rv, const char *what) {
  if (rv != SECSuccess) fatal_setup(what);
}

/* --prefer-hrr. NSS has no switch for it: its server takes the first group of its list the
 * client shares, except that when the client has no share for the first group it also takes
 * a share for the *next* group if that one is about as strong (tls13_isGroupAcceptable: within
 * 2 bits, and NSS rates x25519 at 255 bits and every hybrid at 256). It asks for its first
 * group by HelloRetryRequest when the next group has no share. So with --prefer-hrr the
 * server's list gets secp521r1, a group no contract configuration shares, in second place:
 * NSS then asks for its first choice whenever the client did not share it. */
static const SSLNamedGroup HRR_SPACER = ssl_grp_ec_secp521r1;

static void configure_groups(PRFileDesc *ssl, const Name **groups, int n) {
  SSLNamedGroup list[17];
  int len = 0;
  for (int i = 0; i < n; i++) {
    list[len++] = (SSLNamedGroup)groups[i]->code;
    if (i == 0 && n > 1 && opts.role_server && opts.prefer_hrr) list[len++] = HRR_SPACER;
  }
  check(SSL_NamedGroupConfig(ssl, list, len), "SSL_NamedGroupConfig");
}

/* --cipher-suites: only these TLS 1.3 suites, in this order. */
static void configure_suites(PRFileDesc *ssl) {
  PRUint16 order[4];
  for (const Name *s = SUITES; s->name; s++) {
    int on = 0;
    for (int i = 0; i < opts.n_suites; i++) on |= opts.suites[i] == s;
    check(SSL_CipherPrefSet(ssl, s->code, on), "SSL_CipherPrefSet");
  }
  for (int i = 0; i < opts.n_suites; i++) order[i] = opts.suites[i]->code;
  check(SSL_CipherSuiteOrderSet(ssl, order, opts.n_suites), "SSL_CipherSuiteOrderSet");
}

static void configure_schemes(PRFileDesc *ssl) {
  SSLSignatureScheme list[16];
  for (int i = 0; i < opts.n_schemes; i++) list[i] = (SSLSignatureScheme)opts.schemes[i]->code;
  check(SSL_SignatureSchemePrefSet(ssl, list, opts.n_schemes), "SSL_SignatureSchemePrefSet");
}

static void configure_psk(PRFileDesc *ssl) {
  size_t len = strlen(opts.psk_key) / 2;
  unsigned char *bytes = malloc(len);
  for (size_t i = 0; i < len; i++) sscanf(opts.psk_key + 2 * i, "%2hhx", &bytes[i]);
  SECItem item = {siBuffer, bytes, (unsigned)len};
  PK11SlotInfo *slot = PK11_GetInternalSlot();
  /* HKDF needs a generic secret key; the PSK is just bytes to NSS. */
  PK11SymKey *key = PK11_ImportSymKey(slot, CKM_HKDF_DERIVE, PK11_OriginUnwrap, CKA_DERIVE, &item, NULL);
  if (!key) fatal_setup("PK11_ImportSymKey (PSK)");
  SSLHashType hash = opts.psk_hash && !strcmp(opts.psk_hash, "sha384") ? ssl_hash_sha384 : ssl_hash_sha256;
  check(SSL_AddExternalPsk(ssl, key, (const PRUint8 *)opts.psk_identity,
                           strlen(opts.psk_identity), hash),
        "SSL_AddExternalPsk");
  PK11_FreeSymKey(key);
  PK11_FreeSlot(slot);
  free(bytes);
}

/* What both roles set: TLS 1.3 only, and the contract's flags. A server configures one model
 * socket this way before it listens (accepted sockets copy it); a client each connection. */
static PRFileDesc *configured_socket(PRFileDesc *tcp, const Name **groups, int n_groups,
                                     int have_groups) {
  PRFileDesc *ssl = SSL_ImportFD(NULL, tcp);
  if (!ssl) fatal_setup("SSL_ImportFD");
  SSLVersionRange tls13 = {SSL_LIBRARY_VERSION_TLS_1_3, SSL_LIBRARY_VERSION_TLS_1_3};
  check(SSL_VersionRangeSet(ssl, &tls13), "SSL_VersionRangeSet");
  check(SSL_OptionSet(ssl, SSL_SECURITY, PR_TRUE), "SSL_SECURITY");
  check(SSL_OptionSet(ssl, opts.role_server ? SSL_HANDSHAKE_AS_SERVER : SSL_HANDSHAKE_AS_CLIENT, PR_TRUE), "role");
  if (have_groups) configure_groups(ssl, groups, n_groups);
  if (opts.have_suites) configure_suites(ssl);
  if (opts.have_schemes) configure_schemes(ssl);
  if (opts.psk_key) configure_psk(ssl);
  return ssl;
}

/* The callbacks that report on one connection. */
static void watch_alerts(PRFileDesc *ssl, Conn *c) {
  check(SSL_AlertSentCallback(ssl, on_alert_sent, c), "SSL_AlertSentCallback");
  check(SSL_AlertReceivedCallback(ssl, on_alert_received, c), "SSL_AlertReceivedCallback");
}

/* ------------------------------------------------------------------ reading and writing */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int write_all(PRFileDesc *ssl, const char *data, int len) {
  while (len > 0) {
    int n = PR_Write(ssl, data, len);
    if (n <= 0) return -1;
    data += n, len -= n;
  }
  return 0;
}

/* Reads until `stop` appears (or the peer closes); returns the bytes read, -1 on an error. */
static int read_until(PRFileDesc *ssl, char *buf, int max, const char *stop) {
  int len = 0;
  buf[0] = 0;
  while (len < max - 1) {
    int n = PR_Read(ssl, buf + len, max - 1 - len);
    if (n == 0) break;
    if (n < 0) return len > 0 ? len : -1;
    len += n;
    buf[len] = 0;
    if (stop && strstr(buf, stop)) break;
  }
  return len;
}

/* Sends close_notify and waits (bounded) for the peer's close, so nothing is cut short. */
static void close_in_order(PRFileDesc *ssl) {
  char sink[256];
  PR_Shutdown(ssl, PR_SHUTDOWN_SEND);
  while (PR_Read(ssl, sink, sizeof sink) > 0) {
  }
}

/* ------------------------------------------------------------------ reporting */

static void report(PRFileDesc *ssl, Conn *c) {
  SSLChannelInfo info;
  int have_info = c->handshake_done &&
                  SSL_GetChannelInfo(ssl, &info, sizeof info) == SECSuccess && info.length > 0;
  int ok = c->handshake_done && c->alert_code < 0 && !c->error[0] && !c->timed_out;
  if (c->timed_out) set_error(c, "no progress for %d s; connection closed", CONNECTION_TIMEOUT_S);
  Json j = {.len = 0};
  json_raw(&j, "{\"ok\":%s", ok ? "true" : "false");
  json_field(&j, "version", have_info && info.protocolVersion == SSL_LIBRARY_VERSION_TLS_1_3 ? "TLSv1.3" : NULL);
  const char *group = have_info && info.keaGroup != ssl_grp_none ? name_of(GROUPS, info.keaGroup) : NULL;
  json_field(&j, "group", group);
  json_field(&j, "cipherSuite", have_info ? name_of(SUITES, info.cipherSuite) : NULL);
  /* The client counts its ClientHellos; the server knows when NSS asked about a second one. */
  json_bool(&j, "helloRetryRequest", !c->handshake_done ? -1 : opts.role_server ? c->second_hello : c->client_hellos > 1);
  json_bool(&j, "resumed", have_info ? info.resumed : -1);
  /* NSS implements only psk_dhe_ke (it insists on a key share for every PSK). */
  int psk = have_info && info.pskType != ssl_psk_none;
  json_field(&j, "pskMode", psk ? "psk_dhe_ke" : NULL);
  /* NSS holds one external PSK per socket, so an external PSK handshake used ours. */
  json_field(&j, "pskIdentity", have_info && info.pskType == ssl_psk_external ? opts.psk_identity : NULL);
  if (!opts.role_server && c->early_offered)
    json_field(&j, "earlyData", have_info ? (info.earlyDataAccepted ? "accepted" : "rejected") : NULL);
  else if (opts.role_server && have_info && info.earlyDataAccepted)
    json_field(&j, "earlyData", "accepted");
  else
    json_field(&j, "earlyData", NULL);
  json_bool(&j, "certWithPsk", have_info ? 0 : -1);
  /* Only a full handshake has a CertificateVerify; NSS would repeat the original's scheme. */
  const char *scheme = have_info && !psk ? name_of(SCHEMES, info.signatureScheme) : NULL;
  json_field(&j, "signatureScheme", scheme);
  CERTCertificate *peer = c->handshake_done ? SSL_PeerCertificate(ssl) : NULL;
  json_cert(&j, "peerCertificate", peer);
  if (peer) CERT_DestroyCertificate(peer);
  CERTCertificate *mine = c->handshake_done ? SSL_LocalCertificate(ssl) : NULL;
  json_cert(&j, "certificate", mine);
  if (mine) CERT_DestroyCertificate(mine);
  if (!opts.role_server) json_field(&j, "echo", c->echo);
  const char *alert = c->alert_code >= 0 ? name_of(ALERTS, c->alert_code) : NULL;
  json_field(&j, "alert", alert);
  json_field(&j, "alertDirection", c->alert_code >= 0 ? (c->alert_sent ? "sent" : "received") : NULL);
  if (c->alert_code >= 0 && !alert) set_error(c, "alert %d", c->alert_code);
  json_field(&j, "error", c->error[0] ? c->error : NULL);
  if (c->handshake_done) json_raw(&j, ",\"handshakeMs\":%.2f", c->handshake_ms);
  else json_raw(&j, ",\"handshakeMs\":null");
  json_raw(&j, "}\n");
  fputs(j.buf, stdout);
  fflush(stdout);
}

static int conn_ok(Conn *c) {
  return c->handshake_done && c->alert_code < 0 && !c->error[0] && !c->timed_out;
}

/* ------------------------------------------------------------------ server */

/* 0-RTT anti-replay. A new context rejects all 0-RTT for its first window, in case this
 * server accepted ClientHellos before a restart. This process's ticket keys are its own (no
 * ticket from before it started can be read), so the context is started one window in the
 * past and 0-RTT can be accepted from the first connection. Tickets may be 5 s off in age. */
#define ANTI_REPLAY_WINDOW (10 * PR_USEC_PER_SEC)
static SSLAntiReplayContext *anti_replay;

/* The model socket every accepted connection copies (ssl_DupSocket copies the certificate,
 * groups, suites, schemes, PSK, options and anti-replay context). Built before listening, so
 * a certificate NSS cannot use is refused before the runner starts a client. */
static PRFileDesc *server_model(void) {
  PRFileDesc *ssl = configured_socket(PR_OpenTCPSocket(PR_AF_INET), opts.groups, opts.n_groups,
                                      opts.have_groups);
  if (have_credential) {
    SSLExtraServerCertData extra;
    memset(&extra, 0, sizeof extra);
    extra.authType = ssl_auth_null;
    extra.certChain = credential.chain;
    if (SSL_ConfigServerCert(ssl, credential.leaf, credential.key, &extra, sizeof extra) != SECSuccess)
      unsupported("lacks", "NSS %s libssl cannot serve the %s certificate (SSL_ConfigServerCert: %s)",
                  NSS_VERSION, key_type(credential.leaf) ? key_type(credential.leaf) : "given",
                  nss_error());
  }
  if (opts.client_auth) {
    check(SSL_OptionSet(ssl, SSL_REQUEST_CERTIFICATE, PR_TRUE), "SSL_REQUEST_CERTIFICATE");
    check(SSL_OptionSet(ssl, SSL_REQUIRE_CERTIFICATE, SSL_REQUIRE_ALWAYS), "SSL_REQUIRE_CERTIFICATE");
  }
  /* NSS sends one ticket after the handshake when tickets are on; more are sent by hand. */
  check(SSL_OptionSet(ssl, SSL_ENABLE_SESSION_TICKETS, opts.tickets > 0), "SSL_ENABLE_SESSION_TICKETS");
  check(SSL_OptionSet(ssl, SSL_NO_CACHE, opts.tickets == 0), "SSL_NO_CACHE");
  if (opts.max_early_data > 0) {
    check(SSL_OptionSet(ssl, SSL_ENABLE_0RTT_DATA, PR_TRUE), "SSL_ENABLE_0RTT_DATA");
    check(SSL_SetMaxEarlyDataSize(ssl, opts.max_early_data), "SSL_SetMaxEarlyDataSize");
    check(SSL_SetAntiReplayContext(ssl, anti_replay), "SSL_SetAntiReplayContext");
  }
  return ssl;
}

/* The handshake; 0-RTT data NSS hands over before it completes is read and dropped (the
 * contract echoes only the line after it). */
static int server_handshake(PRFileDesc *ssl) {
  char early[4096];
  for (;;) {
    if (SSL_ForceHandshake(ssl) == SECSuccess) return 0;
    if (PR_GetError() != PR_WOULD_BLOCK_ERROR) return -1;
    if (PR_Read(ssl, early, sizeof early) < 0 && PR_GetError() != PR_WOULD_BLOCK_ERROR) return -1;
  }
}

static void server_exchange(PRFileDesc *ssl, Conn *c) {
  static char buf[MAX_LINE];
  if (opts.http) {
    int n = read_until(ssl, buf, sizeof buf, "\r\n\r\n");
    char *path = n > 0 && !strncmp(buf, "GET /", 5) ? buf + 5 : NULL;
    if (!path) {
      set_error(c, n < 0 ? "reading the request: %s" : "no GET request", nss_error());
      return;
    }
    path[strcspn(path, " \r\n")] = 0;
    char head[256];
    int len = snprintf(head, sizeof head,
                       "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %zu\r\n"
                       "connection: close\r\n\r\n", strlen(path));
    if (write_all(ssl, head, len) || write_all(ssl, path, strlen(path)))
      set_error(c, "writing the response: %s", nss_error());
    return;
  }
  int n = read_until(ssl, buf, sizeof buf, "\n");
  if (n < 0) {
    set_error(c, "reading the line: %s", nss_error());
    return;
  }
  char *nl = strchr(buf, '\n');
  if (!nl && n == 0) return; /* the client sent nothing: nothing to echo */
  if (nl) nl[1] = 0;
  else strcat(buf, "\n");
  if (write_all(ssl, buf, strlen(buf))) set_error(c, "writing the echo: %s", nss_error());
}

/* The exchange is a few small records each way: without TCP_NODELAY, Nagle's algorithm and
 * the peer's delayed ACK add tens of milliseconds to every run. */
static void no_delay(PRFileDesc *tcp) {
  PRSocketOptionData opt = {.option = PR_SockOpt_NoDelay, .value.no_delay = PR_TRUE};
  PR_SetSocketOption(tcp, &opt);
}

static int serve_one(PRFileDesc *model, PRFileDesc *tcp) {
  Conn c = {.alert_code = -1};
  no_delay(tcp);
  PRFileDesc *ssl = SSL_ImportFD(model, tcp);
  if (!ssl) fatal_setup("SSL_ImportFD");
  watch_alerts(ssl, &c);
  /* Not copied from the model: it reports on this connection. */
  check(SSL_HelloRetryRequestCallback(ssl, on_client_hello, &c), "SSL_HelloRetryRequestCallback");
  check(SSL_ResetHandshake(ssl, PR_TRUE), "SSL_ResetHandshake");
  watch(&c, tcp);
  double t0 = now_ms();
  if (server_handshake(ssl) == 0) {
    c.handshake_ms = now_ms() - t0;
    c.handshake_done = 1;
    /* NSS sent one ticket itself (SSL_ENABLE_SESSION_TICKETS); the rest on demand. */
    for (int i = 1; i < opts.tickets; i++)
      if (SSL_SendSessionTicket(ssl, NULL, 0) != SECSuccess) {
        set_error(&c, "SSL_SendSessionTicket: %s", nss_error());
        break;
      }
    server_exchange(ssl, &c);
    close_in_order(ssl);
  } else {
    set_error(&c, "%s", nss_error());
  }
  unwatch();
  report(ssl, &c);
  PR_Close(ssl);
  return conn_ok(&c);
}

static PRFileDesc *listen_loopback(int port) {
  PRFileDesc *sock = PR_OpenTCPSocket(PR_AF_INET);
  PRNetAddr addr;
  PRSocketOptionData reuse = {.option = PR_SockOpt_Reuseaddr, .value.reuse_addr = PR_TRUE};
  PR_SetSocketOption(sock, &reuse);
  PR_SetNetAddr(PR_IpAddrLoopback, PR_AF_INET, (PRUint16)port, &addr);
  if (PR_Bind(sock, &addr) != PR_SUCCESS || PR_Listen(sock, 16) != PR_SUCCESS) {
    fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d: %s\n", role_name, port, nss_error());
    exit(2);
  }
  PR_GetSockName(sock, &addr);
  fprintf(stderr, "listening on 127.0.0.1:%d\n", PR_ntohs(addr.inet.port));
  fflush(stderr);
  return sock;
}

static int run_server(void) {
  /* NSS refuses server handshakes until a session cache exists (it also keeps tickets' keys). */
  check(SSL_ConfigServerSessionIDCache(64, 0, 0, NULL), "SSL_ConfigServerSessionIDCache");
  if (opts.max_early_data > 0)
    check(SSL_CreateAntiReplayContext(PR_Now() - ANTI_REPLAY_WINDOW, ANTI_REPLAY_WINDOW, 7, 14,
                                      &anti_replay),
          "SSL_CreateAntiReplayContext");
  PRFileDesc *model = server_model();
  PRFileDesc *listener = listen_loopback(opts.port);
  int all_ok = 1;
  for (int served = 0; opts.count < 0 || served < opts.count; served++) {
    PRFileDesc *tcp = PR_Accept(listener, NULL, PR_INTERVAL_NO_TIMEOUT);
    if (!tcp) fatal_setup("PR_Accept");
    all_ok &= serve_one(model, tcp);
  }
  PR_Close(listener);
  return all_ok ? 0 : 1;
}

/* ------------------------------------------------------------------ client */

/* 0-RTT. NSS writes early data only while the handshake is unfinished, and a blocking
 * socket would finish it first. So on a non-blocking socket: the first write sends the
 * ClientHello (and would block for the ServerHello); if NSS then says early data may go,
 * the second write sends the text as 0-RTT. Returns 1 when the text went out as early data. */
static int send_early(PRFileDesc *ssl, Conn *c) {
  PRSocketOptionData nb = {.option = PR_SockOpt_Nonblocking, .value.non_blocking = PR_TRUE};
  PR_SetSocketOption(ssl, &nb);
  int len = (int)strlen(opts.early_data);
  int n = PR_Write(ssl, opts.early_data, len);
  SSLPreliminaryChannelInfo pre;
  if (n < 0 && PR_GetError() == PR_WOULD_BLOCK_ERROR &&
      SSL_GetPreliminaryChannelInfo(ssl, &pre, sizeof pre) == SECSuccess && pre.canSendEarlyData)
    n = PR_Write(ssl, opts.early_data, len);
  nb.value.non_blocking = PR_FALSE;
  PR_SetSocketOption(ssl, &nb);
  c->early_offered = n == len;
  return c->early_offered;
}

static void client_exchange(PRFileDesc *ssl, Conn *c, const char *message) {
  static char buf[MAX_LINE];
  if (opts.http) {
    char request[4096];
    int len = snprintf(request, sizeof request,
                       "GET /%s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", message);
    if (write_all(ssl, request, len)) {
      set_error(c, "writing the request: %s", nss_error());
      return;
    }
    int n = read_until(ssl, buf, sizeof buf, NULL);
    char *body = n > 0 ? strstr(buf, "\r\n\r\n") : NULL;
    c->echo = !body ? "none" : strcmp(body + 4, message) == 0 ? "matched" : "mismatched";
    return;
  }
  size_t mlen = strlen(message);
  char *line = malloc(mlen + 2);
  memcpy(line, message, mlen);
  memcpy(line + mlen, "\n", 2);
  if (write_all(ssl, line, (int)mlen + 1)) {
    set_error(c, "writing the line: %s", nss_error());
    free(line);
    return;
  }
  free(line);
  int n = read_until(ssl, buf, sizeof buf, "\n");
  if (n <= 0) {
    c->echo = "none";
    if (n < 0) set_error(c, "reading the echo: %s", nss_error());
    return;
  }
  buf[strcspn(buf, "\n")] = 0;
  /* A server that keeps rejected-then-resent early text in the stream echoes it first. */
  int matched = !strcmp(buf, message);
  if (!matched && opts.early_data) {
    size_t elen = strlen(opts.early_data);
    matched = !strncmp(buf, opts.early_data, elen) && !strcmp(buf + elen, message);
  }
  c->echo = matched ? "matched" : "mismatched";
}

static PRFileDesc *connect_loopback(Conn *c) {
  PRFileDesc *tcp = PR_OpenTCPSocket(PR_AF_INET);
  PRNetAddr addr;
  PR_SetNetAddr(PR_IpAddrLoopback, PR_AF_INET, (PRUint16)opts.port, &addr);
  if (PR_Connect(tcp, &addr, PR_SecondsToInterval(CONNECTION_TIMEOUT_S)) != PR_SUCCESS) {
    set_error(c, "cannot connect: %s", nss_error());
    PR_Close(tcp);
    return NULL;
  }
  no_delay(tcp);
  return tcp;
}

/* One connection; `resume_from` holds the first connection's ticket on the second. */
static int connect_once(Conn *c, Conn *resume_from) {
  c->alert_code = -1;
  PRFileDesc *tcp = connect_loopback(c);
  if (!tcp) {
    printf("{\"ok\":false,\"error\":");
    Json j = {.len = 0};
    json_string(&j, c->error);
    printf("%s}\n", j.buf);
    fflush(stdout);
    return 0;
  }
  int second = resume_from != NULL;
  const Name **groups = second && opts.have_resume_groups ? opts.resume_groups : opts.groups;
  int n_groups = second && opts.have_resume_groups ? opts.n_resume_groups : opts.n_groups;
  int have_groups = (second && opts.have_resume_groups) || opts.have_groups;
  PRFileDesc *ssl = configured_socket(tcp, groups, n_groups, have_groups);
  watch_alerts(ssl, c);
  /* --key-shares is a prefix of --groups (checked): shares for the first N groups. A new
   * group list on the resumed connection gets NSS's default, one share. */
  if (opts.have_shares && !(second && opts.have_resume_groups))
    check(SSL_SendAdditionalKeyShares(ssl, opts.n_shares - 1), "SSL_SendAdditionalKeyShares");
  check(SSL_InstallExtensionHooks(ssl, HELLO_COUNTER_EXTENSION, count_client_hello, c, refuse_hello_counter, NULL),
        "SSL_InstallExtensionHooks");
  check(SSL_SetURL(ssl, opts.server_name ? opts.server_name : "127.0.0.1"), "SSL_SetURL");
  if (have_credential) check(SSL_GetClientAuthDataHook(ssl, client_auth_data, NULL), "SSL_GetClientAuthDataHook");
  if (opts.resume) check(SSL_SetResumptionTokenCallback(ssl, on_resumption_token, c), "SSL_SetResumptionTokenCallback");
  int early = second && opts.early_data;
  if (early) check(SSL_OptionSet(ssl, SSL_ENABLE_0RTT_DATA, PR_TRUE), "SSL_ENABLE_0RTT_DATA");
  check(SSL_ResetHandshake(ssl, PR_FALSE), "SSL_ResetHandshake");
  /* After the reset, which would drop it again. */
  if (second && resume_from->token &&
      SSL_SetResumptionToken(ssl, resume_from->token, resume_from->token_len) != SECSuccess)
    set_error(c, "SSL_SetResumptionToken: %s", nss_error());

  watch(c, tcp);
  double t0 = now_ms();
  int early_written = early ? send_early(ssl, c) : 0;
  if (SSL_ForceHandshake(ssl) == SECSuccess) {
    c->handshake_ms = now_ms() - t0;
    c->handshake_done = 1;
    SSLChannelInfo info;
    int accepted = SSL_GetChannelInfo(ssl, &info, sizeof info) == SECSuccess && info.earlyDataAccepted;
    /* Early text that did not go as 0-RTT (or was rejected) is sent after the handshake. */
    if (early && (!early_written || !accepted) &&
        write_all(ssl, opts.early_data, (int)strlen(opts.early_data)))
      set_error(c, "writing the early text: %s", nss_error());
    client_exchange(ssl, c, opts.message ? opts.message : "hello");
    close_in_order(ssl);
  } else {
    set_error(c, "%s", nss_error());
  }
  unwatch();
  report(ssl, c);
  PR_Close(ssl);
  int ok = conn_ok(c);
  if (opts.expect_echo && (!c->echo || strcmp(c->echo, "matched"))) ok = 0;
  return ok;
}

static int run_client(void) {
  Conn first = {0}, second = {0};
  int ok = connect_once(&first, NULL);
  if (opts.resume) {
    if (!first.token) fprintf(stderr, "%s: the first connection brought no ticket\n", role_name);
    ok &= connect_once(&second, &first);
  }
  free(first.token);
  free(second.token);
  return ok ? 0 : 1;
}

/* ------------------------------------------------------------------ main */

#if HAS_MLKEM1024
static int asks_for_group(const char *name) {
  const Name *g = by_name(GROUPS, name);
  for (int i = 0; i < opts.n_groups; i++) if (opts.groups[i] == g) return 1;
  for (int i = 0; i < opts.n_resume_groups; i++) if (opts.resume_groups[i] == g) return 1;
  return 0;
}
#endif

static void init_nss(void) {
  if (NSS_NoDB_Init(NULL) != SECSuccess) fatal_setup("NSS_NoDB_Init");
  if (NSS_SetDomesticPolicy() != SECSuccess) fatal_setup("NSS_SetDomesticPolicy");
#if HAS_MLKEM1024
  /* NSS 3.132 ships MLKEM1024 with its SSL key-exchange policy bit off, so an application
   * must opt in; we do when the configuration names the group (never for the defaults). */
  if (asks_for_group("MLKEM1024") &&
      NSS_SetAlgorithmPolicy(SEC_OID_ML_KEM_1024, NSS_USE_ALG_IN_SSL_KX, 0) != SECSuccess)
    fatal_setup("NSS_SetAlgorithmPolicy(ML-KEM-1024)");
#endif
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "version")) {
    printf("NSS %s\n", NSS_GetVersion());
    return 0;
  }
  if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
    fprintf(stderr, "usage: pqi-nss server|client [flags] (docs/peer-contract.md) | pqi-nss version\n");
    return 2;
  }
  role_name = argv[1][0] == 's' ? "pqi-nss server" : "pqi-nss client";
  parse_args(argc, argv, &opts);
  check_options(&opts);
  check_supported(&opts);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_timeout;
  sigaction(SIGALRM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  init_nss();
  if (opts.ca) load_trust_anchors(opts.ca);
  have_credential = load_credential(&opts, &credential);
  int rc = opts.role_server ? run_server() : run_client();
  return rc;
}
