/*
 * buffer.c — the growable byte buffer described in buffer.h.
 */
#include "buffer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The first allocation; then the size doubles. */
#define BUFFER_FIRST_SIZE 64

void buffer_free(Buffer *b)
{
    free(b->data);
    *b = BUFFER_EMPTY;
}

/* Slides the pending bytes to offset 0, reclaiming the consumed prefix. */
static void buffer_compact(Buffer *b)
{
    if (b->cur == 0)
        return;
    size_t pending = buffer_pending(b);
    memmove(b->data, b->data + b->cur, pending);
    b->cur = 0;
    b->end = pending;
}

int buffer_grow(Buffer *b, size_t n)
{
    buffer_compact(b);
    if (b->size - b->end >= n)
        return 0;

    size_t need = b->end + n;
    if (need < n) {                     /* size_t overflow */
        errno = ENOMEM;
        return -1;
    }
    size_t size = b->size ? b->size : BUFFER_FIRST_SIZE;
    while (size < need)
        size = size * 2 > size ? size * 2 : need;
    char *data = realloc(b->data, size);
    if (data == NULL)
        return -1;
    b->data = data;
    b->size = size;
    return 0;
}

int buffer_append_str(Buffer *b, const char *s)
{
    return buffer_append(b, s, strlen(s));
}

void buffer_truncate(Buffer *b, size_t pending)
{
    if (pending < buffer_pending(b))
        b->end = b->cur + pending;
}

void buffer_consume(Buffer *b, size_t n)
{
    b->cur += n;
    if (b->cur >= b->end)
        b->cur = b->end = 0;
}

void buffer_shrink_if_idle(Buffer *b, size_t keep)
{
    if (buffer_pending(b) != 0 || b->size <= keep)
        return;
    if (keep == 0) {
        buffer_free(b);
        return;
    }
    char *data = realloc(b->data, keep);
    if (data == NULL)
        return;                         /* keeping the big block is harmless */
    b->data = data;
    b->size = keep;
    b->cur = b->end = 0;
}
