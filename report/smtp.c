/*
 * smtp - the report's message handed to an SMTP server with libcurl (see mail.h)
 *
 * DESCRIPTION
 *	libcurl speaks SMTP and SMTPS with STARTTLS, AUTH (PLAIN, LOGIN, CRAM-MD5, XOAUTH2 as the
 *	server offers), certificate checks against the system's CAs or --smtp-cacert, and does
 *	the dot-stuffing of the DATA phase: far more than we would get right by hand, from a
 *	library every Debian system has. Only smtp:// and smtps:// URLs are allowed, so a URL
 *	cannot turn the report into an upload elsewhere. This is the only file that includes
 *	curl.h.
 *
 * DIAGNOSTICS
 *	The message names the URL (without credentials: they are never in it) and curl's
 *	explanation, e.g. "smtp://mx:25: STARTTLS is required and the server does not offer it".
 */
#include "mail.h"

#include <curl/curl.h>
#include <string.h>

int mail_smtp_url_ok(const char *url, struct diag *d)
{
    int smtps = strncmp(url, "smtps://", 8) == 0;
    const char *host = url + (smtps ? 8 : 7);

    if (!smtps && strncmp(url, "smtp://", 7) != 0)
        return diag_set(d, "--smtp: give smtp://HOST[:PORT] or smtps://HOST[:PORT], not '%s'", url);
    if (memchr(host, '@', strcspn(host, "/")) != NULL)
        return diag_set(d, "--smtp: no user or password in the URL (anyone can read a command "
                           "line): give --smtp-user and REJECTLENS_SMTP_PASSWORD");
    if (host[0] == '\0' || host[0] == '/' || host[0] == ':')
        return diag_set(d, "--smtp: no host in '%s'", url);
    return 0;
}

struct upload {
    const char *msg;
    size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    struct upload *u = arg;
    size_t room = size * nitems, n = u->len - u->off;

    if (n > room)
        n = room;
    memcpy(buf, u->msg + u->off, n);
    u->off += n;
    return n;
}

int mail_send_smtp(const struct smtp_options *o, const char *from, const char *const *to,
                   size_t nto, const char *msg, size_t len, struct diag *d)
{
    char err[CURL_ERROR_SIZE] = "";
    struct curl_slist *rcpt = NULL;
    struct upload u = {msg, len, 0};
    char mail_from[300];
    CURL *c;
    CURLcode rc;
    int smtps = strncmp(o->url, "smtps://", 8) == 0;

    if (mail_smtp_url_ok(o->url, d) < 0)
        return -1;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return diag_set(d, "libcurl could not start");
    if ((c = curl_easy_init()) == NULL) {
        curl_global_cleanup();
        return diag_set(d, "libcurl could not start");
    }
    snprintf(mail_from, sizeof mail_from, "<%s>", from);
    for (size_t i = 0; i < nto; i++) {
        char r[300];
        snprintf(r, sizeof r, "<%s>", to[i]);
        struct curl_slist *n = curl_slist_append(rcpt, r);
        if (n == NULL) {
            curl_slist_free_all(rcpt);
            curl_easy_cleanup(c);
            curl_global_cleanup();
            return diag_set(d, "out of memory");
        }
        rcpt = n;
    }
    curl_easy_setopt(c, CURLOPT_URL, o->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 120L);
    if (!smtps)
        curl_easy_setopt(c, CURLOPT_USE_SSL,
                         o->tls == SMTP_TLS_STARTTLS ? (long)CURLUSESSL_ALL
                         : o->tls == SMTP_TLS_TRY    ? (long)CURLUSESSL_TRY
                                                     : (long)CURLUSESSL_NONE);
    if (o->cacert != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
    if (o->user != NULL) {
        curl_easy_setopt(c, CURLOPT_USERNAME, o->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, o->password ? o->password : "");
    }
    if (o->verbose)
        curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        diag_set(d, "%s: %s", o->url, err[0] ? err : curl_easy_strerror(rc));
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return rc == CURLE_OK ? 0 : -1;
}
