/*
 * fuzz_store.c — libFuzzer target: opening a store file with any content.
 *
 * The input is written as the store file, then opened.  A file that opens
 * is walked and closed (which compacts it); a file that is refused must be
 * refused with a message, never crash or leak.
 *
 * Build and run: make fuzz (see the Makefile).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"

static int count_key(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)k; (void)kl; (void)v; (void)vl;
    (*(size_t *)ctx)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz-store-%d.aof", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);

    StoreOptions opt;
    store_options_default(&opt);
    opt.fsync = STORE_FSYNC_NO;
    char err[STORE_ERR_LEN];
    Store *s = store_open(path, &opt, err, sizeof err);
    if (s != NULL) {
        size_t n = 0;
        store_foreach(s, count_key, &n);
        if (n != store_count(s)) {
            fprintf(stderr, "fuzz: store_foreach saw %zu keys, store_count says %zu\n",
                    n, store_count(s));
            abort();
        }
        store_close(s, err, sizeof err);
    }
    unlink(path);
    return 0;
}
