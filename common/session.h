/*
 * session.h — what the commands know about the connection that sent a
 * request: its protocol version (HELLO), its name (CLIENT SETNAME), its id,
 * the library it says it is (CLIENT SETINFO).  Each FDState holds one; the
 * commands reach it through Request.session.
 *
 * The live sessions also form one list for the whole process (the
 * registry), so that CLIENT LIST and INFO can see every connection without
 * knowing how a server keeps them: session_init adds a session,
 * session_free removes it.  A server has one registry; it is not
 * thread-safe (neither server has threads).
 */
#ifndef SESSION_H
#define SESSION_H

#include <stddef.h>

/* The protocol versions HELLO accepts. */
#define SESSION_RESP2 2
#define SESSION_RESP3 3

typedef struct Session {
    unsigned long long id;         /* 1, 2, 3...: never reused */
    int                proto;      /* SESSION_RESP2 (default) or RESP3 */
    int                fd;
    const char        *peer;       /* "addr:port", owned by the FDState */
    char              *name;       /* CLIENT SETNAME; NULL: none */
    char              *lib_name;   /* CLIENT SETINFO LIB-NAME; NULL: none */
    char              *lib_ver;    /* CLIENT SETINFO LIB-VER; NULL: none */
    long long          created_ms; /* Unix ms, for CLIENT LIST's age */
    const char        *last_cmd;   /* name of the last command (static) */
    struct Session    *prev, *next;  /* the registry */
} Session;

/* Fills s for a new connection on fd and adds it to the registry.  peer
 * must outlive s. */
void session_init(Session *s, int fd, const char *peer);

/* Frees what s owns and removes it from the registry. */
void session_free(Session *s);

/* Replaces *field by a copy of the len bytes at text (len 0: NULL).
 * 0, or -1 when memory ran out (the field is then unchanged). */
int session_set_text(char **field, const char *text, size_t len);

/* The registry: the live sessions, oldest first. */
const Session *session_first(void);
size_t session_count(void);

/* Connections since the process started (the last id given). */
unsigned long long session_total(void);

#endif
