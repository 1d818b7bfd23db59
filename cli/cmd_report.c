/*
 * cmd_report - "rejectlens report": why mail was refused in a period, and what to do; written
 * as HTML, CSV, text or JSON, or mailed
 *
 * DESCRIPTION
 *	The command line into a report_request (period, filters, sizes), the database and rules
 *	into the one model (aggregate.h), the model through a writer (writers.h) to a file or
 *	standard output, and, with --mail-to, the text, HTML and CSV renderings of the same model
 *	into one message (mail.h) for sendmail or an SMTP server.
 *
 * EXIT STATUS
 *	0 done; 1 the report was made but could not be mailed; 2 bad usage, no database, bad
 *	rules, or the output could not be written.
 */
#include "aggregate.h"
#include "cli.h"
#include "cli_rules.h"
#include "mail.h"
#include "period.h"
#include "timeparse.h"
#include "writers.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SENDMAIL "/usr/sbin/sendmail"

static void usage(FILE *out)
{
    char formats[128], tables[256];

    report_writer_names(formats, sizeof formats);
    csv_table_names(tables, sizeof tables);
    fprintf(
        out,
        "usage: rejectlens report [--db PATH] [--rules FILE]...\n"
        "           [--period yesterday|today|last-week|last-month|DATE|DATE..DATE]\n"
        "           [--since T [--until T]] [--compare previous|none] [--now T]\n"
        "           [--mta M] [--host H] [--direction inbound|outbound]\n"
        "           [--only-550 | --codes 5xx,4xx,554,...] [--top N]\n"
        "           [--format html|csv|text|json] [--table NAME] [-o FILE]\n"
        "           [--mail-to ADDR,... [--mail-from ADDR] [--subject S]\n"
        "            [--sendmail PATH | --smtp URL [--smtp-user U] [--smtp-tls T]\n"
        "             [--smtp-cacert FILE]] [--mail-dry-run]]\n"
        "\n"
        "Why mail was rejected in a period, and what to do: totals, the 550 rejections and\n"
        "all 4xx/5xx failures by cause with the change against the period before, a series\n"
        "per day (per hour for one day), top recipients, domains, clients, HELO names,\n"
        "senders and relays per cause, advice filled with the period's data and real\n"
        "examples, the commonest texts no rule knows, and how the logs read.\n"
        "\n"
        "  --db PATH          database (see rejectlens ingest --help)\n"
        "  --rules FILE       add an admin rules file (titles, who acts, advice; repeatable)\n"
        "  --period P         yesterday, today, last-week (the last full Monday-Sunday week,\n"
        "                     the default), last-month, 2026-01-05 or 2026-01-05..2026-01-11;\n"
        "                     local time (set TZ to choose the zone)\n"
        "  --since T, --until T  any other range (times as for summary; --until: now)\n"
        "  --compare C        previous (default): against the period just before; none\n"
        "  --now T            make the report as if it were T (re-make an old week's report)\n"
        "  --mta M, --host H  only events of that MTA or log host\n"
        "  --direction D      inbound (our server refused) or outbound (remote servers did)\n"
        "  --only-550         only failures with reply code 550\n"
        "  --codes LIST       only these: 5xx, 4xx and exact codes (550,554)\n"
        "  --top N            rows per top list (default 10)\n"
        "  --format F         one of: %s (default: from -o's extension, else text)\n"
        "  --table NAME       the CSV table (default categories): %s\n"
        "  -o FILE            write to FILE (replaced whole) instead of standard output\n"
        "\n"
        "Mail (text and HTML alternatives, the CSV table attached):\n"
        "  --mail-to LIST     recipients, comma-separated addresses\n"
        "  --mail-from ADDR   sender (default rejectlens@HOSTNAME)\n"
        "  --subject S        subject (default: the headline numbers and the period)\n"
        "  --sendmail PATH    pipe to PATH -t -i (default " DEFAULT_SENDMAIL ")\n"
        "  --smtp URL         send with SMTP instead: smtp://HOST[:PORT] or smtps://HOST[:PORT]\n"
        "  --smtp-user U      authenticate as U; the password is $REJECTLENS_SMTP_PASSWORD\n"
        "                     or the first line of --smtp-password-file FILE\n"
        "  --smtp-tls T       for smtp://: starttls (required, default), try, or none\n"
        "  --smtp-cacert FILE trust the CA certificates in FILE\n"
        "  --mail-dry-run     write the message to standard output instead of sending it\n"
        "\n"
        "Exit status: 0 ok, 1 the report was made but not mailed, 2 could not run.\n",
        formats, tables);
}

struct opts {
    const char *db, *period, *since, *until, *now, *compare, *format, *table, *output;
    const char *mail_to, *mail_from, *subject, *sendmail, *smtp, *smtp_user, *smtp_tls;
    const char *smtp_cacert, *smtp_password_file, *codes;
    int only_550, dry_run, smtp_verbose;
    long top;
    struct rules_files rules;
};

/* parse_codes - "5xx,4xx,550" into the filter; 0 or -1 (printed) */
static int parse_codes(const char *arg, struct store_report_filter *f)
{
    char buf[256], *save = NULL;

    if (snprintf(buf, sizeof buf, "%s", arg) >= (int)sizeof buf) {
        cli_error("--codes: too long");
        return -1;
    }
    f->code_filter = 1;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (strcmp(t, "4xx") == 0 || strcmp(t, "4XX") == 0)
            f->classes |= 1u << 4;
        else if (strcmp(t, "5xx") == 0 || strcmp(t, "5XX") == 0)
            f->classes |= 1u << 5;
        else if (strlen(t) == 3 && (t[0] == '4' || t[0] == '5') && t[1] >= '0' && t[1] <= '9' &&
                 t[2] >= '0' && t[2] <= '9') {
            if (f->ncodes == STORE_REPORT_MAX_CODES) {
                cli_error("--codes: at most %d exact codes", STORE_REPORT_MAX_CODES);
                return -1;
            }
            f->codes[f->ncodes++] = atoi(t);
        } else {
            cli_error("--codes: '%s' is neither 4xx, 5xx nor a reply code like 550", t);
            return -1;
        }
    }
    if (f->classes == 0 && f->ncodes == 0) {
        cli_error("--codes: give 5xx, 4xx or reply codes");
        return -1;
    }
    return 0;
}

/* format_from_name - the writer --format or -o's extension ask for */
static const struct report_writer *choose_writer(const struct opts *o)
{
    const char *ext;

    if (o->format != NULL) {
        const struct report_writer *w = report_writer_find(o->format);
        if (w == NULL) {
            char names[128];
            report_writer_names(names, sizeof names);
            cli_error("--format: give one of %s", names);
        }
        return w;
    }
    if (o->output != NULL && (ext = strrchr(o->output, '.')) != NULL) {
        if (strcmp(ext, ".htm") == 0)
            return report_writer_find("html");
        for (const struct report_writer *w = report_writers; w->name; w++)
            if (strcmp(ext + 1, w->extension) == 0)
                return w;
    }
    return report_writer_find("text");
}

/*
 * write_file - data to path as a whole: a temporary file beside it, renamed over it. A path
 * that is not a regular file (/dev/null, a pipe) is written as it is: a rename would replace
 * the device itself (root running 'report -o /dev/null' once turned it into a file).
 */
static int write_file(const char *path, const char *data, size_t len)
{
    char tmp[4096];
    mode_t mask;
    struct stat sb;
    int fd;

    if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        FILE *f = fopen(path, "w");
        int ok = f != NULL && fwrite(data, 1, len, f) == len;
        if (f != NULL && fclose(f) != 0)
            ok = 0;
        if (!ok) {
            cli_error("%s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (strcmp(path, "-") == 0) {
        /* a reader that went away (report | head) has what it wanted: not an error; any
         * other failure is said once, by main() when it flushes standard output */
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
            return errno == EPIPE ? 0 : -1;
        return 0;
    }
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
        cli_error("%s: path too long", path);
        return -1;
    }
    if ((fd = mkstemp(tmp)) < 0) {
        cli_error("%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            cli_error("%s: %s", path, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        cli_error("%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* random_hex - n random bytes as hex (for Message-ID and MIME boundaries) */
static void random_hex(char *out, size_t n)
{
    unsigned char b[16];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = 0;

    if (n > sizeof b)
        n = sizeof b;
    if (f != NULL) {
        got = fread(b, 1, n, f);
        fclose(f);
    }
    if (got < n) {
        unsigned long v = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
        for (size_t i = 0; i < n; i++, v = v * 6364136223846793005UL + 1442695040888963407UL)
            b[i] = (unsigned char)(v >> 33);
    }
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* read_password - the first line of a file */
static int read_password(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        cli_error("--smtp-password-file: %s: %s", path, strerror(errno));
        return -1;
    }
    if (fgets(buf, (int)cap, f) == NULL)
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int mail_report(const struct opts *o, const struct report_model *m)
{
    struct report_options ro = {o->table};
    struct strbuf text = STRBUF_INIT, html = STRBUF_INIT, csv = STRBUF_INIT, msg = STRBUF_INIT;
    struct strbuf subject = STRBUF_INIT;
    struct mail_spec sp;
    struct diag d = {""};
    char list[4096], from[300], host[256], name[128], day[16], rnd[40], password[512];
    char *save = NULL;
    int rc = EXIT_OK;
    struct tm tm;
    time_t since = (time_t)(m->since_us / US_PER_SEC);

    memset(&sp, 0, sizeof sp);
    if (snprintf(list, sizeof list, "%s", o->mail_to) >= (int)sizeof list) {
        cli_error("--mail-to: too long");
        return EXIT_FATAL;
    }
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        size_t n = strlen(t);
        while (n > 0 && t[n - 1] == ' ')
            t[--n] = '\0';
        if (n == 0)
            continue;
        if (!mail_address_ok(t)) {
            cli_error("--mail-to: not a mail address: '%s' (give local@domain)", t);
            return EXIT_FATAL;
        }
        if (sp.nto == MAIL_MAX_RCPT) {
            cli_error("--mail-to: at most %d recipients", MAIL_MAX_RCPT);
            return EXIT_FATAL;
        }
        sp.to[sp.nto++] = t;
    }
    if (sp.nto == 0) {
        cli_error("--mail-to: give at least one address");
        return EXIT_FATAL;
    }
    if (o->mail_from != NULL) {
        snprintf(from, sizeof from, "%s", o->mail_from);
    } else {
        if (gethostname(host, sizeof host) < 0 || host[0] == '\0')
            snprintf(host, sizeof host, "localhost");
        host[sizeof host - 1] = '\0';
        snprintf(from, sizeof from, "rejectlens@%s", host);
    }
    if (!mail_address_ok(from)) {
        cli_error("--mail-from: not a mail address: '%s' (give local@domain)", from);
        return EXIT_FATAL;
    }
    if (o->subject != NULL)
        strbuf_puts(&subject, o->subject);
    else
        strbuf_printf(&subject, "%s: %lld rejected with 550, %lld failures - %s", m->title,
                      (long long)m->totals.failures_550, (long long)m->totals.failures, m->range);
    if (report_write_text(m, &ro, &text, &d) < 0 || report_write_html(m, &ro, &html, &d) < 0 ||
        report_write_csv(m, &ro, &csv, &d) < 0) {
        cli_error("%s", d.msg);
        rc = EXIT_FATAL;
        goto done;
    }
    localtime_r(&since, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    snprintf(name, sizeof name, "rejectlens-%s-%s.csv", o->table ? o->table : "categories", day);
    random_hex(rnd, 9);
    sp.from = from;
    sp.subject = strbuf_str(&subject);
    sp.text = strbuf_str(&text);
    sp.html = strbuf_str(&html);
    sp.attachment = strbuf_str(&csv);
    sp.attachment_len = csv.len;
    sp.attachment_name = name;
    sp.attachment_type = "text/csv; charset=utf-8";
    sp.date_s = (int64_t)time(NULL);
    sp.random = rnd;
    if (mail_compose(&sp, &msg, &d) < 0) {
        cli_error("%s", d.msg);
        rc = EXIT_FATAL;
        goto done;
    }
    if (o->dry_run) {
        if (write_file("-", msg.buf, msg.len) < 0)
            rc = EXIT_FATAL;
        goto done;
    }
    if (o->smtp != NULL) {
        struct smtp_options so;
        memset(&so, 0, sizeof so);
        so.url = o->smtp;
        so.tls = SMTP_TLS_STARTTLS;
        if (o->smtp_tls != NULL) {
            if (strcmp(o->smtp_tls, "try") == 0)
                so.tls = SMTP_TLS_TRY;
            else if (strcmp(o->smtp_tls, "none") == 0)
                so.tls = SMTP_TLS_NONE;
            else if (strcmp(o->smtp_tls, "starttls") != 0) {
                cli_error("--smtp-tls: give starttls, try or none");
                rc = EXIT_FATAL;
                goto done;
            }
        }
        so.cacert = o->smtp_cacert;
        so.user = o->smtp_user;
        so.verbose = o->smtp_verbose;
        if (o->smtp_user != NULL) {
            const char *env = getenv("REJECTLENS_SMTP_PASSWORD");
            if (o->smtp_password_file != NULL) {
                if (read_password(o->smtp_password_file, password, sizeof password) < 0) {
                    rc = EXIT_FATAL;
                    goto done;
                }
                so.password = password;
            } else if (env != NULL) {
                so.password = env;
            } else {
                cli_error("--smtp-user: set REJECTLENS_SMTP_PASSWORD or give "
                          "--smtp-password-file");
                rc = EXIT_FATAL;
                goto done;
            }
        }
        if (mail_send_smtp(&so, from, sp.to, sp.nto, msg.buf, msg.len, &d) < 0) {
            cli_error("the report was not mailed: %s", d.msg);
            rc = EXIT_PROBLEMS;
        }
        memset(password, 0, sizeof password);
    } else if (mail_send_sendmail(o->sendmail ? o->sendmail : DEFAULT_SENDMAIL, msg.buf, msg.len,
                                  &d) < 0) {
        cli_error("%s", d.msg);
        rc = EXIT_PROBLEMS;
    }
done:
    strbuf_free(&text);
    strbuf_free(&html);
    strbuf_free(&csv);
    strbuf_free(&msg);
    strbuf_free(&subject);
    return rc;
}

/* request - the period and filters of the command line; 0 or -1 (printed) */
static int request(const struct opts *o, struct report_request *rq)
{
    struct diag d = {""};
    struct period p;
    int64_t now_us = rq->now_us;

    if (o->now != NULL) {
        if (time_arg_parse(o->now, now_us / US_PER_SEC, 0, &now_us, &d) < 0) {
            cli_error("--now: %s", d.msg);
            return -1;
        }
        rq->now_us = now_us;
    }
    if (o->period != NULL && (o->since != NULL || o->until != NULL)) {
        cli_error("give --period or --since/--until, not both");
        return -1;
    }
    if (o->since != NULL || o->until != NULL) {
        int64_t since, until = now_us;
        if (o->since == NULL) {
            cli_error("--until needs --since");
            return -1;
        }
        if (time_arg_parse(o->since, now_us / US_PER_SEC, 0, &since, &d) < 0) {
            cli_error("--since: %s", d.msg);
            return -1;
        }
        if (o->until != NULL && time_arg_parse(o->until, now_us / US_PER_SEC, 1, &until, &d) < 0) {
            cli_error("--until: %s", d.msg);
            return -1;
        }
        if (since >= until) {
            cli_error("--since must be before --until");
            return -1;
        }
        period_before(since, until, &p);
    } else if (period_parse(o->period ? o->period : "last-week", now_us, &p, &d) < 0) {
        cli_error("%s", d.msg);
        return -1;
    }
    rq->period = o->period ? o->period : o->since ? NULL : "last-week";
    rq->filter.since_us = p.since_us;
    rq->filter.until_us = p.until_us;
    rq->prev_since_us = p.prev_since_us;
    rq->prev_until_us = p.prev_until_us;
    if (o->compare == NULL || strcmp(o->compare, "previous") == 0)
        rq->compare = 1;
    else if (strcmp(o->compare, "none") == 0)
        rq->compare = 0;
    else {
        cli_error("--compare: give previous or none");
        return -1;
    }
    if (o->only_550 && o->codes != NULL) {
        cli_error("give --only-550 or --codes, not both");
        return -1;
    }
    if (o->only_550) {
        rq->filter.code_filter = 1;
        rq->filter.codes[rq->filter.ncodes++] = 550;
        rq->codes = "550";
    } else if (o->codes != NULL) {
        if (parse_codes(o->codes, &rq->filter) < 0)
            return -1;
        rq->codes = o->codes;
    }
    if (o->top >= 0)
        rq->top_n = (size_t)o->top;
    return 0;
}

int cmd_report(int argc, char **argv)
{
    enum {
        O_DB = 256,
        O_RULES,
        O_PERIOD,
        O_SINCE,
        O_UNTIL,
        O_NOW,
        O_COMPARE,
        O_MTA,
        O_HOST,
        O_DIRECTION,
        O_ONLY550,
        O_CODES,
        O_TOP,
        O_FORMAT,
        O_TABLE,
        O_MAILTO,
        O_MAILFROM,
        O_SUBJECT,
        O_SENDMAIL,
        O_SMTP,
        O_SMTPUSER,
        O_SMTPPWFILE,
        O_SMTPTLS,
        O_SMTPCA,
        O_SMTPVERBOSE,
        O_DRYRUN,
    };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, O_DB},
        {"rules", required_argument, NULL, O_RULES},
        {"period", required_argument, NULL, O_PERIOD},
        {"since", required_argument, NULL, O_SINCE},
        {"until", required_argument, NULL, O_UNTIL},
        {"now", required_argument, NULL, O_NOW},
        {"compare", required_argument, NULL, O_COMPARE},
        {"mta", required_argument, NULL, O_MTA},
        {"host", required_argument, NULL, O_HOST},
        {"direction", required_argument, NULL, O_DIRECTION},
        {"only-550", no_argument, NULL, O_ONLY550},
        {"codes", required_argument, NULL, O_CODES},
        {"top", required_argument, NULL, O_TOP},
        {"format", required_argument, NULL, O_FORMAT},
        {"table", required_argument, NULL, O_TABLE},
        {"output", required_argument, NULL, 'o'},
        {"mail-to", required_argument, NULL, O_MAILTO},
        {"mail-from", required_argument, NULL, O_MAILFROM},
        {"subject", required_argument, NULL, O_SUBJECT},
        {"sendmail", required_argument, NULL, O_SENDMAIL},
        {"smtp", required_argument, NULL, O_SMTP},
        {"smtp-user", required_argument, NULL, O_SMTPUSER},
        {"smtp-password-file", required_argument, NULL, O_SMTPPWFILE},
        {"smtp-tls", required_argument, NULL, O_SMTPTLS},
        {"smtp-cacert", required_argument, NULL, O_SMTPCA},
        {"smtp-verbose", no_argument, NULL, O_SMTPVERBOSE},
        {"mail-dry-run", no_argument, NULL, O_DRYRUN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct opts o;
    struct report_request rq;
    struct report_model m;
    struct ruleset *rs = NULL;
    struct store *s = NULL;
    struct diag d = {""};
    const struct report_writer *w;
    int c, rc = EXIT_FATAL;

    memset(&o, 0, sizeof o);
    o.top = -1;
    report_request_init(&rq);
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case O_DB:
            o.db = optarg;
            break;
        case O_RULES:
            if (cli_rules_file(&o.rules, optarg) < 0)
                return EXIT_FATAL;
            break;
        case O_PERIOD:
            o.period = optarg;
            break;
        case O_SINCE:
            o.since = optarg;
            break;
        case O_UNTIL:
            o.until = optarg;
            break;
        case O_NOW:
            o.now = optarg;
            break;
        case O_COMPARE:
            o.compare = optarg;
            break;
        case O_MTA:
            rq.filter.mta = optarg;
            break;
        case O_HOST:
            rq.filter.host = optarg;
            break;
        case O_DIRECTION:
            rq.filter.direction = event_direction_from_name(optarg);
            if (rq.filter.direction == DIRECTION_NONE) {
                cli_error("--direction: give inbound or outbound");
                return EXIT_FATAL;
            }
            break;
        case O_ONLY550:
            o.only_550 = 1;
            break;
        case O_CODES:
            o.codes = optarg;
            break;
        case O_TOP:
            if (cli_number_arg("--top", optarg, 1, 1000, "a number", NULL, &o.top) < 0)
                return EXIT_FATAL;
            break;
        case O_FORMAT:
            o.format = optarg;
            break;
        case O_TABLE:
            o.table = optarg;
            break;
        case 'o':
            o.output = optarg;
            break;
        case O_MAILTO:
            o.mail_to = optarg;
            break;
        case O_MAILFROM:
            o.mail_from = optarg;
            break;
        case O_SUBJECT:
            o.subject = optarg;
            break;
        case O_SENDMAIL:
            o.sendmail = optarg;
            break;
        case O_SMTP:
            o.smtp = optarg;
            break;
        case O_SMTPUSER:
            o.smtp_user = optarg;
            break;
        case O_SMTPPWFILE:
            o.smtp_password_file = optarg;
            break;
        case O_SMTPTLS:
            o.smtp_tls = optarg;
            break;
        case O_SMTPCA:
            o.smtp_cacert = optarg;
            break;
        case O_SMTPVERBOSE:
            o.smtp_verbose = 1;
            break;
        case O_DRYRUN:
            o.dry_run = 1;
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
        cli_error("report: unexpected argument '%s'", argv[optind]);
        return EXIT_FATAL;
    }
    if ((w = choose_writer(&o)) == NULL)
        return EXIT_FATAL;
    if (o.table != NULL && !csv_table_exists(o.table)) {
        char names[256];
        csv_table_names(names, sizeof names);
        cli_error("--table: no table '%s' (there are: %s)", o.table, names);
        return EXIT_FATAL;
    }
    if (o.table != NULL && strcmp(w->name, "csv") != 0 && o.mail_to == NULL) {
        cli_error("--table is for --format csv (or the attachment of --mail-to)");
        return EXIT_FATAL;
    }
    if (o.mail_to == NULL && (o.mail_from || o.subject || o.sendmail || o.smtp || o.dry_run ||
                              o.smtp_user || o.smtp_tls || o.smtp_cacert)) {
        cli_error("the mail options need --mail-to");
        return EXIT_FATAL;
    }
    if (o.sendmail != NULL && o.smtp != NULL) {
        cli_error("give --sendmail or --smtp, not both");
        return EXIT_FATAL;
    }
    if (o.smtp != NULL && mail_smtp_url_ok(o.smtp, &d) < 0) {
        cli_error("%s", d.msg);
        return EXIT_FATAL;
    }
    if (o.smtp == NULL && (o.smtp_user || o.smtp_tls || o.smtp_cacert || o.smtp_password_file)) {
        cli_error("the --smtp-* options need --smtp URL");
        return EXIT_FATAL;
    }
    if (o.smtp_user != NULL && o.smtp_password_file == NULL &&
        getenv("REJECTLENS_SMTP_PASSWORD") == NULL) {
        cli_error("--smtp-user: set REJECTLENS_SMTP_PASSWORD or give --smtp-password-file");
        return EXIT_FATAL;
    }
    if (request(&o, &rq) < 0)
        return EXIT_FATAL;
    if ((rs = cli_rules_load(&o.rules)) == NULL)
        return EXIT_FATAL;
    /* a database this user may write is migrated on open, as by ingest (an older one gets the
     * report's indexes); another one is only read */
    if ((s = cli_open_reader(o.db)) == NULL)
        goto out;
    if (report_build(s, rs, &rq, &m, &d) < 0) {
        cli_error("%s", d.msg);
        goto out;
    }
    m.version = xstrdup(REJECTLENS_VERSION);
    rc = EXIT_OK;
    if (o.mail_to == NULL || o.output != NULL) {
        struct report_options ro = {o.table};
        struct strbuf out = STRBUF_INIT;
        if (w->write(&m, &ro, &out, &d) < 0) {
            cli_error("%s", d.msg);
            rc = EXIT_FATAL;
        } else if (write_file(o.output ? o.output : "-", strbuf_str(&out), out.len) < 0) {
            rc = EXIT_FATAL;
        }
        strbuf_free(&out);
    }
    if (rc == EXIT_OK && o.mail_to != NULL)
        rc = mail_report(&o, &m);
    report_model_free(&m);
out:
    store_close(s);
    ruleset_free(rs);
    return rc;
}
