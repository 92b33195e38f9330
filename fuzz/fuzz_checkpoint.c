/* Checkpoints (src/files/checkpoint.c): the input is the file, loaded into the
 * network the seed checkpoints were written for (6 inputs, input dropout
 * 0.1, hidden 5 and 4 with dropout 0.5 and 0.25, 3 outputs; see
 * fuzz/make-seeds.sh). As `dropnet train --resume` does, the configuration
 * embedded in an accepted checkpoint is parsed. An accepted checkpoint is
 * written back with dn_checkpoint_save and read again: the same state. */
#include "fuzz_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static dn_net *the_net(void)
{
    static dn_net *net;
    if (!net) {
        dn_mlp_spec s = {.inputs = 6, .outputs = 3, .n_hidden = 2, .hidden = {5, 4},
                         .dropout = {0.5f, 0.25f}, .input_dropout = 0.1f};
        dn_err err = {0};
        net = dn_net_mlp(&s, 4, &err);
        if (!net)
            fuzz_fail("cannot build the network: %s", err.msg);
    }
    return net;
}

static int same_double(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dn_net *net = the_net();
    const char *path = fuzz_write("in", data, size);
    dn_checkpoint ck, ck2;
    dn_model_info info, info2;
    dn_err err = {0};
    if (dn_checkpoint_load(path, net, &info, &ck, &err) != DN_OK) {
        fuzz_one_line(&err);
        if (ck.metrics || ck.config)
            fuzz_fail("state left behind by a failed load");
        return 0;
    }
    if (ck.n_metrics != ck.epoch || ck.step > ck.steps_per_epoch || !ck.config)
        fuzz_fail("checkpoint at epoch %d step %zu of %zu with %d metrics rows", ck.epoch,
                  ck.step, ck.steps_per_epoch, ck.n_metrics);
    dn_config cfg;
    char data_dir[4096];
    dn_config_parse(ck.config, "config", &cfg, data_dir, sizeof data_dir, &err);

    const char *out = fuzz_path("out");
    fuzz_check(dn_checkpoint_save(out, net, &info, &ck, &err), &err, "dn_checkpoint_save");
    size_t n;
    float *params = dn_net_params(net, &n);
    float *copy = malloc(n * sizeof *copy);
    if (!copy)
        fuzz_fail("out of memory");
    memcpy(copy, params, n * sizeof *copy);
    memset(params, 0, n * sizeof *params);
    fuzz_check(dn_checkpoint_load(out, net, &info2, &ck2, &err), &err,
               "loading a checkpoint dn_checkpoint_save wrote");
    if (memcmp(copy, params, n * sizeof *copy) != 0)
        fuzz_fail("parameters changed in a round trip");
    if (ck.epoch != ck2.epoch || ck.step != ck2.step || ck.steps_per_epoch != ck2.steps_per_epoch ||
        ck.train_examples != ck2.train_examples || ck.seed != ck2.seed ||
        ck.correct != ck2.correct || !same_double(ck.loss_sum, ck2.loss_sum) ||
        ck.n_metrics != ck2.n_metrics || strcmp(ck.config, ck2.config) != 0)
        fuzz_fail("training state changed in a round trip");
    for (int i = 0; i < ck.n_metrics; i++) {
        const dn_epoch_stats *a = &ck.metrics[i], *b = &ck2.metrics[i];
        if (a->epoch != b->epoch || !same_double(a->train_loss, b->train_loss) ||
            !same_double(a->train_acc, b->train_acc) || !same_double(a->test_loss, b->test_loss) ||
            !same_double(a->test_acc, b->test_acc) || !same_double(a->seconds, b->seconds))
            fuzz_fail("metrics of epoch %d changed in a round trip", i + 1);
    }
    if (info.input_scale != info2.input_scale || strcmp(info.classes, info2.classes) != 0)
        fuzz_fail("metadata changed in a round trip");
    free(copy);
    dn_checkpoint_free(&ck);
    dn_checkpoint_free(&ck2);
    dn_model_info_free(&info);
    dn_model_info_free(&info2);
    return 0;
}
