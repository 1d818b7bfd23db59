/*
 * mail - the weekly report as an RFC 5322 message, and sendmail (see mail.h)
 *
 * DESCRIPTION
 *	The message is built by hand because it is small and fixed in shape; what matters is
 *	that it is right: quoted-printable lines of at most 76 characters with soft breaks, no
 *	trailing white space, "From " and "." at a line start encoded (mbox and SMTP); base64 in
 *	lines of 76; an RFC 2047 subject split into encoded words at UTF-8 boundaries; boundaries
 *	of the form "=_rl..." which neither encoding can produce.
 *
 *	Header injection: nothing a log wrote reaches a header but through the subject, which is
 *	cleaned of every control character and encoded when it holds anything but printable
 *	ASCII (or "=?", which a reader could take for an encoded word). Addresses come from the
 *	command line and are refused unless they are plain addr-specs; the attachment name is
 *	made by the caller from safe characters and checked again here.
 */
#include "escape.h"
#include "mail.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CRLF        "\r\n"
#define QP_LINE     76
#define B64_LINE    76
#define HEADER_LINE 78
#define WORD_BYTES  45 /* raw bytes per encoded word: 60 base64 characters, 72 in all */

static int alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int mail_address_ok(const char *s)
{
    static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
    const char *at = strrchr(s, '@');
    size_t n = strlen(s);

    if (at == NULL || at == s || at[1] == '\0' || n > 254 || (size_t)(at - s) > 64)
        return 0;
    /* local part: a dot-atom, no quoting */
    for (const char *p = s; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '.') {
            if (p == s || p + 1 == at || p[1] == '.')
                return 0;
        } else if (!alnum(c) && (c == '\0' || strchr(atext, c) == NULL)) {
            return 0;
        }
    }
    /* domain: labels of letters, digits and hyphens */
    for (const char *p = at + 1; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '.') {
            if (p == at + 1 || p[1] == '\0' || p[1] == '.')
                return 0;
        } else if (!alnum(c) && c != '-') {
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- encodings */

void mail_base64_encode(const unsigned char *s, size_t n, struct strbuf *out)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t col = 0;

    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64[v & 63] : '='};
        strbuf_append(out, q, 4);
        col += 4;
        if (col >= B64_LINE && i + 3 < n) {
            strbuf_puts(out, CRLF);
            col = 0;
        }
    }
    strbuf_puts(out, CRLF);
}

/* qp_literal - a byte that may stand for itself (in the middle of a line) */
static int qp_literal(unsigned char c)
{
    return (c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t';
}

void mail_qp_encode(const char *s, size_t n, struct strbuf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char rep[4];
        size_t len;
        if (c == '\n' || (c == '\r' && i + 1 < n && s[i + 1] == '\n')) {
            if (c == '\r')
                i++;
            strbuf_puts(out, CRLF);
            col = 0;
            continue;
        }
        int at_end =
            i + 1 == n || s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n');
        int literal = qp_literal(c);
        if ((c == ' ' || c == '\t') && at_end)
            literal = 0; /* trailing white space is lost in transit */
        if (col == 0 && (c == '.' || (c == 'F' && n - i >= 5 && memcmp(s + i, "From ", 5) == 0)))
            literal = 0; /* SMTP's lone dot, mbox's "From " */
        if (literal) {
            rep[0] = (char)c;
            len = 1;
        } else {
            rep[0] = '=';
            rep[1] = hex[c >> 4];
            rep[2] = hex[c & 15];
            len = 3;
        }
        /* room for the soft break "=" unless this is the line's last character */
        if (col + len > (at_end ? QP_LINE : QP_LINE - 1)) {
            strbuf_puts(out, "=" CRLF);
            col = 0;
            if (c == '.' || (c == 'F' && n - i >= 5 && memcmp(s + i, "From ", 5) == 0)) {
                rep[0] = '=';
                rep[1] = hex[c >> 4];
                rep[2] = hex[c & 15];
                len = 3;
            }
        }
        strbuf_append(out, rep, len);
        col += len;
    }
    if (col > 0)
        strbuf_puts(out, CRLF);
}

/* clean - s without control characters (each becomes a space), valid UTF-8 */
static void clean(const char *s, struct strbuf *out)
{
    struct strbuf t = STRBUF_INIT;

    esc_text(&t, s, 0); /* valid UTF-8; controls as visible \xNN */
    for (size_t i = 0; i < t.len; i++)
        strbuf_putc(out, t.buf[i] == '\t' ? ' ' : t.buf[i]);
    strbuf_free(&t);
}

void mail_header_subject(const char *subject, struct strbuf *out)
{
    struct strbuf s = STRBUF_INIT;
    int plain = 1;

    clean(subject ? subject : "", &s);
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.buf[i] < 0x20 || (unsigned char)s.buf[i] > 0x7e)
            plain = 0;
    if (strstr(strbuf_str(&s), "=?") != NULL)
        plain = 0;
    if (plain) {
        /* fold at spaces so that no line passes 78 columns where it can be helped */
        size_t col = 9; /* "Subject: " */
        const char *p = strbuf_str(&s);
        strbuf_puts(out, "Subject: ");
        while (*p) {
            size_t w = strcspn(p, " ");
            if (col + w > HEADER_LINE && col > 9) {
                strbuf_puts(out, CRLF " ");
                col = 1;
            }
            strbuf_append(out, p, w);
            col += w;
            p += w;
            if (*p == ' ') {
                /* the space goes with the next word, so a fold replaces it */
                size_t next = strcspn(p + 1, " ");
                if (col + 1 + next > HEADER_LINE) {
                    strbuf_puts(out, CRLF " ");
                    col = 1;
                } else {
                    strbuf_putc(out, ' ');
                    col++;
                }
                p++;
            }
        }
        strbuf_puts(out, CRLF);
        strbuf_free(&s);
        return;
    }
    /* RFC 2047: encoded words of whole UTF-8 characters, one per line after the first */
    strbuf_puts(out, "Subject:");
    for (size_t i = 0; i < s.len;) {
        size_t take = 0;
        while (i + take < s.len) {
            size_t len = 1;
            uint32_t cp;
            if ((len = utf8_decode((const unsigned char *)s.buf + i + take, s.len - i - take,
                                   &cp)) == 0)
                len = 1; /* cannot happen: clean() made it valid */
            if (take + len > WORD_BYTES)
                break;
            take += len;
        }
        strbuf_puts(out, i ? CRLF " =?UTF-8?B?" : " =?UTF-8?B?");
        struct strbuf b = STRBUF_INIT;
        mail_base64_encode((const unsigned char *)s.buf + i, take, &b);
        strbuf_append(out, b.buf, b.len - 2); /* without its CRLF */
        strbuf_free(&b);
        strbuf_puts(out, "?=");
        i += take;
    }
    strbuf_puts(out, CRLF);
    strbuf_free(&s);
}

/* ---------------------------------------------------------------- the message */

static int name_ok(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 100)
        return 0;
    for (; *s; s++)
        if (!alnum((unsigned char)*s) && strchr("._-", *s) == NULL)
            return 0;
    return 1;
}

int mail_compose(const struct mail_spec *sp, struct strbuf *out, struct diag *d)
{
    char date[64], outer[64], inner[64];
    const char *domain;
    time_t t = (time_t)sp->date_s;
    struct tm tm;
    size_t col;

    if (!mail_address_ok(sp->from))
        return diag_set(d, "not a mail address: '%s' (give local@domain)", sp->from);
    if (sp->nto == 0)
        return diag_set(d, "no recipient");
    for (size_t i = 0; i < sp->nto; i++)
        if (!mail_address_ok(sp->to[i]))
            return diag_set(d, "not a mail address: '%s' (give local@domain)", sp->to[i]);
    if (sp->attachment != NULL && !name_ok(sp->attachment_name))
        return diag_set(d, "bug: attachment name '%s'", sp->attachment_name);
    if (localtime_r(&t, &tm) == NULL ||
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
        return diag_set(d, "cannot format the date");
    domain = strrchr(sp->from, '@') + 1;
    snprintf(outer, sizeof outer, "=_rl%s_m", sp->random);
    snprintf(inner, sizeof inner, "=_rl%s_a", sp->random);

    strbuf_printf(out, "Date: %s" CRLF, date);
    strbuf_printf(out, "From: rejectlens <%s>" CRLF, sp->from);
    strbuf_puts(out, "To: ");
    col = 4;
    for (size_t i = 0; i < sp->nto; i++) {
        size_t w = strlen(sp->to[i]) + (i + 1 < sp->nto ? 1 : 0);
        if (i > 0) {
            if (col + 1 + w > HEADER_LINE) {
                strbuf_puts(out, CRLF " ");
                col = 1;
            } else {
                strbuf_putc(out, ' ');
                col++;
            }
        }
        strbuf_printf(out, "%s%s", sp->to[i], i + 1 < sp->nto ? "," : "");
        col += w;
    }
    strbuf_puts(out, CRLF);
    mail_header_subject(sp->subject, out);
    strbuf_printf(out, "Message-ID: <%lld.%s.rejectlens@%s>" CRLF, (long long)sp->date_s,
                  sp->random, domain);
    strbuf_puts(out, "MIME-Version: 1.0" CRLF "Auto-Submitted: auto-generated" CRLF
                     "X-Auto-Response-Suppress: All" CRLF);
    strbuf_printf(out, "Content-Type: multipart/mixed;" CRLF " boundary=\"%s\"" CRLF CRLF, outer);
    strbuf_puts(out,
                "This is a MIME message: the report as text and as HTML, and a CSV file." CRLF);
    /* the alternatives: text first, HTML last (the one a capable reader shows) */
    strbuf_printf(out,
                  CRLF "--%s" CRLF "Content-Type: multipart/alternative;" CRLF
                       " boundary=\"%s\"" CRLF CRLF,
                  outer, inner);
    strbuf_printf(out,
                  "--%s" CRLF "Content-Type: text/plain; charset=utf-8" CRLF
                  "Content-Transfer-Encoding: quoted-printable" CRLF CRLF,
                  inner);
    mail_qp_encode(sp->text ? sp->text : "", sp->text ? strlen(sp->text) : 0, out);
    strbuf_printf(out,
                  CRLF "--%s" CRLF "Content-Type: text/html; charset=utf-8" CRLF
                       "Content-Transfer-Encoding: quoted-printable" CRLF CRLF,
                  inner);
    mail_qp_encode(sp->html ? sp->html : "", sp->html ? strlen(sp->html) : 0, out);
    strbuf_printf(out, CRLF "--%s--" CRLF, inner);
    if (sp->attachment != NULL) {
        strbuf_printf(out,
                      CRLF "--%s" CRLF "Content-Type: %s;" CRLF " name=\"%s\"" CRLF
                           "Content-Disposition: attachment;" CRLF " filename=\"%s\"" CRLF
                           "Content-Transfer-Encoding: base64" CRLF CRLF,
                      outer, sp->attachment_type, sp->attachment_name, sp->attachment_name);
        mail_base64_encode((const unsigned char *)sp->attachment, sp->attachment_len, out);
    }
    strbuf_printf(out, CRLF "--%s--" CRLF, outer);
    return 0;
}

/* ---------------------------------------------------------------- sendmail */

int mail_send_sendmail(const char *path, const char *msg, size_t len, struct diag *d)
{
    struct sigaction ign, old;
    int fds[2], status, rc = 0;
    pid_t pid;

    if (access(path, X_OK) < 0)
        return diag_set(d, "%s: cannot run it (%s); give --sendmail PATH or --smtp URL", path,
                        strerror(errno));
    if (pipe(fds) < 0)
        return diag_set(d, "pipe: %s", strerror(errno));
    if ((pid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
        return diag_set(d, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        char *argv[] = {(char *)path, "-t", "-i", NULL};
        dup2(fds[0], STDIN_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(path, argv);
        _exit(127);
    }
    close(fds[0]);
    /* a sendmail that dies early must give an error here, not kill us with SIGPIPE */
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);
    for (size_t i = 0; i < len && rc == 0;) {
        /* the local convention: LF line ends */
        size_t n = 0;
        while (i + n < len && !(msg[i + n] == '\r' && i + n + 1 < len && msg[i + n + 1] == '\n'))
            n++;
        while (n > 0) {
            ssize_t w = write(fds[1], msg + i, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = diag_set(d, "%s: writing the message: %s", path, strerror(errno));
                break;
            }
            i += (size_t)w;
            n -= (size_t)w;
        }
        if (rc == 0 && i < len) { /* at a CRLF */
            ssize_t w;
            while ((w = write(fds[1], "\n", 1)) < 0 && errno == EINTR)
                ;
            if (w != 1)
                rc = diag_set(d, "%s: writing the message: %s", path, strerror(errno));
            i += 2;
        }
    }
    close(fds[1]);
    sigaction(SIGPIPE, &old, NULL);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return diag_set(d, "%s: %s", path, strerror(errno));
    if (rc < 0)
        return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return diag_set(d, "%s: could not be run", path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return diag_set(d, "%s -t -i failed (%s %d): the report was not mailed", path,
                        WIFEXITED(status) ? "exit status" : "signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return 0;
}
