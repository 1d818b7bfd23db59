/*
 * fuzz_postfix - the Postfix parser over lines, with state round trips (see fuzz_parser.h)
 */
#include "fuzz_parser.h"

extern const struct parser_ops postfix_parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_parser(&postfix_parser, "/var/log/mail.log", data, size);
}
