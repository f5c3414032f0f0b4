/*
 * cmd_strings.c — the string commands: GET, MGET, MSET, INCR, DECR, INCRBY,
 * DECRBY, STRLEN, APPEND (SET and its relatives are in cmd_set.c).
 *
 * INCR and APPEND change a value in place, as Redis does: the key keeps its
 * time to live (a SET or MSET removes it).
 */
#include "cmd_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_get(const CommandContext *ctx, const Request *req, Buffer *out)
{
    const void *val;
    size_t vlen;
    if (!store_get(ctx->store, arg(req, 1), arg_len(req, 1), &val, &vlen))
        return reply_nil(req, out);
    return reply_bulk(out, val, vlen);
}

int cmd_mget(const CommandContext *ctx, const Request *req, Buffer *out)
{
    if (reply_array(out, req->argc - 1) < 0)
        return -1;
    for (size_t i = 1; i < req->argc; i++)
        if (cmd_get(ctx, &(Request){ 2, req->base, req->args + i - 1,
                                 req->session }, out) < 0)
            return -1;
    return 0;
}

int cmd_mset(const CommandContext *ctx, const Request *req, Buffer *out)
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

/* Replaces key's value, keeping its expiry (INCR, APPEND). */
static int put_keeping_ttl(const CommandContext *ctx, const Request *req,
                           const void *val, size_t vlen, char *err, size_t errlen)
{
    long long at = STORE_NO_EXPIRY;
    store_get_expiry(ctx->store, arg(req, 1), arg_len(req, 1), &at);
    return store_put_expiring(ctx->store, arg(req, 1), arg_len(req, 1), val, vlen,
                              at, err, errlen);
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
    if (put_keeping_ttl(ctx, req, digits, (size_t)n, err, sizeof err) < 0)
        return reply_store_error(out, err);
    return reply_integer(out, value) < 0 ? -1 : CMD_MUTATED;
}

int cmd_incr(const CommandContext *ctx, const Request *req, Buffer *out)
{
    return add_to_key(ctx, req, out, 1);
}

int cmd_decr(const CommandContext *ctx, const Request *req, Buffer *out)
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

int cmd_incrby(const CommandContext *ctx, const Request *req, Buffer *out)
{
    return add_amount(ctx, req, out, false);
}

int cmd_decrby(const CommandContext *ctx, const Request *req, Buffer *out)
{
    return add_amount(ctx, req, out, true);
}

int cmd_strlen(const CommandContext *ctx, const Request *req, Buffer *out)
{
    const void *val;
    size_t vlen = 0;
    store_get(ctx->store, arg(req, 1), arg_len(req, 1), &val, &vlen);
    return reply_integer(out, (long long)vlen);
}

int cmd_append(const CommandContext *ctx, const Request *req, Buffer *out)
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
    int rc = put_keeping_ttl(ctx, req, joined, old_len + add, err, sizeof err);
    free(joined);
    if (rc < 0)
        return reply_store_error(out, err);
    return reply_integer(out, (long long)(old_len + add)) < 0 ? -1 : CMD_MUTATED;
}
