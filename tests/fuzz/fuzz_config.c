/*
 * fuzz_config - the configuration loader on any text, and config_duration on its first line
 *
 * The configuration is the admin's and trusted, but hand-written (and a glob in it names files
 * an attacker may create): no text may crash the loader, leak, or leave a half-built
 * configuration. Checked: a failure has a one-line message and no configuration; a
 * configuration that loads has what config.h promises (every recipient a plain address, every
 * report a name and a period, every source a path, durations not negative); a duration that
 * parses is not negative.
 */
#include "config.h"
#include "fuzz.h"
#include "mail.h"

#include <stdlib.h>
#include <string.h>

static void check_failure(const struct diag *d)
{
    FUZZ_CHECK(d->msg[0] != '\0');
    FUZZ_CHECK(memchr(d->msg, '\0', sizeof d->msg) != NULL);
    FUZZ_CHECK(strchr(d->msg, '\n') == NULL);
}

static void check_config(const struct config *c)
{
    FUZZ_CHECK(c->lock_wait_ms >= 0);
    FUZZ_CHECK(c->retention_s >= 0);
    fuzz_touch(c->file);
    fuzz_touch(c->database);
    for (size_t i = 0; i < c->nrules; i++)
        FUZZ_CHECK(fuzz_touch(c->rules[i]) > 0);
    for (size_t i = 0; i < c->nsources; i++) {
        const struct config_source *s = &c->sources[i];
        FUZZ_CHECK(s->npaths > 0);
        for (size_t j = 0; j < s->npaths; j++)
            FUZZ_CHECK(fuzz_touch(s->paths[j]) > 0);
        FUZZ_CHECK(s->format != NULL);
        fuzz_touch(s->host);
        fuzz_touch(s->timezone);
    }
    for (size_t i = 0; i < c->nreports; i++) {
        const struct config_report *r = &c->reports[i];
        FUZZ_CHECK(fuzz_touch(r->name) > 0);
        FUZZ_CHECK(config_period_name(r->period)[0] != '\0');
        FUZZ_CHECK(r->weekday >= 0 && r->weekday <= 6);
        FUZZ_CHECK(r->monthday >= 1 && r->monthday <= 31);
        FUZZ_CHECK(r->top >= 0);
        for (size_t j = 0; j < r->nto; j++)
            FUZZ_CHECK(mail_address_ok(r->to[j]));
        if (r->from != NULL)
            FUZZ_CHECK(mail_address_ok(r->from));
        for (size_t j = 0; j < r->nformats; j++)
            FUZZ_CHECK(fuzz_touch(r->formats[j]) > 0);
        fuzz_touch(r->subject);
        fuzz_touch(r->sendmail);
        fuzz_touch(r->smtp);
        fuzz_touch(r->smtp_user);
        fuzz_touch(r->smtp_password_file);
        fuzz_touch(r->smtp_tls);
        fuzz_touch(r->smtp_cacert);
        fuzz_touch(r->directory);
        fuzz_touch(r->mta);
        fuzz_touch(r->host);
        fuzz_touch(r->direction);
        fuzz_touch(r->codes);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size);
    struct config *c = NULL;
    struct diag d;
    int64_t secs = -1;

    d.msg[0] = '\0';
    if (config_load_string("fuzz.yaml", text, &c, &d) == 0) {
        FUZZ_CHECK(c != NULL);
        check_config(c);
        config_free(c);
    } else {
        FUZZ_CHECK(c == NULL);
        check_failure(&d);
    }

    /* the first line as a duration (--older-than, retention, lock_wait) */
    text[strcspn(text, "\n")] = '\0';
    d.msg[0] = '\0';
    if (config_duration(text, &secs, &d) == 0)
        FUZZ_CHECK(secs >= 0);
    else
        check_failure(&d);
    free(text);
    return 0;
}
