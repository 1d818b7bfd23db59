/*
 * dynload - a shared library loaded when a command first needs it (see dynload.h)
 */
#include "dynload.h"

#include <dlfcn.h>
#include <stddef.h>

/* POSIX guarantees that dlsym's object pointer converts to a function pointer of that size */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "dlsym needs function pointers that fit");

int dynload_functions(const char *soname, const char *what, const char *package,
                      const char *const *names, void *const *slots, size_t n, struct diag *d)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);

    if (lib == NULL) {
        const char *why = dlerror();
        return diag_set(d, "%s needs %s, which cannot be loaded (%s): install Debian's %s", what,
                        soname, why != NULL ? why : "no reason given", package);
    }
    for (size_t i = 0; i < n; i++) {
        void *sym = dlsym(lib, names[i]); /* a function's address is never NULL */
        if (sym == NULL)
            return diag_set(d, "%s has no %s: it is older than the one rejectlens was built with",
                            soname, names[i]);
        /* slots[i] points to a function pointer: stored as POSIX's rationale for dlsym shows,
         * without the cast from object to function pointer that ISO C does not have (memcpy
         * would do as well, but gcc 12's -fanalyzer then takes sym for uninitialised) */
        *(void **)slots[i] = sym;
    }
    return 0;
}
