/*
 * options.h — the command line both servers share.
 *
 *   -b ADDR              address to listen on (default 127.0.0.1)
 *   -p PORT              port (default 6380; 0 lets the kernel pick one)
 *   -d FILE              store file (default kvstore.aof)
 *   --fsync POLICY       always | everysec | no (default everysec)
 *   --max-clients N      the non-blocking servers only (default: the server's)
 *   -v                   log connections and FDState transitions to stderr
 *   -h, --help           usage
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include "store.h"

typedef struct ServerOptions {
    const char *bind_addr;
    int         port;
    const char *store_path;
    StoreFsync  fsync;
    long        max_clients;  /* 0: the default, decided by the server */
    bool        verbose;
} ServerOptions;

/* What options_parse found. */
enum {
    OPTIONS_OK,         /* run the server */
    OPTIONS_HELP,       /* usage was printed on stdout: exit 0 */
    OPTIONS_BAD_VALUE,  /* a value is wrong (message on stderr): exit 1 */
    OPTIONS_USAGE       /* unknown or missing option (usage on stderr): exit 2 */
};

/* Parses argv into o.  max_clients_default: 0 if --max-clients does not
 * exist, else the default the usage text shows. */
int options_parse(int argc, char **argv, ServerOptions *o, long max_clients_default);

#endif
