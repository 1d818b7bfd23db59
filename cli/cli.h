/*
 * cli - what the subcommands share: exit codes, the database location, error printing
 *
 * This is the edge of the program: the only place that prints diagnostics, reads the
 * environment and decides exit codes (see the EXIT STATUS section of the man page).
 */
#ifndef REJECTLENS_CLI_H
#define REJECTLENS_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "out.h"
#include "store.h"

#define EXIT_OK       0
#define EXIT_PROBLEMS 1 /* finished, but something needs an admin's eyes */
#define EXIT_FATAL    2 /* could not run: bad usage, unusable database or environment */

#define REJECTLENS_VERSION "0.1.0"

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

/* the table of subcommands (commands.c) */
extern const struct command commands[];

/* cli_error - print "rejectlens: message" on stderr */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * cli_put_safe - write n bytes of log-derived text (a line, a reply, a file name) to out as a
 * terminal may show them: control characters (C0, DEL, C1, NUL included) and bidirectional
 * overrides as visible \xNN and \u{NNNN}, invalid UTF-8 as U+FFFD (esc_text)
 */
void cli_put_safe(FILE *out, const char *s, size_t n);

struct config;

/*
 * cli_config_use - the --config PATH of this command; NULL (the default): $REJECTLENS_CONFIG
 * when set and not empty, else /etc/rejectlens/config.yaml when it exists
 */
void cli_config_use(const char *path);

/*
 * cli_config - the configuration in effect, loaded once per process. 0 with *cfg set, or NULL
 * when there is none (no --config, no $REJECTLENS_CONFIG, and no default file; a default file
 * this user may not read is passed over with a warning). -1 after printing the error (a file
 * named but missing, or bad: "file:line: what").
 */
int cli_config(const struct config **cfg);

/* cli_config_required - like cli_config, but no configuration at all is an error too */
int cli_config_required(const struct config **cfg);

/*
 * cli_default_db - the database used without --db: $REJECTLENS_DB, else the configuration's
 * `database`, else /var/lib/rejectlens/rejectlens.db for root, else
 * $XDG_DATA_HOME/rejectlens/rejectlens.db (~/.local/share/rejectlens/rejectlens.db). Writes
 * into buf; returns buf, or NULL after printing why the configuration could not be read.
 */
const char *cli_default_db(char *buf, size_t cap);

/* cli_db_path - path itself when not NULL, else cli_default_db() */
const char *cli_db_path(const char *path, char *buf, size_t cap);

/* cli_make_parents - create the directories above path (mkdir -p of its dirname); 0 or -1 */
int cli_make_parents(const char *path);

/*
 * cli_open_store - open the database at path (or the default); for writing, its directory is
 * created. Prints the error and returns NULL on failure.
 */
struct store *cli_open_store(const char *path, enum store_mode mode);

/*
 * cli_open_reader - open the database at path (or the default) for a command that reads it:
 * for writing when this user may write the file and it holds something (it is then migrated,
 * and the roll-ups the readers need are kept in it), else only to read. An empty file, a first
 * ingest killed before it committed, is left as it is. Prints the error and returns NULL on
 * failure.
 */
struct store *cli_open_reader(const char *path);

/*
 * cli_lock_run - take the run lock of a database: an flock(2) on DB.lock beside it, held until
 * the process exits, so that two ingests, runs or prunes never read the same offsets at once.
 * Waits up to wait_ms for another run to finish (SIGINT/SIGTERM end the wait). 0 held, -1
 * after printing why not (another run, or a lock file that cannot be made).
 */
int cli_lock_run(const char *db_path, int64_t wait_ms);

/* cli_time_range - parse --since/--until (either may be NULL); prints errors; 0 or -1 */
int cli_time_range(const char *since, const char *until, int64_t *since_us, int64_t *until_us);

/*
 * cli_stop_requested - set to the signal number by SIGINT/SIGTERM once cli_catch_stop_signals()
 * ran: long commands finish the batch they are in and stop cleanly
 */
extern volatile sig_atomic_t cli_stop_requested;
void cli_catch_stop_signals(void);

/*
 * cli_number_arg - the value of a numeric option (opt, e.g. "--limit"): a whole number from min
 * to max, nothing else; what it counts goes into the error ("a number of lines"), and zero_means
 * when not NULL says what 0 stands for ("all"). 0, or -1 after printing the error.
 */
int cli_number_arg(const char *opt, const char *arg, long min, long max, const char *what,
                   const char *zero_means, long *out);

/* cli_format_arg - --format for the ad-hoc outputs (table, csv, json, tsv); 0, or -1 after
 * printing the error */
int cli_format_arg(const char *arg, enum out_format *fmt);

/*
 * cli_lock_wait - how long to wait for another run's lock: --wait DURATION when given ("30s",
 * "2m", or seconds), else the configuration's lock_wait, else 60 s. -1 after printing a bad
 * --wait.
 */
int cli_lock_wait(const char *arg, int64_t *ms);

/*
 * cli_ingest_threads - the threads an ingest uses by default: 2 (the store writes in one while
 * the lines are read and parsed in the other) when the machine has two CPUs or more, else 1
 */
int cli_ingest_threads(void);

/* cli_wants_help - 1 when argv holds -h or --help before any "--" */
int cli_wants_help(int argc, char **argv);

/* cli_find_command - the subcommand of that name, or NULL (when this build has none) */
const struct command *cli_find_command(const char *name);

#endif
