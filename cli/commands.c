/*
 * commands - the table of subcommands; a new subcommand is one file and one row here
 */
#include "cli.h"

#include <stddef.h>

int cmd_classify(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_sources(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_trace(int argc, char **argv);

const struct command commands[] = {
    {"run", "the nightly job: ingest, send due reports, prune (from the configuration)", cmd_run},
    {"ingest", "read mail logs into the database", cmd_ingest},
    {"summary", "counts of what the database holds", cmd_summary},
    {"report", "why mail was rejected, and what to do: HTML, CSV, text, JSON or mail", cmd_report},
    {"explain", "why a rejection text happened, and what to do", cmd_explain},
    {"classify", "classify stored reply texts again after a rules change", cmd_classify},
    {"rules", "test the rules, or list the rules in effect", cmd_rules},
    {"sources", "the log files tracked, and how far each was read", cmd_sources},
    {"prune", "forget events older than an age (the sources' offsets stay)", cmd_prune},
    {"db", "check the database's integrity and schema, or migrate it", cmd_db},
    {"trace", "the story of the messages of an address, domain, queue id or IP", cmd_trace},
    {"top", "the commonest causes, domains, clients, ... with the change", cmd_top},
    {"query", "run one read-only SQL statement on the database", cmd_query},
    {NULL, NULL, NULL},
};
