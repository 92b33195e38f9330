/* CSV data (src/data/csv.c): the Fashion-MNIST CSV layout with and without
 * a header, feature statistics, input preparation, and an error naming the
 * file and line for every bad row. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *csv(const char *name, const char *text)
{
    const char *path = tmp_path(name);
    write_bytes(path, text, strlen(text), 0);
    return path;
}

static void expect_error(const char *path, int width, int classes, const char *words)
{
    dn_dataset ds;
    dn_err err = {0};
    cr_assert_eq(dn_csv_load(&ds, path, width, classes, &err), DN_EFORMAT,
                 "%s loaded; expected '%s'", path, words);
    cr_assert(strstr(err.msg, words), "message '%s' lacks '%s'", err.msg, words);
    cr_assert(strstr(err.msg, path), "message '%s' does not name the file", err.msg);
    cr_assert_eq(leaks_now(), 0, "the error path leaks (LeakSanitizer's report above)");
}

Test(csv, header_row_and_values)
{
    const char *p = csv("h.csv", "label,pixel1,pixel2,pixel3\n2,0,128,255\n0, 1.5 ,-2,3e2\r\n\n"
                                 "1,0,0,0\n");
    dn_dataset ds;
    dn_err err = {0};
    cr_assert_eq(dn_csv_load(&ds, p, 0, 0, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(ds.n, 3);
    cr_assert_eq(ds.rows, 1);
    cr_assert_eq(ds.cols, 3);
    cr_assert_eq(ds.classes, 3, "the largest label + 1");
    cr_assert_null(ds.images);
    float want[9] = {0, 128, 255, 1.5f, -2, 300, 0, 0, 0};
    cr_assert_arr_eq(ds.features, want, sizeof want);
    uint8_t labels[3] = {2, 0, 1};
    cr_assert_arr_eq(ds.labels, labels, 3);
    /* Batches copy feature rows as they are. */
    float x[6];
    uint32_t idx[2] = {2, 0};
    dn_batch_images(x, &ds, idx, 2);
    float wx[6] = {0, 0, 0, 0, 128, 255};
    cr_assert_arr_eq(x, wx, sizeof wx);
    dn_dataset head;
    cr_assert_eq(dn_dataset_head(&head, &ds, 2, &err), DN_OK);
    cr_assert_arr_eq(head.features, want, 6 * sizeof(float));
    dn_dataset_free(&head);
    dn_dataset_free(&ds);
}

Test(csv, no_header_and_given_width_and_classes)
{
    const char *p = csv("nh.csv", "1,0.5,0.25\n0,1,2\n");
    dn_dataset ds;
    dn_err err = {0};
    cr_assert_eq(dn_csv_load(&ds, p, 2, 10, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(ds.n, 2);
    cr_assert_eq(ds.classes, 10, "a test set takes the training set's classes");
    cr_assert_eq(ds.features[0], 0.5f);
    dn_dataset_free(&ds);
}

Test(csv, bad_rows_name_file_and_line)
{
    expect_error(csv("cols.csv", "label,a,b\n1,2,3\n1,2\n"), 0, 0,
                 ":3: 2 columns, expected 3");
    expect_error(csv("cols2.csv", "1,2,3\n1,2,3,4\n"), 0, 0, ":2: 4 columns, expected 3");
    expect_error(csv("word.csv", "1,2,3\n1,x,3\n"), 0, 0, ":2: column 2: 'x' is not a finite");
    expect_error(csv("empty.csv", "1,2,3\n1,,3\n"), 0, 0, ":2: column 2: '' is not a finite");
    expect_error(csv("nan.csv", "1,2,3\n1,2,nan\n"), 0, 0, ":2: column 3: 'nan' is not a finite");
    expect_error(csv("inf.csv", "1,2,3\n1,2,inf\n"), 0, 0, ":2: column 3: 'inf' is not a finite");
    expect_error(csv("big.csv", "1,2,3\n1,2,1e39\n"), 0, 0, ":2: column 3: '1e39'");
    expect_error(csv("neg.csv", "1,2,3\n-1,2,3\n"), 0, 0, ":2: label -1 is out of range [0, 256)");
    expect_error(csv("high.csv", "1,2,3\n256,2,3\n"), 0, 0, ":2: label 256 is out of range");
    expect_error(csv("frac.csv", "1,2,3\n1.5,2,3\n"), 0, 0, ":2: label '1.5' is not an integer");
    expect_error(csv("cls.csv", "1,2,3\n10,2,3\n"), 2, 10,
                 ":2: label 10 is out of range [0, 10) (the classes of the training data)");
    expect_error(csv("width.csv", "1,2,3,4\n"), 2, 10, ":1: 3 features, but the training data has 2");
    expect_error(csv("one.csv", "1\n2\n"), 0, 0, ":1: one column");
    expect_error(csv("none.csv", ""), 0, 0, "holds no data rows");
    expect_error(csv("hdr.csv", "label,a,b\n"), 0, 0, "holds no data rows");
    write_bytes(tmp_path("nul.csv"), "1,2\n1,\0\n", 8, 0);
    expect_error(tmp_path("nul.csv"), 0, 0, ":2: holds a NUL byte");
    dn_dataset ds;
    dn_err err = {0};
    cr_assert_eq(dn_csv_load(&ds, tmp_path("absent.csv"), 0, 0, &err), DN_EIO);
    cr_assert(strstr(err.msg, "absent.csv: cannot open"), "%s", err.msg);
}

/* A first line is a header only when most of its fields are not numbers:
 * a data row with one typo is an error, not a header skipped in silence;
 * a byte order mark is not part of the first field. */
Test(csv, header_only_when_mostly_not_numbers)
{
    dn_dataset ds;
    dn_err err = {0};
    cr_assert_eq(dn_csv_load(&ds, csv("h1.csv", "label,a,b\n1,2,3\n"), 0, 0, &err), DN_OK);
    cr_assert_eq(ds.n, 1);
    cr_assert_str_eq(ds.header, "label,a,b");
    dn_dataset_free(&ds);
    cr_assert_eq(dn_csv_load(&ds, csv("h2.csv", "1,2,3\n0,2,3\n"), 0, 0, &err), DN_OK);
    cr_assert_eq(ds.n, 2, "no header: both rows are data");
    cr_assert_str_eq(ds.header, "");
    dn_dataset_free(&ds);
    /* Half numbers or more: data, so the typo is named with its line. */
    expect_error(csv("typo.csv", "0,1,O.4,3\n1,2,3,4\n"), 0, 0,
                 ":1: column 3: 'O.4' is not a finite number (line 1 is taken as a header only");
    expect_error(csv("typo2.csv", "1,O.4\n1,2\n"), 0, 0, ":1: column 2: 'O.4'");
    expect_error(csv("lbl.csv", "y,1,2\n1,2,3\n"), 0, 0, ":1: label 'y' is not an integer (line 1");
    /* The same typo further down says nothing about headers. */
    expect_error(csv("typo3.csv", "0,1,2\n1,O.4,3\n"), 0, 0, ":2: column 2: 'O.4' is not a finite number");
    dn_dataset d2;
    cr_assert_eq(dn_csv_load(&d2, csv("typo4.csv", "0,1,2\n1,O.4,3\n"), 0, 0, &err), DN_EFORMAT);
    cr_assert_null(strstr(err.msg, "header"), "%s", err.msg);
    /* A long header is kept cut, with its end marked. */
    char big[1024] = "label";
    for (int i = 0; i < 60; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), ",pixel%d", i);
    strcat(big, "\n1");
    for (int i = 0; i < 60; i++)
        strcat(big, ",0");
    strcat(big, "\n");
    cr_assert_eq(dn_csv_load(&ds, csv("long.csv", big), 0, 0, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(strlen(ds.header), 63);
    cr_assert_eq(strncmp(ds.header, "label,pixel0,pixel1,", 20), 0, "%s", ds.header);
    cr_assert_str_eq(ds.header + 60, "...");
    dn_dataset_free(&ds);
}

Test(csv, byte_order_mark_skipped)
{
    dn_dataset ds;
    dn_err err = {0};
    cr_assert_eq(dn_csv_load(&ds, csv("bom.csv", "\xef\xbb\xbf" "2,1,2\n0,3,4\n"), 0, 0, &err),
                 DN_OK, "%s", err.msg);
    cr_assert_eq(ds.n, 2, "the first row is data, not a header");
    cr_assert_eq(ds.labels[0], 2);
    cr_assert_str_eq(ds.header, "");
    dn_dataset_free(&ds);
    cr_assert_eq(dn_csv_load(&ds, csv("bomh.csv", "\xef\xbb\xbf" "label,a\n1,2\n"), 0, 0, &err),
                 DN_OK, "%s", err.msg);
    cr_assert_eq(ds.n, 1);
    cr_assert_str_eq(ds.header, "label,a", "the mark is not part of the header");
    dn_dataset_free(&ds);
    /* Only at the start of the file. */
    expect_error(csv("bom2.csv", "1,2\n\xef\xbb\xbf" "1,2\n"), 0, 0, ":2: label");
}

/* Float-subnormal values are finite numbers: kept as the nearest float
 * (1e-45 is the smallest subnormal, 2^-149); below half of it they read
 * as 0, as strtof rounds them. */
Test(csv, subnormal_values_accepted)
{
    dn_dataset ds;
    dn_err err = {0};
    cr_assert_eq(dn_csv_load(&ds, csv("sub.csv", "0,1e-45,1e-40,1e-38,1e-50,-1e-45\n"), 0, 0,
                             &err), DN_OK, "%s", err.msg);
    cr_assert_eq(ds.features[0], 0x1p-149f);
    cr_assert_eq(ds.features[1], strtof("1e-40", NULL));
    cr_assert(ds.features[1] > 0.0f && ds.features[1] < 0x1p-126f, "subnormal");
    cr_assert_eq(ds.features[2], strtof("1e-38", NULL));
    cr_assert_eq(ds.features[3], 0.0f);
    cr_assert_eq(ds.features[4], -0x1p-149f);
    dn_dataset_free(&ds);
}

Test(csv, statistics_and_preparation)
{
    const char *p = csv("st.csv", "0,1,10,5\n1,3,10,5\n0,5,10,5\n1,7,10,5\n");
    dn_dataset ds;
    dn_err err = {0};
    cr_assert_eq(dn_csv_load(&ds, p, 0, 0, &err), DN_OK, "%s", err.msg);
    float mean[3], std[3];
    cr_assert_eq(dn_feature_stats(&ds, mean, std, &err), DN_OK);
    cr_assert_eq(mean[0], 4.0f);
    cr_assert_float_eq(std[0], sqrtf(5.0f), 1e-6f, "population std of 1,3,5,7");
    cr_assert_eq(mean[1], 10.0f);
    cr_assert_eq(std[1], 1.0f, "a constant feature gets std 1");
    cr_assert_eq(dn_dataset_prepare(&ds, 1.0f, mean, std, &err), DN_OK);
    cr_assert_float_eq(ds.features[0], -3.0f / sqrtf(5.0f), 1e-6f);
    cr_assert_eq(ds.features[1], 0.0f);
    dn_dataset_free(&ds);

    cr_assert_eq(dn_csv_load(&ds, p, 0, 0, &err), DN_OK);
    cr_assert_eq(dn_dataset_prepare(&ds, 255.0f, NULL, NULL, &err), DN_OK);
    cr_assert_eq(ds.features[1], 10.0f / 255.0f);
    cr_assert_eq(dn_dataset_prepare(&ds, 0.0f, NULL, NULL, &err), DN_EINVAL);
    dn_dataset_free(&ds);
}

/* Images prepared with scale 255 stay images (batches divide by 255); other
 * preparations turn them into features with the same arithmetic. */
Test(csv, images_prepared_for_a_model)
{
    dn_dataset a, b;
    synthetic_dataset(&a, 4, 1);
    synthetic_dataset(&b, 4, 1);
    dn_err err = {0};
    cr_assert_eq(dn_dataset_prepare(&a, 255.0f, NULL, NULL, &err), DN_OK);
    cr_assert_null(a.features);
    float m[784], s[784];
    for (int i = 0; i < 784; i++) {
        m[i] = 0.0f;
        s[i] = 255.0f;
    }
    cr_assert_eq(dn_dataset_prepare(&b, 1.0f, m, s, &err), DN_OK);
    cr_assert_not_null(b.features);
    float xa[4 * 784], xb[4 * 784];
    uint32_t idx[4] = {0, 1, 2, 3};
    dn_batch_images(xa, &a, idx, 4);
    dn_batch_images(xb, &b, idx, 4);
    cr_assert_arr_eq(xa, xb, sizeof xa, "(x - 0) / 255 = x / 255, bit for bit");
    dn_dataset_free(&a);
    dn_dataset_free(&b);
}
