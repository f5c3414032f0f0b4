/*
 * crash.c — signal_demo --crash (see crash.h).
 *
 * SIGSEGV is a synchronous signal: the kernel sends it to the thread whose
 * instruction touched memory it may not, at that very instruction, and
 * siginfo says where (si_addr) and why (si_code: SEGV_MAPERR, nothing is
 * mapped there, as for a NULL pointer; SEGV_ACCERR, something is mapped
 * but not for this kind of access, as for a write to read-only memory).
 *
 * Such a handler must not return: the faulting instruction would run
 * again, fault again, and the program would loop forever.  It reports with
 * write() and ends with _exit(): exit() would run atexit handlers and flush
 * stdio, neither of which is async-signal-safe, in a program whose state is
 * suspect anyway.  (A handler for a stack overflow would also need its own
 * stack, see sigaltstack(); a stray write like this one does not.)
 */
#include "crash.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * strsignal(SIGSEGV), copied here before the crash: the handler may read
 * a buffer, but may not call strsignal(), which is not async-signal-safe.
 */
static char segv_description[64];

/*
 * Writes value into buf as "0x" and lowercase hex digits, without leading
 * zeros; buf needs 2 + 2 * sizeof value bytes.  Returns the length.  Plain
 * arithmetic, so safe in a handler, where printf("%p") is not.
 */
static size_t format_hex(uintptr_t value, char *buf)
{
    char digits[2 * sizeof value];
    size_t ndigits = 0, len = 0;
    do {
        digits[ndigits++] = "0123456789abcdef"[value % 16];
        value /= 16;
    } while (value != 0);
    buf[len++] = '0';
    buf[len++] = 'x';
    while (ndigits > 0)
        buf[len++] = digits[--ndigits];
    return len;
}

/* Appends the string s to buf, which holds len of its size bytes. */
static size_t append(char *buf, size_t len, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n > size - len)
        n = size - len;
    memcpy(buf + len, s, n);
    return len + n;
}

static const char *segv_reason(int code)
{
    if (code == SEGV_MAPERR)
        return "address not mapped (SEGV_MAPERR)";
    if (code == SEGV_ACCERR)
        return "access not allowed (SEGV_ACCERR)";
    return "other cause";
}

/* Only write() and _exit(), plus the async-signal-safe helpers above. */
static void on_segv(int signo, siginfo_t *info, void *context)
{
    char line[256];
    char address[2 + 2 * sizeof(uintptr_t)];
    size_t len = 0;
    (void)signo;
    (void)context;

    len = append(line, len, sizeof line - 1, "caught SIGSEGV (");
    len = append(line, len, sizeof line - 1, segv_description);
    len = append(line, len, sizeof line - 1, ") at address ");
    address[format_hex((uintptr_t)info->si_addr, address)] = '\0';
    len = append(line, len, sizeof line - 1, address);
    len = append(line, len, sizeof line - 1, ": ");
    len = append(line, len, sizeof line - 1, segv_reason(info->si_code));
    line[len++] = '\n';                 /* the - 1 above kept room for it */
    ssize_t n = write(STDOUT_FILENO, line, len);
    (void)n;                            /* nothing better to do if it fails */
    _exit(CRASH_EXIT_STATUS);
}

/*
 * A page mapped with PROT_NONE: any access to it faults, which POSIX
 * defines, unlike dereferencing NULL, which C leaves undefined (the
 * compiler may assume it never happens).  MAP_ANONYMOUS only entered
 * POSIX in 2024, so the page is mapped from /dev/zero, the older way.
 */
static char *forbidden_page(size_t size)
{
    int fd = open("/dev/zero", O_RDONLY);
    if (fd < 0)
        return NULL;
    void *page = mmap(NULL, size, PROT_NONE, MAP_PRIVATE, fd, 0);
    close(fd);                          /* the mapping stays */
    return page == MAP_FAILED ? NULL : page;
}

static int install_segv_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    /*
     * SA_RESETHAND: the handler is used once, then SIGSEGV is back to its
     * default.  Should on_segv ever return, the write would fault again
     * and kill the process for real, rather than loop.
     */
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGSEGV, &sa, NULL);
}

int crash_demo(void)
{
    size_t size = (size_t)sysconf(_SC_PAGESIZE);
    char *page = forbidden_page(size);
    if (page == NULL) {
        perror("signal_demo: mapping /dev/zero");
        return 1;
    }
    snprintf(segv_description, sizeof segv_description, "%s", strsignal(SIGSEGV));
    if (install_segv_handler() < 0) {
        perror("signal_demo: sigaction(SIGSEGV)");
        munmap(page, size);
        return 1;
    }

    char address[2 + 2 * sizeof(uintptr_t) + 1];
    address[format_hex((uintptr_t)page, address)] = '\0';
    printf("crash: writing to %s, a page mapped with PROT_NONE\n", address);
    fflush(stdout);                     /* _exit() in the handler won't flush */

    /* volatile: the value is never read, but the write must happen. */
    *(volatile char *)page = 1;

    fprintf(stderr, "signal_demo: the write to %s did not fault\n", address);
    munmap(page, size);
    return 1;
}
