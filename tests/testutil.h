/*
 * testutil - small helpers the Check suites share: temp dirs, files, running the binary
 */
#ifndef REJECTLENS_TESTUTIL_H
#define REJECTLENS_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* tu_run_suite - run one suite, return the process exit status for main() */
int tu_run_suite(Suite *s);

/* tu_tempdir - a fresh directory under $TMPDIR, removed at exit; returns a static path */
const char *tu_tempdir(void);

/* tu_write_file - write n bytes (or strlen when n is -1) to path; aborts the test on failure */
void tu_write_file(const char *path, const char *data, long n);

/* tu_read_file - the whole file, NUL-terminated, malloc'ed; NULL when unreadable */
char *tu_read_file(const char *path, size_t *len);

/*
 * tu_run - run a shell command line, capturing stdout and stderr (each malloc'ed, may be
 * NULL when not wanted); returns the exit status, or -1 when it did not exit normally.
 */
int tu_run(const char *cmd, char **out, char **err);

/* tu_exists - 1 when the path exists */
int tu_exists(const char *path);

#endif
