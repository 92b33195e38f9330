/* safetensors files and model files (src/files/safetensors.c, src/files/model.c):
 * the input is the file. The low-level reader opens it and reads every
 * tensor; the model reader builds a network from it. A model that loads is
 * run forward, written back with dn_model_save and read again: the second
 * reading must give the same layers, parameters and metadata. */
#include "fuzz_util.h"

#include "files/safetensors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void low_level(const char *path)
{
    dn_st_file st;
    dn_err err = {0};
    if (dn_st_open(&st, path, &err) != DN_OK) {
        fuzz_one_line(&err);
        return;
    }
    for (int i = 0; i < st.n; i++) {
        const dn_st_tensor *t = &st.t[i];
        if (dn_st_find(&st, t->name) != t)
            fuzz_fail("tensor '%s' is not found by its name", t->name);
        if (t->end > st.data_size || t->end - t->begin != 4 * t->count)
            fuzz_fail("tensor '%s' has range [%llu, %llu) for %llu elements", t->name,
                      (unsigned long long)t->begin, (unsigned long long)t->end,
                      (unsigned long long)t->count);
        float *buf = malloc((size_t)t->count * sizeof(float) + 1);
        if (!buf)
            fuzz_fail("out of memory");
        if (dn_st_read(&st, t, buf, &err) == DN_OK) {
            for (uint64_t k = 0; k < t->count; k++)
                if (!isfinite(buf[k]))
                    fuzz_fail("tensor '%s' element %llu is not finite", t->name,
                              (unsigned long long)k);
        } else {
            fuzz_one_line(&err);
        }
        free(buf);
    }
    for (int i = 0; i < st.n_meta; i++)
        if (dn_st_meta(&st, st.keys[i]) == NULL)
            fuzz_fail("metadata key '%s' is not found", st.keys[i]);
    dn_st_close(&st);
}

static void same_info(const dn_model_info *a, const dn_model_info *b, int inputs)
{
    if (a->input_scale != b->input_scale || a->input_rows != b->input_rows ||
        a->input_cols != b->input_cols || strcmp(a->classes, b->classes) != 0 ||
        !a->input_mean != !b->input_mean)
        fuzz_fail("the model's metadata changed in a round trip");
    if (a->input_mean &&
        (memcmp(a->input_mean, b->input_mean, (size_t)inputs * sizeof(float)) != 0 ||
         memcmp(a->input_std, b->input_std, (size_t)inputs * sizeof(float)) != 0))
        fuzz_fail("the model's input statistics changed in a round trip");
}

static void model(const char *path)
{
    dn_model_info info, info2;
    dn_err err = {0};
    dn_net *net = dn_model_load(path, 2, &info, &err);
    if (!net) {
        fuzz_one_line(&err);
        return;
    }
    int in = dn_net_input_width(net);
    float *x = calloc((size_t)in * 2, sizeof *x);
    if (!x)
        fuzz_fail("out of memory");
    const float *z = dn_net_forward(net, x, 2, NULL);
    for (int k = 0; k < 2 * dn_net_output_width(net); k++)
        (void)z[k]; /* read every logit: the buffer is that long */
    free(x);
    const char *out = fuzz_path("out");
    fuzz_check(dn_model_save(out, net, &info, &err), &err, "dn_model_save");
    dn_net *net2 = dn_model_load(out, 2, &info2, &err);
    if (!net2)
        fuzz_fail("a model written by dn_model_save does not load: %s", err.msg);
    char d1[16384], d2[16384];
    if (dn_net_describe(net, d1, sizeof d1, NULL) == DN_OK &&
        (dn_net_describe(net2, d2, sizeof d2, NULL) != DN_OK || strcmp(d1, d2) != 0))
        fuzz_fail("layers changed in a round trip: %s", d1);
    size_t n1, n2;
    const float *p1 = dn_net_params(net, &n1), *p2 = dn_net_params(net2, &n2);
    if (n1 != n2 || memcmp(p1, p2, n1 * sizeof *p1) != 0)
        fuzz_fail("parameters changed in a round trip");
    same_info(&info, &info2, in);
    dn_model_info_free(&info);
    dn_model_info_free(&info2);
    dn_net_free(net);
    dn_net_free(net2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("in", data, size);
    low_level(path);
    model(path);
    return 0;
}
