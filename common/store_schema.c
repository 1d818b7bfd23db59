/*
 * store_schema - the database schema and its migrations (see docs/schema.md)
 *
 * DESCRIPTION
 *	Migrations run in order, all in one transaction with the user_version that records
 *	them, so a crash mid-migration leaves the previous version intact. Never edit a released
 *	migration: add the next one.
 *
 *	The kind, direction and stage of an event are stored as small integers (the enums of
 *	event.h) and named by the views; the CASE expressions of the views are generated from
 *	event.h's name tables, so the two cannot drift apart.
 *
 *	PostgreSQL (store_pg.c) gets the same tables, columns, views and indexes, written in its
 *	own dialect: schema_pg below is the current version in one step, and each migration after
 *	it has a PostgreSQL half beside the SQLite one. test_pg compares store_schema_describe()
 *	of the two, so they cannot drift apart either. What only PostgreSQL has: sources and
 *	parser_state carry the origin (the host that reads the files: many hosts write to one
 *	database, each with its own checkpoints); events is partitioned by month of ts (events_p
 *	YYYYMM, created on demand by store_pg.c, dropped whole by prune); rejectlens_meta holds
 *	what PRAGMA application_id and user_version hold in SQLite. Text columns compare bytewise
 *	(COLLATE "C"), as SQLite's do, so that every ORDER BY gives the same order.
 */
#include "store_internal.h"
#include "strbuf.h"

#include <stdio.h>

static const char schema_v1[] =
    "CREATE TABLE sources ("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL,"
    "  dev INTEGER, inode INTEGER,"
    "  size INTEGER NOT NULL DEFAULT 0,"
    "  offset INTEGER NOT NULL DEFAULT 0,"
    "  fingerprint TEXT NOT NULL,"
    "  fp_len INTEGER NOT NULL,"
    "  format TEXT,"
    "  first_seen TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  last_seen TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  lines INTEGER NOT NULL DEFAULT 0,"
    "  events INTEGER NOT NULL DEFAULT 0,"
    "  info_lines INTEGER NOT NULL DEFAULT 0,"
    "  foreign_lines INTEGER NOT NULL DEFAULT 0,"
    "  unparsed_lines INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE reply_texts ("
    "  id INTEGER PRIMARY KEY,"
    "  template TEXT NOT NULL,"
    "  mta TEXT NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  direction INTEGER NOT NULL,"
    "  stage INTEGER NOT NULL,"
    "  reply_code INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  category TEXT,"
    "  rule TEXT,"
    "  rules_hash TEXT,"
    "  UNIQUE (template, reply_code, status, stage, kind, direction, mta)"
    ");"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  ts INTEGER NOT NULL,"
    "  ts_prec INTEGER NOT NULL DEFAULT 0,"
    "  host TEXT,"
    "  mta TEXT NOT NULL,"
    "  program TEXT,"
    "  kind INTEGER NOT NULL,"
    "  direction INTEGER NOT NULL,"
    "  stage INTEGER NOT NULL,"
    "  queue_id TEXT,"
    "  parent_queue_id TEXT,"
    "  message_id TEXT,"
    "  client_ip TEXT,"
    "  client_name TEXT,"
    "  helo TEXT,"
    "  sender TEXT,"
    "  recipient TEXT,"
    "  orig_recipient TEXT,"
    "  relay TEXT,"
    "  reply_code INTEGER,"
    "  status TEXT,"
    "  text TEXT,"
    "  size INTEGER,"
    "  reply_text_id INTEGER REFERENCES reply_texts(id),"
    "  source_id INTEGER REFERENCES sources(id),"
    "  offset INTEGER"
    ");"
    "CREATE INDEX events_ts ON events(ts);"
    "CREATE INDEX events_reply_text ON events(reply_text_id);"
    "CREATE INDEX events_queue_id ON events(queue_id);"
    "CREATE TABLE unparsed_lines ("
    "  id INTEGER PRIMARY KEY,"
    "  source_id INTEGER REFERENCES sources(id),"
    "  offset INTEGER,"
    "  reason TEXT NOT NULL,"
    "  line TEXT NOT NULL"
    ");"
    "CREATE TABLE parser_state ("
    "  format TEXT PRIMARY KEY,"
    "  state BLOB NOT NULL"
    ");";

/* name_table - "CREATE TABLE t (code INTEGER PRIMARY KEY, name TEXT)" filled from a namer */
static void name_table(struct strbuf *sql, const char *table, int count, const char *(*namer)(int))
{
    strbuf_printf(sql, "CREATE TABLE %s (code INTEGER PRIMARY KEY, name TEXT NOT NULL);", table);
    for (int i = 0; i < count; i++)
        strbuf_printf(sql, "INSERT INTO %s VALUES (%d, '%s');", table, i, namer(i));
}

/* name_case - "CASE col WHEN 1 THEN 'reject' ... END" from a namer */
static void name_case(struct strbuf *sql, const char *col, int count, const char *(*namer)(int))
{
    strbuf_printf(sql, "CASE %s", col);
    for (int i = 0; i < count; i++)
        strbuf_printf(sql, " WHEN %d THEN '%s'", i, namer(i));
    strbuf_puts(sql, " END");
}

static const char *kind_namer(int i)
{
    return event_kind_name((enum event_kind)i);
}

static const char *direction_namer(int i)
{
    return event_direction_name((enum event_direction)i);
}

static const char *stage_namer(int i)
{
    return smtp_stage_name((enum smtp_stage)i);
}

/*
 * event_columns - the columns of v_events, then FROM events e with its reply text r and source
 * s. Part of migration 1's text: change nothing here; a new view adds its own columns.
 */
static void event_columns(struct strbuf *sql)
{
    strbuf_puts(sql,
                "strftime('%Y-%m-%dT%H:%M:%S', e.ts / 1000000, 'unixepoch') || "
                "CASE WHEN e.ts_prec > 0 THEN '.' || "
                "substr(printf('%06d', e.ts % 1000000), 1, e.ts_prec) ELSE '' END || 'Z' AS ts, "
                "e.host AS host, e.mta AS mta, ");
    name_case(sql, "e.kind", EVENT_KIND_COUNT, kind_namer);
    strbuf_puts(sql, " AS kind, ");
    name_case(sql, "e.direction", DIRECTION_COUNT, direction_namer);
    strbuf_puts(sql, " AS direction, ");
    name_case(sql, "e.stage", STAGE_COUNT, stage_namer);
    strbuf_puts(sql, " AS stage, "
                     "e.queue_id AS queue_id, e.client_ip AS client_ip, "
                     "e.client_name AS client_name, e.helo AS helo, e.sender AS sender, "
                     "e.recipient AS recipient, e.relay AS relay, e.reply_code AS reply_code, "
                     "e.status AS status, e.text AS text, r.category AS category, "
                     "r.rule AS rule, s.path AS source, e.offset AS offset");
}

static const char events_from[] = " FROM events e "
                                  "LEFT JOIN reply_texts r ON r.id = e.reply_text_id "
                                  "LEFT JOIN sources s ON s.id = e.source_id";

/* v_events - the documented, stable view for admins and scripts (docs/schema.md) */
static void view_events(struct strbuf *sql)
{
    strbuf_puts(sql, "CREATE VIEW v_events AS SELECT ");
    event_columns(sql);
    strbuf_puts(sql, events_from);
    strbuf_puts(sql, ";");
}

static int migrate_to_1(struct store *s, struct diag *d)
{
    struct strbuf sql = STRBUF_INIT;
    int rc;

    strbuf_puts(&sql, schema_v1);
    name_table(&sql, "event_kinds", EVENT_KIND_COUNT, kind_namer);
    name_table(&sql, "event_directions", DIRECTION_COUNT, direction_namer);
    name_table(&sql, "smtp_stages", STAGE_COUNT, stage_namer);
    view_events(&sql);
    rc = store_exec(s, strbuf_str(&sql), d);
    strbuf_free(&sql);
    return rc;
}

/*
 * migrate_to_2 - indexes for the report (store_report.c), which reads a week of events a dozen
 * times over: events_ts becomes covering for the totals (kind, direction and where an event
 * came from ride along), and failures get a partial covering index with every column the
 * categories, top lists and reply texts group by, so those passes read neither the events
 * table nor a delivery. On 1.7 million events the two cost 19 % of the file and take a week's
 * report from 16 s to 9 s (40 s cold).
 */
static int migrate_to_2(struct store *s, struct diag *d)
{
    _Static_assert(EVENT_REJECT == 1 && EVENT_BOUNCE == 3 && EVENT_DEFER == 4 && EVENT_EXPIRE == 5,
                   "the failures index names event kinds by number");
    return store_exec(s,
                      "DROP INDEX events_ts;"
                      "CREATE INDEX events_ts ON events(ts, kind, direction, source_id, mta, host);"
                      "CREATE INDEX events_failures ON events(ts, reply_text_id, kind, reply_code,"
                      " status, direction, mta, host, recipient, sender, client_ip, client_name,"
                      " helo, relay) WHERE kind IN (1, 3, 4, 5);",
                      d);
}

/*
 * migrate_to_3 - cron-grade operation: what a source file looked like on disk when last seen
 * (so that an unchanged archive read to its end is not decompressed again), its compression,
 * and the scheduled reports sent (never twice for one period)
 */
static int migrate_to_3(struct store *s, struct diag *d)
{
    static const char sql[] =
        "ALTER TABLE sources ADD COLUMN file_size INTEGER;"
        "ALTER TABLE sources ADD COLUMN mtime_ns INTEGER;"
        "ALTER TABLE sources ADD COLUMN compression TEXT;"
        "ALTER TABLE sources ADD COLUMN at_end INTEGER NOT NULL DEFAULT 0;"
        "CREATE INDEX sources_file ON sources(dev, inode);"
        "CREATE TABLE report_runs ("
        "  name TEXT NOT NULL,"
        "  period_start TEXT NOT NULL,"
        "  period_end TEXT NOT NULL,"
        "  state TEXT NOT NULL,"
        "  started TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
        "  finished TEXT,"
        "  PRIMARY KEY (name, period_start)"
        ");";

    return store_exec(s, sql, d);
}

/*
 * v_rejections - the columns of v_events and those it lacks, for the rejections, bounces and
 * expiries (what a sender gets back) only. ts_us is the time as integer microseconds: a
 * condition on ts_us runs on the index of events.ts, one on the text ts reads every row.
 */
static void view_rejections(struct strbuf *sql)
{
    strbuf_puts(sql, "CREATE VIEW v_rejections AS SELECT ");
    event_columns(sql);
    strbuf_puts(sql, ", e.message_id AS message_id, e.orig_recipient AS orig_recipient, "
                     "e.parent_queue_id AS parent_queue_id, e.size AS size, e.ts AS ts_us, "
                     "e.id AS event_id");
    strbuf_puts(sql, events_from);
    strbuf_printf(sql, " WHERE e.kind IN (%d, %d, %d);", EVENT_REJECT, EVENT_BOUNCE, EVENT_EXPIRE);
}

/*
 * v_daily - events per UTC day, category, kind and direction: the series of a report, and
 * the quickest answer to "what changed"
 */
static void view_daily(struct strbuf *sql)
{
    strbuf_puts(sql, "CREATE VIEW v_daily AS SELECT "
                     "date(e.ts / 1000000, 'unixepoch') AS day, r.category AS category, ");
    name_case(sql, "e.kind", EVENT_KIND_COUNT, kind_namer);
    strbuf_puts(sql, " AS kind, ");
    name_case(sql, "e.direction", DIRECTION_COUNT, direction_namer);
    strbuf_puts(sql, " AS direction, count(*) AS events "
                     "FROM events e LEFT JOIN reply_texts r ON r.id = e.reply_text_id "
                     "GROUP BY 1, 2, e.kind, e.direction;");
}

/*
 * migrate_to_4 - the ad-hoc questions (trace, top, query): the views v_rejections and v_daily,
 * and the indexes of trace (docs/schema.md; bench/INDEXES.md has what they cost the ingest).
 * A period of failures is read on version 2's events_failures and events_ts, which hold all
 * that top needs. An address is looked up per UTC day, (day, address): new events then land in
 * the newest day's small part of the index, which stays in the page cache, where an index on
 * the address alone takes a random page of a large index per event. A look-up walks the days
 * of its period: a few hundred index searches, milliseconds. Keep the expression exactly as it
 * is: queries repeat it (STORE_DAY_EXPR in store_internal.h). The original recipient and a
 * bounce notice's parent are rare, and get partial indexes.
 */
static int migrate_to_4(struct store *s, struct diag *d)
{
    static const char indexes[] =
        "CREATE INDEX events_recipient ON events(ts / 86400000000, recipient COLLATE NOCASE);"
        "CREATE INDEX events_sender ON events(ts / 86400000000, sender COLLATE NOCASE);"
        "CREATE INDEX events_orig_recipient ON events(orig_recipient COLLATE NOCASE) "
        "WHERE orig_recipient IS NOT NULL;"
        "CREATE INDEX events_parent ON events(parent_queue_id) WHERE parent_queue_id IS NOT NULL;";
    struct strbuf sql = STRBUF_INIT;
    int rc;

    strbuf_puts(&sql, indexes);
    view_rejections(&sql);
    view_daily(&sql);
    rc = store_exec(s, strbuf_str(&sql), d);
    strbuf_free(&sql);
    return rc;
}

/*
 * migrate_to_5 - the roll-ups (store_rollup.c): per UTC hour (and per day, for the failures),
 * what a report and top count, so that a week is read from a few thousand rows instead of
 * millions of events. A day's roll-up is made when a reader first needs it; rollup_days names
 * it with the newest event id then, so that a later ingest into the day shows as an event with
 * a greater id (the ingest itself does nothing for the roll-ups: a trigger on events would make
 * every insert keep a statement journal, a quarter more CPU). Categories are not rolled up but
 * joined through the reply text when read, so a reclassification changes nothing here.
 */
static int migrate_to_5(struct store *s, struct diag *d)
{
    static const char sql[] =
        "CREATE TABLE rollup_days (day INTEGER PRIMARY KEY, max_id INTEGER NOT NULL);"
        "CREATE TABLE rollup_groups ("
        "  id INTEGER PRIMARY KEY,"
        "  reply_text_id INTEGER, kind INTEGER NOT NULL, reply_code INTEGER, status TEXT,"
        "  direction INTEGER NOT NULL, mta TEXT NOT NULL, host TEXT);"
        "CREATE INDEX rollup_groups_key ON rollup_groups(reply_text_id, kind, reply_code, status,"
        " direction, mta, host);"
        "CREATE TABLE rollup_kinds ("
        "  hour INTEGER NOT NULL, kind INTEGER NOT NULL, direction INTEGER NOT NULL,"
        "  mta TEXT NOT NULL, host TEXT, source_id INTEGER, n INTEGER NOT NULL);"
        "CREATE INDEX rollup_kinds_hour ON rollup_kinds(hour);"
        "CREATE TABLE rollup_failures ("
        "  span INTEGER NOT NULL, start INTEGER NOT NULL, group_id INTEGER NOT NULL,"
        "  n INTEGER NOT NULL, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL,"
        "  PRIMARY KEY (span, start, group_id)) WITHOUT ROWID;"
        "CREATE TABLE rollup_values ("
        "  dim INTEGER NOT NULL, hour INTEGER NOT NULL, entries BLOB NOT NULL,"
        "  PRIMARY KEY (dim, hour)) WITHOUT ROWID;";

    return store_exec(s, sql, d);
}

/*
 * migrate_pg_to_5 - migrate_to_5 in PostgreSQL's words, so that the two schemas stay the same
 * (test_pg compares them). PostgreSQL does not read them: a report and top there run their
 * single passes (store_rollup.c), each month its own partition.
 */
static int migrate_pg_to_5(struct store *s, struct diag *d)
{
    static const char sql[] =
        "CREATE TABLE rollup_days (day BIGINT PRIMARY KEY, max_id BIGINT NOT NULL);"
        "CREATE TABLE rollup_groups ("
        "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        "  reply_text_id BIGINT, kind BIGINT NOT NULL, reply_code BIGINT,"
        "  status TEXT COLLATE \"C\", direction BIGINT NOT NULL, mta TEXT COLLATE \"C\" NOT NULL,"
        "  host TEXT COLLATE \"C\");"
        "CREATE INDEX rollup_groups_key ON rollup_groups(reply_text_id, kind, reply_code, status,"
        " direction, mta, host);"
        "CREATE TABLE rollup_kinds ("
        "  hour BIGINT NOT NULL, kind BIGINT NOT NULL, direction BIGINT NOT NULL,"
        "  mta TEXT COLLATE \"C\" NOT NULL, host TEXT COLLATE \"C\", source_id BIGINT,"
        "  n BIGINT NOT NULL);"
        "CREATE INDEX rollup_kinds_hour ON rollup_kinds(hour);"
        "CREATE TABLE rollup_failures ("
        "  span BIGINT NOT NULL, start BIGINT NOT NULL, group_id BIGINT NOT NULL,"
        "  n BIGINT NOT NULL, first_id BIGINT NOT NULL, last_id BIGINT NOT NULL,"
        "  PRIMARY KEY (span, start, group_id));"
        "CREATE TABLE rollup_values ("
        "  dim BIGINT NOT NULL, hour BIGINT NOT NULL, entries BYTEA NOT NULL,"
        "  PRIMARY KEY (dim, hour));";

    return store_exec(s, sql, d);
}

/*
 * migrate_to_6 - a cheaper insert: events_failures takes its condition as equalities joined
 * by OR (STORE_FAILURES), for which SQLite does no more than compare, where for the IN list of
 * version 2 it opened and cleared a temporary table for every row inserted. The queries say
 * it the same way, or SQLite would not use the index. events_queue_id leaves out the events
 * without a queue id (rejected before one was given: NOQUEUE); every query that reads it
 * compares queue_id with a value, which implies IS NOT NULL.
 */
static const char migrate_6_sql[] =
    "DROP INDEX events_failures;"
    "CREATE INDEX events_failures ON events(ts, reply_text_id, kind, reply_code,"
    " status, direction, mta, host, recipient, sender, client_ip, client_name,"
    " helo, relay) WHERE kind = 1 OR kind = 3 OR kind = 4 OR kind = 5;"
    "DROP INDEX events_queue_id;"
    "CREATE INDEX events_queue_id ON events(queue_id) WHERE queue_id IS NOT NULL;";

static int migrate_to_6(struct store *s, struct diag *d)
{
    _Static_assert(EVENT_REJECT == 1 && EVENT_BOUNCE == 3 && EVENT_DEFER == 4 && EVENT_EXPIRE == 5,
                   "the failures index names event kinds by number");
    return store_exec(s, migrate_6_sql, d);
}

/* migrate_pg_to_6 - the same in PostgreSQL, whose partial indexes take the same words */
static int migrate_pg_to_6(struct store *s, struct diag *d)
{
    return store_exec(s, migrate_6_sql, d);
}

/*
 * migrate_to_7 - events_queue_id led by the UTC day, as the address indexes are: queue ids
 * come in random order, so with the id alone every event inserted landed on a random page of
 * an index that grows with the database (into 3.1 million events the nightly ingest spent a
 * third of its CPU reading and rewriting those pages). Day first, the night's events go into
 * the newest days' small part. A look-up names its days (store_trace.c, docs/schema.md).
 */
static const char migrate_7_sql[] =
    "DROP INDEX events_queue_id;"
    "CREATE INDEX events_queue_id ON events(ts / 86400000000, queue_id)"
    " WHERE queue_id IS NOT NULL;";

static int migrate_to_7(struct store *s, struct diag *d)
{
    return store_exec(s, migrate_7_sql, d);
}

/* migrate_pg_to_7 - the same in PostgreSQL, which wants the expression in parentheses */
static int migrate_pg_to_7(struct store *s, struct diag *d)
{
    static const char sql[] = "DROP INDEX events_queue_id;"
                              "CREATE INDEX events_queue_id ON events((ts / 86400000000), queue_id)"
                              " WHERE queue_id IS NOT NULL;";

    return store_exec(s, sql, d);
}

/*
 * migrate_to_8 - the address indexes on integers: events.recipient_key, sender_key and
 * orig_recipient_key hold store_address_key of the address (A-Z folded, as COLLATE NOCASE
 * folds), and the day-and-address indexes are on them instead of the text. An entry of six
 * bytes instead of the whole address halves the two largest indexes (13.9 to 6.3 MB on
 * 156,000 events) and what SQLite does to insert into them: an ingest of 1M Postfix lines took
 * 8,294.6 M instructions before, 7,636.0 M after (docs/performance.md). The original
 * recipient's index was on the address alone, so Exim's aliased deliveries (a quarter of its
 * events) landed at random in an index as large as the table, as queue ids did before version
 * 7; it leads with the day now too. A look-up compares the key and then the address
 * (store_trace.c), so two addresses that share a key are still told apart. The events without
 * an address are left out of the indexes. The events already stored get their keys here: an
 * UPDATE of every row (23 s for 1.6 million events), in the migration's one transaction.
 */
static int migrate_to_8(struct store *s, struct diag *d)
{
    static const char sql[] =
        "DROP INDEX events_recipient;"
        "DROP INDEX events_sender;"
        "DROP INDEX events_orig_recipient;"
        "ALTER TABLE events ADD COLUMN recipient_key INTEGER;"
        "ALTER TABLE events ADD COLUMN sender_key INTEGER;"
        "ALTER TABLE events ADD COLUMN orig_recipient_key INTEGER;"
        "UPDATE events SET recipient_key = rejectlens_address_key(recipient),"
        " sender_key = rejectlens_address_key(sender),"
        " orig_recipient_key = rejectlens_address_key(orig_recipient)"
        " WHERE recipient IS NOT NULL OR sender IS NOT NULL OR orig_recipient IS NOT NULL;"
        "CREATE INDEX events_recipient ON events(ts / 86400000000, recipient_key)"
        " WHERE recipient_key IS NOT NULL;"
        "CREATE INDEX events_sender ON events(ts / 86400000000, sender_key)"
        " WHERE sender_key IS NOT NULL;"
        "CREATE INDEX events_orig_recipient ON events(ts / 86400000000, orig_recipient_key)"
        " WHERE orig_recipient_key IS NOT NULL;";

    return store_exec(s, sql, d);
}

/*
 * migrate_pg_nothing - the PostgreSQL half of a version that changes SQLite alone: 8 (PostgreSQL
 * keeps its indexes on lower(address) and has no key columns; test_pg and docs/scaling.md name
 * them as SQLite's own) and 10 (its indexes stay led by the day: its buffer cache, not measured
 * at this scale here, is not the 16 MiB of SQLite's ingest; store_trace.c walks days there)
 */
static int migrate_pg_nothing(struct store *s, struct diag *d)
{
    (void)s;
    (void)d;
    return 0;
}

/*
 * migrate_to_9 - sources found by their fingerprint through an index: store_source_find hashed
 * a new file's first bytes once for every source row and compared, so an import of thousands
 * of hourly logs (Exchange writes three an hour) cost a hash per file and source, quadratic;
 * 3,000 ten-line files into a database of 1,000 sources took 30.9 s, 3.3 s with this index
 * (docs/performance.md). Now it hashes once per fingerprint length in use and looks the rows up
 * here.
 */
static int migrate_to_9(struct store *s, struct diag *d)
{
    /* IF NOT EXISTS: the one statement of the step, so a step half done cannot be; a database
     * with the index at an older version (set back by hand) still migrates */
    return store_exec(
        s, "CREATE INDEX IF NOT EXISTS sources_fingerprint ON sources(fp_len, fingerprint);", d);
}

/*
 * migrate_to_10 - the address and queue-id indexes led by the hour instead of the UTC day.
 * Within its first column each of them is in random order (an address key, a queue id), so
 * every batch of an ingest wrote into the whole of the current day's part of each. Once a
 * day's parts outgrew the ingest's page cache (16 MiB: about 300,000 events a day), every
 * batch read and rewrote most of their pages: the 10M-line benchmark log (1.56 million
 * events) squeezed into one day took 40 - 47 s to ingest instead of 15 - 17 s over its five
 * days, and at the rate of 10 GB of logs a day 52 s. Led by the hour, each batch writes into
 * an hour's part (docs/performance.md has the figures). Ten minutes gained more at 10 GB a day
 * but made a look-up walk six times as many buckets, each a page read on a large database.
 * A look-up walks the hours that hold events (store_trace.c). PostgreSQL keeps its day-led
 * indexes (migrate_pg_nothing).
 */
static const char migrate_10_sql[] =
    "DROP INDEX events_queue_id;"
    "DROP INDEX events_recipient;"
    "DROP INDEX events_sender;"
    "DROP INDEX events_orig_recipient;"
    "CREATE INDEX events_queue_id ON events(ts / 3600000000, queue_id)"
    " WHERE queue_id IS NOT NULL;"
    "CREATE INDEX events_recipient ON events(ts / 3600000000, recipient_key)"
    " WHERE recipient_key IS NOT NULL;"
    "CREATE INDEX events_sender ON events(ts / 3600000000, sender_key)"
    " WHERE sender_key IS NOT NULL;"
    "CREATE INDEX events_orig_recipient ON events(ts / 3600000000, orig_recipient_key)"
    " WHERE orig_recipient_key IS NOT NULL;";

static int migrate_to_10(struct store *s, struct diag *d)
{
    return store_exec(s, migrate_10_sql, d);
}

static void event_columns_pg(struct strbuf *sql);

/*
 * migrate_pg_to_4 - migrate_to_4 in PostgreSQL's words: the same views (days as text, as
 * SQLite's date() writes them), the same indexes with lower() where SQLite has COLLATE NOCASE
 * (store_trace.c compares lower() with lower() there)
 */
static int migrate_pg_to_4(struct store *s, struct diag *d)
{
    static const char indexes[] =
        "CREATE INDEX events_recipient ON events((ts / 86400000000), lower(recipient));"
        "CREATE INDEX events_sender ON events((ts / 86400000000), lower(sender));"
        "CREATE INDEX events_orig_recipient ON events(lower(orig_recipient)) "
        "WHERE orig_recipient IS NOT NULL;"
        "CREATE INDEX events_parent ON events(parent_queue_id) WHERE parent_queue_id IS NOT NULL;";
    struct strbuf sql = STRBUF_INIT;
    int rc;

    strbuf_puts(&sql, indexes);
    strbuf_puts(&sql, "CREATE VIEW v_rejections AS SELECT ");
    event_columns_pg(&sql);
    strbuf_puts(&sql, ", e.message_id AS message_id, e.orig_recipient AS orig_recipient, "
                      "e.parent_queue_id AS parent_queue_id, e.size AS size, e.ts AS ts_us, "
                      "e.id AS event_id");
    strbuf_puts(&sql, events_from);
    strbuf_printf(&sql, " WHERE e.kind IN (%d, %d, %d);", EVENT_REJECT, EVENT_BOUNCE, EVENT_EXPIRE);
    strbuf_puts(&sql, "CREATE VIEW v_daily AS SELECT "
                      "to_char(to_timestamp(e.ts / 1000000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') "
                      "AS day, r.category AS category, ");
    name_case(&sql, "e.kind", EVENT_KIND_COUNT, kind_namer);
    strbuf_puts(&sql, " AS kind, ");
    name_case(&sql, "e.direction", DIRECTION_COUNT, direction_namer);
    strbuf_puts(&sql, " AS direction, count(*) AS events "
                      "FROM events e LEFT JOIN reply_texts r ON r.id = e.reply_text_id "
                      "GROUP BY 1, 2, e.kind, e.direction;");
    rc = store_exec(s, strbuf_str(&sql), d);
    strbuf_free(&sql);
    return rc;
}

/*
 * schema_pg - version 3 in PostgreSQL's words. Integers are bigint (SQLite's are 64 bits);
 * ids come from identity columns, events' from a sequence (an identity column cannot span
 * partitions in PostgreSQL 15); "offset" is quoted (a reserved word there).
 */
static const char schema_pg[] =
    "CREATE TABLE rejectlens_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE sources ("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  path TEXT COLLATE \"C\" NOT NULL,"
    "  dev BIGINT, inode BIGINT,"
    "  size BIGINT NOT NULL DEFAULT 0,"
    "  \"offset\" BIGINT NOT NULL DEFAULT 0,"
    "  fingerprint TEXT COLLATE \"C\" NOT NULL,"
    "  fp_len BIGINT NOT NULL,"
    "  format TEXT COLLATE \"C\","
    "  first_seen TEXT COLLATE \"C\" NOT NULL"
    "    DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  last_seen TEXT COLLATE \"C\" NOT NULL"
    "    DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  lines BIGINT NOT NULL DEFAULT 0,"
    "  events BIGINT NOT NULL DEFAULT 0,"
    "  info_lines BIGINT NOT NULL DEFAULT 0,"
    "  foreign_lines BIGINT NOT NULL DEFAULT 0,"
    "  unparsed_lines BIGINT NOT NULL DEFAULT 0,"
    "  file_size BIGINT,"
    "  mtime_ns BIGINT,"
    "  compression TEXT COLLATE \"C\","
    "  at_end BIGINT NOT NULL DEFAULT 0,"
    "  origin TEXT COLLATE \"C\" NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX sources_file ON sources(dev, inode);"
    "CREATE TABLE reply_texts ("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  template TEXT COLLATE \"C\" NOT NULL,"
    "  mta TEXT COLLATE \"C\" NOT NULL,"
    "  kind BIGINT NOT NULL,"
    "  direction BIGINT NOT NULL,"
    "  stage BIGINT NOT NULL,"
    "  reply_code BIGINT NOT NULL,"
    "  status TEXT COLLATE \"C\" NOT NULL,"
    "  category TEXT COLLATE \"C\","
    "  rule TEXT COLLATE \"C\","
    "  rules_hash TEXT COLLATE \"C\","
    "  UNIQUE (template, reply_code, status, stage, kind, direction, mta)"
    ");"
    "CREATE SEQUENCE events_id_seq AS BIGINT;"
    "CREATE TABLE events ("
    "  id BIGINT NOT NULL DEFAULT nextval('events_id_seq'),"
    "  ts BIGINT NOT NULL,"
    "  ts_prec BIGINT NOT NULL DEFAULT 0,"
    "  host TEXT COLLATE \"C\","
    "  mta TEXT COLLATE \"C\" NOT NULL,"
    "  program TEXT COLLATE \"C\","
    "  kind BIGINT NOT NULL,"
    "  direction BIGINT NOT NULL,"
    "  stage BIGINT NOT NULL,"
    "  queue_id TEXT COLLATE \"C\","
    "  parent_queue_id TEXT COLLATE \"C\","
    "  message_id TEXT COLLATE \"C\","
    "  client_ip TEXT COLLATE \"C\","
    "  client_name TEXT COLLATE \"C\","
    "  helo TEXT COLLATE \"C\","
    "  sender TEXT COLLATE \"C\","
    "  recipient TEXT COLLATE \"C\","
    "  orig_recipient TEXT COLLATE \"C\","
    "  relay TEXT COLLATE \"C\","
    "  reply_code BIGINT,"
    "  status TEXT COLLATE \"C\","
    "  text TEXT COLLATE \"C\","
    "  size BIGINT,"
    "  reply_text_id BIGINT,"
    "  source_id BIGINT,"
    "  \"offset\" BIGINT"
    ") PARTITION BY RANGE (ts);"
    "ALTER SEQUENCE events_id_seq OWNED BY events.id;"
    "CREATE INDEX events_id ON events(id);"
    "CREATE INDEX events_ts ON events(ts, kind, direction, source_id, mta, host);"
    "CREATE INDEX events_failures ON events(ts, reply_text_id, kind, reply_code,"
    " status, direction, mta, host, recipient, sender, client_ip, client_name,"
    " helo, relay) WHERE kind IN (1, 3, 4, 5);"
    "CREATE INDEX events_reply_text ON events(reply_text_id);"
    "CREATE INDEX events_queue_id ON events(queue_id);"
    "CREATE TABLE unparsed_lines ("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  source_id BIGINT,"
    "  \"offset\" BIGINT,"
    "  reason TEXT COLLATE \"C\" NOT NULL,"
    "  line BYTEA NOT NULL"
    ");"
    "CREATE TABLE parser_state ("
    "  format TEXT COLLATE \"C\" NOT NULL,"
    "  state BYTEA NOT NULL,"
    "  origin TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
    "  PRIMARY KEY (origin, format)"
    ");"
    "CREATE TABLE report_runs ("
    "  name TEXT COLLATE \"C\" NOT NULL,"
    "  period_start TEXT COLLATE \"C\" NOT NULL,"
    "  period_end TEXT COLLATE \"C\" NOT NULL,"
    "  state TEXT COLLATE \"C\" NOT NULL,"
    "  started TEXT COLLATE \"C\" NOT NULL"
    "    DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  finished TEXT COLLATE \"C\","
    "  PRIMARY KEY (name, period_start)"
    ");";

/* event_columns_pg - event_columns in PostgreSQL's words: the same columns, the same texts */
static void event_columns_pg(struct strbuf *sql)
{
    strbuf_puts(sql, "to_char(to_timestamp(e.ts / 1000000) AT TIME ZONE 'UTC', "
                     "'YYYY-MM-DD\"T\"HH24:MI:SS') || "
                     "CASE WHEN e.ts_prec > 0 THEN '.' || "
                     "substr(lpad((e.ts % 1000000)::text, 6, '0'), 1, e.ts_prec::int) ELSE '' END "
                     "|| 'Z' AS ts, "
                     "e.host AS host, e.mta AS mta, ");
    name_case(sql, "e.kind", EVENT_KIND_COUNT, kind_namer);
    strbuf_puts(sql, " AS kind, ");
    name_case(sql, "e.direction", DIRECTION_COUNT, direction_namer);
    strbuf_puts(sql, " AS direction, ");
    name_case(sql, "e.stage", STAGE_COUNT, stage_namer);
    strbuf_puts(sql, " AS stage, "
                     "e.queue_id AS queue_id, e.client_ip AS client_ip, "
                     "e.client_name AS client_name, e.helo AS helo, e.sender AS sender, "
                     "e.recipient AS recipient, e.relay AS relay, e.reply_code AS reply_code, "
                     "e.status AS status, e.text AS text, r.category AS category, "
                     "r.rule AS rule, s.path AS source, e.\"offset\" AS \"offset\"");
}

static void view_events_pg(struct strbuf *sql)
{
    strbuf_puts(sql, "CREATE VIEW v_events AS SELECT ");
    event_columns_pg(sql);
    strbuf_puts(sql, events_from);
    strbuf_puts(sql, ";");
}

/* migrate_pg_to_3 - a new PostgreSQL database: version 3 in one step */
static int migrate_pg_to_3(struct store *s, struct diag *d)
{
    struct strbuf sql = STRBUF_INIT;
    int rc;

    strbuf_puts(&sql, schema_pg);
    strbuf_printf(&sql, "INSERT INTO rejectlens_meta VALUES ('application_id', '%d');",
                  STORE_APPLICATION_ID);
    strbuf_puts(&sql, "INSERT INTO rejectlens_meta VALUES ('schema_version', '0');");
    name_table(&sql, "event_kinds", EVENT_KIND_COUNT, kind_namer);
    name_table(&sql, "event_directions", DIRECTION_COUNT, direction_namer);
    name_table(&sql, "smtp_stages", STAGE_COUNT, stage_namer);
    view_events_pg(&sql);
    rc = store_exec(s, strbuf_str(&sql), d);
    strbuf_free(&sql);
    return rc;
}

/* the PostgreSQL halves of the migrations after version 3 (migrate_pg_to_3 is all of 1 to 3;
 * version 9's index is the same in the same words) */
static int (*const migrations_pg[])(struct store *, struct diag *) = {
    migrate_pg_to_4,    migrate_pg_to_5, migrate_pg_to_6,    migrate_pg_to_7,
    migrate_pg_nothing, migrate_to_9,    migrate_pg_nothing,
};
_Static_assert(3 + sizeof migrations_pg / sizeof migrations_pg[0] == STORE_SCHEMA_VERSION,
               "one PostgreSQL migration per schema version after 3");

/*
 * migrate_pg - the PostgreSQL migrations, under an advisory lock that makes every other
 * process that opens the database at the same moment wait, then find the work done
 */
static int migrate_pg(struct store *s, int from_version, struct diag *d)
{
    char sql[160];

    if (store_begin(s, d) < 0)
        return -1;
    if (store_exec(s, "SELECT pg_advisory_xact_lock(1380600915, -1)", d) < 0 ||
        store_schema_version(s, &from_version, d) < 0) {
        store_rollback(s);
        return -1;
    }
    if (from_version < 3) {
        if (migrate_pg_to_3(s, d) < 0) {
            store_rollback(s);
            diag_prefix(d, "creating the schema");
            return -1;
        }
        from_version = 3;
    }
    /* the PostgreSQL halves of later migrations, one step per version */
    for (; from_version < STORE_SCHEMA_VERSION; from_version++) {
        if (migrations_pg[from_version - 3](s, d) < 0) {
            store_rollback(s);
            diag_prefix(d, "migrating the schema to version %d", from_version + 1);
            return -1;
        }
    }
    snprintf(sql, sizeof sql,
             "UPDATE rejectlens_meta SET value = '%d' WHERE key = "
             "'schema_version'",
             from_version);
    if (store_exec(s, sql, d) < 0) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s, d);
}

int store_schema_describe(struct store *s, struct strbuf *out, struct diag *d)
{
    static const char q_sqlite[] =
        "SELECT 'table ' || m.name || ' ' || p.name FROM sqlite_master m, "
        "pragma_table_info(m.name) p WHERE m.type IN ('table', 'view') "
        "AND m.name NOT LIKE 'sqlite_%' "
        "UNION ALL SELECT 'index ' || name FROM sqlite_master WHERE type = 'index' "
        "AND sql IS NOT NULL ORDER BY 1";
    static const char q_pg[] =
        "SELECT line FROM (SELECT 'table ' || c.relname || ' ' || a.attname AS line FROM pg_class "
        "c "
        "JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v') "
        "AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped "
        "UNION ALL SELECT 'index ' || c.relname FROM pg_class c JOIN pg_index i "
        "ON i.indexrelid = c.oid JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.relispartition "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid) "
        ") AS t ORDER BY line COLLATE \"C\"";
    struct store_stmt *st = store_stmt_prepare(s, STORE_SQL(s, q_sqlite, q_pg), d);
    int rc;

    if (st == NULL)
        return -1;
    while ((rc = store_step(s, st, d)) == 1)
        strbuf_printf(out, "%s\n", store_column_text(st, 0));
    store_stmt_finalize(st);
    return rc < 0 ? -1 : 0;
}

static int (*const migrations[])(struct store *, struct diag *) = {
    migrate_to_1, migrate_to_2, migrate_to_3, migrate_to_4, migrate_to_5,
    migrate_to_6, migrate_to_7, migrate_to_8, migrate_to_9, migrate_to_10,
};
_Static_assert(sizeof migrations / sizeof migrations[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version");

int store_migrate(struct store *s, int from_version, struct diag *d)
{
    char sql[128];

    if (store_is_pg(s))
        return migrate_pg(s, from_version, d);
    /* one transaction for all the steps: a database is at one version or the next, never
     * half-way (a new one never exists without its whole schema) */
    if (store_begin(s, d) < 0)
        return -1;
    /* another process (a report beside the nightly run) may have migrated it while this one
     * waited for the write lock: go on from what the database says now */
    if (store_schema_version(s, &from_version, d) < 0) {
        store_rollback(s);
        return -1;
    }
    for (int v = from_version; v < STORE_SCHEMA_VERSION; v++) {
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
                 STORE_APPLICATION_ID, v + 1);
        if (migrations[v](s, d) < 0 || store_exec(s, sql, d) < 0) {
            store_rollback(s);
            diag_prefix(d, "migrating the schema to version %d", v + 1);
            return -1;
        }
    }
    return store_commit(s, d);
}
