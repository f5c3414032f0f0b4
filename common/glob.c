/*
 * glob.c — glob matching for KEYS (see glob.h).
 *
 * The classic two-cursor algorithm: walk pattern and subject together; at a
 * '*', remember where it was and how much of the subject it has swallowed;
 * on a mismatch, let the last '*' swallow one more byte and retry from just
 * after it.  Only the last '*' ever needs retrying, which keeps the cost
 * bounded by plen * slen.
 */
#include "glob.h"

#include <ctype.h>

static unsigned char fold(unsigned char c, bool nocase)
{
    return nocase ? (unsigned char)tolower(c) : c;
}

/*
 * Matches one byte c against the [...] class starting at pattern[*pi]
 * (just after the '['), and moves *pi past the closing ']' (or to the end
 * of the pattern if it has none).
 */
static bool match_class(const char *pattern, size_t plen, size_t *pi,
                        unsigned char c, bool nocase)
{
    size_t i = *pi;
    bool negate = i < plen && pattern[i] == '^';
    if (negate)
        i++;
    bool found = false;
    c = fold(c, nocase);
    while (i < plen && pattern[i] != ']') {
        if (pattern[i] == '\\' && i + 1 < plen) {
            i++;
            if (fold((unsigned char)pattern[i], nocase) == c)
                found = true;
            i++;
        } else if (i + 2 < plen && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
            unsigned char lo = fold((unsigned char)pattern[i], nocase);
            unsigned char hi = fold((unsigned char)pattern[i + 2], nocase);
            if (lo > hi) {
                unsigned char t = lo;
                lo = hi;
                hi = t;
            }
            if (c >= lo && c <= hi)
                found = true;
            i += 3;
        } else {
            if (fold((unsigned char)pattern[i], nocase) == c)
                found = true;
            i++;
        }
    }
    if (i < plen)
        i++;                            /* the closing ']' */
    *pi = i;
    return found != negate;
}

/* Does pattern[*pi] (not a '*') match subject byte c?  Advances *pi. */
static bool match_one(const char *pattern, size_t plen, size_t *pi,
                      unsigned char c, bool nocase)
{
    char p = pattern[*pi];
    if (p == '?') {
        (*pi)++;
        return true;
    }
    if (p == '[') {
        (*pi)++;
        return match_class(pattern, plen, pi, c, nocase);
    }
    if (p == '\\' && *pi + 1 < plen)
        (*pi)++;
    bool same = fold((unsigned char)pattern[*pi], nocase) == fold(c, nocase);
    (*pi)++;
    return same;
}

bool glob_match(const char *pattern, size_t plen, const char *subject,
                size_t slen, bool nocase)
{
    size_t pi = 0, si = 0;
    bool seen_star = false;
    size_t star_pi = 0, star_si = 0;    /* after the last '*' seen */

    while (si < slen) {
        if (pi < plen && pattern[pi] == '*') {
            while (pi < plen && pattern[pi] == '*')
                pi++;
            if (pi == plen)
                return true;            /* a trailing '*' takes the rest */
            seen_star = true;
            star_pi = pi;
            star_si = si;
            continue;
        }
        size_t next = pi;
        if (pi < plen && match_one(pattern, plen, &next,
                                   (unsigned char)subject[si], nocase)) {
            pi = next;
            si++;
            continue;
        }
        if (!seen_star)
            return false;
        pi = star_pi;                   /* the '*' swallows one more byte */
        si = ++star_si;
    }
    while (pi < plen && pattern[pi] == '*')
        pi++;
    return pi == plen;
}
