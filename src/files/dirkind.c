/* Which kind of dropnet directory a directory is: each kind (a training run,
 * a compare or a sweep experiment, the lab) writes a marker file first, and
 * a command writes only into a new or empty directory or one of its own
 * kind. So a directory of the user's, or of another kind, is never written
 * into: a file of the same name there would be lost. */
#include "files/file.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const kind_word[] = {"run", "compare", "sweep", "lab"};
static const char *const kind_name[] = {"training run", "compare experiment", "sweep experiment",
                                        "lab"};
#define N_KINDS ((int)(sizeof kind_word / sizeof *kind_word))

const char *dn_dir_kind_name(dn_dir_kind kind)
{
    return (unsigned)kind < (unsigned)N_KINDS ? kind_name[kind] : "?";
}

int dn_dir_kind_of(const char *dir, dn_dir_kind *kind, dn_err *err)
{
    char path[4200];
    if (snprintf(path, sizeof path, "%s/" DN_DIR_MARKER, dir) >= (int)sizeof path)
        return dn_fail(err, DN_EINVAL, "%s: path too long", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT || errno == ENOTDIR ? 0 : -dn_fail(err, DN_EIO, "%s: cannot read: %s", path,
                                              strerror(errno));
    char text[64] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    for (int k = 0; k < N_KINDS; k++) {
        char want[32];
        snprintf(want, sizeof want, "dropnet %s\n", kind_word[k]);
        if (strcmp(text, want) == 0) {
            *kind = (dn_dir_kind)k;
            return 1;
        }
    }
    return -dn_fail(err, DN_EFORMAT, "%s: not a dropnet marker (expected 'dropnet KIND'); the "
                    "directory is not dropnet's to write into", path);
}

/* Up to three names of dir's entries (for the message), and whether it has
 * any. -1 when it cannot be read. */
static int entries(const char *dir, char *names, size_t size)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    names[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t k = strlen(names);
        if (n < 3)
            snprintf(names + k, size - k, "%s%.60s", n ? ", " : "", e->d_name);
        else if (n == 3)
            snprintf(names + k, size - k, ", ...");
        n++;
    }
    closedir(d);
    return n;
}

static int write_marker(const char *dir, dn_dir_kind kind, dn_err *err)
{
    char path[4200], text[32];
    snprintf(path, sizeof path, "%s/" DN_DIR_MARKER, dir);
    int n = snprintf(text, sizeof text, "dropnet %s\n", kind_word[kind]);
    dn_chunk c = {text, (size_t)n};
    return dn_write_atomic(path, &c, 1, err);
}

int dn_dir_claim(const char *dir, dn_dir_kind kind, bool *own, dn_err *err)
{
    if (own)
        *own = false;
    if ((unsigned)kind >= (unsigned)N_KINDS)
        return dn_fail(err, DN_EINVAL, "unknown kind of directory %d", (int)kind);
    if (!dir[0])
        return dn_fail(err, DN_EINVAL, "an empty path is not a directory");
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        /* New: made, and marked before anything else is written (mkdir -p
         * names what is in the way: a file, a symlink loop). */
        int rc = dn_mkdir_p(dir, err);
        return rc ? rc : write_marker(dir, kind, err);
    }
    dn_dir_kind found;
    int rc = dn_dir_kind_of(dir, &found, err);
    if (rc < 0)
        return -rc;
    if (rc == 1) {
        if (found != kind)
            return dn_fail(err, DN_EINVAL, "%s: holds a dropnet %s, not a %s; use a new or "
                           "empty directory", dir, kind_name[found], kind_name[kind]);
        if (own)
            *own = true;
        return DN_OK;
    }
    /* A claim killed while it wrote the marker leaves only the marker's
     * temporary (dn_write_atomic's NAME.tmpPID): the directory is still
     * new, so the temporary goes rather than blocking the directory. */
    static const char *const marker_temps[] = {DN_DIR_MARKER, NULL};
    dn_remove_stale_temps(dir, marker_temps);
    char names[200];
    int n = entries(dir, names, sizeof names);
    if (n < 0)
        return dn_fail(err, DN_EINVAL, "%s: cannot read the directory: %s", dir, strerror(errno));
    if (n > 0)
        return dn_fail(err, DN_EINVAL, "%s: not empty and not a dropnet %s (it holds %s); use a "
                       "new or empty directory", dir, kind_name[kind], names);
    return write_marker(dir, kind, err);
}
