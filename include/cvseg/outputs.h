/* outputs.h: the files one run reads and writes, committed together (MPI +
 * POSIX layer).
 *
 * A verb declares every path it reads and writes once, before any work
 * (cvseg_outputs_open). Rank 0 looks at the file system; every rank returns
 * its verdict (the same status everywhere, the message from rank 0):
 *  - an output that exists and is not a regular file (directory, device,
 *    FIFO, socket): EUSAGE. A symbolic link is followed: the file it points
 *    to is replaced (atomically), the link stays;
 *  - two declared paths naming the same file when at least one of them is
 *    written: EUSAGE. Same file: the same device and inode when both exist,
 *    else the same real folder (realpath) and name, so "x.h5", "./x.h5" and
 *    "d/../x.h5" match, and so do hard links;
 *  - an output folder that is missing, not a folder, or where no file can be
 *    created: EIO; no room for a 1 MiB reserve there: EIO;
 *  - another run holding the lock of an output: EUSAGE naming that run
 *    (pid@host and command line). The lock is an fcntl write lock on
 *    "<target>.lock" beside the target, held by rank 0 of this run until
 *    cvseg_outputs_finish, which removes the file;
 *  - "<target>.tmp.<digits>" files beside a locked target are temporaries of
 *    runs that died (a live run would hold the lock): they are removed.
 * Writers write output i to cvseg_outputs_temporary(set, i) beside its
 * target. No target is touched before cvseg_outputs_finish, which renames
 * every temporary into place when every rank succeeded, or removes them all.
 *
 * The 1 MiB reserve (blocks preallocated beyond the end of each lock file) is
 * given back by cvseg_outputs_release_reserve before a failing writer closes
 * its HDF5 file, so that closing never meets a full disk (a failed close
 * inside parallel HDF5 hangs or crashes the ranks).
 */
#ifndef CVSEG_OUTPUTS_H
#define CVSEG_OUTPUTS_H

#include <mpi.h>

#include "cvseg/status.h"

typedef enum {
    CVSEG_FILE_INPUT,      /* read only */
    CVSEG_FILE_OUTPUT,     /* written to a temporary, committed by cvseg_outputs_finish */
    CVSEG_FILE_CHECKPOINT, /* replaced during the run (cvseg_outputs_replace), read on resume,
                              removed when the outputs are committed */
} cvseg_file_role;

typedef struct {
    const char *option; /* for messages, e.g. "--out" */
    const char *path;   /* as given; NULL: not given (skipped) */
    cvseg_file_role role;
} cvseg_file_decl;

typedef struct cvseg_outputs cvseg_outputs;

#define CVSEG_OUTPUTS_MAX 80 /* sweep: input, out, summary and up to 64 models */
#define CVSEG_PATH_MAX    4096

/* Checks, locks and names the temporaries of files [count] (see above);
 * command (the run's command line) is written into the lock files. *set is
 * NULL on failure. Collective on comm (which the set keeps). */
cvseg_status cvseg_outputs_open(MPI_Comm comm, const char *command, int count,
                                const cvseg_file_decl *files, cvseg_outputs **set);

MPI_Comm cvseg_outputs_comm(const cvseg_outputs *set);
/* The temporary of output index (beside the target), its target (after
 * following symbolic links) and the path as given. Identical on every rank. */
const char *cvseg_outputs_temporary(const cvseg_outputs *set, int index);
const char *cvseg_outputs_target(const cvseg_outputs *set, int index);
const char *cvseg_outputs_given(const cvseg_outputs *set, int index);

/* Gives the folders' reserves back to the file system (rank 0; no
 * communication). For a writer that failed and must still close. */
void cvseg_outputs_release_reserve(cvseg_outputs *set);

/* Checkpoints: when status is CVSEG_OK on every rank, syncs and renames the
 * temporary of index into place now; otherwise removes it. Returns the agreed
 * status. Collective. */
cvseg_status cvseg_outputs_replace(cvseg_outputs *set, int index, cvseg_status status);

/* Ends the run's outputs. When the agreed status is CVSEG_OK, ENOCONV or
 * EDRIFT (runs whose results are still written), syncs every temporary,
 * renames them all into place, syncs the folders and removes checkpoints;
 * otherwise removes every temporary. Releases the locks, removes the lock
 * files and frees set (NULL: returns status unchanged). Returns the agreed status,
 * or EIO when committing failed (then every target still holds what it held
 * before the run). Collective. */
cvseg_status cvseg_outputs_finish(cvseg_outputs *set, cvseg_status status);

/* The same, but commits nothing whatever the status: for a run that ends
 * with a status whose results would normally be written (ENOCONV) before it
 * wrote any. Collective. */
cvseg_status cvseg_outputs_abandon(cvseg_outputs *set, cvseg_status status);

#endif
