/* One JSON line per connection (docs/peer-contract.md, "The JSON result line"), from what
 * wolfSSL says about the connection. null means wolfSSL cannot say; nothing here repeats the
 * configuration as if it had been observed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pqi.h"

#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/rsa.h>

/* --- A tiny JSON writer ---------------------------------------------------------------------- */

struct json { char buf[8192]; size_t len; bool first; };

static void put(struct json *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(j->buf + j->len, sizeof(j->buf) - j->len, fmt, ap);
    va_end(ap);
    if (n > 0) j->len += (size_t)n < sizeof(j->buf) - j->len ? (size_t)n : sizeof(j->buf) - j->len - 1;
}

static void key(struct json *j, const char *k)
{
    put(j, "%s\"%s\":", j->first ? "" : ",", k);
    j->first = false;
}

static void string_value(struct json *j, const char *s)
{
    put(j, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') put(j, "\\%c", c);
        else if (c < 0x20) put(j, "\\u%04x", c);
        else put(j, "%c", c);
    }
    put(j, "\"");
}

static void str(struct json *j, const char *k, const char *v)
{
    key(j, k);
    if (v) string_value(j, v);
    else put(j, "null");
}

/* -1 is null. */
static void boolean(struct json *j, const char *k, int v)
{
    key(j, k);
    put(j, v < 0 ? "null" : v ? "true" : "false");
}

/* --- Certificates ---------------------------------------------------------------------------- */

/* The contract's key kinds (src/tls/names.ts CERT_KINDS); RSA by its modulus size. */
static void key_kind(DecodedCert *dc, char *kind, size_t len)
{
    switch (dc->keyOID) {
    case ECDSAk:
        snprintf(kind, len, "%s", dc->pkCurveOID == ECC_SECP256R1_OID   ? "ecdsa-p256"
                                  : dc->pkCurveOID == ECC_SECP384R1_OID ? "ecdsa-p384"
                                                                        : "ecdsa");
        return;
    case ED25519k: snprintf(kind, len, "ed25519"); return;
    case ML_DSA_44k: snprintf(kind, len, "mldsa44"); return;
    case ML_DSA_65k: snprintf(kind, len, "mldsa65"); return;
    case ML_DSA_87k: snprintf(kind, len, "mldsa87"); return;
    case RSAk: {
        RsaKey rsa;
        word32 idx = 0;
        int bits = 0;
        if (wc_InitRsaKey(&rsa, NULL) == 0) {
            if (wc_RsaPublicKeyDecode(dc->publicKey, &idx, &rsa, dc->pubKeySize) == 0)
                bits = wc_RsaEncryptSize(&rsa) * 8;
            wc_FreeRsaKey(&rsa);
        }
        snprintf(kind, len, "rsa%d", bits);
        return;
    }
    default: snprintf(kind, len, "key OID sum %u", dc->keyOID);
    }
}

/* Subject and key kind of a DER certificate, as wolfCrypt parses it. */
static int describe_der(const unsigned char *der, int der_len, char *subject, size_t subject_len,
                        char *kind, size_t kind_len)
{
    DecodedCert dc;
    wc_InitDecodedCert(&dc, der, (word32)der_len, NULL);
    int rc = wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL);
    if (rc == 0) {
        snprintf(subject, subject_len, "%s", dc.subject);
        key_kind(&dc, kind, kind_len);
    }
    wc_FreeDecodedCert(&dc);
    return rc;
}

void describe_cert_file(const char *path, char *subject, size_t subject_len, char *kind,
                        size_t kind_len)
{
    subject[0] = kind[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    static unsigned char pem[65536], der[32768];
    size_t n = fread(pem, 1, sizeof(pem), f);
    fclose(f);
    int der_len = wc_CertPemToDer(pem, (int)n, der, (int)sizeof(der), CERT_TYPE);
    if (der_len > 0) describe_der(der, der_len, subject, subject_len, kind, kind_len);
}

static void cert_object(struct json *j, const char *k, const char *subject, const char *kind)
{
    key(j, k);
    if (!subject || !subject[0]) {
        put(j, "null");
        return;
    }
    put(j, "{\"subject\":");
    string_value(j, subject);
    put(j, ",\"keyType\":");
    string_value(j, kind);
    put(j, "}");
}

/* The leaf the peer presented, from the chain wolfSSL keeps in the session (SESSION_CERTS). */
static void peer_certificate(struct json *j, WOLFSSL *ssl)
{
#ifdef SESSION_CERTS
    char subject[512] = "", kind[64] = "";
    WOLFSSL_X509_CHAIN *chain = wolfSSL_get_peer_chain(ssl);
    if (chain && wolfSSL_get_chain_count(chain) > 0)
        describe_der(wolfSSL_get_chain_cert(chain, 0), wolfSSL_get_chain_length(chain, 0),
                     subject, sizeof(subject), kind, sizeof(kind));
    cert_object(j, "peerCertificate", subject, kind);
#else
    (void)ssl;
    str(j, "peerCertificate", NULL);
#endif
}

/* --- Alerts ---------------------------------------------------------------------------------- */

/* The alert that ended the connection: wolfSSL remembers the last one each way. close_notify is
 * the orderly end, not an alert to report (like the reference peer). A code without a name in
 * the project's table goes into `error` as text. */
struct ending { const char *name, *direction; char unnamed[64]; };

static void ending_alert(WOLFSSL *ssl, const struct outcome *out, struct ending *e)
{
    WOLFSSL_ALERT_HISTORY h;
    memset(e, 0, sizeof(*e));
    if (wolfSSL_get_alert_history(ssl, &h) != WOLFSSL_SUCCESS) return;
    bool rx = h.last_rx.code > 0, tx = h.last_tx.code > 0;
    int code;
    /* FATAL_ERROR (-313) is wolfSSL's "received alert fatal error". */
    if (rx && (!tx || out->lib_error == -313)) code = h.last_rx.code, e->direction = "received";
    else if (tx) code = h.last_tx.code, e->direction = "sent";
    else return;
    e->name = alert_name(code);
    if (!e->name) {
        snprintf(e->unnamed, sizeof(e->unnamed), "alert %d %s", code, e->direction);
        e->direction = NULL;
    }
}

/* --- The line -------------------------------------------------------------------------------- */

static const char *early_data(WOLFSSL *ssl)
{
    switch (wolfSSL_get_early_data_status(ssl)) {
    case WOLFSSL_EARLY_DATA_ACCEPTED: return "accepted";
    case WOLFSSL_EARLY_DATA_REJECTED: return "rejected";
    default: return NULL;
    }
}

static const char *cipher_suite(WOLFSSL *ssl)
{
    const char *name = wolfSSL_CIPHER_get_name(wolfSSL_get_current_cipher(ssl));
    return name && suite_code(name) >= 0 ? name : NULL;
}

static const char *psk_identity(WOLFSSL *ssl, const struct options *o)
{
    if (o->role == ROLE_SERVER) return psk_identity_used();
    return wolfSSL_get_psk_identity(ssl);
}

/* The certificate this side presented: a server presents one unless a PSK alone authenticated;
 * a client only when the server asked. */
static void own_certificate(struct json *j, WOLFSSL *ssl, const struct options *o, bool psk,
                            int with_cert)
{
    bool presented = o->cert && (o->role == ROLE_SERVER ? (!psk || with_cert == 1)
                                                        : internals_client_cert_requested(ssl));
    char subject[512] = "", kind[64] = "";
    if (presented) describe_cert_file(o->cert, subject, sizeof(subject), kind, sizeof(kind));
    cert_object(j, "certificate", subject, kind);
}

/* A ticket (not the external PSK) was used. The server's PSK lookup clears wolfSSL's "resuming"
 * when the external PSK matched (FindPsk) and keeps it for a ticket. The client cannot tell the
 * two apart after the handshake, so it counts a PSK handshake on a connection that offered a
 * ticket as resumed; the shim offers both only with --resume and a PSK together. */
static bool resumed_ticket(WOLFSSL *ssl, const struct options *o, int psk, bool offered_ticket)
{
    if (psk != 1) return false;
    return o->role == ROLE_SERVER ? wolfSSL_session_reused(ssl) : offered_ticket;
}

void print_report(WOLFSSL *ssl, const struct options *o, const struct outcome *out,
                  bool offered_ticket)
{
    struct json j = {.first = true};
    put(&j, "{");
    bool done = out->handshake_done;
    int psk = done ? internals_psk_negotiated(ssl) : -1;
    int dhe = psk == 1 ? internals_psk_dhe(ssl) : -1;
    int with_cert = done ? internals_cert_with_psk(ssl) : -1;
    bool resumed = resumed_ticket(ssl, o, psk, offered_ticket);
    bool external = psk == 1 && !resumed && o->psk_identity && psk_identity(ssl, o);
    struct ending end;
    ending_alert(ssl, out, &end);
    char error[700];
    snprintf(error, sizeof(error), "%s%s%s", out->error, out->error[0] && end.unnamed[0] ? "; " : "",
             end.unnamed);
    bool ok = done && out->closed_in_order && error[0] == '\0' && !end.name;

    str(&j, "version", done ? wolfSSL_get_version(ssl) : NULL);
    str(&j, "group", done && dhe != 0 ? group_from_wolfssl_name(wolfSSL_get_curve_name(ssl)) : NULL);
    str(&j, "cipherSuite", done ? cipher_suite(ssl) : NULL);
    boolean(&j, "helloRetryRequest", done ? internals_hello_retry(ssl) : -1);
    boolean(&j, "resumed", done ? resumed : -1);
    str(&j, "pskMode", psk == 1 ? (dhe ? "psk_dhe_ke" : "psk_ke") : NULL);
    str(&j, "pskIdentity", external ? psk_identity(ssl, o) : NULL);
    str(&j, "earlyData", early_data(ssl));
    boolean(&j, "certWithPsk", with_cert);
    int scheme = done && (psk != 1 || with_cert == 1) ? internals_server_scheme(ssl) : -1;
    str(&j, "signatureScheme", scheme >= 0 ? scheme_name((uint16_t)scheme) : NULL);
    /* wolfSSL keeps the peer's chain in the session, so a resumed connection still has the one
     * from the full handshake: only a handshake with certificates reports one. */
    if (done && (psk != 1 || with_cert == 1)) peer_certificate(&j, ssl);
    else str(&j, "peerCertificate", NULL);
    if (done) own_certificate(&j, ssl, o, psk == 1, with_cert);
    else str(&j, "certificate", NULL);
    if (o->role == ROLE_CLIENT) str(&j, "echo", out->echo);
    str(&j, "alert", end.name);
    str(&j, "alertDirection", end.direction);
    str(&j, "error", error[0] ? error : NULL);
    key(&j, "handshakeMs");
    if (done) put(&j, "%.1f", out->handshake_ms);
    else put(&j, "null");
    /* ok goes first in the line, for people reading it. */
    printf("{\"ok\":%s,%s}\n", ok ? "true" : "false", j.buf + 1);
    fflush(stdout);
}
