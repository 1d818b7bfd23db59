/*
 * event - one normalized delivery outcome or SMTP rejection
 *
 * Parsers fill a struct event and hand it to an event_sink; the sink copies what it keeps. Every
 * string field is NUL-terminated and borrowed: it belongs to the parser and is valid only during
 * the emit call. A NULL string means "not in the log"; an empty string means "present and empty"
 * (the null sender <> is ""). reply_code 0 and size -1 mean "not in the log".
 *
 * The names returned by event_kind_name() etc. are part of the interface (database, reports,
 * scripts): never rename them.
 */
#ifndef REJECTLENS_EVENT_H
#define REJECTLENS_EVENT_H

#include <stdint.h>

enum event_kind {
    EVENT_KIND_NONE = 0,
    EVENT_REJECT,         /* an SMTP command refused by a server */
    EVENT_REJECT_WARNING, /* a would-be reject (warn_if_reject, dry runs): never a reject */
    EVENT_BOUNCE,         /* a recipient failed permanently */
    EVENT_DEFER,          /* a recipient failed temporarily, to be retried */
    EVENT_EXPIRE,         /* a message gave up after its queue lifetime */
    EVENT_DELIVER,        /* a recipient was delivered */
    EVENT_HOLD,           /* a message was put on hold */
    EVENT_DISCARD,        /* a message or recipient was silently dropped */
    EVENT_KIND_COUNT
};

enum event_direction {
    DIRECTION_NONE = 0,
    DIRECTION_INBOUND,  /* our server judged a client */
    DIRECTION_OUTBOUND, /* a remote server, or our own delivery agent, judged our delivery */
    DIRECTION_COUNT
};

enum smtp_stage {
    STAGE_NONE = 0,
    STAGE_CONNECT,
    STAGE_HELO,
    STAGE_MAIL,
    STAGE_RCPT,
    STAGE_DATA,
    STAGE_EOM, /* end of message data */
    STAGE_HEADER,
    STAGE_BODY,
    STAGE_COUNT
};

struct event {
    int64_t ts_us;       /* UTC, microseconds since the epoch */
    int ts_prec;         /* fractional digits the log gave: 0, 3 or 6 */
    const char *host;    /* the host that wrote the log line */
    const char *mta;     /* "postfix", "exim", "exchange" */
    const char *program; /* the daemon, as tagged: "postfix/submission/smtpd" */
    enum event_kind kind;
    enum event_direction direction;
    enum smtp_stage stage;
    const char *queue_id;        /* MTA queue / message id, NULL before one exists */
    const char *parent_queue_id; /* for a bounce notification: the message it reports on */
    const char *message_id;      /* the Message-ID: header */
    const char *client_ip;
    const char *client_name;
    const char *helo;
    const char *sender;
    const char *recipient;
    const char *orig_recipient;
    const char *relay;  /* next hop or remote server, "host[ip]:port", "local", "none" */
    int reply_code;     /* 550; 0 when the log gives none */
    const char *status; /* enhanced status "5.1.1", NULL when none */
    const char *text;   /* the reply or diagnostic text */
    int64_t size;       /* message size in bytes, -1 when unknown */
    int64_t offset;     /* byte offset of the line in its source */
};

/* event_init - clear an event: no strings, no code, unknown size */
void event_init(struct event *ev);

/* name <-> enum; the *_from_name functions return the NONE value for an unknown name */
const char *event_kind_name(enum event_kind k);
enum event_kind event_kind_from_name(const char *s);
const char *event_direction_name(enum event_direction d);
enum event_direction event_direction_from_name(const char *s);
const char *smtp_stage_name(enum smtp_stage s);
enum smtp_stage smtp_stage_from_name(const char *s);

/* event_sink - where a parser sends events; emit returns 0, or -1 to stop the ingest */
struct event_sink {
    int (*emit)(void *ctx, const struct event *ev);
    void *ctx;
};

#endif
