/*
 * store_report - the SQL aggregates behind "rejectlens report" (see store_report.h)
 *
 * DESCRIPTION
 *	Every statement is a string literal, prepared once and cached; every value is bound. The
 *	filter is the same fragment in every statement, bound by bind_filter(): ?1 and ?2 the time
 *	range (which the events(ts) index serves), ?3 MTA, ?4 host, ?5 direction, ?6..?15 the code
 *	filter. Kinds appear in the SQL as numbers; the static assertions below tie them to
 *	event.h. The SQL is the same for SQLite and PostgreSQL but for one function (instr);
 *	what makes it so: a text parameter tested for NULL is CAST to TEXT (PostgreSQL must know
 *	its type), a derived table has a name, a comparison that is counted is a CASE.
 *
 *	Top lists and the commonest reply texts per category use row_number() over a partition
 *	(SQL:2003 window functions; SQLite 3.25 and PostgreSQL have them), so each list is one pass
 *	over the period instead of one pass per category.
 *
 *	Where the period's whole hours are rolled up (store_rollup.h), each question reads those
 *	from the roll-ups and the rest from the events, and adds the pieces up here: counts are
 *	summed, first ids take the least, last ids and client names the greatest, and rows are
 *	ordered and cut as the SQL of a single pass orders and cuts them, so the answer is the
 *	same to the byte. A period with nothing rolled up runs the single pass, and so does
 *	PostgreSQL, which has no roll-ups: the SQL of the pieces is SQLite's alone.
 */
#include "store_internal.h"
#include "store_report.h"
#include "store_rollup.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(EVENT_REJECT == 1 && EVENT_BOUNCE == 3 && EVENT_DEFER == 4 && EVENT_EXPIRE == 5,
               "the report's SQL names event kinds by number");

/* the category of a failure (events e LEFT JOIN reply_texts r) */
#define CAT "coalesce(r.category, 'unclassified')"
/* its code class: reply code, else enhanced status, else kind (bounce, expire 5; defer 4) */
#define CLS                                                                                        \
    "(CASE WHEN e.reply_code BETWEEN 400 AND 599 THEN e.reply_code / 100 "                         \
    "WHEN e.status LIKE '5.%' THEN 5 WHEN e.status LIKE '4.%' THEN 4 "                             \
    "WHEN e.kind IN (3, 5) THEN 5 WHEN e.kind = 4 THEN 4 ELSE 0 END)"
#define FROM_EVENTS " FROM events e LEFT JOIN reply_texts r ON r.id = e.reply_text_id"
#define AND_WHERE                                                                                  \
    " AND (CAST(?3 AS TEXT) IS NULL OR e.mta = ?3)"                                                \
    " AND (CAST(?4 AS TEXT) IS NULL OR e.host = ?4) AND (?5 = 0 OR e.direction = ?5)"
#define WHERE_FILTER " WHERE e.ts >= ?1 AND e.ts < ?2" AND_WHERE
/* the same over the roll-ups: the rows of the piece's days and hours added up per group first
 * (ROLLUP_FAILURES), then each group (rollup_groups, named e: it has the columns of the events
 * the filter reads) once; ?1 ?2 are whole hours */
#define FROM_GROUPS                                                                                \
    " FROM " ROLLUP_FAILURES " f CROSS JOIN rollup_groups e ON e.id = f.group_id"                  \
    " LEFT JOIN reply_texts r ON r.id = e.reply_text_id"
#define WHERE_HOURS " WHERE 1 = 1" AND_WHERE
/* failures: reject, bounce, defer, expire; then the code filter */
#define AND_FAILURE                                                                                \
    " AND " STORE_FAILURES " AND (?6 = 0 OR ((?7 & 16) <> 0 AND " CLS " = 4)"                      \
    " OR ((?7 & 32) <> 0 AND " CLS " = 5)"                                                         \
    " OR e.reply_code IN (?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15))"

/* bind_piece - the filter, for the piece [since, until) of its period (?18 ?19: its whole days,
 * for ROLLUP_FAILURES) */
static void bind_piece(struct store_stmt *st, const struct store_report_filter *f, int64_t since,
                       int64_t until)
{
    int64_t day_from, day_to;

    rollup_days_within(since, until, &day_from, &day_to);
    store_bind_int64(st, 18, day_from);
    store_bind_int64(st, 19, day_to);
    store_bind_int64(st, 1, since);
    store_bind_int64(st, 2, until);
    store_bind_text(st, 3, f->mta);
    store_bind_text(st, 4, f->host);
    store_bind_int64(st, 5, (int64_t)f->direction);
    store_bind_int64(st, 6, f->code_filter ? 1 : 0);
    store_bind_int64(st, 7, (int64_t)f->classes);
    for (int i = 0; i < STORE_REPORT_MAX_CODES; i++) {
        if ((size_t)i < f->ncodes)
            store_bind_int64(st, 8 + i, f->codes[i]);
        else
            store_bind_null(st, 8 + i);
    }
}

static void bind_filter(struct store_stmt *st, const struct store_report_filter *f)
{
    bind_piece(st, f, f->since_us, f->until_us);
}

/* pieces - f's period cut into raw and rolled-up pieces; 1 when some are rolled up, 0 when
 * none (*segs is then NULL: run the single pass), -1 on error */
static int pieces(struct store *s, const struct store_report_filter *f,
                  struct rollup_segment **segs, size_t *n, struct diag *d)
{
    if (store_rollup_segments(s, f->since_us, f->until_us, segs, n, d) < 0)
        return -1;
    if (rollup_any(*segs, *n))
        return 1;
    free(*segs);
    *segs = NULL;
    *n = 0;
    return 0;
}

/* grow - make room for one more row in *rows (n rows, capacity *cap) */
static void *grow(void *rows, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return rows;
    *cap = *cap ? *cap * 2 : 16;
    return xreallocarray(rows, *cap, size);
}

/* two passes that need no sort of all the period's events: counts by kind, then the few
 * distinct (source, host) pairs, in order; events_ts covers both */
static const char q_kind[] =
    "SELECT e.kind, count(*) FROM events e" WHERE_FILTER " GROUP BY e.kind ORDER BY e.kind";
static const char q_source[] = "SELECT DISTINCT coalesce(e.source_id, 0), coalesce(e.host, '')"
                               " FROM events e" WHERE_FILTER " ORDER BY 1, 2";
/* the same over rollup_kinds (pieces are then merged and the pairs sorted again) */
#define WHERE_KIND_HOURS                                                                           \
    " FROM rollup_kinds e WHERE e.hour >= ?1 / 3600000000 AND e.hour < ?2 / 3600000000" AND_WHERE
static const char r_kind[] = "SELECT e.kind, sum(e.n)" WHERE_KIND_HOURS " GROUP BY e.kind";
static const char r_source[] =
    "SELECT DISTINCT coalesce(e.source_id, 0), coalesce(e.host, '')" WHERE_KIND_HOURS
    " ORDER BY 1, 2";

/* by_source_host - the order of q_source's pairs */
static int by_source_host(const void *a, const void *b)
{
    const struct store_report_kind_row *x = a, *y = b;

    if (x->source_id != y->source_id)
        return x->source_id < y->source_id ? -1 : 1;
    return strcmp(x->host, y->host);
}

/* add_kind - count rows: add k events of kind to rows[0..*n) (kept in kind order) */
static void add_kind(struct store_report_kind_row **rows, size_t *n, size_t *cap,
                     enum event_kind kind, int64_t k)
{
    size_t i = 0;

    while (i < *n && (*rows)[i].kind < kind)
        i++;
    if (i < *n && (*rows)[i].kind == kind) {
        (*rows)[i].count += k;
        return;
    }
    *rows = grow(*rows, *n, cap, sizeof **rows);
    memmove(&(*rows)[i + 1], &(*rows)[i], (*n - i) * sizeof **rows);
    (*rows)[i] = (struct store_report_kind_row){-1, kind, NULL, k};
    (*n)++;
}

/* add_source - a (source, host) pair row, unless one is there already (counts come first) */
static void add_source(struct store_report_kind_row **rows, size_t *n, size_t *cap,
                       int64_t source_id, const char *host)
{
    for (size_t i = 0; i < *n; i++)
        if ((*rows)[i].host != NULL && (*rows)[i].source_id == source_id &&
            strcmp((*rows)[i].host, host) == 0)
            return;
    *rows = grow(*rows, *n, cap, sizeof **rows);
    (*rows)[(*n)++] = (struct store_report_kind_row){source_id, EVENT_KIND_NONE, xstrdup(host), 0};
}

int store_report_kinds(struct store *s, const struct store_report_filter *f,
                       struct store_report_kind_row **rows, size_t *n, struct diag *d)
{
    struct rollup_segment whole = {f->since_us, f->until_us, 0}, *segs = NULL;
    size_t nseg = 1, cap = 0;
    int rc = pieces(s, f, &segs, &nseg, d);

    *rows = NULL;
    *n = 0;
    if (rc < 0)
        return -1;
    if (rc == 0) {
        segs = &whole;
        nseg = 1;
    }
    /* the counts, piece by piece, then the pairs, in time order */
    for (int pass = 0; pass < 2 && rc >= 0; pass++)
        for (size_t i = 0; i < nseg && rc >= 0; i++) {
            const char *sql =
                segs[i].rolled ? (pass ? r_source : r_kind) : (pass ? q_source : q_kind);
            struct store_stmt *st = store_stmt_cached(s, sql, d);
            if (st == NULL) {
                rc = -1;
                break;
            }
            bind_piece(st, f, segs[i].from_us, segs[i].to_us);
            while ((rc = store_step(s, st, d)) == 1) {
                if (pass == 0)
                    add_kind(rows, n, &cap, (enum event_kind)store_column_int64(st, 0),
                             store_column_int64(st, 1));
                else
                    add_source(rows, n, &cap, store_column_int64(st, 0), store_column_text(st, 1));
            }
            store_reset(st);
        }
    if (segs != &whole)
        free(segs);
    if (rc < 0) {
        store_report_kind_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    /* the pairs of several pieces in the order of q_source: source, then host */
    size_t first = 0;
    while (first < *n && (*rows)[first].host == NULL)
        first++;
    if (nseg > 1 && *n - first > 1)
        qsort(*rows + first, *n - first, sizeof **rows, by_source_host);
    return 0;
}

void store_report_kind_rows_free(struct store_report_kind_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].host);
    free(rows);
}

int store_report_span(struct store *s, const struct store_report_filter *f, int64_t *first_us,
                      int64_t *last_us, struct diag *d)
{
    /* two walks from the ends of events_ts that stop at the first event the filter takes:
     * min() and max() in one statement read the whole period (2.4 s for a month of 10M) */
    static const char q_first[] = "SELECT e.ts FROM events e" WHERE_FILTER " ORDER BY e.ts LIMIT 1";
    static const char q_last[] =
        "SELECT e.ts FROM events e" WHERE_FILTER " ORDER BY e.ts DESC LIMIT 1";
    const char *sql[2] = {q_first, q_last};
    int64_t *out[2] = {first_us, last_us};
    int found = 0;

    for (int i = 0; i < 2; i++) {
        struct store_stmt *st = store_stmt_cached(s, sql[i], d);
        int rc;
        if (st == NULL)
            return -1;
        bind_filter(st, f);
        if ((rc = store_step(s, st, d)) == 1) {
            *out[i] = store_column_int64(st, 0);
            found = 1;
        }
        store_reset(st);
        if (rc < 0)
            return -1;
    }
    return found;
}

static const char q_categories[] =
    "SELECT " CAT ", " CLS
    ", (CASE WHEN e.reply_code = 550 THEN 1 ELSE 0 END), count(*)" FROM_EVENTS WHERE_FILTER
        AND_FAILURE " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
static const char r_categories[] =
    "SELECT " CAT ", " CLS
    ", (CASE WHEN e.reply_code = 550 THEN 1 ELSE 0 END), sum(f.n)" FROM_GROUPS WHERE_HOURS
        AND_FAILURE " GROUP BY 1, 2, 3";

/* by_category - the order of q_categories: category, class, 550 */
static int by_category(const void *a, const void *b)
{
    const struct store_report_cat_row *x = a, *y = b;
    int c = strcmp(x->category, y->category);

    if (c != 0)
        return c;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    return x->is_550 - y->is_550;
}

int store_report_categories(struct store *s, const struct store_report_filter *f,
                            struct store_report_cat_row **rows, size_t *n, struct diag *d)
{
    struct rollup_segment whole = {f->since_us, f->until_us, 0}, *segs = NULL;
    size_t nseg = 1, cap = 0;
    int rc = pieces(s, f, &segs, &nseg, d), merged = rc == 1;

    *rows = NULL;
    *n = 0;
    if (rc < 0)
        return -1;
    if (rc == 0) {
        segs = &whole;
        nseg = 1;
    }
    for (size_t i = 0; i < nseg && rc >= 0; i++) {
        struct store_stmt *st =
            store_stmt_cached(s, segs[i].rolled ? r_categories : q_categories, d);
        if (st == NULL) {
            rc = -1;
            break;
        }
        bind_piece(st, f, segs[i].from_us, segs[i].to_us);
        while ((rc = store_step(s, st, d)) == 1) {
            struct store_report_cat_row r = {NULL, (int)store_column_int64(st, 1),
                                             store_column_int64(st, 2) != 0,
                                             store_column_int64(st, 3)};
            const char *cat = store_column_text(st, 0);
            size_t k = 0;
            while (merged && k < *n &&
                   !((*rows)[k].cls == r.cls && (*rows)[k].is_550 == r.is_550 &&
                     strcmp((*rows)[k].category, cat) == 0))
                k++;
            if (merged && k < *n) {
                (*rows)[k].count += r.count;
                continue;
            }
            *rows = grow(*rows, *n, &cap, sizeof **rows);
            r.category = xstrdup(cat);
            (*rows)[(*n)++] = r;
        }
        store_reset(st);
    }
    if (segs != &whole)
        free(segs);
    if (rc < 0) {
        store_report_cat_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    if (merged && *n > 1)
        qsort(*rows, *n, sizeof **rows, by_category);
    return 0;
}

void store_report_cat_rows_free(struct store_report_cat_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].category);
    free(rows);
}

/* TOP_SQL - the per-category top list of a value expression, with an extra column */
#define TOP_SQL(val, extra)                                                                        \
    "SELECT cat, val, extra, n, last FROM (SELECT " CAT " AS cat, " val " AS val, " extra          \
    " AS extra, count(*) AS n, max(e.id) AS last, row_number() OVER (PARTITION BY " CAT            \
    " ORDER BY count(*) DESC, " val ")"                                                            \
    " AS rk" FROM_EVENTS WHERE_FILTER AND_FAILURE " AND " val " <> '' GROUP BY 1, 2) AS t"         \
    " WHERE rk <= ?16 ORDER BY cat, rk"
/* HIST_SQL - every value of a piece of the period, per category, to add to the roll-ups' */
#define HIST_SQL(val, extra)                                                                       \
    "SELECT " CAT ", " val ", " extra ", count(*), max(e.id)" FROM_EVENTS WHERE_FILTER AND_FAILURE \
    " AND " val " <> '' GROUP BY 1, 2"
/* relay=none is no relay: the delivery never reached one */
#define RELAY_VALUE "(CASE WHEN " ROLLUP_RELAY " <> 'none' THEN " ROLLUP_RELAY " END)"
/* the groups of failures the filter lets through, with their category */
static const char q_groups[] =
    "SELECT e.id, " CAT " FROM rollup_groups e LEFT JOIN reply_texts r ON r.id = e.reply_text_id"
    " WHERE 1" AND_WHERE AND_FAILURE;

/* PostgreSQL has no instr(): the domains with strpos() (the roll-ups are SQLite's only) */
static const char *const q_top_pg[STORE_DIM_COUNT] = {
    TOP_SQL(ROLLUP_RECIPIENT, "NULL"),
    TOP_SQL(ROLLUP_DOMAIN_OF_PG("e.recipient"), "NULL"),
    TOP_SQL(ROLLUP_SENDER, "NULL"),
    TOP_SQL(ROLLUP_DOMAIN_OF_PG("e.sender"), "NULL"),
    TOP_SQL(ROLLUP_CLIENT, "max(e.client_name)"),
    TOP_SQL(ROLLUP_HELO, "NULL"),
    TOP_SQL(RELAY_VALUE, "NULL"),
};
static const char *const q_top[STORE_DIM_COUNT] = {
    TOP_SQL(ROLLUP_RECIPIENT, "NULL"),
    TOP_SQL(ROLLUP_RECIPIENT_DOMAIN, "NULL"),
    TOP_SQL(ROLLUP_SENDER, "NULL"),
    TOP_SQL(ROLLUP_SENDER_DOMAIN, "NULL"),
    TOP_SQL(ROLLUP_CLIENT, "max(e.client_name)"),
    TOP_SQL(ROLLUP_HELO, "NULL"),
    TOP_SQL(RELAY_VALUE, "NULL"),
};
static const char *const q_hist[STORE_DIM_COUNT] = {
    HIST_SQL(ROLLUP_RECIPIENT, "NULL"),
    HIST_SQL(ROLLUP_RECIPIENT_DOMAIN, "NULL"),
    HIST_SQL(ROLLUP_SENDER, "NULL"),
    HIST_SQL(ROLLUP_SENDER_DOMAIN, "NULL"),
    HIST_SQL(ROLLUP_CLIENT, "max(e.client_name)"),
    HIST_SQL(ROLLUP_HELO, "NULL"),
    HIST_SQL(RELAY_VALUE, "NULL"),
};

/* the categories met while merging: a key of the histogram is an index here */
struct cats {
    char **v;
    size_t n;
};

static int64_t cat_index(struct cats *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i], name) == 0)
            return (int64_t)i;
    c->v = xreallocarray(c->v, c->n + 1, sizeof *c->v);
    c->v[c->n] = xstrdup(name);
    return (int64_t)c->n++;
}

static void cats_free(struct cats *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
}

/* key_of_groups - key_of[group id] = the index of its category, -1 for groups the filter
 * leaves out; *ngroups the size of the array */
static int key_of_groups(struct store *s, const struct store_report_filter *f, struct cats *c,
                         int64_t **key_of, size_t *ngroups, struct diag *d)
{
    struct store_stmt *st;
    int64_t max;
    int rc;

    *key_of = NULL;
    if (store_rollup_max_group(s, &max, d) < 0 || (st = store_stmt_cached(s, q_groups, d)) == NULL)
        return -1;
    *ngroups = (size_t)max + 1;
    *key_of = xreallocarray(NULL, *ngroups, sizeof **key_of);
    for (size_t i = 0; i < *ngroups; i++)
        (*key_of)[i] = -1;
    bind_filter(st, f);
    while ((rc = store_step(s, st, d)) == 1) {
        int64_t id = store_column_int64(st, 0);
        if (id >= 0 && (size_t)id < *ngroups)
            (*key_of)[id] = cat_index(c, store_column_text(st, 1));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* what the single pass leaves out of a top list: no value, an empty one, relay=none */
static int counted(enum store_report_dim dim, const struct rollup_entry *e)
{
    if (e->value == NULL || e->vlen == 0)
        return 0;
    return dim != STORE_DIM_RELAY || rollup_cmp(e->value, e->vlen, "none", 4) != 0;
}

/* better - 1 when a ranks before b in a category's top list: count down, then value (rk of
 * TOP_SQL) */
static int better(const struct rollup_entry *a, const struct rollup_entry *b)
{
    if (a->n != b->n)
        return a->n > b->n;
    return rollup_cmp(a->value, a->vlen, b->value, b->vlen) < 0;
}

/* the order of the categories' lists: by name (cat of TOP_SQL) */
static const struct cats *sort_cats;

static int by_name(const void *a, const void *b)
{
    return strcmp(sort_cats->v[*(const size_t *)a], sort_cats->v[*(const size_t *)b]);
}

/* top_merged - the top list of dim over pieces of which some are rolled up; key_of (ngroups
 * long) maps a group to its category in c, which grows with the categories of the raw pieces */
static int top_merged(struct store *s, const struct store_report_filter *f,
                      enum store_report_dim dim, size_t per_category,
                      const struct rollup_segment *segs, size_t nseg, struct cats *cs,
                      const int64_t *key_of, size_t ngroups, struct rollup_hist *h,
                      struct store_report_top_row **rows, size_t *n, struct diag *d)
{
    struct cats c = *cs;
    struct rollup_entry *v, **order = NULL;
    size_t nv, cap = 0;
    int rc = 0;

    for (size_t i = 0; i < nseg && rc >= 0; i++) {
        if (segs[i].rolled) {
            rc = store_rollup_values(s, dim, segs[i].from_us, segs[i].to_us, key_of, ngroups, h, d);
            continue;
        }
        struct store_stmt *st = store_stmt_cached(s, q_hist[dim], d);
        if (st == NULL) {
            rc = -1;
            break;
        }
        bind_piece(st, f, segs[i].from_us, segs[i].to_us);
        while ((rc = store_step(s, st, d)) == 1) {
            struct rollup_entry e = {cat_index(&c, store_column_text(st, 0)),
                                     NULL,
                                     0,
                                     store_column_int64(st, 3),
                                     store_column_int64(st, 4),
                                     NULL,
                                     0};
            e.value = store_column_text(st, 1);
            e.vlen = store_column_bytes(st, 1);
            if (!store_column_is_null(st, 2)) {
                e.extra = store_column_text(st, 2);
                e.elen = store_column_bytes(st, 2);
            }
            rollup_hist_add(h, &e);
        }
        store_reset(st);
    }
    if (rc >= 0) {
        /* each category's best per_category entries, kept sorted as they come (most are
         * turned away by one comparison with the last); then the categories by name */
        size_t *nbest = xcalloc(c.n ? c.n : 1, sizeof *nbest), *byname;
        v = rollup_hist_entries(h, &nv);
        order = xcalloc(c.n * per_category + 1, sizeof *order);
        for (size_t i = 0; i < nv && per_category > 0; i++) {
            struct rollup_entry **best = order + v[i].key * per_category;
            size_t *k = &nbest[v[i].key], at = *k;
            if (!counted(dim, &v[i]) || (*k == per_category && !better(&v[i], best[*k - 1])))
                continue;
            while (at > 0 && better(&v[i], best[at - 1]))
                at--;
            if (*k < per_category)
                (*k)++;
            memmove(&best[at + 1], &best[at], (*k - 1 - at) * sizeof *best);
            best[at] = &v[i];
        }
        byname = xreallocarray(NULL, c.n ? c.n : 1, sizeof *byname);
        for (size_t i = 0; i < c.n; i++)
            byname[i] = i;
        sort_cats = &c;
        qsort(byname, c.n, sizeof *byname, by_name);
        for (size_t i = 0; i < c.n; i++)
            for (size_t j = 0; j < nbest[byname[i]]; j++) {
                const struct rollup_entry *e = order[byname[i] * per_category + j];
                *rows = grow(*rows, *n, &cap, sizeof **rows);
                struct store_report_top_row *r = &(*rows)[(*n)++];
                r->category = xstrdup(c.v[e->key]);
                r->value = xstrndup(e->value, e->vlen);
                r->extra = e->extra ? xstrndup(e->extra, e->elen) : NULL;
                r->count = e->n;
                r->last_event_id = e->last;
            }
        free(byname);
        free(nbest);
    }
    free(order);
    rollup_hist_clear(h);
    *cs = c;
    return rc < 0 ? -1 : 0;
}

/* top_single - the top list of dim in one pass over the events of the period */
static int top_single(struct store *s, const struct store_report_filter *f,
                      enum store_report_dim dim, size_t per_category,
                      struct store_report_top_row **rows, size_t *n, struct diag *d)
{
    struct store_stmt *st = store_stmt_cached(s, STORE_SQL(s, q_top[dim], q_top_pg[dim]), d);
    size_t cap = 0;
    int rc;

    if (st == NULL)
        return -1;
    bind_filter(st, f);
    store_bind_int64(st, 16, (int64_t)per_category);
    while ((rc = store_step(s, st, d)) == 1) {
        *rows = grow(*rows, *n, &cap, sizeof **rows);
        struct store_report_top_row *r = &(*rows)[(*n)++];
        size_t len;
        r->category = xstrdup(store_column_text(st, 0));
        const char *value = store_column_textn(st, 1, &len);
        r->value = xstrndup(value, len);
        r->extra = store_column_dup(st, 2);
        r->count = store_column_int64(st, 3);
        r->last_event_id = store_column_int64(st, 4);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int store_report_tops(struct store *s, const struct store_report_filter *f, size_t per_category,
                      struct store_report_top_row *rows[STORE_DIM_COUNT], size_t n[STORE_DIM_COUNT],
                      struct diag *d)
{
    struct rollup_segment *segs;
    struct cats c = {NULL, 0};
    struct rollup_hist *h = NULL;
    int64_t *key_of = NULL;
    size_t nseg, ngroups = 0;
    int rc;

    for (int k = 0; k < STORE_DIM_COUNT; k++) {
        rows[k] = NULL;
        n[k] = 0;
    }
    /* the groups and their categories once for every list */
    if ((rc = pieces(s, f, &segs, &nseg, d)) > 0) {
        rc = key_of_groups(s, f, &c, &key_of, &ngroups, d);
        h = rollup_hist_new(); /* one for every list: its room is reused */
    }
    for (int k = 0; k < STORE_DIM_COUNT && rc >= 0; k++)
        rc = segs != NULL
                 ? top_merged(s, f, (enum store_report_dim)k, per_category, segs, nseg, &c, key_of,
                              ngroups, h, &rows[k], &n[k], d)
                 : top_single(s, f, (enum store_report_dim)k, per_category, &rows[k], &n[k], d);
    rollup_hist_free(h);
    free(segs);
    free(key_of);
    cats_free(&c);
    if (rc < 0) {
        for (int k = 0; k < STORE_DIM_COUNT; k++) {
            store_report_top_rows_free(rows[k], n[k]);
            rows[k] = NULL;
            n[k] = 0;
        }
        return -1;
    }
    return 0;
}

void store_report_top_rows_free(struct store_report_top_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].category);
        free(rows[i].value);
        free(rows[i].extra);
    }
    free(rows);
}

static const char q_templates[] =
    "SELECT cat, rid, n, first, last FROM (SELECT " CAT " AS cat,"
    " coalesce(e.reply_text_id, 0) AS rid, count(*) AS n, min(e.id) AS first,"
    " max(e.id) AS last, row_number() OVER (PARTITION BY " CAT
    " ORDER BY count(*) DESC, coalesce(e.reply_text_id, 0)) AS rk" FROM_EVENTS WHERE_FILTER
        AND_FAILURE " AND (CAST(?17 AS TEXT) IS NULL OR " CAT " = ?17) GROUP BY 1, 2) AS t"
    " WHERE rk <= ?16 ORDER BY cat, rk";
/* every reply text of a piece, raw or rolled up, for templates_merged */
static const char h_templates[] =
    "SELECT " CAT ", coalesce(e.reply_text_id, 0), count(*), min(e.id),"
    " max(e.id)" FROM_EVENTS WHERE_FILTER AND_FAILURE " AND (CAST(?17 AS TEXT) IS NULL OR " CAT
    " = ?17) GROUP BY 1, 2";
static const char r_templates[] =
    "SELECT " CAT ", coalesce(e.reply_text_id, 0), sum(f.n),"
    " min(f.first_id), max(f.last_id)" FROM_GROUPS WHERE_HOURS AND_FAILURE
    " AND (CAST(?17 AS TEXT) IS NULL OR " CAT " = ?17) GROUP BY 1, 2";

static int by_cat_rid(const void *a, const void *b)
{
    const struct store_report_tmpl_row *x = a, *y = b;
    int c = strcmp(x->category, y->category);

    if (c != 0)
        return c;
    return (x->reply_text_id > y->reply_text_id) - (x->reply_text_id < y->reply_text_id);
}

/* the order of q_templates: category, count down, reply text id (none first) */
static int by_cat_count(const void *a, const void *b)
{
    const struct store_report_tmpl_row *x = a, *y = b;
    int c = strcmp(x->category, y->category);

    if (c != 0)
        return c;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return (x->reply_text_id > y->reply_text_id) - (x->reply_text_id < y->reply_text_id);
}

/* templates_merged - the rows of every piece, added up per category and reply text, then
 * ranked and cut as q_templates does */
static int templates_merged(struct store *s, const struct store_report_filter *f,
                            const char *category, size_t per_category,
                            const struct rollup_segment *segs, size_t nseg,
                            struct store_report_tmpl_row **rows, size_t *n, struct diag *d)
{
    size_t cap = 0, m = 0;
    int rc = 0;

    for (size_t i = 0; i < nseg && rc >= 0; i++) {
        struct store_stmt *st = store_stmt_cached(s, segs[i].rolled ? r_templates : h_templates, d);
        if (st == NULL) {
            rc = -1;
            break;
        }
        bind_piece(st, f, segs[i].from_us, segs[i].to_us);
        store_bind_text(st, 17, category);
        while ((rc = store_step(s, st, d)) == 1) {
            *rows = grow(*rows, *n, &cap, sizeof **rows);
            (*rows)[(*n)++] = (struct store_report_tmpl_row){
                xstrdup(store_column_text(st, 0)), store_column_int64(st, 1),
                store_column_int64(st, 2), store_column_int64(st, 3), store_column_int64(st, 4)};
        }
        store_reset(st);
    }
    if (rc < 0)
        return -1;
    if (*n == 0)
        return 0;
    /* the same reply text from several pieces: one row */
    qsort(*rows, *n, sizeof **rows, by_cat_rid);
    for (size_t i = 0; i < *n; i++) {
        struct store_report_tmpl_row *r = &(*rows)[i], *t = m ? &(*rows)[m - 1] : NULL;
        if (t != NULL && by_cat_rid(t, r) == 0) {
            t->count += r->count;
            t->first_event_id =
                r->first_event_id < t->first_event_id ? r->first_event_id : t->first_event_id;
            t->last_event_id =
                r->last_event_id > t->last_event_id ? r->last_event_id : t->last_event_id;
            free(r->category);
            continue;
        }
        (*rows)[m++] = *r;
    }
    *n = m;
    qsort(*rows, *n, sizeof **rows, by_cat_count);
    /* each category's first per_category rows (a category's rows are together): mark, then
     * keep the marked ones */
    unsigned char *keep = xcalloc(*n ? *n : 1, 1);
    for (size_t i = 0, first = 0; i < *n; i++) {
        if (i > 0 && strcmp((*rows)[i].category, (*rows)[first].category) != 0)
            first = i;
        keep[i] = i - first < per_category;
    }
    m = 0;
    for (size_t i = 0; i < *n; i++) {
        if (keep[i])
            (*rows)[m++] = (*rows)[i];
        else
            free((*rows)[i].category);
    }
    free(keep);
    *n = m;
    return 0;
}

int store_report_templates(struct store *s, const struct store_report_filter *f,
                           const char *category, size_t per_category,
                           struct store_report_tmpl_row **rows, size_t *n, struct diag *d)
{
    struct rollup_segment *segs;
    struct store_stmt *st;
    size_t cap = 0, nseg;
    int rc;

    *rows = NULL;
    *n = 0;
    if ((rc = pieces(s, f, &segs, &nseg, d)) != 0) {
        if (rc > 0)
            rc = templates_merged(s, f, category, per_category, segs, nseg, rows, n, d);
        free(segs);
        goto done;
    }
    if ((st = store_stmt_cached(s, q_templates, d)) == NULL)
        return -1;
    bind_filter(st, f);
    store_bind_int64(st, 16, (int64_t)per_category);
    store_bind_text(st, 17, category);
    while ((rc = store_step(s, st, d)) == 1) {
        *rows = grow(*rows, *n, &cap, sizeof **rows);
        struct store_report_tmpl_row *r = &(*rows)[(*n)++];
        r->category = xstrdup(store_column_text(st, 0));
        r->reply_text_id = store_column_int64(st, 1);
        r->count = store_column_int64(st, 2);
        r->first_event_id = store_column_int64(st, 3);
        r->last_event_id = store_column_int64(st, 4);
    }
    store_reset(st);
done:
    if (rc < 0) {
        store_report_tmpl_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

void store_report_tmpl_rows_free(struct store_report_tmpl_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].category);
    free(rows);
}

int store_report_event(struct store *s, int64_t id, struct store_report_event *out, struct diag *d)
{
    static const char sql[] =
        "SELECT e.ts, e.ts_prec, e.host, e.mta, e.program, e.kind, e.direction, e.stage,"
        " e.queue_id, e.client_ip, e.client_name, e.helo, e.sender, e.recipient, e.relay,"
        " e.reply_code, e.status, e.text, e.size, e.\"offset\", e.reply_text_id, s.path"
        " FROM events e LEFT JOIN sources s ON s.id = e.source_id WHERE e.id = ?1";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    memset(out, 0, sizeof *out);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    if ((rc = store_step(s, st, d)) == 1) {
        out->id = id;
        out->ts_us = store_column_int64(st, 0);
        out->ts_prec = (int)store_column_int64(st, 1);
        out->host = store_column_dup(st, 2);
        out->mta = store_column_dup(st, 3);
        out->program = store_column_dup(st, 4);
        out->kind = (enum event_kind)store_column_int64(st, 5);
        out->direction = (enum event_direction)store_column_int64(st, 6);
        out->stage = (enum smtp_stage)store_column_int64(st, 7);
        out->queue_id = store_column_dup(st, 8);
        out->client_ip = store_column_dup(st, 9);
        out->client_name = store_column_dup(st, 10);
        out->helo = store_column_dup(st, 11);
        out->sender = store_column_dup(st, 12);
        out->recipient = store_column_dup(st, 13);
        out->relay = store_column_dup(st, 14);
        out->reply_code = (int)store_column_int64(st, 15);
        out->status = store_column_dup(st, 16);
        out->text = store_column_dup(st, 17);
        out->size = store_column_is_null(st, 18) ? -1 : store_column_int64(st, 18);
        out->offset = store_column_int64(st, 19);
        out->reply_text_id = store_column_int64(st, 20);
        out->source = store_column_dup(st, 21);
    }
    store_reset(st);
    return rc;
}

void store_report_event_free(struct store_report_event *ev)
{
    char **strings[] = {&ev->host,        &ev->mta,  &ev->program, &ev->queue_id,  &ev->client_ip,
                        &ev->client_name, &ev->helo, &ev->sender,  &ev->recipient, &ev->relay,
                        &ev->status,      &ev->text, &ev->source};

    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        free(*strings[i]);
        *strings[i] = NULL;
    }
}

void store_report_event_view(const struct store_report_event *ev, struct event *out)
{
    event_init(out);
    out->ts_us = ev->ts_us;
    out->ts_prec = ev->ts_prec;
    out->host = ev->host;
    out->mta = ev->mta;
    out->program = ev->program;
    out->kind = ev->kind;
    out->direction = ev->direction;
    out->stage = ev->stage;
    out->queue_id = ev->queue_id;
    out->client_ip = ev->client_ip;
    out->client_name = ev->client_name;
    out->helo = ev->helo;
    out->sender = ev->sender;
    out->recipient = ev->recipient;
    out->relay = ev->relay;
    out->reply_code = ev->reply_code;
    out->status = ev->status;
    out->text = ev->text;
    out->size = ev->size;
    out->offset = ev->offset;
}

int store_report_reply_text(struct store *s, int64_t id, struct reply_text_row *out, struct diag *d)
{
    static const char sql[] = "SELECT template, mta, kind, direction, stage, reply_code, status,"
                              " category, rule, rules_hash FROM reply_texts WHERE id = ?1";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    memset(out, 0, sizeof *out);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    if ((rc = store_step(s, st, d)) == 1) {
        size_t len;
        out->id = id;
        const char *tmpl = store_column_textn(st, 0, &len);
        out->key.template_text = xstrndup(tmpl, len);
        out->key.mta = xstrdup(store_column_text(st, 1));
        out->key.kind = (enum event_kind)store_column_int64(st, 2);
        out->key.direction = (enum event_direction)store_column_int64(st, 3);
        out->key.stage = (enum smtp_stage)store_column_int64(st, 4);
        out->key.reply_code = (int)store_column_int64(st, 5);
        out->key.status = xstrdup(store_column_text(st, 6));
        out->category = store_column_dup(st, 7);
        out->rule = store_column_dup(st, 8);
        out->rules_hash = store_column_dup(st, 9);
    }
    store_reset(st);
    return rc;
}

int store_report_source(struct store *s, int64_t id, struct store_report_source *out,
                        struct diag *d)
{
    static const char sql[] = "SELECT path, coalesce(format, ''), lines, events, info_lines,"
                              " foreign_lines, unparsed_lines FROM sources WHERE id = ?1";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    memset(out, 0, sizeof *out);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    if ((rc = store_step(s, st, d)) == 1) {
        out->path = xstrdup(store_column_text(st, 0));
        out->format = xstrdup(store_column_text(st, 1));
        out->lines = store_column_int64(st, 2);
        out->events = store_column_int64(st, 3);
        out->info_lines = store_column_int64(st, 4);
        out->foreign_lines = store_column_int64(st, 5);
        out->unparsed_lines = store_column_int64(st, 6);
    }
    store_reset(st);
    return rc;
}

void store_report_source_free(struct store_report_source *src)
{
    free(src->path);
    free(src->format);
    memset(src, 0, sizeof *src);
}

int store_report_unparsed(struct store *s, int64_t source_id, size_t max,
                          struct unparsed_sample **rows, size_t *n, struct diag *d)
{
    static const char sql[] = "SELECT coalesce(s.path, '-'), u.\"offset\", u.reason, u.line"
                              " FROM unparsed_lines u LEFT JOIN sources s ON s.id = u.source_id"
                              " WHERE u.source_id = ?1 ORDER BY u.id LIMIT ?2";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    size_t cap = *n;
    int rc;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, source_id);
    store_bind_int64(st, 2, (int64_t)max);
    while ((rc = store_step(s, st, d)) == 1) {
        /* the caller's array grows one row at a time: samples are few */
        *rows = xreallocarray(*rows, ++cap, sizeof **rows);
        struct unparsed_sample *u = &(*rows)[(*n)++];
        u->source = xstrdup(store_column_text(st, 0));
        u->offset = store_column_int64(st, 1);
        u->reason = xstrdup(store_column_text(st, 2));
        size_t len;
        const char *line = store_column_textn(st, 3, &len);
        u->line = xstrndup(line, len);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
