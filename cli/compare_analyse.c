/* dropnet compare: the runs of each side, and what they say. */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void side_free(side *s)
{
    if (s->runs)
        for (int i = 0; i < s->n; i++)
            dn_run_free(&s->runs[i]);
    free(s->runs);
    for (int m = 0; m < N_MEASURES; m++)
        free(s->final[m]);
    free(s->seed);
    memset(s, 0, sizeof *s);
}

int side_load(const char *dir, const char *prefix, const compare_opts *o,
              const dn_config *cfg, unsigned long long offset, side *s, int quiet)
{
    memset(s, 0, sizeof *s);
    s->n = (int)o->x.seeds;
    s->epochs = cfg->fit.epochs;
    s->runs = calloc((size_t)s->n, sizeof *s->runs);
    s->seed = calloc((size_t)s->n, sizeof *s->seed);
    for (int m = 0; m < N_MEASURES; m++)
        s->final[m] = calloc((size_t)s->n, sizeof(double));
    int ok = s->runs && s->seed;
    for (int m = 0; m < N_MEASURES; m++)
        ok = ok && s->final[m];
    if (!ok) {
        side_free(s);
        return -1;
    }
    for (int i = 0; i < s->n; i++) {
        char path[4400];
        s->seed[i] = o->x.seed + (unsigned long long)i;
        snprintf(path, sizeof path, "%s/runs/%s-seed%llu", dir, prefix, s->seed[i]);
        dn_err err = {0};
        dn_config want = *cfg;
        want.fit.seed = s->seed[i] + offset;
        char model[4500];
        snprintf(model, sizeof model, "%s/model.safetensors", path);
        FILE *f = fopen(model, "rb");
        if (!f) {
            side_free(s);
            return -1;
        }
        fclose(f);
        if (dn_run_load(path, &s->runs[i], &err) ||
            experiment_differs(&s->runs[i].cfg, &want) ||
            s->runs[i].metrics.n != (size_t)cfg->fit.epochs) {
            if (!quiet)
                cli_error("%s: %s", path, err.msg[0] ? err.msg : "not the expected run");
            side_free(s);
            return -1;
        }
        size_t last = s->runs[i].metrics.n - 1;
        for (int m = 0; m < N_MEASURES; m++)
            s->final[m][i] = measure_scale[m] * s->runs[i].metrics.col[measure_metric[m]][last];
    }
    return 0;
}

int compare_analyse(const compare_opts *o, const side *A, const side *Bp, const side *Bu,
                    results *r)
{
    dn_err err = {0};
    memset(r, 0, sizeof *r);
    r->has_paired = Bp != NULL;
    r->has_unpaired = Bu != NULL;
    r->asked_paired = !o->unpaired;
    const side *B = o->unpaired ? Bu : Bp;
    for (int m = 0; m < N_MEASURES; m++) {
        /* the margin and --detect are points of test accuracy */
        dn_compare_opts co = {.margin = m == M_TEST_ACC ? o->margin : 0,
                              .detect = m == M_TEST_ACC ? o->detect : 0};
        if (dn_mean_interval(A->final[m], A->n, 0.95, &r->a[m], &err) ||
            dn_mean_interval(B->final[m], B->n, 0.95, &r->b[m], &err))
            return cli_fail(&err);
        co.paired = true;
        if (Bp && dn_compare_samples(A->final[m], A->n, Bp->final[m], Bp->n, &co,
                                     &r->paired[m], &err))
            return cli_fail(&err);
        co.paired = false;
        if (Bu && dn_compare_samples(A->final[m], A->n, Bu->final[m], Bu->n, &co,
                                     &r->unpaired[m], &err))
            return cli_fail(&err);
    }
    return 0;
}

const dn_comparison *compare_view(const results *r, int m)
{
    return r->asked_paired ? &r->paired[m] : &r->unpaired[m];
}
