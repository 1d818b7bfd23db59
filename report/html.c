/*
 * html - the report as one self-contained HTML file that a mail client shows as it is
 *
 * DESCRIPTION
 *	One document, nothing fetched: the CSS is a <style> element, the charts are inline SVG
 *	(a bar chart of the 550s by cause, a stacked chart of failures per bucket and cause), no
 *	script, no image, no link that loads anything. It reads on a phone (one column, tables
 *	that wrap or scroll, less important columns hidden below 600 px) and prints (no shadows,
 *	causes kept on one page). The tables carry every number the charts show, so a client
 *	that ignores SVG (Outlook for Windows) loses nothing but the pictures.
 *
 *	The page, in the order an admin reads it: headline, totals, the series, why 550, what to
 *	do (by impact, with examples and top lists), all causes, unclassified texts, how the logs
 *	read; the text report (text.c) says the same. Every string of the model goes through
 *	esc_html, in text and attributes alike; ids and colours are made here, never taken from a
 *	log. A Content-Security-Policy (REPORT_HTML_CSP) forbids scripts and fetches as a second
 *	line of defence.
 */
#include "escape.h"
#include "writers.h"

#include <stdio.h>
#include <string.h>

#define PALETTE_N 8 /* seven causes get a colour, the rest share grey */

/* Okabe-Ito: told apart with every common colour blindness */
static const char *const palette[PALETTE_N] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                               "#56B4E9", "#CC79A7", "#F0E442", "#8C8C8C"};

static const char css[] =
    "body{margin:0;background:#f3f4f7;color:#1d2330;"
    "font:15px/1.45 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}"
    ".wrap{max-width:960px;margin:0 auto;padding:16px}"
    "header{background:#1d2a44;color:#fff;padding:20px;border-radius:8px}"
    "header h1{margin:4px 0 6px;font-size:24px;line-height:1.2}"
    ".kicker{text-transform:uppercase;letter-spacing:.08em;font-size:12px;margin:0;color:#c9d2e3}"
    ".range{margin:0;font-size:14px;color:#e3e8f2}"
    ".headline{font-size:18px;font-weight:600;margin:14px 0 0;background:#fff;color:#8a1c1c;"
    "padding:10px 12px;border-radius:6px}"
    "section{background:#fff;border-radius:8px;padding:16px;margin:16px 0;"
    "box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    "h2{font-size:19px;margin:0 0 12px}"
    "h3{font-size:17px;margin:0 0 4px}"
    "h4{font-size:14px;margin:14px 0 6px;color:#3d4556}"
    ".tile{display:inline-block;vertical-align:top;min-width:118px;margin:0 8px 8px 0;"
    "padding:8px 12px;border:1px solid #dde1e8;border-radius:6px}"
    ".tile .v{font-size:22px;font-weight:700;display:block}"
    ".tile .l{font-size:12px;color:#5a6475;text-transform:uppercase;display:block}"
    ".tile .c{font-size:12px;display:block}"
    ".bad{color:#b42318}.good{color:#067647}.same{color:#5a6475}"
    ".scroll{overflow-x:auto}"
    "table.data{border-collapse:collapse;width:100%;font-size:14px}"
    "table.data th,table.data td{padding:5px 8px;border-bottom:1px solid #e6e8ee;"
    "text-align:left;vertical-align:top;overflow-wrap:anywhere}"
    "table.data th{font-size:12px;text-transform:uppercase;color:#5a6475;font-weight:600}"
    "table.data .n{text-align:right;white-space:nowrap}"
    "table.data caption{text-align:left;font-weight:600;font-size:13px;padding:4px 0}"
    ".swatch{font-size:16px;line-height:1;margin-right:4px}"
    "svg text{font-family:Helvetica,Arial,sans-serif}"
    ".legend{font-size:13px;margin:6px 0 0}"
    ".legend span{display:inline-block;margin:0 14px 4px 0}"
    ".cause{border-left:5px solid #8c8c8c;padding:2px 0 2px 14px;margin:22px 0}"
    ".sev-high{border-color:#b42318}.sev-medium{border-color:#dc6803}"
    ".sev-low{border-color:#667085}.sev-info{border-color:#c0c5cf}"
    ".meta{margin:2px 0 8px;font-size:14px;color:#3d4556}"
    ".badge{display:inline-block;background:#eef1f6;border-radius:10px;padding:0 8px;"
    "margin-right:6px;font-size:13px}"
    "pre,code{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}"
    "pre.advice{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;"
    "border:1px solid #e6e8ee;border-radius:6px;padding:10px;margin:8px 0}"
    "ul.ex{list-style:none;padding:0;margin:0}"
    "ul.ex li{margin:0 0 6px}"
    "code.line{display:block;white-space:pre-wrap;word-break:break-all;background:#fbfbfc;"
    "border:1px solid #eceef2;border-radius:4px;padding:4px 6px;font-size:12px}"
    ".src{font-size:12px;color:#5a6475}"
    ".tops table{display:inline-table;width:auto;min-width:220px;max-width:100%;"
    "margin:0 16px 8px 0;vertical-align:top}"
    "svg{max-width:100%;height:auto;display:block}"
    "footer{font-size:12px;color:#5a6475;text-align:center;margin:8px 0 24px}"
    "@media (max-width:600px){.wrap{padding:6px}header{padding:14px}h1{font-size:20px}"
    ".opt{display:none}.tile{min-width:96px}section{padding:10px}}"
    "@media print{body{background:#fff;font-size:11pt}.wrap{max-width:none;padding:0}"
    "header{background:#fff;color:#000;border:1px solid #888}.kicker,.range{color:#333}"
    "section{box-shadow:none;border:1px solid #ccc}.cause{break-inside:avoid}"
    "table.data tr{break-inside:avoid}}";

/* ---------------------------------------------------------------- small pieces */

static void e(struct strbuf *o, const char *s)
{
    esc_html(o, s, 0);
}

/* anchor - a category id as an HTML id: [a-z0-9_-] only, whatever the rules say */
static void anchor(struct strbuf *o, const char *id)
{
    strbuf_puts(o, "cat-");
    for (const char *p = id; *p; p++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
            strbuf_putc(o, c);
        else if (c >= 'A' && c <= 'Z')
            strbuf_putc(o, (char)(c - 'A' + 'a'));
        else
            strbuf_putc(o, '-');
    }
}

/* colour - the chart colour of a category: its place by count, the last one shared */
static const char *colour(const struct report_model *m, const struct report_category *c)
{
    for (size_t i = 0; i < m->ncategories && i < PALETTE_N - 1; i++)
        if (&m->categories[m->by_count[i]] == c)
            return palette[i];
    return palette[PALETTE_N - 1];
}

/* change - a change against before, coloured: up is bad for failures, good for deliveries */
static void change(struct strbuf *o, int64_t now, int64_t before, int up_is_good)
{
    char b[32];
    const char *text = fmt_change(now, before, b, sizeof b);
    const char *cls = "same";

    if (text[0] == '\0')
        return;
    if (now != before)
        cls = (now > before) == (up_is_good != 0) ? "good" : "bad";
    strbuf_printf(o, "<span class=\"%s\">", cls);
    e(o, text);
    strbuf_puts(o, "</span>");
}

static void tile(struct strbuf *o, const struct report_model *m, const char *label, int64_t now,
                 int64_t before, int up_is_good)
{
    strbuf_printf(o, "<div class=\"tile\"><span class=\"v\">%lld</span><span class=\"l\">",
                  (long long)now);
    e(o, label);
    strbuf_puts(o, "</span>");
    if (m->compare) {
        strbuf_puts(o, "<span class=\"c\">");
        change(o, now, before, up_is_good);
        strbuf_printf(o, " (before %lld)</span>", (long long)before);
    }
    strbuf_puts(o, "</div>\n");
}

/* ---------------------------------------------------------------- charts */

/* nice_max - a round upper bound for an axis */
static int64_t nice_max(int64_t v)
{
    int64_t step = 1;

    if (v <= 4)
        return 4;
    while (step * 10 < v)
        step *= 10;
    for (int64_t k = 1; k <= 10; k++)
        if (k * step >= v && (k * step) % 4 == 0)
            return k * step;
    return 10 * step;
}

/* bars_550 - horizontal bars of the 550s by cause: label above each bar, count after it */
static void bars_550(struct strbuf *o, const struct report_model *m)
{
    const int w = 560, left = 4, bar_w = 470, row = 34;
    size_t n = m->n550 < 8 ? m->n550 : 8;
    int64_t max = 0;

    for (size_t i = 0; i < n; i++)
        if (m->categories[m->by_550[i]].count_550 > max)
            max = m->categories[m->by_550[i]].count_550;
    if (n == 0 || max == 0)
        return;
    strbuf_printf(o,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" "
                  "viewBox=\"0 0 %d %zu\" role=\"img\" aria-label=\"550 rejections by cause\">",
                  w, n * row + 4, w, n * row + 4);
    strbuf_puts(o, "<title>550 rejections by cause</title>");
    for (size_t i = 0; i < n; i++) {
        const struct report_category *c = &m->categories[m->by_550[i]];
        int len = (int)((double)bar_w * (double)c->count_550 / (double)max);
        int y = (int)(i * (size_t)row);
        if (len < 2)
            len = 2;
        strbuf_printf(o, "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#1d2330\">", left,
                      y + 12);
        e(o, c->title);
        strbuf_printf(o,
                      "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" rx=\"2\" "
                      "fill=\"%s\"><title>",
                      left, y + 16, len, colour(m, c));
        e(o, c->title);
        strbuf_printf(o, ": %lld</title></rect>", (long long)c->count_550);
        strbuf_printf(o,
                      "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\" "
                      "fill=\"#1d2330\">%lld</text>",
                      left + len + 6, y + 28, (long long)c->count_550);
    }
    strbuf_puts(o, "</svg>\n");
}

/* stacked - failures per bucket, stacked by cause (the seven commonest, the rest grey) */
static void stacked(struct strbuf *o, const struct report_model *m)
{
    const int w = 640, h = 240, left = 44, right = 8, top = 10, bottom = 28;
    const int plot_w = w - left - right, plot_h = h - top - bottom;
    int64_t max = 0, ymax;
    size_t n = m->nbuckets, every;
    char title[64];

    for (size_t k = 0; k < n; k++)
        if (m->bucket_totals[k] > max)
            max = m->bucket_totals[k];
    if (n == 0 || max == 0)
        return;
    ymax = nice_max(max);
    every = n <= 12 ? 1 : (n + 11) / 12;
    snprintf(title, sizeof title, "Failures per %s, by cause", m->bucket_unit);
    strbuf_printf(o,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                  "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\"><title>%s</title>",
                  w, h, w, h, title, title);
    /* grid and axis labels */
    for (int g = 0; g <= 4; g++) {
        int y = top + plot_h - plot_h * g / 4;
        strbuf_printf(o,
                      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#e3e6ec\"/>"
                      "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#5a6475\" "
                      "text-anchor=\"end\">%lld</text>",
                      left, y, w - right, y, left - 6, y + 4, (long long)(ymax * g / 4));
    }
    double slot = (double)plot_w / (double)n;
    double bw = slot * 0.72;
    for (size_t k = 0; k < n; k++) {
        double x = left + slot * (double)k + (slot - bw) / 2;
        double y = top + plot_h;
        int64_t rest = m->bucket_totals[k];
        size_t ncol = m->ncategories < PALETTE_N - 1 ? m->ncategories : PALETTE_N - 1;
        /* the coloured causes bottom up, then the rest in grey */
        for (size_t i = 0; i <= ncol; i++) {
            const char *name = "other causes";
            int64_t v = rest;
            if (i < ncol) {
                const struct report_category *c = &m->categories[m->by_count[i]];
                v = c->series[k];
                name = c->title;
                rest -= v;
            }
            if (v <= 0)
                continue;
            double bh = (double)plot_h * (double)v / (double)ymax;
            y -= bh;
            strbuf_printf(o,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                          "fill=\"%s\"><title>",
                          x, y, bw, bh, i < ncol ? palette[i] : palette[PALETTE_N - 1]);
            e(o, m->buckets[k].label);
            strbuf_puts(o, " \xe2\x80\x93 ");
            e(o, name);
            strbuf_printf(o, ": %lld</title></rect>", (long long)v);
        }
        if (k % every == 0) {
            strbuf_printf(o,
                          "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#5a6475\" "
                          "text-anchor=\"middle\">",
                          left + slot * ((double)k + 0.5), h - 10);
            e(o, m->buckets[k].short_label);
            strbuf_puts(o, "</text>");
        }
    }
    strbuf_puts(o, "</svg>\n<p class=\"legend\">");
    for (size_t i = 0; i < m->ncategories && i < PALETTE_N; i++) {
        int other = i == PALETTE_N - 1;
        strbuf_printf(o, "<span><b class=\"swatch\" style=\"color:%s\">&#9632;</b>", palette[i]);
        e(o, other ? "other causes" : m->categories[m->by_count[i]].title);
        strbuf_puts(o, "</span>");
    }
    strbuf_puts(o, "</p>\n");
}

/* ---------------------------------------------------------------- sections */

static void head(struct strbuf *o, const struct report_model *m)
{
    /* the policy forbids what the page never has: a browser runs no script and fetches
     * nothing even if an escaping mistake let markup from a log through */
    strbuf_puts(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"" REPORT_HTML_CSP "\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<meta name=\"color-scheme\" content=\"light\">\n<title>");
    e(o, m->title);
    strbuf_puts(o, " \xe2\x80\x93 ");
    e(o, m->range);
    strbuf_printf(o, "</title>\n<style>%s</style>\n</head>\n<body>\n<div class=\"wrap\">\n", css);
    strbuf_puts(o, "<header>\n<p class=\"kicker\">rejectlens report \xc2\xb7 ");
    e(o, m->period);
    strbuf_puts(o, "</p>\n<h1>");
    e(o, m->title);
    strbuf_puts(o, "</h1>\n<p class=\"range\">");
    e(o, m->range);
    if (m->compare) {
        strbuf_puts(o, " \xc2\xb7 compared with ");
        e(o, m->prev_range);
    }
    if (m->filters && m->filters[0]) {
        strbuf_puts(o, " \xc2\xb7 ");
        e(o, m->filters);
    }
    strbuf_puts(o, "</p>\n<p class=\"headline\">");
    e(o, m->headline);
    strbuf_puts(o, "</p>\n</header>\n");
}

static void totals(struct strbuf *o, const struct report_model *m)
{
    const struct report_totals *t = &m->totals, *p = &m->prev_totals;
    char a[32];

    strbuf_puts(o, "<section id=\"totals\">\n<h2>At a glance</h2>\n");
    tile(o, m, "rejected with 550", t->failures_550, p->failures_550, 0);
    tile(o, m, "failures 4xx/5xx", t->failures, p->failures, 0);
    tile(o, m, "attempts", t->attempts, p->attempts, 1);
    tile(o, m, "delivered", t->deliveries, p->deliveries, 1);
    tile(o, m, "rejected (SMTP)", t->rejections, p->rejections, 0);
    tile(o, m, "bounced", t->bounces, p->bounces, 0);
    tile(o, m, "deferred", t->deferrals, p->deferrals, 0);
    strbuf_printf(o,
                  "<div class=\"tile\"><span class=\"v\">%s</span>"
                  "<span class=\"l\">rejection rate</span>",
                  fmt_pct(t->rejection_rate, a, sizeof a));
    if (m->compare)
        strbuf_printf(o, "<span class=\"c same\">before %s</span>",
                      fmt_pct(p->rejection_rate, a, sizeof a));
    strbuf_puts(o, "</div>\n");
    strbuf_printf(o,
                  "<p class=\"meta\">Failures: %lld with a 5xx code, %lld with a 4xx code "
                  "(retried), %lld without a code; %lld expired, %lld reject warnings "
                  "(logged, not refused).</p>\n",
                  (long long)t->failures_5xx, (long long)t->failures_4xx,
                  (long long)t->failures_other, (long long)t->expiries,
                  (long long)t->reject_warnings);
    strbuf_puts(o, "</section>\n");
}

static void cause_cell(struct strbuf *o, const struct report_category *c)
{
    strbuf_puts(o, "<td><a href=\"#");
    anchor(o, c->id);
    strbuf_puts(o, "\">");
    e(o, c->title);
    strbuf_puts(o, "</a></td>");
}

static void why_550(struct strbuf *o, const struct report_model *m)
{
    char a[32];

    strbuf_puts(o, "<section id=\"why550\">\n<h2>Why mail was rejected with 550</h2>\n");
    if (m->n550 == 0) {
        strbuf_puts(o, "<p>No rejections with code 550 in this period.</p>\n</section>\n");
        return;
    }
    bars_550(o, m);
    strbuf_puts(o, "<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th>Cause</th>"
                   "<th class=\"opt\">Who acts</th><th class=\"n\">550s</th>"
                   "<th class=\"n\">Share</th>");
    if (m->compare)
        strbuf_puts(o, "<th class=\"n opt\">Before</th><th class=\"n\">Change</th>");
    strbuf_puts(o, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < m->n550; i++) {
        const struct report_category *c = &m->categories[m->by_550[i]];
        struct strbuf who = STRBUF_INIT;
        fmt_who(c, &who);
        strbuf_puts(o, "<tr>");
        cause_cell(o, c);
        strbuf_puts(o, "<td class=\"opt\">");
        e(o, strbuf_str(&who));
        strbuf_printf(o, "</td><td class=\"n\">%lld</td><td class=\"n\">%s</td>",
                      (long long)c->count_550, fmt_pct(c->share_550, a, sizeof a));
        if (m->compare) {
            strbuf_printf(o, "<td class=\"n opt\">%lld</td><td class=\"n\">",
                          (long long)c->prev_550);
            change(o, c->count_550, c->prev_550, 0);
            strbuf_puts(o, "</td>");
        }
        strbuf_puts(o, "</tr>\n");
        strbuf_free(&who);
    }
    strbuf_puts(o, "</tbody>\n</table></div>\n</section>\n");
}

static void all_causes(struct strbuf *o, const struct report_model *m)
{
    char a[32];

    strbuf_puts(o, "<section id=\"causes\">\n<h2>All failures (4xx and 5xx) by cause</h2>\n");
    if (m->ncategories == 0) {
        strbuf_puts(o, "<p>No rejections, bounces or deferrals in this period.</p>\n"
                       "</section>\n");
        return;
    }
    strbuf_puts(o, "<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th>Cause</th>"
                   "<th class=\"opt\">Who acts</th><th class=\"n\">Total</th>"
                   "<th class=\"n opt\">5xx</th><th class=\"n opt\">4xx</th>"
                   "<th class=\"n\">Share</th>");
    if (m->compare)
        strbuf_puts(o, "<th class=\"n opt\">Before</th><th class=\"n\">Change</th>");
    strbuf_puts(o, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < m->ncategories; i++) {
        const struct report_category *c = &m->categories[m->by_count[i]];
        struct strbuf who = STRBUF_INIT;
        fmt_who(c, &who);
        strbuf_printf(o, "<tr>");
        cause_cell(o, c);
        strbuf_puts(o, "<td class=\"opt\">");
        e(o, strbuf_str(&who));
        strbuf_printf(o,
                      "</td><td class=\"n\">%lld</td><td class=\"n opt\">%lld</td>"
                      "<td class=\"n opt\">%lld</td><td class=\"n\">%s</td>",
                      (long long)c->count, (long long)c->count_5xx, (long long)c->count_4xx,
                      fmt_pct(c->share, a, sizeof a));
        if (m->compare) {
            strbuf_printf(o, "<td class=\"n opt\">%lld</td><td class=\"n\">",
                          (long long)c->prev_count);
            change(o, c->count, c->prev_count, 0);
            strbuf_puts(o, "</td>");
        }
        strbuf_puts(o, "</tr>\n");
        strbuf_free(&who);
    }
    strbuf_puts(o, "</tbody>\n</table></div>\n</section>\n");
}

static void trend(struct strbuf *o, const struct report_model *m)
{
    strbuf_printf(o, "<section id=\"trend\">\n<h2>Failures per %s, by cause</h2>\n",
                  m->bucket_unit);
    if (m->totals.failures == 0)
        strbuf_puts(o, "<p>No failures in this period.</p>\n");
    else
        stacked(o, m);
    strbuf_puts(o, "</section>\n");
}

static void top_table(struct strbuf *o, const struct report_category *c, enum report_list l)
{
    const struct report_top *t = &c->top[l];

    strbuf_puts(o, "<table class=\"data\"><caption>");
    e(o, report_list_title(l));
    strbuf_puts(o, "</caption><tbody>");
    for (size_t r = 0; r < t->n; r++) {
        strbuf_puts(o, "<tr><td>");
        e(o, t->rows[r].value);
        if (t->rows[r].extra && t->rows[r].extra[0]) {
            strbuf_puts(o, " <span class=\"src\">");
            e(o, t->rows[r].extra);
            strbuf_puts(o, "</span>");
        }
        strbuf_printf(o, "</td><td class=\"n\">%lld</td></tr>", (long long)t->rows[r].count);
    }
    strbuf_puts(o, "</tbody></table>\n");
}

static void cause(struct strbuf *o, const struct report_model *m, const struct report_category *c,
                  size_t rank)
{
    struct strbuf who = STRBUF_INIT;

    strbuf_puts(o, "<div class=\"cause");
    if (c->severity)
        strbuf_printf(o, " sev-%s", c->severity);
    strbuf_puts(o, "\" id=\"");
    anchor(o, c->id);
    strbuf_printf(o, "\">\n<h3>%zu. ", rank);
    e(o, c->title);
    strbuf_printf(o, " \xe2\x80\x94 %lld</h3>\n<p class=\"meta\">", (long long)c->count);
    fmt_who(c, &who);
    if (who.len > 0) {
        strbuf_puts(o, "Who acts: <b>");
        e(o, strbuf_str(&who));
        strbuf_puts(o, "</b> ");
    }
    strbuf_printf(o, "<span class=\"badge\">5xx %lld</span><span class=\"badge\">4xx %lld</span>",
                  (long long)c->count_5xx, (long long)c->count_4xx);
    if (c->count_550)
        strbuf_printf(o, "<span class=\"badge\">550 %lld</span>", (long long)c->count_550);
    if (c->severity) {
        strbuf_puts(o, "<span class=\"badge\">");
        e(o, c->severity);
        if (c->hardness) {
            strbuf_puts(o, ", ");
            e(o, c->hardness);
        }
        strbuf_puts(o, "</span>");
    }
    if (m->compare && c->prev_count >= 0) {
        strbuf_printf(o, "before %lld ", (long long)c->prev_count);
        change(o, c->count, c->prev_count, 0);
    }
    strbuf_puts(o, " <span class=\"src\">[");
    e(o, c->id);
    strbuf_puts(o, "]</span></p>\n");
    strbuf_free(&who);
    if (c->advice) {
        strbuf_puts(o, "<h4>What to do</h4>\n<pre class=\"advice\">");
        esc_html(o, c->advice, 1);
        strbuf_puts(o, "</pre>\n");
    }
    if (c->nexamples > 0) {
        strbuf_puts(o, "<h4>Examples from the log</h4>\n<ul class=\"ex\">\n");
        for (size_t i = 0; i < c->nexamples; i++) {
            const struct report_example *x = &c->examples[i];
            strbuf_puts(o, "<li><code class=\"line\">");
            e(o, x->line);
            strbuf_puts(o, "</code>");
            if (x->source) {
                /* the file's name; its whole path when the pointer rests on it */
                const char *base = strrchr(x->source, '/');
                strbuf_puts(o, "<span class=\"src\" title=\"");
                e(o, x->source);
                strbuf_puts(o, "\">");
                e(o, base ? base + 1 : x->source);
                strbuf_printf(o, ", byte %lld</span>", (long long)x->offset);
            }
            strbuf_puts(o, "</li>\n");
        }
        strbuf_puts(o, "</ul>\n");
    }
    size_t shown = 0;
    for (int l = 0; l < REPORT_LIST_COUNT && shown < 3; l++)
        if (c->top[c->order[l]].n > 0 && (int)c->order[l] != c->advice_list) {
            if (shown++ == 0)
                strbuf_puts(o, "<div class=\"tops\">\n");
            top_table(o, c, c->order[l]);
        }
    if (shown > 0)
        strbuf_puts(o, "</div>\n");
    if (c->ntemplates > 1) {
        strbuf_puts(o, "<div class=\"scroll\"><table class=\"data\"><caption>Commonest reply "
                       "texts</caption><tbody>\n");
        for (size_t t = 0; t < c->ntemplates; t++) {
            const struct report_template *x = &c->templates[t];
            strbuf_printf(o, "<tr><td class=\"n\">%lld</td><td><code>", (long long)x->count);
            if (x->reply_code)
                strbuf_printf(o, "%d ", x->reply_code);
            if (x->status) {
                e(o, x->status);
                strbuf_putc(o, ' ');
            }
            e(o, x->text ? x->text : "(no text)");
            strbuf_puts(o, "</code></td></tr>\n");
        }
        strbuf_puts(o, "</tbody></table></div>\n");
    }
    strbuf_puts(o, "</div>\n");
}

static void advice(struct strbuf *o, const struct report_model *m)
{
    size_t rank = 0;

    strbuf_puts(o, "<section id=\"advice\">\n<h2>What to do, by impact</h2>\n");
    for (size_t i = 0; i < m->ncategories; i++)
        if (m->categories[i].count > 0)
            cause(o, m, &m->categories[i], ++rank);
    if (rank == 0)
        strbuf_puts(o, "<p>Nothing to do: no failures in this period.</p>\n");
    strbuf_puts(o, "</section>\n");
}

static void unclassified(struct strbuf *o, const struct report_model *m)
{
    if (m->nunclassified == 0)
        return;
    strbuf_printf(o,
                  "<section id=\"unclassified\">\n<h2>Texts no rule knows</h2>\n<p>%lld "
                  "failures matched no rule. These are their commonest texts, with addresses, "
                  "IPs and ids masked: write a rule for them (<code>rejectlens explain "
                  "'TEXT'</code>, then a rules file given with <code>--rules</code>).</p>\n",
                  (long long)m->unclassified_count);
    strbuf_puts(o, "<div class=\"scroll\"><table class=\"data\">\n<thead><tr>"
                   "<th class=\"n\">Count</th><th class=\"opt\">Kind</th><th>Text</th></tr>"
                   "</thead>\n<tbody>\n");
    for (size_t i = 0; i < m->nunclassified; i++) {
        const struct report_template *x = &m->unclassified[i];
        strbuf_printf(o, "<tr><td class=\"n\">%lld</td><td class=\"opt\">", (long long)x->count);
        e(o, x->kind);
        if (x->stage[0]) {
            strbuf_puts(o, " ");
            e(o, x->stage);
        }
        strbuf_puts(o, "</td><td><code>");
        if (x->reply_code)
            strbuf_printf(o, "%d ", x->reply_code);
        if (x->status) {
            e(o, x->status);
            strbuf_putc(o, ' ');
        }
        e(o, x->text ? x->text : "(no text)");
        strbuf_puts(o, "</code></td></tr>\n");
    }
    strbuf_puts(o, "</tbody>\n</table></div>\n</section>\n");
}

static void parse_stats(struct strbuf *o, const struct report_model *m)
{
    strbuf_printf(o,
                  "<section id=\"logs\">\n<h2>How the logs read</h2>\n<p>%lld lines read, "
                  "%lld events, %lld lines without an event, %lld other programs' lines, "
                  "<b>%lld unparsed</b>.</p>\n",
                  (long long)m->lines, (long long)m->source_events, (long long)m->info_lines,
                  (long long)m->foreign_lines, (long long)m->unparsed_lines);
    if (m->nsources > 0) {
        strbuf_puts(o, "<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th>File</th>"
                       "<th class=\"n opt\">Lines</th><th class=\"n\">Events</th>"
                       "<th class=\"n\">Unparsed</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < m->nsources; i++) {
            const struct report_source *s = &m->sources[i];
            strbuf_puts(o, "<tr><td>");
            e(o, s->path);
            strbuf_printf(o,
                          "</td><td class=\"n opt\">%lld</td><td class=\"n\">%lld</td>"
                          "<td class=\"n\">%lld</td></tr>\n",
                          (long long)s->lines, (long long)s->events, (long long)s->unparsed_lines);
        }
        strbuf_puts(o, "</tbody>\n</table></div>\n");
    }
    if (m->nunparsed > 0) {
        strbuf_puts(o, "<h4>Lines that could not be read</h4>\n<ul class=\"ex\">\n");
        for (size_t i = 0; i < m->nunparsed; i++) {
            const struct report_unparsed *u = &m->unparsed[i];
            if (u->line[0] != '\0') {
                strbuf_puts(o, "<li><code class=\"line\">");
                e(o, u->line);
                strbuf_puts(o, "</code>");
            } else {
                strbuf_puts(o, "<li><em>(an empty line)</em> ");
            }
            strbuf_puts(o, "<span class=\"src\">");
            e(o, u->source);
            strbuf_printf(o, ", byte %lld: ", (long long)u->offset);
            e(o, u->reason);
            strbuf_puts(o, "</span></li>\n");
        }
        strbuf_puts(o, "</ul>\n");
    }
    strbuf_puts(o, "</section>\n");
}

int report_write_html(const struct report_model *m, const struct report_options *ro,
                      struct strbuf *out, struct diag *d)
{
    struct strbuf *o = out; /* every section's name for it */

    (void)ro;
    (void)d;
    head(o, m);
    totals(o, m);
    trend(o, m);
    why_550(o, m);
    advice(o, m);
    all_causes(o, m);
    unclassified(o, m);
    parse_stats(o, m);
    strbuf_puts(o, "<footer>rejectlens ");
    e(o, m->version);
    strbuf_puts(o, " \xc2\xb7 generated ");
    e(o, m->generated);
    if (m->rules_hash) {
        strbuf_puts(o, " \xc2\xb7 rules ");
        e(o, m->rules_hash);
    }
    strbuf_puts(o, "</footer>\n</div>\n</body>\n</html>\n");
    return 0;
}
