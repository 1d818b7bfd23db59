/*
 * test_ahead_nothread - test_ahead when the reading thread cannot be started: the file is read
 * by the parser's thread alone, and everything the hooks see is still the same
 *
 * This suite's copy of ingest/ahead.c is built with pthread_create renamed to
 * failing_pthread_create (tests/CMakeLists.txt), which refuses as pthread_create does when a
 * process is at its limit of threads (EAGAIN). The archive's ahead.o is then never linked.
 */
#define AHEAD_NOTHREAD 1
#include "test_ahead.c"
