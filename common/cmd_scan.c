/*
 * cmd_scan.c — SCAN cursor [MATCH pattern] [COUNT n] [TYPE type].
 *
 * The cursor is the table's reverse-binary cursor (hashtable_scan.c): a key
 * present for the whole scan is returned at least once, whatever resizing
 * happens between the calls.  As in Redis, COUNT is a hint: buckets are
 * visited until about COUNT keys were collected (at most 10 x COUNT
 * buckets), and MATCH and TYPE filter those afterwards, so a call may
 * return fewer keys than COUNT, even none, before the scan is over.
 */
#include "cmd_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "glob.h"

#define DEFAULT_COUNT    10
#define ITERATIONS_PER_KEY 10
#define CURSOR_DIGITS    24

typedef struct ScanArgs {
    size_t      cursor;
    long long   count;
    const char *pattern;        /* NULL: every key */
    size_t      plen;
    const char *type;           /* NULL: every type */
    size_t      tlen;
} ScanArgs;

typedef struct ScanBatch {
    struct { const void *key; size_t len; } *items;
    size_t count, cap;
    bool   failed;              /* out of memory */
} ScanBatch;

/* Redis reads the cursor with strtoul: "-1" is accepted (as the largest
 * cursor), spaces before it and anything after it are not. */
static bool parse_cursor(const Request *req, size_t *cursor)
{
    char text[CURSOR_DIGITS + 1];
    size_t n = arg_len(req, 1);
    if (n == 0 || n > CURSOR_DIGITS || isspace((unsigned char)arg(req, 1)[0]))
        return false;
    memcpy(text, arg(req, 1), n);
    text[n] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE || v > SIZE_MAX)
        return false;
    *cursor = (size_t)v;
    return true;
}

static int scan_error(Buffer *out, const char *message, int *rc)
{
    *rc = reply_error(out, message);
    return -1;
}

/* The options, in pairs.  0, or -1 with the error replied (*rc). */
static int parse_scan_args(const Request *req, Buffer *out, ScanArgs *sa, int *rc)
{
    *sa = (ScanArgs){ .count = DEFAULT_COUNT };
    if (!parse_cursor(req, &sa->cursor))
        return scan_error(out, "invalid cursor", rc);
    for (size_t i = 2; i < req->argc; i += 2) {
        if (i + 1 == req->argc)
            return scan_error(out, "syntax error", rc);
        if (arg_is(req, i, "count")) {
            if (!parse_decimal(arg(req, i + 1), arg_len(req, i + 1), &sa->count))
                return scan_error(out, "value is not an integer or out of range", rc);
            if (sa->count < 1)
                return scan_error(out, "syntax error", rc);
        } else if (arg_is(req, i, "match")) {
            sa->pattern = arg(req, i + 1);
            sa->plen = arg_len(req, i + 1);
        } else if (arg_is(req, i, "type")) {
            sa->type = arg(req, i + 1);
            sa->tlen = arg_len(req, i + 1);
        } else {
            return scan_error(out, "syntax error", rc);
        }
    }
    return 0;
}

static int collect_key(void *ctx, const void *key, size_t klen,
                       const void *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    ScanBatch *b = ctx;
    if (b->failed)
        return 0;
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        void *items = realloc(b->items, cap * sizeof *b->items);
        if (items == NULL) {
            b->failed = true;
            return 0;
        }
        b->items = items;
        b->cap = cap;
    }
    b->items[b->count].key = key;
    b->items[b->count].len = klen;
    b->count++;
    return 0;
}

static bool wanted(const ScanArgs *sa, const void *key, size_t klen)
{
    /* Every key is a string: TYPE filters all or nothing. */
    if (sa->type != NULL && !(sa->tlen == 6 && strncasecmp(sa->type, "string", 6) == 0))
        return false;
    return sa->pattern == NULL || glob_match(sa->pattern, sa->plen, key, klen, false);
}

/* [cursor, [keys...]]: the keys are the batch's, filtered. */
static int reply_scan(const ScanArgs *sa, size_t cursor, const ScanBatch *b,
                      Buffer *out)
{
    char digits[CURSOR_DIGITS];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)cursor);
    size_t kept = 0;
    for (size_t i = 0; i < b->count; i++)
        kept += wanted(sa, b->items[i].key, b->items[i].len);
    if (reply_array(out, 2) < 0 || reply_bulk(out, digits, (size_t)n) < 0 ||
        reply_array(out, kept) < 0)
        return -1;
    for (size_t i = 0; i < b->count; i++)
        if (wanted(sa, b->items[i].key, b->items[i].len) &&
            reply_bulk(out, b->items[i].key, b->items[i].len) < 0)
            return -1;
    return 0;
}

HANDLER(cmd_scan)
{
    ScanArgs sa;
    int rc;
    if (parse_scan_args(req, out, &sa, &rc) < 0)
        return rc;
    ScanBatch b = { NULL, 0, 0, false };
    size_t cursor = sa.cursor;
    long long iterations = sa.count * ITERATIONS_PER_KEY;
    do
        cursor = store_scan(ctx->store, cursor, collect_key, &b);
    while (cursor != 0 && iterations-- > 0 && b.count < (size_t)sa.count && !b.failed);
    rc = b.failed ? -1 : reply_scan(&sa, cursor, &b, out);
    free(b.items);
    return rc;
}
