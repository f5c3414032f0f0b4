/*
 * server.c — start-up and shutdown shared by both servers (see server.h).
 */
#include "server.h"

#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "options.h"
#include "signals.h"

/* Room for a message from the store or from the socket helpers. */
#define SERVER_ERR_LEN (STORE_ERR_LEN > NET_ERR_LEN ? STORE_ERR_LEN : NET_ERR_LEN)

/* Options -> *exit_status; true if the server must run. */
static bool parse_command_line(int argc, char **argv, const ServerSetup *setup,
                               ServerOptions *opt, int *exit_status)
{
    switch (options_parse(argc, argv, opt,
                          setup->with_max_clients ? setup->default_max_clients : 0)) {
    case OPTIONS_OK:        return true;
    case OPTIONS_HELP:      *exit_status = 0; return false;
    case OPTIONS_BAD_VALUE: *exit_status = 1; return false;
    default:                *exit_status = 2; return false;
    }
}

/* The store's warnings (StoreOptions.warn): library code never prints, so
 * the server says what the store reports, e.g. a cut-short record dropped. */
static void log_store_warning(void *arg, const char *message)
{
    (void)arg;
    log_error("store: %s", message);
}

static Store *open_store(const ServerOptions *opt, char *err, size_t errlen)
{
    StoreOptions so;
    store_options_default(&so);
    so.fsync = opt->fsync;
    so.warn = log_store_warning;
    return store_open(opt->store_path, &so, err, errlen);
}

/* The listening socket (blocking: a non-blocking server makes it
 * O_NONBLOCK itself, acceptor.h).  -1 after a message. */
static int open_listener(const ServerOptions *opt)
{
    char err[NET_ERR_LEN];
    int fd = net_listen(opt->bind_addr, opt->port, SERVER_BACKLOG, err, sizeof err);
    if (fd < 0)
        log_error("cannot listen on %s:%d: %s", opt->bind_addr, opt->port, err);
    return fd;
}

/* "listening on ADDR:PORT", with the port the kernel chose for -p 0. */
static void print_ready_line(int listen_fd, const ServerOptions *opt)
{
    char name[NET_ADDR_LEN];
    if (net_local_name(listen_fd, name, sizeof name) < 0)
        snprintf(name, sizeof name, "%s:%d", opt->bind_addr, opt->port);
    printf("listening on %s\n", name);
    fflush(stdout);     /* stdout is a pipe under tests: don't keep it */
}

int server_open(ServerBase *base, int argc, char **argv,
                const ServerSetup *setup, int *exit_status)
{
    *base = (ServerBase){ .listen_fd = -1 };
    log_set_program(setup->program);
    ServerOptions opt;
    if (!parse_command_line(argc, argv, setup, &opt, exit_status))
        return -1;
    log_is_verbose = opt.verbose;

    *exit_status = 1;
    char err[SERVER_ERR_LEN];
    if (signals_install(err, sizeof err) < 0) {
        log_error("%s", err);
        return -1;
    }
    base->store = open_store(&opt, err, sizeof err);
    if (base->store == NULL) {
        log_error("%s", err);
        return -1;
    }
    base->listen_fd = open_listener(&opt);
    if (base->listen_fd < 0) {
        store_close(base->store, err, sizeof err);
        return -1;
    }
    long max_clients = opt.max_clients > 0 ? opt.max_clients
                                           : setup->default_max_clients;
    base->ctx = (CommandContext){ .store = base->store, .fsync = opt.fsync,
                                  .max_clients = max_clients,
                                  .started_ms = store_now_ms(),
                                  .requests = &base->requests };
    print_ready_line(base->listen_fd, &opt);
    return 0;
}

int server_close(ServerBase *base)
{
    if (base->listen_fd >= 0)
        close(base->listen_fd);
    base->listen_fd = -1;

    size_t keys = store_count(base->store);
    char err[STORE_ERR_LEN];
    int rc = store_close(base->store, err, sizeof err);
    base->store = NULL;
    if (rc < 0)
        log_error("closing the store: %s", err);
    printf("shutting down: %lu connections, %lu requests, %zu keys\n",
           base->connections, base->requests, keys);
    return rc;
}
