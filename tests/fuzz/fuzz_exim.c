/*
 * fuzz_exim - the Exim parser over lines, with state round trips (see fuzz_parser.h)
 */
#include "fuzz_parser.h"

extern const struct parser_ops exim_parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_parser(&exim_parser, "/var/log/exim4/mainlog", data, size);
}
