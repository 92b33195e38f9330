/* Atomic replacement of a file: temporary file, fsync, rename, fsync of the
 * directory (the rename itself is durable only once the directory is); rows
 * appended and flushed one at a time; the fault switch of the tests. */
#include "files/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* entry is a temporary file of dn_write_atomic for name: name, ".tmp" and
 * the digits of a process id. */
static int is_temp_of(const char *entry, const char *name)
{
    size_t n = strlen(name);
    const char *rest = entry + n;
    return strncmp(entry, name, n) == 0 && strncmp(rest, ".tmp", 4) == 0 && rest[4] &&
           strspn(rest + 4, "0123456789") == strlen(rest + 4);
}

void dn_remove_stale_temps(const char *dir, const char *const *names)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        for (int i = 0; names[i]; i++) {
            if (!is_temp_of(e->d_name, names[i]))
                continue;
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
            break;
        }
    }
    closedir(d);
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

char *dn_read_file(const char *path, size_t max_bytes, const char *too_big, size_t *len,
                   dn_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        dn_fail(err, DN_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    /* Room for max_bytes + 1 bytes at most (one more tells the file is too
     * large) and the NUL. */
    size_t limit = max_bytes + 2;
    size_t cap = limit < ((size_t)1 << 16) ? limit : (size_t)1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 == cap) {
            size_t grown = cap < limit / 2 ? cap * 2 : limit;
            char *nb = realloc(buf, grown);
            if (!nb) { /* not a short read: the ENOMEM below */
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap = grown;
        }
        size_t room = cap - 1 - n;
        size_t got = fread(buf + n, 1, room, f);
        n += got;
        if (n > max_bytes) {
            free(buf);
            fclose(f);
            dn_fail(err, DN_EFORMAT, "%s: %s", path, too_big);
            return NULL;
        }
        if (got < room)
            break;
    }
    if (!buf) {
        fclose(f);
        dn_fail(err, DN_ENOMEM, "%s: cannot allocate a read buffer", path);
        return NULL;
    }
    int bad = ferror(f), e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        dn_fail(err, DN_EIO, "%s: read error: %s", path, strerror(e));
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* A path that cannot be a directory is bad input (DN_EINVAL: a file in the
 * way, a symlink loop, a name too long); a directory that cannot be made
 * where it could be is a write error (no permission, a read-only or full
 * file system). */
static int mkdir_fail(const char *path, int e, dn_err *err)
{
    int bad_path = e == ENOTDIR || e == ELOOP || e == ENAMETOOLONG || e == EEXIST;
    return dn_fail(err, bad_path ? DN_EINVAL : DN_EWRITE, "%s: cannot create directory: %s", path,
                   e == EEXIST ? "exists and is not a directory" : strerror(e));
}

int dn_mkdir_p(const char *path, dn_err *err)
{
    char tmp[4096];
    if (!path[0])
        return dn_fail(err, DN_EINVAL, "an empty path names no directory");
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return dn_fail(err, DN_EINVAL, "%s: path too long", path);
    struct stat st;
    for (char *p = tmp + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return mkdir_fail(tmp, errno, err);
        if (stat(tmp, &st) != 0)
            return mkdir_fail(tmp, errno, err);
        if (!S_ISDIR(st.st_mode))
            return mkdir_fail(tmp, EEXIST, err);
        *p = c;
        if (!c)
            break;
    }
    return DN_OK;
}

int dn_mkdir_stamped(const char *prefix, char *out, size_t size, dn_err *err)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    /* mkdir is atomic: the first name nobody holds is ours. */
    for (int k = 0;; k++) {
        int len = k == 0 ? snprintf(out, size, "%s%s", prefix, stamp)
                         : snprintf(out, size, "%s%s-%d", prefix, stamp, k);
        if (len < 0 || (size_t)len >= size)
            return dn_fail(err, DN_EINVAL, "%s: path too long", prefix);
        if (mkdir(out, 0777) == 0)
            return DN_OK;
        if (errno != EEXIST || k > 1000)
            return mkdir_fail(out, errno, err);
    }
}
