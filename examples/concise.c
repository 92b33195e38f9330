/* The d2l model built from layers ("concise implementation"): Flatten,
 * Linear(784,256), ReLU, Dropout(0.2), Linear(256,256), ReLU, Dropout(0.5),
 * Linear(256,10), weights N(0, 0.01^2), SGD lr 0.5, batch 256. */
#include "common.h"

static int print_epoch(void *user, const dn_epoch_stats *s)
{
    (void)user;
    example_print(s->epoch, s->train_loss, s->train_acc, s->test_loss, s->test_acc);
    return 0;
}

int main(int argc, char **argv)
{
    example_opts o;
    dn_dataset train, test;
    if (example_start(argc, argv, &o, &train, &test))
        return 2;
    dn_err err = {0};
    dn_net *net = dn_net_new(784, &err);
    if (!net || dn_net_add_flatten(net, &err) || dn_net_add_linear(net, 256, &err) ||
        dn_net_add_relu(net, &err) || dn_net_add_dropout(net, 0.2f, &err) ||
        dn_net_add_linear(net, 256, &err) || dn_net_add_relu(net, &err) ||
        dn_net_add_dropout(net, 0.5f, &err) || dn_net_add_linear(net, 10, &err) ||
        dn_net_build(net, EXAMPLE_EVAL_BLOCK, &err) ||
        dn_net_reset(net, (dn_init){DN_INIT_NORMAL, 0.01f}, o.seed, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    dn_fit_opts fo;
    dn_fit_opts_default(&fo);
    fo.epochs = o.epochs;
    fo.seed = o.seed;
    dn_fit_hooks hooks = {NULL, print_epoch, NULL};
    int rc = dn_fit(net, &train, &test, &fo, &hooks, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    dn_net_free(net);
    dn_dataset_free(&train);
    dn_dataset_free(&test);
    return rc ? 1 : 0;
}
