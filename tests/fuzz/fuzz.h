/*
 * fuzz - what the fuzz targets share (see README.md in this folder)
 *
 * Every target defines LLVMFuzzerTestOneInput(). Built with clang -fsanitize=fuzzer it is a
 * libFuzzer binary (tests/fuzz/run); built with driver.c it replays files and folders of inputs
 * (the seeds and the regressions, in every ctest run, with gcc or clang).
 *
 * A target checks more than "no crash": FUZZ_CHECK states a property of the code under test
 * (a pointer stays inside its line, a saved state loads back to the same bytes) and aborts
 * with a message when it does not hold, which libFuzzer and the driver report as a crash.
 */
#ifndef REJECTLENS_FUZZ_H
#define REJECTLENS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_fail - print "fuzz check failed: what (file:line)" and abort */
__attribute__((noreturn)) void fuzz_fail(const char *what, const char *file, int line);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(#cond, __FILE__, __LINE__);                                                  \
    } while (0)

/* fuzz_strdup - a NUL-terminated heap copy of p[0..n) (NUL bytes inside stay) */
char *fuzz_strdup(const uint8_t *p, size_t n);

/* fuzz_next_line - cut the next line off [*pp, end): 1 with *line, *len set (without "\n"), 0 at
 * the end */
int fuzz_next_line(const char **pp, const char *end, const char **line, size_t *len);

/* fuzz_touch - read every byte of a NUL-terminated string (a sanitizer sees a bad pointer);
 * returns its length; NULL is 0 */
size_t fuzz_touch(const char *s);

/* fuzz_utf8_valid - 1 when p[0..n) is well-formed UTF-8 */
int fuzz_utf8_valid(const char *p, size_t n);

#endif
