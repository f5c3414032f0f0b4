/*
 * cmd_connection.c — the connection commands: PING, ECHO, QUIT, SELECT,
 * HELLO (the protocol version: RESP2 or RESP3) and AUTH.
 */
#include "cmd_internal.h"

int cmd_ping(const CommandContext *ctx, const Request *req, Buffer *out)
{
    (void)ctx;
    if (req->argc > 2)
        return reply_error(out, "wrong number of arguments for 'ping' command");
    if (req->argc == 2)
        return reply_bulk(out, arg(req, 1), arg_len(req, 1));
    return reply_simple(out, "PONG");
}

int cmd_echo(const CommandContext *ctx, const Request *req, Buffer *out)
{
    (void)ctx;
    return reply_bulk(out, arg(req, 1), arg_len(req, 1));
}

int cmd_quit(const CommandContext *ctx, const Request *req, Buffer *out)
{
    (void)ctx;
    (void)req;
    return reply_simple(out, "OK") < 0 ? -1 : CMD_CLOSE;
}

int cmd_select(const CommandContext *ctx, const Request *req, Buffer *out)
{
    (void)ctx;
    long long db;
    if (!parse_decimal(arg(req, 1), arg_len(req, 1), &db))
        return reply_error(out, "value is not an integer or out of range");
    if (db != 0)
        return reply_error(out, "DB index is out of range");
    return reply_simple(out, "OK");
}

/* ---- HELLO and AUTH -------------------------------------------------------- */

/* What HELLO answers: a map (a flat array in RESP2) about the server.  We
 * say "redis" 7.0.15, the version whose replies these are, as other
 * Redis-compatible servers do, because clients decide what to send by it. */
static int reply_hello(const Request *req, Buffer *out)
{
    int proto = req_proto(req);
    long long id = req->session ? (long long)req->session->id : 0;
    if (reply_map(out, 7, proto) < 0 ||
        reply_bulk(out, "server", 6) < 0 || reply_bulk(out, "redis", 5) < 0 ||
        reply_bulk(out, "version", 7) < 0 || reply_bulk(out, "7.0.15", 6) < 0 ||
        reply_bulk(out, "proto", 5) < 0 || reply_integer(out, proto) < 0 ||
        reply_bulk(out, "id", 2) < 0 || reply_integer(out, id) < 0 ||
        reply_bulk(out, "mode", 4) < 0 || reply_bulk(out, "standalone", 10) < 0 ||
        reply_bulk(out, "role", 4) < 0 || reply_bulk(out, "master", 6) < 0 ||
        reply_bulk(out, "modules", 7) < 0 || reply_array(out, 0) < 0)
        return -1;
    return 0;
}

/* There is no password: as for Redis's default user with "nopass", any
 * password is accepted for "default", and no other user exists. */
static bool auth_ok(const Request *req, size_t user)
{
    return arg_is(req, user, "default");
}

#define WRONGPASS "WRONGPASS invalid username-password pair or user is disabled."

/* HELLO's options after the version.  0, or -1 with the error replied. */
static int hello_options(const Request *req, Buffer *out, size_t *name_arg, int *rc)
{
    *name_arg = 0;
    for (size_t i = 2; i < req->argc; i++) {
        size_t more = req->argc - 1 - i;
        if (arg_is(req, i, "auth") && more >= 2) {
            if (!auth_ok(req, i + 1)) {
                *rc = reply_error_code(out, WRONGPASS);
                return -1;
            }
            i += 2;
        } else if (arg_is(req, i, "setname") && more >= 1) {
            *name_arg = ++i;
        } else {
            *rc = reply_errorf(out, "Syntax error in HELLO option '%.*s'",
                               quoted_len(req, i, arg_len(req, i)), arg(req, i));
            return -1;
        }
    }
    return 0;
}

HANDLER(cmd_hello)
{
    (void)ctx;
    long long version = 0;
    if (req->argc >= 2) {
        if (!parse_decimal(arg(req, 1), arg_len(req, 1), &version))
            return reply_error(out, "Protocol version is not an integer or out of range");
        if (version < SESSION_RESP2 || version > SESSION_RESP3)
            return reply_error_code(out, "NOPROTO unsupported protocol version");
    }
    size_t name_arg;
    int rc;
    if (hello_options(req, out, &name_arg, &rc) < 0)
        return rc;
    bool refused = false;
    if (name_arg != 0 && (client_set_name(req, name_arg, out, &refused) < 0 || refused))
        return refused ? 0 : -1;        /* refused: the error is replied */
    if (version != 0 && req->session != NULL)
        req->session->proto = (int)version;
    return reply_hello(req, out);
}

HANDLER(cmd_auth)
{
    (void)ctx;
    if (req->argc > 3)
        return reply_error(out, "syntax error");
    if (req->argc == 2)
        return reply_error(out, "AUTH <password> called without any password "
                           "configured for the default user. Are you sure your "
                           "configuration is correct?");
    return auth_ok(req, 1) ? reply_simple(out, "OK") : reply_error_code(out, WRONGPASS);
}
