/*
 * commands - the table of subcommands; a new subcommand is one file and one row here
 */
#include "cli.h"

#include <stddef.h>

int cmd_ingest(int argc, char **argv);
int cmd_summary(int argc, char **argv);

const struct command commands[] = {
    {"ingest", "read mail logs into the database", cmd_ingest},
    {"summary", "counts of what the database holds", cmd_summary},
    {NULL, NULL, NULL},
};
