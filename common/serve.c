/*
 * serve.c — the RESULT step: parse and execute every complete request of a
 * connection (see serve.h).
 */
#include "serve.h"

#include "reply.h"

static bool output_full(const FDState *st)
{
    return buffer_pending(&st->out) >= SERVE_OUT_HIGH_WATER;
}

/* Executes the request the parser just completed, if it is not empty.
 * 1: executed, 0: an empty line (no reply at all), -1: out of memory. */
static int execute_one(FDState *st, const CommandContext *ctx, bool *close_after)
{
    if (st->parser.argc == 0)
        return 0;
    Request req = {
        .argc = st->parser.argc,
        .base = st->in.data + st->in.cur,
        .args = st->parser.args,
        .session = &st->session,
    };
    int flags = command_execute(ctx, &req, &st->out);
    if (flags < 0)
        return -1;
    st->requests++;
    if (flags & CMD_MUTATED)
        st->unsynced = true;    /* hold the reply until the store syncs */
    if (flags & CMD_CLOSE)
        *close_after = true;
    return 1;
}

int serve_requests(FDState *st, const CommandContext *ctx,
                   const ProtocolLimits *limits, unsigned long *executed,
                   FDStatus *next)
{
    bool close_after = false;
    *next = FD_CLOSING;
    while (!close_after && buffer_pending(&st->in) > 0 && !output_full(st)) {
        ParseResult r = parser_feed(&st->parser, st->in.data + st->in.cur,
                                    buffer_pending(&st->in), limits);
        if (r == PARSE_INCOMPLETE)
            break;
        if (r == PARSE_ERROR)   /* the stream can't be framed: say why, close */
            return reply_error(&st->out, st->parser.error);
        int done = execute_one(st, ctx, &close_after);
        if (done < 0)
            return -1;
        *executed += (unsigned long)done;
        buffer_consume(&st->in, st->parser.request_len);
        parser_reset(&st->parser);
    }
    if (!close_after)
        *next = buffer_pending(&st->out) > 0 ? FD_WRITE : FD_READ;
    return 0;
}

bool serve_has_waiting_input(const FDState *st)
{
    return buffer_pending(&st->in) > 0 && st->parser.kind == PARSER_IDLE && !output_full(st);
}

FDStatus serve_all_written(FDState *st)
{
    fdstate_shrink(st);
    return serve_has_waiting_input(st) ? FD_RESULT : FD_READ;
}
