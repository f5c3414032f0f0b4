/*
 * cmd_server.c — the server commands: CONFIG GET.
 */
#include "cmd_internal.h"

#include <stdio.h>
#include <string.h>

#include "glob.h"

/* CONFIG GET: the few parameters clients such as redis-benchmark ask for. */
int cmd_config(const CommandContext *ctx, const Request *req, Buffer *out)
{
    if (!arg_is(req, 1, "get")) {
        int len = quoted_len(req, 1, ERR_QUOTE_MAX);
        return reply_errorf(out, "unknown subcommand '%.*s'. Try CONFIG HELP.",
                            len, arg(req, 1));
    }
    if (req->argc < 3)
        return reply_error(out, "wrong number of arguments for 'config|get' command");

    char maxclients[DECIMAL_BUF_LEN];
    snprintf(maxclients, sizeof maxclients, "%ld", ctx->max_clients);
    const char *params[][2] = {
        { "save", "" },                       /* no snapshots, only the file */
        { "appendonly", "yes" },
        { "appendfsync", store_fsync_name(ctx->fsync) },
        { "maxclients", maxclients },
    };
    const size_t nparams = sizeof params / sizeof params[0];

    bool wanted[sizeof params / sizeof params[0]] = { false };
    size_t matches = 0;
    for (size_t i = 2; i < req->argc; i++)
        for (size_t p = 0; p < nparams; p++)
            if (!wanted[p] && glob_match(arg(req, i), arg_len(req, i), params[p][0],
                                         strlen(params[p][0]), true)) {
                wanted[p] = true;
                matches++;
            }
    if (reply_array(out, 2 * matches) < 0)
        return -1;
    for (size_t p = 0; p < nparams; p++)
        if (wanted[p] && (reply_bulk(out, params[p][0], strlen(params[p][0])) < 0 ||
                          reply_bulk(out, params[p][1], strlen(params[p][1])) < 0))
            return -1;
    return 0;
}
