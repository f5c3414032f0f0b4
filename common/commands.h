/*
 * commands.h — the command table: what each command does to the store and
 * the reply it sends.  Both servers execute requests through this module
 * alone; neither server contains command logic.
 *
 * Commands (names are case-insensitive), replies as Redis 7.0 sends them:
 *   PING [msg]             +PONG, or msg as a bulk string
 *   ECHO msg               msg
 *   SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]
 *                          +OK ($-1 when NX/XX prevented it; with GET, the
 *                          old value or $-1)
 *   SETNX key value        :1 set, :0 it existed
 *   GETEX key [EX|PX|EXAT|PXAT t|PERSIST], GETDEL key
 *                          the value (and its expiry changed / key removed)
 *   EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key t [NX|XX|GT|LT]
 *                          :1 set (a time past deletes the key), :0 not
 *   TTL / PTTL key         :seconds / ms left, -1 no expiry, -2 no key
 *   PERSIST key            :1 expiry removed, :0 none
 *   TYPE key               +string or +none
 *   RENAME key newkey      +OK (value and expiry move), -ERR no such key
 *   UNLINK key [key ...]   as DEL
 *   SCAN cursor [MATCH p] [COUNT n] [TYPE t]
 *                          [next cursor, [keys]] (see cmd_scan.c)
 *   GET key                the value, or $-1
 *   DEL key [key ...]      :number of keys removed
 *   EXISTS key [key ...]   :number of arguments that exist (repeats count)
 *   DBSIZE                 :number of keys
 *   KEYS pattern           array of matching keys (glob; see glob.h)
 *   FLUSHDB [ASYNC|SYNC]   +OK, every key removed
 *   QUIT                   +OK, then the connection is closed
 *   MGET key [key ...]     array of values / nils
 *   MSET key value [...]   +OK
 *   INCR / DECR key, INCRBY / DECRBY key n
 *                          :the new value (keys hold decimal strings)
 *   STRLEN key, APPEND key value
 *   SELECT 0               +OK (there is one database)
 *   CONFIG GET param [...] name/value pairs for save, appendonly,
 *                          appendfsync, maxclients (glob patterns allowed)
 * Errors, e.g.:
 *   -ERR unknown command 'FOO', with args beginning with: 'a' 'b'
 *   -ERR wrong number of arguments for 'get' command
 *   -ERR syntax error
 *   -ERR <the store's reason>   when a write cannot be persisted
 */
#ifndef COMMANDS_H
#define COMMANDS_H

#include <stddef.h>
#include "buffer.h"
#include "protocol.h"
#include "session.h"
#include "store.h"

/* What commands may look at besides the request. */
typedef struct CommandContext {
    Store     *store;
    StoreFsync fsync;        /* reported by CONFIG GET appendfsync */
    long       max_clients;  /* reported by CONFIG GET maxclients */
    /* For INFO; may be left 0 / NULL (then reported as 0). */
    long long  started_ms;   /* Unix ms the server started: uptime */
    const unsigned long *requests;  /* the server's count of requests */
} CommandContext;

/* A parsed request: argc arguments, argument i being args[i].len bytes at
 * base + args[i].off (see RequestParser), and the connection's session
 * (protocol version, name: HELLO, CLIENT), NULL for none (RESP2). */
typedef struct Request {
    size_t         argc;
    const char    *base;
    const ArgSpan *args;
    Session       *session;
} Request;

/* Flags returned by command_execute. */
enum {
    CMD_CLOSE   = 1, /* close the connection once the reply is written (QUIT) */
    CMD_MUTATED = 2  /* the store changed: sync it before sending the reply */
};

/*
 * Executes one request (argc >= 1) and appends exactly one reply to out.
 * Returns a combination of the flags above, or -1 when memory ran out
 * (the reply may be incomplete: close the connection).
 */
int command_execute(const CommandContext *ctx, const Request *req, Buffer *out);

#endif
