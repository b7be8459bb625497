/* pqi-wolfssl server|client [contract flags] | version
 *
 * Server: listens on 127.0.0.1:PORT, says so on stderr, then serves --count connections one after
 * the other (or until stopped): handshake, read one line, echo it, close. Client: one connection
 * (two with --resume), sends --message, reads the echo, closes. One JSON line per connection on
 * stdout. Every socket wait is bounded (IO_TIMEOUT_S), so a silent peer ends in a JSON line too. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pqi.h"

#define IO_TIMEOUT_S 15
#define MAX_LINE 65536

/* wolfSSL_get_error codes this file tells apart (wolfssl/error-ssl.h). */
#define ERR_PEER_CLOSED (-397) /* SOCKET_PEER_CLOSED_E */
#define ERR_ZERO_RETURN 6      /* WOLFSSL_ERROR_ZERO_RETURN: close_notify received */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* --- Failures -------------------------------------------------------------------------------- */

/* Records the first failure of a connection, in wolfSSL's words: "-425 <its message>". A read
 * or write that would block on our blocking socket means the timeout ran out. */
static void fail_tls(struct outcome *out, WOLFSSL *ssl, int rc, const char *step)
{
    if (out->error[0]) return;
    int err = wolfSSL_get_error(ssl, rc);
    if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE) {
        snprintf(out->error, sizeof(out->error), "%s: no progress for %d s; connection closed",
                 step, IO_TIMEOUT_S);
        return;
    }
    out->lib_error = err;
    snprintf(out->error, sizeof(out->error), "%d %s", err,
             wolfSSL_ERR_reason_error_string((unsigned long)err));
}

static void fail_text(struct outcome *out, const char *text)
{
    if (!out->error[0]) snprintf(out->error, sizeof(out->error), "%s", text);
}

/* --- Sockets --------------------------------------------------------------------------------- */

static void bound_waits(int fd)
{
    struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int listen_loopback(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = loopback(port);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0)
        usage_error("cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    fprintf(stderr, "listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    return fd;
}

/* --- Application data ------------------------------------------------------------------------ */

static int write_all(WOLFSSL *ssl, const char *data, int len, struct outcome *out)
{
    int rc = wolfSSL_write(ssl, data, len);
    if (rc != len) fail_tls(out, ssl, rc, "write");
    return rc == len ? 0 : -1;
}

/* Reads until `stop` (a newline, or the blank line ending an HTTP head) or the end of the
 * stream; returns the length read, or -1 when nothing came. */
static int read_until(WOLFSSL *ssl, char *buf, int max, const char *stop, struct outcome *out)
{
    int len = 0;
    buf[0] = '\0';
    while (len < max - 1 && !(stop && strstr(buf, stop))) {
        int rc = wolfSSL_read(ssl, buf + len, max - 1 - len);
        if (rc <= 0) {
            int err = wolfSSL_get_error(ssl, rc);
            if (err != ERR_ZERO_RETURN && err != ERR_PEER_CLOSED) fail_tls(out, ssl, rc, "read");
            break;
        }
        len += rc;
        buf[len] = '\0';
    }
    return len ? len : -1;
}

/* --- Server ---------------------------------------------------------------------------------- */

/* The handshake through wolfSSL_read_early_data even when 0-RTT is off: only then does wolfSSL
 * note what became of 0-RTT the client offered (TLSX_EarlyData_Parse sets the status only while
 * "expecting early data"), so a rejection can be reported too. 0-RTT text is read and dropped
 * (the contract echoes only the line after it). */
static int accept_handshake(WOLFSSL *ssl)
{
    static char early[16384];
    int got, rc;
    do rc = wolfSSL_read_early_data(ssl, early, sizeof(early), &got);
    while (rc > 0);
    if (rc < 0) return rc;
    return wolfSSL_accept(ssl);
}

static void answer(WOLFSSL *ssl, const struct options *o, struct outcome *out)
{
    static char buf[MAX_LINE], reply[MAX_LINE + 256];
    if (read_until(ssl, buf, sizeof(buf), o->http ? "\r\n\r\n" : "\n", out) < 0) {
        fail_text(out, "the client sent nothing");
        return;
    }
    if (!o->http) {
        buf[strcspn(buf, "\n")] = '\0';
        snprintf(reply, sizeof(reply), "%s\n", buf);
    } else {
        /* "GET /<message> HTTP/1.1": the body is the path without its "/". */
        char path[MAX_LINE] = "";
        if (sscanf(buf, "GET /%65535s HTTP/1.1", path) < 0 || strncmp(buf, "GET /", 5) != 0) {
            fail_text(out, "the client's request is not GET /<message> HTTP/1.1");
            return;
        }
        if (strncmp(buf, "GET / ", 6) == 0) path[0] = '\0';
        snprintf(reply, sizeof(reply),
                 "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %zu\r\n"
                 "connection: close\r\n\r\n%s",
                 strlen(path), path);
    }
    write_all(ssl, reply, (int)strlen(reply), out);
}

/* The client closes first (close_notify after it read the echo); we wait for that, then answer
 * with ours. With --http the server ends the exchange (connection: close). */
static void server_close(WOLFSSL *ssl, const struct options *o, struct outcome *out)
{
    if (out->error[0]) return;
    if (!o->http) {
        char rest[256];
        int rc = wolfSSL_read(ssl, rest, sizeof(rest));
        int err = rc <= 0 ? wolfSSL_get_error(ssl, rc) : 0;
        if (rc > 0) fail_text(out, "the client sent more than one line");
        else if (err != ERR_ZERO_RETURN && err != ERR_PEER_CLOSED) fail_tls(out, ssl, rc, "close");
    }
    wolfSSL_shutdown(ssl);
    out->closed_in_order = out->error[0] == '\0';
}

static int serve_one(WOLFSSL_CTX *ctx, int fd, const struct options *o)
{
    bound_waits(fd);
    struct outcome out = {0};
    char why[256];
    WOLFSSL *ssl = wolfSSL_new(ctx);
    if (!ssl || configure_connection(ssl, o, &o->groups, true, why, sizeof(why)) != 0)
        unsupported("lacks", "%s", ssl ? why : "wolfSSL_new failed");
    wolfSSL_set_fd(ssl, fd);
    double t0 = now_ms();
    int rc = accept_handshake(ssl);
    out.handshake_ms = now_ms() - t0;
    if (rc == WOLFSSL_SUCCESS) {
        out.handshake_done = true;
        answer(ssl, o, &out);
        server_close(ssl, o, &out);
    } else {
        fail_tls(&out, ssl, rc, "handshake");
    }
    print_report(ssl, o, &out, false);
    int ok = out.handshake_done && out.closed_in_order;
    wolfSSL_free(ssl);
    close(fd);
    return ok ? 0 : 1;
}

static int run_server(WOLFSSL_CTX *ctx, const struct options *o)
{
    int listener = listen_loopback(o->port), status = 0;
    for (long served = 0; o->count < 0 || served < o->count; served++) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            served--;
            continue;
        }
        status |= serve_one(ctx, fd, o);
    }
    close(listener);
    return status;
}

/* --- Client ---------------------------------------------------------------------------------- */

/* The exchange after the handshake: the line (or the HTTP request), the echo, the verdict.
 * `early` is 0-RTT text the server rejected: it goes again in front of the line (the contract:
 * "sent after the handshake when rejected"), so the echo may carry it too. */
static void exchange(WOLFSSL *ssl, const struct options *o, const char *early, struct outcome *out)
{
    const char *message = o->message ? o->message : "hello";
    static char request[MAX_LINE + 256], reply[MAX_LINE + 512];
    if (o->http)
        snprintf(request, sizeof(request),
                 "GET /%s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", message);
    else snprintf(request, sizeof(request), "%s%s\n", early, message);
    out->echo = "none";
    if (write_all(ssl, request, (int)strlen(request), out) != 0) return;
    int len = read_until(ssl, reply, sizeof(reply), o->http ? NULL : "\n", out);
    if (len < 0) return;
    const char *got = reply;
    if (o->http) {
        const char *body = strstr(reply, "\r\n\r\n");
        /* Any HTTP/1.x 200 (OpenSSL's s_server -WWW answers HTTP/1.0). */
        got = strncmp(reply, "HTTP/1.", 7) == 0 && strncmp(reply + 8, " 200", 4) == 0 && body
                  ? body + 4 : NULL;
    } else {
        reply[strcspn(reply, "\n")] = '\0';
    }
    bool matched = got && (strcmp(got, message) == 0 ||
                           (!o->http && strncmp(got, early, strlen(early)) == 0 &&
                            strcmp(got + strlen(early), message) == 0));
    out->echo = matched ? "matched" : "mismatched";
}

/* 0-RTT on the resumed connection, when wolfSSL has a ticket (or PSK) to send it under. Returns
 * the handshake's result like wolfSSL_connect. */
static int connect_handshake(WOLFSSL *ssl, const struct options *o, bool resumed_connection)
{
    if (resumed_connection && o->early_data) {
        int written = 0;
        int rc = wolfSSL_write_early_data(ssl, o->early_data, (int)strlen(o->early_data), &written);
        /* BAD_STATE_E: wolfSSL has nothing to send 0-RTT under; the handshake goes on plain. */
        if (rc < 0 && rc != BAD_STATE_E) return rc;
    }
    return wolfSSL_connect(ssl);
}

/* RFC 9973 "require": wolfSSL's client goes on with a plain PSK handshake when the server does not
 * echo tls_cert_with_extern_psk, so the shim ends the connection itself, before any application
 * data, with the alert the reference peer sends (handshake_failure). */
static bool cert_with_psk_refused(WOLFSSL *ssl, const struct options *o, struct outcome *out)
{
    if (!o->cert_with_psk || strcmp(o->cert_with_psk, "require") != 0) return false;
    if (internals_cert_with_psk(ssl)) return false;
    internals_send_fatal_alert(ssl, 40 /* handshake_failure */);
    fail_text(out, "the server did not echo tls_cert_with_extern_psk, which --cert-with-psk "
                   "require needs; connection ended after the handshake");
    return true;
}

static int connect_once(WOLFSSL_CTX *ctx, const struct options *o, bool first,
                        WOLFSSL_SESSION *resume, WOLFSSL_SESSION **ticket)
{
    struct outcome out = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bound_waits(fd);
    struct sockaddr_in a = loopback(o->port);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        printf("{\"ok\":false,\"error\":\"cannot connect to 127.0.0.1:%d: %s\"}\n", o->port,
               strerror(errno));
        fflush(stdout);
        close(fd);
        return 1;
    }
    WOLFSSL *ssl = wolfSSL_new(ctx);
    char why[256];
    const struct list *groups = !first && o->resume_groups.given ? &o->resume_groups : &o->groups;
    if (!ssl || configure_connection(ssl, o, groups, first, why, sizeof(why)) != 0)
        unsupported("lacks", "%s", ssl ? why : "wolfSSL_new failed");
    if (resume) wolfSSL_set_session(ssl, resume);
    wolfSSL_set_fd(ssl, fd);
    double t0 = now_ms();
    int rc = connect_handshake(ssl, o, !first);
    out.handshake_ms = now_ms() - t0;
    if (rc == WOLFSSL_SUCCESS) {
        out.handshake_done = true;
        bool rejected = wolfSSL_get_early_data_status(ssl) == WOLFSSL_EARLY_DATA_REJECTED;
        if (!cert_with_psk_refused(ssl, o, &out)) {
            exchange(ssl, o, rejected ? o->early_data : "", &out);
            if (wolfSSL_shutdown(ssl) < 0) fail_tls(&out, ssl, -1, "close");
            out.closed_in_order = out.error[0] == '\0';
        }
    } else {
        fail_tls(&out, ssl, rc, "handshake");
    }
    print_report(ssl, o, &out, resume != NULL);
    if (ticket) *ticket = wolfSSL_get1_session(ssl);
    bool ok = out.handshake_done && out.closed_in_order &&
              (!o->expect_echo || (out.echo && strcmp(out.echo, "matched") == 0));
    wolfSSL_free(ssl);
    close(fd);
    return ok ? 0 : 1;
}

static int run_client(WOLFSSL_CTX *ctx, const struct options *o)
{
    if (!o->port) usage_error("client needs --port");
    if (!o->resume) return connect_once(ctx, o, true, NULL, NULL);
    WOLFSSL_SESSION *ticket = NULL;
    int first = connect_once(ctx, o, true, NULL, &ticket);
    int second = connect_once(ctx, o, false, ticket, NULL);
    wolfSSL_SESSION_free(ticket);
    return first | second;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "version") == 0) {
        printf("%s\n", wolfSSL_lib_version());
        return 0;
    }
    struct options o;
    parse_flags(argc, argv, &o);
    /* A peer that closes while we write must end in a JSON line, not in SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    wolfSSL_Init();
    WOLFSSL_CTX *ctx = make_context(&o);
    int status = o.role == ROLE_SERVER ? run_server(ctx, &o) : run_client(ctx, &o);
    wolfSSL_CTX_free(ctx);
    wolfSSL_Cleanup();
    return status;
}
