/*
 * driver - replays inputs through a fuzz target without libFuzzer
 *
 *	fuzz_postfix [-v] PATH...
 *
 * Each PATH is a file (one input) or a folder (every file in it, in name order; folders inside
 * are not entered). A PATH that does not exist is skipped with a note: a target may have no
 * regressions yet. Prints how many inputs ran; a failed check aborts with its message, which
 * makes the ctest that runs this fail. Linked into every target in builds without
 * -fsanitize=fuzzer, so the gcc builds of ./run-tests replay what the fuzzers found.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int verbose;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    do {
        if (cap - len < 65536) {
            uint8_t *bigger = realloc(buf, cap = cap ? cap * 2 : 65536);
            if (bigger == NULL)
                abort();
            buf = bigger;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    if (ferror(f)) {
        fprintf(stderr, "%s: read error\n", path);
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    if (verbose)
        fprintf(stderr, "%s (%zu bytes)\n", path, len);
    /* an exact-size copy, so that a read past the end is caught by the sanitizers */
    uint8_t *exact = malloc(len ? len : 1);
    if (exact == NULL)
        abort();
    if (len > 0)
        memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    long inputs = 0, failed = 0;

    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
            continue;
        }
        if (stat(argv[i], &sb) < 0) {
            printf("%s: absent, skipped\n", argv[i]);
            continue;
        }
        if (!S_ISDIR(sb.st_mode)) {
            failed += run_file(argv[i]) < 0;
            inputs++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, NULL, by_name);
        if (n < 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            failed++;
            continue;
        }
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
            if (names[k]->d_name[0] != '.' && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
                failed += run_file(path) < 0;
                inputs++;
            }
            free(names[k]);
        }
        free(names);
    }
    printf("%s: %ld inputs replayed\n", argv[0], inputs - failed);
    return failed ? 1 : 0;
}
