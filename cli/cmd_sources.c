/*
 * cmd_sources - "rejectlens sources": the log files the database tracks, and how far each
 * was read
 *
 * DESCRIPTION
 *	One row per source (a file as recognised by its first bytes, whatever it is called now),
 *	most recently seen first, with what its path holds today: "up to date", "N bytes
 *	behind" (lines written since the last run), "read to end" (an archive), "gone" (rotated
 *	away), or "replaced" (the name holds another file now). --format tsv gives every column
 *	for scripts.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: rejectlens sources [--db PATH] [--config FILE] [--format text|tsv]\n"
                 "\n"
                 "List the log files the database tracks: the format each was read as, how far\n"
                 "it was read, its counts, when it was last seen, and what its path holds now.\n"
                 "\n"
                 "  --db PATH      database (see rejectlens ingest --help)\n"
                 "  --config FILE  configuration, for its database\n"
                 "  --format F     text (default) or tsv: id, path, format, compression, offset,\n"
                 "                 size, file_size, lines, events, unparsed, at_end, first_seen,\n"
                 "                 last_seen, state\n"
                 "\n"
                 "Exit status: 0 ok, 2 could not run.\n");
}

/*
 * put_safe - a path without control characters (a file name is no place for escapes): on a
 * terminal as cli_put_safe shows any log-derived text; in TSV every C0 control (TAB too), DEL
 * and the backslash as \xNN, so that the columns hold and the text can be read back
 */
static void put_safe(const char *s, int tsv)
{
    if (!tsv) {
        cli_put_safe(stdout, s, strlen(s));
        return;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f || c == '\\')
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

/* state - what the source's path holds today */
static void state(const struct store_source *src, char *buf, size_t cap)
{
    struct stat sb;

    if (strcmp(src->fingerprint, "stream") == 0)
        snprintf(buf, cap, "standard input");
    else if (stat(src->path, &sb) != 0)
        snprintf(buf, cap, "gone");
    else if ((int64_t)sb.st_ino != src->inode || (int64_t)sb.st_dev != src->dev)
        snprintf(buf, cap, "replaced");
    else if (src->compression[0] != '\0')
        snprintf(buf, cap, src->at_end ? "read to end" : "partly read");
    else if ((int64_t)sb.st_size > src->offset)
        snprintf(buf, cap, "%lld bytes behind", (long long)((int64_t)sb.st_size - src->offset));
    else
        snprintf(buf, cap, "up to date");
}

int cmd_sources(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'C'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *format = "text";
    struct store_source *v = NULL;
    struct store *s;
    struct diag d = {""};
    size_t n = 0;
    int c, tsv;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'C':
            cli_config_use(optarg);
            break;
        case 'f':
            format = optarg;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_FATAL;
        }
    }
    if (optind < argc) {
        cli_error("sources: unexpected argument '%s'", argv[optind]);
        return EXIT_FATAL;
    }
    if (strcmp(format, "text") != 0 && strcmp(format, "tsv") != 0) {
        cli_error("--format: give text or tsv");
        return EXIT_FATAL;
    }
    tsv = format[0] == 't' && format[1] == 's';
    if ((s = cli_open_store(db, STORE_READ_ONLY)) == NULL)
        return EXIT_FATAL;
    if (store_sources_list(s, &v, &n, &d) < 0) {
        cli_error("%s", d.msg);
        store_close(s);
        return EXIT_FATAL;
    }
    if (tsv)
        printf("id\tpath\tformat\tcompression\toffset\tsize\tfile_size\tlines\tevents\tunparsed"
               "\tat_end\tfirst_seen\tlast_seen\tstate\n");
    else if (n == 0)
        printf("no sources yet: run 'rejectlens ingest FILE' or 'rejectlens run'\n");
    else
        printf("%4s  %-17s %-25s %10s %9s %8s  %-20s  %-18s  %s\n", "id", "format", "read", "lines",
               "events", "unparsed", "last seen", "now", "path");
    for (size_t i = 0; i < n; i++) {
        const struct store_source *src = &v[i];
        char st[64], fmt[48], read[64];
        state(src, st, sizeof st);
        if (tsv) {
            printf("%lld\t", (long long)src->id);
            put_safe(src->path, 1);
            printf("\t%s\t%s\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%d\t%s\t%s\t%s\n", src->format,
                   src->compression, (long long)src->offset, (long long)src->size,
                   (long long)src->file_size, (long long)src->lines, (long long)src->events,
                   (long long)src->unparsed_lines, src->at_end, src->first_seen, src->last_seen,
                   st);
        } else {
            snprintf(fmt, sizeof fmt, "%s%s%s", src->format[0] ? src->format : "-",
                     src->compression[0] ? "+" : "", src->compression);
            if (src->size > 0)
                snprintf(read, sizeof read, "%lld/%lld B (%.0f%%)", (long long)src->offset,
                         (long long)src->size, 100.0 * (double)src->offset / (double)src->size);
            else
                snprintf(read, sizeof read, "%lld B", (long long)src->offset);
            printf("%4lld  %-17s %-25s %10lld %9lld %8lld  %-20s  %-18s  ", (long long)src->id, fmt,
                   read, (long long)src->lines, (long long)src->events,
                   (long long)src->unparsed_lines, src->last_seen, st);
            put_safe(src->path, 0);
            putchar('\n');
        }
    }
    for (size_t i = 0; i < n; i++)
        store_source_free(&v[i]);
    free(v);
    store_close(s);
    return EXIT_OK;
}
