/*
 * event - names of the event enums (see event.h)
 */
#include "event.h"

#include <string.h>

static const char *const kind_names[EVENT_KIND_COUNT] = {
    "", "reject", "reject_warning", "bounce", "defer", "expire", "deliver", "hold", "discard",
};

static const char *const direction_names[DIRECTION_COUNT] = {"", "inbound", "outbound"};

static const char *const stage_names[STAGE_COUNT] = {
    "", "connect", "helo", "mail", "rcpt", "data", "eom", "header", "body",
};

void event_init(struct event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->size = -1;
}

static int index_of(const char *const *names, int count, const char *s)
{
    if (s == NULL)
        return 0;
    for (int i = 1; i < count; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return 0;
}

const char *event_kind_name(enum event_kind k)
{
    return (unsigned)k < EVENT_KIND_COUNT ? kind_names[k] : "";
}

enum event_kind event_kind_from_name(const char *s)
{
    return (enum event_kind)index_of(kind_names, EVENT_KIND_COUNT, s);
}

const char *event_direction_name(enum event_direction d)
{
    return (unsigned)d < DIRECTION_COUNT ? direction_names[d] : "";
}

enum event_direction event_direction_from_name(const char *s)
{
    return (enum event_direction)index_of(direction_names, DIRECTION_COUNT, s);
}

const char *smtp_stage_name(enum smtp_stage s)
{
    return (unsigned)s < STAGE_COUNT ? stage_names[s] : "";
}

enum smtp_stage smtp_stage_from_name(const char *s)
{
    return (enum smtp_stage)index_of(stage_names, STAGE_COUNT, s);
}
