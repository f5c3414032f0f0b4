/*
 * cmd_command.c — COMMAND, COMMAND COUNT, COMMAND LIST, COMMAND INFO [name
 * ...], COMMAND DOCS [name ...]: what clients ask to learn the commands
 * (redis-cli for its hints, cluster-aware clients for the key positions).
 *
 * The answers come from the table in commands.c.  INFO's entry has
 * Redis 7.0's ten fields (name, arity, flags, first key, last key, step,
 * ACL categories, tips, key specs, subcommands), the last three empty;
 * DOCS gives the summary, "since" and group of each command.
 */
#include "cmd_internal.h"

#include <string.h>

#define INFO_FIELDS 10
#define DOCS_FIELDS 3

/* The words of a space-separated list, as a set of simple strings. */
static int reply_words(const char *list, int proto, Buffer *out)
{
    size_t n = 0;
    for (const char *p = list; *p; ) {
        size_t len = strcspn(p, " ");
        n += len > 0;
        p += len + (p[len] == ' ');
    }
    if (reply_set(out, n, proto) < 0)
        return -1;
    char word[64];
    for (const char *p = list; *p; ) {
        size_t len = strcspn(p, " ");
        if (len > 0 && len < sizeof word) {
            memcpy(word, p, len);
            word[len] = '\0';
            if (reply_simple(out, word) < 0)
                return -1;
        }
        p += len + (p[len] == ' ');
    }
    return 0;
}

static int reply_command_info(const Command *c, int proto, Buffer *out)
{
    if (reply_array(out, INFO_FIELDS) < 0 ||
        reply_bulk(out, c->name, strlen(c->name)) < 0 ||
        reply_integer(out, c->arity) < 0 || reply_words(c->flags, proto, out) < 0 ||
        reply_integer(out, c->first_key) < 0 || reply_integer(out, c->last_key) < 0 ||
        reply_integer(out, c->key_step) < 0 || reply_words(c->acl, proto, out) < 0 ||
        reply_set(out, 0, proto) < 0 ||        /* tips */
        reply_array(out, 0) < 0 ||             /* key specs */
        reply_array(out, 0) < 0)               /* subcommands */
        return -1;
    return 0;
}

static int reply_command_docs(const Command *c, int proto, Buffer *out)
{
    if (reply_bulk(out, c->name, strlen(c->name)) < 0 ||
        reply_map(out, DOCS_FIELDS, proto) < 0 ||
        reply_bulk(out, "summary", 7) < 0 ||
        reply_bulk(out, c->summary, strlen(c->summary)) < 0 ||
        reply_bulk(out, "since", 5) < 0 || reply_bulk(out, "1.0.0", 5) < 0 ||
        reply_bulk(out, "group", 5) < 0 ||
        reply_bulk(out, c->group, strlen(c->group)) < 0)
        return -1;
    return 0;
}

/* The table's entry for argument i, or NULL. */
static const Command *find_command(const Request *req, size_t i)
{
    size_t n;
    const Command *table = command_table(&n);
    for (size_t k = 0; k < n; k++)
        if (arg_is(req, i, table[k].name))
            return &table[k];
    return NULL;
}

/* COMMAND [INFO] with no name: every command.  With names: one entry
 * each, nil for an unknown one. */
static int command_info(const Request *req, size_t first, Buffer *out)
{
    int proto = req_proto(req);
    size_t n;
    const Command *table = command_table(&n);
    if (first >= req->argc) {
        if (reply_array(out, n) < 0)
            return -1;
        for (size_t k = 0; k < n; k++)
            if (reply_command_info(&table[k], proto, out) < 0)
                return -1;
        return 0;
    }
    if (reply_array(out, req->argc - first) < 0)
        return -1;
    for (size_t i = first; i < req->argc; i++) {
        const Command *c = find_command(req, i);
        if ((c ? reply_command_info(c, proto, out) : reply_nil(req, out)) < 0)
            return -1;
    }
    return 0;
}

/* COMMAND DOCS [name ...]: a map name -> docs; unknown names are left out. */
static int command_docs(const Request *req, Buffer *out)
{
    int proto = req_proto(req);
    size_t n, found = 0;
    const Command *table = command_table(&n);
    if (req->argc == 2) {
        if (reply_map(out, n, proto) < 0)
            return -1;
        for (size_t k = 0; k < n; k++)
            if (reply_command_docs(&table[k], proto, out) < 0)
                return -1;
        return 0;
    }
    for (size_t i = 2; i < req->argc; i++)
        found += find_command(req, i) != NULL;
    if (reply_map(out, found, proto) < 0)
        return -1;
    for (size_t i = 2; i < req->argc; i++) {
        const Command *c = find_command(req, i);
        if (c != NULL && reply_command_docs(c, proto, out) < 0)
            return -1;
    }
    return 0;
}

static int command_list(Buffer *out)
{
    size_t n;
    const Command *table = command_table(&n);
    if (reply_array(out, n) < 0)
        return -1;
    for (size_t k = 0; k < n; k++)
        if (reply_bulk(out, table[k].name, strlen(table[k].name)) < 0)
            return -1;
    return 0;
}

HANDLER(cmd_command)
{
    (void)ctx;
    size_t n;
    command_table(&n);
    if (req->argc == 1)
        return command_info(req, 1, out);
    if (arg_is(req, 1, "count"))
        return req->argc == 2 ? reply_integer(out, (long long)n)
            : reply_error(out, "wrong number of arguments for 'command|count' command");
    if (arg_is(req, 1, "info"))
        return command_info(req, 2, out);
    if (arg_is(req, 1, "docs"))
        return command_docs(req, out);
    if (arg_is(req, 1, "list") && req->argc == 2)
        return command_list(out);
    return reply_errorf(out, "unknown subcommand '%.*s'. Try COMMAND HELP.",
                        quoted_len(req, 1, ERR_QUOTE_MAX), arg(req, 1));
}
