/*
 * logfiles - the files a run reads: globs expanded, and every list put oldest first
 *
 * Parser state (a queue id's sender) must flow forward in time, so the files of a rotation set
 * are read oldest first, whatever order a shell or glob(3) gives them in:
 *
 *	mail.log.3.gz  mail.log.2.gz  mail.log.1  mail.log         (numbered: higher is older)
 *	mail.log-20260301.gz  mail.log-20260302  mail.log          (dateext: earlier is older)
 *
 * A compression suffix (.gz .bz2 .xz .zst) is ignored when reading the name. The live file
 * (no rotation suffix) comes after its rotated copies. Modification times are not trusted
 * within a set: logrotate's compression gives mail.log.2.gz a newer mtime than mail.log.1.
 * Different sets (and files whose names say nothing about their age, like Exchange's
 * MSGTRK2026030110-1.LOG) keep the order they were named in (files given on the command
 * line), or are ordered by the oldest modification time in the set, then by name (the
 * matches of a glob, which come in no useful order). Standard input ("-") stays last.
 */
#ifndef REJECTLENS_LOGFILES_H
#define REJECTLENS_LOGFILES_H

#include <stddef.h>

#include "diag.h"

struct logfiles {
    char **paths; /* owned */
    size_t n, cap;
    char **skipped; /* "path: why" of each match that is no file to read (owned) */
    size_t nskipped;
};

/*
 * logfiles_glob - append the regular files that match pattern (glob(3); a path without
 * wildcards is taken as it is, even when missing, so that reading it reports the error).
 * A match that is neither a regular file nor a directory (a FIFO, a socket, a device), or
 * that cannot be followed (a symbolic link that loops or leads nowhere, a directory not
 * searchable), is not read: it goes to lf->skipped for the caller to report.
 * Returns the number of paths added (0: nothing matched), or -1 with d set (a directory
 * that cannot be read).
 */
int logfiles_glob(struct logfiles *lf, const char *pattern, struct diag *d);

/* logfiles_add - append one path (copied) */
void logfiles_add(struct logfiles *lf, const char *path);

/*
 * logfiles_order - sort oldest first (see above); keep_sets: different sets stay in the order
 * given. A path named twice is kept once.
 */
void logfiles_order(struct logfiles *lf, int keep_sets);

void logfiles_free(struct logfiles *lf);

#endif
