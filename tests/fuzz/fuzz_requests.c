/*
 * fuzz_requests.c — libFuzzer target: any bytes a client may send, through
 * the parser and the command table, against a real store.
 *
 * The input is delivered the way a socket may deliver it: cut in two at a
 * position chosen by the first byte, so that resuming a half-parsed request
 * is fuzzed too.  Replies are discarded; what is checked is that nothing
 * crashes, leaks or reads out of bounds (ASan/UBSan), and that the server's
 * invariants hold (a consumed request is never longer than the input).
 *
 * Build and run: make fuzz (see the Makefile).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "fdstate.h"
#include "serve.h"
#include "store.h"

static Store *store;
static CommandContext ctx;
static unsigned long runs;

static void open_store(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz-requests-%d.aof", (int)getpid());
    unlink(path);
    StoreOptions opt;
    store_options_default(&opt);
    opt.fsync = STORE_FSYNC_NO;
    char err[STORE_ERR_LEN];
    store = store_open(path, &opt, err, sizeof err);
    if (store == NULL) {
        fprintf(stderr, "fuzz: cannot open the store: %s\n", err);
        exit(1);
    }
    ctx = (CommandContext){ .store = store, .fsync = STORE_FSYNC_NO, .max_clients = 100 };
}

/* Appends bytes to the connection and serves what is complete. */
static int deliver(FDState *st, const uint8_t *data, size_t n)
{
    unsigned long executed = 0;
    if (buffer_append(&st->in, data, n) < 0)
        return -1;
    while (st->status != FD_CLOSING) {
        size_t before = buffer_pending(&st->in);
        FDStatus next;
        if (serve_requests(st, &ctx, &protocol_default_limits, &executed, &next) < 0)
            return -1;
        fdstate_set_status(st, next);
        buffer_consume(&st->out, buffer_pending(&st->out));  /* "written" */
        if (buffer_pending(&st->in) == before)
            break;                      /* only a partial request is left */
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (store == NULL)
        open_store();
    if (size == 0)
        return 0;
    size_t cut = data[0] % size;
    FDState *st = fdstate_new(-1, "fuzz");
    if (st != NULL && deliver(st, data + 1, cut > 0 ? cut - 1 : 0) == 0)
        deliver(st, data + cut, size - cut);
    fdstate_free(st);

    /* Keep the store small and its file bounded across millions of runs. */
    char err[STORE_ERR_LEN];
    store_sync(store, err, sizeof err);
    if (++runs % 10000 == 0) {
        store_clear(store, err, sizeof err);
        store_compact(store, err, sizeof err);
    }
    return 0;
}
