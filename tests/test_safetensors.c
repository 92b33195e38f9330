/* The safetensors reader and writer (src/files/safetensors.c): a round trip,
 * and a one-line DN_EFORMAT naming the file for every malformed file. */
#include "helpers.h"
#include "files/safetensors.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An 8-byte length (given, or the header's own when len is -1), the header
 * text, then n data bytes. */
static const char *write_st(const char *name, long long len, const char *header,
                            const void *data, size_t n)
{
    const char *path = tmp_path(name);
    size_t h = strlen(header);
    unsigned long long L = len < 0 ? (unsigned long long)h : (unsigned long long)len;
    unsigned char *buf = malloc(8 + h + n + 1);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(L >> (8 * i));
    memcpy(buf + 8, header, h);
    if (n)
        memcpy(buf + 8 + h, data, n);
    write_bytes(path, buf, 8 + h + n, 0);
    free(buf);
    return path;
}

static void expect_error(const char *path, const char *words)
{
    dn_st_file st;
    dn_err err = {0};
    int rc = dn_st_open(&st, path, &err);
    cr_assert_eq(rc, DN_EFORMAT, "%s: expected a format error with '%s', got %d: %s", path,
                 words, rc, err.msg);
    cr_assert(strstr(err.msg, words), "message '%s' lacks '%s'", err.msg, words);
    cr_assert(strstr(err.msg, path), "message '%s' does not name the file", err.msg);
    cr_assert(!strchr(err.msg, '\n'), "one line: %s", err.msg);
    cr_assert_eq(leaks_now(), 0, "the error path leaks (LeakSanitizer's report above)");
}

static const float six[6] = {1, 2, 3, 4, 5, 6};

Test(safetensors, round_trip)
{
    float b[2] = {-0.5f, 0x1p-149f};
    dn_st_out t[2] = {{"w", 2, {2, 3}, six}, {"b", 1, {2}, b}};
    const char *meta[] = {"layers", "x", "format", "pt"};
    const char *path = tmp_path("rt.safetensors");
    dn_err err = {0};
    cr_assert_eq(dn_st_write(path, t, 2, meta, 2, &err), DN_OK, "%s", err.msg);
    dn_st_file st;
    cr_assert_eq(dn_st_open(&st, path, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(st.n, 2);
    cr_assert_eq(st.data_start % 8, 0, "header padded to 8 bytes");
    cr_assert_str_eq(dn_st_meta(&st, "format"), "pt");
    cr_assert_str_eq(dn_st_meta(&st, "layers"), "x");
    cr_assert_null(dn_st_meta(&st, "nothing"));
    const dn_st_tensor *w = dn_st_find(&st, "w");
    cr_assert(w && w->rank == 2 && w->shape[0] == 2 && w->shape[1] == 3 && w->count == 6);
    float got[6];
    cr_assert_eq(dn_st_read(&st, w, got, &err), DN_OK);
    cr_assert_arr_eq(got, six, sizeof six);
    cr_assert_eq(dn_st_read(&st, dn_st_find(&st, "b"), got, &err), DN_OK);
    cr_assert_arr_eq(got, b, sizeof b, "bit for bit, subnormals too");
    dn_st_close(&st);
}

Test(safetensors, a_missing_file_is_an_io_error)
{
    dn_st_file st;
    dn_err err = {0};
    cr_assert_eq(dn_st_open(&st, tmp_path("absent.safetensors"), &err), DN_EIO);
    cr_assert(strstr(err.msg, "absent.safetensors"), "%s", err.msg);
}

Test(safetensors, truncated_before_the_header_length)
{
    write_bytes(tmp_path("short"), "\x10\x00\x00", 3, 0);
    expect_error(tmp_path("short"), "truncated");
    write_bytes(tmp_path("empty"), "", 0, 0);
    expect_error(tmp_path("empty"), "truncated");
}

Test(safetensors, header_length_past_the_end)
{
    expect_error(write_st("past", 4096, "{}", NULL, 0), "runs past the end of the file");
    /* A file cut inside its data: the offsets now run past the data. */
    const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24]}}";
    expect_error(write_st("cut", -1, h, six, 20), "past the end of the data");
}

Test(safetensors, huge_header_length)
{
    expect_error(write_st("huge", 0x7fffffffffffffffLL, "{}", NULL, 0), "above the limit");
    expect_error(write_st("huge2", (long long)DN_SAFETENSORS_MAX_HEADER + 1, "{}", NULL, 0),
                 "above the limit");
}

Test(safetensors, header_not_json)
{
    expect_error(write_st("notobj", -1, "[1,2]   ", NULL, 0), "not a JSON object");
    expect_error(write_st("badjson", -1, "{\"w\":", NULL, 0), "not valid JSON");
    expect_error(write_st("trail", -1, "{} x", NULL, 0), "bytes after its JSON object");
    expect_error(write_st("tiny", -1, "{", NULL, 0), "cannot hold a JSON object");
    expect_error(write_st("entry", -1, "{\"w\":3}", NULL, 0), "is not an object");
}

Test(safetensors, dtype_other_than_f32)
{
    const char *h = "{\"w\":{\"dtype\":\"F16\",\"shape\":[6],\"data_offsets\":[0,12]}}";
    expect_error(write_st("f16", -1, h, six, 12), "dtype F16; dropnet reads F32 only");
    h = "{\"w\":{\"shape\":[6],\"data_offsets\":[0,24]}}";
    expect_error(write_st("nodtype", -1, h, six, 24), "has no dtype");
}

Test(safetensors, bad_shapes)
{
    const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-6],\"data_offsets\":[0,24]}}";
    expect_error(write_st("neg", -1, h, six, 24), "not a non-negative integer");
    h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,24]}}";
    expect_error(write_st("frac", -1, h, six, 24), "not a non-negative integer");
    h = "{\"w\":{\"dtype\":\"F32\",\"shape\":6,\"data_offsets\":[0,24]}}";
    expect_error(write_st("noarr", -1, h, six, 24), "no shape array");
    h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,6],\"data_offsets\":[0,24]}}";
    expect_error(write_st("rank", -1, h, six, 24), "9 dimensions");
    h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,24]}}";
    expect_error(write_st("overflow", -1, h, six, 24), "more elements than the file");
    h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,24]}}";
    expect_error(write_st("mismatch", -1, h, six, 24), "24 bytes of data but its shape needs 20");
    /* 2^62 is a non-negative integer; it is too large, and says so. */
    h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,24]}}";
    expect_error(write_st("huge", -1, h, six, 24),
                 "dimension 0 (4611686018427387904) is larger than the file could hold");
}

/* A key given twice inside one tensor's entry: which one counts would be a
 * guess (cJSON finds the first). */
Test(safetensors, duplicate_keys_in_a_tensor_entry)
{
    const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"dtype\":\"F16\","
                    "\"data_offsets\":[0,24]}}";
    expect_error(write_st("dupdtype", -1, h, six, 24), "tensor 'w' has the key 'dtype' twice");
    h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24],"
        "\"data_offsets\":[0,24]}}";
    expect_error(write_st("dupoffs", -1, h, six, 24),
                 "tensor 'w' has the key 'data_offsets' twice");
}

/* The header is UTF-8 JSON (the format says so): a stray byte, an overlong
 * form or an encoded surrogate is an error at its offset. */
Test(safetensors, header_must_be_utf8)
{
    const char *h = "{\"__metadata__\":{\"classes\":\"a,\xff\"}}";
    expect_error(write_st("ff", -1, h, NULL, 0), "the header is not valid UTF-8 (at byte 30 of");
    h = "{\"__metadata__\":{\"x\":\"\xc0\xaf\"}}";
    expect_error(write_st("overlong", -1, h, NULL, 0), "not valid UTF-8 (at byte 22 ");
    h = "{\"__metadata__\":{\"x\":\"\xed\xa0\x80\"}}";
    expect_error(write_st("surrogate", -1, h, NULL, 0), "not valid UTF-8");
    h = "{\"__metadata__\":{\"x\":\"\xe2\x82\"}}";
    expect_error(write_st("cut", -1, h, NULL, 0), "not valid UTF-8");
    /* Valid multi-byte text passes. */
    h = "{\"__metadata__\":{\"x\":\"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x91\x9f\"}}";
    dn_st_file st;
    dn_err err = {0};
    cr_assert_eq(dn_st_open(&st, write_st("utf8", -1, h, NULL, 0), &err), DN_OK, "%s", err.msg);
    cr_assert_str_eq(dn_st_meta(&st, "x"), "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x91\x9f");
    dn_st_close(&st);
}

Test(safetensors, offsets_out_of_range)
{
    const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,48]}}";
    expect_error(write_st("oor", -1, h, six, 24), "past the end of the data (24 bytes)");
    h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[24,0]}}";
    expect_error(write_st("backwards", -1, h, six, 24), "end before begin");
    h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0]}}";
    expect_error(write_st("oneoff", -1, h, six, 24), "no data_offsets");
    h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,1e300]}}";
    expect_error(write_st("bigoff", -1, h, six, 24), "no data_offsets");
}

Test(safetensors, overlapping_and_uncovered_data)
{
    const char *h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
    expect_error(write_st("overlap", -1, h, six, 16), "overlap");
    h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}";
    expect_error(write_st("gap", -1, h, six, 24), "data bytes [8, 16) belong to no tensor");
    h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    expect_error(write_st("tail", -1, h, six, 24), "16 bytes after the last tensor");
}

Test(safetensors, metadata_and_names)
{
    const char *h = "{\"__metadata__\":{\"layers\":3}}";
    expect_error(write_st("metanum", -1, h, NULL, 0), "value of 'layers' is not a string");
    h = "{\"__metadata__\":[\"x\"]}";
    expect_error(write_st("metaarr", -1, h, NULL, 0), "__metadata__ is not an object");
    h = "{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}";
    expect_error(write_st("metadup", -1, h, NULL, 0), "key 'a' appears twice");
    h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
    expect_error(write_st("dup", -1, h, six, 16), "tensor 'a' appears twice");
}

Test(safetensors, non_finite_values_are_refused)
{
    float v[2] = {1.0f, NAN};
    const char *h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    const char *path = write_st("nan", -1, h, v, 8);
    dn_st_file st;
    dn_err err = {0};
    cr_assert_eq(dn_st_open(&st, path, &err), DN_OK, "%s", err.msg);
    float got[2];
    cr_assert_eq(dn_st_read(&st, dn_st_find(&st, "a"), got, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, "NaN at element 1"), "%s", err.msg);
    dn_st_close(&st);
}

/* A message quoting the file (here a tensor name with a newline, written
 * as a JSON escape) stays on one line: control characters become '?'. */
Test(safetensors, messages_stay_on_one_line)
{
    static const char header[] =
        "{\"a\\nb\\r\\u001b[31m\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}";
    const char *path = write_st("newline.safetensors", -1, header, "\0\0", 2);
    expect_error(path, "tensor 'a?b??[31m' has dtype F16");
}
