/*
 * cli_rules - the rules in effect for a command: the defaults built into the binary, then the
 * `rules:` files of the configuration, then each --rules FILE in the order given (see rules.h
 * for how later files add and override). Every command that classifies sees the same rules,
 * so `classify` after a nightly `run` finds nothing stale.
 */
#ifndef REJECTLENS_CLI_RULES_H
#define REJECTLENS_CLI_RULES_H

#include <stddef.h>

#include "rules.h"

#define CLI_MAX_RULES_FILES 16

struct rules_files {
    const char *path[CLI_MAX_RULES_FILES];
    size_t n;
};

/* cli_rules_file - remember one --rules FILE; prints the error and returns -1 when too many */
int cli_rules_file(struct rules_files *f, const char *path);

/* cli_rules_load - load the rules; prints the error and returns NULL on failure */
struct ruleset *cli_rules_load(const struct rules_files *f);

#endif
