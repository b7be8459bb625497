/* The contract's flags as wolfSSL configuration: one context per process (groups, suites,
 * certificates, trust, PSK, tickets, 0-RTT) and per connection what wolfSSL sets only on a
 * connection (key shares, signature_algorithms, SNI and the name to check). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pqi.h"

/* The PSK callbacks get no argument of ours, so they read the options from here. */
static const struct options *opts;
static char identity_matched[130];

/* --- Certificates ---------------------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) usage_error("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) usage_error("cannot read %s", path);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* The n-th PEM CERTIFICATE block of text (start and length), or 0 when there is none. */
static int pem_block(const char *text, int n, const char **start, size_t *len)
{
    static const char BEGIN[] = "-----BEGIN CERTIFICATE-----", END[] = "-----END CERTIFICATE-----";
    const char *p = text;
    for (int i = 0;; i++) {
        const char *b = strstr(p, BEGIN);
        const char *e = b ? strstr(b, END) : NULL;
        if (!e) return 0;
        e += sizeof(END) - 1;
        if (i == n) {
            *start = b;
            *len = (size_t)(e - b);
            return 1;
        }
        p = e;
    }
}

/* --cert (leaf first) and --chain (intermediates; the leaf may be repeated there, and is then
 * skipped) as one PEM chain for wolfSSL_CTX_use_certificate_chain_buffer. */
static char *chain_pem(const struct options *o, size_t *len)
{
    size_t cert_len, chain_len = 0;
    char *cert = read_file(o->cert, &cert_len);
    char *chain = o->chain ? read_file(o->chain, &chain_len) : NULL;
    char *out = malloc(cert_len + chain_len + 2);
    memcpy(out, cert, cert_len);
    *len = cert_len;
    out[(*len)++] = '\n';
    const char *leaf, *block;
    size_t leaf_len, block_len;
    if (chain && pem_block(cert, 0, &leaf, &leaf_len)) {
        for (int i = 0; pem_block(chain, i, &block, &block_len); i++) {
            if (block_len == leaf_len && memcmp(block, leaf, leaf_len) == 0) continue;
            memcpy(out + *len, block, block_len);
            *len += block_len;
            out[(*len)++] = '\n';
        }
    }
    free(cert);
    free(chain);
    return out;
}

static void load_credential(WOLFSSL_CTX *ctx, const struct options *o)
{
    size_t len;
    char *pem = chain_pem(o, &len);
    int rc = wolfSSL_CTX_use_certificate_chain_buffer_format(ctx, (unsigned char *)pem, (long)len,
                                                             WOLFSSL_FILETYPE_PEM);
    free(pem);
    if (rc != WOLFSSL_SUCCESS)
        unsupported("lacks", "wolfSSL cannot load --cert %s: %d %s", o->cert, rc,
                    wolfSSL_ERR_reason_error_string((unsigned long)rc));
    rc = wolfSSL_CTX_use_PrivateKey_file(ctx, o->key, WOLFSSL_FILETYPE_PEM);
    if (rc != WOLFSSL_SUCCESS)
        unsupported("lacks", "wolfSSL cannot load --key %s: %d %s", o->key, rc,
                    wolfSSL_ERR_reason_error_string((unsigned long)rc));
}

/* A client always verifies the server against --ca; a server asks for a client certificate only
 * with --client-auth, and then requires one. */
static void load_trust(WOLFSSL_CTX *ctx, const struct options *o)
{
    if (o->ca) {
        int rc = wolfSSL_CTX_load_verify_locations(ctx, o->ca, NULL);
        if (rc != WOLFSSL_SUCCESS)
            unsupported("lacks", "wolfSSL cannot load --ca %s: %d %s", o->ca, rc,
                        wolfSSL_ERR_reason_error_string((unsigned long)rc));
    }
    int mode = WOLFSSL_VERIFY_PEER;
    if (o->role == ROLE_SERVER)
        mode = o->client_auth ? WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT
                              : WOLFSSL_VERIFY_NONE;
    wolfSSL_CTX_set_verify(ctx, mode, NULL);
}

/* --- Groups and cipher suites ---------------------------------------------------------------- */

static void set_groups(WOLFSSL_CTX *ctx, const struct list *groups)
{
    int codes[MAX_LIST];
    for (int i = 0; i < groups->n; i++) codes[i] = groups->items[i];
    int rc = wolfSSL_CTX_set_groups(ctx, codes, groups->n);
    if (rc != WOLFSSL_SUCCESS)
        unsupported("lacks", "wolfSSL_CTX_set_groups refused the list: %d %s", rc,
                    wolfSSL_ERR_reason_error_string((unsigned long)rc));
}

static void set_suites(WOLFSSL_CTX *ctx, const struct list *suites)
{
    char list[256] = "";
    for (int i = 0; i < suites->n; i++) {
        if (i) strcat(list, ":");
        strcat(list, suite_wolfssl_name(suites->items[i]));
    }
    if (wolfSSL_CTX_set_cipher_list(ctx, list) != WOLFSSL_SUCCESS)
        unsupported("lacks", "wolfSSL_CTX_set_cipher_list refused \"%s\"", list);
}

/* --- External PSK ---------------------------------------------------------------------------- */

/* wolfSSL binds a TLS 1.3 PSK to one cipher suite, named by the callback; the suite's hash must
 * be the PSK's. The first of --cipher-suites with that hash, else the one suite per hash. */
static const char *psk_suite(void)
{
    bool sha384 = opts->psk_hash && strcmp(opts->psk_hash, "sha384") == 0;
    for (int i = 0; i < opts->cipher_suites.n; i++)
        if (suite_hash_is_sha384(opts->cipher_suites.items[i]) == sha384)
            return suite_wolfssl_name(opts->cipher_suites.items[i]);
    return sha384 ? "TLS13-AES256-GCM-SHA384" : "TLS13-AES128-GCM-SHA256";
}

static unsigned int psk_key(unsigned char *key, unsigned int max)
{
    size_t n = strlen(opts->psk_key_hex) / 2;
    if (n > max) return 0;
    for (size_t i = 0; i < n; i++) sscanf(opts->psk_key_hex + 2 * i, "%2hhx", &key[i]);
    return (unsigned int)n;
}

static unsigned int client_psk(WOLFSSL *ssl, const char *hint, char *identity,
                               unsigned int id_max, unsigned char *key, unsigned int key_max,
                               const char **suite)
{
    (void)ssl;
    (void)hint;
    if (strlen(opts->psk_identity) >= id_max) return 0;
    strcpy(identity, opts->psk_identity);
    *suite = psk_suite();
    return psk_key(key, key_max);
}

/* Asked for each identity the client offers; we know one. */
static unsigned int server_psk(WOLFSSL *ssl, const char *identity, unsigned char *key,
                               unsigned int key_max, const char **suite)
{
    (void)ssl;
    if (strcmp(identity, opts->psk_identity) != 0) return 0;
    snprintf(identity_matched, sizeof(identity_matched), "%s", identity);
    *suite = psk_suite();
    return psk_key(key, key_max);
}

const char *psk_identity_used(void) { return identity_matched[0] ? identity_matched : NULL; }

/* --psk-mode: client, the one mode offered; server, dhe_ke requires a key share and ke makes
 * wolfSSL use psk_ke (wolfSSL_no_dhe_psk has no "prefer": a client that offers only psk_dhe_ke
 * is then refused). --cert-with-psk: RFC 9973, both roles. */
static void set_psk(WOLFSSL_CTX *ctx, const struct options *o)
{
    if (o->role == ROLE_CLIENT) wolfSSL_CTX_set_psk_client_tls13_callback(ctx, client_psk);
    else wolfSSL_CTX_set_psk_server_tls13_callback(ctx, server_psk);
    if (o->psk_mode && strcmp(o->psk_mode, "ke") == 0) wolfSSL_CTX_no_dhe_psk(ctx);
    if (o->psk_mode && strcmp(o->psk_mode, "dhe_ke") == 0) wolfSSL_CTX_only_dhe_psk(ctx);
    if (o->cert_with_psk && wolfSSL_CTX_set_cert_with_extern_psk(ctx, 1) != WOLFSSL_SUCCESS)
        unsupported("lacks", "wolfSSL_CTX_set_cert_with_extern_psk failed");
}

/* --- Tickets and 0-RTT (server) -------------------------------------------------------------- */

/* wolfSSL sends one ticket after every handshake unless told otherwise; the contract's default is
 * none. max_early_data_size 0 means tickets announce no 0-RTT and none is accepted. */
static void set_tickets(WOLFSSL_CTX *ctx, const struct options *o)
{
    if (wolfSSL_CTX_set_num_tickets(ctx, (size_t)(o->tickets > 0 ? o->tickets : 0)) !=
        WOLFSSL_SUCCESS)
        unsupported("lacks", "wolfSSL_CTX_set_num_tickets(%ld) failed", o->tickets);
    unsigned int max = o->max_early_data > 0 ? (unsigned int)o->max_early_data : 0;
    /* This build answers 0 on success (no opensslextra return convention). */
    if (wolfSSL_CTX_set_max_early_data(ctx, max) < 0)
        unsupported("lacks", "wolfSSL_CTX_set_max_early_data(%u) failed", max);
}

WOLFSSL_CTX *make_context(const struct options *o)
{
    opts = o;
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(o->role == ROLE_SERVER ? wolfTLSv1_3_server_method()
                                                              : wolfTLSv1_3_client_method());
    if (!ctx) unsupported("lacks", "wolfSSL_CTX_new failed");
    if (o->groups.given) set_groups(ctx, &o->groups);
    if (o->cipher_suites.given) set_suites(ctx, &o->cipher_suites);
    if (o->cert) load_credential(ctx, o);
    load_trust(ctx, o);
    if (o->psk_identity) set_psk(ctx, o);
    if (o->role == ROLE_SERVER) set_tickets(ctx, o);
    return ctx;
}

/* --- Per connection -------------------------------------------------------------------------- */

static int fail(char *why, size_t len, const char *fmt, const char *arg, int rc)
{
    snprintf(why, len, fmt, arg, rc, wolfSSL_ERR_reason_error_string((unsigned long)rc));
    return -1;
}

/* Exactly the shares asked for: none (an empty key_share), or one per group in order. */
static int set_key_shares(WOLFSSL *ssl, const struct list *shares, char *why, size_t len)
{
    if (shares->n == 0) {
        int rc = wolfSSL_NoKeyShares(ssl);
        return rc == WOLFSSL_SUCCESS ? 0 : fail(why, len, "wolfSSL_NoKeyShares%s: %d %s", "", rc);
    }
    for (int i = 0; i < shares->n; i++) {
        int rc = wolfSSL_UseKeyShare(ssl, shares->items[i]);
        if (rc != WOLFSSL_SUCCESS)
            return fail(why, len, "wolfSSL_UseKeyShare(%s): %d %s", group_name(shares->items[i]), rc);
    }
    return 0;
}

/* The server certificate must match --server-name (sent as SNI), or 127.0.0.1 without one. */
static int set_peer_name(WOLFSSL *ssl, const struct options *o, char *why, size_t len)
{
    if (!o->server_name) {
        int rc = wolfSSL_check_ip_address(ssl, "127.0.0.1");
        return rc == WOLFSSL_SUCCESS ? 0 : fail(why, len, "wolfSSL_check_ip_address%s: %d %s", "", rc);
    }
    int rc = wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, o->server_name,
                            (unsigned short)strlen(o->server_name));
    if (rc != WOLFSSL_SUCCESS) return fail(why, len, "wolfSSL_UseSNI(%s): %d %s", o->server_name, rc);
    rc = wolfSSL_check_domain_name(ssl, o->server_name);
    if (rc != WOLFSSL_SUCCESS)
        return fail(why, len, "wolfSSL_check_domain_name(%s): %d %s", o->server_name, rc);
    return 0;
}

/* Returns 0, or -1 with `why` when wolfSSL refuses part of the configuration (then the
 * configuration is unsupported, exit 127). */
int configure_connection(WOLFSSL *ssl, const struct options *o, const struct list *groups,
                         bool first_connection, char *why, size_t len)
{
    if (internals_check(ssl) != 0) {
        snprintf(why, len, "the WOLFSSL structure does not match the headers pqi-wolfssl was built with");
        return -1;
    }
    if (groups->given) {
        int codes[MAX_LIST];
        for (int i = 0; i < groups->n; i++) codes[i] = groups->items[i];
        int rc = wolfSSL_set_groups(ssl, codes, groups->n);
        if (rc != WOLFSSL_SUCCESS) return fail(why, len, "wolfSSL_set_groups%s: %d %s", "", rc);
    }
    /* --key-shares speaks about --groups, so it holds unless --resume-groups replaced them. */
    if (o->role == ROLE_CLIENT && o->key_shares.given && (first_connection || !o->resume_groups.given))
        if (set_key_shares(ssl, &o->key_shares, why, len) != 0) return -1;
    if (o->signature_schemes.given && internals_set_sigalgs(ssl, &o->signature_schemes) != 0) {
        snprintf(why, len, "wolfSSL keeps fewer signature schemes than --signature-schemes lists");
        return -1;
    }
    if (o->role == ROLE_CLIENT && set_peer_name(ssl, o, why, len) != 0) return -1;
    /* The PSK identity stays readable after the handshake (wolfSSL_get_psk_identity). */
    if (o->psk_identity) wolfSSL_KeepArrays(ssl);
    identity_matched[0] = '\0';
    return 0;
}
