/*
 * dynload - a shared library loaded when a command first needs it (see dynload.h)
 */
#include "dynload.h"

#include <dlfcn.h>
#include <stddef.h>

/* POSIX guarantees that dlsym's object pointer converts to a function pointer of that size */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "dlsym needs function pointers that fit");

void *dynload_library(const char *soname, const char *what, const char *package, struct diag *d)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);

    if (lib == NULL) {
        const char *why = dlerror();
        diag_set(d, "%s needs %s, which cannot be loaded (%s): install Debian's %s", what, soname,
                 why != NULL ? why : "no reason given", package);
    }
    return lib;
}

int dynload_symbol(void *lib, const char *soname, const char *name, void *fn, struct diag *d)
{
    void *sym = dlsym(lib, name); /* a function's address is never NULL */

    if (sym == NULL)
        return diag_set(d, "%s has no %s: it is older than the one rejectlens was built with",
                        soname, name);
    /* fn points to a function pointer: stored as POSIX's rationale for dlsym shows, without the
     * cast from object to function pointer that ISO C does not have (memcpy would do as well,
     * but gcc 12's -fanalyzer then takes sym for uninitialised) */
    *(void **)fn = sym;
    return 0;
}
