/*
 * cli - what the subcommands share (see cli.h)
 */
#include "cli.h"
#include "config.h"
#include "diag.h"
#include "escape.h"
#include "out.h"
#include "strbuf.h"
#include "timeparse.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
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

void cli_put_safe(FILE *out, const char *s, size_t n)
{
    struct strbuf sb = STRBUF_INIT;

    esc_text_n(&sb, s, n, 0);
    if (sb.len > 0)
        fwrite(sb.buf, 1, sb.len, out);
    strbuf_free(&sb);
}

static const char *config_path; /* --config */
static struct config *config;   /* loaded */
static int config_state;        /* 0 not looked at, 1 loaded (or none), -1 failed */

void cli_config_use(const char *path)
{
    config_path = path;
    if (config_state != 0) { /* a second command in one process (tests): look again */
        config_free(config);
        config = NULL;
        config_state = 0;
    }
}

static void config_release(void)
{
    config_free(config);
    config = NULL;
}

int cli_config(const struct config **cfg)
{
    const char *path = config_path;
    int implicit = 0;
    struct diag d = {""};

    if (config_state == 0) {
        static int registered;
        if (!registered) {
            atexit(config_release);
            registered = 1;
        }
        if (path == NULL) {
            const char *env = getenv("REJECTLENS_CONFIG");
            path = env != NULL && env[0] != '\0' ? env : CONFIG_DEFAULT_PATH;
            implicit = path == (const char *)CONFIG_DEFAULT_PATH;
        }
        config_state = 1;
        if (implicit && access(path, F_OK) != 0) {
            /* no configuration: fine for every command but run */
        } else if (implicit && access(path, R_OK) != 0) {
            cli_error("warning: %s: %s; going on without it", path, strerror(errno));
        } else if (config_load(path, &config, &d) < 0) {
            cli_error("%s", d.msg);
            config_state = -1;
        }
    }
    *cfg = config;
    return config_state < 0 ? -1 : 0;
}

int cli_config_required(const struct config **cfg)
{
    if (cli_config(cfg) < 0)
        return -1;
    if (*cfg == NULL) {
        cli_error("no configuration: %s does not exist (give --config FILE or set "
                  "REJECTLENS_CONFIG; see docs/config.md)",
                  CONFIG_DEFAULT_PATH);
        return -1;
    }
    return 0;
}

const char *cli_default_db(char *buf, size_t cap)
{
    const char *env = getenv("REJECTLENS_DB");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    const struct config *cfg;

    if (env != NULL && env[0] != '\0') {
        snprintf(buf, cap, "%s", env);
        return buf;
    }
    if (cli_config(&cfg) < 0)
        return NULL;
    if (cfg != NULL && cfg->database != NULL)
        snprintf(buf, cap, "%s", cfg->database);
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

const char *cli_db_path(const char *path, char *buf, size_t cap)
{
    return path != NULL ? path : cli_default_db(buf, cap);
}

int cli_make_parents(const char *path)
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

int cli_lock_run(const char *db_path, int64_t wait_ms)
{
    static char held[4200]; /* a second command in one process (run -> report) holds it too */
    char lock[4200], holder[64] = "";
    struct timespec t0, now, nap = {0, 100 * 1000 * 1000};
    int fd, waited = 0;

    /* PostgreSQL: many hosts write at once; each log is locked in the store while it is
     * read (store_source_lock), there is no file to put a lock beside */
    if (store_is_remote(db_path))
        return 0;
    snprintf(lock, sizeof lock, "%s.lock", db_path);
    if (strcmp(held, lock) == 0)
        return 0;
    if (cli_make_parents(lock) < 0) {
        cli_error("%s: cannot create its directory: %s", db_path, strerror(errno));
        return -1;
    }
    fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0 && (errno == EACCES || errno == EROFS))
        fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOCTTY); /* flock works on it too */
    if (fd < 0) {
        cli_error("%s: cannot create the run lock: %s (is the database's directory writable?)",
                  lock, strerror(errno));
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            cli_error("%s: cannot lock: %s", lock, strerror(errno));
            close(fd);
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t ms = (int64_t)(now.tv_sec - t0.tv_sec) * 1000 +
                     (int64_t)(now.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms >= wait_ms || cli_stop_requested) {
            ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
            holder[n > 0 ? n : 0] = '\0';
            holder[strcspn(holder, "\n")] = '\0';
            cli_error("%s: another rejectlens run is using this database%s%s%s; %s after %.1f s "
                      "(the lock is %s)",
                      db_path, holder[0] ? " (pid " : "", holder, holder[0] ? ")" : "",
                      cli_stop_requested ? "interrupted" : "gave up", (double)ms / 1000, lock);
            close(fd);
            return -1;
        }
        waited = 1;
        nanosleep(&nap, NULL);
    }
    (void)waited;
    snprintf(held, sizeof held, "%s", lock);
    /* who holds it, for the message of a run that waits; best effort */
    if (ftruncate(fd, 0) == 0) {
        char pid[32];
        int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (pwrite(fd, pid, (size_t)n, 0) < 0) {
            /* a read-only lock file: the lock holds all the same */
        }
    }
    return 0; /* the descriptor stays open until exit: the lock with it */
}

struct store *cli_open_store(const char *path, enum store_mode mode)
{
    char buf[4096];
    struct diag d = {""};
    struct store *s;

    if (path == NULL && (path = cli_default_db(buf, sizeof buf)) == NULL)
        return NULL;
    if (mode == STORE_READ_WRITE && !store_is_remote(path) && cli_make_parents(path) < 0) {
        cli_error("%s: cannot create its directory: %s", path, strerror(errno));
        return NULL;
    }
    if (store_open(path, mode, BUSY_TIMEOUT_MS, &s, &d) < 0) {
        cli_error("%s", d.msg);
        return NULL;
    }
    return s;
}

struct store *cli_open_reader(const char *path)
{
    char buf[4096];
    struct stat st;

    if (path == NULL && (path = cli_default_db(buf, sizeof buf)) == NULL)
        return NULL;
    int writable =
        !store_is_remote(path) && access(path, W_OK) == 0 && stat(path, &st) == 0 && st.st_size > 0;
    return cli_open_store(path, writable ? STORE_READ_WRITE : STORE_READ_ONLY);
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

int cli_number_arg(const char *opt, const char *arg, long min, long max, const char *what,
                   const char *zero_means, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (*end != '\0' || end == arg || errno != 0 || v < min || v > max) {
        if (zero_means != NULL && min == 0)
            cli_error("%s: give %s from 0 (%s) to %ld", opt, what, zero_means, max);
        else
            cli_error("%s: give %s from %ld to %ld", opt, what, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_format_arg(const char *arg, enum out_format *fmt)
{
    if (out_format_parse(arg, fmt) == 0)
        return 0;
    cli_error("--format: '%s' is not one of table, csv, json, tsv", arg);
    return -1;
}

int cli_lock_wait(const char *arg, int64_t *ms)
{
    const struct config *cfg;
    struct diag d = {""};
    char buf[64];
    int64_t s = 0;

    if (arg == NULL) {
        if (cli_config(&cfg) < 0)
            return -1;
        *ms = cfg != NULL ? cfg->lock_wait_ms : CONFIG_DEFAULT_LOCK_WAIT_MS;
        return 0;
    }
    if (arg[0] != '\0' && strspn(arg, "0123456789") == strlen(arg) && strlen(arg) < 20) {
        snprintf(buf, sizeof buf, "%ss", arg);
        arg = buf;
    }
    if (config_duration(arg, &s, &d) < 0 || s > 86400) {
        cli_error("--wait: %s", s > 86400 ? "at most a day" : d.msg);
        return -1;
    }
    *ms = s * 1000;
    return 0;
}

int cli_ingest_threads(void)
{
    return sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
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

const struct command *cli_find_command(const char *name)
{
    for (const struct command *c = commands; c->name != NULL; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}
