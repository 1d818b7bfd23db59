/*
 * config - the configuration file (docs/config.md): the database, the log sources, the rules
 * files, retention, and the scheduled reports
 *
 * Loading is all or nothing: a YAML error, an unknown key, a value of the wrong type or form,
 * a time zone that does not exist, a report that goes nowhere — each gives one line
 * "file:line: what" and no configuration. Relative paths are taken from the configuration
 * file's directory (the string twin: from the current directory), so that cron, which runs in
 * /, reads the same files as an admin testing in /etc/rejectlens.
 *
 * Nothing here reads the environment or prints: the command line decides which file to load
 * (cli.h) and what to do with an error. Ownership: config_free releases the configuration and
 * every string in it (NULL is a no-op).
 */
#ifndef REJECTLENS_CONFIG_H
#define REJECTLENS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define CONFIG_DEFAULT_PATH "/etc/rejectlens/config.yaml"
#define CONFIG_MAX_FILE     (1L << 20)

/* one entry of `sources:` */
struct config_source {
    char **paths; /* globs, absolute */
    size_t npaths;
    const char *format; /* "auto" or a parser name (static) */
    char *host;         /* recorded for lines that name none; NULL */
    char *timezone;     /* of logs without a zone (TZ syntax); NULL: the system's */
    int line;
};

enum config_period { PERIOD_DAILY, PERIOD_WEEKLY, PERIOD_MONTHLY };

/* one entry of `reports:` */
struct config_report {
    char *name;
    enum config_period period;
    int weekday;  /* weekly: the day it is sent, 0 Sunday .. 6 Saturday (default Monday) */
    int monthday; /* monthly: the day of the month it is sent, 1..31 (default 1) */
    char **to;    /* recipients; may be none when directory is given */
    size_t nto;
    char *from, *subject;
    char *sendmail; /* a path; NULL with smtp, or for the report command's default */
    char *smtp, *smtp_user, *smtp_password_file, *smtp_tls, *smtp_cacert;
    const char **formats; /* static names, written into directory */
    size_t nformats;
    char *directory;
    char *mta, *host, *direction, *codes; /* the report's filters; NULL: none */
    long top;                             /* 0: the report's default */
    int line;
};

struct config {
    char *file;     /* as given */
    char *database; /* NULL: not given */
    int64_t lock_wait_ms;
    int64_t retention_s; /* 0: keep every event */
    char **rules;
    size_t nrules;
    struct config_source *sources;
    size_t nsources;
    struct config_report *reports;
    size_t nreports;
};

#define CONFIG_DEFAULT_LOCK_WAIT_MS 60000

/* config_load - read and check the file at path; 0, or -1 with d set ("file:line: what") */
int config_load(const char *path, struct config **out, struct diag *d);

/* config_load_string - the string twin for tests; relative paths are from the current dir */
int config_load_string(const char *name, const char *text, struct config **out, struct diag *d);

void config_free(struct config *c);

/*
 * config_duration - "90d", "12w", "36h", "30m", "45s" into seconds; 0, or -1 with a message
 * (no "file:line") in d. Used for --older-than too.
 */
int config_duration(const char *s, int64_t *seconds, struct diag *d);

/* config_period_name - "daily", "weekly", "monthly" */
const char *config_period_name(enum config_period p);

#endif
