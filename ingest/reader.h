/*
 * reader - a log file as a stream of lines, each with the byte offset where it starts
 *
 * Reads in large blocks and splits with memchr; memory stays bounded whatever the file's size:
 * a line longer than READER_MAX_LINE is delivered cut to that length with `truncated` set, and
 * the rest of it is skipped. A last line without a newline is, by default, held back (the MTA
 * may still be writing it) and reported by reader_pending(); reader_take_partial() changes that.
 *
 * Offsets count bytes of the (decompressed) stream. Lines exclude "\n" and a "\r" before it.
 * A line's text is valid until the next call to reader_next(). The reader owns its buffer and
 * its file descriptor; reader_close() releases both (NULL is a no-op).
 *
 * Compression. A file whose first bytes are the magic of gzip, bzip2, xz or zstd is read
 * decompressed, whatever its name (decompress.h); offsets then count bytes of the
 * decompressed stream, and reader_skip_to() decompresses up to the offset. A truncated or
 * corrupt archive delivers every complete line before the damage, then reader_next() fails
 * with the reason. So does a decompression bomb: once a file has given more than
 * READER_BOMB_FLOOR bytes, each more than READER_BOMB_RATIO times the compressed bytes read,
 * it is read no further (logs compress 5 to 20 times; gzip cannot pass about 1030).
 *
 * A FIFO is opened without waiting for a writer: with none, it reads as an empty stream.
 *
 * Encodings. The first bytes (of the decompressed stream) decide (see reader_decoding()):
 *  - UTF-16LE, recognised by its BOM (FF FE) or, without one, by a NUL in (nearly) every second
 *    byte, is transcoded to UTF-8 before lines are cut (Exchange Online exports are written so).
 *    Offsets then count bytes of the decoded UTF-8 stream, not of the file: the BOM is not part
 *    of it, and the first line starts at offset 0. reader_skip_to() cannot seek such a stream
 *    and decodes from the start up to the offset. A decoded offset may exceed the file's size
 *    (text outside Latin takes 3 UTF-8 bytes for 2 UTF-16 bytes). Unpaired surrogates become
 *    U+FFFD.
 *  - A UTF-8 BOM (EF BB BF) is skipped: the first line starts at offset 3, and offsets stay
 *    file offsets.
 *  - Anything else is delivered byte for byte.
 */
#ifndef REJECTLENS_READER_H
#define REJECTLENS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define READER_MAX_LINE   (512 * 1024)
#define READER_BOMB_FLOOR ((int64_t)64 << 20) /* decompressed bytes before the ratio counts */
#define READER_BOMB_RATIO 200
#define READER_PEEK_MAX   1024 /* bytes reader_peek() can look at */

struct log_line {
    const char *text;
    size_t len;
    int64_t offset;   /* where the line starts */
    int truncated;    /* the line was longer than READER_MAX_LINE and is cut */
    int unterminated; /* a last line without newline, delivered by reader_take_partial() */
};

struct reader;

/* reader_open - open a file ("-" = standard input); -1 with a message naming the path */
int reader_open(const char *path, struct reader **out, struct diag *d);

/*
 * reader_peek - the first bytes of the (decompressed, not transcoded) stream, without
 * consuming them: *p and *n (at most want, at most READER_PEEK_MAX; fewer when the stream is
 * shorter). Call it before reading lines. 0, or -1 with d set. *p is valid until reader_close.
 */
int reader_peek(struct reader *r, size_t want, const unsigned char **p, size_t *n, struct diag *d);

/* reader_take_partial - deliver a last line without newline instead of holding it back */
void reader_take_partial(struct reader *r, int take);

/*
 * reader_decompress_ahead - with on, a compressed regular file is decompressed in a thread of
 * its own, ahead of the lines (decompress_run_ahead); the lines, offsets and errors are the
 * same either way. Call it before the first read or peek.
 */
void reader_decompress_ahead(struct reader *r, int on);

/*
 * reader_next - the next line: 1 with *ln filled, 0 at the end of the stream, -1 on a read
 * error (message in d; the lines delivered before stay valid).
 */
int reader_next(struct reader *r, struct log_line *ln, struct diag *d);

/* reader_skip_to - position the stream at a byte offset (a line start found by an earlier run) */
int reader_skip_to(struct reader *r, int64_t offset, struct diag *d);

/* reader_offset - the offset just past the last complete line delivered */
int64_t reader_offset(const struct reader *r);

/* reader_pending - bytes of an unterminated last line held back at the end of the stream */
int64_t reader_pending(const struct reader *r);

/* reader_name - the path given to reader_open */
const char *reader_name(const struct reader *r);

/* reader_fd - the descriptor of the underlying file (for fstat) */
int reader_fd(const struct reader *r);

/* reader_decoding - "utf-16le" when the stream is transcoded to UTF-8, NULL when it is read as
 * it is (or nothing has been read yet) */
const char *reader_decoding(const struct reader *r);

/* reader_compression - "gzip", "bzip2", "xz", "zstd", or NULL for a file read as it is
 * (known once something was read or peeked) */
const char *reader_compression(const struct reader *r);

/* reader_file_pos - bytes of the file itself read (or skipped) so far: compressed bytes for an
 * archive; for a progress bar */
int64_t reader_file_pos(const struct reader *r);

void reader_close(struct reader *r);

#endif
