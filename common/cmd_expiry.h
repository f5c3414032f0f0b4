/*
 * cmd_expiry.h — turning a client's time argument into an absolute expiry
 * (Unix ms), with Redis 7.0's checks and errors, for SET, GETEX (cmd_set.c)
 * and the EXPIRE family (cmd_expire.c).
 */
#ifndef CMD_EXPIRY_H
#define CMD_EXPIRY_H

#include <stdbool.h>
#include "cmd_internal.h"

typedef enum TimeUnit { UNIT_SECONDS, UNIT_MILLISECONDS } TimeUnit;

/* What parsing a time argument found. */
typedef enum ExpiryParse {
    EXPIRY_OK,
    EXPIRY_NOT_INTEGER,   /* "value is not an integer or out of range" */
    EXPIRY_INVALID        /* "invalid expire time in '<cmd>' command" */
} ExpiryParse;

/*
 * SET / GETEX: argument i is a positive time, relative (EX, PX: base is
 * now) or absolute (EXAT, PXAT: base is 0).  Sets *at (absolute, ms).
 */
ExpiryParse expiry_for_set(const Request *req, size_t i, TimeUnit unit,
                           long long base, long long *at);

/* EXPIRE family: any integer (negative: already expired), plus base. */
ExpiryParse expiry_for_expire(const Request *req, size_t i, TimeUnit unit,
                              long long base, long long *at);

/* Replies the error for a result other than EXPIRY_OK (cmd: lower case). */
int reply_expiry_error(Buffer *out, ExpiryParse what, const char *cmd);

#endif
