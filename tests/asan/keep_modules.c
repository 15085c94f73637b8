/* keep_modules.c: linked into the sanitized executables only (tests/asan).
 * Open MPI unloads its plug-ins (mca_*.so) with dlclose before exit, after
 * which LeakSanitizer cannot name the module that allocated what they keep, so
 * lsan.supp could not suppress it. This dlclose leaves every module mapped
 * until the process ends (the executable's definition takes precedence over
 * libc's; -rdynamic exports it to the libraries). */
#include <dlfcn.h>

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
