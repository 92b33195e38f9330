/* Atomic replacement of a file: temporary file, fsync, rename, fsync of the
 * directory (the rename itself is durable only once the directory is). */
#include "io/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
        return dn_fail(err, DN_EWRITE, "%s: cannot write: %s", tmp, strerror(errno));
    int bad = 0;
    for (int i = 0; i < n && !bad; i++)
        if (chunks[i].size && fwrite(chunks[i].data, 1, chunks[i].size, f) != chunks[i].size)
            bad = 1;
    if (!bad && fflush(f) != 0)
        bad = 1;
    if (!bad && fsync(fileno(f)) != 0)
        bad = 1;
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        unlink(tmp);
        return dn_fail(err, DN_EWRITE, "%s: write failed: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return dn_fail(err, DN_EWRITE, "%s: cannot rename into place: %s", path, strerror(e));
    }
    return sync_dir_of(path, err);
}
