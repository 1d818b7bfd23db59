/*
 * commands - the table of subcommands; a new subcommand is one file and one row here
 */
#include "cli.h"

#include <stddef.h>

int cmd_classify(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_trace(int argc, char **argv);

const struct command commands[] = {
    {"ingest", "read mail logs into the database", cmd_ingest},
    {"summary", "counts of what the database holds", cmd_summary},
    {"explain", "why a rejection text happened, and what to do", cmd_explain},
    {"classify", "classify stored reply texts again after a rules change", cmd_classify},
    {"rules", "test the rules, or list the rules in effect", cmd_rules},
    {"trace", "the story of the messages of an address, domain, queue id or IP", cmd_trace},
    {"top", "the commonest causes, domains, clients, ... with the change", cmd_top},
    {"query", "run one read-only SQL statement on the database", cmd_query},
    {NULL, NULL, NULL},
};
