/*
 * fuzz_smtp_reply - an SMTP reply as a log quotes it: code, enhanced status, joined text
 *
 * Checked: the text points inside the reply, the status is empty or a valid X.Y.Z, the code is
 * 0 or three digits, the joined text fits the room the header promises and is no longer than
 * the text; the stage of a command is a stage.
 */
#include "fuzz.h"
#include "smtp_reply.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = fuzz_strdup(data, size);
    struct smtp_reply r;
    char *out;
    size_t n;

    memset(&r, 0x55, sizeof r);
    smtp_reply_parse(p, size, &r);
    FUZZ_CHECK(r.code == 0 || (r.code >= 100 && r.code <= 999));
    FUZZ_CHECK(memchr(r.status, '\0', sizeof r.status) != NULL);
    if (r.status[0] != '\0')
        FUZZ_CHECK(smtp_status_valid(r.status, strlen(r.status)));
    FUZZ_CHECK(r.text >= p && r.text <= p + size);
    FUZZ_CHECK(r.text_len <= (size_t)(p + size - r.text));
    /* exactly the room smtp_reply_join asks for */
    out = malloc(r.text_len + 1);
    if (out == NULL)
        abort();
    n = smtp_reply_join(&r, out);
    FUZZ_CHECK(n <= r.text_len);
    FUZZ_CHECK(out[n] == '\0');
    free(out);
    (void)smtp_status_valid(p, size);
    enum smtp_stage st = smtp_stage_of_command(p, size);
    FUZZ_CHECK(st >= STAGE_NONE && st < STAGE_COUNT);
    free(p);
    return 0;
}
