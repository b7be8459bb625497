/* pqi-wolfssl: the peer contract (docs/peer-contract.md) on libwolfssl.
 *
 * One process is one role. main.c runs the connections, flags.c reads the command line, setup.c
 * turns the flags into wolfSSL configuration, report.c turns what wolfSSL says about a connection
 * into the contract's JSON line, names.c holds the project's names for codepoints, and
 * internals.c is the one file that reads wolfSSL's own structures (for what this build has no
 * public API: see the comment at its top). */
#ifndef PQI_H
#define PQI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#define MAX_LIST 16

enum role { ROLE_SERVER, ROLE_CLIENT };

/* A comma-separated list of codepoints, in order; `given` tells an absent flag from "none". */
struct list {
    bool given;
    int n;
    uint16_t items[MAX_LIST];
};

/* Everything the command line said. Absent flags stay zero/NULL/false: absent means "wolfSSL's
 * own default", never a default of ours. */
struct options {
    enum role role;
    int port;
    const char *cert, *key, *chain, *ca;
    struct list groups, cipher_suites, signature_schemes;
    const char *psk_identity, *psk_key_hex;
    const char *psk_hash;  /* "sha256" | "sha384" | NULL */
    const char *psk_mode;  /* "dhe_ke" | "ke" | NULL */
    bool psk_import;
    const char *cert_with_psk; /* "require" | "allow" | NULL */
    bool http;
    /* server */
    bool prefer_hrr, client_auth;
    long count; /* -1: serve until stopped */
    long tickets, max_early_data; /* -1: not given */
    /* client */
    const char *server_name, *message, *early_data;
    bool expect_echo, resume;
    struct list key_shares, resume_groups;
};

/* What one connection told us, filled step by step and printed as one JSON line. */
struct outcome {
    bool handshake_done;
    bool closed_in_order;
    double handshake_ms;
    const char *echo; /* client: "matched" | "mismatched" | "none" | NULL */
    char error[512];  /* first failure, in wolfSSL's words where it has some */
    int lib_error;    /* wolfSSL error code of the failure, 0 if none */
};

/* flags.c */
int parse_flags(int argc, char **argv, struct options *o); /* exits 2 or 127 itself */
void usage_error(const char *fmt, ...);
void unsupported(const char *kind, const char *fmt, ...);

/* names.c */
const char *group_name(uint16_t code);
int group_code(const char *name);
const char *group_from_wolfssl_name(const char *wolfssl_name);
const char *suite_name(uint16_t code);
int suite_code(const char *name);
const char *suite_wolfssl_name(uint16_t code);
int suite_hash_is_sha384(uint16_t code);
const char *scheme_name(uint16_t code);
int scheme_code(const char *name);
const char *alert_name(int code);

/* setup.c */
WOLFSSL_CTX *make_context(const struct options *o);
int configure_connection(WOLFSSL *ssl, const struct options *o, const struct list *groups,
                         bool first_connection, char *why, size_t why_len);
const char *psk_identity_used(void);

/* report.c */
void print_report(WOLFSSL *ssl, const struct options *o, const struct outcome *out,
                  bool offered_ticket);
void describe_cert_file(const char *path, char *subject, size_t subject_len, char *kind,
                        size_t kind_len);

/* internals.c */
int internals_check(WOLFSSL *ssl);
int internals_set_sigalgs(WOLFSSL *ssl, const struct list *schemes);
int internals_hello_retry(WOLFSSL *ssl);   /* 1, 0, or -1 when it cannot say */
int internals_psk_negotiated(WOLFSSL *ssl);
int internals_psk_dhe(WOLFSSL *ssl);
int internals_cert_with_psk(WOLFSSL *ssl);
int internals_server_scheme(WOLFSSL *ssl); /* codepoint or -1 */
int internals_client_cert_requested(WOLFSSL *ssl);
int internals_send_fatal_alert(WOLFSSL *ssl, int alert);

#endif
