/* finalize_fault_shim.c: an LD_PRELOAD library for test_finalize_fault.sh.
 * Its MPI_Finalize calls the real one and then faults on another thread
 * ("Address not mapped"), as Open MPI 4.1's progress thread sometimes does
 * while finalize tears it down (see src/app/main.c). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

static void *shim_fault(void *unused)
{
    (void)unused;
    volatile int *unmapped = (volatile int *)16;
    *unmapped = 1;
    return NULL;
}

int MPI_Finalize(void)
{
    int (*real_finalize)(void) = (int (*)(void))dlsym(RTLD_NEXT, "MPI_Finalize");
    int status = real_finalize != NULL ? real_finalize() : 0;
    pthread_t thread;
    if (pthread_create(&thread, NULL, shim_fault, NULL) == 0)
        pthread_join(thread, NULL);
    return status;
}
