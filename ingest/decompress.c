/*
 * decompress - a compressed log file as a stream of its decompressed bytes (see decompress.h)
 *
 * DESCRIPTION
 *	One input buffer and one driver loop for the four libraries; each library has a step
 *	function that decodes from the buffer into the caller's memory and says whether it went
 *	on, ended a member, or failed. The driver reads the file when the buffer is empty, and
 *	decides what "no progress" means: at the end of the file inside a member it is a
 *	truncated file, between members it is the end.
 *
 *	gzip and bzip2 end each member on their own; the driver looks at the bytes after it for
 *	the magic of another member. liblzma (LZMA_CONCATENATED) and libzstd read concatenated
 *	streams and frames themselves.
 *
 *	gzip goes through ISA-L's igzip where the build found it (REJECTLENS_HAVE_ISAL), else
 *	through zlib. Rotated logs are mostly gzip'd, and zlib's inflate was the slowest stage
 *	of reading one: 0.70 s for the 1M-line Postfix log of bench/ (`gzip -dc`) against
 *	0.15 s for igzip's. Both check the header and the trailer's CRC and length; the gzip_*
 *	functions below are the only place they differ.
 *
 *	Nothing limits the ratio of output to input here; a bound on the decompressed size of one
 *	file (a "gzip bomb") belongs to the reader above, which counts what it delivers.
 *
 *	Decoding ahead (decompress_run_ahead): the same driver loop runs in a thread of its own
 *	and fills a ring of AHEAD_BLOCKS blocks; decompress_read takes from the ring. Decoding
 *	costs as much as parsing does (gzip through zlib: ~0.35 s of the 0.68 s a dry run
 *	of a 155 MB log took here), so on a second core the two overlap. Each block remembers
 *	the compressed bytes read when it was made, so the counts the reader sees are those of
 *	what it was given, never of what the thread has decoded beyond it. Once the thread
 *	runs, only it touches the decoder; the ring and the counts are the mutex's.
 *
 * DIAGNOSTICS
 *	"truncated gzip data: the file ends inside the compressed stream", "corrupt xz data:
 *	compressed data are damaged", "read error: ...". The reader adds the file name and how
 *	far the decompressed text got.
 */
#include "decompress.h"
#include "xalloc.h"

#include <bzlib.h>
#include <errno.h>
#include <lzma.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#ifdef REJECTLENS_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

#define IN_SIZE (128 * 1024)

/* the ring of decoding ahead: 2 MiB, as much as the reader's buffer */
#define AHEAD_BLOCKS     8
#define AHEAD_BLOCK_SIZE (256 * 1024)

enum dz_state { DZ_RUN, DZ_MEMBER_END, DZ_END, DZ_FAILED };

struct ahead_block {
    unsigned char *data;
    size_t len, pos;  /* data[pos..len) not taken yet */
    int64_t in_total; /* compressed bytes read once the block was decoded */
};

/* the decoder's thread and what it has decoded, not yet taken */
struct ahead {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more; /* decompress_read waits here for a block */
    pthread_cond_t room; /* the thread waits here for a free block */
    struct ahead_block blk[AHEAD_BLOCKS];
    size_t first, count; /* the blocks decoded, in order: blk[first], blk[first + 1], ... */
    int done;            /* the thread has stopped: at the end, or failed (z->state, z->err) */
    int stop;            /* decompress_free asks it to stop */
    int64_t in_seen, out_seen; /* what decompress_read has delivered, and the input to it */
};

struct decompress {
    enum decompress_kind kind;
    int fd;
    unsigned char *in;
    size_t pos, len; /* in[pos..len) not yet decoded */
    int in_eof;
    int64_t in_total, out_total;
    enum dz_state state;
    char err[DIAG_MAX]; /* the error every call repeats once failed */
    int lib_open;
#ifdef REJECTLENS_HAVE_ISAL
    struct inflate_state *gz;          /* 85 KB, zeroed, when a gzip file is opened */
    struct isal_gzip_header gz_header; /* read, then ignored (no name, comment or extra) */
    int gz_in_header;              /* the member's header: 2 not read yet, 1 its flags checked */
    unsigned char *gz_out;         /* GZ_OUT_SIZE: what the last isal_inflate call decoded */
    size_t gz_out_len, gz_out_pos; /* gz_out[gz_out_pos..gz_out_len) not delivered yet */
    int gz_member_done;            /* the member's trailer is read: gz_out holds its last bytes */
    int gz_bad_check; /* the trailer's CRC or length is wrong: said once gz_out is out */
#else
    z_stream gz;
#endif
    bz_stream bz;
    lzma_stream xz;
    ZSTD_DStream *zd;
    size_t zstd_hint;    /* last return of ZSTD_decompressStream: 0 at a frame's end */
    struct ahead *ahead; /* NULL: decoded in the caller's thread */
};

int decompress_sniff(const unsigned char *p, size_t n)
{
    static const struct {
        enum decompress_kind kind;
        unsigned char m[DECOMPRESS_MAGIC_MAX];
        size_t n;
    } magics[] = {
        {DECOMPRESS_GZIP, {0x1F, 0x8B, 0x08}, 3}, /* the method byte: deflate */
        {DECOMPRESS_BZIP2, {'B', 'Z', 'h'}, 3},   /* then the block size, '1'..'9' */
        {DECOMPRESS_XZ, {0xFD, '7', 'z', 'X', 'Z', 0x00}, 6},
        {DECOMPRESS_ZSTD, {0x28, 0xB5, 0x2F, 0xFD}, 4},
    };
    int maybe = 0;

    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
        size_t need = magics[i].n + (magics[i].kind == DECOMPRESS_BZIP2);
        size_t k = n < magics[i].n ? n : magics[i].n;
        if (memcmp(p, magics[i].m, k) != 0)
            continue;
        if (n < need) {
            maybe = 1;
            continue;
        }
        if (magics[i].kind == DECOMPRESS_BZIP2 && (p[3] < '1' || p[3] > '9'))
            continue;
        return magics[i].kind;
    }
    return maybe ? -1 : DECOMPRESS_NONE;
}

const char *decompress_name(enum decompress_kind k)
{
    switch (k) {
    case DECOMPRESS_GZIP:
        return "gzip";
    case DECOMPRESS_BZIP2:
        return "bzip2";
    case DECOMPRESS_XZ:
        return "xz";
    case DECOMPRESS_ZSTD:
        return "zstd";
    case DECOMPRESS_NONE:
        break;
    }
    return NULL;
}

/* failf - remember the error for this and every later call; returns -1 */
static int failf(struct decompress *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int failf(struct decompress *z, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(z->err, sizeof z->err, fmt, ap);
    va_end(ap);
    z->state = DZ_FAILED;
    return -1;
}

static int corrupt(struct decompress *z, const char *why)
{
    return failf(z, "corrupt %s data: %s", decompress_name(z->kind), why);
}

/* ------------------------------------------------------------------ gzip: igzip or zlib */

#ifdef REJECTLENS_HAVE_ISAL
/*
 * ISA-L is fed a full input buffer (or the file's end) and decodes into gz_out, never into the
 * caller's memory, so that its calls fall at the same places however the file is read (the
 * reader's buffer, the thread ahead, a resume): what a call that fails has written is not
 * trusted and is dropped (an invalid distance is copied before it is refused, from the
 * history: stale bytes), and the lines before the damage must be the same in every read.
 */
#define GZ_OUT_SIZE (256 * 1024)

/* gzip_start - ready for a member (the first, or the next after one that ended) */
static int gzip_start(struct decompress *z)
{
    if (!z->lib_open) {
        z->gz = xcalloc(1, sizeof *z->gz); /* no stale heap bytes in its history */
        z->gz_out = xmalloc(GZ_OUT_SIZE);
        isal_inflate_init(z->gz);
    } else
        isal_inflate_reset(z->gz);
    isal_gzip_header_init(&z->gz_header);
    z->gz_in_header = 2;
    z->gz_out_len = z->gz_out_pos = 0;
    z->gz_member_done = z->gz_bad_check = 0;
    return 0;
}

static void gzip_end(struct decompress *z)
{
    free(z->gz);
    free(z->gz_out);
    z->gz = NULL;
    z->gz_out = NULL;
}

/* gzip_header - read a member's header; 1 to go on (done, or more input needed), -1 damaged */
static int gzip_header(struct decompress *z)
{
    struct inflate_state *s = z->gz;
    int rc;

    if (z->gz_in_header == 2) {
        /* RFC 1952: a reserved flag set is an error, as zlib and gzip -d say; ISA-L ignores it */
        if (z->len - z->pos < 4 && !z->in_eof)
            return 1; /* no progress: the driver reads more */
        if (z->len - z->pos >= 4 && (z->in[z->pos + 3] & 0xE0) != 0)
            return corrupt(z, "unknown header flags set");
        z->gz_in_header = 1;
    }
    /* isal_inflate reads a header itself with ISAL_GZIP, but 2.30 takes a header's CRC16, which
     * gzip -d and zlib accept, for a bad one */
    s->next_in = z->in + z->pos;
    s->avail_in = (uint32_t)(z->len - z->pos);
    rc = isal_read_gzip_header(s, &z->gz_header);
    z->pos = z->len - s->avail_in;
    if (rc == ISAL_END_INPUT) /* all taken: more is needed */
        return 1;
    if (rc == ISAL_UNSUPPORTED_METHOD)
        return corrupt(z, "unknown compression method");
    if (rc == ISAL_INCORRECT_CHECKSUM)
        return corrupt(z, "header crc mismatch");
    if (rc != ISAL_DECOMP_OK)
        return corrupt(z, "incorrect header");
    z->gz_in_header = 0;
    s->crc_flag = ISAL_GZIP_NO_HDR_VER; /* the data, then the trailer's CRC and length */
    return 1;
}

/* gzip_step - step() for gzip */
static int gzip_step(struct decompress *z, unsigned char *dst, size_t cap, size_t *o)
{
    struct inflate_state *s = z->gz;
    int rc;

    if (z->gz_out_pos == z->gz_out_len) {
        if (z->gz_bad_check)
            return corrupt(z, "incorrect data check (CRC or length)");
        if (z->gz_member_done)
            return 0;
        if (z->gz_in_header)
            return gzip_header(z);
        if (z->len - z->pos < IN_SIZE && !z->in_eof)
            return 1; /* no progress: the driver fills the buffer first */
        s->next_in = z->in + z->pos;
        s->avail_in = (uint32_t)(z->len - z->pos);
        s->next_out = z->gz_out;
        s->avail_out = GZ_OUT_SIZE;
        rc = isal_inflate(s);
        z->pos = z->len - s->avail_in;
        z->gz_out_pos = 0;
        /* a wrong trailer follows data decoded as it should be: delivered, as zlib does */
        z->gz_out_len =
            rc == ISAL_DECOMP_OK || rc == ISAL_INCORRECT_CHECKSUM ? GZ_OUT_SIZE - s->avail_out : 0;
        switch (rc) {
        case ISAL_DECOMP_OK:
            z->gz_member_done = s->block_state == ISAL_BLOCK_FINISH;
            if (z->gz_out_len == 0)
                return z->gz_member_done ? 0 : 1;
            break;
        case ISAL_INVALID_BLOCK:
            return corrupt(z, "invalid block");
        case ISAL_INVALID_SYMBOL:
            return corrupt(z, "invalid code");
        case ISAL_INVALID_LOOKBACK:
            return corrupt(z, "invalid distance too far back");
        case ISAL_INCORRECT_CHECKSUM:
            z->gz_bad_check = 1;
            break;
        default:
            return corrupt(z, "bad data");
        }
    }
    size_t n = z->gz_out_len - z->gz_out_pos;
    if (n > cap - *o)
        n = cap - *o;
    memcpy(dst + *o, z->gz_out + z->gz_out_pos, n);
    z->gz_out_pos += n;
    *o += n;
    return 1;
}
#else
static int gzip_start(struct decompress *z)
{
    if (z->lib_open)
        return inflateReset(&z->gz) == Z_OK ? 0 : failf(z, "zlib: cannot reset");
    memset(&z->gz, 0, sizeof z->gz);
    if (inflateInit2(&z->gz, 15 + 16) != Z_OK) /* 16: a gzip header, not zlib's */
        return failf(z, "zlib: cannot start (out of memory?)");
    return 0;
}

static void gzip_end(struct decompress *z)
{
    inflateEnd(&z->gz);
}

static int gzip_step(struct decompress *z, unsigned char *dst, size_t cap, size_t *o)
{
    int rc;

    z->gz.next_in = z->in + z->pos;
    z->gz.avail_in = (uInt)(z->len - z->pos);
    z->gz.next_out = dst + *o;
    z->gz.avail_out = (uInt)(cap - *o);
    rc = inflate(&z->gz, Z_NO_FLUSH);
    z->pos = z->len - z->gz.avail_in;
    *o = cap - z->gz.avail_out;
    if (rc == Z_STREAM_END)
        return 0;
    if (rc == Z_OK || rc == Z_BUF_ERROR)
        return 1;
    if (rc == Z_MEM_ERROR)
        return failf(z, "zlib: out of memory");
    return corrupt(z, z->gz.msg ? z->gz.msg : "bad data");
}
#endif

/* ------------------------------------------------------------------ every library */

/* lib_start - (re)initialise the library for a new member; 0 or -1 (z->err set) */
static int lib_start(struct decompress *z)
{
    int rc;

    switch (z->kind) {
    case DECOMPRESS_GZIP:
        if (gzip_start(z) < 0)
            return -1;
        break;
    case DECOMPRESS_BZIP2:
        if (z->lib_open)
            BZ2_bzDecompressEnd(&z->bz);
        z->lib_open = 0;
        memset(&z->bz, 0, sizeof z->bz);
        if ((rc = BZ2_bzDecompressInit(&z->bz, 0, 0)) != BZ_OK)
            return failf(z, "libbz2: cannot start (error %d)", rc);
        break;
    case DECOMPRESS_XZ: {
        lzma_stream init = LZMA_STREAM_INIT;
        z->xz = init;
        if (lzma_stream_decoder(&z->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
            return failf(z, "liblzma: cannot start (out of memory?)");
        break;
    }
    case DECOMPRESS_ZSTD:
        if ((z->zd = ZSTD_createDStream()) == NULL)
            return failf(z, "libzstd: cannot start (out of memory?)");
        if (ZSTD_isError(ZSTD_initDStream(z->zd)))
            return failf(z, "libzstd: cannot start");
        break;
    case DECOMPRESS_NONE:
        return failf(z, "bug: no compression to decode");
    }
    z->lib_open = 1;
    return 0;
}

static void lib_end(struct decompress *z)
{
    if (!z->lib_open)
        return;
    switch (z->kind) {
    case DECOMPRESS_GZIP:
        gzip_end(z);
        break;
    case DECOMPRESS_BZIP2:
        BZ2_bzDecompressEnd(&z->bz);
        break;
    case DECOMPRESS_XZ:
        lzma_end(&z->xz);
        break;
    case DECOMPRESS_ZSTD:
        ZSTD_freeDStream(z->zd);
        z->zd = NULL;
        break;
    case DECOMPRESS_NONE:
        break;
    }
    z->lib_open = 0;
}

struct decompress *decompress_new(enum decompress_kind k, int fd, const unsigned char *pre,
                                  size_t npre, struct diag *d)
{
    struct decompress *z = xcalloc(1, sizeof *z);

    z->kind = k;
    z->fd = fd;
    z->in = xmalloc(IN_SIZE);
    if (npre > IN_SIZE)
        npre = IN_SIZE; /* never: the caller sniffs a few bytes */
    memcpy(z->in, pre, npre);
    z->len = npre;
    z->in_total = (int64_t)npre;
    if (lib_start(z) < 0) {
        diag_set(d, "%s", z->err);
        decompress_free(z);
        return NULL;
    }
    return z;
}

static void ahead_stop(struct decompress *z);

void decompress_free(struct decompress *z)
{
    if (z == NULL)
        return;
    ahead_stop(z);
    lib_end(z);
    free(z->in);
    free(z);
}

int64_t decompress_in_bytes(const struct decompress *z)
{
    return z->ahead != NULL ? z->ahead->in_seen : z->in_total;
}

int64_t decompress_out_bytes(const struct decompress *z)
{
    return z->ahead != NULL ? z->ahead->out_seen : z->out_total;
}

/* refill - keep the undecoded bytes, read more after them; 0 (maybe at eof) or -1 */
static int refill(struct decompress *z)
{
    ssize_t n;

    if (z->pos > 0) {
        memmove(z->in, z->in + z->pos, z->len - z->pos);
        z->len -= z->pos;
        z->pos = 0;
    }
    do
        n = read(z->fd, z->in + z->len, IN_SIZE - z->len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return failf(z, "read error: %s", strerror(errno));
    if (n == 0)
        z->in_eof = 1;
    z->len += (size_t)n;
    z->in_total += n;
    return 0;
}

/*
 * step - decode from the buffer into dst[*o..cap): 1 to go on (progress made or more input
 * needed), 0 at the end of a member (gzip, bzip2) or of everything (xz), -1 on damage
 */
static int step(struct decompress *z, unsigned char *dst, size_t cap, size_t *o)
{
    size_t avail_in = z->len - z->pos, avail_out = cap - *o;
    int rc;

    switch (z->kind) {
    case DECOMPRESS_GZIP:
        return gzip_step(z, dst, cap, o);
    case DECOMPRESS_BZIP2:
        z->bz.next_in = (char *)(z->in + z->pos);
        z->bz.avail_in = (unsigned)avail_in;
        z->bz.next_out = (char *)(dst + *o);
        z->bz.avail_out = (unsigned)avail_out;
        rc = BZ2_bzDecompress(&z->bz);
        z->pos = z->len - z->bz.avail_in;
        *o = cap - z->bz.avail_out;
        if (rc == BZ_STREAM_END)
            return 0;
        if (rc == BZ_OK)
            return 1;
        if (rc == BZ_MEM_ERROR)
            return failf(z, "libbz2: out of memory");
        return corrupt(z, rc == BZ_DATA_ERROR_MAGIC ? "bad block header" : "bad block data");
    case DECOMPRESS_XZ: {
        lzma_action action = z->in_eof && avail_in == 0 ? LZMA_FINISH : LZMA_RUN;
        z->xz.next_in = z->in + z->pos;
        z->xz.avail_in = avail_in;
        z->xz.next_out = dst + *o;
        z->xz.avail_out = avail_out;
        lzma_ret lr = lzma_code(&z->xz, action);
        z->pos = z->len - z->xz.avail_in;
        *o = cap - z->xz.avail_out;
        switch (lr) {
        case LZMA_OK:
            return 1;
        case LZMA_STREAM_END:
            return 0;
        case LZMA_BUF_ERROR:
            /* no progress possible: at LZMA_FINISH, the file ended inside the data */
            return action == LZMA_FINISH
                       ? failf(z, "truncated xz data: the file ends inside the compressed stream")
                       : 1;
        case LZMA_MEM_ERROR:
        case LZMA_MEMLIMIT_ERROR:
            return failf(z, "liblzma: out of memory");
        case LZMA_FORMAT_ERROR:
            return corrupt(z, "not an xz stream after the first");
        case LZMA_OPTIONS_ERROR:
            return corrupt(z, "unsupported options");
        default:
            return corrupt(z, "compressed data are damaged");
        }
    }
    case DECOMPRESS_ZSTD: {
        ZSTD_inBuffer ib = {z->in + z->pos, avail_in, 0};
        ZSTD_outBuffer ob = {dst + *o, avail_out, 0};
        size_t r = ZSTD_decompressStream(z->zd, &ob, &ib);
        z->pos += ib.pos;
        *o += ob.pos;
        if (ZSTD_isError(r))
            return corrupt(z, ZSTD_getErrorName(r));
        if (ib.pos > 0 || ob.pos > 0)
            z->zstd_hint = r; /* a call without progress asks for the next frame's header */
        return 1;
    }
    case DECOMPRESS_NONE:
        break;
    }
    return failf(z, "bug: no compression to decode");
}

/* next_member - after a gzip or bzip2 member: 1 another follows (decoder restarted), 0 the
 * data end here (what follows is ignored), -1 error; may read the file */
static int next_member(struct decompress *z)
{
    static const unsigned char gz[] = {0x1F, 0x8B}, bz[] = {'B', 'Z', 'h'};
    const unsigned char *magic = z->kind == DECOMPRESS_GZIP ? gz : bz;
    size_t mlen = z->kind == DECOMPRESS_GZIP ? sizeof gz : sizeof bz;

    while (z->len - z->pos < mlen && !z->in_eof)
        if (refill(z) < 0)
            return -1;
    if (z->len - z->pos < mlen || memcmp(z->in + z->pos, magic, mlen) != 0)
        return 0;
    return lib_start(z) < 0 ? -1 : 1;
}

/* decode - up to cap decompressed bytes into dst: > 0, 0 at the end, -1 failed (z->err) */
static ssize_t decode(struct decompress *z, unsigned char *dst, size_t cap)
{
    size_t o = 0;

    while (o < cap && z->state != DZ_END && z->state != DZ_FAILED) {
        if (z->state == DZ_MEMBER_END) {
            if (o > 0)
                break; /* deliver before a read that may block */
            int more = next_member(z);
            if (more < 0)
                break;
            z->state = more ? DZ_RUN : DZ_END;
            continue;
        }
        if (z->pos == z->len && !z->in_eof) {
            if (o > 0)
                break;
            if (refill(z) < 0)
                break;
            continue;
        }
        size_t pos0 = z->pos, o0 = o;
        int r = step(z, dst, cap, &o);
        if (r < 0)
            break;
        if (r == 0) {
            z->state =
                z->kind == DECOMPRESS_XZ || z->kind == DECOMPRESS_ZSTD ? DZ_END : DZ_MEMBER_END;
            continue;
        }
        if (z->pos != pos0 || o != o0)
            continue;
        /* no progress: the decoder wants more input than the buffer holds */
        if (!z->in_eof) {
            if (o > 0)
                break;
            if (refill(z) < 0)
                break;
            continue;
        }
        if (z->kind == DECOMPRESS_ZSTD && z->zstd_hint == 0 && z->pos == z->len) {
            z->state = DZ_END; /* the last frame is complete */
            continue;
        }
        failf(z, "truncated %s data: the file ends inside the compressed stream",
              decompress_name(z->kind));
    }
    z->out_total += (int64_t)o;
    if (o > 0)
        return (ssize_t)o;
    return z->state == DZ_FAILED ? -1 : 0;
}

/* ahead_main - the decoder's thread: fill free blocks until the end, a failure or a stop */
static void *ahead_main(void *arg)
{
    struct decompress *z = arg;
    struct ahead *a = z->ahead;

    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (a->count == AHEAD_BLOCKS && !a->stop)
            pthread_cond_wait(&a->room, &a->mu);
        if (a->stop)
            break;
        /* the block after the decoded ones is the thread's until it is counted */
        struct ahead_block *b = &a->blk[(a->first + a->count) % AHEAD_BLOCKS];
        pthread_mutex_unlock(&a->mu);
        ssize_t n = decode(z, b->data, AHEAD_BLOCK_SIZE);
        pthread_mutex_lock(&a->mu);
        if (n <= 0) {
            a->done = 1;
            pthread_cond_signal(&a->more);
            break;
        }
        b->len = (size_t)n;
        b->pos = 0;
        b->in_total = z->in_total;
        a->count++;
        pthread_cond_signal(&a->more);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* ahead_free - the ring, its lock and conditions (no thread uses them any more) */
static void ahead_free(struct ahead *a)
{
    pthread_cond_destroy(&a->room);
    pthread_cond_destroy(&a->more);
    pthread_mutex_destroy(&a->mu);
    for (size_t i = 0; i < AHEAD_BLOCKS; i++)
        free(a->blk[i].data);
    free(a);
}

int decompress_run_ahead(struct decompress *z)
{
    struct ahead *a;
    sigset_t all, old;
    int rc;

    if (z->ahead != NULL)
        return 0;
    a = xcalloc(1, sizeof *a);
    for (size_t i = 0; i < AHEAD_BLOCKS; i++)
        a->blk[i].data = xmalloc(AHEAD_BLOCK_SIZE);
    a->in_seen = z->in_total;
    a->out_seen = z->out_total;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->more, NULL);
    pthread_cond_init(&a->room, NULL);
    z->ahead = a;
    /* signals are the caller's: the thread starts with them blocked */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&a->thread, NULL, ahead_main, z);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        return 0;
    z->ahead = NULL; /* no thread: decoded in the caller's, as before */
    ahead_free(a);
    return -1;
}

/* ahead_stop - stop and join the decoder's thread, if any, and free its ring */
static void ahead_stop(struct decompress *z)
{
    struct ahead *a = z->ahead;

    if (a == NULL)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_signal(&a->room);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    ahead_free(a);
    z->ahead = NULL;
}

/* ahead_read - decompress_read from the ring */
static ssize_t ahead_read(struct decompress *z, unsigned char *dst, size_t cap, struct diag *d)
{
    struct ahead *a = z->ahead;
    struct ahead_block *b;
    size_t k;

    pthread_mutex_lock(&a->mu);
    while (a->count == 0 && !a->done)
        pthread_cond_wait(&a->more, &a->mu);
    if (a->count == 0) { /* the thread is done: what it left in z is read-only now */
        pthread_mutex_unlock(&a->mu);
        return z->state == DZ_FAILED ? diag_set(d, "%s", z->err) : 0;
    }
    b = &a->blk[a->first];
    pthread_mutex_unlock(&a->mu);
    /* the first decoded block is this thread's until it is given back */
    k = b->len - b->pos < cap ? b->len - b->pos : cap;
    memcpy(dst, b->data + b->pos, k);
    b->pos += k;
    pthread_mutex_lock(&a->mu);
    a->out_seen += (int64_t)k;
    a->in_seen = b->in_total;
    if (b->pos == b->len) {
        a->first = (a->first + 1) % AHEAD_BLOCKS;
        a->count--;
        pthread_cond_signal(&a->room);
    }
    pthread_mutex_unlock(&a->mu);
    return (ssize_t)k;
}

ssize_t decompress_read(struct decompress *z, unsigned char *dst, size_t cap, struct diag *d)
{
    ssize_t n;

    if (cap == 0)
        return 0;
    if (z->ahead != NULL)
        return ahead_read(z, dst, cap, d);
    if ((n = decode(z, dst, cap)) < 0)
        return diag_set(d, "%s", z->err);
    return n;
}
