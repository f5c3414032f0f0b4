/*
 * siphash.c — SipHash-1-3, written from the description in the SipHash
 * paper (Aumasson, Bernstein: "SipHash: a fast short-input PRF", 2012).
 *
 * The state is four 64-bit words.  The message is cut into 8-byte words
 * read little-endian; each word is XORed into v3, mixed by one SipRound
 * (the "1" of 1-3) and XORed into v0.  The last word carries the final
 * 0 to 7 bytes plus the message length in its top byte, so that messages
 * differing only by trailing zero bytes hash differently.  Finalization
 * XORs 0xff into v2 and runs three SipRounds (the "3").
 */
#include "siphash.h"

static uint64_t rotl(uint64_t x, unsigned bits)
{
    return (x << bits) | (x >> (64 - bits));
}

/* Reads n <= 8 bytes as a little-endian integer, whatever the CPU's byte
 * order (and without an unaligned 8-byte load, which some CPUs forbid). */
static uint64_t load_le(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

typedef struct SipState {
    uint64_t v0, v1, v2, v3;
} SipState;

/* The ARX round of the paper: additions, rotations, XORs. */
static void sip_round(SipState *s)
{
    s->v0 += s->v1; s->v1 = rotl(s->v1, 13); s->v1 ^= s->v0; s->v0 = rotl(s->v0, 32);
    s->v2 += s->v3; s->v3 = rotl(s->v3, 16); s->v3 ^= s->v2;
    s->v0 += s->v3; s->v3 = rotl(s->v3, 21); s->v3 ^= s->v0;
    s->v2 += s->v1; s->v1 = rotl(s->v1, 17); s->v1 ^= s->v2; s->v2 = rotl(s->v2, 32);
}

/* One compression step: absorb a message word with one round. */
static void absorb(SipState *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s);
    s->v0 ^= m;
}

uint64_t siphash13(const void *data, size_t len,
                   const uint8_t key[SIPHASH_KEY_LEN])
{
    const unsigned char *p = data;
    uint64_t k0 = load_le(key, 8), k1 = load_le(key + 8, 8);
    /* The constants spell "somepseudorandomlygeneratedbytes" in ASCII. */
    SipState s = {
        k0 ^ UINT64_C(0x736f6d6570736575),
        k1 ^ UINT64_C(0x646f72616e646f6d),
        k0 ^ UINT64_C(0x6c7967656e657261),
        k1 ^ UINT64_C(0x7465646279746573),
    };

    size_t whole = len - len % 8;
    for (size_t i = 0; i < whole; i += 8)
        absorb(&s, load_le(p + i, 8));
    absorb(&s, load_le(p + whole, len % 8) | (uint64_t)(len & 0xff) << 56);

    s.v2 ^= 0xff;
    for (int i = 0; i < 3; i++)
        sip_round(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
