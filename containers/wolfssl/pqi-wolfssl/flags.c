/* The contract's command line: one table of flags, checked before any socket is opened. A mistake
 * is one line on stderr naming the flag and exit 2; a configuration wolfSSL cannot do is
 * "unsupported: lacks: ..." and exit 127 (docs/peer-contract.md, "Exit codes"). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pqi.h"

enum kind { INT, TEXT, FILE_, LIST, SWITCH, CHOICE };
enum roles { SERVER = 1, CLIENT = 2, BOTH = 3 };
enum vocabulary { NONE, GROUP_LIST, SUITE_LIST, SCHEME_LIST };

struct flag {
    const char *name;
    enum kind kind;
    enum roles roles;
    enum vocabulary names;      /* for LIST */
    const char *choices[3];     /* for CHOICE */
    bool value_optional;        /* CHOICE: may stand alone, then it means choices[0] */
};

static const struct flag FLAGS[] = {
    {"port", INT, BOTH},
    {"cert", FILE_, BOTH},
    {"key", FILE_, BOTH},
    {"chain", FILE_, BOTH},
    {"ca", FILE_, BOTH},
    {"groups", LIST, BOTH, GROUP_LIST},
    {"cipher-suites", LIST, BOTH, SUITE_LIST},
    {"signature-schemes", LIST, BOTH, SCHEME_LIST},
    {"psk-identity", TEXT, BOTH},
    {"psk-key", TEXT, BOTH},
    {"psk-hash", CHOICE, BOTH, NONE, {"sha256", "sha384"}},
    {"psk-mode", CHOICE, BOTH, NONE, {"dhe_ke", "ke"}},
    {"psk-import", SWITCH, BOTH},
    /* Like the reference peer: without a value it means the first choice. */
    {"cert-with-psk", CHOICE, BOTH, NONE, {"require", "allow"}, true},
    {"http", SWITCH, BOTH},
    {"prefer-hrr", SWITCH, SERVER},
    {"client-auth", SWITCH, SERVER},
    {"count", INT, SERVER},
    {"tickets", INT, SERVER},
    {"max-early-data", INT, SERVER},
    {"server-name", TEXT, CLIENT},
    {"message", TEXT, CLIENT},
    {"expect-echo", SWITCH, CLIENT},
    {"key-shares", LIST, CLIENT, GROUP_LIST},
    {"resume", SWITCH, CLIENT},
    {"resume-groups", LIST, CLIENT, GROUP_LIST},
    {"early-data", TEXT, CLIENT},
};

#define NFLAGS (sizeof(FLAGS) / sizeof(FLAGS[0]))

void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pqi-wolfssl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* kind is "lacks" (wolfSSL does not offer it) or "shim" (this program cannot express it). */
void unsupported(const char *kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "unsupported: %s: ", kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(127);
}

static const struct flag *find_flag(const char *arg, enum role role)
{
    if (strncmp(arg, "--", 2) != 0) return NULL;
    for (size_t i = 0; i < NFLAGS; i++) {
        if (strcmp(FLAGS[i].name, arg + 2) != 0) continue;
        return (FLAGS[i].roles & (role == ROLE_SERVER ? SERVER : CLIENT)) ? &FLAGS[i] : NULL;
    }
    return NULL;
}

static long parse_int(const char *flag, const char *value, long max)
{
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (errno || *value == '\0' || *end != '\0' || n < 0 || n > max)
        usage_error("--%s must be a number 0..%ld, got \"%s\"", flag, max, value);
    return n;
}

static int name_code(enum vocabulary v, const char *name)
{
    switch (v) {
    case GROUP_LIST: return group_code(name);
    case SUITE_LIST: return suite_code(name);
    case SCHEME_LIST: return scheme_code(name);
    default: return -1;
    }
}

static void parse_list(const struct flag *f, const char *value, struct list *out)
{
    out->given = true;
    out->n = 0;
    if (f->names == GROUP_LIST && strcmp(f->name, "key-shares") == 0 && strcmp(value, "none") == 0)
        return;
    char *copy = strdup(value);
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        int code = name_code(f->names, item);
        if (code < 0) usage_error("unknown name \"%s\" in --%s", item, f->name);
        if (out->n == MAX_LIST) usage_error("--%s: more than %d names", f->name, MAX_LIST);
        out->items[out->n++] = (uint16_t)code;
    }
    free(copy);
}

static void check_readable(const char *flag, const char *path)
{
    if (access(path, R_OK) != 0)
        usage_error("cannot read --%s %s: %s", flag, path, strerror(errno));
}

static const char *parse_choice(const struct flag *f, const char *value)
{
    for (int i = 0; i < 3 && f->choices[i]; i++)
        if (strcmp(f->choices[i], value) == 0) return f->choices[i];
    usage_error("--%s must be %s or %s, got \"%s\"", f->name, f->choices[0], f->choices[1], value);
    return NULL;
}

static bool is_choice(const struct flag *f, const char *value)
{
    for (int i = 0; i < 3 && f->choices[i]; i++)
        if (value && strcmp(f->choices[i], value) == 0) return true;
    return false;
}

/* Stores one flag's value in the options. */
static void store(struct options *o, const struct flag *f, const char *v)
{
    const char *n = f->name;
    if (!strcmp(n, "port")) o->port = (int)parse_int(n, v, 65535);
    else if (!strcmp(n, "cert")) o->cert = v;
    else if (!strcmp(n, "key")) o->key = v;
    else if (!strcmp(n, "chain")) o->chain = v;
    else if (!strcmp(n, "ca")) o->ca = v;
    else if (!strcmp(n, "groups")) parse_list(f, v, &o->groups);
    else if (!strcmp(n, "cipher-suites")) parse_list(f, v, &o->cipher_suites);
    else if (!strcmp(n, "signature-schemes")) parse_list(f, v, &o->signature_schemes);
    else if (!strcmp(n, "psk-identity")) o->psk_identity = v;
    else if (!strcmp(n, "psk-key")) o->psk_key_hex = v;
    else if (!strcmp(n, "psk-hash")) o->psk_hash = v;
    else if (!strcmp(n, "psk-mode")) o->psk_mode = v;
    else if (!strcmp(n, "psk-import")) o->psk_import = true;
    else if (!strcmp(n, "cert-with-psk")) o->cert_with_psk = v;
    else if (!strcmp(n, "http")) o->http = true;
    else if (!strcmp(n, "prefer-hrr")) o->prefer_hrr = true;
    else if (!strcmp(n, "client-auth")) o->client_auth = true;
    else if (!strcmp(n, "count")) o->count = parse_int(n, v, 1000000);
    else if (!strcmp(n, "tickets")) o->tickets = parse_int(n, v, 255);
    else if (!strcmp(n, "max-early-data")) o->max_early_data = parse_int(n, v, 0xffffffffL);
    else if (!strcmp(n, "server-name")) o->server_name = v;
    else if (!strcmp(n, "message")) o->message = v;
    else if (!strcmp(n, "expect-echo")) o->expect_echo = true;
    else if (!strcmp(n, "key-shares")) parse_list(f, v, &o->key_shares);
    else if (!strcmp(n, "resume")) o->resume = true;
    else if (!strcmp(n, "resume-groups")) parse_list(f, v, &o->resume_groups);
    else if (!strcmp(n, "early-data")) o->early_data = v;
}

static bool in_list(const struct list *l, uint16_t code)
{
    for (int i = 0; i < l->n; i++)
        if (l->items[i] == code) return true;
    return false;
}

static void check_psk(const struct options *o)
{
    bool have = o->psk_identity || o->psk_key_hex;
    if (!have) {
        if (o->psk_hash || o->psk_mode || o->psk_import || o->cert_with_psk)
            usage_error("--psk-hash, --psk-mode, --psk-import and --cert-with-psk need "
                        "--psk-identity and --psk-key");
        return;
    }
    if (!o->psk_identity || !o->psk_key_hex)
        usage_error("--psk-identity and --psk-key go together");
    size_t len = strlen(o->psk_key_hex);
    if (len == 0 || len % 2 || strspn(o->psk_key_hex, "0123456789abcdefABCDEF") != len)
        usage_error("--psk-key must be an even number of hex digits");
    if (len / 2 > 64) usage_error("--psk-key: wolfSSL takes at most 64 bytes (MAX_PSK_KEY_LEN)");
    if (len / 2 < 16) usage_error("--psk-key: a PSK needs at least 16 bytes");
    if (strlen(o->psk_identity) == 0 || strlen(o->psk_identity) > 128)
        usage_error("--psk-identity must be 1..128 characters (wolfSSL's MAX_PSK_ID_LEN)");
}

/* Rules between flags, as the reference peer has them (src/tls/cli.ts). */
static void check_combinations(const struct options *o)
{
    check_psk(o);
    if ((o->cert == NULL) != (o->key == NULL)) usage_error("--cert and --key go together");
    if (o->chain && !o->cert) usage_error("--chain needs --cert and --key");
    bool psk = o->psk_identity != NULL;
    if (o->role == ROLE_SERVER) {
        if (!o->cert && !psk) usage_error("server needs --cert and --key, or a PSK");
        if (o->cert_with_psk && !o->cert) usage_error("--cert-with-psk needs --cert and --key");
        if (o->client_auth && !o->ca) usage_error("--client-auth needs --ca");
        return;
    }
    if (!o->ca) usage_error("client needs --ca");
    for (int i = 0; i < o->key_shares.n; i++)
        if (o->groups.given && !in_list(&o->groups, o->key_shares.items[i]))
            usage_error("--key-shares %s is not in --groups", group_name(o->key_shares.items[i]));
    if (o->resume_groups.given && !o->resume) usage_error("--resume-groups needs --resume");
}

/* What wolfSSL 5.9.2 does not have, refused before anything starts. */
static void check_supported(const struct options *o)
{
    if (o->psk_import)
        unsupported("lacks", "wolfSSL 5.9.2 does not implement RFC 9258 imported PSKs (no "
                             "importer, no \"imp binder\" label)");
    if (o->prefer_hrr)
        unsupported("lacks", "wolfSSL's server takes the best-ranked group among the client's key "
                             "shares and sends a HelloRetryRequest only when none is acceptable "
                             "(TLSX_KeyShare_Choose); it has no option to ask for its preferred "
                             "group by HelloRetryRequest");
}

int parse_flags(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->count = o->tickets = o->max_early_data = -1;
    if (argc < 2 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0))
        usage_error("first argument must be \"server\" or \"client\" (or \"version\")");
    o->role = strcmp(argv[1], "server") == 0 ? ROLE_SERVER : ROLE_CLIENT;
    for (int i = 2; i < argc; i++) {
        const struct flag *f = find_flag(argv[i], o->role);
        if (!f) usage_error("unknown %s flag \"%s\"", argv[1], argv[i]);
        if (f->kind == SWITCH) { store(o, f, NULL); continue; }
        if (f->kind == CHOICE && f->value_optional && !is_choice(f, i + 1 < argc ? argv[i + 1] : NULL)) {
            store(o, f, f->choices[0]);
            continue;
        }
        if (i + 1 >= argc) usage_error("--%s needs a value", f->name);
        const char *v = argv[++i];
        if (f->kind == CHOICE) v = parse_choice(f, v);
        if (f->kind == FILE_) check_readable(f->name, v);
        store(o, f, v);
    }
    check_combinations(o);
    check_supported(o);
    return 0;
}
