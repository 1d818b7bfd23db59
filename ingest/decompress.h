/*
 * decompress - a compressed log file as a stream of its decompressed bytes
 *
 * gzip, bzip2, xz and zstd, recognised by their magic bytes (never by the file name), through
 * ISA-L's igzip (or zlib, where the build has no ISA-L), libbz2, liblzma and libzstd.
 * Streamed: memory stays bounded whatever the file's size. Files of several members or frames
 * (pigz, pbzip2, `cat a.gz b.gz`) are read whole; bytes after the last gzip or bzip2 member
 * that do not start another are ignored, as gzip -d does.
 *
 * A file that ends inside the compressed data (truncated) or whose data are damaged (corrupt)
 * is an error, reported after every byte decompressed before the damage was delivered: the
 * reader above keeps the complete lines read so far. (Through ISA-L, up to 256 KB of text
 * before damaged deflate data are lost: what the call that meets the damage decoded is not
 * trusted. A wrong trailer or a cut file loses nothing.)
 *
 * This is the only file that includes the compression libraries' headers.
 *
 * Ownership: decompress_free releases the state and stops the decoding thread, if any (NULL is
 * a no-op); the descriptor stays the caller's. A decoder is used by one thread at a time.
 */
#ifndef REJECTLENS_DECOMPRESS_H
#define REJECTLENS_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

/* the longest magic: xz's FD 37 7A 58 5A 00 */
#define DECOMPRESS_MAGIC_MAX 6

enum decompress_kind {
    DECOMPRESS_NONE,
    DECOMPRESS_GZIP,
    DECOMPRESS_BZIP2,
    DECOMPRESS_XZ,
    DECOMPRESS_ZSTD,
};

/*
 * decompress_sniff - the format whose magic begins p[0..n): the kind when one matches, NONE
 * when none can (plain text), -1 when p is still a prefix of a magic and more bytes are needed
 * to decide (only while n < DECOMPRESS_MAGIC_MAX)
 */
int decompress_sniff(const unsigned char *p, size_t n);

/* decompress_name - "gzip", "bzip2", "xz", "zstd"; NULL for NONE */
const char *decompress_name(enum decompress_kind k);

struct decompress;

/*
 * decompress_new - a decoder of kind k reading fd; pre[0..npre) are bytes already read from
 * fd (the magic), decoded first. NULL with d set when the library cannot start.
 */
struct decompress *decompress_new(enum decompress_kind k, int fd, const unsigned char *pre,
                                  size_t npre, struct diag *d);

/*
 * decompress_read - up to cap decompressed bytes into dst: the count (> 0), 0 at the clean end
 * of the data, -1 with the reason in d ("truncated gzip data: ...", "corrupt xz data: ...", or
 * a read error). Bytes decoded before an error are returned first; the error comes with the
 * next call, and every call after it repeats it.
 */
ssize_t decompress_read(struct decompress *z, unsigned char *dst, size_t cap, struct diag *d);

/*
 * decompress_run_ahead - decode in a thread of its own from now on, at most 2 MiB ahead of
 * decompress_read, whose answers stay what they were (the same bytes, then the same error).
 * Only for a descriptor whose reads end (a file, not a pipe: decompress_free waits for the
 * thread's read). 0, or -1 when no thread could start (decoding goes on in the caller's).
 */
int decompress_run_ahead(struct decompress *z);

/* decompress_in_bytes - compressed bytes consumed for what was delivered (a progress bar) */
int64_t decompress_in_bytes(const struct decompress *z);

/* decompress_out_bytes - decompressed bytes delivered so far */
int64_t decompress_out_bytes(const struct decompress *z);

void decompress_free(struct decompress *z);

#endif
