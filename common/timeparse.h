/*
 * timeparse - the timestamps of mail logs and of the command line, to UTC microseconds
 *
 * Log timestamps come in three families: RFC 3339 with a zone (rsyslog), zone-less local time with
 * a year (Exim), and RFC 3164 "Mmm dd HH:MM:SS" with neither year nor zone (syslog, Postfix
 * maillog_file). Zone-less times are converted with the process's time zone (TZ), which the CLI
 * sets from --timezone or the configuration. A missing year is inferred by struct year_guess.
 *
 * All functions are pure apart from the tz cache, which the caller owns.
 */
#ifndef REJECTLENS_TIMEPARSE_H
#define REJECTLENS_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"

#define US_PER_SEC INT64_C(1000000)

/* civil fields of a timestamp as written in a log */
struct civil_time {
    int year; /* 0 when the log gave none */
    int month, day, hour, min, sec;
    int32_t usec;       /* fraction, in microseconds */
    int prec;           /* digits of fraction given: 0..6 */
    int has_zone;       /* 1 when utc_offset is known */
    int32_t utc_offset; /* seconds east of UTC */
};

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian date */
int64_t days_from_civil(int y, int m, int d);
/* civil_from_days - the inverse */
void civil_from_days(int64_t days, int *y, int *m, int *d);
/* days_in_month - 28..31; 0 for a month out of range */
int days_in_month(int y, int m);

/* parse_month_abbrev - "Jan".."Dec" (case as written by syslog) -> 1..12, 0 when not a month */
int parse_month_abbrev(const char *s);

/*
 * ts_parse_rfc3164 - "Mmm dd HH:MM:SS" with the day space- or zero-padded or one digit ("Mar 7").
 * Returns the number of bytes consumed (at most len), or 0 when s does not start with one.
 */
size_t ts_parse_rfc3164(const char *s, size_t len, struct civil_time *ct);

/*
 * ts_parse_iso - "YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z|±hh:mm|±hhmm| ±hhmm]" (RFC 3339 and Exim's
 * "YYYY-MM-DD HH:MM:SS[.mmm] [±hhmm]"). With allow_space_zone, a zone after one space is taken
 * (Exim's log_timezone); otherwise it is left unread. Returns bytes consumed, 0 when no match.
 */
size_t ts_parse_iso(const char *s, size_t len, int allow_space_zone, struct civil_time *ct);

/* tz_cache - remembers the local UTC offset per local hour, so mktime() runs once an hour of log */
struct tz_cache {
    int64_t hour_key; /* local seconds / 3600 of the cached entry, INT64_MIN when empty */
    int32_t offset;
};
void tz_cache_init(struct tz_cache *tc);

/*
 * year_guess - picks the year of year-less timestamps: the latest year that does not put the
 * line more than a day after ref (the file's mtime, or now). Logs run forward, so a December
 * line in a file last written in January belongs to the year before.
 */
struct year_guess {
    int64_t ref_s; /* reference, UTC seconds */
};

/*
 * civil_to_utc_us - complete ct (year from yg when missing, zone from tc/TZ when missing) and
 * convert to UTC microseconds. Returns 0, or -1 when the date is impossible (Feb 30).
 */
int civil_to_utc_us(const struct civil_time *ct, const struct year_guess *yg, struct tz_cache *tc,
                    int64_t *out_us);

/*
 * ts_memo - the last timestamp text of a file and its UTC time. A busy log writes many lines
 * each second with the same text: with a memo, each text is parsed and converted once. Good
 * for one file only (the year and zone guesses are the file's); zeroed, it is empty.
 */
#define TS_MEMO_MAX 40
struct ts_memo {
    size_t len; /* of text; 0 when empty */
    char text[TS_MEMO_MAX];
    struct civil_time ct;
    int64_t us;
    int have_us; /* us is ct converted */
};

/* same_8_at - 1 when the eight bytes at a + i and b + i are equal (two loads, no call) */
static inline int same_8_at(const char *a, const char *b, size_t i)
{
    uint64_t x, y;

    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    return x == y;
}

/*
 * ts_memo_match - 1 when s[0..n) starts with the memo's text followed by a space. Asked for
 * every line: a text of 8 to 24 bytes (RFC 3164's 15, "2026-03-02 00:00:01") is compared
 * as three overlapping words, not by a call to memcmp.
 */
static inline int ts_memo_match(const struct ts_memo *m, const char *s, size_t n)
{
    size_t k = m->len;

    if (k == 0 || n <= k || s[k] != ' ')
        return 0;
    if (k >= 8 && k <= 24)
        return same_8_at(s, m->text, 0) && same_8_at(s, m->text, k - 8) &&
               same_8_at(s, m->text, (k - 8) / 2);
    return memcmp(s, m->text, k) == 0;
}

/* ts_memo_keep - remember s[0..n) as the text of ct, not converted yet; 1, or 0 (the memo
 * emptied) when the text is too long to keep */
int ts_memo_keep(struct ts_memo *m, const char *s, size_t n, const struct civil_time *ct);

/*
 * ts_memo_move - make min:sec of the memo's date and hour the memo's time (its ct; the caller
 * keeps the text). A converted memo stays converted: its UTC time moves by the difference,
 * which is civil_to_utc_us's own answer, since that takes one local offset per hour.
 */
void ts_memo_move(struct ts_memo *m, int min, int sec);

/*
 * ts_memo_set_fraction - make usec (prec digits written) the fraction of the memo's time (its
 * ct; the caller keeps the text). A converted memo's UTC time moves by the difference.
 */
void ts_memo_set_fraction(struct ts_memo *m, int32_t usec, int prec);

/*
 * ts_memo_utc - civil_to_utc_us() of ct. With hit (ct is the memo's: its text matched, or was
 * just kept) the time is converted once and then taken from the memo. Returns 0, or -1 for an
 * impossible date.
 */
int ts_memo_utc(struct ts_memo *m, int hit, const struct civil_time *ct,
                const struct year_guess *yg, struct tz_cache *tc, int64_t *out_us);

/* format_iso_utc - "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" with prec fraction digits; returns length */
size_t format_iso_utc(int64_t us, int prec, char *buf, size_t cap);

/*
 * time_arg_parse - a time given on the command line: "2026-01-05", "2026-01-05T10:00",
 * "2026-01-05 10:00:00+01:00", "today", "yesterday", "last-week", "now", "7d", "24h", "90m"
 * (ago), or an epoch "@1767225600". Dates without a zone are local time. is_end asks for the
 * end of a bare date or named day ("--until 2026-01-05" includes that day); "last-week" is the
 * last full Monday-to-Monday week: its Monday 00:00, or with is_end the Monday 00:00 that ends
 * it. Returns 0, or -1 with a message in d.
 */
int time_arg_parse(const char *s, int64_t now_s, int is_end, int64_t *out_us, struct diag *d);

#endif
