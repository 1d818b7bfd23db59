/*
 * cmd_rules - "rejectlens rules test|list": check the rules, show the rules in effect
 */
#include "cli.h"
#include "cli_rules.h"
#include "rulecheck.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rejectlens rules test [--config FILE] [--rules FILE]... [--strict]\n"
            "       rejectlens rules list [--config FILE] [--rules FILE]... [--categories]\n"
            "\n"
            "test: load the built-in rules and the admin's files (the configuration's rules, then\n"
            "      --rules), then check that every example\n"
            "      of a rule is classified by that rule (and so into its category), that no\n"
            "      counter-example matches its rule, and that every category has advice.\n"
            "      Each failure is printed as file:line. With --strict, a rule with patterns but\n"
            "      no example is a failure too.\n"
            "list: the rules in the order they are tried, each with its category and the\n"
            "      file:line it comes from (and where an admin file changed it); with\n"
            "      --categories, the categories instead.\n"
            "\n"
            "Exit status: 0 ok, 1 a check failed, 2 the rules do not load or bad usage.\n");
}

static void report(void *arg, const char *msg)
{
    (void)arg;
    printf("%s\n", msg);
}

static int rules_test(struct ruleset *rs, int strict)
{
    size_t examples = 0, counter = 0, failures;

    failures = rules_check(rs, strict, report, NULL);
    for (size_t i = 0; i < rs->nrules; i++) {
        examples += rs->rules[i]->nexamples;
        counter += rs->rules[i]->ncounter_examples;
    }
    printf("%zu categories, %zu rules, %zu examples, %zu counter-examples: %zu failure%s\n",
           rs->ncategories, rs->nrules, examples, counter, failures, failures == 1 ? "" : "s");
    return failures ? EXIT_PROBLEMS : EXIT_OK;
}

static void rules_list(struct ruleset *rs, int categories)
{
    if (categories) {
        for (size_t i = 0; i < rs->ncategories; i++) {
            const struct category *c = rs->categories[i];
            printf("%-24s %-8s %-7s %s:%d  %s\n", c->id, c->severity ? c->severity : "-",
                   c->hardness ? c->hardness : "-", c->origin.file, c->origin.line,
                   c->title ? c->title : "");
        }
        return;
    }
    printf("# %zu rules, %zu categories, %zu patterns (%zu JIT-compiled), rules hash %s\n",
           rs->nrules, rs->ncategories, rs->npatterns, ruleset_jit_count(rs), rs->hash);
    for (size_t i = 0; i < rs->nrules; i++) {
        const struct rule *r = rs->rules[i];
        printf("%4zu  %-40s %-24s %s:%d", i + 1, r->id, r->category_id, r->origin.file,
               r->origin.line);
        if (r->overridden.file)
            printf("  (changed at %s:%d)", r->overridden.file, r->overridden.line);
        if (!r->enabled)
            printf("  disabled");
        putchar('\n');
    }
}

int cmd_rules(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'C'}, {"rules", required_argument, NULL, 'r'},
        {"strict", no_argument, NULL, 's'},       {"categories", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct rules_files files = {{NULL}, 0};
    int strict = 0, categories = 0, c, rc;
    const char *verb;
    struct ruleset *rs;

    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_FATAL : EXIT_OK;
    }
    verb = argv[1];
    if (strcmp(verb, "test") != 0 && strcmp(verb, "list") != 0) {
        cli_error("rules: unknown action '%s' (test or list)", verb);
        return EXIT_FATAL;
    }
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (cli_rules_file(&files, optarg) < 0)
                return EXIT_FATAL;
            break;
        case 's':
            strict = 1;
            break;
        case 'c':
            categories = 1;
            break;
        case 'C':
            cli_config_use(optarg);
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_FATAL;
        }
    }
    if (optind < argc - 1) {
        cli_error("rules %s: unexpected argument '%s'", verb, argv[optind + 1]);
        return EXIT_FATAL;
    }
    if ((rs = cli_rules_load(&files)) == NULL)
        return EXIT_FATAL;
    if (strcmp(verb, "test") == 0) {
        rc = rules_test(rs, strict);
    } else {
        rules_list(rs, categories);
        rc = EXIT_OK;
    }
    ruleset_free(rs);
    return rc;
}
