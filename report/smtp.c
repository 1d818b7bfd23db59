/*
 * smtp - the report's message handed to an SMTP server with libcurl (see mail.h)
 *
 * DESCRIPTION
 *	libcurl speaks SMTP and SMTPS with STARTTLS, AUTH (PLAIN, LOGIN, CRAM-MD5, XOAUTH2 as the
 *	server offers), certificate checks against the system's CAs or --smtp-cacert, and does
 *	the dot-stuffing of the DATA phase: far more than we would get right by hand, from a
 *	library every Debian system has. Only smtp:// and smtps:// URLs are allowed, so a URL
 *	cannot turn the report into an upload elsewhere. This is the only file that includes
 *	curl.h. libcurl is loaded when a report is first mailed (dynload.h): linked in, it and
 *	the libraries it needs cost every run of rejectlens most of its start.
 *
 * DIAGNOSTICS
 *	The message names the URL (without credentials: they are never in it) and curl's
 *	explanation, e.g. "smtp://mx:25: STARTTLS is required and the server does not offer it".
 */
#include "mail.h"
#include "dynload.h"

#include <curl/curl.h>
#include <string.h>

/*
 * the libcurl functions used here, without their curl_ (curl.h makes curl_easy_setopt a macro),
 * as loaded from REJECTLENS_LIBCURL_SONAME, the library rejectlens was built against (CMake)
 */
#define CURL_FUNCTIONS(X)                                                                          \
    X(global_init)                                                                                 \
    X(global_cleanup)                                                                              \
    X(easy_init)                                                                                   \
    X(easy_setopt)                                                                                 \
    X(easy_perform)                                                                                \
    X(easy_strerror)                                                                               \
    X(easy_cleanup)                                                                                \
    X(slist_append)                                                                                \
    X(slist_free_all)

struct curl_api {
#define CURL_SLOT(f) __typeof__(&curl_##f) f;
    CURL_FUNCTIONS(CURL_SLOT)
#undef CURL_SLOT
};

static int curl_api_load(struct curl_api *api, struct diag *d)
{
#define CURL_NAME(f) "curl_" #f,
#define CURL_ADDR(f) &api->f,
    static const char *const names[] = {CURL_FUNCTIONS(CURL_NAME)};
    void *const slots[] = {CURL_FUNCTIONS(CURL_ADDR)};
#undef CURL_NAME
#undef CURL_ADDR

    return dynload_functions(REJECTLENS_LIBCURL_SONAME, "mailing the report", "libcurl4", names,
                             slots, sizeof names / sizeof names[0], d);
}

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
    struct curl_api api;
    CURL *c;
    CURLcode rc;
    int smtps = strncmp(o->url, "smtps://", 8) == 0;

    if (mail_smtp_url_ok(o->url, d) < 0 || curl_api_load(&api, d) < 0)
        return -1;
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return diag_set(d, "libcurl could not start");
    if ((c = api.easy_init()) == NULL) {
        api.global_cleanup();
        return diag_set(d, "libcurl could not start");
    }
    snprintf(mail_from, sizeof mail_from, "<%s>", from);
    for (size_t i = 0; i < nto; i++) {
        char r[300];
        snprintf(r, sizeof r, "<%s>", to[i]);
        struct curl_slist *n = api.slist_append(rcpt, r);
        if (n == NULL) {
            api.slist_free_all(rcpt);
            api.easy_cleanup(c);
            api.global_cleanup();
            return diag_set(d, "out of memory");
        }
        rcpt = n;
    }
    api.easy_setopt(c, CURLOPT_URL, o->url);
    api.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    api.easy_setopt(c, CURLOPT_MAIL_FROM, mail_from);
    api.easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    api.easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    api.easy_setopt(c, CURLOPT_READDATA, &u);
    api.easy_setopt(c, CURLOPT_UPLOAD, 1L);
    api.easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    api.easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    api.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    api.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    api.easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 120L);
    if (!smtps)
        api.easy_setopt(c, CURLOPT_USE_SSL,
                        o->tls == SMTP_TLS_STARTTLS ? (long)CURLUSESSL_ALL
                        : o->tls == SMTP_TLS_TRY    ? (long)CURLUSESSL_TRY
                                                    : (long)CURLUSESSL_NONE);
    if (o->cacert != NULL)
        api.easy_setopt(c, CURLOPT_CAINFO, o->cacert);
    if (o->user != NULL) {
        api.easy_setopt(c, CURLOPT_USERNAME, o->user);
        api.easy_setopt(c, CURLOPT_PASSWORD, o->password ? o->password : "");
    }
    if (o->verbose)
        api.easy_setopt(c, CURLOPT_VERBOSE, 1L);
    rc = api.easy_perform(c);
    if (rc != CURLE_OK)
        diag_set(d, "%s: %s", o->url, err[0] ? err : api.easy_strerror(rc));
    api.slist_free_all(rcpt);
    api.easy_cleanup(c);
    api.global_cleanup();
    return rc == CURLE_OK ? 0 : -1;
}
