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
 */
#ifndef PROTOCOL_H
#define PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include "buffer.h"

/* Limits, with Redis's defaults. */
#define PROTO_MAX_INLINE   (64 * 1024)          /* longest inline request line */
#define PROTO_MAX_ARGS     (1024 * 1024)        /* most arguments in one request */
#define PROTO_MAX_BULK     (512L * 1024 * 1024) /* longest single argument */

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

typedef struct RequestParser {
    /* Results, valid after PARSE_REQUEST until parser_reset. */
    size_t   argc;        /* 0 only for an empty request (see below) */
    ArgSpan *args;        /* argc entries */
    size_t   request_len; /* bytes the request occupies; consume them */
    /* After PARSE_ERROR: Redis's message without the "ERR " prefix,
     * e.g. "Protocol error: invalid multibulk length". */
    char     error[64];

    /* Resume state: how far the current request has been parsed. */
    size_t    args_cap;   /* entries allocated at args */
    char      kind;       /* 0: not started, '*': multibulk, 'i': inline */
    long long expected;   /* multibulk: arguments announced */
    long long bulk_len;   /* multibulk: length announced for the next
                             argument, or -1 while its $ line is awaited */
    size_t    scan;       /* offset of the first byte not yet parsed */
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
 * spaces, no leading zeros, at most 20 characters, no overflow. */
bool parse_decimal(const char *s, size_t len, long long *out);

/* Reply encoders: each appends one RESP2 reply to out.
 * All return 0, or -1 when memory is exhausted.
 * Error messages are given without the "ERR " prefix, which is added. */
int reply_simple(Buffer *out, const char *status);           /* +OK        */
int reply_error(Buffer *out, const char *message);           /* -ERR message */
int reply_integer(Buffer *out, long long value);             /* :42        */
int reply_bulk(Buffer *out, const void *bytes, size_t len);  /* $5 hello   */
int reply_null(Buffer *out);                                 /* $-1        */
int reply_array(Buffer *out, size_t count);                  /* *3 header  */

/* reply_error with printf-style formatting; CR and LF in the result become
 * spaces, as Redis does, so a client's bytes can never break the framing. */
int reply_errorf(Buffer *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends a command as a multibulk request (the bytes a client sends, and
 * what the store's append-only file records). */
int encode_command(Buffer *out, size_t argc, const char *const *argv,
                   const size_t *lens);

#endif
