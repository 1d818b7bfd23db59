/*
 * writers - the table of report formats (see writers.h), and the helpers they share
 */
#include "writers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const struct report_writer report_writers[] = {
    {"html", "text/html; charset=utf-8", "html", report_write_html},
    {"text", "text/plain; charset=utf-8", "txt", report_write_text},
    {"csv", "text/csv; charset=utf-8; header=present", "csv", report_write_csv},
    {"json", "application/json", "json", report_write_json},
    {NULL, NULL, NULL, NULL},
};

const struct report_writer *report_writer_find(const char *name)
{
    for (const struct report_writer *w = report_writers; w->name != NULL; w++)
        if (strcmp(w->name, name) == 0)
            return w;
    return NULL;
}

void report_writer_names(char *buf, size_t cap)
{
    size_t o = 0;

    buf[0] = '\0';
    for (const struct report_writer *w = report_writers; w->name != NULL && o < cap; w++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", o ? ", " : "", w->name);
}

const char *fmt_change(int64_t now, int64_t before, char *buf, size_t cap)
{
    if (before < 0)
        snprintf(buf, cap, "%s", "");
    else if (before == 0)
        snprintf(buf, cap, "%s", now > 0 ? "new" : "");
    else if (now == 0)
        snprintf(buf, cap, "%s", "gone");
    else if (now == before)
        snprintf(buf, cap, "%s",
                 "\xc2\xb1"
                 "0");
    else
        snprintf(buf, cap, "%+.1f %%", report_change(now, before));
    return buf;
}

const char *fmt_pct(double share, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.1f %%", 100.0 * share);
    return buf;
}

void fmt_who(const struct report_category *c, struct strbuf *out)
{
    for (size_t i = 0; i < c->nwho; i++)
        strbuf_printf(out, "%s%s", i ? ", " : "", report_who_title(c->who[i]));
}

const char *fmt_local(int64_t us, char *buf, size_t cap)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;

    if (us < 0 && us % 1000000 != 0)
        t--;
    if (localtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, cap, "@%lld", (long long)t);
    return buf;
}
