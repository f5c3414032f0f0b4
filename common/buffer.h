/*
 * buffer.h — a growable byte buffer with a read cursor.
 *
 * Bytes live in data[cur, end): everything before cur has been consumed
 * (parsed, or written to a socket), everything from end to size is free.
 *
 *     0          cur               end            size
 *     | consumed | pending bytes   | free space   |
 *
 * The same structure serves both directions of a connection: bytes read
 * from a socket are appended at end and parsed from cur; replies are
 * appended at end and written to the socket from cur.  Consuming never
 * moves memory; making room (buffer_reserve) slides the pending bytes back
 * to offset 0 first, so callers must keep positions as offsets from cur,
 * never as pointers, across a reserve.
 *
 * Only this module moves cur and end.  To fill the free space directly (a
 * read() into the buffer), reserve room, write at data + end, then
 * buffer_commit the bytes written.
 *
 * Every function that allocates returns 0 on success and -1 (errno ENOMEM)
 * when memory is exhausted, leaving the buffer unchanged and usable.
 */
#ifndef BUFFER_H
#define BUFFER_H

#include <stddef.h>
#include <string.h>

typedef struct Buffer {
    char  *data;
    size_t cur;   /* first pending byte */
    size_t end;   /* one past the last pending byte */
    size_t size;  /* bytes allocated at data */
} Buffer;

/* An empty buffer with no memory; buffer_reserve allocates on first use. */
#define BUFFER_EMPTY ((Buffer){ NULL, 0, 0, 0 })

/* Frees the memory and leaves an empty buffer. */
void buffer_free(Buffer *b);

/* Number of pending bytes, data[cur, end). */
static inline size_t buffer_pending(const Buffer *b) { return b->end - b->cur; }

/* The slow path of buffer_reserve: slides the pending bytes to the front,
 * then grows by doubling.  -1 if memory is exhausted. */
int buffer_grow(Buffer *b, size_t n);

/*
 * Ensures at least n free bytes after end.  -1 if memory is exhausted.
 * Inline, with buffer_append and buffer_commit: every reply goes through
 * them several times, and the room is almost always there already, so the
 * common case is one comparison, not a function call.
 */
static inline int buffer_reserve(Buffer *b, size_t n)
{
    return b->size - b->end >= n ? 0 : buffer_grow(b, n);
}

/* Makes pending the n bytes just written at data + end, into space that
 * buffer_reserve made (n <= size - end). */
static inline void buffer_commit(Buffer *b, size_t n) { b->end += n; }

/* Appends n bytes.  -1 if memory is exhausted (nothing appended). */
static inline int buffer_append(Buffer *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (buffer_reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->end, p, n);
    buffer_commit(b, n);
    return 0;
}

/* Appends a NUL-terminated string (without its NUL). */
int buffer_append_str(Buffer *b, const char *s);

/* Keeps only the first `pending` pending bytes, dropping what was appended
 * after them: withdraws a reply whose start was noted with buffer_pending
 * (an offset from cur stays valid when the buffer moves). */
void buffer_truncate(Buffer *b, size_t pending);

/* Marks n pending bytes as consumed.  When nothing is left pending, the
 * cursors go back to 0 so the next bytes start at the front. */
void buffer_consume(Buffer *b, size_t n);

/* Once nothing is pending and the buffer has grown past keep bytes, gives
 * the memory back down to keep bytes (0 frees it), so that an idle
 * connection is cheap after one big request. */
void buffer_shrink_if_idle(Buffer *b, size_t keep);

#endif
