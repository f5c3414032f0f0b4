/*
 * session.c — a connection's session and the process's registry of them
 * (see session.h).
 */
#include "session.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static Session *first, *last;
static size_t live;
static unsigned long long last_id;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void session_init(Session *s, int fd, const char *peer)
{
    memset(s, 0, sizeof *s);
    s->id = ++last_id;
    s->proto = SESSION_RESP2;
    s->fd = fd;
    s->peer = peer;
    s->created_ms = now_ms();
    s->last_cmd = "NULL";
    s->prev = last;
    if (last != NULL)
        last->next = s;
    else
        first = s;
    last = s;
    live++;
}

void session_free(Session *s)
{
    free(s->name);
    free(s->lib_name);
    free(s->lib_ver);
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        first = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    else
        last = s->prev;
    live--;
}

int session_set_text(char **field, const char *text, size_t len)
{
    char *copy = NULL;
    if (len > 0) {
        copy = malloc(len + 1);
        if (copy == NULL)
            return -1;
        memcpy(copy, text, len);
        copy[len] = '\0';
    }
    free(*field);
    *field = copy;
    return 0;
}

const Session *session_first(void)
{
    return first;
}

size_t session_count(void)
{
    return live;
}

unsigned long long session_total(void)
{
    return last_id;
}
