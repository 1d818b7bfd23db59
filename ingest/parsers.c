/*
 * parsers - the table of log formats (see parser.h)
 */
#include "parser.h"

#include <stdio.h>
#include <string.h>

extern const struct parser_ops postfix_parser;
extern const struct parser_ops exim_parser;
extern const struct parser_ops exchange_parser;

static const struct parser_ops *const parser_table[] = {
    &postfix_parser,
    &exim_parser,
    &exchange_parser,
};

#define PARSER_COUNT (sizeof parser_table / sizeof parser_table[0])

const struct parser_ops *parser_by_name(const char *name)
{
    for (size_t i = 0; i < PARSER_COUNT; i++)
        if (strcmp(parser_table[i]->name, name) == 0)
            return parser_table[i];
    return NULL;
}

const struct parser_ops *parser_detect(const struct log_line *lines, size_t n)
{
    const struct parser_ops *best = NULL;
    size_t best_hits = 0;

    for (size_t p = 0; p < PARSER_COUNT; p++) {
        size_t hits = 0;
        for (size_t i = 0; i < n; i++)
            hits += parser_table[p]->sniff(lines[i].text, lines[i].len) != 0;
        if (hits > best_hits) {
            best = parser_table[p];
            best_hits = hits;
        }
    }
    return best;
}

void parser_names(char *buf, size_t cap)
{
    size_t used = 0;

    if (cap == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < PARSER_COUNT && used < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", parser_table[i]->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
