/*
 * mask - a reply text into its template: the variable parts replaced by placeholders
 *
 * "550 5.1.1 <bob@example.org>: Recipient address rejected" and the same for alice are one
 * template, "<ADDR>: Recipient address rejected", classified and stored once. Replaced:
 *
 *	<ADDR>	mail addresses, bare or in angle brackets (the brackets go too)
 *	<IP>	IPv4 and IPv6 addresses (not 127.0.0.0/8: those are DNSBL answers rules read)
 *	<HOST>	host names in brackets ([mx.example.org]) and before an address in brackets
 *		(mx.example.org[192.0.2.1], mx.example.org [192.0.2.1])
 *	<ID>	queue ids and other tokens that mix digits and letters (hex, base64, UUIDs,
 *		Exim message ids)
 *	<N>	numbers of five digits or more, and ports after "]:"
 *
 * Kept as they are, because rules need them: words, enhanced status codes (5.7.1), reply codes,
 * list and host names outside brackets (zen.spamhaus.org), short numbers, and provider codes of
 * capital letters and digits (TSS04, S3150, AS16012607, LPN007_416, AUP#In-1310).
 *
 * The scan is one pass in plain C, cheap enough to run on every event. The template is cut at
 * MASK_MAX bytes (at a UTF-8 boundary).
 */
#ifndef REJECTLENS_MASK_H
#define REJECTLENS_MASK_H

#include <stddef.h>

#include "strbuf.h"

#define MASK_MAX 2000

/* the first value of each kind that masking replaced, for filling advice (NUL-terminated) */
struct mask_values {
    char addr[256];
    char ip[64];
    char host[256];
};

/* mask - append the template of s[0..n) to out; values (may be NULL) gets the first of each */
void mask(const char *s, size_t n, struct strbuf *out, struct mask_values *values);

#endif
