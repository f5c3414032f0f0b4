/*
 * glob.h — glob-style pattern matching, as KEYS and CONFIG GET use it.
 *
 *   *       any run of bytes, also empty
 *   ?       any one byte
 *   [abc]   one of a, b, c;   [^abc] any byte but those;   [a-z] a range
 *   \x      the byte x itself (to match a literal *, ?, [ or \)
 *
 * Patterns and subjects are byte strings (pointer + length).  Matching
 * takes time proportional to pattern length times subject length at worst:
 * a pattern like "*a*a*a*a*b" cannot make it explode (each '*' is retried
 * from the last one only, never recursively).
 */
#ifndef GLOB_H
#define GLOB_H

#include <stdbool.h>
#include <stddef.h>

bool glob_match(const char *pattern, size_t plen, const char *subject,
                size_t slen, bool nocase);

#endif
