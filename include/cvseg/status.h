/* status.h: status codes and the error record of the whole engine.
 *
 * Every function that can fail returns a cvseg_status: CVSEG_OK (0) or a
 * negative code from the one list below. Results go through out-parameters.
 * A failing function records "file:line: message" with CVSEG_FAIL; the app
 * layer prints the record once and maps the status to a process exit code.
 *
 * The record is per thread (_Thread_local): a kernel running inside an OpenMP
 * region may record its own failure without racing with other threads; the
 * code that joins the threads copies it out (cvseg_error_copy).
 */
#ifndef CVSEG_STATUS_H
#define CVSEG_STATUS_H

#include <stddef.h>

/* X(name, value, exit code, short description) */
#define CVSEG_STATUS_LIST(X)                                                                       \
    X(OK, 0, 0, "ok")                                                                              \
    X(EUSAGE, -1, 1, "usage or configuration error")                                               \
    X(EDATA, -2, 2, "bad input data")                                                              \
    X(EIO, -3, 3, "I/O error")                                                                     \
    X(EMPI, -4, 4, "MPI error")                                                                    \
    X(ENOCONV, -5, 5, "did not converge")                                                          \
    X(EDRIFT, -6, 6, "drift above threshold")                                                      \
    X(EINTERRUPTED, -7, 7, "interrupted; checkpoint written")                                      \
    X(ENOMEM, -8, 70, "out of memory")                                                             \
    X(EINTERNAL, -9, 70, "internal error")

typedef enum {
#define CVSEG_X_ENUM(name, value, exitcode, text) CVSEG_##name = (value),
    CVSEG_STATUS_LIST(CVSEG_X_ENUM)
#undef CVSEG_X_ENUM
} cvseg_status;

/* "EDATA" etc.; "UNKNOWN" for a value not in the list. */
const char *cvseg_status_name(cvseg_status status);
/* One-line description of the status class. */
const char *cvseg_strerror(cvseg_status status);
/* Process exit code documented for the status (0,1,2,3,4,5,6,7,70). */
int cvseg_status_exit_code(cvseg_status status);

/* Records a failure of this thread: status and "file:line: formatted message".
 * Returns status so callers can write `st = CVSEG_FAIL(...)`. A later record
 * replaces an earlier one only when no record is held (first failure wins). */
cvseg_status cvseg_error_record(cvseg_status status, const char *file, int line, const char *fmt,
                                ...) __attribute__((format(printf, 4, 5)));
#define CVSEG_FAIL(status, ...) cvseg_error_record((status), __FILE__, __LINE__, __VA_ARGS__)

/* The message recorded by this thread ("" when none), without the file:line
 * prefix, and the location ("file:line"). */
const char *cvseg_error_message(void);
const char *cvseg_error_location(void);
cvseg_status cvseg_error_status(void);
/* Clears this thread's record. */
void cvseg_error_clear(void);
/* Replaces this thread's record with the given status and message text
 * (used to adopt a message received from another rank or thread). */
void cvseg_error_set_message(cvseg_status status, const char *location, const char *message);

#define CVSEG_ERROR_MESSAGE_MAX 512

#endif
