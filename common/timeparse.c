/*
 * timeparse - the timestamps of mail logs and of the command line, to UTC microseconds
 * (see timeparse.h)
 */
#include "timeparse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* days_from_civil - Howard Hinnant's algorithm, valid for every proleptic Gregorian date */
int64_t days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp, yy;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

int days_in_month(int y, int m)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m < 1 || m > 12)
        return 0;
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return mdays[m - 1];
}

int parse_month_abbrev(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

    for (int i = 0; i < 12; i++)
        if (memcmp(s, months + 3 * i, 3) == 0)
            return i + 1;
    return 0;
}

/* digits - read exactly n decimal digits at s; -1 when any is not a digit */
static int digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int valid_clock(const struct civil_time *ct)
{
    return ct->hour <= 23 && ct->min <= 59 && ct->sec <= 60;
}

size_t ts_parse_rfc3164(const char *s, size_t len, struct civil_time *ct)
{
    size_t i;

    memset(ct, 0, sizeof *ct);
    if (len < 14 || (ct->month = parse_month_abbrev(s)) == 0 || s[3] != ' ')
        return 0;
    i = 4;
    if (s[i] == ' ') /* space-padded day */
        i++;
    if (!isdigit((unsigned char)s[i]))
        return 0;
    ct->day = s[i++] - '0';
    if (isdigit((unsigned char)s[i]))
        ct->day = ct->day * 10 + (s[i++] - '0');
    if (ct->day < 1 || ct->day > 31 || i + 9 > len || s[i] != ' ')
        return 0;
    i++;
    if ((ct->hour = digits(s + i, 2)) < 0 || s[i + 2] != ':' ||
        (ct->min = digits(s + i + 3, 2)) < 0 || s[i + 5] != ':' ||
        (ct->sec = digits(s + i + 6, 2)) < 0 || !valid_clock(ct))
        return 0;
    i += 8;
    /* some relays add milliseconds to the BSD format */
    if (i < len && s[i] == '.' && i + 1 < len && isdigit((unsigned char)s[i + 1])) {
        int32_t scale = 100000;
        i++;
        while (i < len && isdigit((unsigned char)s[i])) {
            if (ct->prec < 6) {
                ct->usec += (s[i] - '0') * scale;
                scale /= 10;
                ct->prec++;
            }
            i++;
        }
    }
    return i;
}

/* parse_zone - "Z", "±hh:mm" or "±hhmm" at s; returns bytes consumed, 0 when none */
static size_t parse_zone(const char *s, size_t len, int32_t *offset)
{
    int h, m, sign;

    if (len >= 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *offset = 0;
        return 1;
    }
    if (len < 5 || (s[0] != '+' && s[0] != '-'))
        return 0;
    sign = s[0] == '-' ? -1 : 1;
    if ((h = digits(s + 1, 2)) < 0 || h > 23)
        return 0;
    if (s[3] == ':') {
        if (len < 6 || (m = digits(s + 4, 2)) < 0 || m > 59)
            return 0;
        *offset = sign * (h * 3600 + m * 60);
        return 6;
    }
    if ((m = digits(s + 3, 2)) < 0 || m > 59)
        return 0;
    *offset = sign * (h * 3600 + m * 60);
    return 5;
}

size_t ts_parse_iso(const char *s, size_t len, int allow_space_zone, struct civil_time *ct)
{
    size_t i = 19, z;

    memset(ct, 0, sizeof *ct);
    if (len < 19)
        return 0;
    if ((ct->year = digits(s, 4)) < 0 || s[4] != '-' || (ct->month = digits(s + 5, 2)) < 1 ||
        ct->month > 12 || s[7] != '-' || (ct->day = digits(s + 8, 2)) < 1 || ct->day > 31 ||
        (s[10] != 'T' && s[10] != ' ' && s[10] != 't') || (ct->hour = digits(s + 11, 2)) < 0 ||
        s[13] != ':' || (ct->min = digits(s + 14, 2)) < 0 || s[16] != ':' ||
        (ct->sec = digits(s + 17, 2)) < 0 || !valid_clock(ct))
        return 0;
    if (i < len && (s[i] == '.' || s[i] == ',') && i + 1 < len &&
        isdigit((unsigned char)s[i + 1])) {
        int32_t scale = 100000;
        i++;
        while (i < len && isdigit((unsigned char)s[i])) {
            if (ct->prec < 6) {
                ct->usec += (s[i] - '0') * scale;
                scale /= 10;
                ct->prec++;
            }
            i++;
        }
    }
    if ((z = parse_zone(s + i, len - i, &ct->utc_offset)) > 0) {
        ct->has_zone = 1;
        i += z;
    } else if (allow_space_zone && i + 1 < len && s[i] == ' ' &&
               (z = parse_zone(s + i + 1, len - i - 1, &ct->utc_offset)) == 5 &&
               (i + 6 == len || s[i + 6] == ' ')) {
        /* Exim's " +0100" (log_timezone); only the 4-digit form, followed by a space */
        ct->has_zone = 1;
        i += 1 + z;
    }
    return i;
}

void tz_cache_init(struct tz_cache *tc)
{
    tc->hour_key = INT64_MIN;
    tc->offset = 0;
}

/*
 * local_offset - UTC offset in force at a local wall-clock time, via mktime(), cached per hour.
 * One offset for a whole local hour: ts_memo_move relies on it.
 */
static int32_t local_offset(int64_t local_s, struct tz_cache *tc)
{
    int64_t key = local_s >= 0 ? local_s / 3600 : (local_s - 3599) / 3600;
    struct tm tm;
    int64_t days = key * 3600 >= 0 ? key * 3600 / 86400 : (key * 3600 - 86399) / 86400;
    int64_t rem = key * 3600 - days * 86400;
    time_t t;

    if (tc != NULL && tc->hour_key == key)
        return tc->offset;
    memset(&tm, 0, sizeof tm);
    civil_from_days(days, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_hour = (int)(rem / 3600);
    tm.tm_min = 30; /* mid-hour: steer clear of the transition instant itself */
    tm.tm_isdst = -1;
    t = mktime(&tm);
    int32_t off = t == (time_t)-1 ? 0 : (int32_t)((key * 3600 + 1800) - (int64_t)t);
    if (tc != NULL) {
        tc->hour_key = key;
        tc->offset = off;
    }
    return off;
}

int civil_to_utc_us(const struct civil_time *ct, const struct year_guess *yg, struct tz_cache *tc,
                    int64_t *out_us)
{
    int year = ct->year;
    int64_t secs;

    if (year == 0) {
        int ref_y, ref_m, ref_d;
        int64_t ref = yg != NULL ? yg->ref_s : (int64_t)time(NULL);
        civil_from_days(ref >= 0 ? ref / 86400 : (ref - 86399) / 86400, &ref_y, &ref_m, &ref_d);
        year = ref_y;
        /* more than a day after the reference can only mean last year */
        if (ct->month > ref_m || (ct->month == ref_m && ct->day > ref_d + 1))
            year--;
        /* Feb 29 only exists in a leap year: take the nearest earlier one */
        while (ct->month == 2 && ct->day == 29 && days_in_month(year, 2) == 28)
            year--;
    }
    if (ct->day > days_in_month(year, ct->month))
        return -1;
    secs = days_from_civil(year, ct->month, ct->day) * 86400 + ct->hour * 3600 + ct->min * 60 +
           (ct->sec > 59 ? 59 : ct->sec);
    secs -= ct->has_zone ? ct->utc_offset : local_offset(secs, tc);
    *out_us = secs * US_PER_SEC + ct->usec;
    return 0;
}

int ts_memo_keep(struct ts_memo *m, const char *s, size_t n, const struct civil_time *ct)
{
    if (n == 0 || n > sizeof m->text) {
        m->len = 0;
        return 0;
    }
    memcpy(m->text, s, n);
    m->len = n;
    m->ct = *ct;
    m->have_us = 0;
    return 1;
}

void ts_memo_move(struct ts_memo *m, int min, int sec)
{
    /* a leap second counts as :59, as in civil_to_utc_us */
    int64_t was = m->ct.min * 60 + (m->ct.sec > 59 ? 59 : m->ct.sec);
    int64_t now = min * 60 + (sec > 59 ? 59 : sec);

    if (m->have_us)
        m->us += (now - was) * US_PER_SEC;
    m->ct.min = min;
    m->ct.sec = sec;
}

void ts_memo_set_fraction(struct ts_memo *m, int32_t usec, int prec)
{
    if (m->have_us)
        m->us += usec - m->ct.usec;
    m->ct.usec = usec;
    m->ct.prec = prec;
}

int ts_memo_utc(struct ts_memo *m, int hit, const struct civil_time *ct,
                const struct year_guess *yg, struct tz_cache *tc, int64_t *out_us)
{
    if (hit && m->have_us) {
        *out_us = m->us;
        return 0;
    }
    if (civil_to_utc_us(ct, yg, tc, out_us) < 0)
        return -1;
    if (hit) {
        m->us = *out_us;
        m->have_us = 1;
    }
    return 0;
}

size_t format_iso_utc(int64_t us, int prec, char *buf, size_t cap)
{
    int64_t secs = us >= 0 ? us / US_PER_SEC : (us - (US_PER_SEC - 1)) / US_PER_SEC;
    int64_t frac = us - secs * US_PER_SEC;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    int y, m, d, n;

    civil_from_days(days, &y, &m, &d);
    n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, (int)(rem / 3600),
                 (int)(rem / 60 % 60), (int)(rem % 60));
    if (prec > 0 && prec <= 6 && n > 0 && (size_t)n < cap) {
        int64_t div = 1;
        for (int i = prec; i < 6; i++)
            div *= 10;
        n += snprintf(buf + n, cap - (size_t)n, ".%0*lld", prec, (long long)(frac / div));
    }
    if (n > 0 && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, "Z");
    return n < 0 ? 0 : (size_t)n;
}

#define EPOCH_MIN_S INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define EPOCH_MAX_S INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* local_midnight - UTC seconds of the local midnight starting the day that contains t */
static int64_t local_midnight(int64_t t, int day_shift)
{
    time_t tt = (time_t)t;
    struct tm tm;

    localtime_r(&tt, &tm);
    tm.tm_mday += day_shift;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

int time_arg_parse(const char *s, int64_t now_s, int is_end, int64_t *out_us, struct diag *d)
{
    size_t len = strlen(s);
    struct civil_time ct;
    char *end;

    if (len == 0)
        return diag_set(d, "empty time");
    if (strcmp(s, "now") == 0) {
        *out_us = now_s * US_PER_SEC;
        return 0;
    }
    if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
        int shift = s[0] == 'y' ? -1 : 0;
        *out_us = local_midnight(now_s, shift + (is_end ? 1 : 0)) * US_PER_SEC;
        return 0;
    }
    if (strcmp(s, "last-week") == 0) {
        /* the last full week, Monday to Monday: its start, or with is_end its end */
        time_t tt = (time_t)now_s;
        struct tm tm;
        localtime_r(&tt, &tm);
        int since_monday = (tm.tm_wday + 6) % 7;
        *out_us = local_midnight(now_s, -since_monday - (is_end ? 0 : 7)) * US_PER_SEC;
        return 0;
    }
    if (s[0] == '@') {
        errno = 0;
        long long v = strtoll(s + 1, &end, 10);
        /* years 0001 to 9999: what a timestamp can say, and no overflow in microseconds */
        if (errno || *end || end == s + 1 || v < EPOCH_MIN_S || v > EPOCH_MAX_S)
            return diag_set(d, "bad epoch time '%s'", s);
        *out_us = (int64_t)v * US_PER_SEC;
        return 0;
    }
    if (isdigit((unsigned char)s[0]) && len < 12 && strchr("smhdw", s[len - 1]) != NULL) {
        static const struct {
            char unit;
            int64_t secs;
        } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (!errno && end == s + len - 1 && v >= 0 && v < 100000000) {
            for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
                if (units[i].unit == s[len - 1]) {
                    int64_t t = now_s - (int64_t)v * units[i].secs;
                    if (t < EPOCH_MIN_S)
                        return diag_set(d, "bad time '%s': before the year 1", s);
                    *out_us = t * US_PER_SEC;
                    return 0;
                }
        }
    }
    if (len == 10 && s[4] == '-' && s[7] == '-') {
        char full[32];
        snprintf(full, sizeof full, "%sT00:00:00", s);
        if (ts_parse_iso(full, strlen(full), 0, &ct) == 19) {
            int64_t us;
            /* year 0 would read as "no year given" and be guessed */
            if (ct.year == 0 || civil_to_utc_us(&ct, NULL, NULL, &us) < 0)
                return diag_set(d, "no such date '%s'", s);
            if (is_end) { /* the end of that local day */
                ct.day += 1;
                if (ct.day > days_in_month(ct.year, ct.month)) {
                    ct.day = 1;
                    if (++ct.month > 12) {
                        ct.month = 1;
                        ct.year++;
                    }
                }
                civil_to_utc_us(&ct, NULL, NULL, &us);
            }
            *out_us = us;
            return 0;
        }
    }
    if (len >= 16 && len < 40) {
        char full[48];
        /* allow "YYYY-MM-DDTHH:MM" without seconds */
        if (len == 16 || (len > 16 && (s[16] == 'Z' || s[16] == '+' || s[16] == '-')))
            snprintf(full, sizeof full, "%.16s:00%s", s, s + 16);
        else
            snprintf(full, sizeof full, "%s", s);
        size_t n = ts_parse_iso(full, strlen(full), 1, &ct);
        if (n > 0 && n == strlen(full)) {
            if (ct.year == 0 || civil_to_utc_us(&ct, NULL, NULL, out_us) < 0)
                return diag_set(d, "no such date '%s'", s);
            return 0;
        }
    }
    return diag_set(d,
                    "bad time '%s' (use 2026-01-31, '2026-01-31 14:00', "
                    "2026-01-31T14:00:00+01:00, today, yesterday, last-week, now, 7d, 24h, 30m "
                    "or @EPOCH)",
                    s);
}
