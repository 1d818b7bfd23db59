/*
 * fuzz_exchange - the Exchange parser over lines, with state round trips (see fuzz_parser.h)
 */
#include "fuzz_parser.h"

extern const struct parser_ops exchange_parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_parser(&exchange_parser, "MSGTRK2026010510-1.LOG", data, size);
}
