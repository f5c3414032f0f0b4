/*
 * serve.c — parse and execute every complete request of a connection
 * (see serve.h).
 */
#include "serve.h"

#include "reply.h"

static bool output_full(const FDState *st)
{
    return buffer_pending(&st->out) >= SERVE_OUT_HIGH_WATER;
}

/* Executes the request the parser just completed, if it is not empty. */
static int execute_one(FDState *st, const CommandContext *ctx)
{
    if (st->parser.argc == 0)
        return 0;                       /* an empty line: no reply at all */
    Request req = {
        .argc = st->parser.argc,
        .base = st->in.data + st->in.cur,
        .args = st->parser.args,
    };
    int flags = command_execute(ctx, &req, &st->out);
    if (flags < 0)
        return -1;
    st->requests++;
    if (flags & CMD_MUTATED)
        st->unsynced = true;
    if (flags & CMD_CLOSE)
        fdstate_set_status(st, FD_CLOSING);
    return 1;
}

int serve_requests(FDState *st, const CommandContext *ctx,
                   const ProtocolLimits *limits, unsigned long *executed)
{
    while (st->status != FD_CLOSING && buffer_pending(&st->in) > 0 &&
           !output_full(st)) {
        ParseResult r = parser_feed(&st->parser, st->in.data + st->in.cur,
                                    buffer_pending(&st->in), limits);
        if (r == PARSE_INCOMPLETE)
            break;
        if (r == PARSE_ERROR) {
            /* The stream can't be framed any more: say why, then close. */
            if (reply_error(&st->out, st->parser.error) < 0)
                return -1;
            fdstate_set_status(st, FD_CLOSING);
            break;
        }
        fdstate_set_status(st, FD_RESULT);
        int done = execute_one(st, ctx);
        if (done < 0)
            return -1;
        *executed += (unsigned long)done;
        buffer_consume(&st->in, st->parser.request_len);
        parser_reset(&st->parser);
    }
    if (st->status != FD_CLOSING)
        fdstate_set_status(st, buffer_pending(&st->out) > 0 ? FD_WRITE : FD_READ);
    return 0;
}

bool serve_has_waiting_input(const FDState *st)
{
    return st->status != FD_CLOSING && buffer_pending(&st->in) > 0 &&
           st->parser.kind == PARSER_IDLE && !output_full(st);
}
