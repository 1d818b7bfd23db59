/*
 * run_reports - the report step of "rejectlens run": the scheduled reports that are due
 *
 * For each report of the configuration: the period due today (schedule.h); nothing when the
 * database says it was sent (or a run died sending it: never twice); otherwise "sending" is
 * recorded, the report command is called in this process with an argv built from the
 * configuration (once per file format to keep, once for the mail), and "sent" recorded when
 * every call succeeded. A failure is forgotten, so the next run tries again.
 *
 * The report command is reached through the table of commands (cli_find_command("report"));
 * a build without it would still schedule: each due report is then a warning that says so,
 * and nothing is recorded (test_run drives that path with a stand-in).
 */
#ifndef REJECTLENS_RUN_REPORTS_H
#define REJECTLENS_RUN_REPORTS_H

#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "schedule.h"
#include "store.h"

/* the entry function of a subcommand: cmd_report(argc, argv) */
typedef int (*report_main)(int argc, char **argv);

struct argv_list {
    char **v; /* NULL-terminated; owned */
    int n, cap;
};

void argv_list_free(struct argv_list *a);

/*
 * run_report_argv - the argv for the report command ("report", then options) for report r of
 * period p on database db: the mail when format is NULL, else the file of that format in r's
 * directory (the file's path in *file when file is not NULL; owned by the list)
 */
void run_report_argv(const struct config_report *r, const char *db, const struct due_period *p,
                     const char *format, struct argv_list *out, const char **file);

struct run_reports_result {
    int due;      /* reports due and not sent before */
    int sent;     /* of which sent now */
    int problems; /* warnings printed: failures, a build without the report command, ... */
};

/*
 * run_reports - send what is due at now_s (local time). fn NULL: this build has no report
 * command. Warnings go to standard error; with verbose, what was sent goes to standard output.
 * 0, or -1 with d set when the database failed.
 */
int run_reports(struct store *s, const struct config *cfg, const char *db, int64_t now_s,
                report_main fn, int verbose, struct run_reports_result *res, struct diag *d);

#endif
