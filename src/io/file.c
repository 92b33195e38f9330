/* Atomic replacement of a file: temporary file, fsync, rename, fsync of the
 * directory (the rename itself is durable only once the directory is); rows
 * appended and flushed one at a time; the fault switch of the tests. */
#include "io/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int dn_write_fault(const char *path)
{
    const char *spec = getenv("DROPNET_FAULT_WRITE");
    if (!spec || !*spec)
        return 0;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t len = strlen(name);
    for (const char *p = spec; *p;) {
        size_t n = strcspn(p, ",");
        if ((n == 1 && *p == '*') || (n == len && strncmp(p, name, n) == 0))
            return ENOSPC;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int sync_dir_of(const char *path, dn_err *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return dn_fail(err, DN_EWRITE, "%s: cannot open directory to sync it: %s", dir,
                       strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    /* Some file systems cannot fsync a directory (EINVAL); nothing more can
     * be done there. */
    if (rc != 0 && e != EINVAL)
        return dn_fail(err, DN_EWRITE, "%s: cannot sync directory: %s", dir, strerror(e));
    return DN_OK;
}

int dn_write_atomic(const char *path, const dn_chunk *chunks, int n, dn_err *err)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return dn_fail(err, DN_EWRITE, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return dn_fail(err, DN_EWRITE, "%s: cannot write: %s", path, strerror(errno));
    int fault = dn_write_fault(path);
    size_t total = 0, budget = 0;
    for (int i = 0; i < n; i++)
        total += chunks[i].size;
    budget = fault ? total / 2 : total; /* a full disk: half of it fits */
    int bad = 0, e = 0;
    for (int i = 0; i < n && !bad; i++) {
        size_t size = chunks[i].size < budget ? chunks[i].size : budget;
        if (size && fwrite(chunks[i].data, 1, size, f) != size)
            bad = 1, e = errno;
        budget -= size;
        if (!bad && size < chunks[i].size)
            bad = 1, e = fault;
    }
    if (!bad && fflush(f) != 0)
        bad = 1, e = errno;
    if (!bad && fsync(fileno(f)) != 0)
        bad = 1, e = errno;
    if (fclose(f) != 0 && !bad)
        bad = 1, e = errno;
    if (bad) {
        unlink(tmp);
        return dn_fail(err, DN_EWRITE, "%s: write failed: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return dn_fail(err, DN_EWRITE, "%s: cannot rename into place: %s", path, strerror(e));
    }
    return sync_dir_of(path, err);
}

int dn_append_row(FILE *f, const char *path, dn_err *err, const char *fmt, ...)
{
    int e = dn_write_fault(path);
    if (!e) {
        va_list ap;
        va_start(ap, fmt);
        int bad = vfprintf(f, fmt, ap) < 0;
        va_end(ap);
        bad |= fflush(f) != 0;
        e = bad ? errno : 0;
        if (bad && !e)
            e = EIO;
    }
    if (e) {
        /* What reached the file of a failed row is left there: readers
         * report a row without its end of line as truncated, and a resumed
         * run rewrites the file from its checkpoint. */
        clearerr(f);
        return dn_fail(err, DN_EWRITE, "%s: write failed: %s", path, strerror(e));
    }
    return DN_OK;
}
