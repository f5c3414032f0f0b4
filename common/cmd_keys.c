/*
 * cmd_keys.c — the keyspace commands: DEL, UNLINK, EXISTS, DBSIZE, KEYS,
 * FLUSHDB, TYPE, RENAME (SCAN is cmd_scan.c).
 */
#include "cmd_internal.h"

#include <stdlib.h>
#include <string.h>

#include "glob.h"

int cmd_del(const CommandContext *ctx, const Request *req, Buffer *out)
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

int cmd_exists(const CommandContext *ctx, const Request *req, Buffer *out)
{
    long long count = 0;
    for (size_t i = 1; i < req->argc; i++)
        count += store_exists(ctx->store, arg(req, i), arg_len(req, i));
    return reply_integer(out, count);
}

int cmd_dbsize(const CommandContext *ctx, const Request *req, Buffer *out)
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

int cmd_keys(const CommandContext *ctx, const Request *req, Buffer *out)
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

int cmd_flushdb(const CommandContext *ctx, const Request *req, Buffer *out)
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

/* UNLINK frees memory in a thread in Redis; here it is DEL. */
HANDLER(cmd_unlink)
{
    return cmd_del(ctx, req, out);
}

/* Every value is a string: "string", or "none" for a missing key. */
HANDLER(cmd_type)
{
    bool exists = store_exists(ctx->store, arg(req, 1), arg_len(req, 1));
    return reply_simple(out, exists ? "string" : "none");
}

/* RENAME src dst: dst is overwritten; the value keeps its time to live. */
HANDLER(cmd_rename)
{
    const void *val;
    size_t vlen;
    long long at;
    Store *s = ctx->store;
    if (!store_get_expiry(s, arg(req, 1), arg_len(req, 1), &at) ||
        !store_get(s, arg(req, 1), arg_len(req, 1), &val, &vlen))
        return reply_error(out, "no such key");
    if (arg_len(req, 1) == arg_len(req, 2) &&
        memcmp(arg(req, 1), arg(req, 2), arg_len(req, 1)) == 0)
        return reply_simple(out, "OK");
    /* The put may move the value's bytes: they are copied first. */
    void *copy = malloc(vlen ? vlen : 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, val, vlen);
    char err[STORE_ERR_LEN];
    int rc = store_put_expiring(s, arg(req, 2), arg_len(req, 2), copy, vlen, at,
                                err, sizeof err);
    free(copy);
    if (rc == 0)
        rc = store_delete(s, arg(req, 1), arg_len(req, 1), err, sizeof err);
    if (rc < 0)
        return reply_store_error(out, err);
    return ok_mutated(out);
}
