/* status.c: names, exit codes and the per-thread error record. */
#include "cvseg/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    cvseg_status status;
    char location[128];
    char message[CVSEG_ERROR_MESSAGE_MAX];
} status_error_record;

static _Thread_local status_error_record status_thread_error;

const char *cvseg_status_name(cvseg_status status)
{
    switch (status) {
#define CVSEG_X_NAME(name, value, exitcode, text)                                                  \
    case CVSEG_##name:                                                                             \
        return #name;
        CVSEG_STATUS_LIST(CVSEG_X_NAME)
#undef CVSEG_X_NAME
    }
    return "UNKNOWN";
}

const char *cvseg_strerror(cvseg_status status)
{
    switch (status) {
#define CVSEG_X_TEXT(name, value, exitcode, text)                                                  \
    case CVSEG_##name:                                                                             \
        return text;
        CVSEG_STATUS_LIST(CVSEG_X_TEXT)
#undef CVSEG_X_TEXT
    }
    return "unknown status";
}

int cvseg_status_exit_code(cvseg_status status)
{
    switch (status) {
#define CVSEG_X_EXIT(name, value, exitcode, text)                                                  \
    case CVSEG_##name:                                                                             \
        return exitcode;
        CVSEG_STATUS_LIST(CVSEG_X_EXIT)
#undef CVSEG_X_EXIT
    }
    return 70;
}

cvseg_status cvseg_error_record(cvseg_status status, const char *file, int line, const char *fmt,
                                ...)
{
    if (status_thread_error.status == CVSEG_OK && status != CVSEG_OK) {
        const char *base = strrchr(file, '/');
        status_thread_error.status = status;
        snprintf(status_thread_error.location, sizeof status_thread_error.location, "%s:%d",
                 base ? base + 1 : file, line);
        va_list args;
        va_start(args, fmt);
        vsnprintf(status_thread_error.message, sizeof status_thread_error.message, fmt, args);
        va_end(args);
    }
    return status;
}

const char *cvseg_error_message(void)
{
    return status_thread_error.message;
}

const char *cvseg_error_location(void)
{
    return status_thread_error.location;
}

cvseg_status cvseg_error_status(void)
{
    return status_thread_error.status;
}

void cvseg_error_clear(void)
{
    memset(&status_thread_error, 0, sizeof status_thread_error);
}

void cvseg_error_set_message(cvseg_status status, const char *location, const char *message)
{
    status_thread_error.status = status;
    snprintf(status_thread_error.location, sizeof status_thread_error.location, "%s",
             location ? location : "");
    snprintf(status_thread_error.message, sizeof status_thread_error.message, "%s",
             message ? message : "");
}
