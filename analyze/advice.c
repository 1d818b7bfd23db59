/*
 * advice - a category's advice with its placeholders filled (see advice.h)
 */
#include "advice.h"
#include "match.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PLACEHOLDER_MAX 40

struct capture_walk {
    struct advice_data *ad;
    const struct rx *rx;
    const struct rx_scratch *sc;
    const char *text;
};

static void take_capture(void *arg, const char *name)
{
    struct capture_walk *w = arg;
    struct advice_data *ad = w->ad;
    const char *val;
    size_t len;

    if (ad->ncaps == ADVICE_MAX_CAPTURES || strlen(name) >= sizeof ad->caps[0].name)
        return;
    if (!rx_named(w->rx, w->sc, w->text, name, &val, &len) || len == 0)
        return;
    if (len >= sizeof ad->caps[0].value)
        len = sizeof ad->caps[0].value - 1;
    snprintf(ad->caps[ad->ncaps].name, sizeof ad->caps[0].name, "%s", name);
    memcpy(ad->caps[ad->ncaps].value, val, len);
    ad->caps[ad->ncaps].value[len] = '\0';
    ad->ncaps++;
}

void advice_data_init(struct advice_data *ad, const struct event *ev,
                      const struct mask_values *text, struct ruleset *rs,
                      const struct classification *c, const char *tmpl, size_t len)
{
    memset(ad, 0, sizeof *ad);
    ad->ev = ev;
    ad->text = text;
    ad->code = c ? c->ev.code : 0;
    ad->status = c && c->ev.status[0] ? c->ev.status : NULL;
    if (c == NULL || c->rule == NULL || c->rule->npatterns == 0 || tmpl == NULL)
        return;
    /* match again: the scratch may have served other rules since */
    struct rx *rx = c->rule->rx[c->pattern];
    if (rx_match(rx, rs->scratch, tmpl, len) != 1)
        return;
    struct capture_walk w = {ad, rx, rs->scratch, tmpl};
    rx_foreach_name(rx, take_capture, &w);
}

static const char *capture(const struct advice_data *ad, const char *name)
{
    for (size_t i = 0; i < ad->ncaps; i++)
        if (strcmp(ad->caps[i].name, name) == 0)
            return ad->caps[i].value;
    return NULL;
}

static const char *nonempty(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* first - the first non-empty of an event field, a capture and a value from the text */
static const char *first(const char *ev_field, const char *cap, const char *text_value)
{
    if (nonempty(ev_field))
        return ev_field;
    if (nonempty(cap))
        return cap;
    return nonempty(text_value);
}

static const char *domain_of(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;

    return at && at[1] ? at + 1 : NULL;
}

/* reversed - an IP in DNSBL query order: 4.3.2.1, or the 32 nibbles of an IPv6 address */
static int reversed(const char *ip, char *out, size_t cap)
{
    unsigned char a[16];
    size_t o = 0;

    if (inet_pton(AF_INET, ip, a) == 1) {
        snprintf(out, cap, "%u.%u.%u.%u", a[3], a[2], a[1], a[0]);
        return 1;
    }
    if (inet_pton(AF_INET6, ip, a) != 1 || cap < 64)
        return 0;
    for (int i = 15; i >= 0; i--) {
        o += (size_t)snprintf(out + o, cap - o, "%x.%x%s", a[i] & 0xf, a[i] >> 4, i ? "." : "");
    }
    return 1;
}

/* value - the value of placeholder name (written to buf when it must be made); NULL: none */
static const char *value(const struct advice_data *ad, const char *name, char *buf, size_t cap)
{
    const struct event *ev = ad->ev;
    const struct mask_values *t = ad->text;
    const char *v;

#define EVF(f) (ev ? ev->f : NULL)
#define TXT(f) (t ? t->f : NULL)
    if (strcmp(name, "recipient") == 0)
        return first(EVF(recipient), capture(ad, name), TXT(addr));
    if (strcmp(name, "recipient_domain") == 0 || strcmp(name, "domain") == 0) {
        if ((v = capture(ad, name)) != NULL)
            return v;
        return domain_of(first(EVF(recipient), capture(ad, "recipient"), TXT(addr)));
    }
    if (strcmp(name, "sender") == 0)
        return first(EVF(sender), capture(ad, name), NULL);
    if (strcmp(name, "sender_domain") == 0)
        return first(NULL, capture(ad, name),
                     domain_of(first(EVF(sender), capture(ad, "sender"), NULL)));
    if (strcmp(name, "client_ip") == 0)
        return first(EVF(client_ip), capture(ad, name), TXT(ip));
    if (strcmp(name, "client_ip_reversed") == 0) {
        v = first(EVF(client_ip), capture(ad, "client_ip"), TXT(ip));
        return v && reversed(v, buf, cap) ? buf : NULL;
    }
    if (strcmp(name, "client_name") == 0)
        return first(EVF(client_name), capture(ad, name), NULL);
    if (strcmp(name, "relay") == 0)
        return first(EVF(relay), capture(ad, name), TXT(host));
    if (strcmp(name, "relay_host") == 0) {
        v = first(EVF(relay), capture(ad, "relay"), TXT(host));
        if (v == NULL)
            return NULL;
        snprintf(buf, cap, "%.*s", (int)strcspn(v, "[:"), v);
        return nonempty(buf);
    }
    if (strcmp(name, "helo") == 0)
        return first(EVF(helo), capture(ad, name), NULL);
    if (strcmp(name, "queue_id") == 0)
        return first(EVF(queue_id), NULL, NULL);
    if (strcmp(name, "mta") == 0)
        return first(EVF(mta), NULL, NULL);
    if (strcmp(name, "code") == 0) {
        if (ad->code <= 0)
            return NULL;
        snprintf(buf, cap, "%d", ad->code);
        return buf;
    }
    if (strcmp(name, "status") == 0)
        return nonempty(ad->status);
    return capture(ad, name); /* {list} and any other named group */
#undef EVF
#undef TXT
}

void advice_fill(const char *s, const struct advice_data *ad, struct strbuf *out)
{
    char name[PLACEHOLDER_MAX + 1], buf[256];

    while (*s) {
        const char *open = strchr(s, '{'), *close;
        size_t len;
        if (open == NULL) {
            strbuf_puts(out, s);
            return;
        }
        strbuf_append(out, s, (size_t)(open - s));
        len = strspn(open + 1, "abcdefghijklmnopqrstuvwxyz_");
        close = open + 1 + len;
        if (len == 0 || len > PLACEHOLDER_MAX || *close != '}') {
            strbuf_putc(out, '{');
            s = open + 1;
            continue;
        }
        memcpy(name, open + 1, len);
        name[len] = '\0';
        const char *v = value(ad, name, buf, sizeof buf);
        if (v != NULL)
            strbuf_puts(out, v);
        else
            strbuf_append(out, open, len + 2);
        s = close + 1;
    }
}

static void paragraph(struct strbuf *out, const char *heading, const char *text)
{
    size_t n = strlen(text);

    if (out->len > 0)
        strbuf_putc(out, '\n');
    if (heading != NULL)
        strbuf_printf(out, "%s:\n", heading);
    strbuf_append(out, text, n);
    if (n > 0 && text[n - 1] != '\n')
        strbuf_putc(out, '\n');
}

void advice_compose(const struct classification *c, const char *mta, enum event_direction direction,
                    struct strbuf *out)
{
    static const char *const headings[ADVICE_MTA_END] = {NULL, "Postfix", "Exim", "Exchange"};
    const struct category *cat = c->category;
    int own = -1;

    if (c->rule != NULL && c->rule->advice != NULL)
        paragraph(out, NULL, c->rule->advice);
    if (cat == NULL)
        return;
    if (cat->advice[ADVICE_GENERAL] != NULL)
        paragraph(out, NULL, cat->advice[ADVICE_GENERAL]);
    if (direction == DIRECTION_INBOUND && cat->advice[ADVICE_INBOUND] != NULL)
        paragraph(out, NULL, cat->advice[ADVICE_INBOUND]);
    else if (direction == DIRECTION_OUTBOUND && cat->advice[ADVICE_OUTBOUND] != NULL)
        paragraph(out, NULL, cat->advice[ADVICE_OUTBOUND]);
    else if (direction == DIRECTION_NONE) {
        if (cat->advice[ADVICE_INBOUND] != NULL)
            paragraph(out, "If our server refused a client (inbound)", cat->advice[ADVICE_INBOUND]);
        if (cat->advice[ADVICE_OUTBOUND] != NULL)
            paragraph(out, "If a remote server refused our mail (outbound)",
                      cat->advice[ADVICE_OUTBOUND]);
    }
    for (int p = 1; p < ADVICE_MTA_END && mta != NULL; p++)
        if (strcasecmp(mta, advice_part_name((enum advice_part)p)) == 0 && cat->advice[p] != NULL)
            own = p;
    for (int p = 1; p < ADVICE_MTA_END; p++)
        if (cat->advice[p] != NULL && (own < 0 || own == p))
            paragraph(out, headings[p], cat->advice[p]);
}
