// LD_PRELOAD=/usr/local/lib/pqinterop/loopback-bind.so: every bind() to an IPv4 or IPv6 wildcard
// address becomes a bind to 127.0.0.1, so a server that cannot choose its listen address still
// listens on loopback only. A bind to a specific address is left as it is.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    static bind_fn real_bind;
    if (!real_bind) real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
    if (addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in in = *(const struct sockaddr_in *)addr;
        if (in.sin_addr.s_addr == htonl(INADDR_ANY)) {
            in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            return real_bind(fd, (const struct sockaddr *)&in, sizeof in);
        }
    }
    if (addr && addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        if (memcmp(&in6->sin6_addr, &in6addr_any, sizeof in6addr_any) == 0) {
            // An IPv6 wildcard (dual-stack on Linux) becomes ::ffff:127.0.0.1, IPv4 loopback seen
            // from an IPv6 socket: the runner speaks IPv4.
            struct sockaddr_in6 mapped = *in6;
            memset(&mapped.sin6_addr, 0, sizeof mapped.sin6_addr);
            mapped.sin6_addr.s6_addr[10] = 0xff;
            mapped.sin6_addr.s6_addr[11] = 0xff;
            mapped.sin6_addr.s6_addr[12] = 127;
            mapped.sin6_addr.s6_addr[15] = 1;
            return real_bind(fd, (const struct sockaddr *)&mapped, sizeof mapped);
        }
    }
    return real_bind(fd, addr, len);
}
