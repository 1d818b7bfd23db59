/*
 * cli - what the subcommands share (see cli.h)
 */
#include "cli.h"
#include "diag.h"
#include "timeparse.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 10000

void cli_error(const char *fmt, ...)
{
    struct diag d;
    va_list ap;

    /* through a diag: one line without control characters, whatever an argument holds */
    va_start(ap, fmt);
    diag_vset(&d, fmt, ap);
    va_end(ap);
    fprintf(stderr, "rejectlens: %s\n", d.msg);
}

const char *cli_default_db(char *buf, size_t cap)
{
    const char *env = getenv("REJECTLENS_DB");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");

    if (env != NULL && env[0] != '\0')
        snprintf(buf, cap, "%s", env);
    else if (geteuid() == 0)
        snprintf(buf, cap, "/var/lib/rejectlens/rejectlens.db");
    else if (xdg != NULL && xdg[0] == '/')
        snprintf(buf, cap, "%s/rejectlens/rejectlens.db", xdg);
    else if (home != NULL && home[0] != '\0')
        snprintf(buf, cap, "%s/.local/share/rejectlens/rejectlens.db", home);
    else
        snprintf(buf, cap, "rejectlens.db");
    return buf;
}

/* make_parents - mkdir -p of the directory part of path */
static int make_parents(const char *path)
{
    char dir[4096];
    char *slash;

    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return -1;
    if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0750) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(dir, 0750) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

struct store *cli_open_store(const char *path, enum store_mode mode)
{
    char buf[4096];
    struct diag d = {""};
    struct store *s;

    if (path == NULL)
        path = cli_default_db(buf, sizeof buf);
    if (mode == STORE_READ_WRITE && make_parents(path) < 0) {
        cli_error("%s: cannot create its directory: %s", path, strerror(errno));
        return NULL;
    }
    if (store_open(path, mode, BUSY_TIMEOUT_MS, &s, &d) < 0) {
        cli_error("%s", d.msg);
        return NULL;
    }
    return s;
}

int cli_time_range(const char *since, const char *until, int64_t *since_us, int64_t *until_us)
{
    struct diag d = {""};
    int64_t now = (int64_t)time(NULL);

    *since_us = INT64_MIN;
    *until_us = INT64_MAX;
    if (since != NULL && time_arg_parse(since, now, 0, since_us, &d) < 0) {
        cli_error("--since: %s", d.msg);
        return -1;
    }
    if (until != NULL && time_arg_parse(until, now, 1, until_us, &d) < 0) {
        cli_error("--until: %s", d.msg);
        return -1;
    }
    if (*since_us >= *until_us) {
        cli_error("--since must be before --until");
        return -1;
    }
    return 0;
}

volatile sig_atomic_t cli_stop_requested;

static void on_stop_signal(int sig)
{
    cli_stop_requested = sig;
}

void cli_catch_stop_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}
