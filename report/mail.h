/*
 * mail - the weekly report as an RFC 5322 message, and its way out (sendmail or SMTP)
 *
 * mail_compose builds one message: multipart/mixed of a multipart/alternative (text/plain and
 * text/html, quoted-printable) and one attachment (base64). Headers are folded at 78 columns;
 * a subject with anything but printable ASCII is RFC 2047 encoded (UTF-8, B), and CR, LF and
 * other controls never reach a header: the subject is cleaned, and addresses that are not
 * plain addr-specs are refused (mail_address_ok). Lines end in CRLF, as on the wire.
 *
 * mail_send_sendmail pipes the message (with LF line ends, the local convention) to
 * "PATH -t -i" and waits for it. mail_send_smtp (smtp.c) hands it to libcurl.
 */
#ifndef REJECTLENS_MAIL_H
#define REJECTLENS_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "strbuf.h"

#define MAIL_MAX_RCPT 32

struct mail_spec {
    const char *from; /* addr-spec; shown as "rejectlens <from>" */
    const char *to[MAIL_MAX_RCPT];
    size_t nto;
    const char *subject;    /* UTF-8, may come from a log: cleaned and encoded here */
    const char *text;       /* the text/plain part */
    const char *html;       /* the text/html part */
    const char *attachment; /* NULL: none */
    size_t attachment_len;
    const char *attachment_name; /* "rejectlens-2026-01-05.csv" (safe characters only) */
    const char *attachment_type; /* "text/csv; charset=utf-8" */
    int64_t date_s;              /* the Date: header, seconds since the epoch */
    const char *random;          /* a few random characters for Message-ID and boundaries */
};

/* mail_address_ok - 1 when s is a plain addr-spec (local@domain) we dare put in a header */
int mail_address_ok(const char *s);

/* mail_compose - the message into out; 0, or -1 with d set (a bad address) */
int mail_compose(const struct mail_spec *spec, struct strbuf *out, struct diag *d);

/* the parts, for tests: each appends to out */
void mail_qp_encode(const char *s, size_t n, struct strbuf *out);
void mail_base64_encode(const unsigned char *s, size_t n, struct strbuf *out);
/* mail_header_subject - "Subject: ..." cleaned, encoded when needed, folded, CRLF-terminated */
void mail_header_subject(const char *subject, struct strbuf *out);

/* mail_send_sendmail - pipe msg to "path -t -i"; 0, or -1 with d set */
int mail_send_sendmail(const char *path, const char *msg, size_t len, struct diag *d);

enum smtp_tls { SMTP_TLS_STARTTLS, SMTP_TLS_TRY, SMTP_TLS_NONE };

struct smtp_options {
    const char *url;      /* smtp://host[:port] or smtps://host[:port] */
    enum smtp_tls tls;    /* smtp:// only: STARTTLS required (default), tried, or not */
    const char *user;     /* NULL: no AUTH */
    const char *password; /* with user */
    const char *cacert;   /* NULL: the system's CAs */
    long timeout_s;
    int verbose; /* the SMTP dialogue on stderr */
};

/* mail_smtp_url_ok - 0 when url is smtp:// or smtps:// without credentials, else -1 with d set */
int mail_smtp_url_ok(const char *url, struct diag *d);

/* mail_send_smtp - send msg from `from` to each of to[] over SMTP; 0, or -1 with d set */
int mail_send_smtp(const struct smtp_options *o, const char *from, const char *const *to,
                   size_t nto, const char *msg, size_t len, struct diag *d);

#endif
