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

typedef struct Command {
    const char    *name;   /* lower case, as Redis names it in errors */
    int            arity;  /* n: exactly n arguments (with the name);
                              -n: at least n */
    CommandHandler handler;
} Command;

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

/* The table, most frequent first: lookup is a short linear scan. */
static const Command commands[] = {
    { "get",     2,  cmd_get },
    { "set",     -3, cmd_set },
    { "ping",    -1, cmd_ping },
    { "del",     -2, cmd_del },
    { "exists",  -2, cmd_exists },
    { "mget",    -2, cmd_mget },
    { "mset",    -3, cmd_mset },
    { "incr",    2,  cmd_incr },
    { "decr",    2,  cmd_decr },
    { "incrby",  3,  cmd_incrby },
    { "decrby",  3,  cmd_decrby },
    { "echo",    2,  cmd_echo },
    { "dbsize",  1,  cmd_dbsize },
    { "keys",    2,  cmd_keys },
    { "flushdb", -1, cmd_flushdb },
    { "strlen",  2,  cmd_strlen },
    { "append",  3,  cmd_append },
    { "select",  2,  cmd_select },
    { "config",  -2, cmd_config },
    { "setnx",   3,  cmd_setnx },
    { "getex",   -2, cmd_getex },
    { "getdel",  2,  cmd_getdel },
    { "expire",  -3, cmd_expire },
    { "pexpire", -3, cmd_pexpire },
    { "expireat", -3, cmd_expireat },
    { "pexpireat", -3, cmd_pexpireat },
    { "ttl",     2,  cmd_ttl },
    { "pttl",    2,  cmd_pttl },
    { "persist", 2,  cmd_persist },
    { "unlink",  -2, cmd_unlink },
    { "type",    2,  cmd_type },
    { "rename",  3,  cmd_rename },
    { "scan",    -2, cmd_scan },
    { "quit",    -1, cmd_quit },
};

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
    if (!arity_ok(cmd, req->argc))
        return reply_errorf(out, "wrong number of arguments for '%s' command",
                            cmd->name);
    return cmd->handler(ctx, req, out);
}
