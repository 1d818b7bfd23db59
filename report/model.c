/*
 * model - names and release of the report model (see model.h)
 */
#include "model.h"
#include "xalloc.h"

#include <string.h>

static const struct {
    const char *id, *title;
} lists[REPORT_LIST_COUNT] = {
    {"recipients", "Recipients"}, {"recipient_domains", "Recipient domains"},
    {"senders", "Senders"},       {"sender_domains", "Sender domains"},
    {"client_ips", "Client IPs"}, {"helo_names", "HELO names"},
    {"relays", "Remote relays"},
};

const char *report_list_id(enum report_list l)
{
    return (unsigned)l < REPORT_LIST_COUNT ? lists[l].id : "";
}

const char *report_list_title(enum report_list l)
{
    return (unsigned)l < REPORT_LIST_COUNT ? lists[l].title : "";
}

const char *report_who_title(const char *who)
{
    static const struct {
        const char *id, *title;
    } names[] = {
        {"sender_admin", "sender's admin"}, {"recipient_admin", "recipient's admin"},
        {"end_user", "end user"},           {"our_admin", "our admin"},
        {"list_owner", "list owner"},       {"nobody", "nobody (wait)"},
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].id, who) == 0)
            return names[i].title;
    return who;
}

double report_change(int64_t now, int64_t before)
{
    if (before <= 0)
        return 0.0;
    return 100.0 * (double)(now - before) / (double)before;
}

static void free_template(struct report_template *t)
{
    free(t->text);
    free(t->status);
    free(t->rule);
    free(t->example);
}

static void free_example(struct report_example *e)
{
    char *strings[] = {e->host, e->program, e->queue_id,  e->client_ip, e->client_name,
                       e->helo, e->sender,  e->recipient, e->relay,     e->status,
                       e->text, e->source,  e->line};

    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(strings[i]);
}

static void free_category(struct report_category *c)
{
    free(c->id);
    free(c->title);
    for (size_t i = 0; i < c->nwho; i++)
        free(c->who[i]);
    free(c->severity);
    free(c->hardness);
    free(c->series);
    for (int l = 0; l < REPORT_LIST_COUNT; l++) {
        for (size_t i = 0; i < c->top[l].n; i++) {
            free(c->top[l].rows[i].value);
            free(c->top[l].rows[i].extra);
        }
        free(c->top[l].rows);
    }
    for (size_t i = 0; i < c->ntemplates; i++)
        free_template(&c->templates[i]);
    free(c->templates);
    for (size_t i = 0; i < c->nexamples; i++)
        free_example(&c->examples[i]);
    free(c->examples);
    free(c->advice);
}

void report_model_free(struct report_model *m)
{
    if (m == NULL)
        return;
    char *strings[] = {m->title,     m->period, m->range,     m->prev_range, m->filters,
                       m->mta,       m->host,   m->direction, m->codes,      m->timezone,
                       m->generated, m->hosts,  m->version,   m->rules_hash, m->headline};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(strings[i]);
    for (size_t i = 0; i < m->ncategories; i++)
        free_category(&m->categories[i]);
    free(m->categories);
    free(m->by_550);
    free(m->by_count);
    free(m->buckets);
    free(m->bucket_totals);
    for (size_t i = 0; i < m->nunclassified; i++)
        free_template(&m->unclassified[i]);
    free(m->unclassified);
    for (size_t i = 0; i < m->nsources; i++) {
        free(m->sources[i].path);
        free(m->sources[i].format);
    }
    free(m->sources);
    for (size_t i = 0; i < m->nunparsed; i++) {
        free(m->unparsed[i].source);
        free(m->unparsed[i].reason);
        free(m->unparsed[i].line);
    }
    free(m->unparsed);
    memset(m, 0, sizeof *m);
}
