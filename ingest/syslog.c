/*
 * syslog - the header that syslog daemons put in front of a program's message (see syslog.h)
 */
#include "syslog.h"

#include <ctype.h>
#include <string.h>

/* tag_end - length of a syslog tag at s: printable, no space, up to '[' or ':' */
static size_t tag_span(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && s[i] != '[' && s[i] != ':' && s[i] != ' ' && (unsigned char)s[i] > 0x20 &&
           s[i] != 0x7f)
        i++;
    return i;
}

/*
 * parse_tag - "tag[pid]: " or "tag: " at s; fills tag, pid and msg, returns 0 or -1.
 */
static int parse_tag(const char *s, size_t len, struct syslog_header *h)
{
    size_t t = tag_span(s, len), i;

    if (t == 0 || t >= len)
        return -1;
    h->tag = s;
    h->tag_len = t;
    h->pid = -1;
    i = t;
    if (s[i] == '[') {
        long pid = 0;
        size_t d = ++i;
        while (i < len && isdigit((unsigned char)s[i]) && i - d < 10)
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
    size_t i = 0, n;

    memset(h, 0, sizeof *h);
    if (len > 0 && line[0] == '<') { /* "<pri>" from a raw network capture */
        size_t j = 1;
        while (j < len && j < 5 && isdigit((unsigned char)line[j]))
            j++;
        if (j > 1 && j < len && line[j] == '>')
            i = j + 1;
    }
    if ((n = ts_parse_rfc3164(line + i, len - i, &h->ct)) == 0 &&
        (n = ts_parse_iso(line + i, len - i, 0, &h->ct)) == 0)
        return -1;
    i += n;
    if (i >= len || line[i] != ' ')
        return -1;
    while (i < len && line[i] == ' ')
        i++;
    /* host, unless the token is already the tag ("tag[pid]:" or "tag:") */
    size_t t = tag_span(line + i, len - i);
    if (t > 0 && i + t < len && line[i + t] == ' ') {
        h->host = line + i;
        h->host_len = t;
        i += t;
        while (i < len && line[i] == ' ')
            i++;
    }
    return parse_tag(line + i, len - i, h);
}
