/*
 * reply.c — the RESP2 encoders described in reply.h.
 *
 * Each reply is appended whole: the room it needs is reserved first, so a
 * reply is copied once and the buffer grows at most once per reply.
 */
#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

/* What Redis puts before an error message. */
#define ERR_PREFIX      "-ERR "
#define ERR_PREFIX_LEN  (sizeof ERR_PREFIX - 1)

/* The nil bulk string. */
#define NULL_BULK       "$-1" RESP_CRLF
#define NULL_BULK_LEN   (sizeof NULL_BULK - 1)

/* The longest "<type><number>\r\n" header: ":-9223372036854775808\r\n". */
#define HEADER_MAX      (RESP_TYPE_LEN + PROTO_MAX_DECIMAL_LEN + RESP_CRLF_LEN)

/* Writes v in decimal just before end; returns its first character. */
static char *format_ll(char *end, long long v)
{
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
                                 : (unsigned long long)v;
    char *p = end;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    return p;
}

/* "<type><number>\r\n", the header shared by integers, bulks, arrays. */
static int append_header(Buffer *out, char type, long long v)
{
    char tmp[HEADER_MAX];
    char *end = tmp + sizeof tmp - RESP_CRLF_LEN;
    memcpy(end, RESP_CRLF, RESP_CRLF_LEN);
    char *p = format_ll(end, v);
    *--p = type;
    return buffer_append(out, p, (size_t)(tmp + sizeof tmp - p));
}

/* prefix, then text, then CRLF: a simple string or an error line. */
static int append_line(Buffer *out, const char *prefix, size_t prefix_len,
                       const char *text)
{
    size_t n = strlen(text);
    if (buffer_reserve(out, prefix_len + n + RESP_CRLF_LEN) < 0)
        return -1;
    buffer_append(out, prefix, prefix_len);     /* cannot fail: reserved */
    buffer_append(out, text, n);
    buffer_append(out, RESP_CRLF, RESP_CRLF_LEN);
    return 0;
}

int reply_simple(Buffer *out, const char *status)
{
    return append_line(out, "+", RESP_TYPE_LEN, status);
}

int reply_error(Buffer *out, const char *message)
{
    return append_line(out, ERR_PREFIX, ERR_PREFIX_LEN, message);
}

/* An error with its own code instead of ERR: "NOPROTO ...", "WRONGPASS ...". */
int reply_error_code(Buffer *out, const char *line)
{
    return append_line(out, "-", RESP_TYPE_LEN, line);
}

int reply_errorf(Buffer *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    char *message = malloc((size_t)n + 1);
    if (message == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(message, (size_t)n + 1, fmt, ap);
    va_end(ap);
    for (char *c = message; *c; c++)
        if (*c == '\r' || *c == '\n')
            *c = ' ';
    int rc = reply_error(out, message);
    free(message);
    return rc;
}

int reply_integer(Buffer *out, long long value)
{
    return append_header(out, ':', value);
}

int reply_bulk(Buffer *out, const void *bytes, size_t len)
{
    if (buffer_reserve(out, HEADER_MAX + len + RESP_CRLF_LEN) < 0)
        return -1;
    append_header(out, '$', (long long)len);    /* cannot fail: reserved */
    buffer_append(out, bytes, len);
    buffer_append(out, RESP_CRLF, RESP_CRLF_LEN);
    return 0;
}

int reply_null(Buffer *out)
{
    return buffer_append(out, NULL_BULK, NULL_BULK_LEN);
}

int reply_array(Buffer *out, size_t count)
{
    return append_header(out, '*', (long long)count);
}

/* ---- RESP3, or its RESP2 equivalent ------------------------------------- */

#define RESP3 3
#define RESP3_NULL      "_" RESP_CRLF
#define NULL_ARRAY      "*-1" RESP_CRLF
#define VERBATIM_TXT    "txt:"          /* the format of a verbatim string */
#define VERBATIM_TXT_LEN (sizeof VERBATIM_TXT - 1)

int reply_null_proto(Buffer *out, int proto)
{
    if (proto == RESP3)
        return buffer_append(out, RESP3_NULL, sizeof RESP3_NULL - 1);
    return reply_null(out);
}

int reply_null_array(Buffer *out, int proto)
{
    if (proto == RESP3)
        return buffer_append(out, RESP3_NULL, sizeof RESP3_NULL - 1);
    return buffer_append(out, NULL_ARRAY, sizeof NULL_ARRAY - 1);
}

int reply_map(Buffer *out, size_t pairs, int proto)
{
    if (proto == RESP3)
        return append_header(out, '%', (long long)pairs);
    return reply_array(out, 2 * pairs);
}

int reply_set(Buffer *out, size_t count, int proto)
{
    return append_header(out, proto == RESP3 ? '~' : '*', (long long)count);
}

int reply_verbatim(Buffer *out, const char *text, size_t len, int proto)
{
    if (proto != RESP3)
        return reply_bulk(out, text, len);
    if (buffer_reserve(out, HEADER_MAX + VERBATIM_TXT_LEN + len + RESP_CRLF_LEN) < 0)
        return -1;
    append_header(out, '=', (long long)(VERBATIM_TXT_LEN + len));
    buffer_append(out, VERBATIM_TXT, VERBATIM_TXT_LEN);
    buffer_append(out, text, len);
    buffer_append(out, RESP_CRLF, RESP_CRLF_LEN);
    return 0;
}

/* ---- requests ------------------------------------------------------------ */

int encode_command(Buffer *out, size_t argc, const char *const *argv,
                   const size_t *lens)
{
    if (reply_array(out, argc) < 0)
        return -1;
    for (size_t i = 0; i < argc; i++)
        if (reply_bulk(out, argv[i], lens[i]) < 0)
            return -1;
    return 0;
}
