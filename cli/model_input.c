/* A model file and data prepared as it was trained, for eval and predict,
 * and the start both commands share. */
#include "model_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int model_input_load(model_input *m, const char *path, dn_err *err)
{
    memset(m, 0, sizeof *m);
    m->path = path;
    m->net = dn_model_load(path, MODEL_MAX_BATCH, &m->info, err);
    if (!m->net)
        return err->code;
    m->classes = dn_net_output_width(m->net);
    m->names = calloc((size_t)m->classes, sizeof *m->names);
    size_t len = strlen(m->info.classes);
    m->name_mem = malloc(len + 1 + (size_t)m->classes * 12);
    if (!m->names || !m->name_mem)
        return dn_fail(err, DN_ENOMEM, "out of memory");
    /* The metadata's names when there is one per output; numbers otherwise. */
    int count = len ? 1 : 0;
    for (size_t i = 0; i < len; i++)
        count += m->info.classes[i] == ',';
    char *p = m->name_mem;
    if (count == m->classes) {
        memcpy(p, m->info.classes, len + 1);
        for (int c = 0; c < m->classes; c++) {
            m->names[c] = p;
            p = strchr(p, ',');
            if (p)
                *p++ = '\0';
        }
    } else {
        for (int c = 0; c < m->classes; c++) {
            m->names[c] = p;
            p += sprintf(p, "%d", c) + 1;
        }
    }
    return DN_OK;
}

int model_input_noise(model_input *m, const char *list, dn_err *err)
{
    /* The list as the metadata would say it ("none" for dropout:0, ...). */
    dn_noise items[DN_MAX_HIDDEN + 1];
    int n = 0;
    dn_err why = {0};
    if (dn_noise_list_parse(list, items, DN_MAX_HIDDEN + 1, &n, &why))
        return dn_fail(err, DN_EINVAL, "--noise: %s", why.msg);
    char want[sizeof m->info.noise] = "";
    for (int i = 0, k = 0; i < n; i++) {
        char item[64];
        dn_noise_format(items[i], item, sizeof item);
        k += snprintf(want + k, sizeof want - (size_t)k, "%s%s", i ? "," : "", item);
    }
    if (m->info.dropout_known) {
        /* The file says what it was trained with; another noise would be a
         * different model than the one it describes. */
        if (strcmp(want, m->info.noise) != 0)
            return dn_fail(err, DN_EINVAL, "--noise: %s names its own noise (%s); --noise is "
                           "for files that do not (written by PyTorch)", m->path,
                           m->info.noise[0] ? m->info.noise : "none");
        return DN_OK;
    }
    if (dn_net_set_noise_list(m->net, list, &why))
        return dn_fail(err, DN_EINVAL, "--noise: %s: %s", m->path, why.msg);
    m->info.dropout_known = true;
    snprintf(m->info.noise, sizeof m->info.noise, "%s", want);
    return DN_OK;
}

int model_input_prepare(const model_input *m, dn_dataset *ds, dn_err *err)
{
    /* Right for images (and for what torchvision's ToTensor gives), a guess
     * for anything else: say so rather than guess in silence. */
    if (!m->info.input_known && ds->features)
        cli_error("warning: %s does not say how its inputs are prepared (no \"input_scale\" or "
                  "\"input_mean\" metadata): the features are divided by 255, as pixels are",
                  m->path);
    return dn_dataset_prepare(ds, m->info.input_scale, m->info.input_mean, m->info.input_std,
                              err);
}

void model_input_free(model_input *m)
{
    dn_net_free(m->net);
    dn_model_info_free(&m->info);
    free(m->names);
    free(m->name_mem);
    memset(m, 0, sizeof *m);
}

int model_input_test_set(const model_input *m, const char *data_opt, const char *csv,
                         dn_dataset *ds, char *what, size_t what_size, dn_err *err)
{
    int inputs = dn_net_input_width(m->net);
    if (csv) {
        snprintf(what, what_size, "%s", csv);
        int rc = dn_csv_load(ds, csv, inputs, m->classes, err);
        return rc ? rc : model_input_prepare(m, ds, err);
    }
    char dir[4096], images[4200], labels[4200];
    int rc = dn_fmnist_find(data_opt, dir, sizeof dir, err);
    if (rc) /* dir was not written */
        return rc;
    snprintf(what, what_size, "%s", dir);
    if ((rc = dn_fmnist_file(dir, dn_fmnist_names[2], images, sizeof images, err)) ||
        (rc = dn_fmnist_file(dir, dn_fmnist_names[3], labels, sizeof labels, err)))
        return rc;
    if (inputs != 784)
        return dn_fail(err, DN_EINVAL, "the model takes %d inputs; Fashion-MNIST images have "
                       "784 (give --test FILE.csv)", inputs);
    rc = dn_dataset_load(ds, images, labels, err);
    return rc ? rc : model_input_prepare(m, ds, err);
}

#define MAX_OPTIONS 16

int model_command_start(const model_command *mc, int argc, char **argv, model_input *m,
                        int *done)
{
    memset(m, 0, sizeof *m);
    *done = 1;
    struct option all[MAX_OPTIONS + 5] = {{"model", required_argument, 0, 'm'},
                                          {"threads", required_argument, 0, 'j'},
                                          {"noise", required_argument, 0, 'n'},
                                          {"help", no_argument, 0, 'h'}};
    int n = 4;
    for (int i = 0; mc->options[i].name && n < MAX_OPTIONS + 4; i++)
        all[n++] = mc->options[i];
    const char *model = NULL, *noise = NULL;
    long threads = 0;
    optind = 1;
    opterr = 0;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":h", all, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'j':
            if (parse_int("--threads", optarg, 1, 1024, &threads))
                return EXIT_USAGE;
            break;
        case 'n': noise = optarg; break;
        case 'h': mc->usage(stdout); return 0;
        case ':':
        case '?': return cli_bad_option(mc->cmd, c, argv);
        default:
            if ((rc = mc->option(mc->ctx, c, optarg)))
                return rc;
        }
    }
    if (cli_no_operands(mc->cmd, argc, argv))
        return EXIT_USAGE;
    if ((rc = mc->check(mc->ctx, model)))
        return rc;
    cli_set_threads((int)threads);
    if ((rc = cli_gemm(NULL))) /* $DN_GEMM or the default */
        return rc;
    dn_err err = {0};
    if (model_input_load(m, model, &err) || (noise && model_input_noise(m, noise, &err))) {
        model_input_free(m);
        return cli_fail(&err);
    }
    *done = 0;
    return 0;
}
