/* The options of `dropnet train` (cli/train_options.c, train_options_parse): the
 * input is the argument list, each argument ended by a NUL byte (at most 64
 * of them). Whatever is accepted must be a run dropnet can describe and
 * resume: the settings in their ranges, and config.json written from them
 * and read back giving the same run (a resume reads the run's settings from
 * there). Messages go to stderr; make fuzz closes it for this target. */
#include "fuzz_util.h"

#include "../cli/train_options.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

static void check(const train_options *a)
{
    const dn_config *c = &a->cfg;
    if (a->resume_dir)
        return; /* the run's config.json defines the rest */
    if (c->arch.n_hidden < 0 || c->arch.n_hidden > DN_MAX_HIDDEN)
        fuzz_fail("%d hidden layers accepted", c->arch.n_hidden);
    for (int i = 0; i < c->arch.n_hidden; i++)
        if (c->arch.hidden[i] < 1 || !(c->arch.dropout[i] >= 0.0f && c->arch.dropout[i] <= 1.0f))
            fuzz_fail("hidden layer %d: width %d, dropout %g accepted", i, c->arch.hidden[i],
                      (double)c->arch.dropout[i]);
    if (!(c->arch.input_dropout >= 0.0f && c->arch.input_dropout <= 1.0f) ||
        !(c->fit.lr > 0.0f) || !isfinite(c->fit.lr) || c->fit.epochs < 1 ||
        c->fit.batch_size < 1 || !(c->fit.weight_decay >= 0.0f) ||
        !isfinite(c->fit.weight_decay) || c->fit.seed > DN_MAX_SEED ||
        (c->init.kind == DN_INIT_NORMAL && !(c->init.sigma > 0.0f)))
        fuzz_fail("settings out of range accepted");
    if (c->csv.train[0] && (!(c->csv.scale > 0.0f) || !isfinite(c->csv.scale)))
        fuzz_fail("CSV scale %g accepted", (double)c->csv.scale);
    if (a->checkpoint_every < 0 || a->log_every < 0 || !(a->figure_scale >= 1.0f) ||
        !(a->figure_scale <= 4.0f))
        fuzz_fail("checkpoint, log or figure settings out of range accepted");
    dn_err err = {0};
    char *json = dn_config_json(c, a->data_opt, &err);
    if (!json)
        fuzz_fail("dn_config_json: %s", err.msg);
    dn_config back;
    char data[4096];
    if (dn_config_parse(json, "config.json", &back, data, sizeof data, &err) != DN_OK)
        fuzz_fail("accepted options give a config.json that does not read back (a run that "
                  "cannot be resumed): %s\n%s", err.msg, json);
    const char *field = dn_config_differs(c, &back);
    if (field)
        fuzz_fail("\"%s\" changes through config.json:\n%s", field, json);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* argv[0] is the command's name, as main passes it on. */
    char *copy = fuzz_cstr(data, size);
    char *argv[MAX_ARGS + 2] = {"train"};
    int argc = 1;
    for (size_t i = 0; i < size && argc <= MAX_ARGS; i++) {
        argv[argc++] = copy + i;
        i += strlen(copy + i);
    }
    argv[argc] = NULL;
    train_options a;
    if (train_options_parse(argc, argv, &a) == 0 && !a.help)
        check(&a);
    free(copy);
    return 0;
}
