/*
 * escape - every byte from a log made safe for the output it goes to
 *
 * Log data is hostile: markup, spreadsheet formulas, terminal escape sequences, invalid UTF-8.
 * Each writer passes every string of the model through the function for its format, and
 * nothing from a log reaches an output any other way. All of them:
 *   - replace each byte that is not part of valid UTF-8 (overlong forms, surrogates and code
 *     points above U+10FFFF included) by U+FFFD;
 *   - take NULL as "" (esc_json: as null).
 * The functions append to out and never fail.
 */
#ifndef REJECTLENS_ESCAPE_H
#define REJECTLENS_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/*
 * utf8_decode - the code point at s[0..n): its length in bytes (1..4) with *cp set, or 0 when
 * the bytes there are not valid UTF-8 (n > 0)
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* esc_text - for terminals and text/plain mail: control characters (C0, DEL, C1) and the
 * bidirectional overrides become visible \xNN / \u{NNNN}; newlines too unless keep_newlines */
void esc_text(struct strbuf *out, const char *s, int keep_newlines);

/* esc_text_n - esc_text of the n bytes at s, which may hold NUL bytes (shown as \x00) */
void esc_text_n(struct strbuf *out, const char *s, size_t n, int keep_newlines);

/* esc_html - for HTML text and attribute values alike: & < > " ' as entities, controls and
 * bidirectional overrides as visible \xNN / \u{NNNN} (newlines kept when keep_newlines) */
void esc_html(struct strbuf *out, const char *s, int keep_newlines);

/* esc_json - a JSON string with its quotes (RFC 8259), or null for NULL; U+2028 and U+2029
 * are escaped too, so the output is also safe inside a <script> or JavaScript, and so are DEL,
 * the C1 controls and the bidirectional overrides, so that it is safe on a terminal */
void esc_json(struct strbuf *out, const char *s);

/*
 * esc_csv - one RFC 4180 cell, always quoted ("" for a quote). A cell whose first character
 * is = + - @ TAB or CR (which a spreadsheet may run as a formula) gets a ' in front. Control
 * characters but TAB and LF (multi-line advice) become visible \xNN as in esc_text: a CSV file
 * ends up in terminals too.
 */
void esc_csv(struct strbuf *out, const char *s);

#endif
