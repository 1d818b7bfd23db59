/*
 * syslog - the header that syslog daemons put in front of a program's message (see syslog.h)
 */
#include "syslog.h"
#include "scan.h"

#include <ctype.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* the bytes of a syslog tag (and of a host name): above the space, not DEL, '[' or ':' */
static const unsigned char tag_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 10 */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, /* 30: ':' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, /* 50: '[' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 70: DEL */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 80 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 90 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* a0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* b0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* c0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* d0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* e0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* f0 */
};

size_t syslog_tag_span(const char *s, size_t len)
{
    size_t i = 0;

#if defined(__SSE2__)
    /*
     * Host and tag are read on every line and are mostly over 8 bytes ("postfix/submission/
     * smtpd"): a byte at a time was a sixth of the parser. Sixteen at a time while sixteen
     * remain in the line; the stops are those of tag_byte: <= ' ', ':', '[', DEL.
     */
    const __m128i space = _mm_set1_epi8(' '), colon = _mm_set1_epi8(':');
    const __m128i bracket = _mm_set1_epi8('['), del = _mm_set1_epi8(0x7f);
    while (len - i >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, space), x); /* x <= ' ', unsigned */
        __m128i sep = _mm_or_si128(_mm_cmpeq_epi8(x, colon), _mm_cmpeq_epi8(x, bracket));
        __m128i stop = _mm_or_si128(_mm_or_si128(ctl, sep), _mm_cmpeq_epi8(x, del));
        unsigned m = (unsigned)_mm_movemask_epi8(stop);
        if (m != 0)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    while (i < len && tag_byte[(unsigned char)s[i]])
        i++;
    return i;
}

/*
 * parse_tag - "tag[pid]: " or "tag: " at s, whose first t bytes are the tag; fills tag, pid
 * and msg, returns 0 or -1.
 */
static int parse_tag(const char *s, size_t len, size_t t, struct syslog_header *h)
{
    size_t i;

    if (t == 0 || t >= len)
        return -1;
    h->tag = s;
    h->tag_len = t;
    h->pid = -1;
    i = t;
    if (s[i] == '[') {
        long pid = 0;
        size_t d = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - d < 10)
            pid = pid * 10 + (s[i++] - '0');
        if (i == d || i >= len || s[i] != ']')
            return -1;
        h->pid = pid;
        i++;
    }
    if (i >= len || s[i] != ':')
        return -1;
    i++;
    if (i < len && s[i] == ' ')
        i++;
    h->msg = s + i;
    h->msg_len = len - i;
    return 0;
}

int syslog_parse_header(const char *line, size_t len, struct syslog_header *h)
{
    return syslog_parse_header_memo(line, len, h, NULL);
}

/*
 * memo_same_hour - 1 when s[0..n) starts with "Mmm dd HH:MM:SS " of the hour of the memo's
 * text (itself such a stamp, 15 bytes); the memo becomes that second (ts_memo_move: its UTC
 * time moved by the difference, as converting it would give). 0, the memo untouched, when
 * not. A busy log has a few lines a second: most new seconds are of the hour before.
 */
static int memo_same_hour(struct ts_memo *m, const char *s, size_t n)
{
    int min, sec;

    if (m->len != 15 || n <= 15 || s[15] != ' ' || m->text[3] != ' ' || m->text[9] != ':' ||
        memcmp(s, m->text, 10) != 0 || s[12] != ':' || (min = scan_two_digits(s + 10)) < 0 ||
        min > 59 || (sec = scan_two_digits(s + 13)) < 0 || sec > 60)
        return 0;
    memcpy(m->text + 10, s + 10, 5);
    ts_memo_move(m, min, sec);
    return 1;
}

/*
 * memo_same_minute_iso - when s[0..n) starts with an RFC 3339 stamp of the minute of the memo's
 * text (itself such a stamp: its first 17 bytes are the same), written with the memo's zone and
 * followed by a space: the stamp's length, and the memo becomes that time (its seconds moved by
 * ts_memo_move, its fraction set, both as converting it would give). 0, the memo untouched,
 * when not. rsyslog's high-precision stamps ("2026-03-02T00:00:08.931357+01:00", Debian's
 * default) differ from line to line in their fraction, so the memo's whole text rarely
 * matches: parsing and converting a stamp each time cost ~550 instructions a line.
 */
static size_t memo_same_minute_iso(struct ts_memo *m, const char *s, size_t n)
{
    static const int32_t place[6] = {100000, 10000, 1000, 100, 10, 1};
    size_t k = m->len, i = 19, z = 19, zlen;
    int sec, prec = 0;
    int32_t usec = 0;

    if (k < 19 || n <= 19 || m->text[4] != '-' || m->text[16] != ':' || !same_8_at(s, m->text, 0) ||
        !same_8_at(s, m->text, 8) || s[16] != ':' || (sec = scan_two_digits(s + 17)) < 0 ||
        sec > 60)
        return 0;
    /* the fraction, as ts_parse_iso reads it: six digits kept, more skipped */
    if ((s[i] == '.' || s[i] == ',') && i + 1 < n && scan_is_digit(s[i + 1]))
        for (i++; i < n && scan_is_digit(s[i]); i++)
            if (prec < 6)
                usec += (s[i] - '0') * place[prec++];
    /* the memo's zone is what follows its own fraction */
    if ((m->text[z] == '.' || m->text[z] == ',') && z + 1 < k && scan_is_digit(m->text[z + 1]))
        for (z++; z < k && scan_is_digit(m->text[z]); z++)
            ;
    zlen = k - z;
    if (n - i <= zlen || i + zlen > sizeof m->text || memcmp(s + i, m->text + z, zlen) != 0 ||
        s[i + zlen] != ' ')
        return 0;
    i += zlen;
    memcpy(m->text, s, i);
    m->len = i;
    ts_memo_move(m, m->ct.min, sec);
    ts_memo_set_fraction(m, usec, prec);
    return i;
}

int syslog_parse_header_memo(const char *line, size_t len, struct syslog_header *h,
                             struct ts_memo *memo)
{
    size_t i = 0, n, t;

    h->host = NULL;
    h->host_len = 0;
    h->ts_memo = 0;
    if (len > 0 && line[0] == '<') { /* "<pri>" from a raw network capture */
        size_t j = 1;
        while (j < len && j < 5 && isdigit((unsigned char)line[j]))
            j++;
        if (j > 1 && j < len && line[j] == '>')
            i = j + 1;
    }
    if (memo != NULL && ts_memo_match(memo, line + i, len - i)) {
        h->ct = memo->ct; /* the same second as the line before */
        n = memo->len;
        h->ts_memo = 1;
    } else if (memo != NULL && memo_same_hour(memo, line + i, len - i)) {
        h->ct = memo->ct; /* another second of its hour */
        n = memo->len;
        h->ts_memo = 1;
    } else if (memo != NULL && (n = memo_same_minute_iso(memo, line + i, len - i)) > 0) {
        h->ct = memo->ct; /* another second or fraction of its minute */
        h->ts_memo = 1;
    } else {
        if ((n = ts_parse_rfc3164(line + i, len - i, &h->ct)) == 0 &&
            (n = ts_parse_iso(line + i, len - i, 0, &h->ct)) == 0)
            return -1;
        if (memo != NULL)
            h->ts_memo = ts_memo_keep(memo, line + i, n, &h->ct);
    }
    i += n;
    if (i >= len || line[i] != ' ')
        return -1;
    while (i < len && line[i] == ' ')
        i++;
    /* host, unless the token is already the tag ("tag[pid]:" or "tag:") */
    t = syslog_tag_span(line + i, len - i);
    if (t > 0 && i + t < len && line[i + t] == ' ') {
        h->host = line + i;
        h->host_len = t;
        i += t;
        while (i < len && line[i] == ' ')
            i++;
        t = syslog_tag_span(line + i, len - i);
    }
    return parse_tag(line + i, len - i, t, h);
}
