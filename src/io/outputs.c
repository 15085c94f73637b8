/* outputs.c: declared inputs and outputs of a run: checks, locks, temporaries
 * and the commit of all outputs together (see outputs.h). Rank 0 does every
 * file-system operation; the other ranks learn the verdict and the names. */
#define _GNU_SOURCE /* fallocate, FALLOC_FL_KEEP_SIZE */
#include "cvseg/outputs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvseg/collectives.h"

#define OUTPUTS_RESERVE_BYTES (1 << 20)

typedef struct {
    cvseg_file_role role;
    int declared;
    char option[32];
    char given[CVSEG_PATH_MAX];
    char target[CVSEG_PATH_MAX];    /* symbolic links followed */
    char temporary[CVSEG_PATH_MAX]; /* target.tmp.PID */
    /* rank 0 only */
    char key[CVSEG_PATH_MAX]; /* real folder + "/" + name */
    int exists;
    struct stat info;
    int lock_fd;
    char lock_text[512];
} outputs_file;

struct cvseg_outputs {
    MPI_Comm comm;
    int rank;
    int count;
    outputs_file files[CVSEG_OUTPUTS_MAX];
};

/* ------------------------------------------------------------ paths (rank 0) */

/* Splits path into folder ("." when none) and name. */
static void outputs_split(const char *path, char *folder, size_t capacity, const char **name)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(folder, capacity, ".");
        *name = path;
    } else if (slash == path) {
        snprintf(folder, capacity, "/");
        *name = slash + 1;
    } else {
        snprintf(folder, capacity, "%.*s", (int)(slash - path), path);
        *name = slash + 1;
    }
}

/* Follows symbolic links of the last component (up to 40) into target. */
static cvseg_status outputs_follow_links(const char *given, char *target)
{
    struct stat info;
    snprintf(target, CVSEG_PATH_MAX, "%s", given);
    for (int hop = 0; hop < 40; ++hop) {
        if (lstat(target, &info) != 0 || !S_ISLNK(info.st_mode))
            return CVSEG_OK;
        char link[CVSEG_PATH_MAX], folder[CVSEG_PATH_MAX], next[CVSEG_PATH_MAX];
        const ssize_t length = readlink(target, link, sizeof link - 1);
        if (length < 0)
            break;
        link[length] = '\0';
        const char *name = NULL;
        outputs_split(target, folder, sizeof folder, &name);
        if (link[0] == '/' || strchr(target, '/') == NULL)
            snprintf(next, sizeof next, "%s", link);
        else if (snprintf(next, sizeof next, "%s/%s", folder, link) >= (int)sizeof next)
            break;
        snprintf(target, CVSEG_PATH_MAX, "%s", next);
    }
    return CVSEG_FAIL(CVSEG_EUSAGE, "file '%s': cannot follow its symbolic links", given);
}

static const char *outputs_kind_name(mode_t mode)
{
    return S_ISDIR(mode)    ? "a directory"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISFIFO(mode) ? "a FIFO"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

/* Fills target, key, exists and info of one declared file. Outputs must be
 * (or become) regular files in an existing folder. */
static cvseg_status outputs_identify(outputs_file *file)
{
    const int written = file->role != CVSEG_FILE_INPUT;
    char folder[CVSEG_PATH_MAX], real[CVSEG_PATH_MAX];
    const char *name = NULL;
    struct stat info;
    cvseg_status status = CVSEG_OK;
    if (written)
        status = outputs_follow_links(file->given, file->target);
    else
        snprintf(file->target, sizeof file->target, "%s", file->given);
    if (status != CVSEG_OK)
        return status;
    file->exists = stat(file->target, &file->info) == 0;
    outputs_split(file->target, folder, sizeof folder, &name);
    if (realpath(folder, real) == NULL) {
        snprintf(file->key, sizeof file->key, "%s", file->target);
        if (written)
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s' (%s): its folder '%s' does not exist",
                                file->given, file->option, folder);
    } else if (snprintf(file->key, sizeof file->key, "%s/%s", real, name) >=
               (int)sizeof file->key) {
        status =
            CVSEG_FAIL(CVSEG_EUSAGE, "file '%s' (%s): path too long", file->given, file->option);
    } else if (written && (stat(folder, &info) != 0 || !S_ISDIR(info.st_mode))) {
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s' (%s): '%s' is not a folder", file->given,
                            file->option, folder);
    } else if (written && file->exists && !S_ISREG(file->info.st_mode)) {
        status = CVSEG_FAIL(CVSEG_EUSAGE,
                            "file '%s' (%s) exists and is %s; cvseg replaces only regular files",
                            file->given, file->option, outputs_kind_name(file->info.st_mode));
    } else if (strlen(file->target) + 40 >= sizeof file->temporary) {
        status =
            CVSEG_FAIL(CVSEG_EUSAGE, "file '%s' (%s): path too long", file->given, file->option);
    }
    return status;
}

static int outputs_same_file(const outputs_file *a, const outputs_file *b)
{
    if (a->exists && b->exists)
        return a->info.st_dev == b->info.st_dev && a->info.st_ino == b->info.st_ino;
    return strcmp(a->key, b->key) == 0;
}

/* EUSAGE when two declared paths, one of them written, name the same file. */
static cvseg_status outputs_check_distinct(const cvseg_outputs *set)
{
    for (int i = 0; i < set->count; ++i)
        for (int j = i + 1; j < set->count; ++j) {
            const outputs_file *a = &set->files[i], *b = &set->files[j];
            if (!a->declared || !b->declared)
                continue;
            if (a->role == CVSEG_FILE_INPUT && b->role == CVSEG_FILE_INPUT)
                continue;
            if (outputs_same_file(a, b))
                return CVSEG_FAIL(CVSEG_EUSAGE,
                                  "%s '%s' and %s '%s' name the same file; an output must not "
                                  "overwrite an input or another output",
                                  a->option, a->given, b->option, b->given);
        }
    return CVSEG_OK;
}

/* ------------------------------------------------------------ locks (rank 0) */

static cvseg_status outputs_busy(const outputs_file *file, int fd, const char *lock_path)
{
    char holder[512];
    const ssize_t got = pread(fd, holder, sizeof holder - 1, 0);
    holder[got > 0 ? got : 0] = '\0';
    for (char *c = holder; *c; ++c)
        if (*c == '\n')
            *c = *(c + 1) ? ' ' : '\0';
    return CVSEG_FAIL(CVSEG_EUSAGE,
                      "file '%s' (%s) is being written by another cvseg run (%s; lock '%s'); "
                      "wait for it to end",
                      file->given, file->option, holder[0] ? holder : "unknown run", lock_path);
}

/* Takes the fcntl lock on "<target>.lock" (retrying when the file was
 * removed by its previous holder in between), writes pid@host and command
 * into it and reserves OUTPUTS_RESERVE_BYTES beyond its end. */
static cvseg_status outputs_lock(outputs_file *file, const char *command)
{
    char lock_path[CVSEG_PATH_MAX + 8], host[256] = "unknown host";
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    snprintf(lock_path, sizeof lock_path, "%s.lock", file->target);
    for (int attempt = 0; attempt < 10; ++attempt) {
        struct stat opened, named;
        const int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return CVSEG_FAIL(CVSEG_EIO, "file '%s' (%s): cannot create '%s' in its folder: %s",
                              file->given, file->option, lock_path, strerror(errno));
        if (fcntl(fd, F_SETLK, &lock) != 0 && (errno == EAGAIN || errno == EACCES)) {
            const cvseg_status busy = outputs_busy(file, fd, lock_path);
            close(fd);
            return busy;
        }
        if (fstat(fd, &opened) != 0 || stat(lock_path, &named) != 0 ||
            opened.st_ino != named.st_ino || opened.st_dev != named.st_dev) {
            close(fd); /* removed by the run that held it: lock the new one */
            continue;
        }
        file->lock_fd = fd;
        gethostname(host, sizeof host - 1);
        snprintf(file->lock_text, sizeof file->lock_text, "pid %ld@%s: %.400s\n", (long)getpid(),
                 host, command);
        if (ftruncate(fd, 0) != 0 || pwrite(fd, file->lock_text, strlen(file->lock_text), 0) !=
                                         (ssize_t)strlen(file->lock_text))
            return CVSEG_FAIL(CVSEG_EIO, "file '%s' (%s): cannot write '%s': %s", file->given,
                              file->option, lock_path, strerror(errno));
        if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, OUTPUTS_RESERVE_BYTES) != 0 && errno == ENOSPC)
            return CVSEG_FAIL(CVSEG_EIO, "file '%s' (%s): no space left on device in its folder",
                              file->given, file->option);
        return CVSEG_OK;
    }
    return CVSEG_FAIL(CVSEG_EIO, "file '%s' (%s): cannot lock '%s'", file->given, file->option,
                      lock_path);
}

/* Removes "<target>.tmp.<digits>[.old]" beside target: left by runs that
 * died, since a live run would hold the lock. */
static void outputs_remove_stale(const outputs_file *file)
{
    char folder[CVSEG_PATH_MAX], path[2 * CVSEG_PATH_MAX];
    const char *name = NULL;
    outputs_split(file->target, folder, sizeof folder, &name);
    const size_t length = strlen(name);
    DIR *dir = opendir(folder);
    if (!dir)
        return;
    for (struct dirent *entry = readdir(dir); entry; entry = readdir(dir)) {
        const char *rest = entry->d_name + length;
        if (strncmp(entry->d_name, name, length) != 0 || strncmp(rest, ".tmp.", 5) != 0)
            continue;
        rest += 5;
        if (!isdigit((unsigned char)*rest))
            continue;
        while (isdigit((unsigned char)*rest))
            ++rest;
        if (*rest == '\0' || strcmp(rest, ".old") == 0) {
            snprintf(path, sizeof path, "%s/%s", folder, entry->d_name);
            unlink(path);
        }
    }
    closedir(dir);
}

static void outputs_unlock(outputs_file *file)
{
    if (file->lock_fd >= 0) {
        char lock_path[CVSEG_PATH_MAX + 8];
        snprintf(lock_path, sizeof lock_path, "%s.lock", file->target);
        unlink(lock_path); /* while holding the lock; see outputs_lock */
        close(file->lock_fd);
        file->lock_fd = -1;
    }
}

void cvseg_outputs_release_reserve(cvseg_outputs *set)
{
    for (int i = 0; set && set->rank == 0 && i < set->count; ++i) {
        outputs_file *file = &set->files[i];
        if (file->lock_fd >= 0 && ftruncate(file->lock_fd, 0) == 0 &&
            pwrite(file->lock_fd, file->lock_text, strlen(file->lock_text), 0) < 0)
            file->lock_text[0] = '\0';
    }
}

/* ------------------------------------------------------------ open */

/* Rank 0: every check, the locks, stale temporaries, temporary names. */
static cvseg_status outputs_prepare(cvseg_outputs *set, const char *command)
{
    cvseg_status status = CVSEG_OK;
    for (int i = 0; i < set->count && status == CVSEG_OK; ++i)
        if (set->files[i].declared)
            status = outputs_identify(&set->files[i]);
    if (status == CVSEG_OK)
        status = outputs_check_distinct(set);
    for (int i = 0; i < set->count && status == CVSEG_OK; ++i) {
        outputs_file *file = &set->files[i];
        if (!file->declared || file->role == CVSEG_FILE_INPUT)
            continue;
        status = outputs_lock(file, command);
        if (status == CVSEG_OK)
            outputs_remove_stale(file);
        snprintf(file->temporary, sizeof file->temporary, "%s.tmp.%ld", file->target,
                 (long)getpid());
    }
    return status;
}

static cvseg_status outputs_share_names(cvseg_outputs *set)
{
    cvseg_status status = CVSEG_OK;
    for (int i = 0; i < set->count && status == CVSEG_OK; ++i) {
        outputs_file *file = &set->files[i];
        if (!file->declared || file->role == CVSEG_FILE_INPUT)
            continue;
        status = cvseg_mpi_check(MPI_Bcast(file->target, CVSEG_PATH_MAX, MPI_CHAR, 0, set->comm),
                                 "output names");
        if (status == CVSEG_OK)
            status = cvseg_mpi_check(
                MPI_Bcast(file->temporary, CVSEG_PATH_MAX, MPI_CHAR, 0, set->comm), "output names");
    }
    return cvseg_mpi_agree(set->comm, status);
}

cvseg_status cvseg_outputs_open(MPI_Comm comm, const char *command, int count,
                                const cvseg_file_decl *files, cvseg_outputs **set)
{
    cvseg_status status = CVSEG_OK;
    cvseg_outputs *s = calloc(1, sizeof *s);
    *set = NULL;
    if (!s)
        status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory");
    else if (count > CVSEG_OUTPUTS_MAX)
        status = CVSEG_FAIL(CVSEG_EINTERNAL, "more than %d declared files", CVSEG_OUTPUTS_MAX);
    for (int i = 0; s && i < count && i < CVSEG_OUTPUTS_MAX; ++i) {
        outputs_file *file = &s->files[i];
        file->role = files[i].role;
        file->declared = files[i].path != NULL;
        file->lock_fd = -1;
        snprintf(file->option, sizeof file->option, "%s", files[i].option);
        if (file->declared && strlen(files[i].path) >= sizeof file->given)
            status = CVSEG_FAIL(CVSEG_EUSAGE, "%s: path too long", files[i].option);
        else if (file->declared)
            snprintf(file->given, sizeof file->given, "%s", files[i].path);
    }
    if (s) {
        s->comm = comm;
        s->count = count;
        MPI_Comm_rank(comm, &s->rank);
    }
    if (status == CVSEG_OK && s->rank == 0)
        status = outputs_prepare(s, command);
    status = cvseg_mpi_agree(comm, status);
    if (status == CVSEG_OK)
        status = outputs_share_names(s);
    if (status == CVSEG_OK) {
        *set = s;
    } else if (s) {
        for (int i = 0; i < s->count; ++i)
            outputs_unlock(&s->files[i]);
        free(s);
    }
    return status;
}

MPI_Comm cvseg_outputs_comm(const cvseg_outputs *set)
{
    return set->comm;
}

const char *cvseg_outputs_temporary(const cvseg_outputs *set, int index)
{
    return set->files[index].temporary;
}

const char *cvseg_outputs_target(const cvseg_outputs *set, int index)
{
    return set->files[index].target;
}

const char *cvseg_outputs_given(const cvseg_outputs *set, int index)
{
    return set->files[index].given;
}

/* ------------------------------------------------------------ commit */

static cvseg_status outputs_sync_file(const char *path, const char *label)
{
    cvseg_status status = CVSEG_OK;
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
        status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot sync its temporary '%s': %s", label, path,
                            strerror(errno));
    if (fd >= 0)
        close(fd);
    return status;
}

static void outputs_sync_folder(const char *target)
{
    char folder[CVSEG_PATH_MAX];
    const char *name = NULL;
    outputs_split(target, folder, sizeof folder, &name);
    const int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* best effort: some file systems refuse to sync folders */
        close(fd);
    }
}

static int outputs_committed(const outputs_file *file)
{
    return file->declared && file->role == CVSEG_FILE_OUTPUT;
}

/* Rank 0: renames every output's temporary into place. An earlier target is
 * first hard-linked to "<temporary>.old", so that a rename failing half-way
 * can put every earlier target back. */
static cvseg_status outputs_rename_all(cvseg_outputs *set)
{
    cvseg_status status = CVSEG_OK;
    char backup[CVSEG_OUTPUTS_MAX][CVSEG_PATH_MAX + 8];
    int has_backup[CVSEG_OUTPUTS_MAX] = {0}, renamed = 0;
    for (int i = 0; i < set->count && status == CVSEG_OK; ++i) {
        outputs_file *file = &set->files[i];
        if (!outputs_committed(file))
            continue;
        status = outputs_sync_file(file->temporary, file->given);
        snprintf(backup[i], sizeof backup[i], "%s.old", file->temporary);
        has_backup[i] = status == CVSEG_OK && link(file->target, backup[i]) == 0;
    }
    for (renamed = 0; renamed < set->count && status == CVSEG_OK; ++renamed) {
        outputs_file *file = &set->files[renamed];
        if (outputs_committed(file) && rename(file->temporary, file->target) != 0)
            status = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot rename '%s' into place: %s",
                                file->given, file->temporary, strerror(errno));
    }
    for (int i = 0; i < set->count; ++i) {
        const outputs_file *file = &set->files[i];
        const int undo = status != CVSEG_OK && i < renamed - 1 && outputs_committed(file);
        if (undo && !(has_backup[i] && rename(backup[i], file->target) == 0))
            unlink(file->target); /* no earlier file: the target did not exist */
        if (has_backup[i])
            unlink(backup[i]);
    }
    for (int i = 0; i < set->count && status == CVSEG_OK; ++i)
        if (outputs_committed(&set->files[i]))
            outputs_sync_folder(set->files[i].target);
    return status;
}

cvseg_status cvseg_outputs_replace(cvseg_outputs *set, int index, cvseg_status status)
{
    outputs_file *file = &set->files[index];
    status = cvseg_mpi_agree(set->comm, status);
    if (set->rank == 0) {
        cvseg_status local = status;
        if (local == CVSEG_OK)
            local = outputs_sync_file(file->temporary, file->given);
        if (local == CVSEG_OK && rename(file->temporary, file->target) != 0)
            local = CVSEG_FAIL(CVSEG_EIO, "file '%s': cannot rename '%s' into place: %s",
                               file->given, file->temporary, strerror(errno));
        if (local != CVSEG_OK)
            unlink(file->temporary);
        else
            outputs_sync_folder(file->target);
        if (status == CVSEG_OK)
            status = local;
    }
    return cvseg_mpi_agree(set->comm, status);
}

/* finish (may_commit) or abandon (never commits). */
static cvseg_status outputs_end(cvseg_outputs *set, cvseg_status status, int may_commit)
{
    MPI_Comm comm = set ? set->comm : MPI_COMM_NULL;
    if (!set)
        return status;
    status = cvseg_mpi_agree(comm, status);
    const int commit =
        may_commit && (status == CVSEG_OK || status == CVSEG_ENOCONV || status == CVSEG_EDRIFT);
    cvseg_status local = CVSEG_OK;
    if (set->rank == 0 && commit)
        local = outputs_rename_all(set);
    for (int i = 0; set->rank == 0 && i < set->count; ++i) {
        outputs_file *file = &set->files[i];
        if (!file->declared || file->role == CVSEG_FILE_INPUT)
            continue;
        if (!commit || local != CVSEG_OK || file->role == CVSEG_FILE_CHECKPOINT)
            unlink(file->temporary);
        if (commit && local == CVSEG_OK && file->role == CVSEG_FILE_CHECKPOINT)
            unlink(file->target); /* a finished run leaves nothing to resume */
        outputs_unlock(file);
    }
    local = cvseg_mpi_agree(comm, local);
    free(set);
    return local != CVSEG_OK ? local : status;
}

cvseg_status cvseg_outputs_finish(cvseg_outputs *set, cvseg_status status)
{
    return outputs_end(set, status, 1);
}

cvseg_status cvseg_outputs_abandon(cvseg_outputs *set, cvseg_status status)
{
    return outputs_end(set, status, 0);
}
