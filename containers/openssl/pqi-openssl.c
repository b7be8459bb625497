// pqi-openssl: the pqinterop peer contract (docs/peer-contract.md) on OpenSSL's libssl.
//
//   pqi-openssl server --port P --cert F --key F [flags]   listen on 127.0.0.1:P
//   pqi-openssl client --port P --ca F [flags]             connect to 127.0.0.1:P
//   pqi-openssl version                                    the library's own version line
//   pqi-openssl build-info                                 how the library was built (provenance)
//
// One JSON line per connection on stdout. Every value in it comes from the library: its API
// (SSL_get0_group_name, SSL_get_current_cipher, SSL_session_reused, SSL_get_early_data_status,
// SSL_get0_peer_signature_name, ...) and the handshake messages it hands to the message callback
// (whether a HelloRetryRequest happened, whether the ServerHello carried a key share or a PSK,
// whether a Certificate was sent). The configuration is never echoed back as if observed.
//
// The program builds against OpenSSL 3.5 and 3.6 alike (Debian trixie and sid).

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNSUPPORTED = 127 };

// A peer that stops talking must not hold us: every read and write on a connection gives up after
// this long, and a server with --count waits this long for each connection.
enum { IO_TIMEOUT_S = 15, ACCEPT_TIMEOUT_S = 60 };
// OpenSSL sends at most this many key shares (the groups list syntax documents the limit).
enum { MAX_KEY_SHARES = 4 };
enum { MAX_LIST = 16, MAX_LINE = 64 * 1024 };

// ------------------------------------------------------------------------------------ names
// The project's names (src/tls/names.ts) with their IANA codepoints. OpenSSL's own TLS names for
// these groups, suites and schemes are the same strings, so a name goes to OpenSSL unchanged.

struct named {
    const char *name;
    unsigned code;
};

static const struct named GROUPS[] = {
    {"x25519", 0x001d},         {"secp256r1", 0x0017},          {"secp384r1", 0x0018},
    {"MLKEM512", 0x0200},       {"MLKEM768", 0x0201},           {"MLKEM1024", 0x0202},
    {"SecP256r1MLKEM768", 0x11eb}, {"X25519MLKEM768", 0x11ec}, {"SecP384r1MLKEM1024", 0x11ed},
    {NULL, 0},
};

static const struct named SUITES[] = {
    {"TLS_AES_128_GCM_SHA256", 0x1301},
    {"TLS_AES_256_GCM_SHA384", 0x1302},
    {"TLS_CHACHA20_POLY1305_SHA256", 0x1303},
    {NULL, 0},
};

// The schemes the contract's --signature-schemes accepts ...
static const struct named CONTRACT_SCHEMES[] = {
    {"ecdsa_secp256r1_sha256", 0x0403}, {"ecdsa_secp384r1_sha384", 0x0503},
    {"ed25519", 0x0807},                {"rsa_pss_rsae_sha256", 0x0804},
    {"rsa_pss_rsae_sha384", 0x0805},    {"mldsa44", 0x0904},
    {"mldsa65", 0x0905},                {"mldsa87", 0x0906},
    {NULL, 0},
};

// ... and every scheme the report may name (what a peer signed with need not be one we offer).
static const struct named SCHEMES[] = {
    {"rsa_pkcs1_sha256", 0x0401},       {"rsa_pkcs1_sha384", 0x0501},
    {"rsa_pkcs1_sha512", 0x0601},       {"ecdsa_secp256r1_sha256", 0x0403},
    {"ecdsa_secp384r1_sha384", 0x0503}, {"ecdsa_secp521r1_sha512", 0x0603},
    {"rsa_pss_rsae_sha256", 0x0804},    {"rsa_pss_rsae_sha384", 0x0805},
    {"rsa_pss_rsae_sha512", 0x0806},    {"ed25519", 0x0807},
    {"ed448", 0x0808},                  {"rsa_pss_pss_sha256", 0x0809},
    {"rsa_pss_pss_sha384", 0x080a},     {"rsa_pss_pss_sha512", 0x080b},
    {"mldsa44", 0x0904},                {"mldsa65", 0x0905},
    {"mldsa87", 0x0906},                {NULL, 0},
};

static const struct named ALERTS[] = {
    {"close_notify", 0},
    {"unexpected_message", 10},
    {"bad_record_mac", 20},
    {"record_overflow", 22},
    {"handshake_failure", 40},
    {"bad_certificate", 42},
    {"unsupported_certificate", 43},
    {"certificate_revoked", 44},
    {"certificate_expired", 45},
    {"certificate_unknown", 46},
    {"illegal_parameter", 47},
    {"unknown_ca", 48},
    {"access_denied", 49},
    {"decode_error", 50},
    {"decrypt_error", 51},
    {"protocol_version", 70},
    {"insufficient_security", 71},
    {"internal_error", 80},
    {"inappropriate_fallback", 86},
    {"user_canceled", 90},
    {"missing_extension", 109},
    {"unsupported_extension", 110},
    {"unrecognized_name", 112},
    {"bad_certificate_status_response", 113},
    {"unknown_psk_identity", 115},
    {"certificate_required", 116},
    {"general_error", 117},
    {"no_application_protocol", 120},
    {NULL, 0},
};

static const struct named *by_name(const struct named *t, const char *name) {
    for (; t->name; t++)
        if (strcmp(t->name, name) == 0) return t;
    return NULL;
}

// OpenSSL's names are case-insensitive; ours are not, so the match picks our spelling.
static const struct named *by_name_nocase(const struct named *t, const char *name) {
    for (; t->name; t++)
        if (strcasecmp(t->name, name) == 0) return t;
    return NULL;
}

static const struct named *by_code(const struct named *t, unsigned code) {
    for (; t->name; t++)
        if (t->code == code) return t;
    return NULL;
}

// ------------------------------------------------------------------------------------ errors

static const char *prog = "pqi-openssl";

// A usage mistake: one line naming the flag and the problem, exit 2.
static void usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

// A configuration OpenSSL (lacks) or this program (shim) cannot do: exit 127, the reason last.
static void unsupported(const char *whose, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "unsupported: %s: ", whose);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(EXIT_UNSUPPORTED);
}

// ------------------------------------------------------------------------------------ options

struct list {
    const char *item[MAX_LIST];
    int n;
    int set;
};

struct options {
    int server;
    int port;  // -1: not given
    const char *cert, *key, *chain, *ca;
    struct list groups, suites, schemes, key_shares, resume_groups;
    int key_shares_none;
    const char *psk_identity, *psk_key_hex;
    int psk_sha384;
    int psk_mode;  // 0: library default, 1: dhe_ke, 2: ke
    int psk_import;
    const char *cert_with_psk;
    int http, prefer_hrr, client_auth;
    long count;  // -1: serve until stopped
    long tickets, max_early_data;
    const char *server_name, *message, *early_data;
    int expect_echo, resume;
};

enum kind { SWITCH, INT, TEXT, FILENAME, GROUP_LIST, SUITE_LIST, SCHEME_LIST, CHOICE };
enum { SERVER = 1, CLIENT = 2, BOTH = 3 };

struct flag {
    const char *name;
    enum kind kind;
    int roles;
    const char *choices;  // CHOICE: "a|b"; the first is the value when it is left out (optional)
    int optional;
};

// The contract's flag table (src/contract/flags.ts), in the same order.
static const struct flag FLAGS[] = {
    {"port", INT, BOTH, NULL, 0},
    {"cert", FILENAME, BOTH, NULL, 0},
    {"key", FILENAME, BOTH, NULL, 0},
    {"chain", FILENAME, BOTH, NULL, 0},
    {"ca", FILENAME, BOTH, NULL, 0},
    {"groups", GROUP_LIST, BOTH, NULL, 0},
    {"cipher-suites", SUITE_LIST, BOTH, NULL, 0},
    {"signature-schemes", SCHEME_LIST, BOTH, NULL, 0},
    {"psk-identity", TEXT, BOTH, NULL, 0},
    {"psk-key", TEXT, BOTH, NULL, 0},
    {"psk-hash", CHOICE, BOTH, "sha256|sha384", 0},
    {"psk-mode", CHOICE, BOTH, "dhe_ke|ke", 0},
    {"psk-import", SWITCH, BOTH, NULL, 0},
    {"cert-with-psk", CHOICE, BOTH, "require|allow", 1},
    {"http", SWITCH, BOTH, NULL, 0},
    {"prefer-hrr", SWITCH, SERVER, NULL, 0},
    {"client-auth", SWITCH, SERVER, NULL, 0},
    {"count", INT, SERVER, NULL, 0},
    {"tickets", INT, SERVER, NULL, 0},
    {"max-early-data", INT, SERVER, NULL, 0},
    {"server-name", TEXT, CLIENT, NULL, 0},
    {"message", TEXT, CLIENT, NULL, 0},
    {"expect-echo", SWITCH, CLIENT, NULL, 0},
    {"key-shares", GROUP_LIST, CLIENT, NULL, 0},
    {"resume", SWITCH, CLIENT, NULL, 0},
    {"resume-groups", GROUP_LIST, CLIENT, NULL, 0},
    {"early-data", TEXT, CLIENT, NULL, 0},
    {NULL, 0, 0, NULL, 0},
};

static int choice_ok(const char *choices, const char *value) {
    size_t n = strlen(value);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, value, n) == 0) return 1;
        p += len + (bar ? 1 : 0);
    }
    return 0;
}

static long parse_int(const char *flag, const char *v, long max) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno || n < 0 || n > max)
        usage_error("--%s must be a whole number 0..%ld, got \"%s\"", flag, max, v);
    return n;
}

// "a,b,c" against one of the name tables; "none" is the empty list where allowed.
static void parse_list(const char *flag, char *v, const struct named *table, struct list *out,
                       int *none) {
    out->n = 0;
    out->set = 1;
    if (none && strcmp(v, "none") == 0) {
        *none = 1;
        return;
    }
    if (none) *none = 0;
    for (char *save = NULL, *tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        if (!*tok) continue;
        const struct named *e = by_name(table, tok);
        if (!e) {
            fprintf(stderr, "%s: --%s: unknown name \"%s\" (known:", prog, flag, tok);
            for (const struct named *t = table; t->name; t++) fprintf(stderr, " %s", t->name);
            fprintf(stderr, ")\n");
            exit(EXIT_USAGE);
        }
        if (out->n == MAX_LIST) usage_error("--%s: more than %d names", flag, MAX_LIST);
        out->item[out->n++] = e->name;
    }
}

static void check_readable(const char *flag, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) usage_error("cannot read --%s %s: %s", flag, path, strerror(errno));
    fclose(f);
}

static void set_flag(struct options *o, const struct flag *f, char *v) {
    const char *n = f->name;
    switch (f->kind) {
    case SWITCH:
        if (!strcmp(n, "psk-import")) o->psk_import = 1;
        else if (!strcmp(n, "http")) o->http = 1;
        else if (!strcmp(n, "prefer-hrr")) o->prefer_hrr = 1;
        else if (!strcmp(n, "client-auth")) o->client_auth = 1;
        else if (!strcmp(n, "expect-echo")) o->expect_echo = 1;
        else if (!strcmp(n, "resume")) o->resume = 1;
        return;
    case INT:
        if (!strcmp(n, "port")) o->port = (int)parse_int(n, v, 65535);
        else if (!strcmp(n, "count")) o->count = parse_int(n, v, 1000000);
        else if (!strcmp(n, "tickets")) o->tickets = parse_int(n, v, 100);
        else if (!strcmp(n, "max-early-data")) o->max_early_data = parse_int(n, v, 1 << 30);
        return;
    case FILENAME:
        if (!*v) usage_error("--%s needs a file name", n);
        check_readable(n, v);
        if (!strcmp(n, "cert")) o->cert = v;
        else if (!strcmp(n, "key")) o->key = v;
        else if (!strcmp(n, "chain")) o->chain = v;
        else if (!strcmp(n, "ca")) o->ca = v;
        return;
    case TEXT:
        if (!strcmp(n, "psk-identity")) o->psk_identity = v;
        else if (!strcmp(n, "psk-key")) o->psk_key_hex = v;
        else if (!strcmp(n, "server-name")) o->server_name = v;
        else if (!strcmp(n, "message")) o->message = v;
        else if (!strcmp(n, "early-data")) o->early_data = v;
        return;
    case CHOICE:
        if (!choice_ok(f->choices, v))
            usage_error("--%s must be one of %s, got \"%s\"", n, f->choices, v);
        if (!strcmp(n, "psk-hash")) o->psk_sha384 = !strcmp(v, "sha384");
        else if (!strcmp(n, "psk-mode")) o->psk_mode = !strcmp(v, "ke") ? 2 : 1;
        else if (!strcmp(n, "cert-with-psk")) o->cert_with_psk = v;
        return;
    case GROUP_LIST:
        if (!strcmp(n, "groups")) parse_list(n, v, GROUPS, &o->groups, NULL);
        else if (!strcmp(n, "key-shares")) parse_list(n, v, GROUPS, &o->key_shares, &o->key_shares_none);
        else parse_list(n, v, GROUPS, &o->resume_groups, NULL);
        return;
    case SUITE_LIST:
        parse_list(n, v, SUITES, &o->suites, NULL);
        return;
    case SCHEME_LIST:
        parse_list(n, v, CONTRACT_SCHEMES, &o->schemes, NULL);
        return;
    }
}

// Combinations that cannot work whatever the library: usage errors, before any socket opens.
static void check_combinations(struct options *o) {
    int psk = o->psk_identity || o->psk_key_hex;
    if (o->port < 0) usage_error("a %s needs --port", o->server ? "server" : "client");
    if (psk && !(o->psk_identity && o->psk_key_hex))
        usage_error("--psk-identity and --psk-key go together");
    if (!psk && (o->psk_import || o->psk_mode || o->cert_with_psk))
        usage_error("--psk-mode, --psk-import and --cert-with-psk need --psk-identity and --psk-key");
    if (psk) {
        size_t len = strlen(o->psk_key_hex);
        if (!*o->psk_identity) usage_error("--psk-identity must not be empty");
        if (len == 0 || len % 2 || strspn(o->psk_key_hex, "0123456789abcdefABCDEF") != len)
            usage_error("--psk-key must be an even number of hex digits");
    }
    if ((o->cert == NULL) != (o->key == NULL)) usage_error("--cert and --key go together");
    if (o->server) {
        if (!o->cert && !psk) usage_error("a server needs --cert and --key, or a PSK");
        if (o->client_auth && !o->ca) usage_error("--client-auth needs --ca");
    } else {
        if (!o->ca && (!psk || o->cert_with_psk))
            usage_error("a client needs --ca to verify the server's certificate");
        if (o->resume_groups.set && !o->resume) usage_error("--resume-groups needs --resume");
        for (int i = 0; i < o->key_shares.n && o->groups.set; i++) {
            int found = 0;
            for (int j = 0; j < o->groups.n; j++)
                found |= !strcmp(o->key_shares.item[i], o->groups.item[j]);
            if (!found) usage_error("--key-shares %s is not in --groups", o->key_shares.item[i]);
        }
    }
}

// What OpenSSL cannot do, said before any socket opens (exit 127).
static void check_library_limits(const struct options *o) {
    if (o->psk_import) unsupported("lacks", "OpenSSL has no RFC 9258 external PSK importer");
    if (o->cert_with_psk)
        unsupported("lacks", "OpenSSL does not implement RFC 9973 (tls_cert_with_extern_psk)");
    if (o->key_shares.set && o->key_shares_none)
        unsupported("lacks", "OpenSSL always sends a key share (with no '*' in the groups list, "
                             "one for the first group): it cannot send an empty key_share");
    if (o->key_shares.n > MAX_KEY_SHARES)
        unsupported("lacks", "OpenSSL sends at most %d key shares", MAX_KEY_SHARES);
}

static void parse_options(int argc, char **argv, struct options *o) {
    memset(o, 0, sizeof *o);
    o->port = -1;
    o->count = -1;
    o->message = "hello";
    const char *role = argv[1];
    o->server = !strcmp(role, "server");
    int mine = o->server ? SERVER : CLIENT;
    for (int i = 2; i < argc; i++) {
        char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) usage_error("unexpected argument \"%s\"", arg);
        char *name = arg + 2, *value = NULL;
        char *eq = strchr(name, '=');
        if (eq) {
            *eq = '\0';
            value = eq + 1;
        }
        const struct flag *f = FLAGS;
        while (f->name && strcmp(f->name, name) != 0) f++;
        if (!f->name) usage_error("unknown %s flag \"--%s\"", role, name);
        if (!(f->roles & mine))
            usage_error("--%s is not a %s flag (it is for the %s)", name, role,
                        f->roles == SERVER ? "server" : "client");
        if (f->kind == SWITCH) {
            if (value) usage_error("--%s takes no value", name);
        } else if (!value) {
            int absent = i + 1 >= argc || (strncmp(argv[i + 1], "--", 2) == 0);
            if (f->optional && (absent || !choice_ok(f->choices, argv[i + 1])))
                value = (char *)"require";
            else if (absent)
                usage_error("--%s needs a value", name);
            else
                value = argv[++i];
        }
        set_flag(o, f, value);
    }
    check_combinations(o);
    check_library_limits(o);
}

// ------------------------------------------------------------------------------------ time

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// ------------------------------------------------------------------------------------ observation
// What one connection's handshake messages showed, collected by the message callback. OpenSSL has
// no API for "was there a HelloRetryRequest" or "did the ServerHello carry a key share" (after a
// psk_ke handshake SSL_get_negotiated_group still names the group of an earlier connection), so
// these come from the messages the library itself sent and received.

enum { MAX_IDENTITIES = 8 };

struct seen {
    int server_hello;        // a real ServerHello (not an HRR) was sent/received
    int hrr;                 // a HelloRetryRequest was sent/received
    int sh_key_share;        // the ServerHello carried a key_share
    unsigned sh_group;       // ... for this group
    int sh_psk;              // the ServerHello accepted a PSK (pre_shared_key)
    unsigned sh_identity;    // ... this one, by index into the ClientHello's list
    int sh_cert_with_psk;    // the ServerHello carried extension 33 (RFC 9973)
    int ch_early_data;       // a ClientHello offered early_data
    struct {                 // the last ClientHello's PSK identities
        unsigned char *bytes;
        size_t len;
    } identity[MAX_IDENTITIES];
    int identities;
    int cert_sent;           // this side sent a non-empty Certificate
    int cert_received;       // the peer sent a non-empty Certificate
    int server_cv;           // the server's CertificateVerify went by ...
    unsigned server_cv_scheme;  // ... signed with this scheme
    int alert;               // the first alert other than close_notify: its code, or -1
    int alert_sent;
    int close_notify_received;
};

static const unsigned char HRR_RANDOM[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

// A bounds-checked reader over one message.
struct reader {
    const unsigned char *p;
    size_t left;
    int bad;
};

static unsigned get(struct reader *r, size_t n) {
    unsigned v = 0;
    if (r->left < n) {
        r->bad = 1;
        r->left = 0;
        return 0;
    }
    for (size_t i = 0; i < n; i++) v = v << 8 | r->p[i];
    r->p += n;
    r->left -= n;
    return v;
}

static struct reader sub(struct reader *r, size_t n) {
    struct reader s = {r->p, n, 0};
    if (r->left < n) {
        s.left = r->left;
        s.bad = r->bad = 1;
    }
    r->p += s.left;
    r->left -= s.left;
    return s;
}

static void free_identities(struct seen *s) {
    for (int i = 0; i < s->identities; i++) free(s->identity[i].bytes);
    s->identities = 0;
}

static void saw_client_hello(struct seen *s, struct reader r) {
    get(&r, 2 + 32);
    sub(&r, get(&r, 1));  // legacy_session_id
    sub(&r, get(&r, 2));  // cipher_suites
    sub(&r, get(&r, 1));  // legacy_compression_methods
    struct reader exts = sub(&r, get(&r, 2));
    free_identities(s);
    while (exts.left && !exts.bad) {
        unsigned type = get(&exts, 2);
        struct reader data = sub(&exts, get(&exts, 2));
        if (type == 42) s->ch_early_data = 1;
        if (type != 41) continue;
        struct reader ids = sub(&data, get(&data, 2));
        while (ids.left && !ids.bad && s->identities < MAX_IDENTITIES) {
            size_t len = get(&ids, 2);
            struct reader id = sub(&ids, len);
            get(&ids, 4);  // obfuscated_ticket_age
            if (id.bad) break;
            unsigned char *copy = malloc(len ? len : 1);
            memcpy(copy, id.p, len);
            s->identity[s->identities].bytes = copy;
            s->identity[s->identities++].len = len;
        }
    }
}

static void saw_server_hello(struct seen *s, struct reader r) {
    get(&r, 2);
    int hrr = r.left >= 32 && memcmp(r.p, HRR_RANDOM, 32) == 0;
    get(&r, 32);
    sub(&r, get(&r, 1));  // legacy_session_id_echo
    get(&r, 2 + 1);       // cipher_suite, legacy_compression_method
    if (hrr) {
        s->hrr = 1;
        return;
    }
    s->server_hello = 1;
    struct reader exts = sub(&r, get(&r, 2));
    while (exts.left && !exts.bad) {
        unsigned type = get(&exts, 2);
        struct reader data = sub(&exts, get(&exts, 2));
        if (type == 51) {
            s->sh_key_share = 1;
            s->sh_group = get(&data, 2);
        } else if (type == 41) {
            s->sh_psk = 1;
            s->sh_identity = get(&data, 2);
        } else if (type == 33) {
            s->sh_cert_with_psk = 1;
        }
    }
}

static void on_message(int write_p, int version, int content_type, const void *buf, size_t len,
                       SSL *ssl, void *arg) {
    (void)version;
    (void)arg;
    struct seen *s = SSL_get_app_data(ssl);
    if (!s || content_type != SSL3_RT_HANDSHAKE || len < 4) return;
    struct reader r = {buf, len, 0};
    unsigned type = get(&r, 1);
    struct reader body = sub(&r, get(&r, 3));
    int from_server = SSL_is_server(ssl) ? write_p : !write_p;
    switch (type) {
    case SSL3_MT_CLIENT_HELLO:
        saw_client_hello(s, body);
        break;
    case SSL3_MT_SERVER_HELLO:
        saw_server_hello(s, body);
        break;
    case SSL3_MT_CERTIFICATE: {
        sub(&body, get(&body, 1));  // certificate_request_context
        if (get(&body, 3) == 0) break;
        if (write_p) s->cert_sent = 1;
        else s->cert_received = 1;
        break;
    }
    case SSL3_MT_COMPRESSED_CERTIFICATE: {
        // RFC 8879, which OpenSSL peers use between themselves: an empty Certificate body is 4
        // bytes (context length, list length), so a longer one holds a certificate.
        get(&body, 2);  // algorithm
        if (get(&body, 3) <= 4) break;
        if (write_p) s->cert_sent = 1;
        else s->cert_received = 1;
        break;
    }
    case SSL3_MT_CERTIFICATE_VERIFY:
        if (from_server) {
            s->server_cv = 1;
            s->server_cv_scheme = get(&body, 2);
        }
        break;
    }
}

// Alerts as the library sends and receives them: the first one that is not a closure alert ended
// the connection.
static void on_info(const SSL *ssl, int where, int ret) {
    struct seen *s = SSL_get_app_data(ssl);
    if (!s || !(where & SSL_CB_ALERT)) return;
    int code = ret & 0xff;
    int received = (where & SSL_CB_READ) != 0;
    if (code == 0) {
        if (received) s->close_notify_received = 1;
        return;
    }
    // user_canceled is a closure alert (RFC 8446 §6.1): after the handshake it ends the connection
    // as close_notify does. JSSE sends it, then close_notify, whenever it closes a TLS 1.3 socket.
    if (code == 90 && received && SSL_is_init_finished(ssl)) return;
    if (s->alert >= 0) return;
    s->alert = code;
    s->alert_sent = !received;
}

// ------------------------------------------------------------------------------------ JSON

struct json {
    char buf[8192];
    size_t len;
    int first;
};

static void json_raw(struct json *j, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(j->buf + j->len, sizeof j->buf - j->len, fmt, ap);
    va_end(ap);
    if (n > 0) j->len += (size_t)n < sizeof j->buf - j->len ? (size_t)n : sizeof j->buf - j->len - 1;
}

static void json_key(struct json *j, const char *key) {
    json_raw(j, "%s\"%s\":", j->first ? "" : ",", key);
    j->first = 0;
}

static void json_quote(struct json *j, const char *s, size_t n) {
    json_raw(j, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') json_raw(j, "\\%c", c);
        else if (c < 0x20 || c == 0x7f) json_raw(j, "\\u%04x", c);
        else json_raw(j, "%c", c);
    }
    json_raw(j, "\"");
}

static void json_str(struct json *j, const char *key, const char *value) {
    json_key(j, key);
    if (value) json_quote(j, value, strlen(value));
    else json_raw(j, "null");
}

static void json_bool(struct json *j, const char *key, int value) {  // -1: null
    json_key(j, key);
    json_raw(j, value < 0 ? "null" : value ? "true" : "false");
}

// ------------------------------------------------------------------------------------ certificates

// ecdsa-p256, ecdsa-p384, ed25519, rsa2048, mldsa44/65/87, or the key's own name.
static void key_type(EVP_PKEY *pk, char *out, size_t n) {
    char curve[64] = "";
    size_t got = 0;
    if (EVP_PKEY_is_a(pk, "EC") &&
        EVP_PKEY_get_utf8_string_param(pk, "group", curve, sizeof curve, &got)) {
        if (!strcmp(curve, "prime256v1") || !strcmp(curve, "P-256")) snprintf(out, n, "ecdsa-p256");
        else if (!strcmp(curve, "secp384r1") || !strcmp(curve, "P-384")) snprintf(out, n, "ecdsa-p384");
        else snprintf(out, n, "ecdsa-%s", curve);
    } else if (EVP_PKEY_is_a(pk, "ED25519")) {
        snprintf(out, n, "ed25519");
    } else if (EVP_PKEY_is_a(pk, "RSA")) {
        snprintf(out, n, "rsa%d", EVP_PKEY_get_bits(pk));
    } else if (EVP_PKEY_is_a(pk, "ML-DSA-44")) {
        snprintf(out, n, "mldsa44");
    } else if (EVP_PKEY_is_a(pk, "ML-DSA-65")) {
        snprintf(out, n, "mldsa65");
    } else if (EVP_PKEY_is_a(pk, "ML-DSA-87")) {
        snprintf(out, n, "mldsa87");
    } else {
        const char *name = EVP_PKEY_get0_type_name(pk);
        snprintf(out, n, "%s", name ? name : "unknown");
    }
}

static void json_cert(struct json *j, const char *key, X509 *x) {
    json_key(j, key);
    if (!x) {
        json_raw(j, "null");
        return;
    }
    char subject[512] = "", type[64] = "unknown";
    BIO *b = BIO_new(BIO_s_mem());
    // In the certificate's own order ("O=pqinterop, CN=…"), as the reference peer prints it.
    X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
                       (XN_FLAG_RFC2253 & ~XN_FLAG_DN_REV & ~XN_FLAG_SEP_MASK) | XN_FLAG_SEP_CPLUS_SPC);
    int n = BIO_read(b, subject, sizeof subject - 1);
    subject[n > 0 ? n : 0] = '\0';
    BIO_free(b);
    EVP_PKEY *pk = X509_get0_pubkey(x);
    if (pk) key_type(pk, type, sizeof type);
    json_raw(j, "{");
    j->first = 1;
    json_str(j, "subject", subject);
    json_str(j, "keyType", type);
    json_raw(j, "}");
    j->first = 0;
}

// ------------------------------------------------------------------------------------ one connection

struct conn {
    SSL *ssl;
    int fd;
    struct seen seen;
    int handshake_done;
    double started, handshake_ms;
    const char *echo;  // client: matched | mismatched | none; server: NULL
    char error[512];
};

// The first error OpenSSL queued, in its own words (and why verification failed, if it did).
static void take_error(struct conn *c, int ret, const char *fallback) {
    if (c->error[0]) {
        ERR_clear_error();
        return;
    }
    unsigned long e = ERR_get_error();
    if (e) {
        ERR_error_string_n(e, c->error, sizeof c->error);
        long v = SSL_get_verify_result(c->ssl);
        if (v != X509_V_OK) {
            size_t n = strlen(c->error);
            snprintf(c->error + n, sizeof c->error - n, " (%s)", X509_verify_cert_error_string(v));
        }
    } else {
        int code = SSL_get_error(c->ssl, ret);
        if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE)
            snprintf(c->error, sizeof c->error, "no progress for %d s; connection closed", IO_TIMEOUT_S);
        else if (code == SSL_ERROR_SYSCALL && errno)
            snprintf(c->error, sizeof c->error, "%s: %s", fallback, strerror(errno));
        else if (code == SSL_ERROR_ZERO_RETURN)
            snprintf(c->error, sizeof c->error, "%s: the peer closed the connection", fallback);
        else if (c->seen.alert >= 0) {
            const struct named *a = by_code(ALERTS, (unsigned)c->seen.alert);
            snprintf(c->error, sizeof c->error, "%s alert %s", c->seen.alert_sent ? "sent" : "received",
                     a ? a->name : "unknown");
        } else
            snprintf(c->error, sizeof c->error, "%s", fallback);
    }
    ERR_clear_error();
}

static void set_timeouts(int fd) {
    struct timeval tv = {IO_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int conn_start(struct conn *c, SSL_CTX *ctx, int fd) {
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->seen.alert = -1;
    c->ssl = SSL_new(ctx);
    if (!c->ssl) return 0;
    SSL_set_app_data(c->ssl, &c->seen);
    SSL_set_fd(c->ssl, fd);
    set_timeouts(fd);
    return 1;
}

// Reads until "\n" (not kept) or the end of the stream; 1 with a line, 0 with nothing.
static int read_line(struct conn *c, char *line, size_t cap) {
    size_t n = 0;
    while (n + 1 < cap) {
        size_t got = 0;
        int r = SSL_read_ex(c->ssl, line + n, 1, &got);
        if (r <= 0) {
            if (SSL_get_error(c->ssl, r) != SSL_ERROR_ZERO_RETURN) take_error(c, r, "reading");
            break;
        }
        if (line[n] == '\n') {
            line[n] = '\0';
            return 1;
        }
        n += got;
    }
    line[n] = '\0';
    return n > 0;
}

// Reads everything until the peer closes (an HTTP response with "connection: close").
static size_t read_all(struct conn *c, char *buf, size_t cap) {
    size_t n = 0;
    while (n + 1 < cap) {
        size_t got = 0;
        int r = SSL_read_ex(c->ssl, buf + n, cap - 1 - n, &got);
        if (r <= 0) {
            if (SSL_get_error(c->ssl, r) != SSL_ERROR_ZERO_RETURN) take_error(c, r, "reading");
            break;
        }
        n += got;
    }
    buf[n] = '\0';
    return n;
}

static int write_all(struct conn *c, const char *data, size_t len) {
    size_t done = 0;
    if (len == 0) return 1;
    int r = SSL_write_ex(c->ssl, data, len, &done);
    if (r <= 0) take_error(c, r, "writing");
    return r > 0;
}

// close_notify, then wait (bounded) for the peer's, so neither side closes on unread data.
static void close_in_order(struct conn *c) {
    if (c->handshake_done && SSL_shutdown(c->ssl) == 0) {
        shutdown(c->fd, SHUT_WR);
        char scratch[4096];
        for (int i = 0; i < 64; i++) {
            size_t got;
            int r = SSL_read_ex(c->ssl, scratch, sizeof scratch, &got);
            if (r <= 0) break;
        }
    }
    ERR_clear_error();
}

// The group as the library names it, in our names; NULL when no key exchange happened (psk_ke).
static const char *negotiated_group(struct conn *c, char *other, size_t n) {
    if (!c->seen.sh_key_share) return NULL;
    const char *name = SSL_get0_group_name(c->ssl);
    const struct named *g = name ? by_name_nocase(GROUPS, name) : NULL;
    if (g && g->code == c->seen.sh_group) return g->name;
    if (g) {
        // The library's name and its own ServerHello disagree: say so, trust neither.
        snprintf(other, n, "the library names group %s but the ServerHello carried 0x%04x", g->name,
                 c->seen.sh_group);
        return NULL;
    }
    // A group outside the project's names goes in the error text, never the typed field.
    snprintf(other, n, "negotiated group %s (0x%04x) has no name in the project",
             name ? name : "?", c->seen.sh_group);
    return NULL;
}

// The scheme of the server's CertificateVerify: the one the server signed with, or the one the
// client verified, as the library names it.
static const char *server_scheme(struct conn *c, char *other, size_t n) {
    if (!c->seen.server_cv) return NULL;
    const char *name = NULL;
    int ok = SSL_is_server(c->ssl) ? SSL_get0_signature_name(c->ssl, &name)
                                   : SSL_get0_peer_signature_name(c->ssl, &name);
    const struct named *s = ok && name ? by_name(SCHEMES, name) : NULL;
    if (s && s->code == c->seen.server_cv_scheme) return s->name;
    if (!other[0])
        snprintf(other, n, "the library names signature scheme %s but the CertificateVerify carried "
                 "0x%04x", ok && name ? name : "(none)", c->seen.server_cv_scheme);
    return NULL;
}

static int is_external(struct conn *c, const struct options *o) {
    if (!o->psk_identity || !c->seen.sh_psk || c->seen.sh_identity >= (unsigned)c->seen.identities)
        return 0;
    size_t len = strlen(o->psk_identity);
    return c->seen.identity[c->seen.sh_identity].len == len &&
           memcmp(c->seen.identity[c->seen.sh_identity].bytes, o->psk_identity, len) == 0;
}

// PQI_DEBUG=1: what the library's other accessors say, next to the messages, on stderr.
static void debug_line(struct conn *c) {
    const char *local = NULL, *peer = NULL;
    int nid = SSL_get_negotiated_group(c->ssl), dig = 0, type = 0;
    SSL_get0_signature_name(c->ssl, &local);
    SSL_get0_peer_signature_name(c->ssl, &peer);
    SSL_get_peer_signature_type_nid(c->ssl, &type);
    SSL_get_peer_signature_nid(c->ssl, &dig);
    fprintf(stderr, "debug: negotiated_group nid=%d (0x%x) name=%s wire=0x%04x; sig local=%s peer=%s "
            "peer type nid=%d digest nid=%d; server CV wire=0x%04x; reused=%d early=%d\n",
            nid, (unsigned)nid, SSL_get0_group_name(c->ssl), c->seen.sh_group, local ? local : "-",
            peer ? peer : "-", type, dig, c->seen.server_cv_scheme, SSL_session_reused(c->ssl),
            SSL_get_early_data_status(c->ssl));
}

// The contract's JSON line for this connection; returns its `ok`.
static int report(struct conn *c, const struct options *o) {
    struct seen *s = &c->seen;
    char other[160] = "";
    int alert = s->alert;
    int ok = c->handshake_done && alert < 0;
    int external = is_external(c, o);
    const SSL_CIPHER *cipher = SSL_get_current_cipher(c->ssl);
    const struct named *suite = cipher ? by_name(SUITES, SSL_CIPHER_standard_name(cipher)) : NULL;
    const char *group = s->server_hello ? negotiated_group(c, other, sizeof other) : NULL;
    const struct named *alert_name = alert >= 0 ? by_code(ALERTS, (unsigned)alert) : NULL;

    struct json j = {.len = 0, .first = 1};
    json_raw(&j, "{");
    json_bool(&j, "ok", ok);
    json_str(&j, "version", c->handshake_done ? SSL_get_version(c->ssl) : NULL);
    json_str(&j, "group", group);
    json_str(&j, "cipherSuite", s->server_hello && suite ? suite->name : NULL);
    json_bool(&j, "helloRetryRequest", s->hrr ? 1 : s->server_hello ? 0 : -1);
    json_bool(&j, "resumed", c->handshake_done ? SSL_session_reused(c->ssl) && !external : -1);
    // The PSK mode and identity used: only a completed handshake used one.
    int psk = c->handshake_done && s->sh_psk;
    json_str(&j, "pskMode", !psk ? NULL : s->sh_key_share ? "psk_dhe_ke" : "psk_ke");
    json_str(&j, "pskIdentity", psk && external ? o->psk_identity : NULL);
    int early = SSL_get_early_data_status(c->ssl);
    json_str(&j, "earlyData", !s->ch_early_data || !c->handshake_done ? NULL
                              : early == SSL_EARLY_DATA_ACCEPTED ? "accepted" : "rejected");
    json_bool(&j, "certWithPsk", -1);  // OpenSSL does not implement RFC 9973: it cannot say
    json_str(&j, "signatureScheme", server_scheme(c, other, sizeof other));
    json_cert(&j, "peerCertificate", s->cert_received ? SSL_get0_peer_certificate(c->ssl) : NULL);
    json_cert(&j, "certificate", s->cert_sent ? SSL_get_certificate(c->ssl) : NULL);
    if (c->echo) json_str(&j, "echo", c->echo);
    json_str(&j, "alert", alert_name ? alert_name->name : NULL);
    json_str(&j, "alertDirection", alert < 0 ? NULL : s->alert_sent ? "sent" : "received");
    if (!c->error[0] && alert >= 0 && !alert_name)
        snprintf(c->error, sizeof c->error, "%s alert %d", s->alert_sent ? "sent" : "received", alert);
    if (!c->error[0] && other[0]) snprintf(c->error, sizeof c->error, "%s", other);
    json_str(&j, "error", c->error[0] ? c->error : NULL);
    json_key(&j, "handshakeMs");
    if (c->handshake_done) json_raw(&j, "%.1f", c->handshake_ms);
    else json_raw(&j, "null");
    json_raw(&j, "}");
    printf("%s\n", j.buf);
    fflush(stdout);
    if (getenv("PQI_DEBUG")) debug_line(c);
    return ok;
}

// Closing a socket with unread data makes the kernel send a reset, which can overtake the alert or
// close_notify we just sent. So: no more writes, read what the peer still sends (bounded), close.
static void linger_close(int fd) {
    shutdown(fd, SHUT_WR);
    char scratch[4096];
    double until = now_ms() + 1000;
    for (;;) {
        int left = (int)(until - now_ms());
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0) break;
        if (read(fd, scratch, sizeof scratch) <= 0) break;
    }
    close(fd);
}

static void conn_end(struct conn *c) {
    free_identities(&c->seen);
    SSL_free(c->ssl);
    linger_close(c->fd);
}

// ------------------------------------------------------------------------------------ PSK
// An external PSK is an SSL_SESSION: its master key is the PSK and its cipher suite fixes the hash
// (SHA-256 or SHA-384); OpenSSL may negotiate any suite with that hash.

static unsigned char psk_key[256];
static size_t psk_key_len;
static const struct options *opts;

static const EVP_MD *psk_md(void) { return opts->psk_sha384 ? EVP_sha384() : EVP_sha256(); }

static SSL_SESSION *psk_session(SSL *ssl) {
    // TLS_AES_256_GCM_SHA384 for a SHA-384 PSK, TLS_AES_128_GCM_SHA256 for SHA-256.
    const unsigned char id[2] = {0x13, opts->psk_sha384 ? 0x02 : 0x01};
    const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, id);
    SSL_SESSION *sess = SSL_SESSION_new();
    if (!cipher || !sess || !SSL_SESSION_set1_master_key(sess, psk_key, psk_key_len) ||
        !SSL_SESSION_set_cipher(sess, cipher) ||
        !SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION)) {
        SSL_SESSION_free(sess);
        return NULL;
    }
    return sess;
}

static int psk_use(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
                   SSL_SESSION **sess) {
    *sess = NULL;
    // Called again after a HelloRetryRequest with the hash the server's suite fixed: a PSK of
    // another hash cannot be offered then.
    if (md && EVP_MD_get_type(md) != EVP_MD_get_type(psk_md())) return 1;
    *sess = psk_session(ssl);
    *id = (const unsigned char *)opts->psk_identity;
    *idlen = strlen(opts->psk_identity);
    return *sess != NULL;
}

static int psk_find(SSL *ssl, const unsigned char *id, size_t idlen, SSL_SESSION **sess) {
    *sess = NULL;
    if (idlen != strlen(opts->psk_identity) || memcmp(id, opts->psk_identity, idlen) != 0)
        return 1;  // not ours: the handshake goes on without it
    *sess = psk_session(ssl);
    return *sess != NULL;
}

// The pre-TLS 1.3 server callback, for the same PSK. OpenSSL picks the cipher suite before it looks
// at the PSK, and drops a PSK whose hash differs from the suite's; only when this callback is set
// (and the server has no certificate) does its choice prefer SHA-256 suites, the hash such a PSK
// has in TLS 1.3. s_server works the same way. The TLS 1.3 callback above still supplies the PSK.
static unsigned int psk_legacy(SSL *ssl, const char *identity, unsigned char *psk,
                               unsigned int max) {
    (void)ssl;
    if (!identity || strcmp(identity, opts->psk_identity) != 0 || psk_key_len > max) return 0;
    memcpy(psk, psk_key, psk_key_len);
    return (unsigned int)psk_key_len;
}

static void parse_psk_key(const char *hex) {
    psk_key_len = strlen(hex) / 2;
    if (psk_key_len > sizeof psk_key) usage_error("--psk-key is longer than %zu bytes", sizeof psk_key);
    for (size_t i = 0; i < psk_key_len; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        psk_key[i] = (unsigned char)v;
    }
}

// ------------------------------------------------------------------------------------ context

static void library_error(const char *what) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    usage_error("%s: %s", what, buf);
}

static void join(char *out, size_t n, const struct list *l, const char *sep) {
    out[0] = '\0';
    for (int i = 0; i < l->n; i++) {
        strncat(out, i ? sep : "", n - strlen(out) - 1);
        strncat(out, l->item[i], n - strlen(out) - 1);
    }
}

// The groups list in OpenSSL's syntax. Server: --prefer-hrr makes every group its own tuple
// ("a/b/c"): OpenSSL then takes a later tuple only when the client supports no group of an
// earlier one, and asks by HelloRetryRequest for the first it supports. Without it one tuple
// ("a:b:c") avoids a round trip. Client: "*" marks the groups that get a key share.
static void groups_string(char *out, size_t n, const struct list *groups, const struct list *shares,
                          int server, int prefer_hrr) {
    out[0] = '\0';
    for (int i = 0; i < groups->n; i++) {
        int share = 0;
        for (int k = 0; shares && k < shares->n; k++) share |= !strcmp(shares->item[k], groups->item[i]);
        strncat(out, i == 0 ? "" : server && prefer_hrr ? "/" : ":", n - strlen(out) - 1);
        strncat(out, share ? "*" : "", n - strlen(out) - 1);
        strncat(out, groups->item[i], n - strlen(out) - 1);
    }
}

static X509 *read_certs(const char *path, const char *flag, STACK_OF(X509) *more) {
    BIO *b = BIO_new_file(path, "r");
    if (!b) usage_error("cannot read --%s %s", flag, path);
    X509 *first = NULL, *x;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (!first) first = x;
        else sk_X509_push(more, x);
    }
    ERR_clear_error();
    BIO_free(b);
    if (!first) usage_error("--%s %s holds no PEM CERTIFICATE", flag, path);
    return first;
}

// --cert (the leaf, and anything after it), --chain (intermediates; a repeated leaf is skipped)
// and --key.
static void load_credentials(SSL_CTX *ctx, const struct options *o) {
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509 *leaf = read_certs(o->cert, "cert", chain);
    if (o->chain) {
        X509 *first = read_certs(o->chain, "chain", chain);
        if (X509_cmp(first, leaf) == 0) X509_free(first);
        else sk_X509_unshift(chain, first);
    }
    if (SSL_CTX_use_certificate(ctx, leaf) != 1) library_error("--cert");
    for (int i = 0; i < sk_X509_num(chain); i++) {
        X509 *x = sk_X509_value(chain, i);
        if (X509_cmp(x, leaf) != 0 && SSL_CTX_add1_chain_cert(ctx, x) != 1) library_error("--chain");
    }
    sk_X509_pop_free(chain, X509_free);
    X509_free(leaf);
    if (SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1) library_error("--key");
    if (SSL_CTX_check_private_key(ctx) != 1) library_error("--key does not match --cert");
}

static SSL_SESSION *ticket;  // client: the session from connection 1, for connection 2

static int on_new_session(SSL *ssl, SSL_SESSION *sess) {
    (void)ssl;
    if (ticket || !SSL_SESSION_is_resumable(sess)) return 0;
    ticket = sess;
    return 1;  // we keep the reference
}

static SSL_CTX *make_context(const struct options *o) {
    SSL_CTX *ctx = SSL_CTX_new(o->server ? TLS_server_method() : TLS_client_method());
    if (!ctx) library_error("SSL_CTX_new");
    // TLS 1.3 only: the matrix is about TLS 1.3.
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_msg_callback(ctx, on_message);
    SSL_CTX_set_info_callback(ctx, on_info);

    char text[1024];
    if (o->groups.set || o->key_shares.set) {
        // Key shares without --groups: the shares are the groups.
        const struct list *groups = o->groups.set ? &o->groups : &o->key_shares;
        groups_string(text, sizeof text, groups, o->key_shares.set ? &o->key_shares : NULL,
                      o->server, o->prefer_hrr);
        if (SSL_CTX_set1_groups_list(ctx, text) != 1) library_error("--groups");
    }
    if (o->suites.set) {
        join(text, sizeof text, &o->suites, ":");
        if (SSL_CTX_set_ciphersuites(ctx, text) != 1) library_error("--cipher-suites");
    }
    if (o->schemes.set) {
        join(text, sizeof text, &o->schemes, ":");
        if (SSL_CTX_set1_sigalgs_list(ctx, text) != 1) library_error("--signature-schemes");
    }
    // A server's --groups and --cipher-suites are its preference order: without this option
    // OpenSSL follows the client's order within a tuple and for suites.
    if (o->server && (o->groups.set || o->suites.set))
        SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (o->cert) load_credentials(ctx, o);
    if (o->ca && SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1) library_error("--ca");

    if (o->server) {
        if (o->client_auth)
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        SSL_CTX_set_num_tickets(ctx, (size_t)o->tickets);
        if (o->max_early_data > 0) {
            SSL_CTX_set_max_early_data(ctx, (uint32_t)o->max_early_data);
            SSL_CTX_set_recv_max_early_data(ctx, (uint32_t)o->max_early_data);
        }
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        // Tickets go to on_new_session, not to an internal cache.
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    }

    if (o->psk_identity) {
        parse_psk_key(o->psk_key_hex);
        if (o->server) SSL_CTX_set_psk_find_session_callback(ctx, psk_find);
        if (o->server && !o->psk_sha384) SSL_CTX_set_psk_server_callback(ctx, psk_legacy);
        else SSL_CTX_set_psk_use_session_callback(ctx, psk_use);
        // psk_ke. A client always offers psk_dhe_ke; this adds psk_ke. A server with it may choose
        // psk_ke, and with PREFER_NO_DHE_KEX prefers it.
        if (o->psk_mode == 2) {
            SSL_CTX_set_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
            if (o->server) SSL_CTX_set_options(ctx, SSL_OP_PREFER_NO_DHE_KEX);
        }
    }
    return ctx;
}

// ------------------------------------------------------------------------------------ server

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0)
        usage_error("--port %d: cannot listen on 127.0.0.1:%d: %s", port, port, strerror(errno));
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    fprintf(stderr, "listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    return fd;
}

// 0-RTT data is read and set aside: like the other servers, we echo only the line after it.
static int read_early_data(struct conn *c) {
    char buf[4096];
    for (;;) {
        size_t got = 0;
        int r = SSL_read_early_data(c->ssl, buf, sizeof buf, &got);
        if (r == SSL_READ_EARLY_DATA_FINISH) return 1;
        if (r == SSL_READ_EARLY_DATA_ERROR) {
            take_error(c, 0, "reading early data");
            return 0;
        }
    }
}

// One HTTP/1.1 request answered with its path.
static void answer_http(struct conn *c) {
    static char head[MAX_LINE];
    size_t n = 0;
    while (n + 1 < sizeof head) {
        size_t got = 0;
        int r = SSL_read_ex(c->ssl, head + n, sizeof head - 1 - n, &got);
        if (r <= 0) {
            if (SSL_get_error(c->ssl, r) != SSL_ERROR_ZERO_RETURN) take_error(c, r, "reading");
            return;
        }
        n += got;
        head[n] = '\0';
        if (strstr(head, "\r\n\r\n")) break;
    }
    const char *body = "not a GET request\n", *status = "400 Bad Request";
    char path[MAX_LINE];
    if (sscanf(head, "GET /%65535[^ \r\n] HTTP/1.", path) == 1 || strncmp(head, "GET / HTTP/1.", 13) == 0) {
        if (strncmp(head, "GET / ", 6) == 0) path[0] = '\0';
        body = path;
        status = "200 OK";
    }
    static char response[MAX_LINE + 256];
    int len = snprintf(response, sizeof response,
                       "HTTP/1.1 %s\r\ncontent-type: text/plain\r\ncontent-length: %zu\r\n"
                       "connection: close\r\n\r\n%s",
                       status, strlen(body), body);
    write_all(c, response, (size_t)len);
}

static int serve_one(SSL_CTX *ctx, int fd, const struct options *o) {
    struct conn c;
    if (!conn_start(&c, ctx, fd)) library_error("SSL_new");
    c.started = now_ms();
    int ok = 1;
    if (o->max_early_data > 0) ok = read_early_data(&c);
    int r = ok ? SSL_accept(c.ssl) : 0;
    if (r == 1) {
        c.handshake_done = 1;
        c.handshake_ms = now_ms() - c.started;
        if (o->http) {
            answer_http(&c);
        } else {
            static char line[MAX_LINE];
            if (read_line(&c, line, sizeof line - 1)) {
                strcat(line, "\n");
                write_all(&c, line, strlen(line));
            }
        }
        close_in_order(&c);
    } else if (ok) {
        take_error(&c, r, "handshake");
    }
    ok = report(&c, o);
    conn_end(&c);
    return ok;
}

static int wait_readable(int fd, int seconds) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, seconds < 0 ? -1 : seconds * 1000) > 0;
}

static int run_server(const struct options *o) {
    SSL_CTX *ctx = make_context(o);
    int lfd = listen_on(o->port);
    int failed = 0;
    for (long n = 0; o->count < 0 || n < o->count; n++) {
        // With --count the runner starts the clients right away: a connection that does not come
        // is a failure, not a reason to wait forever.
        if (!wait_readable(lfd, o->count < 0 ? -1 : ACCEPT_TIMEOUT_S)) {
            printf("{\"ok\":false,\"error\":\"no connection came within %d s (%ld of %ld)\"}\n",
                   ACCEPT_TIMEOUT_S, n, o->count);
            fflush(stdout);
            return EXIT_FAILED;
        }
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) continue;
        failed |= !serve_one(ctx, fd, o);
    }
    close(lfd);
    SSL_CTX_free(ctx);
    return failed ? EXIT_FAILED : EXIT_OK;
}

// ------------------------------------------------------------------------------------ client

static int connect_to(int port, char *error, size_t n) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    set_timeouts(fd);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        snprintf(error, n, "cannot connect to 127.0.0.1:%d: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

// SNI and the name the certificate must match: an IP address is matched as one, without SNI.
static void set_peer_name(SSL *ssl, const char *name) {
    unsigned char ip[16];
    if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
    } else {
        SSL_set_tlsext_host_name(ssl, name);
        SSL_set1_host(ssl, name);
    }
}

// The exchange: the message (after 0-RTT text the server did not take), then its echo.
static void exchange(struct conn *c, const struct options *o, int early_accepted) {
    static char got[MAX_LINE];
    const char *early = o->early_data && !early_accepted ? o->early_data : "";
    if (o->http) {
        static char request[MAX_LINE + 128];
        int len = snprintf(request, sizeof request,
                           "GET /%s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", o->message);
        if (!write_all(c, request, (size_t)len)) return;
        size_t n = read_all(c, got, sizeof got);
        const char *body = strstr(got, "\r\n\r\n");
        c->echo = n == 0 ? "none"
                  : strncmp(got, "HTTP/1.1 200 ", 13) == 0 && body && !strcmp(body + 4, o->message)
                      ? "matched"
                      : "mismatched";
        return;
    }
    static char line[MAX_LINE + 2];
    snprintf(line, sizeof line, "%s%s\n", early, o->message);
    if (!write_all(c, line, strlen(line))) return;
    if (!read_line(c, got, sizeof got)) {
        c->echo = "none";
        return;
    }
    // A server may echo 0-RTT text it took apart from the stream, or with the line.
    int matched = !strcmp(got, o->message) ||
                  (o->early_data && strlen(got) == strlen(o->early_data) + strlen(o->message) &&
                   !strncmp(got, o->early_data, strlen(o->early_data)) &&
                   !strcmp(got + strlen(o->early_data), o->message));
    c->echo = matched ? "matched" : "mismatched";
    if (!matched && !c->error[0])
        snprintf(c->error, sizeof c->error, "the server answered \"%.200s\", not \"%.200s\"", got,
                 o->message);
}

// One connection: `resuming` is the second connection of --resume.
static int connect_once(SSL_CTX *ctx, const struct options *o, int resuming, int *echoed) {
    struct conn c;
    char error[256];
    double t0 = now_ms();
    int fd = connect_to(o->port, error, sizeof error);
    if (fd < 0) {
        struct json j = {.len = 0, .first = 1};
        json_raw(&j, "{");
        json_bool(&j, "ok", 0);
        json_str(&j, "error", error);
        json_raw(&j, "}");
        printf("%s\n", j.buf);
        fflush(stdout);
        *echoed = 0;
        return 0;
    }
    if (!conn_start(&c, ctx, fd)) library_error("SSL_new");
    c.started = t0;
    set_peer_name(c.ssl, o->server_name ? o->server_name : "127.0.0.1");
    if (resuming && o->resume_groups.set) {
        char text[1024];
        groups_string(text, sizeof text, &o->resume_groups, NULL, 0, 0);
        if (SSL_set1_groups_list(c.ssl, text) != 1) library_error("--resume-groups");
    }
    int early_sent = 0;
    if (resuming && ticket) {
        SSL_set_session(c.ssl, ticket);
        // 0-RTT when the ticket allows it; otherwise the text goes after the handshake.
        if (o->early_data && *o->early_data && SSL_SESSION_get_max_early_data(ticket) > 0) {
            size_t done = 0;
            early_sent = SSL_write_early_data(c.ssl, o->early_data, strlen(o->early_data), &done);
            if (!early_sent) take_error(&c, 0, "writing early data");
        }
    }
    int r = c.error[0] ? 0 : SSL_connect(c.ssl);
    if (r == 1) {
        c.handshake_done = 1;
        c.handshake_ms = now_ms() - c.started;
        int accepted = early_sent && SSL_get_early_data_status(c.ssl) == SSL_EARLY_DATA_ACCEPTED;
        exchange(&c, o, accepted);
        if (!c.echo) c.echo = "none";
        close_in_order(&c);
    } else {
        take_error(&c, r, "handshake");
    }
    int ok = report(&c, o);
    *echoed = c.echo && !strcmp(c.echo, "matched");
    conn_end(&c);
    return ok;
}

static int run_client(const struct options *o) {
    SSL_CTX *ctx = make_context(o);
    int echoed = 0, all_echoed = 1;
    int ok = connect_once(ctx, o, 0, &echoed);
    all_echoed &= echoed;
    if (o->resume) {
        ok &= connect_once(ctx, o, 1, &echoed);
        all_echoed &= echoed;
    }
    SSL_SESSION_free(ticket);
    SSL_CTX_free(ctx);
    return ok && (!o->expect_echo || all_echoed) ? EXIT_OK : EXIT_FAILED;
}

// ------------------------------------------------------------------------------------ main

static void usage(void) {
    printf("usage: pqi-openssl server --port N --cert F --key F [flags]\n"
           "       pqi-openssl client --port N --ca F [flags]\n"
           "       pqi-openssl version | build-info\n"
           "flags (docs/peer-contract.md):");
    for (const struct flag *f = FLAGS; f->name; f++)
        printf("%s --%s", (f - FLAGS) % 6 ? "" : "\n ", f->name);
    printf("\n");
}

// How the library was built, one line each in the library's own words, for provenance.json.
static void build_info(void) {
    printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
    printf("headers: %s\n", OPENSSL_VERSION_TEXT);
    printf("%s\n", OpenSSL_version(OPENSSL_BUILT_ON));
    printf("%s\n", OpenSSL_version(OPENSSL_PLATFORM));
    printf("%s\n", OpenSSL_version(OPENSSL_CFLAGS));
    printf("%s\n", OpenSSL_version(OPENSSL_MODULES_DIR));
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage();
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "version")) {
        printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "build-info")) {
        build_info();
        return EXIT_OK;
    }
    if (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0)
        usage_error("the first argument must be \"server\" or \"client\", got \"%s\"", argv[1]);
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help")) {
            usage();
            return EXIT_OK;
        }
    static struct options o;
    parse_options(argc, argv, &o);
    opts = &o;
    return o.server ? run_server(&o) : run_client(&o);
}
