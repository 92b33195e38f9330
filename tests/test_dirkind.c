/* Kinds of directories (src/files/dirkind.c): a command writes only into a new
 * or empty directory or one of its own kind, recognised by the marker file
 * it writes first; anything else is refused with nothing written. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static char *marker_text(const char *dir)
{
    static char text[64];
    char path[1300];
    snprintf(path, sizeof path, "%s/.dropnet", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

Test(dirkind, new_and_empty_directories_are_marked)
{
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/new/deeper", tmp_dir());
    bool own = true;
    dn_err err = {0};
    cr_assert_eq(dn_dir_claim(dir, DN_DIR_RUN, &own, &err), DN_OK, "%s", err.msg);
    cr_assert(!own, "a new directory is not one that held a run");
    cr_assert_str_eq(marker_text(dir), "dropnet run\n");
    snprintf(dir, sizeof dir, "%s/empty", tmp_dir());
    cr_assert_eq(mkdir(dir, 0755), 0);
    cr_assert_eq(dn_dir_claim(dir, DN_DIR_SWEEP, &own, &err), DN_OK, "%s", err.msg);
    cr_assert(!own);
    cr_assert_str_eq(marker_text(dir), "dropnet sweep\n");
    dn_dir_kind k;
    cr_assert_eq(dn_dir_kind_of(dir, &k, &err), 1);
    cr_assert_eq(k, DN_DIR_SWEEP);
    /* Its own kind again: accepted as it is. */
    cr_assert_eq(dn_dir_claim(dir, DN_DIR_SWEEP, &own, &err), DN_OK, "%s", err.msg);
    cr_assert(own);
    cr_assert_eq(count_entries(dir), 1);
}

/* A directory of the user's with a config.json: refused, naming what it
 * holds; nothing is written (no marker, no lock, the file untouched). */
Test(dirkind, a_users_directory_is_refused_untouched)
{
    char dir[1200], path[1300];
    snprintf(dir, sizeof dir, "%s/mine", tmp_dir());
    cr_assert_eq(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/config.json", dir);
    write_bytes(path, "{\"my\":1}\n", 9, 0);
    dn_err err = {0};
    bool own = true;
    cr_assert_eq(dn_dir_claim(dir, DN_DIR_RUN, &own, &err), DN_EINVAL);
    cr_assert(!own);
    char want[1400];
    snprintf(want, sizeof want, "%s: not empty and not a dropnet training run (it holds "
             "config.json); use a new or empty directory", dir);
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(count_entries(dir), 1, "nothing written");
    cr_assert_null(marker_text(dir));
    FILE *f = fopen(path, "r");
    char text[32] = "";
    cr_assert_eq(fread(text, 1, sizeof text, f), 9);
    fclose(f);
    cr_assert_eq(memcmp(text, "{\"my\":1}\n", 9), 0);
    /* Many entries: three named, the rest "...". */
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/f%d", dir, i);
        write_bytes(path, "x", 1, 0);
    }
    cr_assert_eq(dn_dir_claim(dir, DN_DIR_COMPARE, NULL, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, ", ...); use a new or empty directory"), "%s", err.msg);
    cr_assert(strstr(err.msg, "not a dropnet compare experiment"), "%s", err.msg);
}

/* A training run's directory is not a compare experiment's, and the other
 * way round. */
Test(dirkind, another_kind_is_refused)
{
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/run", tmp_dir());
    dn_err err = {0};
    cr_assert_eq(dn_dir_claim(dir, DN_DIR_RUN, NULL, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(dn_dir_claim(dir, DN_DIR_COMPARE, NULL, &err), DN_EINVAL);
    char want[1400];
    snprintf(want, sizeof want, "%s: holds a dropnet training run, not a compare experiment; "
             "use a new or empty directory", dir);
    cr_assert_str_eq(err.msg, want);
    cr_assert_str_eq(marker_text(dir), "dropnet run\n", "the marker stays");
    cr_assert_eq(dn_dir_claim(dir, DN_DIR_LAB, NULL, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "not a lab"), "%s", err.msg);
}

Test(dirkind, files_and_strange_markers)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/plain", tmp_dir());
    write_bytes(path, "x", 1, 0);
    dn_err err = {0};
    cr_assert_eq(dn_dir_claim(path, DN_DIR_RUN, NULL, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "plain: cannot create directory: exists and is not a directory"),
              "%s", err.msg);
    char dir[1200], m[1300];
    snprintf(dir, sizeof dir, "%s/odd", tmp_dir());
    cr_assert_eq(mkdir(dir, 0755), 0);
    snprintf(m, sizeof m, "%s/.dropnet", dir);
    write_bytes(m, "something else\n", 15, 0);
    cr_assert_eq(dn_dir_claim(dir, DN_DIR_RUN, NULL, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, ".dropnet: not a dropnet marker"), "%s", err.msg);
    dn_dir_kind k;
    cr_assert_eq(dn_dir_kind_of(dir, &k, &err), -DN_EFORMAT);
    snprintf(dir, sizeof dir, "%s/nomarker", tmp_dir());
    cr_assert_eq(mkdir(dir, 0755), 0);
    cr_assert_eq(dn_dir_kind_of(dir, &k, &err), 0);
    cr_assert_str_eq(dn_dir_kind_name(DN_DIR_COMPARE), "compare experiment");
}
