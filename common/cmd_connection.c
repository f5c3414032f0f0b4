/*
 * cmd_connection.c — the connection commands: PING, ECHO, QUIT, SELECT.
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
