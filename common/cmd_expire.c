/*
 * cmd_expire.c — time to live: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with
 * NX, XX, GT, LT), TTL, PTTL, PERSIST; and the time arguments SET and GETEX
 * share (cmd_expiry.h).  Replies and errors are Redis 7.0's.
 */
#include "cmd_expiry.h"

#include <limits.h>

#define MS_PER_S 1000LL

/* EXPIRE's options, as bits. */
enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* ---- time arguments (cmd_expiry.h) ---------------------------------------- */

ExpiryParse expiry_for_set(const Request *req, size_t i, TimeUnit unit,
                           long long base, long long *at)
{
    long long t;
    if (!parse_decimal(arg(req, i), arg_len(req, i), &t))
        return EXPIRY_NOT_INTEGER;
    if (t <= 0 || (unit == UNIT_SECONDS && t > LLONG_MAX / MS_PER_S))
        return EXPIRY_INVALID;
    if (unit == UNIT_SECONDS)
        t *= MS_PER_S;
    if (t > LLONG_MAX - base)           /* Redis sees the sum wrap negative */
        return EXPIRY_INVALID;
    *at = t + base;
    return EXPIRY_OK;
}

ExpiryParse expiry_for_expire(const Request *req, size_t i, TimeUnit unit,
                              long long base, long long *at)
{
    long long t;
    if (!parse_decimal(arg(req, i), arg_len(req, i), &t))
        return EXPIRY_NOT_INTEGER;
    if (unit == UNIT_SECONDS) {
        if (t > LLONG_MAX / MS_PER_S || t < LLONG_MIN / MS_PER_S)
            return EXPIRY_INVALID;
        t *= MS_PER_S;
    }
    if (t > LLONG_MAX - base)
        return EXPIRY_INVALID;
    *at = t + base;
    return EXPIRY_OK;
}

int reply_expiry_error(Buffer *out, ExpiryParse what, const char *cmd)
{
    if (what == EXPIRY_NOT_INTEGER)
        return reply_error(out, "value is not an integer or out of range");
    return reply_errorf(out, "invalid expire time in '%s' command", cmd);
}

/* ---- EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT ---------------------------------- */

/* The options after the time.  0, or -1 with the error replied (*rc). */
static int parse_expire_options(const Request *req, Buffer *out, int *flags, int *rc)
{
    static const struct { const char *name; int flag; } names[] = {
        { "nx", EXP_NX }, { "xx", EXP_XX }, { "gt", EXP_GT }, { "lt", EXP_LT },
    };
    *flags = 0;
    for (size_t i = 3; i < req->argc; i++) {
        size_t n = 0;
        while (n < sizeof names / sizeof names[0] && !arg_is(req, i, names[n].name))
            n++;
        if (n == sizeof names / sizeof names[0]) {
            /* "%.*s" stops at a NUL, as Redis's C string does */
            *rc = reply_errorf(out, "Unsupported option %.*s",
                               quoted_len(req, i, arg_len(req, i)), arg(req, i));
            return -1;
        }
        *flags |= names[n].flag;
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        *rc = reply_error(out, "NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        *rc = reply_error(out, "GT and LT options at the same time are not compatible");
        return -1;
    }
    return 0;
}

/* Do NX/XX/GT/LT allow replacing expiry `current` by `when`?  As Redis:
 * no expiry counts as an infinite one for GT and LT. */
static bool options_allow(int flags, long long current, long long when)
{
    bool none = current == STORE_NO_EXPIRY;
    if ((flags & EXP_NX) && !none)
        return false;
    if ((flags & EXP_XX) && none)
        return false;
    if ((flags & EXP_GT) && (none || when <= current))
        return false;
    if ((flags & EXP_LT) && !none && when >= current)
        return false;
    return true;
}

static int expire_generic(const CommandContext *ctx, const Request *req, Buffer *out,
                          TimeUnit unit, bool absolute, const char *name)
{
    int flags, rc;
    if (parse_expire_options(req, out, &flags, &rc) < 0)
        return rc;
    long long when, current;
    ExpiryParse p = expiry_for_expire(req, 2, unit, absolute ? 0 : store_now_ms(), &when);
    if (p != EXPIRY_OK)
        return reply_expiry_error(out, p, name);
    if (!store_get_expiry(ctx->store, arg(req, 1), arg_len(req, 1), &current))
        return reply_integer(out, 0);
    if (!options_allow(flags, current, when))
        return reply_integer(out, 0);
    char err[STORE_ERR_LEN];
    if (store_expire_at(ctx->store, arg(req, 1), arg_len(req, 1), when,
                        err, sizeof err) < 0)
        return reply_store_error(out, err);
    return reply_integer(out, 1) < 0 ? -1 : CMD_MUTATED;
}

HANDLER(cmd_expire)
{
    return expire_generic(ctx, req, out, UNIT_SECONDS, false, "expire");
}

HANDLER(cmd_pexpire)
{
    return expire_generic(ctx, req, out, UNIT_MILLISECONDS, false, "pexpire");
}

HANDLER(cmd_expireat)
{
    return expire_generic(ctx, req, out, UNIT_SECONDS, true, "expireat");
}

HANDLER(cmd_pexpireat)
{
    return expire_generic(ctx, req, out, UNIT_MILLISECONDS, true, "pexpireat");
}

/* ---- TTL, PTTL, PERSIST ----------------------------------------------------- */

/* -2: no such key, -1: no expiry, else what is left (never negative),
 * rounded to the nearest second for TTL. */
static int ttl_generic(const CommandContext *ctx, const Request *req, Buffer *out,
                       TimeUnit unit)
{
    long long at;
    if (!store_get_expiry(ctx->store, arg(req, 1), arg_len(req, 1), &at))
        return reply_integer(out, -2);
    if (at == STORE_NO_EXPIRY)
        return reply_integer(out, -1);
    long long left = at - store_now_ms();
    if (left < 0)
        left = 0;
    return reply_integer(out, unit == UNIT_SECONDS ? (left + 500) / MS_PER_S : left);
}

HANDLER(cmd_ttl)
{
    return ttl_generic(ctx, req, out, UNIT_SECONDS);
}

HANDLER(cmd_pttl)
{
    return ttl_generic(ctx, req, out, UNIT_MILLISECONDS);
}

HANDLER(cmd_persist)
{
    char err[STORE_ERR_LEN];
    int r = store_persist(ctx->store, arg(req, 1), arg_len(req, 1), err, sizeof err);
    if (r < 0)
        return reply_store_error(out, err);
    if (reply_integer(out, r) < 0)
        return -1;
    return r > 0 ? CMD_MUTATED : 0;
}
