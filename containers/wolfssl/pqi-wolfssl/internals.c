/* What wolfSSL knows but this build does not publish.
 *
 * The measured build leaves out --enable-opensslextra on purpose (it is a different library
 * configuration), and without it wolfSSL 5.9.2 has no public call to set signature_algorithms, to
 * read the scheme of a CertificateVerify, or to ask whether a HelloRetryRequest happened or
 * tls_cert_with_extern_psk was negotiated. (Even with it, wolfSSL_set1_sigalgs_list cannot name
 * ML-DSA.) wolfSSL keeps all of that in its WOLFSSL object, so this file reads it there: it is
 * compiled against the very headers and options.h of the library it is linked with (the same
 * build tree), which is what keeps the structure layout right, and internals_check() refuses to
 * run if a field it can cross-check against the public API disagrees.
 *
 * Everything here is a read of wolfSSL's own state or a call of its own function, never a guess
 * from the configuration. */
#include "pqi.h"

#include <wolfssl/internal.h>

/* The layout guard: fields this file reads must agree with what the public API says. */
int internals_check(WOLFSSL *ssl)
{
    int side = ssl->options.side == WOLFSSL_SERVER_END;
    return side == (wolfSSL_is_server(ssl) ? 1 : 0) && ssl->version.major == SSLv3_MAJOR ? 0 : -1;
}

/* signature_algorithms as given, in order: wolfSSL stores the list as the two wire bytes of each
 * scheme (TLSX_SignatureAlgorithms_Write copies it out unchanged), in the connection's own Suites
 * (AllocateSuites copies the context's first). wolfSSL_set1_sigalgs_list (opensslextra) writes
 * the same field. */
int internals_set_sigalgs(WOLFSSL *ssl, const struct list *schemes)
{
    if (AllocateSuites(ssl) != 0 || ssl->suites == NULL) return -1;
    if (schemes->n * 2 > WOLFSSL_MAX_SIGALGO) return -1;
    for (int i = 0; i < schemes->n; i++) {
        ssl->suites->hashSigAlgo[2 * i] = (byte)(schemes->items[i] >> 8);
        ssl->suites->hashSigAlgo[2 * i + 1] = (byte)(schemes->items[i] & 0xff);
    }
    ssl->suites->hashSigAlgoSz = (word16)(schemes->n * 2);
    return 0;
}

/* Client: wolfSSL records that a HelloRetryRequest carried a key_share (hrrSentKeyShare, set in
 * TLSX_KeyShare_Parse for hello_retry_request); this build sends and accepts no HRR cookies
 * (WOLFSSL_SEND_HRR_COOKIE is off), so a client that completed after an HRR saw exactly that.
 * Server: a second ClientHello arrives only after our HelloRetryRequest (msgsReceived counts
 * ClientHellos; SanityCheckMsgReceived allows two only after an HRR). */
int internals_hello_retry(WOLFSSL *ssl)
{
    if (ssl->options.side == WOLFSSL_CLIENT_END) return ssl->options.hrrSentKeyShare ? 1 : 0;
    return ssl->msgsReceived.got_client_hello >= 2 ? 1 : 0;
}

int internals_psk_negotiated(WOLFSSL *ssl) { return ssl->options.pskNegotiated ? 1 : 0; }

/* psk_dhe_ke or psk_ke. Client: the ServerHello carried a key_share (shSentKeyShare). Server:
 * CheckPreSharedKeys sets noPskDheKe when it settles on psk_ke, and never takes psk_dhe_ke while
 * it is set. */
int internals_psk_dhe(WOLFSSL *ssl)
{
    if (ssl->options.side == WOLFSSL_CLIENT_END) return ssl->options.shSentKeyShare ? 1 : 0;
    return ssl->options.noPskDheKe ? 0 : 1;
}

/* After the handshake certWithExternPsk is the negotiated state: the client clears it when it
 * sends the extension and sets it again only when the ServerHello echoes it
 * (TLSX_CertWithExternPsk_Parse); the server sets it only when it accepts the offer with an
 * external PSK (CheckPreSharedKeys). */
int internals_cert_with_psk(WOLFSSL *ssl)
{
#ifdef WOLFSSL_CERT_WITH_EXTERN_PSK
    return ssl->options.certWithExternPsk ? 1 : 0;
#else
    (void)ssl;
    return 0;
#endif
}

/* (hash, signature) as wolfSSL keeps them (DecodeSigAlg) back to the wire codepoint. */
static int scheme_from_wolfssl(byte hash, byte sig)
{
    switch (sig) {
    case ecc_dsa_sa_algo: return (hash << 8) | 0x03;
    case rsa_sa_algo: return (hash << 8) | 0x01;
    case rsa_pss_sa_algo: return 0x0800 | hash;
    case rsa_pss_pss_algo: return 0x0800 | (hash + (pss_sha256 - sha256_mac));
    case ed25519_sa_algo: return 0x0807;
    case ed448_sa_algo: return 0x0808;
    case mldsa_44_sa_algo: return 0x0904;
    case mldsa_65_sa_algo: return 0x0905;
    case mldsa_87_sa_algo: return 0x0906;
    default: return -1;
    }
}

/* The scheme of the server's CertificateVerify: the server signed with options.{hash,sig}Algo
 * (PickHashSigAlgo); the client verified with options.peer{Hash,Sig}Algo (DoTls13CertificateVerify). */
int internals_server_scheme(WOLFSSL *ssl)
{
    if (ssl->options.side == WOLFSSL_SERVER_END)
        return scheme_from_wolfssl(ssl->options.hashAlgo, ssl->options.sigAlgo);
    if (!ssl->options.havePeerVerify) return -1;
    return scheme_from_wolfssl(ssl->options.peerHashAlgo, ssl->options.peerSigAlgo);
}

/* Client: the server sent a CertificateRequest in the handshake. */
int internals_client_cert_requested(WOLFSSL *ssl)
{
    return ssl->msgsReceived.got_certificate_request ? 1 : 0;
}

/* wolfSSL's own alert sender, for the one abort the shim decides (RFC 9973 "require"). */
int internals_send_fatal_alert(WOLFSSL *ssl, int alert)
{
    return SendAlert(ssl, alert_fatal, alert);
}
