/*
 * protocol.h — the Redis protocol (RESP2) subset both servers speak, and the
 * append-only store file is written in.
 *
 * Requests come in two forms:
 *   multibulk   *<argc>\r\n  then, per argument, $<len>\r\n<len bytes>\r\n
 *               (binary-safe: arguments may hold NUL, CR, LF)
 *   inline      SET key "a value"\n   (split on spaces; "..." accepts the
 *               escapes \" \\ \n \r \t \b \a \xHH, '...' accepts \'; a bare
 *               \n or \r\n ends the line; an empty line is ignored)
 * A request starting with '*' is multibulk, anything else is inline.
 *
 * The parser is incremental: feed it everything received so far for the
 * current request; it answers "need more" (remembering how far it got, so
 * bytes are never scanned twice), "one request" or "protocol error".  It
 * never allocates what a client merely announces: "*1000000" or
 * "$500000000" cost nothing until the bytes actually arrive.
 *
 * Argument positions are offsets from the start of the request, so the
 * caller may move or grow its buffer between two calls.
 *
 * Error texts are exactly Redis 7.0's (e.g. "Protocol error: invalid bulk
 * length"); after a protocol error the connection must be closed once the
 * error reply is written, because the byte stream can no longer be framed.
 * A protocol error is the parser's answer about the client's bytes, not a
 * failure of the server: it is reported in the parser (p->error), and the
 * caller sends it as the reply.
 *
 * This module only reads requests; reply.h writes replies (and requests,
 * for the store's file).
 */
#ifndef PROTOCOL_H
#define PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

/* Limits, with Redis's defaults. */
#define PROTO_MAX_INLINE   (64 * 1024)          /* longest inline request line */
#define PROTO_MAX_ARGS     (1024 * 1024)        /* most arguments in one request */
#define PROTO_MAX_BULK     (512L * 1024 * 1024) /* longest single argument */

/* Framing shared by requests and replies (reply.h writes them). */
#define RESP_CRLF          "\r\n"  /* ends every header line and every bulk */
#define RESP_CRLF_LEN      2
#define RESP_TYPE_LEN      1       /* the type byte opening a line: * $ + - : */

/* The longest 64-bit decimal, "-9223372036854775808": longer is invalid. */
#define PROTO_MAX_DECIMAL_LEN 20

/* Room for a parser's error message (Redis's text, without "ERR "). */
#define PARSER_ERR_LEN     64

typedef struct ProtocolLimits {
    size_t max_inline;
    size_t max_args;
    size_t max_bulk;
} ProtocolLimits;

/* The defaults above, ready to pass to parser_feed. */
extern const ProtocolLimits protocol_default_limits;

typedef enum ParseResult {
    PARSE_INCOMPLETE, /* the request is not complete yet: read more, call again */
    PARSE_REQUEST,    /* one request is complete: see argc/args/request_len */
    PARSE_ERROR       /* the bytes are not the protocol: see error */
} ParseResult;

/* One argument: len bytes at offset off from the start of the request. */
typedef struct ArgSpan {
    size_t off;
    size_t len;
} ArgSpan;

/* Which form the current request has, decided by its first byte. */
typedef enum ParserKind {
    PARSER_IDLE,      /* no request started: nothing of it received yet */
    PARSER_MULTIBULK, /* it began with '*' */
    PARSER_INLINE     /* it began with anything else */
} ParserKind;

typedef struct RequestParser {
    /* Results, valid after PARSE_REQUEST until parser_reset. */
    size_t   argc;        /* 0 only for an empty request (see below) */
    ArgSpan *args;        /* argc entries */
    size_t   request_len; /* bytes the request occupies; consume them */
    /* After PARSE_ERROR: Redis's message without the "ERR " prefix,
     * e.g. "Protocol error: invalid multibulk length". */
    char     error[PARSER_ERR_LEN];

    /* Resume state: how far the current request has been parsed. */
    size_t     args_cap;  /* entries allocated at args */
    ParserKind kind;
    long long  expected;  /* multibulk: arguments announced, or -1 while
                             the *<count> line is awaited */
    long long  bulk_len;  /* multibulk: length announced for the next
                             argument, or -1 while its $ line is awaited */
    size_t     scan;      /* offset of the first byte not yet parsed */
    bool       nul_hides_newline; /* inline: a NUL byte came before any '\n',
                                     so (as in Redis) the line never ends */
} RequestParser;

/* A parser ready for its first request (allocates nothing). */
void parser_init(RequestParser *p);

/* Frees what the parser allocated. */
void parser_free(RequestParser *p);

/* Forgets the current request (after it was served and consumed), ready
 * for the next one.  Keeps the argument array unless it grew large. */
void parser_reset(RequestParser *p);

/*
 * Parses the request that starts at buf (len bytes received so far).
 * Returns PARSE_REQUEST when it is complete: argc arguments at args, the
 * request occupying request_len bytes.  An empty request (an empty inline
 * line, or "*0\r\n" / "*-1\r\n") gives argc == 0: consume it, send nothing.
 * Inline arguments are unescaped in place, so buf is modified.
 * Returns PARSE_ERROR with p->error set on a protocol error or when memory
 * runs out ("Protocol error: out of memory").
 */
ParseResult parser_feed(RequestParser *p, char *buf, size_t len,
                        const ProtocolLimits *lim);

/* Parses len bytes as a 64-bit decimal integer, as strictly as Redis does
 * (for lengths in the protocol and for INCR): an optional '-', no '+', no
 * spaces, no leading zeros, at most PROTO_MAX_DECIMAL_LEN characters, no
 * overflow. */
bool parse_decimal(const char *s, size_t len, long long *out);

#endif
