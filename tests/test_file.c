/* Writing files for users (src/files/file.c): whole or not at all, and the
 * fault switch (DROPNET_FAULT_WRITE) that the command-line tests use to
 * simulate a full disk. */
#include "helpers.h"
#include "files/file.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static size_t read_all(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static int temporaries_in(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strstr(e->d_name, ".tmp") != NULL;
    closedir(d);
    return n;
}

Test(file, fault_names)
{
    cr_assert_eq(dn_write_fault("a/metrics.csv"), 0, "unset");
    setenv("DROPNET_FAULT_WRITE", "checkpoint.safetensors,metrics.csv", 1);
    cr_assert_eq(dn_write_fault("a/metrics.csv"), ENOSPC);
    cr_assert_eq(dn_write_fault("metrics.csv"), ENOSPC);
    cr_assert_eq(dn_write_fault("/x/checkpoint.safetensors"), ENOSPC);
    cr_assert_eq(dn_write_fault("/x/model.safetensors"), 0);
    cr_assert_eq(dn_write_fault("/x/metrics.csv2"), 0, "whole names only");
    cr_assert_eq(dn_write_fault("/x/etrics.csv"), 0);
    setenv("DROPNET_FAULT_WRITE", "*", 1);
    cr_assert_eq(dn_write_fault("anything"), ENOSPC);
    setenv("DROPNET_FAULT_WRITE", "", 1);
    cr_assert_eq(dn_write_fault("anything"), 0);
}

/* A failed atomic write (a full disk after half of the bytes) leaves the
 * previous file as it was and no temporary file. */
Test(file, failed_write_keeps_the_old_file)
{
    const char *dir = tmp_path("atomic");
    mkdir(dir, 0777);
    char path[1200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    dn_chunk old[2] = {{"old ", 4}, {"content", 7}};
    dn_err err = {0};
    cr_assert_eq(dn_write_atomic(path, old, 2, &err), DN_OK, "%s", err.msg);
    setenv("DROPNET_FAULT_WRITE", "model.safetensors", 1);
    dn_chunk next[1] = {{"new content, longer", 19}};
    cr_assert_eq(dn_write_atomic(path, next, 1, &err), DN_EWRITE);
    cr_assert(strstr(err.msg, "model.safetensors: write failed: No space left on device"), "%s",
              err.msg);
    cr_assert(strstr(err.msg, path), "names the file: %s", err.msg);
    char buf[64];
    size_t n = read_all(path, buf, sizeof buf);
    cr_assert_eq(n, 11);
    cr_assert(memcmp(buf, "old content", 11) == 0, "the old file is intact");
    cr_assert_eq(temporaries_in(dir), 0, "the temporary file is removed");
    unsetenv("DROPNET_FAULT_WRITE");
    cr_assert_eq(dn_write_atomic(path, next, 1, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(read_all(path, buf, sizeof buf), 19);
}

/* The same through the writers of checkpoints: a checkpoint that cannot be
 * written leaves the previous one loadable. */
Test(file, failed_checkpoint_keeps_the_previous)
{
    dn_mlp_spec s = {.inputs = 6, .outputs = 3, .n_hidden = 1, .hidden = {4}, .dropout = {0.5f}};
    dn_err err = {0};
    dn_net *net = dn_net_mlp(&s, 4, &err);
    cr_assert_not_null(net, "%s", err.msg);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_NORMAL, 0.1f}, 7, &err), DN_OK);
    const char *dir = tmp_path("ck");
    mkdir(dir, 0777);
    char path[1200];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
    dn_checkpoint ck = {.epoch = 0, .step = 1, .steps_per_epoch = 4, .train_examples = 10,
                        .seed = 7, .config = "{}"};
    cr_assert_eq(dn_checkpoint_save(path, net, NULL, &ck, &err), DN_OK, "%s", err.msg);
    size_t n;
    float *p = dn_net_params(net, &n);
    float first = p[0];
    p[0] += 1.0f;
    ck.step = 2;
    setenv("DROPNET_FAULT_WRITE", "checkpoint.safetensors", 1);
    cr_assert_eq(dn_checkpoint_save(path, net, NULL, &ck, &err), DN_EWRITE);
    cr_assert(strstr(err.msg, "No space left on device"), "%s", err.msg);
    unsetenv("DROPNET_FAULT_WRITE");
    cr_assert_eq(temporaries_in(dir), 0);
    dn_checkpoint back;
    cr_assert_eq(dn_checkpoint_load(path, net, NULL, &back, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(back.step, 1, "the previous checkpoint");
    cr_assert_eq(dn_net_params(net, &n)[0], first);
    dn_checkpoint_free(&back);
    dn_net_free(net);
}
