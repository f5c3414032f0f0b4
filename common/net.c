/*
 * net.c — TCP socket helpers (see net.h).
 */
#include "net.h"
#include "rio.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Writes "what: strerror(errno)" into err, keeping errno intact. */
static int net_error(char *err, size_t errlen, const char *what)
{
    int saved = errno;
    snprintf(err, errlen, "%s: %s", what, strerror(saved));
    errno = saved;
    return -1;
}

static int bind_and_listen(const struct addrinfo *ai, int backlog,
                           char *err, size_t errlen)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return net_error(err, errlen, "socket");
    int yes = 1;
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) < 0) {
        net_error(err, errlen, "socket options");
        close(fd);
        return -1;
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        net_error(err, errlen, "bind");
        close(fd);
        return -1;
    }
    if (listen(fd, backlog) < 0) {
        net_error(err, errlen, "listen");
        close(fd);
        return -1;
    }
    return fd;
}

int net_listen(const char *addr, int port, int backlog, char *err, size_t errlen)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
    };
    struct addrinfo *list;
    int rc = getaddrinfo(addr, service, &hints, &list);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", addr, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next)
        fd = bind_and_listen(ai, backlog, err, errlen);
    freeaddrinfo(list);
    return fd;
}

static int format_name(const struct sockaddr_storage *ss, socklen_t len,
                       char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN + 16], port[16];  /* + room for a %scope */
    if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof host, port,
                    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return -1;
    snprintf(out, outlen, "%s:%s", host, port);
    return 0;
}

int net_local_name(int fd, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return format_name(&ss, len, out, outlen);
}

int net_peer_name(int fd, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return format_name(&ss, len, out, outlen);
}

int net_accept(int listen_fd, bool retry_eintr, char *err, size_t errlen)
{
    int fd;
    do {
        fd = accept(listen_fd, NULL, NULL);
    } while (fd < 0 && errno == EINTR && retry_eintr);
    if (fd < 0)
        return net_error(err, errlen, "accept");

    /* Neither option is essential: a failure only costs speed or leaks the
     * descriptor into a child we never start, so it is not fatal. */
    int yes = 1;
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    return fd;
}

ssize_t net_write_all(int fd, const void *buf, size_t len,
                      volatile const sig_atomic_t *stop)
{
    return rio_write_all(fd, buf, len, stop);
}
