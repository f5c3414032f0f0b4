/*
 * store_seed.c — the process's SipHash key.
 *
 * The hash table's key is drawn at random once per process, so no client
 * can choose keys that all land in one bucket (hash flooding).  Every table
 * of the process shares it.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "rio.h"
#include "siphash.h"

static uint8_t hash_seed[SIPHASH_KEY_LEN];
static bool hash_seed_ready;

static int read_urandom(uint8_t *out, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = rio_read_full(fd, out, n);
    int saved = errno;
    close(fd);
    if (got >= 0 && (size_t)got == n)
        return 0;
    errno = got < 0 ? saved : EIO;      /* the end of /dev/urandom?  Broken. */
    return -1;
}

/* A poor substitute for randomness: whoever knows roughly when the server
 * started and its pid can guess it.  Only used if /dev/urandom fails. */
_Static_assert(2 * sizeof(uint64_t) == SIPHASH_KEY_LEN,
               "the fallback key is made of two 64-bit hashes");

static void seed_from_time_and_pid(uint8_t out[SIPHASH_KEY_LEN])
{
    struct {
        struct timespec real, mono;
        long pid;
        const void *stack;
    } material;
    memset(&material, 0, sizeof material);
    clock_gettime(CLOCK_REALTIME, &material.real);
    clock_gettime(CLOCK_MONOTONIC, &material.mono);
    material.pid = (long)getpid();
    material.stack = &material;         /* varies with address randomization */
    static const uint8_t k0[SIPHASH_KEY_LEN] = { 1 }, k1[SIPHASH_KEY_LEN] = { 2 };
    uint64_t h0 = siphash13(&material, sizeof material, k0);
    uint64_t h1 = siphash13(&material, sizeof material, k1);
    memcpy(out, &h0, sizeof h0);
    memcpy(out + sizeof h0, &h1, sizeof h1);
}

const uint8_t *store_hash_seed(const StoreOptions *opt)
{
    if (hash_seed_ready)
        return hash_seed;
    if (read_urandom(hash_seed, sizeof hash_seed) < 0) {
        store_warn(opt, "cannot read /dev/urandom (%s); the hash key is made "
                   "from the time and pid instead, which is guessable",
                   strerror(errno));
        seed_from_time_and_pid(hash_seed);
    }
    hash_seed_ready = true;
    return hash_seed;
}
