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

#include <stddef.h>

/*
 * dynload_functions - load the library soname (e.g. "libpq.so.5") for what (e.g. "a PostgreSQL
 * database") and store the address of each function names[i] in *slots[i], a function pointer
 * of that function's own type. 0; or -1, the slots untouched or partly filled, and one line
 * naming the library, and the Debian package to install (package) when the library is missing.
 */
int dynload_functions(const char *soname, const char *what, const char *package,
                      const char *const *names, void *const *slots, size_t n, struct diag *d);

#endif
