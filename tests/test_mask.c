/*
 * test_mask - reply texts into templates: what is masked, and what rules need kept
 */
#include "mask.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *in, *out;
    const char *addr, *ip, *host; /* the first values masking took out; NULL: none */
} cases[] = {
    /* addresses, bare and in angle brackets (the brackets go with them) */
    {"<bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
     "<ADDR>: Recipient address rejected: User unknown in virtual mailbox table", "bob@example.org",
     NULL, NULL},
    {"550 Unknown user azumakuniyuki@ntt.docomo.example.ne.jp", "550 Unknown user <ADDR>",
     "azumakuniyuki@ntt.docomo.example.ne.jp", NULL, NULL},
    {"550 5.1.1 <\"neko....nyaan....\"@libsisimai.org>... User Unknown",
     "550 5.1.1 <ADDR>... User Unknown", "\"neko....nyaan....\"@libsisimai.org", NULL, NULL},
    {"550 5.1.1 <=?utf-8?B?8J+QiPCfkIg=?=@example.org>... User unknown",
     "550 5.1.1 <ADDR>... User unknown", "=?utf-8?B?8J+QiPCfkIg=?=@example.org", NULL, NULL},
    {"from=<> to=<>", "from=<> to=<>", NULL, NULL, NULL},
    /* IPv4, IPv6, ports, IPs inside URLs */
    {"Service unavailable; Client host [87.236.233.182] blocked using zen.spamhaus.org; "
     "https://www.example.com/query/ip/87.236.233.182",
     "Service unavailable; Client host [<IP>] blocked using zen.spamhaus.org; "
     "https://www.example.com/query/ip/<IP>",
     NULL, "87.236.233.182", NULL},
    {"PREGREET 14 after 0.08 from [192.0.2.2]:59415: EHLO ylmf-pc\\r\\n",
     "PREGREET 14 after 0.08 from [<IP>]:<N>: EHLO ylmf-pc\\r\\n", NULL, "192.0.2.2", NULL},
    {"reject: VRFY from unknown[2001:968:9999:20:88b:9b7d:2a54:2bd2]: 550",
     "reject: VRFY from unknown[<IP>]: 550", NULL, "2001:968:9999:20:88b:9b7d:2a54:2bd2", NULL},
    {"Access denied, a message sent over IPv6 [2001:db8::1] must pass",
     "Access denied, a message sent over IPv6 [<IP>] must pass", NULL, "2001:db8::1", NULL},
    {"helo=<[IPv6:2001:db8::5]>", "helo=<[IPv6:<IP>]>", NULL, "2001:db8::5", NULL},
    {"see http://mail.neko.example.org/rbl/?ip=203.0.113.22 to send",
     "see http://mail.neko.example.org/rbl/?ip=<IP> to send", NULL, "203.0.113.22", NULL},
    {"Will-Retry-Until: Wed, 03 May 2017 04:41:00 -0700 (PDT)",
     "Will-Retry-Until: Wed, 03 May 2017 04:41:00 -0700 (PDT)", NULL, NULL, NULL},
    /* host names in brackets and before a bracketed address */
    {"Access denied [NEKONYAAN.cat-JPN22.prod.protection.outlook.com]", "Access denied [<HOST>]",
     NULL, NULL, "NEKONYAAN.cat-JPN22.prod.protection.outlook.com"},
    {"host mail.domain.com[1.1.1.1] said: 451", "host <HOST>[<IP>] said: 451", NULL, "1.1.1.1",
     "mail.domain.com"},
    {"host mx.example.jp [192.0.2.20]: 550", "host <HOST> [<IP>]: 550", NULL, "192.0.2.20",
     "mx.example.jp"},
    {"host smtp3.example.com[private/dovecot-lmtp] said: 552",
     "host <HOST>[private/dovecot-lmtp] said: 552", NULL, NULL, "smtp3.example.com"},
    {"<WIN-9QL4SDRB93L>: Helo command rejected: need fully-qualified hostname",
     "<HOST>: Helo command rejected: need fully-qualified hostname", NULL, NULL, NULL},
    /* ids and numbers */
    {"250 2.0.0 Ok: queued as 71111424269E", "250 2.0.0 Ok: queued as <ID>", NULL, NULL, NULL},
    {"250 2.0.0 Ok: queued as 153053D", "250 2.0.0 Ok: queued as <ID>", NULL, NULL, NULL},
    {"1RwtJa-0009RI-2d Completed", "<ID> Completed", NULL, NULL, NULL},
    {"10HmaX-000000005vi-0000 == x", "<ID> == x", NULL, NULL, NULL},
    {"Message size exceeds fixed maximum message size (10485760)",
     "Message size exceeds fixed maximum message size (<N>)", NULL, NULL, NULL},
    {"550 Access denied...7d39d5299584f4be161127e61f5f5400...", "550 Access denied...<ID>...", NULL,
     NULL, NULL},
    {"<000001321defbd2a-788e31c8-2be1-422f-a8d4-cf7765cc9ed7-000000@email-bounces.amazonses.com>",
     "<ADDR>",
     "000001321defbd2a-788e31c8-2be1-422f-a8d4-cf7765cc9ed7-000000@email-bounces."
     "amazonses.com",
     NULL, NULL},
    {"id 788e31c8-2be1-422f-a8d4-cf7765cc9ed7 x", "id <ID> x", NULL, NULL, NULL},
    {"https://support.google.com/mail/?p=NoSuchUser d9443c01a7336-21f29fa3dcbsi21412535ad.44 - "
     "gsmtp",
     "https://support.google.com/mail/?p=NoSuchUser <ID> - gsmtp", NULL, NULL, NULL},
    {"554 DT:SPM 163 mx9,O8CowEDJVFKCokVaRhz+AA--.26016S3 1514513028,please see",
     "554 DT:SPM 163 mx9,<ID> <N>,please see", NULL, NULL, NULL},
    /* kept: what rules read */
    {"listed by zen.spamhaus.org as 127.0.0.4, bl.spamcop.net as 127.0.0.2",
     "listed by zen.spamhaus.org as 127.0.0.4, bl.spamcop.net as 127.0.0.2", NULL, NULL, NULL},
    {"(listed by zen.spamhaus.org as 127.255.255.254)",
     "(listed by zen.spamhaus.org as 127.255.255.254)", NULL, NULL, NULL},
    {"421 4.7.0 [TSS04] Messages temporarily deferred",
     "421 4.7.0 [TSS04] Messages "
     "temporarily deferred",
     NULL, NULL, NULL},
    {"sender rejected. AUP#In-1310", "sender rejected. AUP#In-1310", NULL, NULL, NULL},
    {"block list (S3150). (AS16012609)", "block list (S3150). (AS16012609)", NULL, NULL, NULL},
    {"blocked using dnsbl-1.uceprotect.net", "blocked using dnsbl-1.uceprotect.net", NULL, NULL,
     NULL},
    {"550 5.1.10 RESOLVER.ADR.RecipientNotFound; SMTPUTF8 LPN007_416 OFR_416 [416]",
     "550 5.1.10 RESOLVER.ADR.RecipientNotFound; SMTPUTF8 LPN007_416 OFR_416 [416]", NULL, NULL,
     NULL},
    {"This mailbox is disabled (554.30).", "This mailbox is disabled (554.30).", NULL, NULL, NULL},
    {"", "", NULL, NULL, NULL},
    /* the shortcuts of the scan: an Exim id of letters only (a word without digits is checked
     * for that shape alone), the next '@' and ':' once the first are behind, a trailing dot */
    {"abcdef-ghijkl-mn sent", "<ID> sent", NULL, NULL, NULL},
    {"id abcdef-ghijklmnopq-rstu.", "id <ID>.", NULL, NULL, NULL},
    {"from a@b.example to c@d.example", "from <ADDR> to <ADDR>", "a@b.example", NULL, NULL},
    {"at 10:30 from 2001:db8::1", "at 10:30 from <IP>", NULL, "2001:db8::1", NULL},
    {"relay mail.example.org.[192.0.2.1] and x.[192.0.2.2]",
     "relay mail.example.org.[<IP>] and x.[<IP>]", NULL, "192.0.2.1", NULL},
    {"_abc1234567 .x99999 Ab12345678", "_abc1234567 .x99999 <ID>", NULL, NULL, NULL},
};

START_TEST(test_mask_cases)
{
    struct strbuf out = STRBUF_INIT;
    struct mask_values v;
    const char *in = cases[_i].in;

    mask(in, strlen(in), &out, &v);
    ck_assert_str_eq(strbuf_str(&out), cases[_i].out);
    ck_assert_str_eq(v.addr, cases[_i].addr ? cases[_i].addr : "");
    ck_assert_str_eq(v.ip, cases[_i].ip ? cases[_i].ip : "");
    ck_assert_str_eq(v.host, cases[_i].host ? cases[_i].host : "");
    strbuf_free(&out);
}
END_TEST

/* a template never grows past MASK_MAX, and is cut on a UTF-8 boundary */
START_TEST(test_mask_cut)
{
    size_t n = 3 * MASK_MAX;
    char *in = malloc(n + 1);
    struct strbuf out = STRBUF_INIT;

    for (size_t i = 0; i < n; i += 3)
        memcpy(in + i, "\xc3\xa9 ", 3); /* "é " */
    in[n] = '\0';
    mask(in, n, &out, NULL);
    ck_assert_uint_le(out.len, MASK_MAX);
    ck_assert_uint_gt(out.len, MASK_MAX - 4);
    ck_assert((out.buf[out.len - 1] & 0xc0) != 0xc0); /* no lead byte without its tail */
    strbuf_free(&out);
    free(in);
}
END_TEST

/* utf8_ends_whole - the last character of b[0..n) has all its bytes */
static int utf8_ends_whole(const char *b, size_t n)
{
    size_t tail = 0;

    while (n > 0 && tail < 4 && ((unsigned char)b[n - 1] & 0xc0) == 0x80)
        n--, tail++;
    if (n == 0)
        return tail == 0;
    unsigned char lead = (unsigned char)b[n - 1];
    size_t need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
    return tail == need;
}

/*
 * The text stops at exactly MASK_MAX bytes of template inside a character that masking copies
 * byte by byte (not a word character): that character goes, not half of it. Found by
 * fuzz_mask on 2026-11-30 (regressions/mask/utf8-cut-at-limit).
 */
START_TEST(test_mask_cut_at_limit)
{
    for (size_t k = 1; k <= 3; k++) {
        size_t pad = MASK_MAX - k, n = pad + 3 * 8;
        char *in = malloc(n + 1);
        struct strbuf out = STRBUF_INIT;

        memset(in, '-', pad);
        for (size_t i = pad; i < n; i += 3)
            memcpy(in + i, "\xe2\x86\x92", 3); /* U+2192, an arrow */
        in[n] = '\0';
        mask(in, n, &out, NULL);
        ck_assert_uint_le(out.len, MASK_MAX);
        ck_assert_msg(utf8_ends_whole(out.buf, out.len), "k %zu: ends inside a character", k);
        strbuf_free(&out);
        free(in);
    }
}
END_TEST

/*
 * The scan stops where the template is full: an address past MASK_MAX bytes of kept words is
 * neither in the template nor among the values (kept bytes are copied late, in one piece, but
 * count from where they are read).
 */
START_TEST(test_mask_stops_at_limit)
{
    const char tail[] = " <bob@example.org> [192.0.2.1]";
    size_t pad = MASK_MAX + 40, n = pad + sizeof tail - 1;
    char *in = malloc(n + 1);
    struct strbuf out = STRBUF_INIT;
    struct mask_values v;

    for (size_t i = 0; i < pad; i++)
        in[i] = i % 8 == 7 ? ' ' : "rejected"[i % 8];
    memcpy(in + pad, tail, sizeof tail);
    mask(in, n, &out, &v);
    ck_assert_uint_eq(out.len, MASK_MAX);
    ck_assert(memcmp(out.buf, in, MASK_MAX) == 0);
    ck_assert_str_eq(v.addr, "");
    ck_assert_str_eq(v.ip, "");
    strbuf_free(&out);
    free(in);
}
END_TEST

/* the bytes of a bare address's local part: RFC 5322 atext, the dot, and UTF-8 */
START_TEST(test_mask_local_part_bytes)
{
    static const char atext[] = "!#$%&'*+/=?^_`{|}~.-";

    for (int c = 1; c < 256; c++) {
        char in[32];
        struct strbuf out = STRBUF_INIT;
        int local = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c >= 0x80 || strchr(atext, c) != NULL;

        snprintf(in, sizeof in, "to x%cy@example.org", c);
        mask(in, strlen(in), &out, NULL);
        if (local)
            ck_assert_msg(strcmp(out.buf, "to <ADDR>") == 0, "byte %d: %s", c, out.buf);
        else
            ck_assert_msg(strcmp(out.buf, "to <ADDR>") != 0 && strstr(out.buf, "<ADDR>") != NULL,
                          "byte %d: %s", c, out.buf);
        strbuf_free(&out);
    }
}
END_TEST

/* appending: the template goes after what the buffer holds */
START_TEST(test_mask_appends)
{
    struct strbuf out = STRBUF_INIT;

    strbuf_puts(&out, "x:");
    mask("1.2.3.4", 7, &out, NULL);
    ck_assert_str_eq(strbuf_str(&out), "x:<IP>");
    strbuf_free(&out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mask");
    TCase *tc = tcase_create("mask");

    tcase_add_loop_test(tc, test_mask_cases, 0, sizeof cases / sizeof cases[0]);
    tcase_add_test(tc, test_mask_cut);
    tcase_add_test(tc, test_mask_cut_at_limit);
    tcase_add_test(tc, test_mask_appends);
    tcase_add_test(tc, test_mask_stops_at_limit);
    tcase_add_test(tc, test_mask_local_part_bytes);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
