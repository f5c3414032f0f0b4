/*
 * aof_format.c — the records of the append-only file.
 *
 * A record is the multibulk request that performs a mutation, the very
 * bytes a client would send:
 *
 *     *3\r\n$3\r\nSET\r\n$<klen>\r\n<key>\r\n$<vlen>\r\n<value>\r\n
 *     *2\r\n$3\r\nDEL\r\n$<klen>\r\n<key>\r\n
 *     *1\r\n$7\r\nFLUSHDB\r\n
 *
 * and, for keys with a time to live, always as an absolute time (Unix ms),
 * so that replaying later neither revives nor extends anything:
 *
 *     SET <key> <value> PXAT <ms>     PEXPIREAT <key> <ms>     PERSIST <key>
 *
 * so the protocol parser (protocol.c) reads the file as it reads the
 * wire.  This file writes records, applies parsed ones to the table, and
 * tells a record cut short by a crash from a damaged one.
 */
#include "store_internal.h"
#include "reply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ARG_MARK      '$'               /* "$<len>\r\n" starts an argument */
#define CRLF          "\r\n"            /* ends every header and argument */
#define CRLF_LEN      (sizeof CRLF - 1)
#define NAME_SHOWN    32                /* bytes of a bad command name quoted */

/* The commands a record may hold, and their lengths without the NUL. */
static const char SET_NAME[] = "SET";
static const char DEL_NAME[] = "DEL";
static const char FLUSHDB_NAME[] = "FLUSHDB";
static const char PXAT_NAME[] = "PXAT";
static const char PEXPIREAT_NAME[] = "PEXPIREAT";
static const char PERSIST_NAME[] = "PERSIST";
#define NAME_LEN(name) (sizeof name - 1)

/* Arguments of each record, its name included. */
#define SET_ARGC      3                 /* SET key value */
#define DEL_MIN_ARGC  2                 /* DEL key [key ...] */
#define FLUSHDB_ARGC  1
#define SET_PXAT_ARGC 5                 /* SET key value PXAT ms */
#define PEXPIREAT_ARGC 3
#define PERSIST_ARGC  2
#define MS_DIGITS     24                /* an int64 in decimal, and the NUL */

#define COUNT(array) (sizeof array / sizeof array[0])

/* ---- writing records ----------------------------------------------------- */

int aof_encode_set(Buffer *out, const void *key, size_t klen,
                   const void *val, size_t vlen, int64_t expire_at)
{
    char ms[MS_DIGITS];                 /* argv[4] only read when argc is 5 */
    int n = 0;
    if (expire_at != HT_NO_EXPIRY)     /* the common case stays cheap */
        n = snprintf(ms, sizeof ms, "%" PRId64, expire_at);
    const char *argv[] = { SET_NAME, key, val, PXAT_NAME, ms };
    size_t lens[] = { NAME_LEN(SET_NAME), klen, vlen, NAME_LEN(PXAT_NAME),
                      (size_t)n };
    size_t argc = expire_at == HT_NO_EXPIRY ? SET_ARGC : SET_PXAT_ARGC;
    return encode_command(out, argc, argv, lens);
}

int aof_encode_pexpireat(Buffer *out, const void *key, size_t klen,
                         int64_t expire_at)
{
    char ms[MS_DIGITS];
    int n = snprintf(ms, sizeof ms, "%" PRId64, expire_at);
    const char *argv[] = { PEXPIREAT_NAME, key, ms };
    size_t lens[] = { NAME_LEN(PEXPIREAT_NAME), klen, (size_t)n };
    return encode_command(out, COUNT(argv), argv, lens);
}

int aof_encode_persist(Buffer *out, const void *key, size_t klen)
{
    const char *argv[] = { PERSIST_NAME, key };
    size_t lens[] = { NAME_LEN(PERSIST_NAME), klen };
    return encode_command(out, COUNT(argv), argv, lens);
}

int aof_encode_del(Buffer *out, const void *key, size_t klen)
{
    const char *argv[] = { DEL_NAME, key };
    size_t lens[] = { NAME_LEN(DEL_NAME), klen };
    return encode_command(out, COUNT(argv), argv, lens);
}

int aof_encode_flushdb(Buffer *out)
{
    const char *argv[] = { FLUSHDB_NAME };
    size_t lens[] = { NAME_LEN(FLUSHDB_NAME) };
    return encode_command(out, COUNT(argv), argv, lens);
}

/* ---- applying a parsed record -------------------------------------------- */

static bool arg_equals(const char *base, const ArgSpan *a,
                       const char *word, size_t wordlen)
{
    return a->len == wordlen && strncasecmp(base + a->off, word, wordlen) == 0;
}

#define ARG_IS(base, a, name) arg_equals(base, a, name, NAME_LEN(name))

/* Copies at most NAME_SHOWN bytes of an argument for an error message,
 * printable characters only. */
static void printable(char *out, size_t outlen, const char *p, size_t n)
{
    size_t i = 0;
    for (; i < n && i < NAME_SHOWN && i + 1 < outlen; i++)
        out[i] = p[i] >= ' ' && p[i] <= '~' ? p[i] : '?';
    out[i] = '\0';
}

/* The parser skips the two bytes after an argument without looking (as
 * Redis does); in a file they must be "\r\n", or a length is wrong. */
static int check_terminators(const RequestParser *p, const char *base,
                             char *why, size_t whylen)
{
    for (size_t i = 0; i < p->argc; i++) {
        const char *end = base + p->args[i].off + p->args[i].len;
        if (memcmp(end, CRLF, CRLF_LEN) != 0) {
            store_set_err(why, whylen, "argument %zu is not followed by CRLF",
                          i + 1);
            return -1;
        }
    }
    return 0;
}

static int bad_command(const RequestParser *p, const char *base,
                       char *why, size_t whylen)
{
    const ArgSpan *name = &p->args[0];
    char shown[NAME_SHOWN + 1];
    printable(shown, sizeof shown, base + name->off, name->len);
    bool known = ARG_IS(base, name, SET_NAME) || ARG_IS(base, name, DEL_NAME) ||
                 ARG_IS(base, name, FLUSHDB_NAME) ||
                 ARG_IS(base, name, PEXPIREAT_NAME) || ARG_IS(base, name, PERSIST_NAME);
    store_set_err(why, whylen, known ? "wrong number of arguments for '%s'"
                                     : "unknown command '%s'", shown);
    return -1;
}

/* A record's time argument: a decimal int64.  0, or -1 with why set. */
static int parse_ms(const char *base, const ArgSpan *a, int64_t *ms,
                    char *why, size_t whylen)
{
    long long v;
    if (!parse_decimal(base + a->off, a->len, &v) || v < 0) {
        store_set_err(why, whylen, "bad expiry time");
        return -1;
    }
    *ms = v;
    return 0;
}

static int out_of_memory(char *why, size_t whylen)
{
    store_set_err(why, whylen, "out of memory");
    return -1;
}

/* SET key value [PXAT ms]: a time already past drops the key. */
static int apply_set(HashTable *table, const RequestParser *p, const char *base,
                     int64_t now, char *why, size_t whylen)
{
    const ArgSpan *a = p->args;
    int64_t when = HT_NO_EXPIRY;
    if (p->argc == SET_PXAT_ARGC &&
        (!ARG_IS(base, &a[3], PXAT_NAME) || parse_ms(base, &a[4], &when, why, whylen) < 0))
        return bad_command(p, base, why, whylen);
    if (when != HT_NO_EXPIRY && when <= now) {
        ht_delete(table, base + a[1].off, a[1].len);
        return 0;
    }
    if (ht_set(table, base + a[1].off, a[1].len, base + a[2].off, a[2].len, when) < 0)
        return out_of_memory(why, whylen);
    return 0;
}

/* PEXPIREAT key ms, PERSIST key. */
static int apply_expiry(HashTable *table, const RequestParser *p, const char *base,
                        int64_t now, char *why, size_t whylen)
{
    const ArgSpan *a = p->args;
    int64_t when = HT_NO_EXPIRY;
    if (p->argc == PEXPIREAT_ARGC && parse_ms(base, &a[2], &when, why, whylen) < 0)
        return -1;
    if (when != HT_NO_EXPIRY && when <= now) {
        ht_delete(table, base + a[1].off, a[1].len);
        return 0;
    }
    if (ht_set_expiry(table, base + a[1].off, a[1].len, when) < 0)
        return out_of_memory(why, whylen);
    return 0;
}

int aof_apply_record(HashTable *table, const RequestParser *p, const char *base,
                     int64_t now, char *why, size_t whylen)
{
    if (p->argc == 0) {
        store_set_err(why, whylen, "empty request");
        return -1;
    }
    if (check_terminators(p, base, why, whylen) < 0)
        return -1;
    const ArgSpan *a = p->args;
    if (ARG_IS(base, &a[0], SET_NAME) &&
        (p->argc == SET_ARGC || p->argc == SET_PXAT_ARGC))
        return apply_set(table, p, base, now, why, whylen);
    if ((ARG_IS(base, &a[0], PEXPIREAT_NAME) && p->argc == PEXPIREAT_ARGC) ||
        (ARG_IS(base, &a[0], PERSIST_NAME) && p->argc == PERSIST_ARGC))
        return apply_expiry(table, p, base, now, why, whylen);
    if (ARG_IS(base, &a[0], DEL_NAME) && p->argc >= DEL_MIN_ARGC) {
        for (size_t i = 1; i < p->argc; i++)
            ht_delete(table, base + a[i].off, a[i].len);
    } else if (ARG_IS(base, &a[0], FLUSHDB_NAME) && p->argc == FLUSHDB_ARGC) {
        ht_clear(table);
    } else {
        return bad_command(p, base, why, whylen);
    }
    return 0;
}

/* ---- recognising a record cut short -------------------------------------- */

/* Reads a "<type><digits>\r\n" header at *i, its number at most max.
 * 1: complete (value set), 0: the bytes end inside it, -1: not such a
 * header. */
static int prefix_header(const char *p, size_t n, size_t *i, char type,
                         long long max, long long *value)
{
    if (*i >= n)
        return 0;
    if (p[(*i)++] != type)
        return -1;
    long long v = 0;
    int digits = 0;
    for (; *i < n && p[*i] >= '0' && p[*i] <= '9'; (*i)++, digits++) {
        v = v * 10 + (p[*i] - '0');
        if (v > max)
            return -1;
    }
    if (*i >= n)
        return 0;
    if (digits == 0 || p[(*i)++] != '\r')
        return -1;
    if (*i >= n)
        return 0;
    if (p[(*i)++] != '\n')
        return -1;
    *value = v;
    return 1;
}

/*
 * Is the tail of the file (bytes the parser found incomplete) the
 * beginning of a well-formed record, as a crash in the middle of a write
 * leaves?  If not, the end of the file is damaged, and cutting it off
 * could throw away more than one interrupted write.
 */
bool aof_is_record_prefix(const char *p, size_t n)
{
    size_t i = 0;
    long long argc, len;
    int r = prefix_header(p, n, &i, AOF_RECORD_MARK, PROTO_MAX_ARGS, &argc);
    if (r <= 0)
        return r == 0;
    for (long long k = 0; k < argc; k++) {
        r = prefix_header(p, n, &i, ARG_MARK, PROTO_MAX_BULK, &len);
        if (r <= 0)
            return r == 0;
        if ((unsigned long long)len >= n - i)
            return true;                /* ends inside the argument */
        i += (size_t)len;
        if (p[i++] != '\r')
            return false;
        if (i == n)
            return true;
        if (p[i++] != '\n')
            return false;
        if (i == n)
            return k + 1 < argc;        /* a complete record is not a tail */
    }
    return false;
}
