/* Parity with PyTorch: the golden values of tests/golden/parity.json were
 * computed by tests/golden/make_golden.py with PyTorch 1.13 (see there): a
 * 6-(5,4)-3 MLP with input dropout, its weights, three batches and the
 * dropout masks dropnet draws for them. dropnet must reproduce the masks
 * exactly, and the logits, loss, gradients and parameters after each of
 * three SGD steps with weight decay within 1e-5 relative, plus 1e-7
 * absolute (float32's resolution at 1): a bias gradient is a sum of terms
 * near 0.25 that cancel to 1e-3, so its last bits depend on the order of the
 * additions, which PyTorch does not fix. */
#include "helpers.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *golden(void)
{
    const char *path = DN_SOURCE_DIR "/tests/golden/parity.json";
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *root = cJSON_Parse(text);
    cr_assert(root, "%s is not JSON", path);
    return root;
}

static int floats(const cJSON *a, float *out, int max)
{
    int n = cJSON_GetArraySize(a);
    cr_assert(n <= max);
    for (int i = 0; i < n; i++)
        out[i] = (float)cJSON_GetArrayItem(a, i)->valuedouble;
    return n;
}

static void close_to(const char *what, const float *got, const cJSON *want)
{
    float w[256];
    int n = floats(want, w, 256);
    cr_assert(n > 0, "%s: no golden values", what);
    for (int i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)w[i]);
        cr_expect(d <= 1e-5 * fabs((double)w[i]) + 1e-7, "%s[%d]: dropnet %.9g, PyTorch %.9g",
                  what, i, (double)got[i], (double)w[i]);
    }
}

static dn_net *golden_net(const cJSON *g)
{
    const cJSON *hid = cJSON_GetObjectItem(g, "hidden"), *drop = cJSON_GetObjectItem(g, "dropout");
    dn_mlp_spec s = {.inputs = cJSON_GetObjectItem(g, "inputs")->valueint,
                     .outputs = cJSON_GetObjectItem(g, "outputs")->valueint,
                     .n_hidden = cJSON_GetArraySize(hid),
                     .input_dropout = (float)cJSON_GetObjectItem(g, "input_dropout")->valuedouble};
    for (int i = 0; i < s.n_hidden; i++) {
        s.hidden[i] = cJSON_GetArrayItem(hid, i)->valueint;
        s.dropout[i] = (float)cJSON_GetArrayItem(drop, i)->valuedouble;
    }
    dn_err err = {0};
    dn_net *net = dn_net_mlp(&s, cJSON_GetObjectItem(g, "batch")->valueint, &err);
    cr_assert(net, "%s", err.msg);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_NORMAL, 0.01f}, 1, &err), DN_OK);
    /* PyTorch's initial parameters, by their state_dict names. */
    const cJSON *init = cJSON_GetObjectItem(g, "initial");
    int tensors = 0;
    for (int i = 0; i < dn_net_num_layers(net); i++) {
        dn_layer_info L;
        dn_net_layer(net, i, &L, NULL);
        if (L.kind != DN_LAYER_LINEAR)
            continue;
        char nm[32];
        snprintf(nm, sizeof nm, "%d.weight", i);
        cr_assert(cJSON_GetObjectItem(init, nm), "no %s in the golden file", nm);
        cr_assert_eq(floats(cJSON_GetObjectItem(init, nm), L.w, L.in * L.out), L.in * L.out);
        snprintf(nm, sizeof nm, "%d.bias", i);
        cr_assert_eq(floats(cJSON_GetObjectItem(init, nm), L.b, L.out), L.out);
        tensors += 2;
    }
    cr_assert_eq(tensors, cJSON_GetArraySize(init), "every golden tensor has its layer");
    return net;
}

Test(parity, three_sgd_steps_match_pytorch)
{
    cJSON *g = golden();
    dn_net *net = golden_net(g);
    uint64_t seed = (uint64_t)cJSON_GetObjectItem(g, "seed")->valuedouble;
    float lr = (float)cJSON_GetObjectItem(g, "lr")->valuedouble;
    float wd = (float)cJSON_GetObjectItem(g, "weight_decay")->valuedouble;
    int B = cJSON_GetObjectItem(g, "batch")->valueint;
    const cJSON *steps = cJSON_GetObjectItem(g, "steps");
    cr_assert_eq(cJSON_GetArraySize(steps), 3);
    int last = dn_net_num_layers(net) - 1;
    for (int t = 0; t < 3; t++) {
        const cJSON *st = cJSON_GetArrayItem(steps, t);
        float x[256];
        uint8_t y[16];
        floats(cJSON_GetObjectItem(st, "x"), x, 256);
        const cJSON *ys = cJSON_GetObjectItem(st, "y");
        for (int r = 0; r < B; r++)
            y[r] = (uint8_t)cJSON_GetArrayItem(ys, r)->valueint;
        dn_net_set_rng(net, seed, (uint32_t)t);
        double loss_sum = 0.0;
        size_t correct = 0;
        dn_err err = {0};
        cr_assert_eq(dn_net_train_step(net, x, y, B, lr, wd, &loss_sum, &correct, &err), DN_OK,
                     "%s", err.msg);
        char what[64];
        /* The masks: Philox as dropnet documents it, computed independently. */
        const cJSON *masks = cJSON_GetObjectItem(st, "masks"), *m;
        int n_masks = 0;
        cJSON_ArrayForEach(m, masks)
        {
            int layer = atoi(m->string);
            const uint8_t *mask = dn_net_mask(net, layer);
            cr_assert(mask, "layer %d has no mask", layer);
            for (int i = 0; i < cJSON_GetArraySize(m); i++)
                cr_assert_eq(mask[i], cJSON_GetArrayItem(m, i)->valueint,
                             "step %d, layer %d, element %d", t, layer, i);
            n_masks++;
        }
        cr_assert_eq(n_masks, 3);
        snprintf(what, sizeof what, "step %d logits", t);
        close_to(what, dn_net_activation(net, last), cJSON_GetObjectItem(st, "logits"));
        float loss = (float)(loss_sum / B);
        cJSON *want_loss = cJSON_CreateArray();
        cJSON_AddItemToArray(want_loss, cJSON_CreateNumber(cJSON_GetObjectItem(st, "loss")->valuedouble));
        snprintf(what, sizeof what, "step %d loss", t);
        close_to(what, &loss, want_loss);
        cJSON_Delete(want_loss);
        const cJSON *grads = cJSON_GetObjectItem(st, "grads");
        const cJSON *after = cJSON_GetObjectItem(st, "params_after");
        for (int i = 0; i <= last; i++) {
            dn_layer_info L;
            dn_net_layer(net, i, &L, NULL);
            if (L.kind != DN_LAYER_LINEAR)
                continue;
            char nm[32];
            snprintf(nm, sizeof nm, "%d.weight", i);
            snprintf(what, sizeof what, "step %d grad %s", t, nm);
            close_to(what, L.dw, cJSON_GetObjectItem(grads, nm));
            snprintf(what, sizeof what, "step %d %s after", t, nm);
            close_to(what, L.w, cJSON_GetObjectItem(after, nm));
            snprintf(nm, sizeof nm, "%d.bias", i);
            snprintf(what, sizeof what, "step %d grad %s", t, nm);
            close_to(what, L.db, cJSON_GetObjectItem(grads, nm));
            snprintf(what, sizeof what, "step %d %s after", t, nm);
            close_to(what, L.b, cJSON_GetObjectItem(after, nm));
        }
    }
    dn_net_free(net);
    cJSON_Delete(g);
}

/* A file as PyTorch's safetensors writer lays it out (names sorted, no
 * dropnet metadata): dropnet infers the layers (the input dropout puts the
 * Linear layers at 2, 5, 8) and gives PyTorch's eval-mode logits. */
Test(parity, reads_a_pytorch_file)
{
    cJSON *g = golden();
    dn_err err = {0};
    dn_model_info info;
    dn_net *net = dn_model_load(DN_SOURCE_DIR "/tests/golden/torch_model.safetensors", 4, &info,
                                &err);
    cr_assert(net, "%s", err.msg);
    char layers[256];
    dn_net_describe(net, layers, sizeof layers, NULL);
    cr_assert_str_eq(layers, "Flatten,Dropout(0),Linear(6,5),ReLU,Dropout(0),Linear(5,4),ReLU,"
                             "Dropout(0),Linear(4,3)");
    cr_assert(!info.dropout_known);
    cr_assert_eq(info.input_scale, 255.0f, "no metadata: pixels / 255 as ToTensor");
    float x[64];
    floats(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(g, "steps"), 0), "x"), x,
           64);
    const float *z = dn_net_forward(net, x, 4, NULL);
    close_to("eval logits", z, cJSON_GetObjectItem(g, "eval_logits"));
    dn_model_info_free(&info);
    dn_net_free(net);
    cJSON_Delete(g);
}
