/*
 * commands.c — the command table and one handler per command (see
 * commands.h for the list).
 *
 * Each handler receives a request whose arity was already checked and
 * appends exactly one reply.  Handlers return the CMD_* flags, or -1 when
 * memory ran out.  The error texts are Redis 7.0's, byte for byte.
 */
#include "commands.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "glob.h"
#include "reply.h"

/* Redis quotes at most this many bytes of a client's argument in an error
 * message ("unknown command '...'", "unknown subcommand '...'"). */
#define ERR_QUOTE_MAX 128

/* Room for a long long in decimal, with its sign and the NUL. */
#define DECIMAL_BUF_LEN (PROTO_MAX_DECIMAL_LEN + 1)

typedef int (*CommandHandler)(const CommandContext *ctx, const Request *req,
                              Buffer *out);

typedef struct Command {
    const char    *name;   /* lower case, as Redis names it in errors */
    int            arity;  /* n: exactly n arguments (with the name);
                              -n: at least n */
    CommandHandler handler;
} Command;

/* ---- small helpers ---------------------------------------------------- */

static const char *arg(const Request *req, size_t i)
{
    return req->base + req->args[i].off;
}

static size_t arg_len(const Request *req, size_t i)
{
    return req->args[i].len;
}

/* Is argument i, case-insensitively, the word w? */
static bool arg_is(const Request *req, size_t i, const char *w)
{
    size_t n = strlen(w);
    return arg_len(req, i) == n && strncasecmp(arg(req, i), w, n) == 0;
}

/* How much of argument i to quote in an error: at most max bytes. */
static int quoted_len(const Request *req, size_t i, size_t max)
{
    return (int)(arg_len(req, i) < max ? arg_len(req, i) : max);
}

/* Replies with a store failure: the reason, with no acknowledgment. */
static int reply_store_error(Buffer *out, const char *reason)
{
    return reply_errorf(out, "%s", reason);
}

/* Replies +OK (or -1 on no memory) and reports a mutation. */
static int ok_mutated(Buffer *out)
{
    return reply_simple(out, "OK") < 0 ? -1 : CMD_MUTATED;
}

/* ---- the commands ------------------------------------------------------ */

static int cmd_ping(const CommandContext *ctx, const Request *req, Buffer *out)
{
    (void)ctx;
    if (req->argc > 2)
        return reply_error(out, "wrong number of arguments for 'ping' command");
    if (req->argc == 2)
        return reply_bulk(out, arg(req, 1), arg_len(req, 1));
    return reply_simple(out, "PONG");
}

static int cmd_echo(const CommandContext *ctx, const Request *req, Buffer *out)
{
    (void)ctx;
    return reply_bulk(out, arg(req, 1), arg_len(req, 1));
}

static int cmd_get(const CommandContext *ctx, const Request *req, Buffer *out)
{
    const void *val;
    size_t vlen;
    if (!store_get(ctx->store, arg(req, 1), arg_len(req, 1), &val, &vlen))
        return reply_null(out);
    return reply_bulk(out, val, vlen);
}

/* SET key value [NX|XX] [GET] [KEEPTTL] */
static int cmd_set(const CommandContext *ctx, const Request *req, Buffer *out)
{
    bool nx = false, xx = false, get = false;
    for (size_t i = 3; i < req->argc; i++) {
        if (arg_is(req, i, "nx") && !xx)
            nx = true;
        else if (arg_is(req, i, "xx") && !nx)
            xx = true;
        else if (arg_is(req, i, "get"))
            get = true;
        else if (!arg_is(req, i, "keepttl"))   /* no expiry: nothing to keep */
            return reply_error(out, "syntax error");
    }

    const char *key = arg(req, 1);
    size_t klen = arg_len(req, 1);
    const void *old;
    size_t old_len;
    bool exists = store_get(ctx->store, key, klen, &old, &old_len);

    /* With GET, the reply is the old value, whether or not the SET happens;
     * it must be encoded now, since the store_put below frees it.  mark
     * remembers where that reply starts, as an offset from cur (the buffer
     * may move when it grows), in case the put fails after all. */
    size_t mark = buffer_pending(out);
    if (get && (exists ? reply_bulk(out, old, old_len) : reply_null(out)) < 0)
        return -1;
    if ((nx && exists) || (xx && !exists))
        return get ? 0 : reply_null(out);

    char err[STORE_ERR_LEN];
    if (store_put(ctx->store, key, klen, arg(req, 2), arg_len(req, 2),
                  err, sizeof err) < 0) {
        buffer_truncate(out, mark);     /* withdraw the GET part */
        return reply_store_error(out, err);
    }
    if (get)
        return CMD_MUTATED;
    return ok_mutated(out);
}

static int cmd_del(const CommandContext *ctx, const Request *req, Buffer *out)
{
    long long removed = 0;
    char err[STORE_ERR_LEN];
    for (size_t i = 1; i < req->argc; i++) {
        int r = store_delete(ctx->store, arg(req, i), arg_len(req, i),
                             err, sizeof err);
        if (r < 0)
            return reply_store_error(out, err);
        removed += r;
    }
    if (reply_integer(out, removed) < 0)
        return -1;
    return removed > 0 ? CMD_MUTATED : 0;
}

static int cmd_exists(const CommandContext *ctx, const Request *req, Buffer *out)
{
    long long count = 0;
    for (size_t i = 1; i < req->argc; i++)
        count += store_exists(ctx->store, arg(req, i), arg_len(req, i));
    return reply_integer(out, count);
}

static int cmd_dbsize(const CommandContext *ctx, const Request *req, Buffer *out)
{
    (void)req;
    return reply_integer(out, (long long)store_count(ctx->store));
}

/* KEYS collects matching keys first: the array header needs their count. */
typedef struct KeyList {
    const char *pattern;
    size_t      plen;
    struct { const void *key; size_t len; } *items;
    size_t      count, cap;
} KeyList;

static int collect_matching_key(void *ctx, const void *key, size_t klen,
                                const void *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    KeyList *list = ctx;
    if (!glob_match(list->pattern, list->plen, key, klen, false))
        return 0;
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        void *items = realloc(list->items, cap * sizeof *list->items);
        if (items == NULL)
            return -1;
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count].key = key;
    list->items[list->count].len = klen;
    list->count++;
    return 0;
}

static int cmd_keys(const CommandContext *ctx, const Request *req, Buffer *out)
{
    KeyList list = { .pattern = arg(req, 1), .plen = arg_len(req, 1) };
    int rc = store_foreach(ctx->store, collect_matching_key, &list);
    if (rc == 0)
        rc = reply_array(out, list.count);
    for (size_t i = 0; rc == 0 && i < list.count; i++)
        rc = reply_bulk(out, list.items[i].key, list.items[i].len);
    free(list.items);
    return rc < 0 ? -1 : 0;
}

static int cmd_flushdb(const CommandContext *ctx, const Request *req, Buffer *out)
{
    /* ASYNC and SYNC only choose how Redis frees memory: same result here */
    if (req->argc > 2 || (req->argc == 2 && !arg_is(req, 1, "async") &&
                          !arg_is(req, 1, "sync")))
        return reply_error(out, "syntax error");
    char err[STORE_ERR_LEN];
    if (store_clear(ctx->store, err, sizeof err) < 0)
        return reply_store_error(out, err);
    return ok_mutated(out);
}

static int cmd_quit(const CommandContext *ctx, const Request *req, Buffer *out)
{
    (void)ctx;
    (void)req;
    return reply_simple(out, "OK") < 0 ? -1 : CMD_CLOSE;
}

static int cmd_mget(const CommandContext *ctx, const Request *req, Buffer *out)
{
    if (reply_array(out, req->argc - 1) < 0)
        return -1;
    for (size_t i = 1; i < req->argc; i++)
        if (cmd_get(ctx, &(Request){ 2, req->base, req->args + i - 1 }, out) < 0)
            return -1;
    return 0;
}

static int cmd_mset(const CommandContext *ctx, const Request *req, Buffer *out)
{
    if (req->argc % 2 == 0)
        return reply_error(out, "wrong number of arguments for 'mset' command");
    char err[STORE_ERR_LEN];
    for (size_t i = 1; i < req->argc; i += 2)
        if (store_put(ctx->store, arg(req, i), arg_len(req, i), arg(req, i + 1),
                      arg_len(req, i + 1), err, sizeof err) < 0)
            return reply_store_error(out, err);
    return ok_mutated(out);
}

/* INCR, DECR, INCRBY and DECRBY: add delta to the integer held at key. */
static int add_to_key(const CommandContext *ctx, const Request *req,
                      Buffer *out, long long delta)
{
    const char *key = arg(req, 1);
    size_t klen = arg_len(req, 1);
    long long value = 0;
    const void *old;
    size_t old_len;
    if (store_get(ctx->store, key, klen, &old, &old_len) &&
        !parse_decimal(old, old_len, &value))
        return reply_error(out, "value is not an integer or out of range");
    if ((delta > 0 && value > LLONG_MAX - delta) ||
        (delta < 0 && value < LLONG_MIN - delta))
        return reply_error(out, "increment or decrement would overflow");
    value += delta;

    char digits[DECIMAL_BUF_LEN];
    int n = snprintf(digits, sizeof digits, "%lld", value);
    char err[STORE_ERR_LEN];
    if (store_put(ctx->store, key, klen, digits, (size_t)n, err, sizeof err) < 0)
        return reply_store_error(out, err);
    return reply_integer(out, value) < 0 ? -1 : CMD_MUTATED;
}

static int cmd_incr(const CommandContext *ctx, const Request *req, Buffer *out)
{
    return add_to_key(ctx, req, out, 1);
}

static int cmd_decr(const CommandContext *ctx, const Request *req, Buffer *out)
{
    return add_to_key(ctx, req, out, -1);
}

/* INCRBY / DECRBY: the amount must itself be an integer. */
static int add_amount(const CommandContext *ctx, const Request *req,
                      Buffer *out, bool negate)
{
    long long delta;
    if (!parse_decimal(arg(req, 2), arg_len(req, 2), &delta) ||
        (negate && delta == LLONG_MIN))
        return reply_error(out, "value is not an integer or out of range");
    return add_to_key(ctx, req, out, negate ? -delta : delta);
}

static int cmd_incrby(const CommandContext *ctx, const Request *req, Buffer *out)
{
    return add_amount(ctx, req, out, false);
}

static int cmd_decrby(const CommandContext *ctx, const Request *req, Buffer *out)
{
    return add_amount(ctx, req, out, true);
}

static int cmd_strlen(const CommandContext *ctx, const Request *req, Buffer *out)
{
    const void *val;
    size_t vlen = 0;
    store_get(ctx->store, arg(req, 1), arg_len(req, 1), &val, &vlen);
    return reply_integer(out, (long long)vlen);
}

static int cmd_append(const CommandContext *ctx, const Request *req, Buffer *out)
{
    const void *old;
    size_t old_len = 0;
    if (!store_get(ctx->store, arg(req, 1), arg_len(req, 1), &old, &old_len))
        old = "";
    size_t add = arg_len(req, 2);
    char *joined = malloc(old_len + add + 1);
    if (joined == NULL)
        return -1;
    memcpy(joined, old, old_len);
    memcpy(joined + old_len, arg(req, 2), add);

    char err[STORE_ERR_LEN];
    int rc = store_put(ctx->store, arg(req, 1), arg_len(req, 1), joined,
                       old_len + add, err, sizeof err);
    free(joined);
    if (rc < 0)
        return reply_store_error(out, err);
    return reply_integer(out, (long long)(old_len + add)) < 0 ? -1 : CMD_MUTATED;
}

static int cmd_select(const CommandContext *ctx, const Request *req, Buffer *out)
{
    (void)ctx;
    long long db;
    if (!parse_decimal(arg(req, 1), arg_len(req, 1), &db))
        return reply_error(out, "value is not an integer or out of range");
    if (db != 0)
        return reply_error(out, "DB index is out of range");
    return reply_simple(out, "OK");
}

/* CONFIG GET: the few parameters clients such as redis-benchmark ask for. */
static int cmd_config(const CommandContext *ctx, const Request *req, Buffer *out)
{
    if (!arg_is(req, 1, "get")) {
        int len = quoted_len(req, 1, ERR_QUOTE_MAX);
        return reply_errorf(out, "unknown subcommand '%.*s'. Try CONFIG HELP.",
                            len, arg(req, 1));
    }
    if (req->argc < 3)
        return reply_error(out, "wrong number of arguments for 'config|get' command");

    char maxclients[DECIMAL_BUF_LEN];
    snprintf(maxclients, sizeof maxclients, "%ld", ctx->max_clients);
    const char *params[][2] = {
        { "save", "" },                       /* no snapshots, only the file */
        { "appendonly", "yes" },
        { "appendfsync", store_fsync_name(ctx->fsync) },
        { "maxclients", maxclients },
    };
    const size_t nparams = sizeof params / sizeof params[0];

    bool wanted[sizeof params / sizeof params[0]] = { false };
    size_t matches = 0;
    for (size_t i = 2; i < req->argc; i++)
        for (size_t p = 0; p < nparams; p++)
            if (!wanted[p] && glob_match(arg(req, i), arg_len(req, i), params[p][0],
                                         strlen(params[p][0]), true)) {
                wanted[p] = true;
                matches++;
            }
    if (reply_array(out, 2 * matches) < 0)
        return -1;
    for (size_t p = 0; p < nparams; p++)
        if (wanted[p] && (reply_bulk(out, params[p][0], strlen(params[p][0])) < 0 ||
                          reply_bulk(out, params[p][1], strlen(params[p][1])) < 0))
            return -1;
    return 0;
}

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
