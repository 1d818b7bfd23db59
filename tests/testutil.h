/*
 * testutil - small helpers the Check suites share: temp dirs, files, running the binary
 */
#ifndef REJECTLENS_TESTUTIL_H
#define REJECTLENS_TESTUTIL_H

#include <check.h>
#include <pthread.h>
#include <stddef.h>

/* tu_run_suite - run one suite, return the process exit status for main() */
int tu_run_suite(Suite *s);

/*
 * failing_pthread_create - refuses as pthread_create does when a process is at its limit of
 * threads (EAGAIN), counting the refusals in tu_threads_refused. A suite that builds its own
 * copy of a module with pthread_create renamed to it (tests/CMakeLists.txt) sees how the module
 * does without its thread.
 */
int failing_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
                           void *arg);
extern int tu_threads_refused;

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

/*
 * tu_postfix_log - write a Postfix log (RFC 3339 times, so no year is guessed) of `steps`
 * steps to path: each step starts a message (client, message-id, from=) and finishes the one
 * started `window` steps before (to= with sent, bounced or deferred; removed), and every few
 * steps a NOQUEUE reject. So a message's lines straddle any cut, and the parser's queue-id
 * state must flow across batches, runs and files. Deterministic; returns the lines written.
 */
long tu_postfix_log(const char *path, long steps, long window);

/* tu_copy_lines - append (or write, when !append) lines [from, to) of src to dst; 0-based */
void tu_copy_lines(const char *src, const char *dst, long from, long to, int append);

/*
 * tu_db_dump - every row of events and reply_texts, the sources (all but their times) and
 * the parser state, ordered by id, as text (malloc'ed): two databases with equal dumps hold
 * the same data row for row. Uses the sqlite3 shell.
 */
char *tu_db_dump(const char *db);

/* tu_db_dump_content - the events without ids, sources or offsets, sorted: the same lines
 * read in other files or other pieces give the same content (malloc'ed) */
char *tu_db_dump_content(const char *db);

/* tu_sql_int - the integer the sqlite3 shell prints for sql on db; -1 when it fails */
long tu_sql_int(const char *db, const char *sql);

#endif
