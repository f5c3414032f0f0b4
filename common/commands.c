/*
 * commands.c — the command table and the dispatch: find the handler,
 * check the arity, run it (see commands.h for the list).  The handlers
 * live in the cmd_*.c files, one family each (see cmd_internal.h).
 *
 * Each handler receives a request whose arity was already checked and
 * appends exactly one reply.  Handlers return the CMD_* flags, or -1 when
 * memory ran out.  The error texts are Redis 7.0's, byte for byte.
 */
#include "cmd_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>


/* ---- helpers shared by the handlers (cmd_internal.h) ------------------- */

bool arg_is(const Request *req, size_t i, const char *w)
{
    size_t n = strlen(w);
    return arg_len(req, i) == n && strncasecmp(arg(req, i), w, n) == 0;
}

int quoted_len(const Request *req, size_t i, size_t max)
{
    return (int)(arg_len(req, i) < max ? arg_len(req, i) : max);
}

int reply_store_error(Buffer *out, const char *reason)
{
    return reply_errorf(out, "%s", reason);
}

int ok_mutated(Buffer *out)
{
    return reply_simple(out, "OK") < 0 ? -1 : CMD_MUTATED;
}

/* ---- the table --------------------------------------------------------- */

/* The table, most frequent first: lookup is a short linear scan.  The
 * columns after the handler are what COMMAND INFO and COMMAND DOCS say:
 * flags, first key, last key, key step, ACL categories, group, summary. */
#define W  "write"
#define WD "write denyoom"
static const Command commands[] = {
    { "get", 2, cmd_get, "readonly fast", 1, 1, 1, "@read @string @fast", "string", "Get the value of a key" },
    { "set", -3, cmd_set, WD, 1, 1, 1, "@write @string @slow", "string", "Set the string value of a key" },
    { "ping", -1, cmd_ping, "fast", 0, 0, 0, "@fast @connection", "connection", "Ping the server" },
    { "del", -2, cmd_del, W, 1, -1, 1, "@keyspace @write @slow", "generic", "Delete a key" },
    { "exists", -2, cmd_exists, "readonly fast", 1, -1, 1, "@keyspace @read @fast", "generic", "Determine if a key exists" },
    { "mget", -2, cmd_mget, "readonly fast", 1, -1, 1, "@read @string @fast", "string", "Get the values of all the given keys" },
    { "mset", -3, cmd_mset, WD, 1, -1, 2, "@write @string @slow", "string", "Set multiple keys to multiple values" },
    { "incr", 2, cmd_incr, WD " fast", 1, 1, 1, "@write @string @fast", "string", "Increment the integer value of a key by one" },
    { "decr", 2, cmd_decr, WD " fast", 1, 1, 1, "@write @string @fast", "string", "Decrement the integer value of a key by one" },
    { "incrby", 3, cmd_incrby, WD " fast", 1, 1, 1, "@write @string @fast", "string", "Increment the integer value of a key by the given amount" },
    { "decrby", 3, cmd_decrby, WD " fast", 1, 1, 1, "@write @string @fast", "string", "Decrement the integer value of a key by the given number" },
    { "echo", 2, cmd_echo, "fast", 0, 0, 0, "@fast @connection", "connection", "Echo the given string" },
    { "dbsize", 1, cmd_dbsize, "readonly fast", 0, 0, 0, "@keyspace @read @fast", "server", "Return the number of keys in the selected database" },
    { "keys", 2, cmd_keys, "readonly", 0, 0, 0, "@keyspace @read @slow @dangerous", "generic", "Find all keys matching the given pattern" },
    { "flushdb", -1, cmd_flushdb, W, 0, 0, 0, "@keyspace @write @slow @dangerous", "server", "Remove all keys from the current database" },
    { "strlen", 2, cmd_strlen, "readonly fast", 1, 1, 1, "@read @string @fast", "string", "Get the length of the value stored in a key" },
    { "append", 3, cmd_append, WD, 1, 1, 1, "@write @string @fast", "string", "Append a value to a key" },
    { "select", 2, cmd_select, "loading stale fast", 0, 0, 0, "@fast @connection", "connection", "Change the selected database for the current connection" },
    { "config", -2, cmd_config, "", 0, 0, 0, "@slow", "server", "A container for server configuration commands" },
    { "setnx", 3, cmd_setnx, WD " fast", 1, 1, 1, "@write @string @fast", "string", "Set the value of a key, only if the key does not exist" },
    { "getex", -2, cmd_getex, W " fast", 1, 1, 1, "@write @string @fast", "string", "Get the value of a key and optionally set its expiration" },
    { "getdel", 2, cmd_getdel, W " fast", 1, 1, 1, "@write @string @fast", "string", "Get the value of a key and delete the key" },
    { "expire", -3, cmd_expire, W " fast", 1, 1, 1, "@keyspace @write @fast", "generic", "Set a key's time to live in seconds" },
    { "pexpire", -3, cmd_pexpire, W " fast", 1, 1, 1, "@keyspace @write @fast", "generic", "Set a key's time to live in milliseconds" },
    { "expireat", -3, cmd_expireat, W " fast", 1, 1, 1, "@keyspace @write @fast", "generic", "Set the expiration for a key as a UNIX timestamp" },
    { "pexpireat", -3, cmd_pexpireat, W " fast", 1, 1, 1, "@keyspace @write @fast", "generic", "Set the expiration for a key as a UNIX timestamp specified in milliseconds" },
    { "ttl", 2, cmd_ttl, "readonly fast", 1, 1, 1, "@keyspace @read @fast", "generic", "Get the time to live for a key in seconds" },
    { "pttl", 2, cmd_pttl, "readonly fast", 1, 1, 1, "@keyspace @read @fast", "generic", "Get the time to live for a key in milliseconds" },
    { "persist", 2, cmd_persist, W " fast", 1, 1, 1, "@keyspace @write @fast", "generic", "Remove the expiration from a key" },
    { "unlink", -2, cmd_unlink, W " fast", 1, -1, 1, "@keyspace @write @fast", "generic", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking." },
    { "type", 2, cmd_type, "readonly fast", 1, 1, 1, "@keyspace @read @fast", "generic", "Determine the type stored at key" },
    { "rename", 3, cmd_rename, W, 1, 2, 1, "@keyspace @write @slow", "generic", "Rename a key" },
    { "scan", -2, cmd_scan, "readonly", 0, 0, 0, "@keyspace @read @slow", "generic", "Incrementally iterate the keys space" },
    { "hello", -1, cmd_hello, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@fast @connection", "connection", "Handshake with Redis" },
    { "auth", -2, cmd_auth, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@fast @connection", "connection", "Authenticate to the server" },
    { "client", -2, cmd_client, "", 0, 0, 0, "@slow", "connection", "A container for client connection commands" },
    { "info", -1, cmd_info, "loading stale", 0, 0, 0, "@slow @dangerous", "server", "Get information and statistics about the server" },
    { "time", 1, cmd_time, "loading stale fast", 0, 0, 0, "@fast", "server", "Return the current server time" },
    { "command", -1, cmd_command, "loading stale", 0, 0, 0, "@slow @connection", "server", "Get array of Redis command details" },
    { "quit", -1, cmd_quit, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@fast @connection", "connection", "Close the connection" },
};
#undef W
#undef WD

const Command *command_table(size_t *count)
{
    *count = sizeof commands / sizeof commands[0];
    return commands;
}

static const Command *lookup(const Request *req)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (arg_is(req, 0, commands[i].name))
            return &commands[i];
    return NULL;
}

static bool arity_ok(const Command *cmd, size_t argc)
{
    if (cmd->arity >= 0)
        return argc == (size_t)cmd->arity;
    return argc >= (size_t)-cmd->arity;
}

/*
 * Redis's unknown-command error: the name and the first arguments, each
 * cut so that the list stays near 128 bytes.  "%.*s" stops at a NUL byte,
 * as Redis's C strings do.
 */
static int reply_unknown_command(const Request *req, Buffer *out)
{
    char args[2 * ERR_QUOTE_MAX] = "";  /* the last one may pass the limit */
    size_t used = 0;
    for (size_t i = 1; i < req->argc && used < ERR_QUOTE_MAX; i++) {
        int len = quoted_len(req, i, ERR_QUOTE_MAX - used);
        int n = snprintf(args + used, sizeof args - used, "'%.*s' ", len, arg(req, i));
        if (n > 0)
            used += (size_t)n < sizeof args - used ? (size_t)n : sizeof args - used - 1;
    }
    int nlen = quoted_len(req, 0, ERR_QUOTE_MAX);
    return reply_errorf(out, "unknown command '%.*s', with args beginning with: %s",
                        nlen, arg(req, 0), args);
}

int command_execute(const CommandContext *ctx, const Request *req, Buffer *out)
{
    const Command *cmd = lookup(req);
    if (cmd == NULL)
        return reply_unknown_command(req, out);
    if (req->session != NULL)
        req->session->last_cmd = cmd->name;     /* for CLIENT LIST */
    if (!arity_ok(cmd, req->argc))
        return reply_errorf(out, "wrong number of arguments for '%s' command",
                            cmd->name);
    return cmd->handler(ctx, req, out);
}
