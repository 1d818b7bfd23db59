/*
 * fuzz_mask - a reply text into its template
 *
 * Checked: the template is appended (what was in the buffer stays), is no longer than MASK_MAX
 * and ends at a UTF-8 boundary of the text when the text is valid UTF-8; the values masking took
 * out are NUL-terminated inside their arrays.
 */
#include "fuzz.h"
#include "mask.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strdup(data, size);
    struct strbuf out = STRBUF_INIT;
    struct mask_values v;

    memset(&v, 0x55, sizeof v);
    strbuf_puts(&out, "prefix:");
    mask(s, size, &out, &v);
    FUZZ_CHECK(out.len >= 7 && memcmp(out.buf, "prefix:", 7) == 0);
    FUZZ_CHECK(out.len - 7 <= MASK_MAX);
    FUZZ_CHECK(out.buf[out.len] == '\0');
    if (fuzz_utf8_valid(s, size))
        FUZZ_CHECK(fuzz_utf8_valid(out.buf + 7, out.len - 7));
    FUZZ_CHECK(memchr(v.addr, '\0', sizeof v.addr) != NULL);
    FUZZ_CHECK(memchr(v.ip, '\0', sizeof v.ip) != NULL);
    FUZZ_CHECK(memchr(v.host, '\0', sizeof v.host) != NULL);
    /* without values, the same template */
    struct strbuf again = STRBUF_INIT;
    mask(s, size, &again, NULL);
    FUZZ_CHECK(again.len == out.len - 7 &&
               memcmp(again.buf ? again.buf : "", out.buf + 7, again.len) == 0);
    strbuf_free(&again);
    strbuf_free(&out);
    free(s);
    return 0;
}
