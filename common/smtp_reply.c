/*
 * smtp_reply - the parts of an SMTP reply as MTAs log it (see smtp_reply.h)
 */
#include "smtp_reply.h"
#include "scan.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* status_len - length of an enhanced status code at p, 0 when there is none */
static size_t status_len(const char *p, size_t n)
{
    size_t i = 0, d;

    if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
        return 0;
    i = 2;
    for (int part = 0; part < 2; part++) {
        d = i;
        while (i < n && i - d < 3 && scan_is_digit(p[i]))
            i++;
        if (i == d)
            return 0;
        if (part == 0) {
            if (i >= n || p[i] != '.')
                return 0;
            i++;
        }
    }
    if (i < n && (scan_is_digit(p[i]) || scan_is_alpha(p[i]) || p[i] == '.'))
        return 0;
    return i;
}

int smtp_status_valid(const char *p, size_t n)
{
    return n > 0 && status_len(p, n) == n;
}

static int code_at(const char *p, size_t n)
{
    if (n < 3 || !scan_is_digit(p[0]) || !scan_is_digit(p[1]) || !scan_is_digit(p[2]) ||
        p[0] < '2' || p[0] > '5')
        return 0;
    if (n > 3 && p[3] != ' ' && p[3] != '-')
        return 0;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

void smtp_reply_parse(const char *p, size_t n, struct smtp_reply *r)
{
    size_t i = 0, s;

    memset(r, 0, sizeof *r);
    while (i < n && p[i] == ' ')
        i++;
    if ((r->code = code_at(p + i, n - i)) != 0) {
        i += 3;
        if (i < n)
            i++; /* the ' ' or '-' */
    }
    if ((s = status_len(p + i, n - i)) > 0 && s < sizeof r->status) {
        memcpy(r->status, p + i, s);
        r->status[s] = '\0';
        i += s;
    }
    while (i < n && p[i] == ' ')
        i++;
    r->text = p + i;
    r->text_len = n - i;
}

/*
 * prefix_end - when a continuation prefix of r starts at the space p[i] (" 550-5.7.1 ", " 550
 * 5.7.1 ", the status when r has one), the index after it and its spaces; 0 when none does
 */
static size_t prefix_end(const struct smtp_reply *r, size_t slen, const char *p, size_t n, size_t i)
{
    size_t j = i + 5; /* past " 550-" */

    if (i + 4 >= n || code_at(p + i + 1, n - i - 1) != r->code)
        return 0;
    if (slen > 0) {
        if (j + slen > n || memcmp(p + j, r->status, slen) != 0 ||
            (j + slen < n && p[j + slen] != ' '))
            return 0;
        j += slen;
    }
    while (j < n && p[j] == ' ')
        j++;
    return j;
}

size_t smtp_reply_join(const struct smtp_reply *r, char *out)
{
    const char *p = r->text;
    size_t n = r->text_len, o = 0, i = 0, slen = strlen(r->status);

    /*
     * Only a space followed by the reply's own code can start a prefix: memchr looks for the
     * code's first digit (rarer in a text than the spaces between its words), and the bytes
     * between candidates are copied as they are.
     */
    while (r->code != 0 && i < n) {
        const char *d = memchr(p + i + 1, '0' + r->code / 100, n - i - 1);
        size_t c, j;
        if (d == NULL)
            break;
        c = (size_t)(d - p) - 1; /* the byte before the digit: the prefix's space */
        if (p[c] != ' ' || (j = prefix_end(r, slen, p, n, c)) == 0) {
            memcpy(out + o, p + i, c + 1 - i);
            o += c + 1 - i;
            i = c + 1;
            continue;
        }
        memcpy(out + o, p + i, c - i);
        o += c - i;
        out[o++] = ' ';
        i = j;
    }
    memcpy(out + o, p + i, n - i);
    o += n - i;
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o;
}

enum smtp_stage smtp_stage_of_command(const char *p, size_t n)
{
    static const struct {
        const char *word;
        enum smtp_stage stage;
    } table[] = {
        {"RCPT", STAGE_RCPT},          {"MAIL", STAGE_MAIL},       {"end of DATA", STAGE_EOM},
        {"END-OF-MESSAGE", STAGE_EOM}, {"DATA", STAGE_DATA},       {"BDAT", STAGE_DATA},
        {"EHLO", STAGE_HELO},          {"HELO", STAGE_HELO},       {"LHLO", STAGE_HELO},
        {"STARTTLS", STAGE_HELO}, /* part of the greeting: after EHLO, before MAIL */
        {"VRFY", STAGE_RCPT},          {"CONNECT", STAGE_CONNECT}, {"initial", STAGE_CONNECT},
        {"header", STAGE_HEADER},      {"body", STAGE_BODY},
    };

    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        size_t m = strlen(table[i].word);
        if (n >= m && strncasecmp(p, table[i].word, m) == 0 &&
            (n == m || !isalnum((unsigned char)p[m]) || table[i].word[m - 1] == ' '))
            return table[i].stage;
    }
    return STAGE_NONE;
}
