/*
 * testutil - small helpers the Check suites share (see testutil.h)
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tempdir[512];

static void remove_tempdir(void)
{
    char cmd[600];

    if (tempdir[0] != '\0' && getenv("REJECTLENS_KEEP_TMP") == NULL) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tempdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tempdir);
    }
}

const char *tu_tempdir(void)
{
    const char *base = getenv("TMPDIR");

    if (tempdir[0] != '\0')
        return tempdir;
    snprintf(tempdir, sizeof tempdir, "%s/rejectlens-test-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(tempdir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    atexit(remove_tempdir);
    return tempdir;
}

void tu_write_file(const char *path, const char *data, long n)
{
    FILE *f = fopen(path, "wb");

    ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
    size_t len = n < 0 ? strlen(data) : (size_t)n;
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            if (buf == NULL)
                abort();
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int tu_run(const char *cmd, char **out, char **err)
{
    char outp[600], errp[600], *full;
    const char *dir = tu_tempdir();
    static int seq;
    int status;
    size_t n = strlen(cmd) + 1300;

    snprintf(outp, sizeof outp, "%s/run-%d-%d.out", dir, (int)getpid(), seq);
    snprintf(errp, sizeof errp, "%s/run-%d-%d.err", dir, (int)getpid(), seq++);
    full = malloc(n);
    if (full == NULL)
        abort();
    snprintf(full, n, "( %s ) >'%s' 2>'%s'", cmd, outp, errp);
    status = system(full);
    free(full);
    if (out)
        *out = tu_read_file(outp, NULL);
    if (err)
        *err = tu_read_file(errp, NULL);
    unlink(outp);
    unlink(errp);
    if (status == -1 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int tu_exists(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0;
}

int tu_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
