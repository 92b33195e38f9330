/* Model and checkpoint files (src/files/model.c, src/files/checkpoint.c):
 * PyTorch's names and shapes,
 * bit-exact round trips, layers inferred from PyTorch files, and a one-line
 * error for files whose layers or shapes do not fit. */
#include "helpers.h"
#include "files/safetensors.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dn_net *mlp(int in, int h1, int h2, int out, float p1, float p2, float pin, uint64_t seed)
{
    dn_mlp_spec s = {.inputs = in, .outputs = out, .n_hidden = h2 ? 2 : 1,
                     .hidden = {h1, h2}, .dropout = {p1, p2}, .input_dropout = pin};
    dn_err err = {0};
    dn_net *net = dn_net_mlp(&s, 8, &err);
    cr_assert(net, "%s", err.msg);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_PYTORCH, 0}, seed, &err), DN_OK);
    return net;
}

static void same_params(dn_net *a, dn_net *b)
{
    size_t na, nb;
    float *pa = dn_net_params(a, &na), *pb = dn_net_params(b, &nb);
    cr_assert_eq(na, nb);
    cr_assert(memcmp(pa, pb, na * sizeof(float)) == 0, "parameters differ");
}

static void expect_load_error(const char *path, const char *words)
{
    dn_err err = {0};
    dn_net *net = dn_model_load(path, 4, NULL, &err);
    cr_assert_null(net, "%s loaded; expected an error with '%s'", path, words);
    cr_assert_eq(err.code, DN_EFORMAT, "%s: %s", path, err.msg);
    cr_assert(strstr(err.msg, words), "message '%s' lacks '%s'", err.msg, words);
    cr_assert(strstr(err.msg, path), "message '%s' does not name the file", err.msg);
    cr_assert_eq(leaks_now(), 0, "the error path leaks (LeakSanitizer's report above)");
}

Test(model, names_and_shapes_are_pytorchs)
{
    dn_net *net = mlp(784, 256, 256, 10, 0.2f, 0.5f, 0.0f, 1);
    const char *path = tmp_path("d2l.safetensors");
    dn_err err = {0};
    cr_assert_eq(dn_model_save(path, net, NULL, &err), DN_OK, "%s", err.msg);
    dn_st_file st;
    cr_assert_eq(dn_st_open(&st, path, &err), DN_OK, "%s", err.msg);
    struct { const char *name; int rank; uint64_t d0, d1; } want[] = {
        {"1.weight", 2, 256, 784}, {"1.bias", 1, 256, 0}, {"4.weight", 2, 256, 256},
        {"4.bias", 1, 256, 0},     {"7.weight", 2, 10, 256}, {"7.bias", 1, 10, 0}};
    cr_assert_eq(st.n, 6);
    for (int i = 0; i < 6; i++) {
        const dn_st_tensor *t = dn_st_find(&st, want[i].name);
        cr_assert(t, "no %s", want[i].name);
        cr_assert_eq(t->rank, want[i].rank, "%s", want[i].name);
        cr_assert_eq(t->shape[0], want[i].d0, "%s", want[i].name);
        if (t->rank == 2)
            cr_assert_eq(t->shape[1], want[i].d1, "%s", want[i].name);
    }
    cr_assert_str_eq(dn_st_meta(&st, "layers"), "Flatten,Linear(784,256),ReLU,Dropout(0.2),"
                                                "Linear(256,256),ReLU,Dropout(0.5),Linear(256,10)");
    cr_assert_str_eq(dn_st_meta(&st, "format"), "pt");
    cr_assert_str_eq(dn_st_meta(&st, "dropnet"), "model");
    dn_st_close(&st);
    dn_net_free(net);
}

Test(model, round_trip_is_bit_exact_with_info)
{
    dn_net *net = mlp(6, 5, 4, 3, 0.3f, 0.1f, 0.25f, 7);
    float mean[6] = {1, 2, 3, 4, 5, 0.1f}, std[6] = {1, 0.5f, 2, 3, 1e-3f, 7};
    dn_model_info info = {.input_scale = 1.0f, .input_mean = mean, .input_std = std,
                          .input_rows = 2, .input_cols = 3};
    snprintf(info.classes, sizeof info.classes, "cat,dog,bird");
    const char *path = tmp_path("rt.safetensors");
    dn_err err = {0};
    cr_assert_eq(dn_model_save(path, net, &info, &err), DN_OK, "%s", err.msg);
    dn_model_info back;
    dn_net *net2 = dn_model_load(path, 4, &back, &err);
    cr_assert(net2, "%s", err.msg);
    same_params(net, net2);
    char a[256], b[256];
    dn_net_describe(net, a, sizeof a, NULL);
    dn_net_describe(net2, b, sizeof b, NULL);
    cr_assert_str_eq(a, b);
    cr_assert_str_eq(b, "Flatten,Dropout(0.25),Linear(6,5),ReLU,Dropout(0.3),Linear(5,4),ReLU,"
                        "Dropout(0.1),Linear(4,3)");
    cr_assert(!dn_net_training(net2), "a loaded model is in eval mode");
    cr_assert(back.dropout_known);
    cr_assert_arr_eq(back.input_mean, mean, sizeof mean);
    cr_assert_arr_eq(back.input_std, std, sizeof std);
    cr_assert_eq(back.input_rows, 2);
    cr_assert_eq(back.input_cols, 3);
    cr_assert_str_eq(back.classes, "cat,dog,bird");
    /* Saving the loaded model again gives the same bytes. */
    const char *path2 = tmp_path("rt2.safetensors");
    cr_assert_eq(dn_model_save(path2, net2, &back, &err), DN_OK);
    FILE *f1 = fopen(path, "rb"), *f2 = fopen(path2, "rb");
    static char b1[1 << 16], b2[1 << 16];
    size_t n1 = fread(b1, 1, sizeof b1, f1), n2 = fread(b2, 1, sizeof b2, f2);
    fclose(f1);
    fclose(f2);
    cr_assert_eq(n1, n2);
    cr_assert(memcmp(b1, b2, n1) == 0);
    dn_model_info_free(&back);
    dn_net_free(net);
    dn_net_free(net2);
}

/* Writes a model's tensors under other names or shapes, with given metadata. */
static const char *custom(const char *name, const char *layers, const char *const *names,
                          const uint64_t (*shapes)[2], int n)
{
    static float zeros[64 * 64];
    dn_st_out t[8];
    for (int i = 0; i < n; i++)
        t[i] = (dn_st_out){names[i], shapes[i][1] ? 2 : 1, {shapes[i][0], shapes[i][1]}, zeros};
    const char *meta[] = {"layers", layers};
    const char *path = tmp_path(name);
    dn_err err = {0};
    cr_assert_eq(dn_st_write(path, t, n, meta, layers ? 1 : 0, &err), DN_OK, "%s", err.msg);
    return path;
}

Test(model, shapes_must_match_the_metadata)
{
    const char *names[] = {"1.weight", "1.bias", "3.weight", "3.bias"};
    uint64_t ok[][2] = {{5, 6}, {5, 0}, {3, 5}, {3, 0}};
    const char *L = "Flatten,Linear(6,5),ReLU,Linear(5,3)";
    dn_err err = {0};
    dn_net *net = dn_model_load(custom("ok.st", L, names, ok, 4), 4, NULL, &err);
    cr_assert(net, "%s", err.msg);
    dn_net_free(net);
    uint64_t wrong_w[][2] = {{5, 7}, {5, 0}, {3, 5}, {3, 0}};
    expect_load_error(custom("ww.st", L, names, wrong_w, 4),
                      "tensor 1.weight has shape [5,7] but layer 1 Linear(6,5) needs [5,6]");
    uint64_t wrong_b[][2] = {{5, 6}, {4, 0}, {3, 5}, {3, 0}};
    expect_load_error(custom("wb.st", L, names, wrong_b, 4),
                      "tensor 1.bias has shape [4] but layer 1 Linear(6,5) needs [5]");
    expect_load_error(custom("missing.st", L, names, ok, 3), "no tensor 3.bias");
    const char *extra[] = {"1.weight", "1.bias", "3.weight", "3.bias", "9.bias"};
    uint64_t ex[][2] = {{5, 6}, {5, 0}, {3, 5}, {3, 0}, {3, 0}};
    expect_load_error(custom("extra.st", L, extra, ex, 5), "'9.bias' belongs to no Linear layer");
    expect_load_error(custom("badlayers.st", "Flatten,Conv2d(3),Linear(5,3)", names, ok, 4),
                      "cannot read layer 1");
    expect_load_error(custom("chain.st", "Flatten,Linear(6,5),ReLU,Linear(4,3)", names, ok, 4),
                      "layer 3 takes 4 inputs but the layer before gives 5");
    expect_load_error(custom("nolinear.st", "Flatten,ReLU", names, ok, 0), "no Linear layer");
    expect_load_error(custom("p.st", "Flatten,Linear(6,5),Dropout(1.5),Linear(5,3)", names, ok,
                             4), "dropout outside [0, 1]");
}

/* Class names that do not match the outputs would label predictions with
 * the wrong names: refused, not ignored. */
Test(model, class_names_must_match_the_outputs)
{
    dn_net *net = mlp(6, 5, 0, 3, 0.3f, 0, 0, 7);
    dn_model_info info = {.input_scale = 1.0f};
    snprintf(info.classes, sizeof info.classes, "cat,dog");
    const char *path = tmp_path("cls.safetensors");
    dn_err err = {0};
    cr_assert_eq(dn_model_save(path, net, &info, &err), DN_OK, "%s", err.msg);
    expect_load_error(path, "metadata \"classes\" names 2 classes but the model has 3 outputs");
    snprintf(info.classes, sizeof info.classes, "cat,dog,bird,fish");
    cr_assert_eq(dn_model_save(path, net, &info, &err), DN_OK, "%s", err.msg);
    expect_load_error(path, "names 4 classes but the model has 3 outputs");
    snprintf(info.classes, sizeof info.classes, "cat,dog,bird");
    cr_assert_eq(dn_model_save(path, net, &info, &err), DN_OK, "%s", err.msg);
    dn_model_info back;
    dn_net *ok = dn_model_load(path, 4, &back, &err);
    cr_assert(ok, "%s", err.msg);
    cr_assert_str_eq(back.classes, "cat,dog,bird");
    cr_assert(back.input_known, "dropnet's files say how inputs are prepared");
    dn_model_info_free(&back);
    dn_net_free(ok);
    dn_net_free(net);
}

Test(model, layers_inferred_from_pytorch_names)
{
    /* d2l's nn.Sequential: Linear layers at 1, 4, 7. */
    const char *names[] = {"1.weight", "1.bias", "4.weight", "4.bias", "7.weight", "7.bias"};
    uint64_t shapes[][2] = {{8, 6}, {8, 0}, {4, 8}, {4, 0}, {3, 4}, {3, 0}};
    dn_err err = {0};
    dn_model_info info;
    dn_net *net = dn_model_load(custom("pt.st", NULL, names, shapes, 6), 4, &info, &err);
    cr_assert(net, "%s", err.msg);
    char d[256];
    dn_net_describe(net, d, sizeof d, NULL);
    cr_assert_str_eq(d, "Flatten,Linear(6,8),ReLU,Dropout(0),Linear(8,4),ReLU,Dropout(0),"
                        "Linear(4,3)");
    cr_assert(!info.dropout_known);
    cr_assert(!info.input_known, "a PyTorch file does not say how inputs are prepared");
    cr_assert_eq(info.input_scale, 255.0f, "taken as pixels / 255");
    dn_model_info_free(&info);
    dn_net_free(net);
    /* Without dropout layers: ReLU alone between Linear layers (0, 2). */
    const char *n2[] = {"0.weight", "0.bias", "2.weight", "2.bias"};
    uint64_t s2[][2] = {{8, 6}, {8, 0}, {3, 8}, {3, 0}};
    net = dn_model_load(custom("pt2.st", NULL, n2, s2, 4), 4, NULL, &err);
    cr_assert(net, "%s", err.msg);
    dn_net_describe(net, d, sizeof d, NULL);
    cr_assert_str_eq(d, "Linear(6,8),ReLU,Linear(8,3)");
    dn_net_free(net);

    const char *bad[] = {"fc1.weight", "fc1.bias"};
    expect_load_error(custom("named.st", NULL, bad, s2, 2), "'fc1.weight' is not named");
    const char *far[] = {"1.weight", "1.bias", "9.weight", "9.bias"};
    uint64_t s3[][2] = {{8, 6}, {8, 0}, {3, 8}, {3, 0}};
    expect_load_error(custom("far.st", NULL, far, s3, 4), "between Linear layers 1 and 9");
    expect_load_error(custom("nobias.st", NULL, names, shapes, 5), "no tensor 7.bias");
    uint64_t s4[][2] = {{8, 6}, {8, 0}, {4, 9}, {4, 0}, {3, 4}, {3, 0}};
    expect_load_error(custom("chain2.st", NULL, names, s4, 6), "takes 9 inputs but layer 1 gives 8");
}

Test(model, read_into_needs_the_same_layers)
{
    dn_net *a = mlp(6, 5, 4, 3, 0.5f, 0.5f, 0.0f, 1);
    dn_net *b = mlp(6, 5, 4, 3, 0.5f, 0.5f, 0.0f, 2);
    dn_net *c = mlp(6, 7, 4, 3, 0.5f, 0.5f, 0.0f, 2);
    dn_net *d = mlp(6, 5, 4, 3, 0.5f, 0.2f, 0.0f, 2);
    const char *path = tmp_path("into.safetensors");
    dn_err err = {0};
    cr_assert_eq(dn_model_save(path, a, NULL, &err), DN_OK);
    cr_assert_eq(dn_model_read_into(path, b, NULL, &err), DN_OK, "%s", err.msg);
    same_params(a, b);
    cr_assert_eq(dn_model_read_into(path, c, NULL, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, "layer 1 is Linear(6,5), but the network's layers are"), "%s",
              err.msg);
    cr_assert_eq(dn_model_read_into(path, d, NULL, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, "layer 6 is Dropout(0.5)"), "%s", err.msg);
    dn_net_free(a);
    dn_net_free(b);
    dn_net_free(c);
    dn_net_free(d);
}

Test(model, checkpoint_round_trip)
{
    dn_net *a = mlp(6, 5, 4, 3, 0.5f, 0.5f, 0.0f, 1);
    dn_net *b = mlp(6, 5, 4, 3, 0.5f, 0.5f, 0.0f, 2);
    dn_epoch_stats rows[2] = {{1, 1.0 / 3.0, 0.5, 0.7, 0.6, 1.25, false, 0, 0}, {2, 0.1, 0.9, NAN, 0.8, 2, false, 0, 0}};
    dn_checkpoint ck = {.epoch = 2, .step = 17, .steps_per_epoch = 40, .train_examples = 1000,
                        .seed = DN_MAX_SEED, .loss_sum = 12.345678901234567, .correct = 99,
                        .n_metrics = 2, .metrics = rows, .config = "{\"x\": 1}"};
    const char *path = tmp_path("ck.safetensors");
    dn_err err = {0};
    cr_assert_eq(dn_checkpoint_save(path, a, NULL, &ck, &err), DN_OK, "%s", err.msg);
    dn_checkpoint back;
    cr_assert_eq(dn_checkpoint_load(path, b, NULL, &back, &err), DN_OK, "%s", err.msg);
    same_params(a, b);
    cr_assert_eq(back.epoch, 2);
    cr_assert_eq(back.step, 17);
    cr_assert_eq(back.steps_per_epoch, 40);
    cr_assert_eq(back.train_examples, 1000);
    cr_assert_eq(back.seed, DN_MAX_SEED);
    cr_assert_eq(back.loss_sum, 12.345678901234567, "the partial sum reads back exactly");
    cr_assert_eq(back.correct, 99);
    cr_assert_eq(back.n_metrics, 2);
    cr_assert_eq(back.metrics[0].train_loss, 1.0 / 3.0);
    cr_assert_eq(back.metrics[1].test_acc, 0.8);
    cr_assert(isnan(back.metrics[1].test_loss));
    cr_assert_str_eq(back.config, "{\"x\": 1}");
    dn_checkpoint_free(&back);

    /* A model file is not a checkpoint; a checkpoint of other layers is refused. */
    const char *model = tmp_path("notck.safetensors");
    cr_assert_eq(dn_model_save(model, a, NULL, &err), DN_OK);
    cr_assert_eq(dn_checkpoint_load(model, b, NULL, &back, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, "not a dropnet checkpoint"), "%s", err.msg);
    dn_net *c = mlp(6, 5, 3, 3, 0.5f, 0.5f, 0.0f, 2);
    cr_assert_eq(dn_checkpoint_load(path, c, NULL, &back, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, "layer 4 is Linear(5,4)"), "%s", err.msg);
    dn_net_free(a);
    dn_net_free(b);
    dn_net_free(c);
}

/* Every bit of the metrics survives a checkpoint, so a resumed run rewrites
 * metrics.csv with the uninterrupted run's numbers. cJSON prints 15 digits
 * when they read back within an epsilon: 1.0987719893455503 became
 * 1.09877198934555, two units in the last place off (a test loss of a real
 * run; found by the checkpoint fuzz target's round trip). */
Test(model, checkpoint_metrics_are_exact)
{
    dn_net *a = mlp(6, 5, 4, 3, 0.5f, 0.5f, 0.0f, 1);
    dn_epoch_stats rows[3] = {{1, 1.0987719893455503, 0.29999999999999999, 1.0987719893455503,
                               0x1p-1074, 1e308, false, 0, 0},
                              {2, 0.1, 1.0 / 3.0, INFINITY, 0.0, 0.00062236400026449701, false, 0, 0},
                              {3, 0.7, 0.3, 2.0 / 3.0, 1.0 / 7.0, 123456.789, false, 0, 0}};
    dn_checkpoint ck = {.epoch = 3, .steps_per_epoch = 4, .train_examples = 10, .seed = 3,
                        .n_metrics = 3, .metrics = rows, .config = "{}"};
    const char *path = tmp_path("exact.safetensors");
    dn_err err = {0};
    cr_assert_eq(dn_checkpoint_save(path, a, NULL, &ck, &err), DN_OK, "%s", err.msg);
    dn_checkpoint back;
    cr_assert_eq(dn_checkpoint_load(path, a, NULL, &back, &err), DN_OK, "%s", err.msg);
    for (int i = 0; i < 3; i++) {
        const dn_epoch_stats *x = &rows[i], *y = &back.metrics[i];
        cr_assert_eq(y->train_loss, x->train_loss, "epoch %d: %.17g read back as %.17g", i + 1,
                     x->train_loss, y->train_loss);
        cr_assert_eq(y->train_acc, x->train_acc);
        if (isfinite(x->test_loss))
            cr_assert_eq(y->test_loss, x->test_loss, "epoch %d: %.17g read back as %.17g",
                         i + 1, x->test_loss, y->test_loss);
        else
            cr_assert(isnan(y->test_loss), "not finite: null, read back as NaN");
        cr_assert_eq(y->test_acc, x->test_acc);
        cr_assert_eq(y->seconds, x->seconds);
    }
    dn_checkpoint_free(&back);
    dn_net_free(a);
}

/* A run with a validation set: its loss and accuracy per epoch are in the
 * checkpoint too (a resume rebuilds metrics.csv from them), exactly. */
Test(model, checkpoint_keeps_validation_metrics)
{
    dn_net *a = mlp(6, 5, 4, 3, 0.5f, 0.5f, 0.0f, 1);
    dn_epoch_stats rows[2] = {{1, 1.1, 0.3, 1.2, 0.25, 1, true, 1.0 / 3.0, 0.75},
                              {2, 0.9, 0.5, 1.0, 0.5, 1, true, 0x1p-1074, 1.0}};
    dn_checkpoint ck = {.epoch = 2, .steps_per_epoch = 4, .train_examples = 10, .seed = 3,
                        .n_metrics = 2, .metrics = rows, .config = "{}"};
    const char *path = tmp_path("val.safetensors");
    dn_err err = {0};
    cr_assert_eq(dn_checkpoint_save(path, a, NULL, &ck, &err), DN_OK, "%s", err.msg);
    dn_checkpoint back;
    cr_assert_eq(dn_checkpoint_load(path, a, NULL, &back, &err), DN_OK, "%s", err.msg);
    for (int i = 0; i < 2; i++) {
        cr_assert(back.metrics[i].has_val);
        cr_assert_eq(back.metrics[i].val_loss, rows[i].val_loss);
        cr_assert_eq(back.metrics[i].val_acc, rows[i].val_acc);
    }
    dn_checkpoint_free(&back);
    /* Without: none read back. */
    rows[0].has_val = rows[1].has_val = false;
    cr_assert_eq(dn_checkpoint_save(path, a, NULL, &ck, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(dn_checkpoint_load(path, a, NULL, &back, &err), DN_OK, "%s", err.msg);
    cr_assert(!back.metrics[0].has_val && !back.metrics[1].has_val);
    dn_checkpoint_free(&back);
    /* Out of range: refused as the other metrics are. */
    rows[0].has_val = true;
    rows[0].val_acc = 1.5;
    cr_assert_eq(dn_checkpoint_save(path, a, NULL, &ck, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(dn_checkpoint_load(path, a, NULL, &back, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, "epoch 1 has a malformed validation loss or accuracy"), "%s",
              err.msg);
    dn_net_free(a);
}

/* A checkpoint whose metadata is edited: each field is checked. */
static void edited_checkpoint(const char *key, const char *value, const char *words)
{
    dn_net *a = mlp(6, 5, 4, 3, 0.5f, 0.5f, 0.0f, 1);
    dn_checkpoint ck = {.epoch = 0, .step = 3, .steps_per_epoch = 40, .train_examples = 1000,
                        .seed = 5, .loss_sum = 1.5, .correct = 2, .config = "{}"};
    const char *path = tmp_path("edit.safetensors");
    dn_err err = {0};
    cr_assert_eq(dn_checkpoint_save(path, a, NULL, &ck, &err), DN_OK);
    /* Rewrite with one metadata value replaced. */
    dn_st_file st;
    cr_assert_eq(dn_st_open(&st, path, &err), DN_OK);
    const char *kv[64];
    int n = 0;
    for (int i = 0; i < st.n_meta; i++)
        if (strcmp(st.keys[i], key) != 0) {
            kv[2 * n] = st.keys[i];
            kv[2 * n + 1] = st.values[i];
            n++;
        }
    if (value) {
        kv[2 * n] = key;
        kv[2 * n + 1] = value;
        n++;
    }
    static float data[8][64];
    dn_st_out t[8];
    for (int i = 0; i < st.n; i++) {
        cr_assert_eq(dn_st_read(&st, &st.t[i], data[i], &err), DN_OK);
        t[i] = (dn_st_out){st.t[i].name, st.t[i].rank, {st.t[i].shape[0], st.t[i].shape[1]},
                           data[i]};
    }
    const char *p2 = tmp_path("edit2.safetensors");
    cr_assert_eq(dn_st_write(p2, t, st.n, kv, n, &err), DN_OK);
    dn_st_close(&st);
    dn_checkpoint back;
    cr_assert_eq(dn_checkpoint_load(p2, a, NULL, &back, &err), DN_EFORMAT, "%s=%s loaded", key,
                 value ? value : "(none)");
    cr_assert(strstr(err.msg, words), "message '%s' lacks '%s'", err.msg, words);
    dn_net_free(a);
}

Test(model, checkpoint_fields_are_checked)
{
    edited_checkpoint("optimizer_state", "momentum", "resumes plain SGD only");
    edited_checkpoint("optimizer", "adam", "resumes plain SGD only");
    edited_checkpoint("step", "-1", "\"step\" is missing");
    edited_checkpoint("step", "41", "out of range");
    edited_checkpoint("seed", "9007199254740992", "\"seed\" is missing");
    edited_checkpoint("epoch_loss_sum", "nan", "\"epoch_loss_sum\"");
    edited_checkpoint("config", NULL, "\"config\" is missing");
    edited_checkpoint("metrics", "[{\"epoch\":1}]", "not an array of 0 epochs");
    edited_checkpoint("input_scale", "0", "\"input_scale\"");
    /* steps.csv's open interval: EVERY LOSS_SUM CORRECT EXAMPLES */
    edited_checkpoint("steps_interval", "0 1.5 2 64", "\"steps_interval\"");  /* every 0 */
    edited_checkpoint("steps_interval", "41 1.5 2 64", "\"steps_interval\""); /* > an epoch */
    edited_checkpoint("steps_interval", "8 nan 2 64", "\"steps_interval\"");
    edited_checkpoint("steps_interval", "8 -1 2 64", "\"steps_interval\"");
    edited_checkpoint("steps_interval", "8 1.5 65 64", "\"steps_interval\""); /* right > seen */
    edited_checkpoint("steps_interval", "8 1.5 2 1001", "\"steps_interval\""); /* > examples */
    edited_checkpoint("steps_interval", "8 1.5 2", "\"steps_interval\"");
    edited_checkpoint("steps_interval", "8 1.5 2 64 9", "\"steps_interval\"");
    edited_checkpoint("steps_interval", "8 0.5 0 0", "\"steps_interval\""); /* a sum of nothing */
}

/* steps.csv's open interval goes through a checkpoint exactly (and a file
 * without it reads as none). */
Test(model, checkpoint_steps_interval_round_trip)
{
    dn_net *a = mlp(6, 5, 4, 3, 0.5f, 0.5f, 0.0f, 1);
    dn_checkpoint ck = {.epoch = 0, .step = 3, .steps_per_epoch = 40, .train_examples = 1000,
                        .seed = 5, .loss_sum = 1.5, .correct = 2, .config = "{}",
                        .steps_every = 7, .steps_loss_sum = 0.1 + 0.2, .steps_correct = 11,
                        .steps_examples = 192};
    const char *path = tmp_path("steps.safetensors");
    dn_err err = {0};
    dn_checkpoint back;
    cr_assert_eq(dn_checkpoint_save(path, a, NULL, &ck, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(dn_checkpoint_load(path, a, NULL, &back, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(back.steps_every, 7);
    cr_assert(back.steps_loss_sum == 0.1 + 0.2, "%.17g", back.steps_loss_sum);
    cr_assert_eq(back.steps_correct, 11);
    cr_assert_eq(back.steps_examples, 192);
    dn_checkpoint_free(&back);
    ck.steps_every = 0; /* not recorded */
    cr_assert_eq(dn_checkpoint_save(path, a, NULL, &ck, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(dn_checkpoint_load(path, a, NULL, &back, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(back.steps_every, 0);
    cr_assert_eq(back.steps_examples, 0);
    dn_checkpoint_free(&back);
    dn_net_free(a);
}

/* The rows of a checkpoint are the rows a resumed run writes into
 * metrics.csv again: they must be in its ranges (found by the checkpoint
 * fuzz target: an accuracy of 0.3e3083, an infinity, was accepted). */
Test(model, checkpoint_metrics_in_range)
{
    dn_net *a = mlp(6, 5, 4, 3, 0.5f, 0.5f, 0.0f, 1);
    const dn_epoch_stats bad[] = {{1, 0.5, 1.5, 0.5, 0.5, 1, false, 0, 0},  {1, -0.5, 0.5, 0.5, 0.5, 1, false, 0, 0},
                                  {1, 0.5, 0.5, 0.5, 2.0, 1, false, 0, 0},  {1, 0.5, 0.5, -1, 0.5, 1, false, 0, 0},
                                  {1, NAN, 0.5, 0.5, 0.5, 1, false, 0, 0},  {1, 0.5, 0.5, 0.5, 0.5, -2, false, 0, 0},
                                  {1, 0.5, INFINITY, 0.5, 0.5, 1, false, 0, 0}};
    const char *path = tmp_path("range.safetensors");
    dn_err err = {0};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dn_checkpoint ck = {.epoch = 1, .steps_per_epoch = 4, .train_examples = 10, .seed = 3,
                            .n_metrics = 1, .metrics = (dn_epoch_stats *)&bad[i], .config = "{}"};
        cr_assert_eq(dn_checkpoint_save(path, a, NULL, &ck, &err), DN_OK, "%s", err.msg);
        dn_checkpoint back;
        cr_assert_eq(dn_checkpoint_load(path, a, NULL, &back, &err), DN_EFORMAT, "row %zu loaded",
                     i);
        cr_assert(strstr(err.msg, "\"metrics\": epoch 1 is malformed"), "%s", err.msg);
    }
    /* NaN test columns: a run without a test set. */
    dn_epoch_stats ok = {1, 0.5, 0.5, NAN, NAN, 0, false, 0, 0};
    dn_checkpoint ck = {.epoch = 1, .steps_per_epoch = 4, .train_examples = 10, .seed = 3,
                        .n_metrics = 1, .metrics = &ok, .config = "{}"};
    cr_assert_eq(dn_checkpoint_save(path, a, NULL, &ck, &err), DN_OK, "%s", err.msg);
    dn_checkpoint back;
    cr_assert_eq(dn_checkpoint_load(path, a, NULL, &back, &err), DN_OK, "%s", err.msg);
    cr_assert(isnan(back.metrics[0].test_loss) && isnan(back.metrics[0].test_acc));
    dn_checkpoint_free(&back);
    dn_net_free(a);
}
