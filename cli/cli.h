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
#include <stdint.h>

#include "store.h"

#define EXIT_OK 0
#define EXIT_PROBLEMS 1 /* finished, but something needs an admin's eyes */
#define EXIT_FATAL 2    /* could not run: bad usage, unusable database or environment */

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
 * cli_default_db - the database used without --db: $REJECTLENS_DB, else
 * /var/lib/rejectlens/rejectlens.db for root, else $XDG_DATA_HOME/rejectlens/rejectlens.db
 * (~/.local/share/rejectlens/rejectlens.db). Writes into buf; returns buf.
 */
const char *cli_default_db(char *buf, size_t cap);

/*
 * cli_open_store - open the database at path (or the default); for writing, its directory is
 * created. Prints the error and returns NULL on failure.
 */
struct store *cli_open_store(const char *path, enum store_mode mode);

/* cli_time_range - parse --since/--until (either may be NULL); prints errors; 0 or -1 */
int cli_time_range(const char *since, const char *until, int64_t *since_us, int64_t *until_us);

/*
 * cli_stop_requested - set to the signal number by SIGINT/SIGTERM once cli_catch_stop_signals()
 * ran: long commands finish the batch they are in and stop cleanly
 */
extern volatile sig_atomic_t cli_stop_requested;
void cli_catch_stop_signals(void);

/* cli_wants_help - 1 when argv holds -h or --help before any "--" */
int cli_wants_help(int argc, char **argv);

#endif
