/*
 * gzip_shapes - one check of the gzip decoder through the reader, for the suites of both its
 * engines (ISA-L and zlib; tests/gzip_shapes.c says which suite has which)
 */
#ifndef REJECTLENS_TEST_GZIP_SHAPES_H
#define REJECTLENS_TEST_GZIP_SHAPES_H

/*
 * gzip_shapes_check - every header field (extra, name, comment, CRC16), an empty member,
 * several members, padding after the last: read whole; a wrong CRC16, a reserved flag, a wrong
 * trailer, a cut trailer or header: the lines before, then the error. ahead: decode in a thread
 * of its own (reader_decompress_ahead). Fails the running Check test on a wrong answer.
 */
void gzip_shapes_check(int ahead);

#endif
