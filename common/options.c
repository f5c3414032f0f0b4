/*
 * options.c — parsing the servers' shared command line (see options.h).
 *
 * Hand-written rather than getopt_long, which is a GNU extension, not POSIX.
 */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to, const char *prog, long max_clients_default)
{
    bool with_max_clients = max_clients_default > 0;
    fprintf(to,
            "usage: %s [-b ADDR] [-p PORT] [-d FILE] [--fsync always|everysec|no]%s [-v]\n"
            "  -b ADDR          address to listen on (default 127.0.0.1)\n"
            "  -p PORT          port (default 6380; 0 picks a free port)\n"
            "  -d FILE          store file (default kvstore.aof)\n"
            "  --fsync POLICY   when the store file is fsynced (default everysec)\n"
            "%s%.0ld%s"
            "  -v               log connections and FDState transitions to stderr\n"
            "  -h, --help       this help\n",
            prog, with_max_clients ? " [--max-clients N]" : "",
            with_max_clients ? "  --max-clients N  most clients at once (default " : "",
            max_clients_default, with_max_clients ? ")\n" : "");
}

/* A whole-string decimal in [min, max], or -1 after a message. */
static int parse_number(const char *prog, const char *what, const char *text,
                        long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "%s: bad %s '%s' (expected %ld to %ld)\n", prog, what,
                text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int options_parse(int argc, char **argv, ServerOptions *o, long max_clients_default)
{
    const char *prog = argv[0];
    *o = (ServerOptions){ "127.0.0.1", 6380, "kvstore.aof", STORE_FSYNC_EVERYSEC,
                          0, false };
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            usage(stdout, prog, max_clients_default);
            return OPTIONS_HELP;
        }
        if (strcmp(opt, "-v") == 0) {
            o->verbose = true;
            continue;
        }
        bool takes_value = strcmp(opt, "-b") == 0 || strcmp(opt, "-p") == 0 ||
                           strcmp(opt, "-d") == 0 || strcmp(opt, "--fsync") == 0 ||
                           (max_clients_default > 0 && strcmp(opt, "--max-clients") == 0);
        if (!takes_value) {
            fprintf(stderr, "%s: unknown option '%s'\n", prog, opt);
            usage(stderr, prog, max_clients_default);
            return OPTIONS_USAGE;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "%s: option '%s' needs a value\n", prog, opt);
            usage(stderr, prog, max_clients_default);
            return OPTIONS_USAGE;
        }
        const char *value = argv[++i];
        long n;
        if (strcmp(opt, "-b") == 0) {
            o->bind_addr = value;
        } else if (strcmp(opt, "-d") == 0) {
            o->store_path = value;
        } else if (strcmp(opt, "-p") == 0) {
            if (parse_number(prog, "port", value, 0, 65535, &n) < 0)
                return OPTIONS_BAD_VALUE;
            o->port = (int)n;
        } else if (strcmp(opt, "--max-clients") == 0) {
            if (parse_number(prog, "client limit", value, 1, 1000000, &n) < 0)
                return OPTIONS_BAD_VALUE;
            o->max_clients = n;
        } else if (store_fsync_parse(value, &o->fsync) < 0) {
            fprintf(stderr, "%s: bad fsync policy '%s' (expected always, everysec or no)\n",
                    prog, value);
            return OPTIONS_BAD_VALUE;
        }
    }
    return OPTIONS_OK;
}
