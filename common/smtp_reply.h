/*
 * smtp_reply - the parts of an SMTP reply as MTAs log it: "550-5.7.1 text 550-5.7.1 more"
 *
 * Shared by every ingester: the reply code, the enhanced status code (RFC 3463), and the text
 * with the continuation prefixes of a multi-line reply taken out, so that Gmail's
 * "550-5.7.1 [ip] Our system ... 550-5.7.1 message is ... 550 5.7.1 ..." reads as one sentence.
 */
#ifndef REJECTLENS_SMTP_REPLY_H
#define REJECTLENS_SMTP_REPLY_H

#include <stddef.h>

#include "event.h"

struct smtp_reply {
    int code;         /* 0 when the reply has none */
    char status[16];  /* "5.7.1", "" when none */
    const char *text; /* points into the input, after code and status */
    size_t text_len;
};

/* smtp_reply_parse - split p[0..n) into code, status and text; never fails */
void smtp_reply_parse(const char *p, size_t n, struct smtp_reply *r);

/*
 * smtp_reply_join - copy r's text to out (room for r->text_len + 1 bytes), dropping the
 * "CODE-STATUS " / "CODE STATUS " prefixes of continuation lines; returns the length written.
 */
size_t smtp_reply_join(const struct smtp_reply *r, char *out);

/* smtp_status_valid - 1 when p[0..n) is an enhanced status code "X.Y.Z" (X in 2, 4, 5) */
int smtp_status_valid(const char *p, size_t n);

/*
 * smtp_stage_of_command - the stage an SMTP command (as quoted in logs) belongs to: "RCPT TO",
 * "MAIL FROM", "end of DATA", "DATA", "BDAT", "EHLO", "HELO", "LHLO", "VRFY", "CONNECT",
 * "END-OF-MESSAGE", "initial connection"; STAGE_NONE when unknown. Case-insensitive prefix match.
 */
enum smtp_stage smtp_stage_of_command(const char *p, size_t n);

#endif
