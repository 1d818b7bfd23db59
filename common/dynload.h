/*
 * dynload - a shared library loaded when a command first needs it, not when rejectlens starts
 *
 * libcurl (mailing a report) and libpq (the PostgreSQL store) bring some thirty libraries with
 * them (TLS, Kerberos, LDAP, HTTP/2, ...). Linked in, the dynamic loader mapped and relocated
 * all 41 libraries at every start: `rejectlens --version` took 12 ms of CPU, 3 to 4 without
 * them, and every ingest, query and trace paid the same, though few runs mail and fewer use
 * PostgreSQL. Loaded here, only those runs pay it.
 *
 * A library is opened once and never closed (RTLD_NODELETE): TLS libraries register exit
 * handlers that must not outlive their code. The handle is the dynamic loader's, counted by it;
 * there is nothing for the caller to free.
 */
#ifndef REJECTLENS_DYNLOAD_H
#define REJECTLENS_DYNLOAD_H

#include "diag.h"

/*
 * dynload_library - the library soname (e.g. "libpq.so.5"), loaded for what (e.g. "the
 * PostgreSQL store"); NULL and a message naming both, and the Debian package to install, when
 * it cannot be loaded
 */
void *dynload_library(const char *soname, const char *what, const char *package, struct diag *d);

/*
 * dynload_symbol - the address of name in lib (from dynload_library), stored in *fn, which is a
 * function pointer of the symbol's own type; -1 and a message naming soname when it is missing
 * (a library older than the one rejectlens was built against)
 */
int dynload_symbol(void *lib, const char *soname, const char *name, void *fn, struct diag *d);

#endif
