/*
 * cmd_server.c — the server commands: CONFIG GET, INFO, TIME.
 */
#include "cmd_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "glob.h"

/* CONFIG GET: the few parameters clients such as redis-benchmark ask for. */
int cmd_config(const CommandContext *ctx, const Request *req, Buffer *out)
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
    if (reply_map(out, matches, req_proto(req)) < 0)
        return -1;
    for (size_t p = 0; p < nparams; p++)
        if (wanted[p] && (reply_bulk(out, params[p][0], strlen(params[p][0])) < 0 ||
                          reply_bulk(out, params[p][1], strlen(params[p][1])) < 0))
            return -1;
    return 0;
}

/* ---- TIME ------------------------------------------------------------------ */

HANDLER(cmd_time)
{
    (void)ctx;
    (void)req;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char sec[DECIMAL_BUF_LEN], usec[DECIMAL_BUF_LEN];
    int ns = snprintf(sec, sizeof sec, "%lld", (long long)ts.tv_sec);
    int nu = snprintf(usec, sizeof usec, "%ld", ts.tv_nsec / 1000);
    if (reply_array(out, 2) < 0 || reply_bulk(out, sec, (size_t)ns) < 0)
        return -1;
    return reply_bulk(out, usec, (size_t)nu);
}

/* ---- INFO ------------------------------------------------------------------
 *
 * Redis's sections and field names, with the figures this server has; a
 * client reads the fields it knows (ioredis waits for "loading:0",
 * redis-cli prints what it finds).  Each section is "# Name\r\n", then
 * "field:value\r\n" lines, then an empty line; the whole text is one bulk
 * string (a verbatim string in RESP3).
 */

#define MS_PER_S    1000
#define S_PER_DAY   86400
#define PAGE_BYTES  4096

/* Resident memory in bytes (Linux /proc), or 0 if unknown. */
static long long resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long size = 0, resident = 0;
    if (f == NULL)
        return 0;
    if (fscanf(f, "%lld %lld", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * PAGE_BYTES;
}

typedef int (*InfoSection)(const CommandContext *ctx, Buffer *text);

/* printf into the INFO text.  0, or -1 out of memory. */
static int infof(Buffer *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int infof(Buffer *text, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    return buffer_append(text, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static int info_server(const CommandContext *ctx, Buffer *text)
{
    long long up = ctx->started_ms ? (store_now_ms() - ctx->started_ms) / MS_PER_S : 0;
    return infof(text, "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n"
                 "os:POSIX\r\narch_bits:%d\r\nmultiplexing_api:select\r\n"
                 "process_id:%ld\r\nuptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\n"
                 "hz:10\r\nexecutable:kvserver\r\n\r\n",
                 (int)(sizeof(void *) * 8), (long)getpid(), up, up / S_PER_DAY);
}

static int info_clients(const CommandContext *ctx, Buffer *text)
{
    return infof(text, "# Clients\r\nconnected_clients:%zu\r\nmaxclients:%ld\r\n"
                 "blocked_clients:0\r\n\r\n", session_count(), ctx->max_clients);
}

static int info_memory(const CommandContext *ctx, Buffer *text)
{
    (void)ctx;
    long long rss = resident_bytes();
    return infof(text, "# Memory\r\nused_memory:%lld\r\nused_memory_rss:%lld\r\n"
                 "maxmemory:0\r\nmaxmemory_policy:noeviction\r\n"
                 "mem_allocator:libc\r\n\r\n", rss, rss);
}

static int info_persistence(const CommandContext *ctx, Buffer *text)
{
    StoreFsync f = ctx->fsync;
    return infof(text, "# Persistence\r\nloading:0\r\nasync_loading:0\r\n"
                 "rdb_changes_since_last_save:0\r\nrdb_bgsave_in_progress:0\r\n"
                 "aof_enabled:1\r\naof_rewrite_in_progress:0\r\naof_fsync:%s\r\n"
                 "aof_last_write_status:ok\r\n\r\n", store_fsync_name(f));
}

static int info_stats(const CommandContext *ctx, Buffer *text)
{
    unsigned long requests = ctx->requests ? *ctx->requests : 0;
    return infof(text, "# Stats\r\ntotal_connections_received:%llu\r\n"
                 "total_commands_processed:%lu\r\nrejected_connections:0\r\n"
                 "expired_keys:0\r\nevicted_keys:0\r\n\r\n", session_total(), requests);
}

static int info_replication(const CommandContext *ctx, Buffer *text)
{
    (void)ctx;
    return infof(text, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n");
}

static int info_keyspace(const CommandContext *ctx, Buffer *text)
{
    size_t keys = store_count(ctx->store);
    if (infof(text, "# Keyspace\r\n") < 0)
        return -1;
    if (keys > 0 && infof(text, "db0:keys=%zu,expires=%zu,avg_ttl=0\r\n", keys,
                          store_count_expiring(ctx->store)) < 0)
        return -1;
    return infof(text, "\r\n");
}

static const struct { const char *name; InfoSection write; } info_sections[] = {
    { "server", info_server },           { "clients", info_clients },
    { "memory", info_memory },           { "persistence", info_persistence },
    { "stats", info_stats },             { "replication", info_replication },
    { "keyspace", info_keyspace },
};
#define N_SECTIONS (sizeof info_sections / sizeof info_sections[0])

/* Is section s asked for?  No argument, "default", "all", "everything":
 * every section; otherwise the ones named (case-insensitive). */
static bool section_wanted(const Request *req, size_t s)
{
    if (req->argc == 1)
        return true;
    for (size_t i = 1; i < req->argc; i++)
        if (arg_is(req, i, info_sections[s].name) || arg_is(req, i, "default") ||
            arg_is(req, i, "all") || arg_is(req, i, "everything"))
            return true;
    return false;
}

HANDLER(cmd_info)
{
    Buffer text = BUFFER_EMPTY;
    int rc = 0;
    for (size_t s = 0; s < N_SECTIONS && rc == 0; s++) {
        if (section_wanted(req, s))
            rc = info_sections[s].write(ctx, &text);
    }
    /* Redis ends the text without the last section's empty line. */
    size_t n = buffer_pending(&text);
    if (rc == 0)
        rc = reply_verbatim(out, n ? text.data + text.cur : "", n >= 2 ? n - 2 : n,
                            req_proto(req));
    buffer_free(&text);
    return rc;
}
