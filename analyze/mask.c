/*
 * mask - a reply text into its template (see mask.h)
 *
 * DESCRIPTION
 *	One forward scan. At each position the recognisers are tried from the most specific to
 *	the most general: an address in angle brackets, a host name in square brackets, a bare
 *	address, an IPv6 or IPv4 address, a port after "]:", then a "word" (letters and digits
 *	joined by . _ + -) that is a host before a bracketed address, an Exim message id, an id
 *	as a whole, or else is copied with its id-like and long numeric parts masked one by one.
 *	Recognisers only start where the previous byte cannot continue the same token, so a scan
 *	never restarts inside a token and the whole pass stays linear.
 *
 * BUGS
 *	Heuristic by nature: a host name outside brackets stays (it may be a list name a rule
 *	needs); a word like "Office365" looks like an id and is masked.
 */
#include "mask.h"

#include <string.h>

#define ANGLE_MAX 320
#define HOST_MAX  255

/* byte classes: each predicate below is one table look-up (masking reads every byte of a text
 * several times: once per recogniser that may start there) */
enum {
    K_DIGIT = 1u << 0,
    K_ALPHA = 1u << 1,  /* ASCII letters */
    K_HEX = 1u << 2,    /* 0-9 a-f A-F */
    K_JOINER = 1u << 3, /* . _ + -, which join the runs of a word */
    K_LOCAL = 1u << 4,  /* an address's local part outside quotes (RFC 5322 atext and the dot) */
    K_DOMAIN = 1u << 5, /* letters, digits, - . and UTF-8 */
    K_COLON = 1u << 6,
};

#define CLASS_ALNUM(c)                                                                             \
    (((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define CLASS_OF(c)                                                                                \
    ((((c) >= '0' && (c) <= '9') ? K_DIGIT | K_HEX : 0u) |                                         \
     ((((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')) ? K_ALPHA : 0u) |                 \
     ((((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F')) ? K_HEX : 0u) |                   \
     (((c) == '.' || (c) == '_' || (c) == '+' || (c) == '-') ? K_JOINER : 0u) |                    \
     ((CLASS_ALNUM(c) || (c) >= 0x80 || (c) == '.' || (c) == '!' || (c) == '#' || (c) == '$' ||    \
       (c) == '%' || (c) == '&' || (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '/' ||        \
       (c) == '=' || (c) == '?' || (c) == '^' || (c) == '_' || (c) == '`' || (c) == '{' ||         \
       (c) == '|' || (c) == '}' || (c) == '~' || (c) == '-')                                       \
          ? K_LOCAL                                                                                \
          : 0u) |                                                                                  \
     ((CLASS_ALNUM(c) || (c) == '-' || (c) == '.' || (c) >= 0x80) ? K_DOMAIN : 0u) |               \
     ((c) == ':' ? K_COLON : 0u))
#define CLASS_1(c)  CLASS_OF(c),
#define CLASS_4(c)  CLASS_1(c) CLASS_1((c) + 1) CLASS_1((c) + 2) CLASS_1((c) + 3)
#define CLASS_16(c) CLASS_4(c) CLASS_4((c) + 4) CLASS_4((c) + 8) CLASS_4((c) + 12)
#define CLASS_64(c) CLASS_16(c) CLASS_16((c) + 16) CLASS_16((c) + 32) CLASS_16((c) + 48)

static const unsigned char byte_class[256] = {CLASS_64(0) CLASS_64(64) CLASS_64(128) CLASS_64(192)};

static int is_alnum(unsigned char c)
{
    return (byte_class[c] & (K_DIGIT | K_ALPHA)) != 0;
}

static int is_digit(unsigned char c)
{
    return (byte_class[c] & K_DIGIT) != 0;
}

static int is_hex(unsigned char c)
{
    return (byte_class[c] & K_HEX) != 0;
}

static int is_joiner(unsigned char c)
{
    return (byte_class[c] & K_JOINER) != 0;
}

static int is_word(unsigned char c)
{
    return (byte_class[c] & (K_DIGIT | K_ALPHA | K_JOINER)) != 0;
}

static int is_local(unsigned char c)
{
    return (byte_class[c] & K_LOCAL) != 0;
}

static int is_domain(unsigned char c)
{
    return (byte_class[c] & K_DOMAIN) != 0;
}

/* keep - copy p[0..n) into a value slot of cap bytes, once */
static void keep(char *slot, size_t cap, const char *p, size_t n)
{
    if (slot[0] != '\0')
        return;
    if (n >= cap)
        n = cap - 1;
    memcpy(slot, p, n);
    slot[n] = '\0';
}

/* domain_len - length of a domain at p (at least one label), 0 when none */
static size_t domain_len(const char *p, size_t n)
{
    size_t j = 0;

    while (j < n && is_domain((unsigned char)p[j]))
        j++;
    while (j > 0 && (p[j - 1] == '.' || p[j - 1] == '-'))
        j--;
    return j > 0 && is_alnum((unsigned char)p[0]) ? j : 0;
}

/* angle_addr - "<local@domain>" at p: its length, 0 when p is not one */
static size_t angle_addr(const char *p, size_t n)
{
    size_t at = 0, j;

    for (j = 1; j < n && j < ANGLE_MAX; j++) {
        unsigned char c = (unsigned char)p[j];
        if (c == '>')
            break;
        if (c == '<' || c == ' ' || c == '\t' || c < 0x20)
            return 0;
        if (c == '@')
            at = j;
    }
    if (j >= n || p[j] != '>' || at <= 1 || at + 1 >= j)
        return 0;
    return domain_len(p + at + 1, j - at - 1) == j - at - 1 ? j + 1 : 0;
}

/* bare_addr - "local@domain" at p: its length, 0 when p is not one */
static size_t bare_addr(const char *p, size_t n)
{
    size_t j = 0, d;

    while (j < n && is_local((unsigned char)p[j]))
        j++;
    if (j == 0 || j >= n || p[j] != '@')
        return 0;
    d = domain_len(p + j + 1, n - j - 1);
    return d > 0 ? j + 1 + d : 0;
}

/* ipv4_len - a dotted quad at p (each part 0-255): its length, 0 when none */
static size_t ipv4_len(const char *p, size_t n)
{
    size_t j = 0;

    for (int part = 0; part < 4; part++) {
        size_t d = 0;
        int v = 0;
        if (part > 0) {
            if (j >= n || p[j] != '.')
                return 0;
            j++;
        }
        while (j < n && is_digit((unsigned char)p[j]) && d < 4) {
            v = v * 10 + (p[j] - '0');
            j++;
            d++;
        }
        if (d == 0 || d > 3 || v > 255)
            return 0;
    }
    /* a fifth part or a letter glued on: a version number or a name, not an address */
    if (j < n && (is_alnum((unsigned char)p[j]) ||
                  (p[j] == '.' && j + 1 < n && is_digit((unsigned char)p[j + 1]))))
        return 0;
    return j;
}

/* ipv6_len - an IPv6 address at p ("::" or eight groups, optional dotted tail): length or 0 */
static size_t ipv6_len(const char *p, size_t n)
{
    size_t j = 0, group = 0, colons = 0, hexdigits = 0;
    int dbl = 0;

    while (j < n && (is_hex((unsigned char)p[j]) || p[j] == ':')) {
        if (p[j] == ':') {
            colons++;
            if (j + 1 < n && p[j + 1] == ':') {
                if (dbl)
                    return 0;
                dbl = 1;
            }
            group = 0;
        } else {
            if (++group > 4)
                return 0;
            hexdigits++;
        }
        j++;
    }
    if (colons < 2 || hexdigits == 0 || (!dbl && colons != 7))
        return 0;
    if (j < n && p[j] == '.') {
        /* ::ffff:192.0.2.1 - the last group was the first part of an IPv4 address */
        size_t back = j;
        while (back > 0 && p[back - 1] != ':')
            back--;
        size_t v4 = ipv4_len(p + back, n - back);
        if (v4 == 0)
            return 0;
        j = back + v4;
    } else if (p[j - 1] == ':' && !(j >= 2 && p[j - 2] == ':')) {
        return 0;
    }
    if (j < n && (is_alnum((unsigned char)p[j]) || p[j] == '.'))
        return 0;
    return j;
}

/* bracket_host - "[host.name]" at p: its length, 0 when p is not one */
static size_t bracket_host(const char *p, size_t n)
{
    size_t j = 1;
    int dot = 0, letter = 0;

    while (j < n && j <= HOST_MAX &&
           (is_alnum((unsigned char)p[j]) || p[j] == '.' || p[j] == '-' || p[j] == '_')) {
        dot |= p[j] == '.';
        letter |= (p[j] | 0x20) >= 'a' && (p[j] | 0x20) <= 'z';
        j++;
    }
    if (j >= n || p[j] != ']' || !dot || !letter || !is_alnum((unsigned char)p[1]))
        return 0;
    return j + 1;
}

/* addr_follows - p is "[IP" or "[private/" (Postfix's "host[ip]" and "host [ip]") */
static int addr_follows(const char *p, size_t n)
{
    if (n < 2 || p[0] != '[')
        return 0;
    if (ipv4_len(p + 1, n - 1) || ipv6_len(p + 1, n - 1))
        return 1;
    return n >= 9 && memcmp(p + 1, "private/", 8) == 0;
}

/* a run of letters and digits inside a word */
struct run {
    size_t len, digits, letters, upper, lower;
    int hex_upper; /* only 0-9A-F */
};

static void run_scan(const char *p, size_t n, struct run *r)
{
    memset(r, 0, sizeof *r);
    r->hex_upper = 1;
    r->len = n;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (is_digit(c)) {
            r->digits++;
        } else {
            r->letters++;
            if (c >= 'A' && c <= 'Z')
                r->upper++;
            else
                r->lower++;
            if (!(c >= 'A' && c <= 'F'))
                r->hex_upper = 0;
        }
    }
}

/* code_like - capitals then digits (TSS04, S3150, AS16012607): a provider's code, kept */
static int code_like(const char *p, size_t n)
{
    size_t i = 0;

    while (i < n && p[i] >= 'A' && p[i] <= 'Z')
        i++;
    if (i == 0 || i > 5 || i == n)
        return 0;
    while (i < n && is_digit((unsigned char)p[i]))
        i++;
    return i == n;
}

/* id_like - a run that is a queue id, hex digest, base64 token... rather than a word */
static int id_like(const char *p, const struct run *r)
{
    if (r->digits == 0 || r->letters == 0 || code_like(p, r->len))
        return 0;
    if (r->len >= 16)
        return 1;
    if (r->len >= 8 && r->digits >= 2)
        return 1;
    /* Postfix short queue ids: 6+ upper-case hex digits */
    return r->len >= 6 && r->hex_upper && r->digits >= 2;
}

/* exim_id - 1RwtJa-0009RI-2d (6-6-2) or 10HmaX-000000005vi-0000 (6-11-4) */
static int exim_id(const char *p, size_t n)
{
    static const size_t shapes[2][3] = {{6, 6, 2}, {6, 11, 4}};

    for (int s = 0; s < 2; s++) {
        size_t j = 0, part;
        for (part = 0; part < 3; part++) {
            size_t k = 0;
            while (j < n && is_alnum((unsigned char)p[j])) {
                j++;
                k++;
            }
            if (k != shapes[s][part])
                break;
            if (part < 2) {
                if (j >= n || p[j] != '-')
                    break;
                j++;
            }
        }
        if (part == 3 && j == n)
            return 1;
    }
    return 0;
}

/*
 * whole_id - a word whose runs are ids, numbers and short bits (d9443c01a7336-21f29fa3dcb.44,
 * UUIDs, base64 with + and =) is one id: masking each run would leave the joiners varying
 */
static int whole_id(const char *p, size_t n)
{
    int ids = 0, runs = 0;

    for (size_t i = 0; i < n;) {
        size_t j = i;
        struct run r;
        while (j < n && is_alnum((unsigned char)p[j]))
            j++;
        if (j > i) {
            runs++;
            run_scan(p + i, j - i, &r);
            if (id_like(p + i, &r))
                ids++;
            else if (r.digits == 0 && r.len > 3)
                return 0; /* a real word: keep the structure */
        }
        i = j + 1;
    }
    return ids > 0 && runs > 1;
}

/*
 * mark - s[from..to) becomes text: the bytes between the last replacement and from are copied
 * first. Bytes masking keeps are copied only here, in one piece per replacement, not one by one;
 * *lit is where the next copy starts.
 */
static void mark(const char *s, size_t *lit, size_t from, size_t to, const char *text,
                 struct strbuf *out)
{
    if (from > *lit)
        strbuf_append(out, s + *lit, from - *lit);
    strbuf_puts(out, text);
    *lit = to;
}

/* put_word - the word s[i..n): its id-like runs and long numbers masked, the rest kept */
static void put_word(const char *s, size_t i, size_t n, size_t *lit, struct strbuf *out)
{
    while (i < n) {
        if (!is_alnum((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        struct run r;
        while (j < n && is_alnum((unsigned char)s[j]))
            j++;
        run_scan(s + i, j - i, &r);
        if (r.letters == 0 && r.digits >= 5)
            mark(s, lit, i, j, "<N>", out);
        else if (id_like(s + i, &r))
            mark(s, lit, i, j, "<ID>", out);
        i = j;
    }
}

/* helo_object - "<name>: Helo command rejected": Postfix names the client's HELO in brackets */
static size_t helo_object(const char *p, size_t n)
{
    static const char tail[] = ": Helo command rejected";
    size_t j = 1;

    while (j < n && j < ANGLE_MAX && p[j] != '>' && p[j] != '<' && p[j] != ' ')
        j++;
    if (j >= n || p[j] != '>' || j == 1)
        return 0;
    if (n - j - 1 < sizeof tail - 1 || memcmp(p + j + 1, tail, sizeof tail - 1) != 0)
        return 0;
    return j + 1;
}

void mask(const char *s, size_t n, struct strbuf *out, struct mask_values *v)
{
    struct mask_values dummy;
    size_t i = 0, lit = 0, start = out->len, m;
    /* the next '@' and ':' from i: no bare address can start where none follows, nor an IPv6
     * address without a colon */
    const char *at = memchr(s, '@', n), *colon = memchr(s, ':', n);

    if (v == NULL)
        v = &dummy;
    memset(v, 0, sizeof *v);
    /* what the template would hold so far: out's bytes and the kept ones not yet copied */
    while (i < n && out->len - start + (i - lit) < MASK_MAX) {
        unsigned char c = (unsigned char)s[i];
        unsigned char prev = i > 0 ? (unsigned char)s[i - 1] : ' ';

        if (at != NULL && at < s + i)
            at = memchr(s + i, '@', n - i);
        if (colon != NULL && colon < s + i)
            colon = memchr(s + i, ':', n - i);
        if (c == '<' && (m = angle_addr(s + i, n - i)) > 0) {
            keep(v->addr, sizeof v->addr, s + i + 1, m - 2);
            mark(s, &lit, i, i + m, "<ADDR>", out);
            i += m;
            continue;
        }
        if (c == '<' && (m = helo_object(s + i, n - i)) > 0) {
            mark(s, &lit, i, i + m, "<HOST>", out);
            i += m;
            continue;
        }
        if (c == '[' && (m = bracket_host(s + i, n - i)) > 0) {
            keep(v->host, sizeof v->host, s + i + 1, m - 2);
            mark(s, &lit, i, i + m, "[<HOST>]", out);
            i += m;
            continue;
        }
        if (at != NULL && !is_local(prev) && (m = bare_addr(s + i, n - i)) > 0) {
            keep(v->addr, sizeof v->addr, s + i, m);
            mark(s, &lit, i, i + m, "<ADDR>", out);
            i += m;
            continue;
        }
        if (colon != NULL && (byte_class[c] & (K_HEX | K_COLON)) && !is_alnum(prev) &&
            prev != '.' && (prev != ':' || (i >= 5 && memcmp(s + i - 5, "IPv6:", 5) == 0)) &&
            (m = ipv6_len(s + i, n - i)) > 0) {
            keep(v->ip, sizeof v->ip, s + i, m);
            mark(s, &lit, i, i + m, "<IP>", out);
            i += m;
            continue;
        }
        if (is_digit(c) && !is_alnum(prev) && prev != '.' && (m = ipv4_len(s + i, n - i)) > 0) {
            if (!(m > 4 && memcmp(s + i, "127.", 4) == 0)) { /* a DNSBL answer: rules read it */
                keep(v->ip, sizeof v->ip, s + i, m);
                mark(s, &lit, i, i + m, "<IP>", out);
            }
            i += m;
            continue;
        }
        if (is_digit(c) && prev == ':' && i >= 2 && s[i - 2] == ']') {
            size_t j = i;
            while (j < n && is_digit((unsigned char)s[j]))
                j++;
            mark(s, &lit, i, j, "<N>", out);
            i = j;
            continue;
        }
        if (is_alnum(c) && !is_word(prev)) {
            size_t j = i, dot = n;
            unsigned seen = 0;
            while (j < n && is_word((unsigned char)s[j])) {
                seen |= byte_class[(unsigned char)s[j]];
                if (s[j] == '.' && dot == n)
                    dot = j;
                j++;
            }
            /* the joiners trimmed off the end hold no letter or digit: seen stays true */
            while (j > i + 1 && is_joiner((unsigned char)s[j - 1]))
                j--;
            size_t len = j - i;
            const char *w = s + i;
            int hostish = dot < j && (seen & K_ALPHA);
            if (hostish && ((j < n && addr_follows(s + j, n - j)) ||
                            (j + 1 < n && s[j] == ' ' && addr_follows(s + j + 1, n - j - 1)))) {
                keep(v->host, sizeof v->host, w, len);
                mark(s, &lit, i, j, "<HOST>", out);
            } else if (((len == 16 || len == 23) && exim_id(w, len)) ||
                       ((seen & K_DIGIT) && whole_id(w, len))) {
                mark(s, &lit, i, j, "<ID>", out);
            } else if (seen & K_DIGIT) { /* a word without digits has no run to mask */
                put_word(s, i, j, &lit, out);
            }
            i = j;
            continue;
        }
        i++;
    }
    if (i > lit)
        strbuf_append(out, s + lit, i - lit);
    if (out->len - start > MASK_MAX) {
        size_t cut = start + MASK_MAX;
        while (cut > start && ((unsigned char)out->buf[cut] & 0xc0) == 0x80)
            cut--;
        out->len = cut;
        out->buf[cut] = '\0';
    } else if (i < n) {
        /* stopped at exactly MASK_MAX, maybe inside a character copied byte by byte: its
         * first bytes go too (found by fuzz_mask, 2026-11-30) */
        size_t k = out->len, tail = 0;
        while (k > start && tail < 3 && ((unsigned char)out->buf[k - 1] & 0xc0) == 0x80)
            k--, tail++;
        if (k > start) {
            unsigned char lead = (unsigned char)out->buf[k - 1];
            size_t need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
            if (tail < need) {
                out->len = k - 1;
                out->buf[k - 1] = '\0';
            }
        }
    }
}
