/*
 * aof_replay.c — store_open's replay of the append-only file, and the
 * repair of a file whose last record a crash cut short.
 *
 * The file is read in chunks into a buffer that keeps the record being
 * parsed, so memory holds one record and one chunk, never the whole file.
 * The parser is fed everything received of the current record and says
 * "need more" until it is complete; each complete record is applied to the
 * table (aof_format.c).
 *
 * The file always ends with a complete record, except after a crash in the
 * middle of a write.  Such a tail is cut off, with one warning naming its
 * offset.  Anything else that does not parse is damage: the store refuses
 * to open rather than guess.
 */
#include "store_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "rio.h"

#define REPLAY_CHUNK (64 * 1024)        /* the file is read this much at once */

typedef struct Replay {
    Store        *s;
    Buffer        in;                   /* the record being parsed, and more */
    RequestParser parser;
    off_t         offset;               /* file offset of in's first pending byte */
    bool          at_end;               /* the whole file is in `in` */
    int64_t       now;                  /* keys expired before this are dropped */
} Replay;

/* ---- one record ---------------------------------------------------------- */

/* Has the parser seen none of the current record yet? */
static bool before_record(const RequestParser *p)
{
    return p->kind == PARSER_IDLE;
}

/* Parses (and applies) the next record of the pending bytes.  On
 * PARSE_ERROR the reason is in why. */
static ParseResult next_record(Replay *r, char *why, size_t whylen)
{
    size_t pending = buffer_pending(&r->in);
    if (pending == 0)
        return PARSE_INCOMPLETE;
    char *start = r->in.data + r->in.cur;
    if (before_record(&r->parser) && start[0] != AOF_RECORD_MARK) {
        /* We only ever write multibulk requests: no inline ones. */
        store_set_err(why, whylen, "expected '%c', got byte 0x%02x",
                      AOF_RECORD_MARK, (unsigned char)start[0]);
        return PARSE_ERROR;
    }
    ParseResult res = parser_feed(&r->parser, start, pending,
                                  &protocol_default_limits);
    if (res == PARSE_ERROR)
        store_set_err(why, whylen, "%s", r->parser.error);
    else if (res == PARSE_REQUEST &&
             aof_apply_record(&r->s->table, &r->parser, start, r->now,
                              why, whylen) < 0)
        res = PARSE_ERROR;
    return res;
}

static void consume_record(Replay *r)
{
    r->s->records++;
    r->offset += (off_t)r->parser.request_len;
    buffer_consume(&r->in, r->parser.request_len);
    parser_reset(&r->parser);
}

/* ---- reading and the cut-short tail -------------------------------------- */

/* Appends the next chunk of the file to r->in.  0, or -1 with err set. */
static int read_chunk(Replay *r, char *err, size_t errlen)
{
    Store *s = r->s;
    if (buffer_reserve(&r->in, REPLAY_CHUNK) < 0) {
        store_set_err(err, errlen, "cannot read %s: out of memory", s->path);
        return -1;
    }
    size_t room = r->in.size - r->in.end;
    ssize_t n = rio_read_full(s->fd, r->in.data + r->in.end, room);
    if (n < 0) {
        store_set_err(err, errlen, "cannot read %s: %s", s->path, strerror(errno));
        return -1;
    }
    buffer_commit(&r->in, (size_t)n);
    r->at_end = (size_t)n < room;       /* rio_read_full: short only at EOF */
    return 0;
}

/* The file ends with an incomplete record at r->offset: cut it off, with
 * one warning, if it looks like an interrupted write; refuse otherwise. */
static int drop_incomplete_tail(Replay *r, char *err, size_t errlen)
{
    Store *s = r->s;
    long long offset = (long long)r->offset;
    if (!aof_is_record_prefix(r->in.data + r->in.cur, buffer_pending(&r->in))) {
        store_set_err(err, errlen, "%s: bad record at byte %lld: damaged, and "
                      "the file ends inside it", s->path, offset);
        return -1;
    }
    store_warn(&s->opt, "%s: dropping incomplete record at byte %lld "
               "(crash during a write?)", s->path, offset);
    if (ftruncate(s->fd, r->offset) < 0) {
        store_set_err(err, errlen, "cannot truncate %s: %s", s->path,
                      strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- the replay ---------------------------------------------------------- */

/* One step: a record applied, a chunk read, or the end.  1: go on,
 * 0: the whole file is replayed, -1: error, with err set. */
static int replay_step(Replay *r, char *err, size_t errlen)
{
    char why[STORE_ERR_LEN];
    ParseResult res = next_record(r, why, sizeof why);
    if (res == PARSE_ERROR) {
        store_set_err(err, errlen, "%s: bad record at byte %lld: %s",
                      r->s->path, (long long)r->offset, why);
        return -1;
    }
    if (res == PARSE_REQUEST) {
        consume_record(r);
        return 1;
    }
    if (!r->at_end)
        return read_chunk(r, err, errlen) < 0 ? -1 : 1;
    if (buffer_pending(&r->in) > 0)
        return drop_incomplete_tail(r, err, errlen);
    return 0;
}

int aof_replay(Store *s, char *err, size_t errlen)
{
    Replay r = { .s = s, .in = BUFFER_EMPTY, .offset = 0, .at_end = false,
                 .now = store_now_ms() };
    parser_init(&r.parser);
    int rc;
    while ((rc = replay_step(&r, err, errlen)) > 0)
        ;
    s->file_size = r.offset;
    buffer_free(&r.in);
    parser_free(&r.parser);
    return rc;
}
