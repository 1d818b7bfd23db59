/*
 * run_reports - the report step of "rejectlens run" (see run_reports.h)
 *
 * DESCRIPTION
 *	The argv mirrors the report command's options one for one (rejectlens report --help):
 *	the period as the report command names it with --now set to the send day, the mail
 *	options, the filters. The rules come from the configuration the report command loads for
 *	itself in this process (cli_rules_load), so they are not repeated here.
 *
 * BUGS
 *	A report due on a day when no run happens is sent by the next run that sees the same
 *	period due; one whose whole period of grace passed (a weekly report when the server was
 *	down for a week) is not sent late.
 */
#include "run_reports.h"
#include "cli.h"
#include "strbuf.h"
#include "timeparse.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void argv_list_free(struct argv_list *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

static void add(struct argv_list *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->v = xreallocarray(a->v, (size_t)a->cap, sizeof *a->v);
    }
    a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

/* opt - "--name value" when value is not NULL */
static void opt(struct argv_list *a, const char *name, const char *value)
{
    if (value == NULL)
        return;
    add(a, name);
    add(a, value);
}

static const char *extension(const char *format)
{
    return strcmp(format, "text") == 0 ? "txt" : format;
}

void run_report_argv(const struct config_report *r, const char *db, const struct due_period *p,
                     const char *format, struct argv_list *out, const char **file)
{
    char buf[64];

    memset(out, 0, sizeof *out);
    add(out, "report");
    opt(out, "--db", db);
    opt(out, "--period", p->report_period);
    opt(out, "--now", p->as_of);
    opt(out, "--mta", r->mta);
    opt(out, "--host", r->host);
    opt(out, "--direction", r->direction);
    opt(out, "--codes", r->codes);
    if (r->top > 0) {
        snprintf(buf, sizeof buf, "%ld", r->top);
        opt(out, "--top", buf);
    }
    if (format != NULL) {
        struct strbuf path = STRBUF_INIT;
        strbuf_printf(&path, "%s/%s-%s.%s", r->directory, r->name, p->start, extension(format));
        opt(out, "--format", format);
        opt(out, "-o", strbuf_str(&path));
        if (file != NULL)
            *file = out->v[out->n - 1];
        strbuf_free(&path);
        return;
    }
    struct strbuf to = STRBUF_INIT;
    for (size_t i = 0; i < r->nto; i++)
        strbuf_printf(&to, "%s%s", i ? "," : "", r->to[i]);
    opt(out, "--mail-to", strbuf_str(&to));
    strbuf_free(&to);
    opt(out, "--mail-from", r->from);
    opt(out, "--subject", r->subject);
    opt(out, "--sendmail", r->sendmail);
    opt(out, "--smtp", r->smtp);
    opt(out, "--smtp-user", r->smtp_user);
    opt(out, "--smtp-password-file", r->smtp_password_file);
    opt(out, "--smtp-tls", r->smtp_tls);
    opt(out, "--smtp-cacert", r->smtp_cacert);
    if (file != NULL)
        *file = NULL;
}

/* call - run the report command once; 0 when it exited 0 */
static int call(report_main fn, struct argv_list *a)
{
    int rc;

    fflush(stdout);
    rc = fn(a->n, a->v);
    fflush(stdout);
    return rc == EXIT_OK ? 0 : -1;
}

/* send_one - every call one report needs: the files to keep, then the mail */
static int send_one(const struct config_report *r, const char *db, const struct due_period *p,
                    report_main fn)
{
    struct argv_list a;
    const char *file;
    int rc = 0;

    for (size_t i = 0; i < r->nformats && rc == 0; i++) {
        run_report_argv(r, db, p, r->formats[i], &a, &file);
        if (cli_make_parents(file) < 0) {
            cli_error("report '%s': cannot create %s", r->name, r->directory);
            rc = -1;
        } else {
            rc = call(fn, &a);
        }
        argv_list_free(&a);
    }
    if (rc == 0 && r->nto > 0) {
        run_report_argv(r, db, p, NULL, &a, NULL);
        rc = call(fn, &a);
        argv_list_free(&a);
    }
    return rc;
}

int run_reports(struct store *s, const struct config *cfg, const char *db, int64_t now_s,
                report_main fn, int verbose, struct run_reports_result *res, struct diag *d)
{
    int y, m, day;
    int64_t first_us, end_us;

    memset(res, 0, sizeof *res);
    schedule_today(now_s, &y, &m, &day);
    if (store_first_event(s, &first_us, d) < 0)
        return -1;
    for (size_t i = 0; i < cfg->nreports; i++) {
        const struct config_report *r = &cfg->reports[i];
        struct due_period p;
        enum report_run_state state;

        schedule_due(r, y, m, day, &p);
        /* a period that ended before the first event stored (a new installation) has
         * nothing to say: it is not due */
        if (time_arg_parse(p.end, now_s, 0, &end_us, d) < 0)
            return -1;
        if (end_us <= first_us)
            continue;
        if (store_report_run_get(s, r->name, p.start, &state, d) < 0)
            return -1;
        if (state == REPORT_RUN_SENT || state == REPORT_RUN_UNKNOWN)
            continue;
        if (state == REPORT_RUN_SENDING) {
            cli_error("warning: report '%s' for %s .. %s: a run died while sending it; it may "
                      "have gone out, so it is not sent again (to send it, delete its row from "
                      "report_runs)",
                      r->name, p.start, p.last);
            res->problems++;
            if (store_report_run_end(s, r->name, p.start, REPORT_RUN_UNKNOWN, d) < 0)
                return -1;
            continue;
        }
        res->due++;
        if (fn == NULL) {
            /* a build without the report command schedules, but cannot send */
            cli_error("warning: report '%s' for %s .. %s is due, but this rejectlens has no "
                      "report command; not sent",
                      r->name, p.start, p.last);
            res->problems++;
            continue;
        }
        if (store_report_run_begin(s, r->name, p.start, p.end, d) < 0)
            return -1;
        int ok = send_one(r, db, &p, fn) == 0;
        if (store_report_run_end(s, r->name, p.start, ok ? REPORT_RUN_SENT : REPORT_RUN_NONE, d) <
            0)
            return -1;
        if (ok) {
            res->sent++;
            if (verbose)
                printf("report '%s' for %s .. %s sent\n", r->name, p.start, p.last);
        } else {
            cli_error("warning: report '%s' for %s .. %s could not be sent; the next run tries "
                      "again",
                      r->name, p.start, p.last);
            res->problems++;
        }
    }
    return 0;
}
