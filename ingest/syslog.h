/*
 * syslog - the header that syslog daemons put in front of a program's message
 *
 * Recognises "Mmm dd HH:MM:SS host tag[pid]: msg" (RFC 3164, the day space- or zero-padded as
 * Postfix's own maillog_file writes it), the same with an RFC 3339 timestamp (rsyslog's
 * RSYSLOG_FileFormat, journalctl -o short-iso), a leading "<pri>", a missing host, and a tag
 * without [pid]. Everything returned points into the caller's line.
 */
#ifndef REJECTLENS_SYSLOG_H
#define REJECTLENS_SYSLOG_H

#include <stddef.h>

#include "timeparse.h"

struct syslog_header {
    struct civil_time ct;
    const char *host; /* NULL when the line has none */
    size_t host_len;
    const char *tag; /* "postfix/submission/smtpd" */
    size_t tag_len;
    const char *msg; /* after "tag[pid]: " */
    size_t msg_len;
    long pid;    /* -1 when absent */
    int ts_memo; /* with a memo: ct is the memo's (see ts_memo_utc) */
};

/* syslog_parse_header - 0 and *h filled, or -1 when the line does not start with a header */
int syslog_parse_header(const char *line, size_t len, struct syslog_header *h);

/*
 * syslog_parse_header_memo - the same, with the timestamp taken from memo when the line's
 * text is the memo's, and kept there when not (memo may be NULL)
 */
int syslog_parse_header_memo(const char *line, size_t len, struct syslog_header *h,
                             struct ts_memo *memo);

/*
 * syslog_tag_span - the length of the run of tag (or host name) bytes at s[0..len): bytes above
 * the space but DEL, '[' and ':', as syslog_parse_header reads a host and a tag
 */
size_t syslog_tag_span(const char *s, size_t len);

#endif
