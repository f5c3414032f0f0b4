/*
 * cmd_set.c — SET with all its options (NX XX GET EX PX EXAT PXAT KEEPTTL),
 * SETNX, GETEX (EX PX EXAT PXAT PERSIST) and GETDEL.
 *
 * SET and GETEX share Redis 7.0's option parser (parseExtendedStringArguments):
 * each option is refused, as a syntax error, when an option it excludes
 * came before it, so that "EX 10 PX 10" and "NX XX" are errors but a
 * repeated "EX 10 EX 20" is not (the last one counts), exactly as in Redis.
 */
#include "cmd_expiry.h"

enum {
    OPT_NX = 1 << 0, OPT_XX = 1 << 1, OPT_GET = 1 << 2, OPT_KEEPTTL = 1 << 3,
    OPT_PERSIST = 1 << 4, OPT_EX = 1 << 5, OPT_PX = 1 << 6, OPT_EXAT = 1 << 7,
    OPT_PXAT = 1 << 8
};
#define OPT_ANY_TIME (OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT)

typedef struct StringOption {
    const char *name;
    int         flag;
    int         excludes;   /* refused after any of these */
    bool        for_set;    /* SET's only (false: GETEX's only) ... */
    bool        both;       /* ... unless valid for both */
    bool        takes_time;
} StringOption;

static const StringOption string_options[] = {
    { "nx", OPT_NX, OPT_XX, true, false, false },
    { "xx", OPT_XX, OPT_NX, true, false, false },
    { "get", OPT_GET, 0, true, false, false },
    { "keepttl", OPT_KEEPTTL, OPT_PERSIST | OPT_ANY_TIME, true, false, false },
    { "persist", OPT_PERSIST, OPT_KEEPTTL | OPT_ANY_TIME, false, false, false },
    { "ex", OPT_EX, OPT_KEEPTTL | OPT_PERSIST | OPT_EXAT | OPT_PX | OPT_PXAT, false, true, true },
    { "px", OPT_PX, OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PXAT, false, true, true },
    { "exat", OPT_EXAT, OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_PX | OPT_PXAT, false, true, true },
    { "pxat", OPT_PXAT, OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PX, false, true, true },
};
#define N_OPTIONS (sizeof string_options / sizeof string_options[0])

typedef struct StringArgs {
    int    flags;
    size_t time_arg;        /* the index of the time, if OPT_ANY_TIME */
} StringArgs;

/* Parses the options from argument `first`.  false: syntax error. */
static bool parse_string_options(const Request *req, size_t first, bool for_set,
                                 StringArgs *sa)
{
    *sa = (StringArgs){ 0, 0 };
    for (size_t i = first; i < req->argc; i++) {
        const StringOption *o = NULL;
        for (size_t n = 0; n < N_OPTIONS && o == NULL; n++)
            if (arg_is(req, i, string_options[n].name))
                o = &string_options[n];
        if (o == NULL || (sa->flags & o->excludes) ||
            (!o->both && o->for_set != for_set) ||
            (o->takes_time && i + 1 == req->argc))
            return false;
        sa->flags |= o->flag;
        if (o->takes_time)
            sa->time_arg = ++i;
    }
    return true;
}

/* The absolute expiry the options ask for (STORE_NO_EXPIRY if none). */
static ExpiryParse requested_expiry(const Request *req, const StringArgs *sa,
                                    long long *at)
{
    *at = STORE_NO_EXPIRY;
    if (!(sa->flags & OPT_ANY_TIME))
        return EXPIRY_OK;
    TimeUnit unit = sa->flags & (OPT_EX | OPT_EXAT) ? UNIT_SECONDS : UNIT_MILLISECONDS;
    long long base = sa->flags & (OPT_EX | OPT_PX) ? store_now_ms() : 0;
    return expiry_for_set(req, sa->time_arg, unit, base, at);
}

/* ---- SET ---------------------------------------------------------------- */

/* The put of SET, once the conditions hold: the value, and the expiry
 * asked for, or the one the key had (KEEPTTL), or none. */
static int set_put(const CommandContext *ctx, const Request *req, int flags,
                   long long at, char *err, size_t errlen)
{
    long long old_at;
    if ((flags & OPT_KEEPTTL) &&
        store_get_expiry(ctx->store, arg(req, 1), arg_len(req, 1), &old_at))
        at = old_at;
    return store_put_expiring(ctx->store, arg(req, 1), arg_len(req, 1),
                              arg(req, 2), arg_len(req, 2), at, err, errlen);
}

HANDLER(cmd_set)
{
    StringArgs sa;
    long long at;
    if (!parse_string_options(req, 3, true, &sa))
        return reply_error(out, "syntax error");
    ExpiryParse p = requested_expiry(req, &sa, &at);
    if (p != EXPIRY_OK)
        return reply_expiry_error(out, p, "set");

    const void *old;
    size_t old_len;
    bool exists = store_get(ctx->store, arg(req, 1), arg_len(req, 1), &old, &old_len);
    bool get = sa.flags & OPT_GET;
    /* With GET, the reply is the old value, whether or not the SET happens;
     * it must be encoded now, since the put below frees it.  mark
     * remembers where that reply starts, as an offset from cur (the buffer
     * may move when it grows), in case the put fails after all. */
    size_t mark = buffer_pending(out);
    if (get && (exists ? reply_bulk(out, old, old_len) : reply_nil(req, out)) < 0)
        return -1;
    if (((sa.flags & OPT_NX) && exists) || ((sa.flags & OPT_XX) && !exists))
        return get ? 0 : reply_nil(req, out);

    char err[STORE_ERR_LEN];
    if (set_put(ctx, req, sa.flags, at, err, sizeof err) < 0) {
        buffer_truncate(out, mark);     /* withdraw the GET part */
        return reply_store_error(out, err);
    }
    return get ? CMD_MUTATED : ok_mutated(out);
}

HANDLER(cmd_setnx)
{
    if (store_exists(ctx->store, arg(req, 1), arg_len(req, 1)))
        return reply_integer(out, 0);
    char err[STORE_ERR_LEN];
    if (store_put(ctx->store, arg(req, 1), arg_len(req, 1), arg(req, 2),
                  arg_len(req, 2), err, sizeof err) < 0)
        return reply_store_error(out, err);
    return reply_integer(out, 1) < 0 ? -1 : CMD_MUTATED;
}

/* ---- GETEX, GETDEL ------------------------------------------------------ */

/* After GETEX replied the value: change the expiry as asked.  An absolute
 * time already past deletes the key (store_expire_at does). */
static int getex_change(const CommandContext *ctx, const Request *req, int flags,
                        long long at)
{
    char err[STORE_ERR_LEN];
    int r = 0;
    if (flags & OPT_ANY_TIME)
        r = store_expire_at(ctx->store, arg(req, 1), arg_len(req, 1), at, err, sizeof err);
    else if (flags & OPT_PERSIST)
        r = store_persist(ctx->store, arg(req, 1), arg_len(req, 1), err, sizeof err);
    /* The value is already replied: a failure to record cannot be told
     * (Redis cannot fail here); the store keeps refusing writes meanwhile. */
    return r > 0 ? CMD_MUTATED : 0;
}

HANDLER(cmd_getex)
{
    StringArgs sa;
    long long at;
    if (!parse_string_options(req, 2, false, &sa))
        return reply_error(out, "syntax error");
    ExpiryParse p = requested_expiry(req, &sa, &at);
    if (p != EXPIRY_OK)
        return reply_expiry_error(out, p, "getex");
    const void *val;
    size_t vlen;
    if (!store_get(ctx->store, arg(req, 1), arg_len(req, 1), &val, &vlen))
        return reply_nil(req, out);
    if (reply_bulk(out, val, vlen) < 0)
        return -1;
    return getex_change(ctx, req, sa.flags, at);
}

HANDLER(cmd_getdel)
{
    const void *val;
    size_t vlen;
    if (!store_get(ctx->store, arg(req, 1), arg_len(req, 1), &val, &vlen))
        return reply_nil(req, out);
    size_t mark = buffer_pending(out);
    if (reply_bulk(out, val, vlen) < 0)
        return -1;
    char err[STORE_ERR_LEN];
    if (store_delete(ctx->store, arg(req, 1), arg_len(req, 1), err, sizeof err) < 0) {
        buffer_truncate(out, mark);
        return reply_store_error(out, err);
    }
    return CMD_MUTATED;
}
