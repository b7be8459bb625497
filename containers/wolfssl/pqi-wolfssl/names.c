/* The project's names for codepoints (src/tls/names.ts), so the JSON line speaks the same
 * vocabulary as every other peer, and wolfSSL's names where its API wants its own. */
#include <string.h>

#include "pqi.h"

struct name { uint16_t code; const char *name; };

static const struct name GROUPS[] = {
    {0x001d, "x25519"},          {0x0017, "secp256r1"},         {0x0018, "secp384r1"},
    {0x0200, "MLKEM512"},        {0x0201, "MLKEM768"},          {0x0202, "MLKEM1024"},
    {0x11eb, "SecP256r1MLKEM768"}, {0x11ec, "X25519MLKEM768"},  {0x11ed, "SecP384r1MLKEM1024"},
};

/* wolfSSL_get_curve_name() answers in wolfSSL's spelling. */
static const struct { const char *wolfssl, *ours; } CURVE_NAMES[] = {
    {"X25519", "x25519"},         {"SECP256R1", "secp256r1"},   {"SECP384R1", "secp384r1"},
    {"ML_KEM_512", "MLKEM512"},   {"ML_KEM_768", "MLKEM768"},   {"ML_KEM_1024", "MLKEM1024"},
    {"X25519MLKEM768", "X25519MLKEM768"}, {"SecP256r1MLKEM768", "SecP256r1MLKEM768"},
    {"SecP384r1MLKEM1024", "SecP384r1MLKEM1024"},
};

static const struct name SUITES[] = {
    {0x1301, "TLS_AES_128_GCM_SHA256"},
    {0x1302, "TLS_AES_256_GCM_SHA384"},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
};

/* wolfSSL_CTX_set_cipher_list() takes wolfSSL's own suite names. */
static const struct name WOLFSSL_SUITES[] = {
    {0x1301, "TLS13-AES128-GCM-SHA256"},
    {0x1302, "TLS13-AES256-GCM-SHA384"},
    {0x1303, "TLS13-CHACHA20-POLY1305-SHA256"},
};

/* All the schemes names.ts knows, so a scheme outside the contract's list still gets its name. */
static const struct name SCHEMES[] = {
    {0x0401, "rsa_pkcs1_sha256"},       {0x0501, "rsa_pkcs1_sha384"},
    {0x0601, "rsa_pkcs1_sha512"},       {0x0403, "ecdsa_secp256r1_sha256"},
    {0x0503, "ecdsa_secp384r1_sha384"}, {0x0603, "ecdsa_secp521r1_sha512"},
    {0x0804, "rsa_pss_rsae_sha256"},    {0x0805, "rsa_pss_rsae_sha384"},
    {0x0806, "rsa_pss_rsae_sha512"},    {0x0807, "ed25519"},
    {0x0808, "ed448"},                  {0x0809, "rsa_pss_pss_sha256"},
    {0x080a, "rsa_pss_pss_sha384"},     {0x080b, "rsa_pss_pss_sha512"},
    {0x0904, "mldsa44"},                {0x0905, "mldsa65"},
    {0x0906, "mldsa87"},
};

static const struct name ALERTS[] = {
    {0, "close_notify"},          {10, "unexpected_message"},    {20, "bad_record_mac"},
    {22, "record_overflow"},      {40, "handshake_failure"},     {42, "bad_certificate"},
    {43, "unsupported_certificate"}, {44, "certificate_revoked"}, {45, "certificate_expired"},
    {46, "certificate_unknown"},  {47, "illegal_parameter"},     {48, "unknown_ca"},
    {49, "access_denied"},        {50, "decode_error"},          {51, "decrypt_error"},
    {70, "protocol_version"},     {71, "insufficient_security"}, {80, "internal_error"},
    {86, "inappropriate_fallback"}, {90, "user_canceled"},       {109, "missing_extension"},
    {110, "unsupported_extension"}, {112, "unrecognized_name"},
    {113, "bad_certificate_status_response"}, {115, "unknown_psk_identity"},
    {116, "certificate_required"}, {117, "general_error"},       {120, "no_application_protocol"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *by_code(const struct name *t, size_t n, int code)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].code == code) return t[i].name;
    return NULL;
}

static int by_name(const struct name *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) return t[i].code;
    return -1;
}

const char *group_name(uint16_t code) { return by_code(GROUPS, COUNT(GROUPS), code); }
int group_code(const char *name) { return by_name(GROUPS, COUNT(GROUPS), name); }
const char *suite_name(uint16_t code) { return by_code(SUITES, COUNT(SUITES), code); }
int suite_code(const char *name) { return by_name(SUITES, COUNT(SUITES), name); }
const char *scheme_name(uint16_t code) { return by_code(SCHEMES, COUNT(SCHEMES), code); }
const char *alert_name(int code) { return code < 0 ? NULL : by_code(ALERTS, COUNT(ALERTS), code); }

const char *suite_wolfssl_name(uint16_t code)
{
    return by_code(WOLFSSL_SUITES, COUNT(WOLFSSL_SUITES), code);
}

int suite_hash_is_sha384(uint16_t code) { return code == 0x1302; }

/* The contract's --signature-schemes takes only the schemes the reference peer supports. */
int scheme_code(const char *name)
{
    static const char *const CONTRACT[] = {
        "ecdsa_secp256r1_sha256", "ecdsa_secp384r1_sha384", "ed25519", "rsa_pss_rsae_sha256",
        "rsa_pss_rsae_sha384", "mldsa44", "mldsa65", "mldsa87",
    };
    for (size_t i = 0; i < COUNT(CONTRACT); i++)
        if (strcmp(CONTRACT[i], name) == 0) return by_name(SCHEMES, COUNT(SCHEMES), name);
    return -1;
}

const char *group_from_wolfssl_name(const char *wolfssl_name)
{
    if (wolfssl_name == NULL) return NULL;
    for (size_t i = 0; i < COUNT(CURVE_NAMES); i++)
        if (strcmp(CURVE_NAMES[i].wolfssl, wolfssl_name) == 0) return CURVE_NAMES[i].ours;
    return NULL;
}
