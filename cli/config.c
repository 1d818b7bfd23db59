/*
 * config - the configuration file (see config.h and docs/config.md)
 *
 * DESCRIPTION
 *	The YAML text becomes a tree (ytree.c, shared with the rules loader: the same limits and
 *	the same error messages), and the tree is walked into a struct config: every key known,
 *	every value checked for its type and form, relative paths resolved against the file's
 *	directory, and the whole thrown away at the first error.
 *
 * DIAGNOSTICS
 *	"file:line: what is wrong", one line.
 */
#include "config.h"
#include "mail.h"
#include "parser.h"
#include "store.h"
#include "strbuf.h"
#include "xalloc.h"
#include "ytree.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct loader {
    struct ytree_ctx yc;
    const char *dir; /* relative paths are taken from here; NULL: as they are */
    struct config *c;
};

#define FAIL(L, line, ...) ytree_fail(&(L)->yc, (line), __VA_ARGS__)

static void strings_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void config_free(struct config *c)
{
    if (c == NULL)
        return;
    free(c->file);
    free(c->database);
    strings_free(c->rules, c->nrules);
    for (size_t i = 0; i < c->nsources; i++) {
        struct config_source *s = &c->sources[i];
        strings_free(s->paths, s->npaths);
        free(s->host);
        free(s->timezone);
    }
    free(c->sources);
    for (size_t i = 0; i < c->nreports; i++) {
        struct config_report *r = &c->reports[i];
        free(r->name);
        strings_free(r->to, r->nto);
        free(r->from);
        free(r->subject);
        free(r->sendmail);
        free(r->smtp);
        free(r->smtp_user);
        free(r->smtp_password_file);
        free(r->smtp_tls);
        free(r->smtp_cacert);
        free(r->formats);
        free(r->directory);
        free(r->mta);
        free(r->host);
        free(r->direction);
        free(r->codes);
    }
    free(c->reports);
    free(c);
}

const char *config_period_name(enum config_period p)
{
    switch (p) {
    case PERIOD_DAILY:
        return "daily";
    case PERIOD_WEEKLY:
        return "weekly";
    case PERIOD_MONTHLY:
        return "monthly";
    }
    return "";
}

int config_duration(const char *s, int64_t *seconds, struct diag *d)
{
    static const struct {
        char unit;
        int64_t mult;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
    const char *p = s;
    int64_t v = 0;

    if (!isdigit((unsigned char)*p))
        return diag_set(d, "'%s' is no duration: write a number and a unit, like 90d", s);
    while (isdigit((unsigned char)*p)) {
        if (v > INT64_C(100000000))
            return diag_set(d, "'%s' is too long a duration", s);
        v = v * 10 + (*p++ - '0');
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (p[0] == units[i].unit && p[1] == '\0') {
            *seconds = v * units[i].mult;
            return 0;
        }
    return diag_set(d, "'%s': give a unit: s, m, h, d or w (like 90d)", s);
}

/* ------------------------------------------------------------------ values */

/* text - a copy of y's text, which must be a non-empty text; NULL after an error */
static char *text(struct loader *L, const struct ynode *y, const char *what)
{
    if (ytree_want_scalar(&L->yc, y, what) < 0)
        return NULL;
    return xstrdup(y->str);
}

/* path - y's text as a path: a relative one is taken from the configuration's directory */
static char *path(struct loader *L, const struct ynode *y, const char *what)
{
    struct strbuf sb = STRBUF_INIT;

    if (ytree_want_scalar(&L->yc, y, what) < 0)
        return NULL;
    if (y->str[0] == '/' || L->dir == NULL)
        return xstrdup(y->str);
    strbuf_printf(&sb, "%s%s%s", L->dir, L->dir[strlen(L->dir) - 1] == '/' ? "" : "/", y->str);
    return strbuf_detach(&sb);
}

/* paths - a path or a list of them; 0, or -1 */
static int paths(struct loader *L, struct ynode *y, const char *what, char ***out, size_t *n)
{
    struct ynode **items;
    size_t cnt;
    int one = ytree_scalars(&L->yc, y, what, &items, &cnt);

    if (one < 0)
        return -1;
    *out = xcalloc(cnt, sizeof **out);
    *n = 0;
    for (size_t i = 0; i < cnt; i++) {
        char *p = path(L, ytree_item(y, items, one, i), what);
        if (p == NULL)
            return -1; /* what was added is freed with the configuration */
        (*out)[(*n)++] = p;
    }
    return 0;
}

static int duration(struct loader *L, const struct ynode *y, const char *what, int64_t *out)
{
    struct diag d = {""};

    if (ytree_want_scalar(&L->yc, y, what) < 0)
        return -1;
    if (config_duration(y->str, out, &d) < 0)
        return FAIL(L, y->line, "%s: %s", what, d.msg);
    return 0;
}

/* integer - a whole number from lo to hi */
static int integer(struct loader *L, const struct ynode *y, const char *what, long lo, long hi,
                   long *out)
{
    char *end;
    long v;

    if (ytree_want_scalar(&L->yc, y, what) < 0)
        return -1;
    v = strtol(y->str, &end, 10);
    if (*end != '\0' || end == y->str || v < lo || v > hi)
        return FAIL(L, y->line, "%s: give a whole number from %ld to %ld, not '%s'", what, lo, hi,
                    y->str);
    *out = v;
    return 0;
}

/* address - a mail address: local@domain, no spaces, commas or angle brackets */
static char *address(struct loader *L, const struct ynode *y, const char *what)
{
    const char *at;

    if (ytree_want_scalar(&L->yc, y, what) < 0)
        return NULL;
    at = strchr(y->str, '@');
    if (at == NULL || at == y->str || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
        strpbrk(y->str, " \t,;<>\"()\\") != NULL || !mail_address_ok(y->str)) {
        FAIL(L, y->line, "%s: '%s' is not a mail address (write user@example.org)", what, y->str);
        return NULL;
    }
    for (const char *p = y->str; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            FAIL(L, y->line, "%s: a control character in '%s'", what, y->str);
            return NULL;
        }
    return xstrdup(y->str);
}

/*
 * timezone_ok - a zone name the C library will really use: a file under the zoneinfo
 * directory, or a POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3", "<+03>-3"). glibc takes an
 * unknown name silently as UTC, which would shift every time by hours without a word.
 */
static int timezone_ok(const char *tz)
{
    const char *dir = getenv("TZDIR");
    char file[PATH_MAX];
    struct stat sb;
    const char *p = tz;

    if (strcmp(tz, "UTC") == 0 || strcmp(tz, "GMT") == 0)
        return 1;
    if (tz[0] == ':')
        tz++;
    if (strstr(tz, "..") == NULL && tz[0] != '/' &&
        snprintf(file, sizeof file, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz) <
            (int)sizeof file &&
        stat(file, &sb) == 0 && S_ISREG(sb.st_mode))
        return 1;
    if (tz[0] == '/' && stat(tz, &sb) == 0 && S_ISREG(sb.st_mode))
        return 1;
    /* POSIX: a name of 3+ letters (or <...>), then an offset */
    p = tz;
    if (*p == '<') {
        const char *q = strchr(p, '>');
        if (q == NULL)
            return 0;
        p = q + 1;
    } else {
        size_t n = 0;
        while (isalpha((unsigned char)p[n]))
            n++;
        if (n < 3)
            return 0;
        p += n;
    }
    if (*p == '+' || *p == '-')
        p++;
    return isdigit((unsigned char)*p);
}

/* ------------------------------------------------------------------ sources */

enum { S_PATHS, S_FORMAT, S_HOST, S_TIMEZONE, S_NKEYS };
static const char *const source_keys[] = {"paths", "format", "host", "timezone", NULL};

static int load_source(struct loader *L, struct ynode *y, struct config_source *s)
{
    struct ynode *v[S_NKEYS];

    s->line = y->line;
    s->format = "auto";
    if (ytree_map_fields(&L->yc, y, "a source", source_keys, v) < 0)
        return -1;
    if (v[S_PATHS] == NULL)
        return FAIL(L, y->line, "a source needs paths (a file or a glob like /var/log/mail.log*)");
    if (paths(L, v[S_PATHS], "paths", &s->paths, &s->npaths) < 0)
        return -1;
    if (v[S_FORMAT] != NULL) {
        const struct parser_ops *ops;
        if (ytree_want_scalar(&L->yc, v[S_FORMAT], "format") < 0)
            return -1;
        if (strcmp(v[S_FORMAT]->str, "auto") == 0) {
            s->format = "auto";
        } else if ((ops = parser_by_name(v[S_FORMAT]->str)) != NULL) {
            s->format = ops->name;
        } else {
            char names[256];
            parser_names(names, sizeof names);
            return FAIL(L, v[S_FORMAT]->line, "format: unknown value '%s' (known: auto, %s)",
                        v[S_FORMAT]->str, names);
        }
    }
    if (v[S_HOST] != NULL && (s->host = text(L, v[S_HOST], "host")) == NULL)
        return -1;
    if (v[S_TIMEZONE] != NULL) {
        if ((s->timezone = text(L, v[S_TIMEZONE], "timezone")) == NULL)
            return -1;
        if (!timezone_ok(s->timezone))
            return FAIL(L, v[S_TIMEZONE]->line,
                        "timezone: unknown time zone '%s' (write a name like Europe/Berlin "
                        "from /usr/share/zoneinfo, or UTC)",
                        s->timezone);
    }
    return 0;
}

/* ------------------------------------------------------------------ reports */

enum {
    R_NAME,
    R_PERIOD,
    R_WEEKDAY,
    R_DAY,
    R_TO,
    R_FROM,
    R_SUBJECT,
    R_SENDMAIL,
    R_SMTP,
    R_SMTP_USER,
    R_SMTP_PASSWORD_FILE,
    R_SMTP_TLS,
    R_SMTP_CACERT,
    R_FORMATS,
    R_DIRECTORY,
    R_MTA,
    R_HOST,
    R_DIRECTION,
    R_CODES,
    R_TOP,
    R_NKEYS
};
static const char *const report_keys[] = {"name",
                                          "period",
                                          "weekday",
                                          "day",
                                          "to",
                                          "from",
                                          "subject",
                                          "sendmail",
                                          "smtp",
                                          "smtp_user",
                                          "smtp_password_file",
                                          "smtp_tls",
                                          "smtp_cacert",
                                          "formats",
                                          "directory",
                                          "mta",
                                          "host",
                                          "direction",
                                          "codes",
                                          "top",
                                          NULL};

static const char *const period_names[] = {"daily", "weekly", "monthly", NULL};
static const char *const weekday_names[] = {"sunday",   "monday", "tuesday",  "wednesday",
                                            "thursday", "friday", "saturday", NULL};
static const char *const format_names[] = {"html", "csv", "text", "json", NULL};
static const char *const tls_names[] = {"starttls", "try", "none", NULL};
static const char *const direction_names[] = {"inbound", "outbound", NULL};

static int valid_name(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && strchr("_.-", *s) == NULL)
            return 0;
    return 1;
}

/* weekday - "monday" or "mon", any case: 0 Sunday .. 6 Saturday; -1 after an error */
static int weekday(struct loader *L, const struct ynode *y)
{
    if (ytree_want_scalar(&L->yc, y, "weekday") < 0)
        return -1;
    for (int i = 0; weekday_names[i] != NULL; i++)
        if (strcasecmp(y->str, weekday_names[i]) == 0 ||
            (y->len == 3 && strncasecmp(y->str, weekday_names[i], 3) == 0))
            return i;
    FAIL(L, y->line, "weekday: unknown value '%s' (known: monday .. sunday)", y->str);
    return -1;
}

/* codes - "5xx,4xx,550": what the report's --codes takes */
static int codes_ok(const char *s)
{
    char buf[256], *save = NULL;

    if (snprintf(buf, sizeof buf, "%s", s) >= (int)sizeof buf)
        return 0;
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (strlen(t) != 3 || (t[0] != '4' && t[0] != '5'))
            return 0;
        if (!((t[1] == 'x' && t[2] == 'x') ||
              (isdigit((unsigned char)t[1]) && isdigit((unsigned char)t[2]))))
            return 0;
    }
    return 1;
}

static int load_report(struct loader *L, struct ynode *y, struct config_report *r)
{
    struct ynode *v[R_NKEYS];
    const char *pn;
    long n = 0;

    r->line = y->line;
    r->weekday = 1;
    r->monthday = 1;
    if (ytree_map_fields(&L->yc, y, "a report", report_keys, v) < 0)
        return -1;
    if (v[R_NAME] == NULL)
        return FAIL(L, y->line, "a report needs a name");
    if ((r->name = text(L, v[R_NAME], "name")) == NULL)
        return -1;
    if (!valid_name(r->name))
        return FAIL(L, v[R_NAME]->line, "name '%s': use letters, digits and _ . - only", r->name);
    for (size_t i = 0; i < L->c->nreports; i++)
        if (&L->c->reports[i] != r && L->c->reports[i].name != NULL &&
            strcmp(L->c->reports[i].name, r->name) == 0)
            return FAIL(L, v[R_NAME]->line, "report '%s' defined twice (first on line %d)", r->name,
                        L->c->reports[i].line);
    if (v[R_PERIOD] == NULL)
        return FAIL(L, y->line, "report '%s' needs a period: daily, weekly or monthly", r->name);
    if ((pn = ytree_one_of(&L->yc, v[R_PERIOD], "period", period_names)) == NULL)
        return -1;
    r->period = strcmp(pn, "daily") == 0    ? PERIOD_DAILY
                : strcmp(pn, "weekly") == 0 ? PERIOD_WEEKLY
                                            : PERIOD_MONTHLY;
    if (v[R_WEEKDAY] != NULL) {
        if (r->period != PERIOD_WEEKLY)
            return FAIL(L, v[R_WEEKDAY]->line, "weekday is for a weekly report, not a %s one", pn);
        if ((r->weekday = weekday(L, v[R_WEEKDAY])) < 0)
            return -1;
    }
    if (v[R_DAY] != NULL) {
        if (r->period != PERIOD_MONTHLY)
            return FAIL(L, v[R_DAY]->line, "day is for a monthly report, not a %s one", pn);
        if (integer(L, v[R_DAY], "day", 1, 31, &n) < 0)
            return -1;
        r->monthday = (int)n;
    }
    if (v[R_TO] != NULL) {
        struct ynode **items;
        size_t cnt;
        int one = ytree_scalars(&L->yc, v[R_TO], "to", &items, &cnt);
        if (one < 0)
            return -1;
        if (cnt > MAIL_MAX_RCPT)
            return FAIL(L, v[R_TO]->line, "to: at most %d recipients (a list address serves more)",
                        MAIL_MAX_RCPT);
        r->to = xcalloc(cnt, sizeof *r->to);
        for (size_t i = 0; i < cnt; i++) {
            if ((r->to[r->nto] = address(L, ytree_item(v[R_TO], items, one, i), "to")) == NULL)
                return -1;
            r->nto++;
        }
    }
    if (v[R_FROM] != NULL && (r->from = address(L, v[R_FROM], "from")) == NULL)
        return -1;
    if (v[R_SUBJECT] != NULL) {
        if ((r->subject = text(L, v[R_SUBJECT], "subject")) == NULL)
            return -1;
        for (const char *p = r->subject; *p; p++)
            if ((unsigned char)*p < 0x20)
                return FAIL(L, v[R_SUBJECT]->line, "subject: one line, no control characters");
    }
    if (v[R_SENDMAIL] != NULL && (r->sendmail = path(L, v[R_SENDMAIL], "sendmail")) == NULL)
        return -1;
    if (v[R_SMTP] != NULL) {
        if ((r->smtp = text(L, v[R_SMTP], "smtp")) == NULL)
            return -1;
        if ((strncmp(r->smtp, "smtp://", 7) != 0 && strncmp(r->smtp, "smtps://", 8) != 0) ||
            strlen(r->smtp) <= (r->smtp[4] == 's' ? 8u : 7u) || strpbrk(r->smtp, " \t") != NULL)
            return FAIL(L, v[R_SMTP]->line,
                        "smtp: '%s' is not an SMTP URL (write smtp://host[:port] or "
                        "smtps://host[:port])",
                        r->smtp);
    }
    if (r->sendmail != NULL && r->smtp != NULL)
        return FAIL(L, v[R_SMTP]->line, "report '%s': give sendmail or smtp, not both", r->name);
    if (v[R_SMTP_USER] != NULL && (r->smtp_user = text(L, v[R_SMTP_USER], "smtp_user")) == NULL)
        return -1;
    if (v[R_SMTP_PASSWORD_FILE] != NULL &&
        (r->smtp_password_file = path(L, v[R_SMTP_PASSWORD_FILE], "smtp_password_file")) == NULL)
        return -1;
    if (v[R_SMTP_TLS] != NULL) {
        const char *t = ytree_one_of(&L->yc, v[R_SMTP_TLS], "smtp_tls", tls_names);
        if (t == NULL)
            return -1;
        r->smtp_tls = xstrdup(t);
    }
    if (v[R_SMTP_CACERT] != NULL &&
        (r->smtp_cacert = path(L, v[R_SMTP_CACERT], "smtp_cacert")) == NULL)
        return -1;
    for (int k = R_SMTP_USER; k <= R_SMTP_CACERT; k++)
        if (v[k] != NULL && r->smtp == NULL)
            return FAIL(L, v[k]->line, "%s needs smtp (an SMTP URL)", report_keys[k]);
    if (r->smtp_user != NULL && r->smtp_password_file == NULL)
        return FAIL(L, v[R_SMTP_USER]->line,
                    "smtp_user needs smtp_password_file (a file whose first line is the "
                    "password)");
    if (v[R_FORMATS] != NULL) {
        struct ynode **items;
        size_t cnt;
        int one = ytree_scalars(&L->yc, v[R_FORMATS], "formats", &items, &cnt);
        if (one < 0)
            return -1;
        r->formats = xcalloc(cnt, sizeof *r->formats);
        for (size_t i = 0; i < cnt; i++) {
            const char *f = ytree_one_of(&L->yc, ytree_item(v[R_FORMATS], items, one, i), "formats",
                                         format_names);
            if (f == NULL)
                return -1;
            r->formats[r->nformats++] = f;
        }
    }
    if (v[R_DIRECTORY] != NULL && (r->directory = path(L, v[R_DIRECTORY], "directory")) == NULL)
        return -1;
    if ((r->formats != NULL) != (r->directory != NULL))
        return FAIL(L, (v[R_FORMATS] ? v[R_FORMATS] : v[R_DIRECTORY])->line,
                    "report '%s': formats and directory go together (the files to keep, and "
                    "where)",
                    r->name);
    if (r->nto == 0 && r->directory == NULL)
        return FAIL(L, y->line,
                    "report '%s' goes nowhere: give to (recipients) or formats and directory",
                    r->name);
    if (r->nto == 0) {
        for (int k = R_FROM; k <= R_SMTP_CACERT; k++)
            if (v[k] != NULL)
                return FAIL(L, v[k]->line, "%s is for mail: give to (recipients) too",
                            report_keys[k]);
    }
    if (v[R_MTA] != NULL && (r->mta = text(L, v[R_MTA], "mta")) == NULL)
        return -1;
    if (v[R_HOST] != NULL && (r->host = text(L, v[R_HOST], "host")) == NULL)
        return -1;
    if (v[R_DIRECTION] != NULL) {
        const char *dn = ytree_one_of(&L->yc, v[R_DIRECTION], "direction", direction_names);
        if (dn == NULL)
            return -1;
        r->direction = xstrdup(dn);
    }
    if (v[R_CODES] != NULL) {
        if ((r->codes = text(L, v[R_CODES], "codes")) == NULL)
            return -1;
        if (!codes_ok(r->codes))
            return FAIL(L, v[R_CODES]->line,
                        "codes: '%s': give 5xx, 4xx or reply codes like 550, separated by commas",
                        r->codes);
    }
    if (v[R_TOP] != NULL) {
        if (integer(L, v[R_TOP], "top", 1, 1000, &n) < 0)
            return -1;
        r->top = n;
    }
    return 0;
}

/* ------------------------------------------------------------------ the file */

enum { T_VERSION, T_DATABASE, T_LOCK_WAIT, T_RETENTION, T_RULES, T_SOURCES, T_REPORTS, T_NKEYS };
static const char *const top_keys[] = {"version", "database", "lock_wait", "retention",
                                       "rules",   "sources",  "reports",   NULL};

static int load_tree(struct loader *L, struct ynode *root)
{
    struct ynode *v[T_NKEYS];
    struct config *c = L->c;

    if (root == NULL)
        return 0; /* an empty file: every default */
    if (ytree_map_fields(&L->yc, root, "the file", top_keys, v) < 0)
        return -1;
    if (v[T_VERSION] != NULL) {
        if (ytree_want_scalar(&L->yc, v[T_VERSION], "version") < 0)
            return -1;
        if (strcmp(v[T_VERSION]->str, "1") != 0)
            return FAIL(L, v[T_VERSION]->line, "version %s: this rejectlens reads version 1",
                        v[T_VERSION]->str);
    }
    /* a PostgreSQL URI or connection string is taken as it is, not as a relative path */
    if (v[T_DATABASE] != NULL && v[T_DATABASE]->type == Y_SCALAR &&
        store_is_remote(v[T_DATABASE]->str))
        c->database = xstrdup(v[T_DATABASE]->str);
    else if (v[T_DATABASE] != NULL && (c->database = path(L, v[T_DATABASE], "database")) == NULL)
        return -1;
    if (v[T_LOCK_WAIT] != NULL) {
        int64_t s;
        if (duration(L, v[T_LOCK_WAIT], "lock_wait", &s) < 0)
            return -1;
        if (s > 86400)
            return FAIL(L, v[T_LOCK_WAIT]->line, "lock_wait: at most a day (24h)");
        c->lock_wait_ms = s * 1000;
    }
    if (v[T_RETENTION] != NULL) {
        if (ytree_want_scalar(&L->yc, v[T_RETENTION], "retention") < 0)
            return -1;
        if (strcmp(v[T_RETENTION]->str, "forever") == 0)
            c->retention_s = 0;
        else if (duration(L, v[T_RETENTION], "retention", &c->retention_s) < 0)
            return -1;
        else if (c->retention_s < 86400)
            return FAIL(L, v[T_RETENTION]->line,
                        "retention: %s keeps less than a day; give days (90d) or forever",
                        v[T_RETENTION]->str);
    }
    if (v[T_RULES] != NULL && paths(L, v[T_RULES], "rules", &c->rules, &c->nrules) < 0)
        return -1;
    if (v[T_SOURCES] != NULL) {
        struct ynode *y = v[T_SOURCES];
        if (y->type != Y_SEQ)
            return FAIL(L, y->line, "sources must be a list, not %s", ytree_type_name(y));
        c->sources = xcalloc(y->n ? y->n : 1, sizeof *c->sources);
        for (size_t i = 0; i < y->n; i++) {
            c->nsources++;
            if (load_source(L, y->kids[i], &c->sources[i]) < 0)
                return -1;
        }
    }
    if (v[T_REPORTS] != NULL) {
        struct ynode *y = v[T_REPORTS];
        if (y->type != Y_SEQ)
            return FAIL(L, y->line, "reports must be a list, not %s", ytree_type_name(y));
        c->reports = xcalloc(y->n ? y->n : 1, sizeof *c->reports);
        for (size_t i = 0; i < y->n; i++) {
            c->nreports++;
            if (load_report(L, y->kids[i], &c->reports[i]) < 0)
                return -1;
        }
    }
    return 0;
}

/* load - text into a configuration; dir resolves relative paths (NULL: leave them) */
static int load(const char *name, const char *dir, const char *txt, size_t len, struct config **out,
                struct diag *d)
{
    struct config *c = xcalloc(1, sizeof *c);
    struct loader L = {{name, d}, dir, c};
    struct ynode *root = NULL;
    int rc;

    c->file = xstrdup(name);
    c->lock_wait_ms = CONFIG_DEFAULT_LOCK_WAIT_MS;
    rc = ytree_parse(&L.yc, txt, len, &root);
    if (rc == 0)
        rc = load_tree(&L, root);
    ytree_free(root);
    if (rc < 0) {
        config_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

int config_load(const char *file, struct config **out, struct diag *d)
{
    char *txt = NULL, *dir, *slash;
    size_t len;
    int rc;

    if (ytree_read_file(file, CONFIG_MAX_FILE, "configuration file", &txt, &len, d) < 0)
        return -1;
    /* the directory of the file, absolute, for relative paths inside it */
    dir = realpath(file, NULL);
    if (dir != NULL && (slash = strrchr(dir, '/')) != NULL)
        *(slash == dir ? slash + 1 : slash) = '\0';
    rc = load(file, dir, txt, len, out, d);
    free(dir);
    free(txt);
    return rc;
}

int config_load_string(const char *name, const char *txt, struct config **out, struct diag *d)
{
    return load(name, NULL, txt, strlen(txt), out, d);
}
