/*
 * cmd_internal.h — what the command files share: argument access, the
 * handler type, and the few reply helpers every family uses.  Only the
 * cmd_*.c files and commands.c include it.
 *
 *     commands.c        the table, lookup, arity check, command_execute
 *     cmd_strings.c     GET MGET MSET INCR DECR INCRBY DECRBY STRLEN APPEND
 *     cmd_set.c         SET (all options) SETNX GETEX GETDEL
 *     cmd_expire.c      EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL PERSIST
 *     cmd_keys.c        DEL UNLINK EXISTS DBSIZE KEYS FLUSHDB TYPE RENAME
 *     cmd_scan.c        SCAN
 *     cmd_connection.c  PING ECHO QUIT SELECT HELLO AUTH
 *     cmd_client.c      CLIENT (SETNAME GETNAME ID INFO LIST SETINFO HELP)
 *     cmd_server.c      CONFIG INFO TIME
 *     cmd_command.c     COMMAND (COUNT, INFO, DOCS, LIST)
 */
#ifndef CMD_INTERNAL_H
#define CMD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "commands.h"
#include "reply.h"

/* Redis quotes at most this many bytes of a client's argument in an error
 * message ("unknown command '...'", "unknown subcommand '...'"). */
#define ERR_QUOTE_MAX 128

/* Room for a long long in decimal, with its sign and the NUL. */
#define DECIMAL_BUF_LEN (PROTO_MAX_DECIMAL_LEN + 1)

/* A handler: the arity is checked; appends exactly one reply; returns the
 * CMD_* flags, or -1 when memory ran out. */
typedef int (*CommandHandler)(const CommandContext *ctx, const Request *req,
                              Buffer *out);

/* One command: its name, arity, handler, and what COMMAND INFO / DOCS say
 * about it. */
typedef struct Command {
    const char    *name;     /* lower case, as Redis names it in errors */
    int            arity;    /* n: exactly n arguments (with the name);
                                -n: at least n */
    CommandHandler handler;
    const char    *flags;    /* space-separated, e.g. "readonly fast" */
    int            first_key, last_key, key_step;
    const char    *acl;      /* space-separated, e.g. "@read @string @fast" */
    const char    *group;    /* COMMAND DOCS's group */
    const char    *summary;
} Command;

/* The table (commands.c), count entries. */
const Command *command_table(size_t *count);

#define HANDLER(name) \
    int name(const CommandContext *ctx, const Request *req, Buffer *out)

/* ---- arguments ---------------------------------------------------------- */

static inline const char *arg(const Request *req, size_t i)
{
    return req->base + req->args[i].off;
}

static inline size_t arg_len(const Request *req, size_t i)
{
    return req->args[i].len;
}

/* Is argument i, case-insensitively, the word w? */
bool arg_is(const Request *req, size_t i, const char *w);

/* How much of argument i to quote in an error: at most max bytes. */
int quoted_len(const Request *req, size_t i, size_t max);

/* ---- replies ------------------------------------------------------------ */

/* A store failure: its reason as the error, with no acknowledgment. */
int reply_store_error(Buffer *out, const char *reason);

/* +OK (or -1 on no memory), reporting a mutation. */
int ok_mutated(Buffer *out);

/* The protocol the connection speaks: 2, or 3 after HELLO 3. */
static inline int req_proto(const Request *req)
{
    return req->session != NULL ? req->session->proto : SESSION_RESP2;
}

/* The nil reply in the connection's protocol: $-1 or _ (RESP3). */
static inline int reply_nil(const Request *req, Buffer *out)
{
    return reply_null_proto(out, req_proto(req));
}

/* ---- the handlers, by family -------------------------------------------- */

/* cmd_strings.c */
HANDLER(cmd_get); HANDLER(cmd_mget); HANDLER(cmd_mset);
HANDLER(cmd_incr); HANDLER(cmd_decr); HANDLER(cmd_incrby); HANDLER(cmd_decrby);
HANDLER(cmd_strlen); HANDLER(cmd_append);
/* cmd_set.c */
HANDLER(cmd_set); HANDLER(cmd_setnx); HANDLER(cmd_getex); HANDLER(cmd_getdel);
/* cmd_expire.c */
HANDLER(cmd_expire); HANDLER(cmd_pexpire); HANDLER(cmd_expireat);
HANDLER(cmd_pexpireat); HANDLER(cmd_ttl); HANDLER(cmd_pttl); HANDLER(cmd_persist);
/* cmd_keys.c */
HANDLER(cmd_del); HANDLER(cmd_unlink); HANDLER(cmd_exists); HANDLER(cmd_dbsize);
HANDLER(cmd_keys); HANDLER(cmd_flushdb); HANDLER(cmd_type); HANDLER(cmd_rename);
/* cmd_scan.c */
HANDLER(cmd_scan);
/* cmd_connection.c */
HANDLER(cmd_ping); HANDLER(cmd_echo); HANDLER(cmd_quit); HANDLER(cmd_select);
/* cmd_connection.c */
HANDLER(cmd_hello); HANDLER(cmd_auth);
/* cmd_client.c */
HANDLER(cmd_client);
/* cmd_server.c */
HANDLER(cmd_config); HANDLER(cmd_info); HANDLER(cmd_time);
/* cmd_command.c */
HANDLER(cmd_command);

/* CLIENT SETNAME's check and change, shared with HELLO SETNAME: argument i
 * is the name.  0 with *refused set and the error replied for a bad name,
 * 0 when set (nothing replied), -1 out of memory. */
int client_set_name(const Request *req, size_t i, Buffer *out, bool *refused);

#endif
