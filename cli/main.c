/*
 * rejectlens - why mail was rejected, and what to do about it
 *
 * main - dispatch to a subcommand (commands.c)
 */
#include "cli.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* reader_gone - 1 when standard output is a pipe (or socket) that nobody reads any more */
static int reader_gone(void)
{
    struct pollfd p = {STDOUT_FILENO, POLLOUT, 0};

    return poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

/*
 * finish_output - write out what stdout holds. A reader that went away ("summary | head") has
 * what it wanted: the command's own status stands, and nothing is said. Any other write error
 * (a full disk under "summary > file") means the output is incomplete: a message, status 2.
 */
static int finish_output(int rc)
{
    int err = 0;

    errno = 0;
    if (fflush(stdout) != 0)
        err = errno;
    else if (!ferror(stdout))
        return rc;
    if (reader_gone())
        return rc;
    cli_error("standard output: %s", err != 0 ? strerror(err) : "write error");
    return EXIT_FATAL;
}

int main(int argc, char **argv)
{
    /* a reader that went away (report | head) is not an error worth a signal death */
    signal(SIGPIPE, SIG_IGN);
    /* a file size limit (ulimit -f) is a write error to report, with the database intact */
    signal(SIGXFSZ, SIG_IGN);
    setlocale(LC_CTYPE, "C");
    store_process_init();
    if (argc < 2) {
        usage(stderr);
        return EXIT_FATAL;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("rejectlens %s\n", REJECTLENS_VERSION);
        return finish_output(EXIT_OK);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return finish_output(EXIT_OK);
    }
    for (const struct command *c = commands; c->name != NULL; c++)
        if (strcmp(argv[1], c->name) == 0)
            return finish_output(c->run(argc - 1, argv + 1));
    fprintf(stderr, "rejectlens: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_FATAL;
}
