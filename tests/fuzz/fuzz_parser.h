/*
 * fuzz_parser - one log parser (struct parser_ops) driven over lines, as the ingest driver does
 *
 * The input is log lines. A line that starts with byte 0x01 is a directive to the harness, never
 * given to the parser:
 *
 *	\x01src NAME	the following lines come from the file NAME (ctx->source)
 *	\x01save	save the parser's state, destroy it, load it into a new one (a run ends here
 *			and the next one starts)
 *	\x01flush	the input ends here: the parser emits what it holds
 *	\x01refuse	the sink refuses the next event (the database failed)
 *	\x01state	the rest of the input is a saved state: load it into a new parser
 *
 * Checked: every event the parser emits has valid strings, values in range and a valid
 * enhanced status (or none); sniff and parse_line never crash; a saved state loads back into a
 * state that saves to the same bytes.
 */
#ifndef REJECTLENS_FUZZ_PARSER_H
#define REJECTLENS_FUZZ_PARSER_H

#include "fuzz.h"
#include "parser.h"

/* fuzz_parser - the body of LLVMFuzzerTestOneInput for a parser; source names the file the
 * lines come from until a \x01src directive says otherwise */
int fuzz_parser(const struct parser_ops *ops, const char *source, const uint8_t *data, size_t size);

#endif
