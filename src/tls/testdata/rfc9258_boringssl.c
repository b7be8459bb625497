// How the RFC 9258 vectors in vectors.ts (RFC9258_BORINGSSL) were made: BoringSSL, a second and
// independent implementation of the PSK importer (ssl/tls13_enc.cc tls13_derive_imported_psk),
// offers an external PSK through SSL_CREDENTIAL_new_pre_shared_key, and this program prints the
// ClientHello record it writes, in hex. Our importer must arrive at the same imported identities
// and at binders that verify over those exact bytes (psk_test.ts).
//
// Not part of any build: run by hand against a BoringSSL checkout (the commit is in vectors.ts),
//   cmake -S boringssl -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build ssl
//   cc -Iboringssl/include rfc9258_boringssl.c build/libssl.a build/libcrypto.a -lstdc++ \
//     -lpthread -o pskhello
//   ./pskhello sha256 Client_identity 0123456789abcdef...(64 hex digits) pqinterop
//
// Arguments: the EPSK's hash (sha256 | sha384), its identity, its key in hex, the context.

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

static int from_hex(const char *hex, uint8_t *out, size_t cap, size_t *len) {
  size_t n = strlen(hex);
  if (n % 2 != 0 || n / 2 > cap) return 0;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned byte;
    if (sscanf(hex + 2 * i, "%2x", &byte) != 1) return 0;
    out[i] = (uint8_t)byte;
  }
  *len = n / 2;
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s sha256|sha384 IDENTITY KEY-HEX CONTEXT\n", argv[0]);
    return 2;
  }
  const EVP_MD *md = strcmp(argv[1], "sha384") == 0 ? EVP_sha384() : EVP_sha256();
  uint8_t key[128];
  size_t key_len;
  if (!from_hex(argv[3], key, sizeof(key), &key_len)) {
    fprintf(stderr, "bad key\n");
    return 2;
  }
  SSL_CTX *ctx = SSL_CTX_new(TLS_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CREDENTIAL *cred = SSL_CREDENTIAL_new_pre_shared_key(
      key, key_len, (const uint8_t *)argv[2], strlen(argv[2]), md,
      (const uint8_t *)argv[4], strlen(argv[4]));
  if (cred == NULL || !SSL_CTX_add1_credential(ctx, cred)) {
    fprintf(stderr, "cannot make the PSK credential\n");
    return 1;
  }
  SSL *ssl = SSL_new(ctx);
  BIO *in = BIO_new(BIO_s_mem());
  BIO *out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  // Nothing to read yet: the handshake stops after writing the ClientHello.
  SSL_do_handshake(ssl);
  const uint8_t *bytes;
  size_t len;
  if (!BIO_mem_contents(out, &bytes, &len) || len == 0) {
    fprintf(stderr, "no ClientHello written\n");
    return 1;
  }
  for (size_t i = 0; i < len; i++) printf("%02x", bytes[i]);
  printf("\n");
  return 0;
}
