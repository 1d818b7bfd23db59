/*
 * test_out - the writers of query, trace and top: every hostile byte of a log made harmless
 * in each format, tables aligned and cut, CSV defused, JSON valid
 */
#include "out.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the bytes a hostile log line may carry: escape sequences (CSI, OSC with BEL), a C1 CSI in
 * UTF-8, invalid UTF-8, a right-to-left override, a formula */
static const char hostile[] = "\x1b[2J\x1b]0;pwned\x07 \xc2\x9b"
                              "31m \xff\xfe \xe2\x80\xae"
                              "gnp.exe";

/* S - a string literal and its length, NUL bytes included */
#define S(lit) lit, sizeof(lit) - 1

/* render - the output of one writer for the given rows, as a malloc'ed string */
static char *render_in(enum out_format fmt, int wide, int color, int width,
                       const struct out_col *cols, size_t ncols, const struct out_cell *cells,
                       size_t nrows)
{
    struct out_opts opts = {fmt, wide, color, width};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct out *o;

    ck_assert_ptr_nonnull(f);
    o = out_open(f, &opts, cols, ncols);
    for (size_t r = 0; r < nrows; r++)
        out_row(o, cells + r * ncols);
    ck_assert_int_eq(out_close(o), 0);
    fclose(f);
    return buf;
}

/* render - the same, with no terminal width to fit in */
static char *render(enum out_format fmt, int wide, int color, const struct out_col *cols,
                    size_t ncols, const struct out_cell *cells, size_t nrows)
{
    return render_in(fmt, wide, color, 0, cols, ncols, cells, nrows);
}

/* widest_line - the longest line of s, in bytes (the tests' tables are ASCII) */
static size_t widest_line(const char *s)
{
    size_t w = 0;

    while (*s) {
        size_t n = strcspn(s, "\n");
        if (n > w)
            w = n;
        s += n + (s[n] == '\n');
    }
    return w;
}

/* no_raw_controls - nothing a terminal would act on: C0 (but newline), DEL, C1, bad UTF-8 */
static void no_raw_controls(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        /* newline, CR and tab only as the format's own separators */
        ck_assert_msg(*p >= 0x20 || *p == '\n' || *p == '\r' || *p == '\t',
                      "raw control 0x%02x in %s", *p, s);
        ck_assert_msg(*p != 0x7f, "raw DEL");
        ck_assert_msg(*p != 0xff && *p != 0xfe, "invalid UTF-8 passed through");
    }
    ck_assert_ptr_null(strstr(s, "\xc2\x9b"));
    ck_assert_ptr_null(strstr(s, "\xe2\x80\xae"));
}

START_TEST(test_escape_terminal)
{
    struct strbuf sb = STRBUF_INIT;

    out_escape_terminal(&sb, hostile, sizeof hostile - 1);
    ck_assert_str_eq(strbuf_str(&sb), "\\x1b[2J\\x1b]0;pwned\\x07 \\u009b31m \\xff\\xfe "
                                      "\\u202egnp.exe");
    strbuf_reset(&sb);
    /* valid UTF-8 passes: é, €, an emoji; a NUL byte inside a value is shown */
    out_escape_terminal(&sb, S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7 a\0b"));
    ck_assert_str_eq(strbuf_str(&sb), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7 a\\x00b");
    strbuf_reset(&sb);
    /* overlong and surrogate forms are not UTF-8 */
    out_escape_terminal(&sb, S("\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80"));
    ck_assert_str_eq(strbuf_str(&sb), "\\xc0\\xaf \\xed\\xa0\\x80 \\xf4\\x90\\x80\\x80");
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_escape_json)
{
    struct strbuf sb = STRBUF_INIT;

    out_escape_json(&sb, hostile, sizeof hostile - 1);
    ck_assert_str_eq(strbuf_str(&sb), "\\u001b[2J\\u001b]0;pwned\\u0007 \\u009b31m \\ufffd\\ufffd "
                                      "\\u202egnp.exe");
    strbuf_reset(&sb);
    out_escape_json(&sb, S("a\"b\\c\nd\te\x7f"));
    ck_assert_str_eq(strbuf_str(&sb), "a\\\"b\\\\c\\nd\\te\\u007f");
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_escape_tsv)
{
    struct strbuf sb = STRBUF_INIT;

    out_escape_tsv(&sb, S("a\tb\nc\\d\x1b"));
    ck_assert_str_eq(strbuf_str(&sb), "a\\tb\\nc\\\\d\\x1b");
    strbuf_free(&sb);
}
END_TEST

/* a table of formula starts: each gets a leading ' and quotes when it is text */
START_TEST(test_csv_defused)
{
    static const struct {
        const char *in;
        int is_text;
        const char *want;
    } cases[] = {
        {"=HYPERLINK(\"http://evil.example/\",\"x\")", 1,
         "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\""},
        {"+1+cmd|' /C calc'!A0", 1, "\"'+1+cmd|' /C calc'!A0\""},
        {"-2+3", 1, "\"'-2+3\""},
        {"@SUM(A1)", 1, "\"'@SUM(A1)\""},
        {"\tx", 1, "\"'\\tx\""},
        {"\xef\xbc\x9d"
         "1+1",
         1,
         "\"'\xef\xbc\x9d"
         "1+1\""},       /* full-width = */
        {"-5", 0, "-5"}, /* a number stays a number */
        {"a,b", 1, "\"a,b\""},
        {"plain", 1, "plain"},
        {"", 1, ""},
        {"x\x1b[31m", 1, "x\\x1b[31m"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf sb = STRBUF_INIT;
        out_escape_csv(&sb, cases[i].in, strlen(cases[i].in), cases[i].is_text);
        ck_assert_msg(strcmp(strbuf_str(&sb), cases[i].want) == 0, "case %zu: %s", i,
                      strbuf_str(&sb));
        strbuf_free(&sb);
    }
}
END_TEST

/* the hostile value in each format: nothing raw reaches the output */
START_TEST(test_formats_hostile)
{
    static const struct out_col cols[] = {{"text", 0, 0, OUT_FIT_CUT}, {"n", 1, 0, OUT_FIT_CUT}};
    struct out_cell cells[] = {out_textn(hostile, sizeof hostile - 1), out_num("42")};
    char *s;

    for (int fmt = OUT_TABLE; fmt <= OUT_TSV; fmt++) {
        s = render((enum out_format)fmt, 0, 0, cols, 2, cells, 1);
        no_raw_controls(s);
        free(s);
    }
    s = render(OUT_JSON, 0, 0, cols, 2, cells, 1);
    ck_assert_str_eq(s, "[\n{\"text\":\"\\u001b[2J\\u001b]0;pwned\\u0007 \\u009b31m "
                        "\\ufffd\\ufffd \\u202egnp.exe\",\"n\":42}\n]\n");
    free(s);
    /* a formula in a CSV cell, and in a TSV cell (left alone: TSV is for scripts) */
    cells[0] = out_text("=HYPERLINK(\"http://evil.example/\")");
    s = render(OUT_CSV, 0, 0, cols, 2, cells, 1);
    ck_assert_str_eq(s, "text,n\r\n\"'=HYPERLINK(\"\"http://evil.example/\"\")\",42\r\n");
    free(s);
}
END_TEST

START_TEST(test_table)
{
    static const struct out_col cols[] = {
        {"name", 0, 10, OUT_FIT_CUT}, {"n", 1, 0, OUT_FIT_CUT}, {"note", 0, 0, OUT_FIT_CUT}};
    struct out_cell cells[] = {
        out_text("short"),        out_num("7"),    out_text(NULL),
        out_text("a long value"), out_num("1234"), out_text("x"),
    };
    char *s = render(OUT_TABLE, 0, 0, cols, 3, cells, 2);

    /* cut to the column's 10 columns with "...", numbers right-aligned, no trailing blanks */
    ck_assert_str_eq(s, "name           n  note\n"
                        "----------  ----  ----\n"
                        "short          7\n"
                        "a long ...  1234  x\n");
    free(s);
    s = render(OUT_TABLE, 1, 0, cols, 3, cells, 2);
    ck_assert_ptr_nonnull(strstr(s, "a long value  1234  x\n"));
    free(s);
    /* colour only when asked, and then around the cell, not its padding */
    cells[0].style = OUT_RED;
    s = render(OUT_TABLE, 0, 1, cols, 3, cells, 1);
    ck_assert_ptr_nonnull(strstr(s, "\033[1mname\033[0m"));
    ck_assert_ptr_nonnull(strstr(s, "\033[31mshort\033[0m  "));
    free(s);
    s = render(OUT_TABLE, 0, 0, cols, 3, cells, 1);
    ck_assert_ptr_null(strchr(s, '\033'));
    free(s);
}
END_TEST

/* a table wider than the terminal: the ids stay whole, the title goes before them */
START_TEST(test_table_fit)
{
    static const struct out_col cols[] = {
        {"category", 0, 0, OUT_FIT_KEEP},
        {"title", 0, 0, OUT_FIT_DROP},
        {"text", 0, 0, OUT_FIT_CUT},
        {"n", 1, 0, OUT_FIT_KEEP},
    };
    struct out_cell cells[] = {
        out_text("recipient_unknown"),
        out_text("Recipient address does not exist"),
        out_text("a long reply text of many words here"),
        out_num("12"),
    };
    char *s = render_in(OUT_TABLE, 0, 0, 120, cols, 4, cells, 1);

    ck_assert_ptr_nonnull(strstr(s, "recipient_unknown  Recipient address does not exist  a long "
                                    "reply text of many words here  12\n"));
    free(s);
    /* narrower: title and text give way together, the id and the number never */
    s = render_in(OUT_TABLE, 0, 0, 70, cols, 4, cells, 1);
    ck_assert_uint_le(widest_line(s), 70);
    ck_assert_ptr_nonnull(strstr(s, "recipient_unknown  Recipient"));
    ck_assert_ptr_nonnull(strstr(s, "...  12\n"));
    free(s);
    /* no room for the title beside the id: it is left out, header and rule too */
    s = render_in(OUT_TABLE, 0, 0, 40, cols, 4, cells, 1);
    ck_assert_uint_le(widest_line(s), 40);
    ck_assert_str_eq(s, "category           text                n\n"
                        "-----------------  -----------------  --\n"
                        "recipient_unknown  a long reply t...  12\n");
    free(s);
    /* narrower than the columns to keep: they overflow rather than lose characters */
    s = render_in(OUT_TABLE, 0, 0, 10, cols, 4, cells, 1);
    ck_assert_ptr_nonnull(strstr(s, "recipient_unknown  a long ...  12\n"));
    free(s);
    /* --wide: as it is, whatever the terminal */
    s = render_in(OUT_TABLE, 1, 0, 40, cols, 4, cells, 1);
    ck_assert_ptr_nonnull(strstr(s, "Recipient address does not exist"));
    free(s);
}
END_TEST

START_TEST(test_json_types)
{
    static const struct out_col cols[] = {{"a", 0, 0, OUT_FIT_CUT},
                                          {"a", 0, 0, OUT_FIT_CUT},
                                          {"c", 0, 0, OUT_FIT_CUT},
                                          {"d", 0, 0, OUT_FIT_CUT}};
    struct out_cell cells[] = {out_num("1.5"), out_num("Inf"), out_text(NULL), out_text("")};
    char *s = render(OUT_JSON, 0, 0, cols, 4, cells, 1);

    /* duplicate names made unique, a number JSON cannot hold becomes a string, NULL null */
    ck_assert_str_eq(s, "[\n{\"a\":1.5,\"a_2\":\"Inf\",\"c\":null,\"d\":\"\"}\n]\n");
    free(s);
    s = render(OUT_JSON, 0, 0, cols, 4, cells, 0);
    ck_assert_str_eq(s, "[]\n");
    free(s);
}
END_TEST

START_TEST(test_format_names)
{
    enum out_format f;

    ck_assert_int_eq(out_format_parse("csv", &f), 0);
    ck_assert_int_eq(f, OUT_CSV);
    ck_assert_int_eq(out_format_parse("table", &f), 0);
    ck_assert_int_eq(f, OUT_TABLE);
    ck_assert_int_eq(out_format_parse("xml", &f), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("out");
    TCase *tc = tcase_create("writers");

    tcase_add_test(tc, test_escape_terminal);
    tcase_add_test(tc, test_escape_json);
    tcase_add_test(tc, test_escape_tsv);
    tcase_add_test(tc, test_csv_defused);
    tcase_add_test(tc, test_formats_hostile);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_table_fit);
    tcase_add_test(tc, test_json_types);
    tcase_add_test(tc, test_format_names);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
