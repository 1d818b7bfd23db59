/*
 * rejectlens - why mail was rejected, and what to do about it
 *
 * main - dispatch to a subcommand (commands.c)
 */
#include "cli.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: rejectlens COMMAND [OPTIONS] [ARGS]\n"
                 "       rejectlens --version\n"
                 "\n"
                 "Reads the logs of Postfix, Exim and Exchange, stores every delivery outcome and\n"
                 "SMTP rejection in SQLite, and tells why mail was rejected.\n"
                 "\n"
                 "commands:\n");
    for (const struct command *c = commands; c->name != NULL; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\n'rejectlens COMMAND --help' describes each command; see also rejectlens(1).\n");
}

int main(int argc, char **argv)
{
    /* a reader that went away (report | head) is not an error worth a signal death */
    signal(SIGPIPE, SIG_IGN);
    /* a file size limit (ulimit -f) is a write error to report, with the database intact */
    signal(SIGXFSZ, SIG_IGN);
    setlocale(LC_CTYPE, "C");
    if (argc < 2) {
        usage(stderr);
        return EXIT_FATAL;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("rejectlens %s\n", REJECTLENS_VERSION);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    for (const struct command *c = commands; c->name != NULL; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "rejectlens: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_FATAL;
}
