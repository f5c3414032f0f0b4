/*
 * siphash.h — SipHash-1-3, the keyed hash the store's hash table uses.
 *
 * A hash table whose hash function is public can be attacked: a client that
 * knows the function can choose thousands of keys that all land in one
 * bucket, and every lookup then walks one long chain (a "hash flooding"
 * denial of service).  SipHash (Aumasson and Bernstein, 2012) is a
 * pseudorandom function keyed with 128 secret bits: without the key,
 * nobody can predict which keys collide.  SipHash-1-3 (one compression
 * round per 8-byte word, three finalization rounds) is the faster variant
 * that Redis, Python and Rust use for their hash tables; it is fast enough
 * for short keys and still far beyond what a network attacker can break.
 */
#ifndef SIPHASH_H
#define SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/* SipHash-1-3 of the len bytes at data, under the 16-byte key. */
uint64_t siphash13(const void *data, size_t len,
                   const uint8_t key[SIPHASH_KEY_LEN]);

#endif
