/* The IDX reader and the dataset loader on small files the tests write, and
 * every bad-input case: each error names the file and the problem. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static uint8_t *pixels(size_t n)
{
    uint8_t *p = malloc(n * 784);
    for (size_t i = 0; i < n * 784; i++)
        p[i] = (uint8_t)(i * 31 + 7);
    return p;
}

static void write_pair(const char *img, const char *lab, size_t n, int gz)
{
    uint8_t *px = pixels(n), lb[64];
    for (size_t i = 0; i < n; i++)
        lb[i] = (uint8_t)(i % 10);
    write_idx(img, 3, (uint32_t[]){(uint32_t)n, 28, 28}, px, n * 784, gz);
    write_idx(lab, 1, (uint32_t[]){(uint32_t)n}, lb, n, gz);
    free(px);
}

static void expect_error(const char *img, const char *lab, dn_status code, const char *file,
                         const char *words)
{
    dn_dataset ds;
    dn_err err = {0};
    int rc = dn_dataset_load(&ds, img, lab, &err);
    cr_assert_eq(rc, code, "expected %s, got %d: %s", dn_status_name(code), rc, err.msg);
    cr_assert(strstr(err.msg, file), "message names %s: %s", file, err.msg);
    cr_assert(strstr(err.msg, words), "message says '%s': %s", words, err.msg);
    cr_assert_null(ds.images);
    cr_assert_eq(leaks_now(), 0, "the error path leaks (LeakSanitizer's report above)");
}

Test(idx, reads_plain_and_gzip_identically)
{
    for (int gz = 0; gz < 2; gz++) {
        const char *img = tmp_path(gz ? "a-img.gz" : "a-img"), *lab = tmp_path(gz ? "a-lab.gz" : "a-lab");
        write_pair(img, lab, 12, gz);
        dn_dataset ds;
        dn_err err = {0};
        cr_assert_eq(dn_dataset_load(&ds, img, lab, &err), DN_OK, "%s", err.msg);
        cr_assert_eq(ds.n, 12);
        cr_assert_eq(ds.rows, 28);
        cr_assert_eq(ds.cols, 28);
        uint8_t *px = pixels(12);
        cr_assert_eq(memcmp(ds.images, px, 12 * 784), 0);
        for (size_t i = 0; i < 12; i++)
            cr_assert_eq(ds.labels[i], i % 10);
        free(px);
        dn_dataset_free(&ds);
    }
}

Test(idx, batch_images_are_pixels_over_255)
{
    const char *img = tmp_path("b-img"), *lab = tmp_path("b-lab");
    write_pair(img, lab, 3, 0);
    dn_dataset ds;
    cr_assert_eq(dn_dataset_load(&ds, img, lab, NULL), DN_OK);
    float x[2 * 784];
    uint32_t idx[2] = {2, 0};
    dn_batch_images(x, &ds, idx, 2);
    for (int j = 0; j < 784; j++) {
        cr_assert_eq(x[j], (float)ds.images[2 * 784 + j] / 255.0f);
        cr_assert_eq(x[784 + j], (float)ds.images[j] / 255.0f);
    }
    cr_assert_eq((float)255 / 255.0f, 1.0f);
    dn_dataset_free(&ds);
}

Test(idx, wrong_magic)
{
    const char *img = tmp_path("m-img"), *lab = tmp_path("m-lab");
    write_pair(img, lab, 2, 0);
    /* a label file where an image file belongs */
    expect_error(lab, lab, DN_EFORMAT, lab, "bad magic number 0x00000801");
    unsigned char junk[64] = "GIF89a this is not an IDX file at all.....";
    write_bytes(img, junk, sizeof junk, 0);
    expect_error(img, lab, DN_EFORMAT, img, "bad magic number");
}

Test(idx, truncated_plain_file)
{
    const char *img = tmp_path("t-img"), *lab = tmp_path("t-lab");
    write_pair(img, lab, 4, 0);
    cr_assert_eq(truncate(img, 16 + 3 * 784 + 100), 0);
    expect_error(img, lab, DN_EFORMAT, img, "truncated");
    cr_assert_eq(truncate(img, 10), 0);
    expect_error(img, lab, DN_EFORMAT, img, "truncated");
    cr_assert_eq(truncate(img, 0), 0);
    expect_error(img, lab, DN_EFORMAT, img, "truncated");
}

Test(idx, truncated_gzip_file)
{
    const char *img = tmp_path("tg-img.gz"), *lab = tmp_path("tg-lab.gz");
    write_pair(img, lab, 40, 1);
    struct stat st;
    stat(img, &st);
    cr_assert_eq(truncate(img, st.st_size / 2), 0);
    expect_error(img, lab, DN_EFORMAT, img, "truncated");
    /* only the 8-byte gzip trailer missing: all data there, CRC unchecked */
    write_pair(img, lab, 40, 1);
    stat(img, &st);
    cr_assert_eq(truncate(img, st.st_size - 4), 0);
    expect_error(img, lab, DN_EFORMAT, img, "truncated");
}

Test(idx, corrupt_gzip_stream)
{
    const char *img = tmp_path("c-img.gz"), *lab = tmp_path("c-lab.gz");
    write_pair(img, lab, 40, 1);
    FILE *f = fopen(img, "r+b");
    cr_assert(f);
    struct stat st;
    stat(img, &st);
    /* overwrite the middle of the deflate stream */
    fseek(f, st.st_size / 2, SEEK_SET);
    for (int i = 0; i < 64; i++)
        fputc(0xff, f);
    fclose(f);
    expect_error(img, lab, DN_EFORMAT, img, "corrupt gzip");
}

Test(idx, dimensions_other_than_28x28)
{
    const char *img = tmp_path("d-img"), *lab = tmp_path("d-lab");
    write_pair(img, lab, 2, 0);
    uint8_t px[2 * 27 * 28] = {0};
    write_idx(img, 3, (uint32_t[]){2, 27, 28}, px, sizeof px, 0);
    expect_error(img, lab, DN_EFORMAT, img, "27x28, expected 28x28");
}

Test(idx, count_mismatch)
{
    const char *img = tmp_path("n-img"), *lab = tmp_path("n-lab");
    write_pair(img, lab, 5, 0);
    uint8_t lb[4] = {1, 2, 3, 4};
    write_idx(lab, 1, (uint32_t[]){4}, lb, 4, 0);
    expect_error(img, lab, DN_EFORMAT, lab, "4 labels but");
}

Test(idx, label_above_9)
{
    const char *img = tmp_path("l-img"), *lab = tmp_path("l-lab");
    write_pair(img, lab, 3, 0);
    uint8_t lb[3] = {1, 10, 3};
    write_idx(lab, 1, (uint32_t[]){3}, lb, 3, 0);
    expect_error(img, lab, DN_EFORMAT, lab, "label 10 of item 1 is above 9");
}

Test(idx, unreadable_files)
{
    const char *lab = tmp_path("u-lab");
    write_pair(tmp_path("u-img"), lab, 1, 0);
    const char *missing = tmp_path("no-such-file");
    expect_error(missing, lab, DN_EIO, missing, "cannot open");
    expect_error(tmp_dir(), lab, DN_EIO, tmp_dir(), "is a directory");
}

Test(idx, trailing_bytes)
{
    const char *img = tmp_path("x-img"), *lab = tmp_path("x-lab");
    write_pair(img, lab, 2, 0);
    uint8_t lb[3] = {1, 2, 3};
    unsigned char buf[32];
    size_t h = idx_header(buf, 1, (uint32_t[]){2});
    memcpy(buf + h, lb, 3);
    write_bytes(lab, buf, h + 3, 0);
    expect_error(img, lab, DN_EFORMAT, lab, "trailing bytes");
    write_bytes(lab, buf, h + 3, 1);
    expect_error(img, lab, DN_EFORMAT, lab, "trailing bytes");
}

/* A header that claims 2^31 images in a small file is refused before any
 * allocation, plain or gzip. */
Test(idx, huge_claims_in_small_files)
{
    const char *img = tmp_path("h-img"), *lab = tmp_path("h-lab");
    write_pair(img, lab, 1, 0);
    uint8_t px[784] = {0};
    write_idx(img, 3, (uint32_t[]){0x80000000u, 28, 28}, px, sizeof px, 0);
    expect_error(img, lab, DN_EFORMAT, img, "truncated");
    write_idx(img, 3, (uint32_t[]){0x80000000u, 28, 28}, px, sizeof px, 1);
    expect_error(img, lab, DN_EFORMAT, img, "more than a");
    write_idx(img, 3, (uint32_t[]){0xffffffffu, 0xffffffffu, 0xffffffffu}, px, sizeof px, 0);
    dn_dataset ds;
    dn_err err = {0};
    cr_assert_eq(dn_dataset_load(&ds, img, lab, &err), DN_EFORMAT, "%s", err.msg);
    cr_assert(strstr(err.msg, img));
}

Test(idx, empty_dataset)
{
    const char *img = tmp_path("e-img"), *lab = tmp_path("e-lab");
    write_idx(img, 3, (uint32_t[]){0, 28, 28}, NULL, 0, 0);
    write_idx(lab, 1, (uint32_t[]){0}, NULL, 0, 0);
    expect_error(img, lab, DN_EFORMAT, img, "no images");
}

Test(idx, fmnist_file_prefers_plain_then_gz)
{
    char dir[600], out[1024];
    snprintf(dir, sizeof dir, "%s/fm", tmp_dir());
    mkdir(dir, 0777);
    char p[1024];
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte.gz", dir);
    write_bytes(p, "x", 1, 0);
    cr_assert_eq(dn_fmnist_file(dir, "train-labels-idx1-ubyte", out, sizeof out, NULL), DN_OK);
    cr_assert_str_eq(out, p);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte", dir);
    write_bytes(p, "x", 1, 0);
    cr_assert_eq(dn_fmnist_file(dir, "train-labels-idx1-ubyte", out, sizeof out, NULL), DN_OK);
    cr_assert_str_eq(out, p);
    dn_err err = {0};
    cr_assert_eq(dn_fmnist_find(dir, out, sizeof out, &err), DN_EIO);
    cr_assert(strstr(err.msg, "train-images-idx3-ubyte"), "%s", err.msg);
    cr_assert(strstr(err.msg, "dataset-fashion-mnist"), "names the Debian package: %s", err.msg);
    cr_assert(strstr(err.msg, "zalandoresearch/fashion-mnist"), "names the download: %s", err.msg);
}

Test(idx, sha256_of_decompressed_content)
{
    /* SHA-256("abc") is the FIPS 180-2 example value. */
    const char *plain = tmp_path("abc"), *gz = tmp_path("abc.gz");
    write_bytes(plain, "abc", 3, 0);
    write_bytes(gz, "abc", 3, 1);
    char hex[65];
    const char *want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    cr_assert_eq(dn_sha256_file(plain, hex, NULL), DN_OK);
    cr_assert_str_eq(hex, want);
    cr_assert_eq(dn_sha256_file(gz, hex, NULL), DN_OK);
    cr_assert_str_eq(hex, want);
}

/* A pipe (dropnet predict --images /dev/stdin, a FIFO) has no size to check
 * a header against: the reader takes what arrives and reports a short
 * stream as truncated, without first allocating what the header claims
 * (2^31 items here, 2 GiB that would have been allocated and zeroed). A
 * stream that holds what it claims reads as a file does. */
static void through_fifo(const char *name, const void *bytes, size_t n, int ndims,
                         uint8_t **data, size_t dims[3], dn_err *err, int *rc)
{
    const char *path = tmp_path(name);
    unlink(path);
    cr_assert_eq(mkfifo(path, 0600), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(bytes, 1, n, f);
            fclose(f);
        }
        _exit(0);
    }
    *rc = dn_idx_read(path, ndims, data, dims, err);
    waitpid(pid, NULL, 0);
}

Test(idx, pipes_grow_with_what_arrives)
{
    unsigned char claim[8 + 5] = {0, 0, 8, 1, 0x80, 0, 0, 0, 1, 2, 3, 4, 5};
    uint8_t *data = NULL;
    size_t dims[3];
    dn_err err = {0};
    int rc;
    through_fifo("fifo1", claim, sizeof claim, 1, &data, dims, &err, &rc);
    cr_assert_eq(rc, DN_EFORMAT, "%s", err.msg);
    cr_assert(strstr(err.msg, "truncated: 2147483648 bytes of the items expected, the file ends after 5"),
              "%s", err.msg);
    cr_assert_null(data);
    /* 3 MB of labels through the pipe: the buffer grows past its first 1 MiB. */
    size_t n = 3u << 20;
    unsigned char *whole = malloc(8 + n);
    memcpy(whole, (unsigned char[]){0, 0, 8, 1, (unsigned char)(n >> 24),
                                    (unsigned char)(n >> 16), (unsigned char)(n >> 8),
                                    (unsigned char)n}, 8);
    for (size_t i = 0; i < n; i++)
        whole[8 + i] = (unsigned char)(i % 10);
    through_fifo("fifo2", whole, 8 + n, 1, &data, dims, &err, &rc);
    cr_assert_eq(rc, DN_OK, "%s", err.msg);
    cr_assert_eq(dims[0], n);
    cr_assert(memcmp(data, whole + 8, n) == 0);
    free(data);
    free(whole);
}
