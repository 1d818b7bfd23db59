/*
 * progress - a progress bar on standard error for long ingests (see progress.h)
 */
#include "progress.h"
#include "xalloc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH   20
#define MIN_SECONDS 1.0 /* draw nothing before the run has lasted this long */
#define EVERY       0.2 /* seconds between redraws */

struct progress {
    int64_t *sizes;
    size_t n;
    int64_t total;
    int64_t done_before; /* bytes of the files before the current one */
    int64_t skipped;     /* bytes skipped (read by earlier runs): not part of the rate */
    size_t file;
    int64_t file_skipped;
    double t0, last;
    int drawn;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int progress_mode(const char *mode)
{
    if (mode == NULL || strcmp(mode, "auto") == 0)
        return isatty(STDERR_FILENO);
    if (strcmp(mode, "always") == 0)
        return 1;
    if (strcmp(mode, "never") == 0)
        return 0;
    return -1;
}

struct progress *progress_start(int on, const int64_t *sizes, size_t nfiles)
{
    struct progress *pg;

    if (!on)
        return NULL;
    pg = xcalloc(1, sizeof *pg);
    pg->sizes = xcalloc(nfiles ? nfiles : 1, sizeof *pg->sizes);
    pg->n = nfiles;
    for (size_t i = 0; i < nfiles; i++) {
        pg->sizes[i] = sizes[i] > 0 ? sizes[i] : 0;
        pg->total += pg->sizes[i];
    }
    pg->t0 = pg->last = now();
    return pg;
}

/* human - 412.3 MB, 2.41 M, 198 k */
static void human(double v, const char *unit, char *buf, size_t cap)
{
    if (v >= 1e9)
        snprintf(buf, cap, "%.2f G%s", v / 1e9, unit);
    else if (v >= 1e6)
        snprintf(buf, cap, "%.2f M%s", v / 1e6, unit);
    else if (v >= 1e3)
        snprintf(buf, cap, "%.0f k%s", v / 1e3, unit);
    else
        snprintf(buf, cap, "%.0f %s", v, unit);
}

void progress_update(struct progress *pg, size_t file, int64_t pos, int64_t skipped, int64_t lines)
{
    char bar[BAR_WIDTH + 1], done_s[32], total_s[32], lines_s[32], rate_s[32], eta[32];
    double t, secs, rate_b;
    int64_t done;

    if (pg == NULL || file >= pg->n)
        return;
    while (pg->file < file) { /* files finished (or not opened) */
        pg->done_before += pg->sizes[pg->file];
        pg->file++;
        pg->file_skipped = 0;
    }
    if (skipped > pg->file_skipped) {
        pg->skipped += skipped - pg->file_skipped;
        pg->file_skipped = skipped;
    }
    t = now();
    secs = t - pg->t0;
    if (secs < MIN_SECONDS || t - pg->last < EVERY)
        return;
    pg->last = t;
    if (pos > pg->sizes[file])
        pos = pg->sizes[file];
    done = pg->done_before + pos;
    int fill = pg->total > 0 ? (int)((double)done / (double)pg->total * BAR_WIDTH) : BAR_WIDTH;
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    human((double)done, "B", done_s, sizeof done_s);
    human((double)pg->total, "B", total_s, sizeof total_s);
    human((double)lines, " lines", lines_s, sizeof lines_s);
    human((double)lines / secs, " lines/s", rate_s, sizeof rate_s);
    rate_b = (double)(done - pg->skipped) / secs;
    if (rate_b > 0) {
        long left = (long)((double)(pg->total - done) / rate_b);
        snprintf(eta, sizeof eta, "ETA %ld:%02ld", left / 60, left % 60);
    } else {
        snprintf(eta, sizeof eta, "ETA -:--");
    }
    fprintf(stderr, "\r[%s] %3d%%  %s/%s  %s  %s  %s ", bar,
            pg->total > 0 ? (int)(100.0 * (double)done / (double)pg->total) : 100, done_s, total_s,
            lines_s, rate_s, eta);
    fflush(stderr);
    pg->drawn = 1;
}

void progress_end(struct progress *pg)
{
    if (pg == NULL)
        return;
    if (pg->drawn)
        fprintf(stderr, "\r%*s\r", 100, "");
    free(pg->sizes);
    free(pg);
}
