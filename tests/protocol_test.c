/*
 * protocol_test.c — unit tests of the incremental request parser
 * (common/protocol.c) and of glob matching (common/glob.c).
 *
 * Every parser case is fed three ways: all at once, one byte at a time,
 * and in pseudo-random pieces; the three must give the same arguments, so
 * resuming a half-parsed request is tested as much as parsing itself.
 * Prints one line per failure and a closing "N passed, N failed" line;
 * exits 1 if anything failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "protocol.h"

static int passed, failed;

/* Prints bytes with C escapes, so \r\n and NUL are visible. */
static void print_escaped(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r') printf("\\r");
        else if (c == '\n') printf("\\n");
        else if (c == '\\') printf("\\\\");
        else if (c < 32 || c > 126) printf("\\x%02x", c);
        else putchar(c);
    }
}

/*
 * Parses one request from input, delivered in pieces of `step` bytes
 * (0: random sizes).  Writes "ARG|ARG|...", "INCOMPLETE" or "ERROR:msg"
 * into result, and the bytes consumed into *used.
 */
static void parse_in_pieces(const char *input, size_t len, size_t step,
                            char *result, size_t rlen, size_t *used)
{
    char *buf = malloc(len + 1);
    RequestParser p;
    parser_init(&p);
    size_t have = 0;
    ParseResult r = PARSE_INCOMPLETE;
    unsigned seed = 12345;
    while (r == PARSE_INCOMPLETE && have < len) {
        size_t n = step;
        if (n == 0) {
            seed = seed * 1103515245u + 12345u;
            n = 1 + (seed >> 16) % 7;
        }
        if (n > len - have)
            n = len - have;
        memcpy(buf + have, input + have, n);
        have += n;
        r = parser_feed(&p, buf, have, &protocol_default_limits);
    }
    *used = 0;
    if (r == PARSE_INCOMPLETE) {
        snprintf(result, rlen, "INCOMPLETE");
    } else if (r == PARSE_ERROR) {
        snprintf(result, rlen, "ERROR:%s", p.error);
    } else {
        size_t off = 0;
        result[0] = '\0';
        for (size_t i = 0; i < p.argc && off < rlen; i++)
            off += (size_t)snprintf(result + off, rlen - off, "%s%.*s", i ? "|" : "",
                                    (int)p.args[i].len, buf + p.args[i].off);
        if (p.argc == 0)
            snprintf(result, rlen, "EMPTY");
        *used = p.request_len;
    }
    parser_free(&p);
    free(buf);
}

static void check_parse(const char *input, size_t len, const char *expected,
                        size_t expected_used)
{
    const size_t steps[] = { 0 /* random */, 1, len ? len : 1 };
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        char got[512];
        size_t used;
        parse_in_pieces(input, len, steps[k], got, sizeof got, &used);
        bool ok = strcmp(got, expected) == 0 &&
                  (expected_used == 0 || used == expected_used);
        if (ok) {
            passed++;
            continue;
        }
        failed++;
        printf("FAIL parse \"");
        print_escaped(input, len);
        printf("\" in pieces of %zu: expected [%s] (%zu bytes), got [%s] (%zu bytes)\n",
               steps[k], expected, expected_used, got, used);
    }
}

#define PARSE(lit, expected, used) check_parse(lit, sizeof(lit) - 1, expected, used)

static void check_glob(const char *pattern, const char *subject, bool expected)
{
    bool got = glob_match(pattern, strlen(pattern), subject, strlen(subject), false);
    if (got == expected) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL glob '%s' on '%s': expected %s\n", pattern, subject,
           expected ? "match" : "no match");
}

static void check_big_announcements(void)
{
    /* Announcing a huge request must not allocate for it. */
    char big[] = "*1048576\r\n$536870912\r\nabc";
    RequestParser p;
    parser_init(&p);
    ParseResult r = parser_feed(&p, big, sizeof big - 1, &protocol_default_limits);
    if (r == PARSE_INCOMPLETE && p.args_cap <= 8) {
        passed++;
    } else {
        failed++;
        printf("FAIL announced sizes: expected INCOMPLETE with no argument "
               "storage, got result %d with %zu slots\n", (int)r, p.args_cap);
    }
    parser_free(&p);
}

int main(void)
{
    /* multibulk */
    PARSE("*1\r\n$4\r\nPING\r\n", "PING", 14);
    PARSE("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", "SET|k|", 0);
    PARSE("*2\r\n$4\r\nECHO\r\n$3\r\na\0b\r\n", "ECHO|a", 0);  /* %s stops at NUL */
    PARSE("*2\r\n$4\r\nECHO\r\n$4\r\nr\r\nn\r\n", "ECHO|r\r\nn", 0);
    PARSE("*0\r\n", "EMPTY", 4);
    PARSE("*-1\r\n", "EMPTY", 5);
    PARSE("*1\r\n$4\r\nPINGxx", "PING", 14);      /* trailer not checked */
    PARSE("*1\r\n$4\r\nPIN", "INCOMPLETE", 0);
    PARSE("*2\r\n$3\r\nGET\r\n", "INCOMPLETE", 0);
    PARSE("*x\r\n", "ERROR:Protocol error: invalid multibulk length", 0);
    PARSE("*01\r\n", "ERROR:Protocol error: invalid multibulk length", 0);
    PARSE("*3000000000\r\n", "ERROR:Protocol error: invalid multibulk length", 0);
    PARSE("*1\r\n$-1\r\n", "ERROR:Protocol error: invalid bulk length", 0);
    PARSE("*1\r\n$x\r\n", "ERROR:Protocol error: invalid bulk length", 0);
    PARSE("*1\r\n$536870913\r\n", "ERROR:Protocol error: invalid bulk length", 0);
    PARSE("*1\r\nfoo\r\n", "ERROR:Protocol error: expected '$', got 'f'", 0);
    PARSE("*1\r\n\n\r\n", "ERROR:Protocol error: expected '$', got ' '", 0);
    PARSE("*1\0\r\n", "INCOMPLETE", 0);           /* NUL hides the \r */

    /* inline */
    PARSE("PING\r\n", "PING", 6);
    PARSE("PING\n", "PING", 5);
    PARSE("  SET  k   v  \r\n", "SET|k|v", 0);
    PARSE("\r\n", "EMPTY", 2);
    PARSE("SET \"a b\" \"x\\ny\\x41\\\"\"\r\n", "SET|a b|x\nyA\"", 0);
    PARSE("GET 'it\\'s'\r\n", "GET|it's", 0);
    PARSE("GET a\"b c\" d\r\n", "GET|ab c|d", 0);
    PARSE("GET a\"b c\"d\r\n", "ERROR:Protocol error: unbalanced quotes in request", 0);
    PARSE("GET \"abc\r\n", "ERROR:Protocol error: unbalanced quotes in request", 0);
    PARSE("GET \"abc\"x\r\n", "ERROR:Protocol error: unbalanced quotes in request", 0);
    PARSE("PING\0x\r\n", "INCOMPLETE", 0);        /* NUL hides the \n */
    /* The scanners' corners, each checked against redis-server 7.0. */
    PARSE("ECHO \"a\\x4gb\"\r\n", "ECHO|ax4gb", 0);  /* \x needs two hex digits */
    PARSE("ECHO \"\\xFf\\q\"\r\n", "ECHO|\xffq", 0);
    PARSE("ECHO a\vb\r\n", "ECHO|a\vb", 0);         /* \v does not end a word */
    PARSE("ECHO x\"a b\"\v\r\n", "ECHO|xa b", 0);   /* ...but may follow a quote */
    PARSE("ECHO 'a\\\"b'\r\n", "ECHO|a\\\"b", 0);  /* '...' only knows \' */
    PARSE("ECHO \"a\"'b'\r\n", "ERROR:Protocol error: unbalanced quotes in request", 0);
    PARSE("ECHO 'it\\'s'x\r\n", "ERROR:Protocol error: unbalanced quotes in request", 0);
    PARSE("ECHO \"a\\\r\n", "ERROR:Protocol error: unbalanced quotes in request", 0);
    PARSE("PING", "INCOMPLETE", 0);

    /* too big */
    {
        size_t n = PROTO_MAX_INLINE + 2;
        char *line = malloc(n);
        memset(line, 'x', n);
        check_parse(line, n, "ERROR:Protocol error: too big inline request", 0);
        line[0] = '*';
        check_parse(line, n, "ERROR:Protocol error: too big mbulk count string", 0);
        free(line);
    }
    check_big_announcements();

    check_glob("*", "", true);
    check_glob("h?llo", "hello", true);
    check_glob("h*llo", "heeeello", true);
    check_glob("h[ae]llo", "hallo", true);
    check_glob("h[^e]llo", "hello", false);
    check_glob("h[a-b]llo", "hbllo", true);
    check_glob("h[b-a]llo", "hallo", true);
    check_glob("h\\*llo", "h*llo", true);
    check_glob("h\\*llo", "hello", false);
    check_glob("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false);
    check_glob("a*", "b", false);
    check_glob("*.txt", "notes.txt", true);

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
