/*
 * rules_default - the default rules (the YAML files in rules/), built into the binary
 *
 * The table is generated at build time by cmake/embed_rules.c, in the order the files are
 * listed in CMakeLists.txt (REJECTLENS_RULE_FILES): that is the order their rules are tried.
 * Every entry is layer 0; its name is the file's path in the source tree.
 */
#ifndef REJECTLENS_RULES_DEFAULT_H
#define REJECTLENS_RULES_DEFAULT_H

#include <stddef.h>

#include "rules.h"

extern const struct rules_source rules_default[];
extern const size_t rules_default_count;

#endif
