/*
 * store_test.c — drives the store (common/store.h) through scenarios, for
 * tests/store.bats, and measures it.
 *
 * Each subcommand is one scenario.  Scenarios that check themselves print
 * "ok: ..." and exit 0, or print each failed check (expected vs got) on
 * stderr and exit 1.  Others (script, dump, fsync) print what they see, for
 * the bats file to compare.  Everything is freed before exit, so that every
 * scenario can also run under valgrind with leak checking.
 *
 *   store_test siphash                 SipHash-1-3 against published vectors
 *   store_test sanitized               "yes" if built with AddressSanitizer
 *   store_test basic FILE              put/get/delete/overwrite/foreach/limits
 *   store_test binary FILE             NUL, CR, LF in keys and values
 *   store_test many FILE N             N keys in (table grows), out (shrinks)
 *   store_test persist FILE N SEED     N random mutations survive a crash
 *                                      and a close, compared with a model
 *   store_test script FILE OP...       set K V | del K | get K | flush |
 *                                      count | sync | compact | crash
 *                                      (K, V: escapes \xNN \0 \r \n \t \\)
 *   store_test dump FILE               every key=value (escaped, sorted)
 *   store_test crash-compact FILE      store_compact killed before its rename
 *   store_test lock FILE               a second open of FILE is refused
 *   store_test fsync POLICY FILE       what a policy fsyncs, and when
 *   store_test write-error FILE        writes failing (file size limit)
 *   store_test bench FILE N            bytes per key, operations per second
 *   store_test ttl FILE                expiry: lazy, EXPIRE/PERSIST, SET PXAT,
 *                                      replay and rewrite keep absolute times,
 *                                      active expiry (a fake clock)
 *   store_test scan FILE               SCAN's guarantee while the table grows,
 *                                      shrinks and rehashes under the cursor
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "siphash.h"
#include "store.h"
#include "store_internal.h"

/* ---- checks ------------------------------------------------------------ */

static int failures;

static void check_at(int line, bool ok, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void check_at(int line, bool ok, const char *cond, const char *fmt, ...)
{
    if (ok)
        return;
    failures++;
    fprintf(stderr, "store_test.c:%d: check failed: %s\n    ", line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* CHECK(condition, "format", ...): the message says expected vs got. */
#define CHECK(cond, ...) check_at(__LINE__, (cond), #cond, __VA_ARGS__)

static int finish(const char *what)
{
    if (failures > 0) {
        fprintf(stderr, "%s: %d check(s) failed\n", what, failures);
        return 1;
    }
    printf("ok: %s\n", what);
    return 0;
}

/* Bytes as text: printable ASCII as is, backslash doubled, others \xNN. */
static void escape(char *out, size_t outlen, const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    size_t w = 0;
    for (size_t i = 0; i < n && w + 5 < outlen; i++) {
        if (p[i] == '\\')
            w += (size_t)snprintf(out + w, outlen - w, "\\\\");
        else if (p[i] >= ' ' && p[i] <= '~')
            out[w++] = (char)p[i];
        else
            w += (size_t)snprintf(out + w, outlen - w, "\\x%02x", p[i]);
    }
    if (w + 5 >= outlen && outlen > 4)
        memcpy(out + outlen - 4, "...", 4);
    else
        out[w] = '\0';
}

/* The inverse for command-line arguments: \xNN \0 \r \n \t \\.  Returns the
 * decoded length; out must hold strlen(s) bytes. */
static size_t unescape(const char *s, char *out)
{
    size_t n = 0;
    while (*s != '\0') {
        if (s[0] != '\\' || s[1] == '\0') {
            out[n++] = *s++;
            continue;
        }
        char c = s[1];
        s += 2;
        if (c == 'x' && s[0] != '\0' && s[1] != '\0') {
            char hex[3] = { s[0], s[1], '\0' };
            out[n++] = (char)strtol(hex, NULL, 16);
            s += 2;
        } else {
            out[n++] = c == '0' ? '\0' : c == 'r' ? '\r' : c == 'n' ? '\n'
                     : c == 't' ? '\t' : c;
        }
    }
    return n;
}

/* Checks that key holds exactly want (wlen bytes). */
static void expect_value_at(int line, Store *s, const void *key, size_t klen,
                            const void *want, size_t wlen)
{
    const void *got;
    size_t glen;
    char k[128], w[128], g[128];
    escape(k, sizeof k, key, klen);
    escape(w, sizeof w, want, wlen);
    if (!store_get(s, key, klen, &got, &glen)) {
        check_at(line, false, "store_get", "key \"%s\": expected \"%s\" (%zu bytes), "
                 "got no such key", k, w, wlen);
        return;
    }
    escape(g, sizeof g, got, glen);
    check_at(line, glen == wlen && memcmp(got, want, wlen) == 0, "value",
             "key \"%s\": expected \"%s\" (%zu bytes), got \"%s\" (%zu bytes)",
             k, w, wlen, g, glen);
}

static void expect_missing_at(int line, Store *s, const void *key, size_t klen)
{
    char k[128];
    escape(k, sizeof k, key, klen);
    check_at(line, !store_exists(s, key, klen), "!store_exists",
             "key \"%s\": expected no such key, got one", k);
}

#define EXPECT_VALUE(s, k, kl, v, vl) expect_value_at(__LINE__, s, k, kl, v, vl)
#define EXPECT_STR(s, k, v) expect_value_at(__LINE__, s, k, strlen(k), v, strlen(v))
#define EXPECT_MISSING(s, k, kl) expect_missing_at(__LINE__, s, k, kl)

/* ---- small helpers ------------------------------------------------------ */

/* The store's warnings, printed as the tests expect them. */
static void print_warning(void *arg, const char *message)
{
    (void)arg;
    fprintf(stderr, "store: %s\n", message);
}

static Store *open_or_die(const char *path, const StoreOptions *opt)
{
    char err[STORE_ERR_LEN];
    StoreOptions with_warnings;
    if (opt == NULL)
        store_options_default(&with_warnings);
    else
        with_warnings = *opt;
    if (with_warnings.warn == NULL)
        with_warnings.warn = print_warning;
    Store *s = store_open(path, &with_warnings, err, sizeof err);
    if (s == NULL)
        fprintf(stderr, "store_test: store_open %s: %s\n", path, err);
    return s;
}

static int put_str(Store *s, const char *k, const char *v)
{
    char err[STORE_ERR_LEN];
    int rc = store_put(s, k, strlen(k), v, strlen(v), err, sizeof err);
    CHECK(rc == 0, "put \"%s\": expected 0, got %d (%s)", k, rc, rc ? err : "");
    return rc;
}

static void sync_ok(Store *s)
{
    char err[STORE_ERR_LEN];
    int rc = store_sync(s, err, sizeof err);
    CHECK(rc == 0, "store_sync: expected 0, got %d (%s)", rc, rc ? err : "");
}

static int close_ok(Store *s)
{
    char err[STORE_ERR_LEN];
    int rc = store_close(s, err, sizeof err);
    CHECK(rc == 0, "store_close: expected 0, got %d (%s)", rc, rc ? err : "");
    return rc;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static double seconds_between(const struct timespec *t0, const struct timespec *t1)
{
    return (double)(t1->tv_sec - t0->tv_sec) + (double)(t1->tv_nsec - t0->tv_nsec) / 1e9;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return seconds_between(t0, &t);
}

/* A small deterministic generator (xorshift64*), so that a failing run can
 * be replayed from its seed. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(0x2545F4914F6CDD1D);
}

static void rng_seed(uint64_t seed)
{
    rng_state = seed * 2 + 1;           /* never 0 */
    for (int i = 0; i < 4; i++)
        rng();
}

/* ---- siphash ------------------------------------------------------------ */

/* Published SipHash-1-3 outputs for the key 00 01 .. 0f and the messages
 * of length i made of the bytes 00 01 .. (i-1). */
static int cmd_siphash(void)
{
    static const struct { size_t len; uint64_t hash; } vectors[] = {
        { 0, UINT64_C(0xabac0158050fc4dc) },  { 1, UINT64_C(0xc9f49bf37d57ca93) },
        { 2, UINT64_C(0x82cb9b024dc7d44d) },  { 7, UINT64_C(0xd3927d989bb11140) },
        { 8, UINT64_C(0x369095118d299a8e) },  { 9, UINT64_C(0x25a48eb36c063de4) },
        { 15, UINT64_C(0xd320d86d2a519956) }, { 16, UINT64_C(0xcc4fdd1a7d908b66) },
        { 31, UINT64_C(0x2370dd1f8c21d1bc) }, { 63, UINT64_C(0x9d199062b7bbb3a8) },
    };
    uint8_t key[SIPHASH_KEY_LEN], msg[64];
    for (int i = 0; i < SIPHASH_KEY_LEN; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        uint64_t got = siphash13(msg, vectors[i].len, key);
        CHECK(got == vectors[i].hash, "length %zu: expected %016llx, got %016llx",
              vectors[i].len, (unsigned long long)vectors[i].hash,
              (unsigned long long)got);
    }
    return finish("siphash-1-3 matches the published vectors");
}

static int cmd_sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__)
    puts("yes");
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    puts("yes");
#else
    puts("no");
#endif
#else
    puts("no");
#endif
    return 0;
}

/* ---- basic -------------------------------------------------------------- */

typedef struct WalkCheck {
    size_t visited;
    size_t bad;
    int    stop_after;                  /* return 7 after this many (0: never) */
} WalkCheck;

static int walk_visitor(void *ctx, const void *key, size_t klen,
                        const void *val, size_t vlen)
{
    WalkCheck *w = ctx;
    /* every key "k<n>" holds "v<n>" */
    if (klen < 1 || vlen != klen || memcmp(val, "v", 1) != 0 ||
        memcmp((const char *)key + 1, (const char *)val + 1, klen - 1) != 0)
        w->bad++;
    w->visited++;
    return w->stop_after > 0 && w->visited == (size_t)w->stop_after ? 7 : 0;
}

static void basic_put_get_delete(Store *s)
{
    char err[STORE_ERR_LEN];
    CHECK(store_count(s) == 0, "new store: expected 0 keys, got %zu", store_count(s));
    EXPECT_MISSING(s, "a", 1);
    put_str(s, "a", "1");
    EXPECT_STR(s, "a", "1");
    CHECK(store_exists(s, "a", 1), "exists a: expected true, got false");
    put_str(s, "a", "a longer value, so the entry is reallocated");
    EXPECT_STR(s, "a", "a longer value, so the entry is reallocated");
    put_str(s, "a", "");
    EXPECT_VALUE(s, "a", 1, "", 0);
    put_str(s, "a", "2");
    put_str(s, "a", "3");                       /* same size: in place */
    EXPECT_STR(s, "a", "3");
    CHECK(store_count(s) == 1, "after overwrites: expected 1 key, got %zu",
          store_count(s));
    int rc = store_delete(s, "a", 1, err, sizeof err);
    CHECK(rc == 1, "delete a: expected 1, got %d", rc);
    rc = store_delete(s, "a", 1, err, sizeof err);
    CHECK(rc == 0, "delete a again: expected 0, got %d", rc);
    EXPECT_MISSING(s, "a", 1);
    CHECK(store_count(s) == 0, "after delete: expected 0 keys, got %zu",
          store_count(s));

    rc = store_put(s, "", 0, "empty key", 9, err, sizeof err);
    CHECK(rc == 0, "put of the empty key: expected 0, got %d", rc);
    EXPECT_VALUE(s, "", 0, "empty key", 9);
    rc = store_delete(s, NULL, 0, err, sizeof err);
    CHECK(rc == 1, "delete of the empty key: expected 1, got %d", rc);
}

static void basic_walk_and_clear(Store *s)
{
    char err[STORE_ERR_LEN], k[32], v[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "v%d", i);
        put_str(s, k, v);
    }
    WalkCheck w = { 0, 0, 0 };
    int rc = store_foreach(s, walk_visitor, &w);
    CHECK(rc == 0 && w.visited == 1000 && w.bad == 0,
          "foreach: expected 0 and 1000 good keys, got %d, %zu keys, %zu bad",
          rc, w.visited, w.bad);
    WalkCheck stop = { 0, 0, 3 };
    rc = store_foreach(s, walk_visitor, &stop);
    CHECK(rc == 7 && stop.visited == 3,
          "foreach stopped by the visitor: expected 7 after 3 keys, got %d after %zu",
          rc, stop.visited);
    rc = store_clear(s, err, sizeof err);
    CHECK(rc == 0 && store_count(s) == 0, "clear: expected 0 and 0 keys, got %d and %zu",
          rc, store_count(s));
    EXPECT_MISSING(s, "k1", 2);
    put_str(s, "after", "clear");
    EXPECT_STR(s, "after", "clear");
}

static void basic_limits(const char *path)
{
    char err[STORE_ERR_LEN];
    StoreOptions opt;
    store_options_default(&opt);
    opt.max_key_len = 8;
    opt.max_value_len = 16;
    Store *s = open_or_die(path, &opt);
    if (s == NULL) {
        failures++;
        return;
    }
    int rc = store_put(s, "123456789", 9, "v", 1, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "key too long") != NULL,
          "9-byte key, limit 8: expected -1 \"key too long...\", got %d \"%s\"",
          rc, rc ? err : "");
    EXPECT_MISSING(s, "12345678", 8);           /* refused, not truncated */
    EXPECT_MISSING(s, "123456789", 9);
    rc = store_put(s, "k", 1, "12345678901234567", 17, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "value too long") != NULL,
          "17-byte value, limit 16: expected -1 \"value too long...\", got %d \"%s\"",
          rc, rc ? err : "");
    EXPECT_MISSING(s, "k", 1);
    put_str(s, "12345678", "1234567890123456");  /* exactly at the limits */
    EXPECT_STR(s, "12345678", "1234567890123456");
    close_ok(s);

    opt.max_value_len = (size_t)1 << 30;
    s = store_open(path, &opt, err, sizeof err);
    CHECK(s == NULL && strstr(err, "at most") != NULL,
          "a 1 GiB value limit: expected NULL with \"at most...\", got %s \"%s\"",
          s ? "a store" : "NULL", s ? "" : err);
    if (s != NULL)
        store_close(s, err, sizeof err);
}

static void basic_open_errors(void)
{
    char err[STORE_ERR_LEN];
    Store *s = store_open("/nonexistent-dir/x.aof", NULL, err, sizeof err);
    CHECK(s == NULL && strstr(err, "No such file or directory") != NULL,
          "a file in a missing directory: expected NULL with strerror text, got %s \"%s\"",
          s ? "a store" : "NULL", s ? "" : err);
    if (s != NULL)
        store_close(s, err, sizeof err);
}

static int cmd_basic(const char *path)
{
    Store *s = open_or_die(path, NULL);
    if (s == NULL)
        return 1;
    basic_put_get_delete(s);
    basic_walk_and_clear(s);
    sync_ok(s);
    close_ok(s);
    s = open_or_die(path, NULL);
    if (s == NULL)
        return 1;
    CHECK(store_count(s) == 1, "reopened: expected 1 key, got %zu", store_count(s));
    EXPECT_STR(s, "after", "clear");
    close_ok(s);
    unlink(path);
    basic_limits(path);
    basic_open_errors();
    StoreFsync p;
    CHECK(store_fsync_parse("sometimes", &p) == -1, "%s",
          "fsync policy \"sometimes\": expected -1, got 0");
    return finish("put, get, delete, overwrite, foreach, clear, limits");
}

/* ---- binary keys and values ------------------------------------------- */

typedef struct Pair {
    const char *k;
    size_t      kl;
    const char *v;
    size_t      vl;
} Pair;

#define PAIR(k, v) { k, sizeof k - 1, v, sizeof v - 1 }

static const Pair binary_pairs[] = {
    PAIR("\0", "nul key"),
    PAIR("a\0b", "\0\0\0"),
    PAIR("\r\n", "crlf key"),
    PAIR("k\r\nv", "v\r\nk"),
    PAIR("\n", "\r"),
    PAIR("*3\r\n$3\r\nSET\r\n", "$-1\r\n"),
    PAIR("\xff\xfe", "\x80\x00\x7f"),
};
#define NPAIRS (sizeof binary_pairs / sizeof binary_pairs[0])

static void check_binary_pairs(Store *s, const char *big, size_t big_len)
{
    for (size_t i = 0; i < NPAIRS; i++)
        EXPECT_VALUE(s, binary_pairs[i].k, binary_pairs[i].kl,
                     binary_pairs[i].v, binary_pairs[i].vl);
    EXPECT_VALUE(s, "big", 3, big, big_len);
    CHECK(store_count(s) == NPAIRS + 1, "expected %zu keys, got %zu",
          NPAIRS + 1, store_count(s));
}

static int cmd_binary(const char *path)
{
    char err[STORE_ERR_LEN];
    size_t big_len = 1 << 20;           /* every byte value, many times */
    char *big = malloc(big_len);
    if (big == NULL)
        return 1;
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)(i * 7 % 256);

    Store *s = open_or_die(path, NULL);
    if (s == NULL) {
        free(big);
        return 1;
    }
    for (size_t i = 0; i < NPAIRS; i++) {
        int rc = store_put(s, binary_pairs[i].k, binary_pairs[i].kl,
                           binary_pairs[i].v, binary_pairs[i].vl, err, sizeof err);
        CHECK(rc == 0, "put %zu: expected 0, got %d", i, rc);
    }
    store_put(s, "big", 3, big, big_len, err, sizeof err);
    check_binary_pairs(s, big, big_len);
    sync_ok(s);
    close_ok(s);                        /* compacts */
    for (int round = 0; round < 2; round++) {
        s = open_or_die(path, NULL);
        if (s == NULL)
            break;
        check_binary_pairs(s, big, big_len);
        close_ok(s);
    }
    free(big);
    return finish("binary keys and values survive close and open");
}

/* ---- many keys: the table grows and shrinks ---------------------------- */

static void many_key(char *buf, size_t n, long i)
{
    snprintf(buf, n, "key:%012ld", i);
}

static size_t buckets_of(const Store *s)
{
    StoreStats st;
    store_stats(s, &st);
    return st.buckets;
}

static void many_insert(Store *s, long n)
{
    char k[32], v[64];
    for (long i = 0; i < n; i++) {
        many_key(k, sizeof k, i);
        snprintf(v, sizeof v, "value:%ld", i);
        put_str(s, k, v);
        if (i % 1000 == 999)
            sync_ok(s);                 /* as a server does each round */
    }
    CHECK(store_count(s) == (size_t)n, "after %ld puts: expected %ld keys, got %zu",
          n, n, store_count(s));
}

static void many_check_and_overwrite(Store *s, long n)
{
    char k[32], v[64];
    long wrong = 0;
    for (long i = 0; i < n; i++) {
        const void *got;
        size_t glen;
        many_key(k, sizeof k, i);
        int vl = snprintf(v, sizeof v, "value:%ld", i);
        if (!store_get(s, k, strlen(k), &got, &glen) || glen != (size_t)vl ||
            memcmp(got, v, glen) != 0)
            wrong++;
    }
    CHECK(wrong == 0, "lookups: expected all %ld keys right, got %ld wrong", n, wrong);
    for (long i = 0; i < n; i += 2) {   /* another size: realloc and relink */
        many_key(k, sizeof k, i);
        snprintf(v, sizeof v, "a longer value for key %ld", i);
        put_str(s, k, v);
    }
    many_key(k, sizeof k, 0);
    EXPECT_STR(s, k, "a longer value for key 0");
}

static void many_delete(Store *s, long n, size_t *most_buckets)
{
    char err[STORE_ERR_LEN], k[32];
    long wrong = 0;
    for (long i = 0; i < n; i++) {
        many_key(k, sizeof k, i);
        if (store_delete(s, k, strlen(k), err, sizeof err) != 1)
            wrong++;
        if (i % 1000 == 999)
            sync_ok(s);
        size_t b = buckets_of(s);
        if (b > *most_buckets)
            *most_buckets = b;
    }
    CHECK(wrong == 0, "deletes: expected all %ld to return 1, got %ld wrong", n, wrong);
}

static int cmd_many(const char *path, long n)
{
    StoreOptions opt;
    store_options_default(&opt);
    opt.fsync = STORE_FSYNC_NO;
    Store *s = open_or_die(path, &opt);
    if (s == NULL)
        return 1;
    size_t initial = buckets_of(s);
    many_insert(s, n);
    size_t grown = buckets_of(s);
    CHECK(grown >= (size_t)n && grown <= 4 * (size_t)n,
          "after %ld keys: expected between %ld and %ld buckets, got %zu",
          n, n, 4 * n, grown);
    many_check_and_overwrite(s, n);
    size_t most = grown;
    many_delete(s, n, &most);
    /* The last shrink finishes in the idle work of store_sync. */
    for (int i = 0; i < 1000000; i++) {
        StoreStats st;
        store_stats(s, &st);
        if (!st.rehashing)
            break;
        sync_ok(s);
    }
    size_t final = buckets_of(s);
    CHECK(final <= 8, "after deleting every key: expected at most 8 buckets, got %zu",
          final);
    CHECK(store_count(s) == 0, "expected 0 keys, got %zu", store_count(s));
    close_ok(s);
    CHECK(file_size(path) == 0, "after close: expected an empty file, got %lld bytes",
          file_size(path));
    printf("buckets: %zu at start, %zu after %ld puts (most %zu), %zu after deleting all\n",
           initial, grown, n, most, final);
    return finish("the table grows and shrinks");
}

/* ---- persistence against a model --------------------------------------- */

/* The model: key i of a small pool, present or not, with its value. */
typedef struct Model {
    size_t  nkeys;
    char  **value;                      /* NULL: absent */
    size_t *vlen;
} Model;

/* Key i of the pool: "k<i>", followed by NUL CR LF for two keys in three. */
static size_t pool_key(char *out, size_t i)
{
    size_t n = (size_t)snprintf(out, 24, "k%zu", i);
    if (i % 3 != 0) {
        memcpy(out + n, "\0\r\n", 3);
        n += 3;
    }
    return n;
}

static void model_set(Model *m, size_t i, const char *v, size_t vl)
{
    free(m->value[i]);
    m->value[i] = malloc(vl + 1);
    if (m->value[i] != NULL)
        memcpy(m->value[i], v, vl);
    m->vlen[i] = vl;
}

/* One random mutation, applied to the store (if s) and to the model. */
static void random_op(Store *s, Model *m)
{
    char err[STORE_ERR_LEN], key[32], val[5000];
    size_t i = (size_t)(rng() % m->nkeys), kl = pool_key(key, i);
    unsigned r = (unsigned)(rng() % 1000);
    if (r < 650) {
        size_t vl = rng() % 20 == 0 ? 4000 + rng() % 900 : rng() % 40;
        for (size_t j = 0; j < vl; j++)
            val[j] = (char)rng();
        if (s != NULL && store_put(s, key, kl, val, vl, err, sizeof err) < 0)
            CHECK(false, "put: %s", err);
        model_set(m, i, val, vl);
    } else if (r < 995) {
        if (s != NULL && store_delete(s, key, kl, err, sizeof err) != (m->value[i] != NULL))
            CHECK(false, "delete key %zu: expected %d", i, m->value[i] != NULL);
        free(m->value[i]);
        m->value[i] = NULL;
    } else {
        if (s != NULL && store_clear(s, err, sizeof err) < 0)
            CHECK(false, "clear: %s", err);
        for (size_t j = 0; j < m->nkeys; j++) {
            free(m->value[j]);
            m->value[j] = NULL;
        }
    }
}

static void compare_with_model(Store *s, const Model *m, const char *when)
{
    char key[32];
    size_t present = 0, wrong = 0;
    for (size_t i = 0; i < m->nkeys; i++) {
        size_t kl = pool_key(key, i);
        const void *got;
        size_t glen;
        bool has = store_get(s, key, kl, &got, &glen);
        if (m->value[i] == NULL) {
            wrong += has;
            continue;
        }
        present++;
        if (!has || glen != m->vlen[i] || memcmp(got, m->value[i], glen) != 0)
            wrong++;
    }
    CHECK(wrong == 0 && store_count(s) == present,
          "%s: expected %zu keys as in the model, got %zu keys, %zu differing",
          when, present, store_count(s), wrong);
}

static void model_free(Model *m)
{
    for (size_t i = 0; i < m->nkeys; i++)
        free(m->value[i]);
    free(m->value);
    free(m->vlen);
}

/* The child makes ops mutations, syncs, and dies by SIGKILL, as in a crash. */
static void crash_child(const char *path, long ops, Model *m)
{
    Store *s = open_or_die(path, NULL);
    if (s == NULL)
        _exit(1);
    for (long i = 0; i < ops; i++) {
        random_op(s, m);
        if (i % 100 == 99)
            sync_ok(s);
    }
    sync_ok(s);
    raise(SIGKILL);
    _exit(1);
}

static int cmd_persist(const char *path, long ops, unsigned long seed)
{
    Model m = { (size_t)(ops / 4 > 16 ? ops / 4 : 16), NULL, NULL };
    m.value = calloc(m.nkeys, sizeof *m.value);
    m.vlen = calloc(m.nkeys, sizeof *m.vlen);
    if (m.value == NULL || m.vlen == NULL)
        return 1;
    printf("seed %lu, %ld mutations on %zu keys\n", seed, ops, m.nkeys);
    fflush(stdout);

    rng_seed(seed);
    pid_t pid = fork();
    if (pid == 0)
        crash_child(path, ops, &m);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "the crashing child: expected death by SIGKILL, got status %d", status);
    rng_seed(seed);                     /* the same mutations, on the model */
    for (long i = 0; i < ops; i++)
        random_op(NULL, &m);

    Store *s = open_or_die(path, NULL);
    if (s != NULL) {
        compare_with_model(s, &m, "after a crash");
        for (long i = 0; i < ops; i++)
            random_op(s, &m);
        close_ok(s);
        s = open_or_die(path, NULL);
    }
    if (s != NULL) {
        compare_with_model(s, &m, "after close and open");
        close_ok(s);
    }
    model_free(&m);
    return finish("contents survive a crash and a close");
}

/* ---- script, dump ------------------------------------------------------- */

static void print_escaped(const void *p, size_t n)
{
    char *buf = malloc(n * 4 + 8);
    if (buf == NULL)
        return;
    escape(buf, n * 4 + 8, p, n);
    fputs(buf, stdout);
    free(buf);
}

/* One script operation at argv[*i]; advances *i.  -1 on a failure. */
static int script_op(Store *s, char **argv, int argc, int *i)
{
    char err[STORE_ERR_LEN];
    const char *op = argv[(*i)++];
    int need = !strcmp(op, "set") ? 2 : !strcmp(op, "del") || !strcmp(op, "get") ? 1 : 0;
    if (*i + need > argc) {
        fprintf(stderr, "store_test: %s needs %d argument(s)\n", op, need);
        return -1;
    }
    char *k = need ? malloc(strlen(argv[*i]) + 1) : NULL;
    char *v = need == 2 ? malloc(strlen(argv[*i + 1]) + 1) : NULL;
    size_t kl = k ? unescape(argv[*i], k) : 0, vl = v ? unescape(argv[*i + 1], v) : 0;
    *i += need;
    int rc = 0;
    const void *got;
    size_t glen;
    if (!strcmp(op, "set"))
        rc = store_put(s, k, kl, v, vl, err, sizeof err);
    else if (!strcmp(op, "del"))
        rc = store_delete(s, k, kl, err, sizeof err) < 0 ? -1 : 0;
    else if (!strcmp(op, "get") && store_get(s, k, kl, &got, &glen)) {
        print_escaped(got, glen);
        putchar('\n');
    } else if (!strcmp(op, "get"))
        puts("(nil)");
    else if (!strcmp(op, "count"))
        printf("%zu\n", store_count(s));
    else if (!strcmp(op, "flush"))
        rc = store_clear(s, err, sizeof err);
    else if (!strcmp(op, "sync"))
        rc = store_sync(s, err, sizeof err);
    else if (!strcmp(op, "compact"))
        rc = store_compact(s, err, sizeof err);
    else if (!strcmp(op, "crash")) {
        fflush(stdout);
        raise(SIGKILL);                 /* no close, no compaction: a crash */
    } else {
        snprintf(err, sizeof err, "unknown operation '%s'", op);
        rc = -1;
    }
    if (rc < 0)
        fprintf(stderr, "store_test: %s: %s\n", op, err);
    free(k);
    free(v);
    return rc;
}

static int cmd_script(const char *path, int argc, char **argv)
{
    Store *s = open_or_die(path, NULL);
    if (s == NULL)
        return 1;
    int rc = 0;
    for (int i = 0; i < argc && rc == 0;)
        rc = script_op(s, argv, argc, &i);
    char err[STORE_ERR_LEN];
    if (store_close(s, err, sizeof err) < 0) {
        fprintf(stderr, "store_test: store_close: %s\n", err);
        rc = -1;
    }
    return rc < 0 ? 1 : 0;
}

typedef struct Line {
    char *text;
} Line;

typedef struct Lines {
    Line  *lines;
    size_t n, cap;
} Lines;

static int collect_line(void *ctx, const void *key, size_t klen,
                        const void *val, size_t vlen)
{
    Lines *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        Line *lines = realloc(l->lines, cap * sizeof *lines);
        if (lines == NULL)
            return -1;
        l->lines = lines;
        l->cap = cap;
    }
    size_t n = (klen + vlen) * 4 + 8;
    char *text = malloc(n);
    if (text == NULL)
        return -1;
    escape(text, n, key, klen);
    size_t used = strlen(text);
    text[used++] = '=';
    escape(text + used, n - used, val, vlen);
    l->lines[l->n++].text = text;
    return 0;
}

static int compare_lines(const void *a, const void *b)
{
    return strcmp(((const Line *)a)->text, ((const Line *)b)->text);
}

static int cmd_dump(const char *path)
{
    Store *s = open_or_die(path, NULL);
    if (s == NULL)
        return 1;
    Lines l = { NULL, 0, 0 };
    int rc = store_foreach(s, collect_line, &l);
    qsort(l.lines, l.n, sizeof *l.lines, compare_lines);
    for (size_t i = 0; i < l.n; i++) {
        puts(l.lines[i].text);
        free(l.lines[i].text);
    }
    free(l.lines);
    printf("count=%zu\n", store_count(s));
    char err[STORE_ERR_LEN];
    if (store_close(s, err, sizeof err) < 0) {
        fprintf(stderr, "store_test: store_close: %s\n", err);
        rc = -1;
    }
    return rc < 0 ? 1 : 0;
}

/* ---- crash-compact, lock ------------------------------------------------ */

static void die_before_rename(const char *tmp)
{
    printf("killed before renaming %s\n", tmp);
    fflush(stdout);
    raise(SIGKILL);
}

static int cmd_crash_compact(const char *path)
{
    Store *s = open_or_die(path, NULL);
    if (s == NULL)
        return 1;
    store_hook_before_rename = die_before_rename;
    char err[STORE_ERR_LEN];
    int rc = store_compact(s, err, sizeof err);
    fprintf(stderr, "store_test: store_compact returned %d (%s) instead of dying\n",
            rc, rc ? err : "");
    store_close(s, err, sizeof err);
    return 1;
}

/* The child opens the store, says so on ready, and keeps it open until
 * done is closed. */
static void holding_child(const char *path, int ready, int done)
{
    char err[STORE_ERR_LEN], c;
    Store *s = store_open(path, NULL, err, sizeof err);
    (void)!write(ready, s != NULL ? "y" : "n", 1);
    while (read(done, &c, 1) > 0)
        ;
    if (s != NULL)
        store_close(s, err, sizeof err);
    _exit(s != NULL ? 0 : 1);
}

static void expect_refused(const char *path, const char *must_contain, const char *who)
{
    char err[STORE_ERR_LEN];
    Store *s = store_open(path, NULL, err, sizeof err);
    CHECK(s == NULL && strstr(err, must_contain) != NULL,
          "second open (%s): expected NULL with \"%s\", got %s \"%s\"",
          who, must_contain, s ? "a store" : "NULL", s ? "" : err);
    if (s == NULL)
        printf("refused (%s): %s\n", who, err);
    else
        store_close(s, err, sizeof err);
}

static int cmd_lock(const char *path)
{
    int ready[2], done[2];
    if (pipe(ready) < 0 || pipe(done) < 0)
        return 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(done[1]);
        holding_child(path, ready[1], done[0]);
    }
    close(ready[1]);
    close(done[0]);
    char c = 0;
    CHECK(read(ready[0], &c, 1) == 1 && c == 'y', "%s",
          "the child could not open the store");
    expect_refused(path, "another server", "another process");
    close(done[1]);                     /* the child closes the store */
    int status;
    waitpid(pid, &status, 0);
    close(ready[0]);

    Store *s = open_or_die(path, NULL);
    CHECK(s != NULL, "%s", "once the other process closed it: expected a store, got NULL");
    if (s != NULL) {
        expect_refused(path, "already open in this process", "this process");
        close_ok(s);
    }
    s = open_or_die(path, NULL);
    if (s != NULL)
        close_ok(s);
    return finish("a second open of the same file is refused");
}

/* ---- fsync policies ----------------------------------------------------- */

static void report_sync(Store *s, const char *when)
{
    StoreStats st;
    sync_ok(s);
    store_stats(s, &st);
    long t = store_sync_timeout_ms(s);
    CHECK(t <= 1000, "sync timeout: expected at most 1000 ms, got %ld", t);
    printf("%s: fsyncs=%lu waiting=%s\n", when, st.fsyncs, t >= 0 ? "yes" : "no");
}

static int cmd_fsync(const char *name, const char *path)
{
    StoreOptions opt;
    store_options_default(&opt);
    if (store_fsync_parse(name, &opt.fsync) < 0) {
        fprintf(stderr, "store_test: unknown fsync policy '%s' "
                "(expected always, everysec or no)\n", name);
        return 2;
    }
    CHECK(strcmp(store_fsync_name(opt.fsync), name) == 0,
          "store_fsync_name: expected \"%s\", got \"%s\"", name,
          store_fsync_name(opt.fsync));
    Store *s = open_or_die(path, &opt);
    if (s == NULL)
        return 1;
    put_str(s, "a", "1");
    report_sync(s, "put, sync");
    report_sync(s, "sync with nothing queued");
    long t = store_sync_timeout_ms(s);
    if (t > 0) {
        struct timespec ts = { t / 1000, (t % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        long now = store_sync_timeout_ms(s);
        CHECK(now == 0, "after sleeping %ld ms: expected timeout 0, got %ld", t, now);
        report_sync(s, "sync once the timeout expired");
    }
    put_str(s, "b", "2");
    report_sync(s, "put, sync");
    close_ok(s);
    return failures ? 1 : 0;
}

/* ---- write errors ------------------------------------------------------- */

static void limit_file_size(rlim_t limit)
{
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = limit == RLIM_INFINITY ? rl.rlim_max : limit;
    if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
        CHECK(false, "setrlimit: %s", strerror(errno));
}

/* Phase 1: a sync fails half-way; the file is cut back, mutations refused. */
static void failing_sync(Store *s, const char *path, const char *big)
{
    char err[STORE_ERR_LEN];
    long long before = file_size(path);
    limit_file_size((rlim_t)before + 100);  /* the record is cut at 100 bytes */
    put_str(s, "big", big);
    int rc = store_sync(s, err, sizeof err);
    CHECK(rc == -1 && strstr(err, strerror(EFBIG)) != NULL,
          "sync over the size limit: expected -1 with \"%s\", got %d \"%s\"",
          strerror(EFBIG), rc, rc ? err : "");
    printf("sync failed: %s\n", err);
    CHECK(file_size(path) == before, "after the failed sync: expected the file cut back "
          "to %lld bytes, got %lld", before, file_size(path));
    long t = store_sync_timeout_ms(s);
    CHECK(t >= 0 && t <= 1000, "timeout in write error: expected 0..1000 ms, got %ld", t);

    rc = store_put(s, "refused", 7, "x", 1, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "not writable") != NULL,
          "put in write error: expected -1 \"store not writable...\", got %d \"%s\"",
          rc, rc ? err : "");
    printf("put refused: %s\n", err);
    rc = store_delete(s, "k1", 2, err, sizeof err);
    CHECK(rc == -1, "delete in write error: expected -1, got %d", rc);
    rc = store_clear(s, err, sizeof err);
    CHECK(rc == -1, "clear in write error: expected -1, got %d", rc);
    EXPECT_STR(s, "k1", "v1");                   /* reads keep working */
    EXPECT_STR(s, "big", big);
    EXPECT_MISSING(s, "refused", 7);
}

/* Phase 2: the disk accepts writes again; the next mutation retries. */
static void recovery(Store *s, const char *path)
{
    long long before = file_size(path);
    limit_file_size(RLIM_INFINITY);
    put_str(s, "after", "recovery");
    StoreStats st;
    store_stats(s, &st);
    CHECK(!st.failed, "%s", "after a successful retry: expected the write error cleared");
    sync_ok(s);
    CHECK(file_size(path) > before + 1000, "after recovery: expected the queued "
          "records written (> %lld bytes), got %lld", before + 1000, file_size(path));
}

/* Phase 3: store_close cannot write either: -1, and the old file intact. */
static void failing_close(const char *path)
{
    char err[STORE_ERR_LEN];
    Store *s = open_or_die(path, NULL);
    if (s == NULL)
        return;
    long long before = file_size(path);
    limit_file_size((rlim_t)before + 10);
    put_str(s, "lost", "this record does not fit under the file size limit");
    int rc = store_close(s, err, sizeof err);
    CHECK(rc == -1, "close that cannot write: expected -1, got %d", rc);
    printf("close failed: %s\n", err);
    limit_file_size(RLIM_INFINITY);
    CHECK(file_size(path) == before, "after the failed close: expected the old "
          "file (%lld bytes), got %lld", before, file_size(path));
}

static int cmd_write_error(const char *path)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;            /* writes then fail with EFBIG */
    sigaction(SIGXFSZ, &sa, NULL);

    char big[1001];
    memset(big, 'B', 1000);
    big[1000] = '\0';
    Store *s = open_or_die(path, NULL);
    if (s == NULL)
        return 1;
    put_str(s, "k1", "v1");
    put_str(s, "k2", "v2");
    sync_ok(s);
    failing_sync(s, path, big);
    recovery(s, path);
    close_ok(s);
    failing_close(path);

    s = open_or_die(path, NULL);
    if (s != NULL) {
        EXPECT_STR(s, "k1", "v1");
        EXPECT_STR(s, "k2", "v2");
        EXPECT_STR(s, "big", big);
        EXPECT_STR(s, "after", "recovery");
        EXPECT_MISSING(s, "refused", 7);
        EXPECT_MISSING(s, "lost", 4);
        CHECK(store_count(s) == 4, "reopened: expected 4 keys, got %zu", store_count(s));
        close_ok(s);
    }
    return finish("write errors: cut back, refused, recovered");
}

/* ---- bench -------------------------------------------------------------- */

/* Resident memory in bytes (Linux /proc), or -1. */
static long long resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long size, resident = -1;
    if (f == NULL)
        return -1;
    if (fscanf(f, "%lld %lld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static int cmd_bench(const char *path, long n)
{
    StoreOptions opt;
    store_options_default(&opt);
    opt.fsync = STORE_FSYNC_NO;
    char err[STORE_ERR_LEN], k[32], v[33];
    memset(v, 'v', 32);
    long long rss0 = resident_bytes();
    Store *s = open_or_die(path, &opt);
    if (s == NULL)
        return 1;
    struct timespec t0, a, b, c;
    double slowest_put = 0, slowest_sync = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        snprintf(k, sizeof k, "key:%012ld", i);        /* 16 bytes */
        memcpy(v, k, 16);                               /* 32 bytes */
        clock_gettime(CLOCK_MONOTONIC, &a);
        store_put(s, k, 16, v, 32, err, sizeof err);
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (seconds_between(&a, &b) > slowest_put)
            slowest_put = seconds_between(&a, &b);
        if (i % 1000 == 999) {          /* a server's round: 1000 requests */
            store_sync(s, err, sizeof err);
            clock_gettime(CLOCK_MONOTONIC, &c);
            if (seconds_between(&b, &c) > slowest_sync)
                slowest_sync = seconds_between(&b, &c);
        }
    }
    store_sync(s, err, sizeof err);
    double put_s = seconds_since(&t0);
    long long rss1 = resident_bytes();

    clock_gettime(CLOCK_MONOTONIC, &t0);
    long found = 0;
    for (long i = 0; i < n; i++) {
        const void *got;
        size_t glen;
        snprintf(k, sizeof k, "key:%012ld", i);
        found += store_get(s, k, 16, &got, &glen);
    }
    double get_s = seconds_since(&t0);
    StoreStats st;
    store_stats(s, &st);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    store_close(s, err, sizeof err);
    double close_s = seconds_since(&t0);
    printf("%ld keys of 16 bytes with 32-byte values, %zu buckets\n", n, st.buckets);
    printf("put: %.2f s, %.0f ops/s (including writing the file)\n", put_s, n / put_s);
    printf("slowest put %.0f us, slowest store_sync of 1000 records %.0f us\n",
           slowest_put * 1e6, slowest_sync * 1e6);
    printf("get: %.2f s, %.0f ops/s (%ld found)\n", get_s, n / get_s, found);
    if (rss0 >= 0 && rss1 >= 0)
        printf("memory: %.1f bytes per key (resident %.1f MiB more)\n",
               (double)(rss1 - rss0) / (double)n, (double)(rss1 - rss0) / 1048576.0);
    printf("close (rewrite, %lld bytes file): %.2f s\n", file_size(path), close_s);
    return found == n ? 0 : 1;
}

/* ---- time to live ------------------------------------------------------- */

static long long fake_now;

static long long fake_clock(void)
{
    return fake_now;
}

static int put_ttl(Store *s, const char *k, const char *v, long long at)
{
    char err[STORE_ERR_LEN];
    int rc = store_put_expiring(s, k, strlen(k), v, strlen(v), at, err, sizeof err);
    CHECK(rc == 0, "put \"%s\" expiring at %lld: expected 0, got %d (%s)", k, at,
          rc, rc ? err : "");
    return rc;
}

static void expect_expiry(Store *s, const char *k, long long want)
{
    long long got = 0;
    bool has = store_get_expiry(s, k, strlen(k), &got);
    CHECK(has && got == want, "expiry of \"%s\": expected %lld, got %s%lld", k,
          want, has ? "" : "no key, ", got);
}

static void ttl_lazy_and_commands(Store *s)
{
    char err[STORE_ERR_LEN];
    put_ttl(s, "a", "1", fake_now + 1000);
    put_str(s, "b", "2");
    expect_expiry(s, "a", fake_now + 1000);
    expect_expiry(s, "b", STORE_NO_EXPIRY);
    fake_now += 999;
    EXPECT_STR(s, "a", "1");
    fake_now += 1;                      /* due: gone at the next read */
    EXPECT_MISSING(s, "a", 1);
    CHECK(store_count(s) == 1, "expected 1 key after a's expiry, got %zu", store_count(s));
    int rc = store_expire_at(s, "b", 1, fake_now + 50, err, sizeof err);
    CHECK(rc == 1, "expire_at b: expected 1, got %d", rc);
    rc = store_persist(s, "b", 1, err, sizeof err);
    CHECK(rc == 1, "persist b: expected 1, got %d", rc);
    rc = store_persist(s, "b", 1, err, sizeof err);
    CHECK(rc == 0, "persist b again (no expiry): expected 0, got %d", rc);
    rc = store_expire_at(s, "zz", 2, fake_now + 50, err, sizeof err);
    CHECK(rc == 0, "expire_at of a missing key: expected 0, got %d", rc);
    rc = store_expire_at(s, "b", 1, fake_now, err, sizeof err);
    CHECK(rc == 1, "expire_at now: expected 1 (deleted), got %d", rc);
    EXPECT_MISSING(s, "b", 1);
    put_ttl(s, "c", "3", fake_now - 1);     /* already past: not stored */
    EXPECT_MISSING(s, "c", 1);
    put_ttl(s, "c", "3", fake_now + 10);
    put_str(s, "c", "4");                   /* a plain SET drops the TTL */
    expect_expiry(s, "c", STORE_NO_EXPIRY);
    CHECK(store_count_expiring(s) == 0, "expected no key with an expiry, got %zu",
          store_count_expiring(s));
}

/* A child writes records and dies without closing: the replay (not a
 * rewrite) must apply SET PXAT, PEXPIREAT and PERSIST. */
static void ttl_records_replayed(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        char err[STORE_ERR_LEN];
        Store *s = open_or_die(path, NULL);
        if (s == NULL)
            _exit(1);
        put_ttl(s, "r1", "x", fake_now + 100);
        put_str(s, "r2", "y");
        store_expire_at(s, "r2", 2, fake_now + 200, err, sizeof err);
        put_ttl(s, "r3", "z", fake_now + 300);
        store_persist(s, "r3", 2, err, sizeof err);
        store_sync(s, err, sizeof err);
        if (failures)
            _exit(1);
        kill(getpid(), SIGKILL);        /* a crash: no close, no rewrite */
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "%s",
          "the writing child failed");
    fake_now += 150;                    /* r1 is due by now */
    Store *s = open_or_die(path, NULL);
    if (s == NULL)
        return;
    EXPECT_MISSING(s, "r1", 2);
    expect_expiry(s, "r2", fake_now - 150 + 200);
    expect_expiry(s, "r3", STORE_NO_EXPIRY);
    close_ok(s);
}

static void ttl_survives_rewrite(const char *path)
{
    Store *s = open_or_die(path, NULL);
    if (s == NULL)
        return;
    long long at = fake_now + 2000;
    put_ttl(s, "d", "5", at);
    close_ok(s);                        /* rewritten: SET d 5 PXAT at */
    fake_now += 1000;
    s = open_or_die(path, NULL);
    if (s == NULL)
        return;
    expect_expiry(s, "d", at);          /* not extended by the restart */
    close_ok(s);
    fake_now += 1000;
    s = open_or_die(path, NULL);
    if (s == NULL)
        return;
    EXPECT_MISSING(s, "d", 1);          /* not revived either */
    close_ok(s);
}

/* Active expiry removes expired keys nobody reads, in bounded steps. */
static void ttl_active_expiry(Store *s)
{
    char k[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "t%d", i);
        put_ttl(s, k, "v", fake_now + 10);
        snprintf(k, sizeof k, "p%d", i);
        put_str(s, k, "v");
    }
    size_t before = store_count(s);
    fake_now += 10;
    int cycles = 0;
    while (store_count_expiring(s) > 0 && cycles < 10000) {
        s->last_expire_cycle = (struct timespec){ 0, 0 };   /* due now */
        CHECK(store_expire_timeout_ms(s) == 0, "%s", "the cycle should be due");
        store_expire_cycle(s);
        cycles++;
    }
    CHECK(store_count(s) == before - 5000, "active expiry: expected %zu keys, got %zu",
          before - 5000, store_count(s));
    CHECK(store_expire_timeout_ms(s) == -1, "no expiring key: timeout %ld, expected -1",
          store_expire_timeout_ms(s));
}

static int cmd_ttl(const char *path)
{
    store_hook_now_ms = fake_clock;
    fake_now = 1700000000000LL;
    unlink(path);
    Store *s = open_or_die(path, NULL);
    if (s == NULL)
        return 1;
    ttl_lazy_and_commands(s);
    close_ok(s);
    unlink(path);
    ttl_records_replayed(path);
    unlink(path);
    ttl_survives_rewrite(path);
    unlink(path);
    s = open_or_die(path, NULL);
    if (s == NULL)
        return 1;
    ttl_active_expiry(s);
    close_ok(s);
    unlink(path);
    return finish("expiry: lazy, commands, replay, rewrite, active");
}

/* ---- SCAN --------------------------------------------------------------- */

#define SCAN_KEYS 2000

typedef struct ScanSeen {
    unsigned char seen[SCAN_KEYS];      /* times each "s<i>" key was returned */
} ScanSeen;

static int note_scanned(void *ctx, const void *key, size_t klen,
                        const void *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    ScanSeen *ss = ctx;
    char k[16];
    if (klen < 2 || klen >= sizeof k || ((const char *)key)[0] != 's')
        return 0;
    memcpy(k, key, klen);
    k[klen] = '\0';
    int i = atoi(k + 1);
    if (i >= 0 && i < SCAN_KEYS && ss->seen[i] < 255)
        ss->seen[i]++;
    return 0;
}

/* Scans while other keys come and go (grow: many "g" keys added; shrink:
 * removed), every step.  Each "s" key must be returned at least once. */
static void scan_while_resizing(Store *s, bool grow)
{
    char err[STORE_ERR_LEN], k[32];
    ScanSeen ss = { { 0 } };
    size_t cursor = 0;
    int steps = 0, g = 0;
    do {
        cursor = store_scan(s, cursor, note_scanned, &ss);
        for (int j = 0; j < 2; j++, g++) {
            snprintf(k, sizeof k, "g%d", g);
            if (grow)
                store_put(s, k, strlen(k), "v", 1, err, sizeof err);
            else
                store_delete(s, k, strlen(k), err, sizeof err);
        }
        steps++;
    } while (cursor != 0 && steps < 1000000);
    int missed = 0;
    for (int i = 0; i < SCAN_KEYS; i++)
        missed += ss.seen[i] == 0;
    CHECK(missed == 0, "scan while the table %s: %d of %d keys never returned",
          grow ? "grows" : "shrinks", missed, SCAN_KEYS);
}

static int cmd_scan(const char *path)
{
    unlink(path);
    StoreOptions opt;
    store_options_default(&opt);
    opt.fsync = STORE_FSYNC_NO;
    Store *s = open_or_die(path, &opt);
    if (s == NULL)
        return 1;
    char err[STORE_ERR_LEN], k[32];
    for (int i = 0; i < SCAN_KEYS; i++) {
        snprintf(k, sizeof k, "s%d", i);
        store_put(s, k, strlen(k), "v", 1, err, sizeof err);
    }
    ScanSeen once = { { 0 } };
    size_t cursor = 0;
    do
        cursor = store_scan(s, cursor, note_scanned, &once);
    while (cursor != 0);
    int wrong = 0;
    for (int i = 0; i < SCAN_KEYS; i++)
        wrong += once.seen[i] != 1;
    CHECK(wrong == 0, "scan of a stable table: %d keys not returned exactly once", wrong);
    scan_while_resizing(s, true);
    scan_while_resizing(s, false);
    store_sync(s, err, sizeof err);
    store_close(s, err, sizeof err);
    unlink(path);
    return finish("scan: every key, while growing and shrinking");
}

/* ---- main --------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: store_test siphash | sanitized | basic FILE | binary FILE |\n"
            "       many FILE N | persist FILE N SEED | script FILE OP... |\n"
            "       dump FILE | crash-compact FILE | lock FILE |\n"
            "       fsync POLICY FILE | write-error FILE | bench FILE N |\n"
            "       ttl FILE | scan FILE\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (!strcmp(cmd, "siphash"))
        return cmd_siphash();
    if (!strcmp(cmd, "sanitized"))
        return cmd_sanitized();
    if (argc < 3)
        return usage();
    const char *file = argv[2];
    if (!strcmp(cmd, "basic"))
        return cmd_basic(file);
    if (!strcmp(cmd, "binary"))
        return cmd_binary(file);
    if (!strcmp(cmd, "many") && argc == 4)
        return cmd_many(file, atol(argv[3]));
    if (!strcmp(cmd, "persist") && argc == 5)
        return cmd_persist(file, atol(argv[3]), strtoul(argv[4], NULL, 10));
    if (!strcmp(cmd, "script"))
        return cmd_script(file, argc - 3, argv + 3);
    if (!strcmp(cmd, "dump"))
        return cmd_dump(file);
    if (!strcmp(cmd, "crash-compact"))
        return cmd_crash_compact(file);
    if (!strcmp(cmd, "lock"))
        return cmd_lock(file);
    if (!strcmp(cmd, "fsync") && argc == 4)
        return cmd_fsync(file, argv[3]);
    if (!strcmp(cmd, "write-error"))
        return cmd_write_error(file);
    if (!strcmp(cmd, "ttl"))
        return cmd_ttl(file);
    if (!strcmp(cmd, "scan"))
        return cmd_scan(file);
    if (!strcmp(cmd, "bench") && argc == 4)
        return cmd_bench(file, atol(argv[3]));
    return usage();
}
