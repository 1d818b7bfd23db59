/*
 * exchange_int - what the parts of the Exchange parser share (see exchange.c); not an interface
 *
 * exchange.c owns the files (their headers and column maps), the CSV records and the saved
 * state; exchange_msgtrk.c turns message tracking rows into events, exchange_proto.c SMTP
 * protocol log lines, exchange_trace.c Exchange Online message trace exports.
 */
#ifndef REJECTLENS_EXCHANGE_INT_H
#define REJECTLENS_EXCHANGE_INT_H

#include "arena.h"
#include "csvrec.h"
#include "lru.h"
#include "parser.h"
#include "statepack.h"
#include "strbuf.h"

#include <stdint.h>

/* what kind of log a file is, from its header (or, without one, from its rows) */
enum xkind {
    XK_NONE,    /* not known yet */
    XK_MSGTRK,  /* message tracking (also an EXO extended report, a Get-MessageTrackingLog CSV) */
    XK_RECV,    /* SMTP Receive protocol log */
    XK_SEND,    /* SMTP Send protocol log */
    XK_PROTO,   /* a protocol log without #Log-type: receive or send is told row by row */
    XK_TRACE,   /* Get-MessageTrace / Get-MessageTraceV2 export */
    XK_SUMMARY, /* EXO historical search, enhanced summary (origin_timestamp_utc) */
    XK_FOREIGN, /* another Exchange log (connectivity, agent, ...): not ours */
    XK_COUNT
};

/* the columns we read; a file's header says where each one is */
enum xcol {
    XC_DATETIME,
    XC_CLIENT_IP,
    XC_CLIENT_HOST,
    XC_SERVER_IP,
    XC_SERVER_HOST,
    XC_SOURCE_CONTEXT,
    XC_CONNECTOR,
    XC_SOURCE,
    XC_EVENT_ID,
    XC_INTERNAL_ID,
    XC_MESSAGE_ID,
    XC_NETWORK_ID,
    XC_RCPT,
    XC_RCPT_STATUS,
    XC_TOTAL_BYTES,
    XC_RCPT_COUNT,
    XC_RELATED,
    XC_REFERENCE,
    XC_SUBJECT,
    XC_SENDER,
    XC_RETURN_PATH,
    XC_MESSAGE_INFO,
    XC_DIRECTIONALITY,
    XC_ORIG_CLIENT_IP,
    XC_CUSTOM_DATA,
    XC_SESSION,
    XC_SEQUENCE,
    XC_LOCAL_EP,
    XC_REMOTE_EP,
    XC_EVENT,
    XC_DATA,
    XC_CONTEXT,
    XC_RECEIVED,
    XC_STATUS,
    XC_FROM_IP,
    XC_TO_IP,
    XC_TRACE_ID,
    XC_ORGANIZATION,
    XC_ORIGIN_TS,
    XC_COUNT
};

/* one log file: its kind, its columns, and a record still open at its last line */
struct xfile {
    uint64_t serial; /* unique for the life of the state: which file the CSV parser serves */
    enum xkind kind;
    int csv_header; /* the columns come from a CSV header row (not "#Fields:") */
    int col[XC_COUNT];
    size_t ncols;
    char first[32];        /* the first column's normalised name: a header row repeated */
    struct strbuf partial; /* lines of a record whose quoted field is open, each + "\n" */
    int64_t rec_offset;    /* where that record starts */
    int rec_lines;
    int64_t last_offset; /* of the last line: a line at or before it means the file restarted */
};

/* what one message (an internal-message-id) has told so far */
#define XMSG_MAX_LINKS 16
struct xmsg {
    /* what its RECEIVE rows told, each NULL when not seen: the four texts are in one
     * allocation, arrival (a message's is made anew when a row tells more) */
    char *arrival;
    char *sender; /* return-path ("" for <>) */
    int64_t size;
    char *client_ip, *client_name;
    char *message_id;
    char *parent;       /* for an NDR: the internal-message-id of the message it reports on */
    int agent_rejected; /* an agent rejected it: its FAIL rows are that reject's echo */
    int nlinks;
    /* REDIRECT / EXPAND / RESOLVE: recipient -> original address. XMSG_MAX_LINKS of them,
     * allocated with the first: most messages have none, and 100,000 are kept */
    struct xlink {
        char *rcpt, *orig;
    } * links;
};

struct exchange_state {
    struct csvrec *csv;
    uint64_t csv_serial;  /* the file whose open record the CSV parser holds; 0: none */
    uint64_t next_serial; /* for the next file */
    struct lru *files;    /* source name -> xfile */
    struct xfile *cur;    /* the file of the last line */
    char *cur_key;
    struct lru *msgs;     /* internal-message-id -> xmsg */
    struct lru *mids;     /* Message-ID -> internal-message-id (char *) */
    struct lru *sessions; /* protocol log session-id -> xsess (exchange_proto.c) */
    struct arena a;       /* strings of the record being read */
};

/* one record on its way to events */
struct xrow {
    struct exchange_state *st;
    struct parse_ctx *ctx;
    const struct xfile *f;
    int64_t offset; /* of the record's first line */
};

/* xf - the value of a column in the record: NUL-terminated, "" when empty, NULL when the file
 * has no such column */
const char *xf(const struct xrow *row, enum xcol c);

/* xf_set - 1 when the column is there and not empty */
static inline int xf_set(const char *v)
{
    return v != NULL && v[0] != '\0';
}

/* xtime - a timestamp of these logs to UTC microseconds: ISO-8601 (a missing zone is UTC), or
 * PowerShell's "9/5/2022 6:10:13 PM" / "05.09.2022 18:10:13"; 0 ok, -1 when unreadable */
int xtime(const char *s, int64_t *us, int *prec);

/* xsize - a byte count (total-bytes), -1 when there is none or it is not a number */
int64_t xsize(const char *s);

/* xhost - the host to record: h when given, else the --host default (may be NULL) */
const char *xhost(const struct xrow *row, const char *h);

/* xcopy - a NUL-terminated copy of p[0..n) in the record's arena */
char *xcopy(const struct xrow *row, const char *p, size_t n);

/* xstrip_angle - "<a@b>" -> "a@b" (a copy when brackets are removed) */
const char *xstrip_angle(const struct xrow *row, const char *s);

/* xreply - code, enhanced status and text of a reply ("550 5.1.1 text") into ev */
void xreply(const struct xrow *row, const char *p, size_t n, struct event *ev);

/* xendpoint - "ip:port" / "[v6]:port" / bare v6: the address part (a copy) */
const char *xendpoint_ip(const struct xrow *row, const char *ep);

/* the parts */
enum line_result xmsgtrk_record(const struct xrow *row);
enum line_result xproto_record(const struct xrow *row, enum xkind kind);
enum line_result xtrace_record(const struct xrow *row);
enum line_result xsummary_record(const struct xrow *row);

struct lru *xproto_sessions_new(void);
int xproto_flush(struct exchange_state *st, struct parse_ctx *ctx);
void xproto_save(struct exchange_state *st, struct strbuf *out);
int xproto_load_one(struct exchange_state *st, const char **pp, const char *end);

void xmsg_free(void *p);
void xmsgtrk_save(struct exchange_state *st, struct strbuf *out);
int xmsgtrk_load_one(struct exchange_state *st, const char **pp, const char *end);

#endif
