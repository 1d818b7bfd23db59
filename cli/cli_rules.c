/*
 * cli_rules - the rules in effect for a command (see cli_rules.h)
 */
#include "cli_rules.h"
#include "cli.h"
#include "config.h"
#include "rules_default.h"
#include "xalloc.h"

int cli_rules_file(struct rules_files *f, const char *path)
{
    if (f->n == CLI_MAX_RULES_FILES) {
        cli_error("--rules: at most %d files", CLI_MAX_RULES_FILES);
        return -1;
    }
    f->path[f->n++] = path;
    return 0;
}

struct ruleset *cli_rules_load(const struct rules_files *f)
{
    const struct config *cfg;
    size_t ncfg, n;
    struct rules_source *src;
    struct ruleset *rs = NULL;
    struct diag d = {""};

    if (cli_config(&cfg) < 0)
        return NULL;
    ncfg = cfg != NULL ? cfg->nrules : 0;
    n = rules_default_count + ncfg + (f ? f->n : 0);
    src = xcalloc(n, sizeof *src);
    for (size_t i = 0; i < rules_default_count; i++)
        src[i] = rules_default[i];
    for (size_t i = 0; i < ncfg + (f ? f->n : 0); i++) {
        struct rules_source *s = &src[rules_default_count + i];
        s->name = i < ncfg ? cfg->rules[i] : f->path[i - ncfg];
        s->text = NULL; /* read the file */
        s->layer = (int)i + 1;
    }
    if (ruleset_load(src, n, &rs, &d) < 0) {
        cli_error("%s", d.msg);
        rs = NULL;
    }
    free(src);
    return rs;
}
