/*
 * cli_rules - the rules in effect for a command (see cli_rules.h)
 */
#include "cli_rules.h"
#include "cli.h"
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
    size_t n = rules_default_count + (f ? f->n : 0);
    struct rules_source *src = xcalloc(n, sizeof *src);
    struct ruleset *rs = NULL;
    struct diag d = {""};

    for (size_t i = 0; i < rules_default_count; i++)
        src[i] = rules_default[i];
    for (size_t i = 0; f != NULL && i < f->n; i++) {
        struct rules_source *s = &src[rules_default_count + i];
        s->name = f->path[i];
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
