/*
 * cmd_client.c — CLIENT SETNAME, GETNAME, ID, INFO, LIST, SETINFO, HELP:
 * the connection's own session, and the registry of every connection
 * (session.h).
 *
 * CLIENT LIST and INFO print Redis's fields, with the figures we have (id,
 * addr, fd, name, age, the last command, resp); the ones about Redis's
 * own buffers (qbuf, obl, tot-mem...) are 0, and idle is 0 as we do not
 * time each command.  SETINFO is Redis 7.2's (7.0 has none): clients from
 * 2023 on send it at connect and some stop if it fails.
 */
#include "cmd_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIENT_LINE_MAX 1024
#define MS_PER_S 1000

/* Redis refuses names with spaces, newlines or anything outside '!'..'~'. */
static bool valid_name(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '!' || p[i] > '~')
            return false;
    return true;
}

int client_set_name(const Request *req, size_t i, Buffer *out, bool *refused)
{
    *refused = !valid_name(arg(req, i), arg_len(req, i));
    if (*refused)
        return reply_error(out, "Client names cannot contain spaces, newlines "
                           "or special characters.");
    if (req->session == NULL)
        return 0;
    return session_set_text(&req->session->name, arg(req, i), arg_len(req, i));
}

/* One line of CLIENT LIST / INFO, with its final newline.  Its length. */
static int client_line(const Session *s, char *line, size_t size, long long now)
{
    return snprintf(line, size,
        "id=%llu addr=%s laddr= fd=%d name=%s age=%lld idle=0 flags=N db=0 sub=0 "
        "psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 "
        "rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=default "
        "redir=-1 resp=%d lib-name=%s lib-ver=%s\n",
        s->id, s->peer ? s->peer : "?", s->fd, s->name ? s->name : "",
        (now - s->created_ms) / MS_PER_S, s->last_cmd ? s->last_cmd : "NULL",
        s->proto, s->lib_name ? s->lib_name : "", s->lib_ver ? s->lib_ver : "");
}

static int client_list(const Request *req, Buffer *out)
{
    Buffer text = BUFFER_EMPTY;
    char line[CLIENT_LINE_MAX];
    long long now = store_now_ms();
    int rc = 0;
    for (const Session *s = session_first(); s != NULL && rc == 0; s = s->next) {
        int n = client_line(s, line, sizeof line, now);
        rc = buffer_append(&text, line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
    }
    if (rc == 0)
        rc = reply_verbatim(out, text.data ? text.data + text.cur : "",
                            buffer_pending(&text), req_proto(req));
    buffer_free(&text);
    return rc;
}

static int client_info(const Request *req, Buffer *out)
{
    char line[CLIENT_LINE_MAX];
    if (req->session == NULL)
        return reply_verbatim(out, "", 0, req_proto(req));
    int n = client_line(req->session, line, sizeof line, store_now_ms());
    size_t len = n < (int)sizeof line ? (size_t)n : sizeof line - 1;
    return reply_verbatim(out, line, len, req_proto(req));
}

/* CLIENT SETINFO LIB-NAME|LIB-VER value, as Redis 7.2. */
static int client_setinfo(const Request *req, Buffer *out)
{
    char **field = NULL;
    if (req->session != NULL && arg_is(req, 2, "lib-name"))
        field = &req->session->lib_name;
    else if (req->session != NULL && arg_is(req, 2, "lib-ver"))
        field = &req->session->lib_ver;
    else if (!arg_is(req, 2, "lib-name") && !arg_is(req, 2, "lib-ver"))
        return reply_errorf(out, "Unrecognized option '%.*s'",
                            quoted_len(req, 2, ERR_QUOTE_MAX), arg(req, 2));
    if (!valid_name(arg(req, 3), arg_len(req, 3)))
        return reply_errorf(out, "%.*s cannot contain spaces, newlines or special "
                            "characters.", quoted_len(req, 2, ERR_QUOTE_MAX), arg(req, 2));
    if (field != NULL && session_set_text(field, arg(req, 3), arg_len(req, 3)) < 0)
        return -1;
    return reply_simple(out, "OK");
}

static const char *const client_help[] = {
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME", "    Return the name of the current connection.",
    "ID", "    Return the ID of the current connection.",
    "INFO", "    Return information about the current client connection.",
    "LIST", "    Return information about client connections.",
    "SETINFO <LIB-NAME|LIB-VER> <value>", "    Set the library name or version.",
    "SETNAME <name>", "    Assign the name <name> to the current connection.",
    "HELP", "    Prints this help.",
};

static int reply_help(Buffer *out)
{
    size_t n = sizeof client_help / sizeof client_help[0];
    if (reply_array(out, n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (reply_simple(out, client_help[i]) < 0)
            return -1;
    return 0;
}

/* The subcommands, with their arity as Redis counts it (CLIENT included). */
typedef struct ClientSub {
    const char *name;
    int         arity;      /* n exactly, -n at least */
} ClientSub;

static const ClientSub client_subs[] = {
    { "setname", 3 }, { "getname", 2 }, { "id", 2 }, { "info", 2 },
    { "list", -2 }, { "setinfo", 4 }, { "help", 2 },
};

static int run_client_sub(const Request *req, Buffer *out, const char *sub)
{
    bool refused;
    if (strcmp(sub, "setname") == 0)
        return client_set_name(req, 2, out, &refused) < 0 ? -1 :
               refused ? 0 : reply_simple(out, "OK");
    if (strcmp(sub, "getname") == 0) {
        const char *name = req->session ? req->session->name : NULL;
        return name ? reply_bulk(out, name, strlen(name)) : reply_nil(req, out);
    }
    if (strcmp(sub, "id") == 0)
        return reply_integer(out, req->session ? (long long)req->session->id : 0);
    if (strcmp(sub, "info") == 0)
        return client_info(req, out);
    if (strcmp(sub, "list") == 0)
        return req->argc == 2 ? client_list(req, out) : reply_error(out, "syntax error");
    if (strcmp(sub, "setinfo") == 0)
        return client_setinfo(req, out);
    return reply_help(out);
}

HANDLER(cmd_client)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof client_subs / sizeof client_subs[0]; i++) {
        const ClientSub *sub = &client_subs[i];
        if (!arg_is(req, 1, sub->name))
            continue;
        if (sub->arity >= 0 ? req->argc != (size_t)sub->arity
                            : req->argc < (size_t)-sub->arity)
            return reply_errorf(out, "wrong number of arguments for 'client|%s' "
                                "command", sub->name);
        return run_client_sub(req, out, sub->name);
    }
    return reply_errorf(out, "unknown subcommand '%.*s'. Try CLIENT HELP.",
                        quoted_len(req, 1, ERR_QUOTE_MAX), arg(req, 1));
}
