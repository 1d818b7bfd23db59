/*
 * logfiles - the files a run reads: globs expanded, and every list put oldest first
 * (see logfiles.h)
 *
 * DESCRIPTION
 *	Each path gets a sort key computed once: the rotation set it belongs to (its path with
 *	the rotation and compression suffixes taken off), the oldest mtime of that set, and its
 *	age within the set. Sorting by a precomputed tuple keeps the order total and transitive.
 */
#include "logfiles.h"
#include "xalloc.h"

#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void logfiles_add(struct logfiles *lf, const char *path)
{
    if (lf->n == lf->cap) {
        lf->cap = lf->cap ? lf->cap * 2 : 16;
        lf->paths = xreallocarray(lf->paths, lf->cap, sizeof *lf->paths);
    }
    lf->paths[lf->n++] = xstrdup(path);
}

void logfiles_free(struct logfiles *lf)
{
    for (size_t i = 0; i < lf->n; i++)
        free(lf->paths[i]);
    free(lf->paths);
    for (size_t i = 0; i < lf->nskipped; i++)
        free(lf->skipped[i]);
    free(lf->skipped);
    memset(lf, 0, sizeof *lf);
}

/* skip - remember a match that is not read, and why */
static void skip(struct logfiles *lf, const char *path, const char *why)
{
    size_t n = strlen(path) + strlen(why) + 3;
    char *s = xmalloc(n);

    snprintf(s, n, "%s: %s", path, why);
    lf->skipped = xreallocarray(lf->skipped, lf->nskipped + 1, sizeof *lf->skipped);
    lf->skipped[lf->nskipped++] = s;
}

/* kind - what a match that is no regular file is, for the message */
static const char *kind(mode_t m)
{
    return S_ISFIFO(m)                ? "a FIFO, not a log file: not read"
           : S_ISSOCK(m)              ? "a socket, not a log file: not read"
           : S_ISCHR(m) || S_ISBLK(m) ? "a device, not a log file: not read"
                                      : "not a regular file: not read";
}

static int glob_error(const char *path, int err)
{
    (void)path;
    (void)err;
    return 0; /* an unreadable directory: reported below as "nothing matched" */
}

int logfiles_glob(struct logfiles *lf, const char *pattern, struct diag *d)
{
    glob_t g;
    int rc, added = 0;

    if (strpbrk(pattern, "*?[") == NULL) {
        logfiles_add(lf, pattern);
        return 1;
    }
    memset(&g, 0, sizeof g);
    rc = glob(pattern, GLOB_NOSORT, glob_error, &g);
    if (rc == GLOB_NOMATCH) {
        globfree(&g);
        return 0;
    }
    if (rc != 0) {
        globfree(&g);
        return diag_set(d, "%s: cannot expand the pattern (%s)", pattern,
                        rc == GLOB_NOSPACE ? "out of memory" : "read error");
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct stat sb;
        /* a directory in /var/log is no log, and says so by its nature; anything else that
         * is not a file is worth a word (a FIFO would block the run, a loop never resolves) */
        if (stat(g.gl_pathv[i], &sb) < 0) {
            skip(lf, g.gl_pathv[i], strerror(errno));
        } else if (S_ISREG(sb.st_mode)) {
            logfiles_add(lf, g.gl_pathv[i]);
            added++;
        } else if (!S_ISDIR(sb.st_mode)) {
            skip(lf, g.gl_pathv[i], kind(sb.st_mode));
        }
    }
    globfree(&g);
    return added;
}

struct key {
    char *path;
    char *set;        /* the path without rotation and compression suffixes */
    int cls;          /* 0 dated copy, 1 numbered copy, 2 the live file, 3 standard input */
    int64_t age;      /* dated: the date (ascending); numbered: -N (so .3 before .1) */
    int64_t mtime;    /* of this file */
    int64_t set_rank; /* the oldest mtime of its set, or where the set was first named */
    size_t given;     /* position in the list as given */
};

static int all_digits(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* classify - split a path into its set and its age within the set */
static void classify(struct key *k)
{
    static const char *const zext[] = {".gz", ".bz2", ".xz", ".zst", ".zstd"};
    size_t len = strlen(k->path);
    const char *base = strrchr(k->path, '/');
    size_t base_at = base ? (size_t)(base - k->path) + 1 : 0;

    if (strcmp(k->path, "-") == 0) {
        k->set = xstrdup("-");
        k->cls = 3;
        return;
    }
    for (size_t i = 0; i < sizeof zext / sizeof zext[0]; i++) {
        size_t e = strlen(zext[i]);
        if (len > base_at + e && strcmp(k->path + len - e, zext[i]) == 0) {
            len -= e;
            break;
        }
    }
    k->cls = 2;
    k->age = 0;
    /* the last '.' or '-' of the name, and what follows it */
    for (size_t i = len; i > base_at + 1; i--) {
        char c = k->path[i - 1];
        if (c != '.' && c != '-')
            continue;
        const char *suf = k->path + i;
        size_t n = len - i;
        if (!all_digits(suf, n))
            break;
        if (n >= 8 && n <= 14) { /* dateext: 20260301, 2026030112, ... */
            k->cls = 0;
            k->age = strtoll(suf, NULL, 10);
            for (size_t pad = n; pad < 14; pad++)
                k->age *= 10; /* the same unit whatever the length */
            len = i - 1;
        } else if (c == '.' && n <= 4) { /* mail.log.1 .. mail.log.9999 */
            k->cls = 1;
            k->age = -strtoll(suf, NULL, 10);
            len = i - 1;
        }
        break;
    }
    k->set = xstrndup(k->path, len);
}

static int cmp_set(const void *a, const void *b)
{
    const struct key *x = a, *y = b;

    return strcmp(x->set, y->set);
}

static int cmp_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    int c;

    if ((x->cls == 3) != (y->cls == 3))
        return x->cls == 3 ? 1 : -1;
    if (x->set_rank != y->set_rank)
        return x->set_rank < y->set_rank ? -1 : 1;
    if ((c = strcmp(x->set, y->set)) != 0)
        return c;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    if (x->age != y->age)
        return x->age < y->age ? -1 : 1;
    if (x->mtime != y->mtime)
        return x->mtime < y->mtime ? -1 : 1;
    return strcmp(x->path, y->path);
}

void logfiles_order(struct logfiles *lf, int keep_sets)
{
    struct key *k;
    size_t n = lf->n, out = 0;

    if (n == 0)
        return;
    k = xcalloc(n, sizeof *k);
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        k[i].path = lf->paths[i];
        k[i].given = i;
        classify(&k[i]);
        k[i].mtime = stat(k[i].path, &sb) == 0
                         ? (int64_t)sb.st_mtim.tv_sec * 1000000000 + (int64_t)sb.st_mtim.tv_nsec
                         : INT64_MAX;
    }
    /* the rank of each set, found by grouping the sets together */
    qsort(k, n, sizeof *k, cmp_set);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int64_t oldest = INT64_MAX, first = INT64_MAX;
        while (j < n && strcmp(k[j].set, k[i].set) == 0) {
            if (k[j].mtime < oldest)
                oldest = k[j].mtime;
            if ((int64_t)k[j].given < first)
                first = (int64_t)k[j].given;
            j++;
        }
        for (size_t m = i; m < j; m++)
            k[m].set_rank = keep_sets ? first : oldest;
        i = j;
    }
    qsort(k, n, sizeof *k, cmp_key);
    for (size_t i = 0; i < n; i++) {
        if (out > 0 && strcmp(lf->paths[out - 1], k[i].path) == 0 && strcmp(k[i].path, "-")) {
            free(k[i].path); /* named twice */
        } else {
            lf->paths[out++] = k[i].path;
        }
        free(k[i].set);
    }
    lf->n = out;
    free(k);
}
