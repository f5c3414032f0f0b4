/*
 * reply.h — encoding RESP2 replies (and the requests the store's file
 * records), appended to a Buffer.
 *
 *   +OK\r\n                    reply_simple(out, "OK")
 *   -ERR syntax error\r\n      reply_error(out, "syntax error")
 *   :42\r\n                    reply_integer(out, 42)
 *   $5\r\nhello\r\n            reply_bulk(out, "hello", 5)
 *   $-1\r\n                    reply_null(out)
 *   *3\r\n                     reply_array(out, 3), then the 3 elements
 *
 * RESP3 (a connection that sent HELLO 3) changes a few shapes; the
 * functions taking `proto` (2 or 3) write whichever the connection speaks:
 *
 *                               RESP2                RESP3
 *   reply_null_proto            $-1\r\n              _\r\n
 *   reply_null_array            *-1\r\n              _\r\n
 *   reply_map(out, 2, p)        *4\r\n (flat pairs)   %2\r\n
 *   reply_set(out, 3, p)        *3\r\n               ~3\r\n
 *   reply_verbatim(o, "ab", 2)  $2\r\nab\r\n          =6\r\ntxt:ab\r\n
 *
 * Errors: the only way to fail is running out of memory.  Every function
 * returns 0, or -1 (errno ENOMEM) when the buffer cannot grow.  A failing
 * call appends nothing, but an array whose elements were being appended is
 * then incomplete: the connection must be closed.
 */
#ifndef REPLY_H
#define REPLY_H

#include <stddef.h>
#include "buffer.h"

int reply_simple(Buffer *out, const char *status);           /* +OK        */
int reply_error(Buffer *out, const char *message);           /* -ERR message */
int reply_error_code(Buffer *out, const char *line);         /* -NOPROTO ... */
int reply_integer(Buffer *out, long long value);             /* :42        */
int reply_bulk(Buffer *out, const void *bytes, size_t len);  /* $5 hello   */
int reply_null(Buffer *out);                                 /* $-1        */
int reply_array(Buffer *out, size_t count);                  /* *3 header  */

int reply_null_proto(Buffer *out, int proto);
int reply_null_array(Buffer *out, int proto);
int reply_map(Buffer *out, size_t pairs, int proto);   /* then 2 x pairs elements */
int reply_set(Buffer *out, size_t count, int proto);
int reply_verbatim(Buffer *out, const char *text, size_t len, int proto);

/* reply_error with printf-style formatting; CR and LF in the result become
 * spaces, as Redis does, so a client's bytes can never break the framing.
 * Error messages are given without the "ERR " prefix, which is added. */
int reply_errorf(Buffer *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends a command as a multibulk request: an array of bulk strings, the
 * bytes a client sends and what the store's append-only file records. */
int encode_command(Buffer *out, size_t argc, const char *const *argv,
                   const size_t *lens);

#endif
