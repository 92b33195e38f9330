/* dropnet lab, exercise 7: other noises against dropout for the fixed
 * architecture.
 *
 * d2l's dropout (0.2, 0.5) against three noises at the same sites, on the
 * lab's paired seeds: Gaussian multiplicative noise and dropnet's uniform
 * multiplicative noise, both with dropout's mean and variance at (0.2,
 * 0.5), and additive Gaussian noise, whose scale has no counterpart in p:
 * its sigma is chosen first on a validation split (sweep's cells and
 * ranking, on the grid seeds). Each noise is compared with dropout by
 * compare's paired analysis; with three comparisons, whether an interval
 * excludes 0 is also read at the Bonferroni level (1 - 0.05/3). */
#include "lab.h"
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ALTS = 3 };
static const char *const alt_prefix[ALTS] = {"gaussian", "uniform", "additive"};
static const char *const alt_label[ALTS] = {"Gaussian (0.2, 0.5)", "uniform (0.2, 0.5)",
                                            "additive"};

/* The sigmas additive noise is chosen from, as a sweep's '/' alternatives. */
static const char *sigma_values(const lab *l)
{
    return l->d.quick ? "additive:0.1,additive:0.1/additive:0.3,additive:0.3"
                      : "additive:0.05,additive:0.05/additive:0.1,additive:0.1/"
                        "additive:0.2,additive:0.2";
}

static int select_opts(const lab *l, sweep_opts *o)
{
    const char *words[] = {"--noise", sigma_values(l)};
    return lab_sweep(l, words, 2, o);
}

/* The baseline and the three noises; additive's list is given (the
 * chosen cell's). */
static int configs(const lab *l, const char *additive, dn_config *base, dn_config *alt)
{
    char opts[ALTS][160];
    snprintf(opts[0], sizeof opts[0], "--noise gaussian:0.2,gaussian:0.5");
    snprintf(opts[1], sizeof opts[1], "--noise uniform:0.2,uniform:0.5");
    snprintf(opts[2], sizeof opts[2], "--noise %s", additive);
    int rc = lab_config(l, "--dropout 0.2,0.5", l->d.epochs, base);
    for (int k = 0; k < ALTS && !rc; k++)
        rc = lab_config(l, opts[k], l->d.epochs, &alt[k]);
    return rc;
}

static double cost(const lab *l)
{
    sweep_opts o;
    if (select_opts(l, &o))
        return 0;
    double c = lab_select_cost(l, &o);
    dn_config base, alt[ALTS];
    if (configs(l, "additive:0.1,additive:0.1", &base, alt) == 0) {
        c += l->d.seeds * lab_cost(&base);
        for (int k = 0; k < ALTS; k++)
            c += l->d.seeds * lab_cost(&alt[k]);
    }
    return c;
}

/* The interval of the paired differences b - a at the Bonferroni level for
 * ALTS comparisons: whether it excludes 0. */
static int excludes_zero_bonferroni(const side *A, const side *B, int *out)
{
    int n = A->n;
    double *d = malloc((size_t)n * sizeof *d);
    if (!d) {
        cli_error("lab: out of memory");
        return EXIT_RUNTIME;
    }
    for (int i = 0; i < n; i++) {
        const dn_metrics *ma = &A->runs[i].metrics, *mb = &B->runs[i].metrics;
        d[i] = 100 * (mb->col[DN_METRIC_TEST_ACC][mb->n - 1] - ma->col[DN_METRIC_TEST_ACC][ma->n - 1]);
    }
    dn_interval ci;
    dn_err err = {0};
    int rc = dn_mean_interval(d, n, 1.0 - 0.05 / ALTS, &ci, &err);
    free(d);
    if (rc) {
        *out = -1; /* too few seeds, or no spread */
        return 0;
    }
    *out = ci.lo > 0 || ci.hi < 0;
    return 0;
}

static int run(lab *l, char *answer, size_t size)
{
    sweep_opts o;
    memset(&o, 0, sizeof o);
    int rc = select_opts(l, &o);
    if (rc)
        return rc;
    int seeds = l->d.seeds, gseeds = lab_grid_seeds(l);
    lab_grid g = {0};
    experiment x = {.lock_fd = -1};
    side A = {0}, B[ALTS];
    memset(B, 0, sizeof B);
    strbuf md = {0};
    int has_val, best;
    if ((rc = lab_open(l, 7, &x)) ||
        (rc = lab_select(l, &x, &o, &g, "additive sigma on validation", &has_val, &best)))
        goto out;
    cell *cells = g.cells;
    int n_sel = g.n;
    const char *additive = o.axes[0].values[best];
    dn_config base, alt[ALTS];
    if ((rc = configs(l, additive, &base, alt)) || (rc = lab_add(l, &x, "dropout", &base, seeds)))
        goto out;
    for (int k = 0; k < ALTS && !rc; k++)
        rc = lab_add(l, &x, alt_prefix[k], &alt[k], seeds);
    if (rc || (rc = lab_train(l, &x, "dropout + 3 noises")))
        goto out;
    results r[ALTS];
    int bonf[ALTS];
    for (int k = 0; k < ALTS && !rc; k++) {
        side_free(&A);
        rc = lab_pair(&x, "dropout", &base, alt_prefix[k], &alt[k], seeds, &A, &B[k], &r[k]);
        if (!rc)
            rc = excludes_zero_bonferroni(&A, &B[k], &bonf[k]);
    }
    if (rc)
        goto out;
    /* sigma of the chosen cell, as the additive label */
    char alabel[64];
    const char *sig = strchr(additive, ':') + 1; /* "additive:S,additive:S" */
    snprintf(alabel, sizeof alabel, "additive (sigma %.*s)", (int)strcspn(sig, ","), sig);
    const char *labels[ALTS] = {alt_label[0], alt_label[1], alabel};
    char common[400], note[600] = "";
    lab_common(&base, &alt[0], common, sizeof common);
    int heat = sweep_draw(x.dir, &o, cells, n_sel, best, has_val, 1.0, common, note,
                          sizeof note);
    if (heat < 0)
        cli_error("warning: lab ex7: no figure of the sigma selection: %s", note);

    /* the answer, from the numbers */
    char parts[ALTS][240], beats[400] = "";
    int n_beat = 0, n_worse = 0;
    for (int k = 0; k < ALTS; k++) {
        const dn_comparison *c = &r[k].paired[M_TEST_ACC];
        char ci[160];
        lab_ci(ci, sizeof ci, c->diff, c->ci_low, c->ci_high, 2, 1);
        snprintf(parts[k], sizeof parts[k], "%s points with %s noise", ci, labels[k]);
        if (c->verdict == DN_VERDICT_DIFFERENT && c->diff > 0) {
            size_t len = strlen(beats);
            snprintf(beats + len, sizeof beats - len, "%s%s%s", n_beat ? ", " : "", labels[k],
                     bonf[k] == 1 ? " (also at the Bonferroni level)" : " (not at the "
                                                                        "Bonferroni level)");
            n_beat++;
        }
        n_worse += c->verdict == DN_VERDICT_DIFFERENT && c->diff < 0;
    }
    char tail[600];
    if (n_beat)
        snprintf(tail, sizeof tail, "beating dropout with an interval that excludes 0: %s",
                 beats);
    else
        snprintf(tail, sizeof tail, "none beats dropout with an interval that excludes 0%s",
                 n_worse ? " (some fall below it)" : "");
    snprintf(answer, size, "Against dropout (0.2, 0.5) over %d paired seeds, test accuracy "
             "changes by %s, %s and %s; %s.", seeds, parts[0], parts[1], parts[2], tail);

    lab_report_head(l, &md, 7);
    sb_printf(&md, "## Design\n\n"
              "- A = dropout (0.2, 0.5), d2l's, against three noises at the same two sites, "
              "one at a time; %d paired seeds (1-%d), %d epochs each, everything else d2l-2020 "
              "(%s).\n"
              "- **Gaussian**: `--noise gaussian:0.2,gaussian:0.5`, each unit times N(1, "
              "p/(1-p)): dropout's mean and variance without its zeros.\n"
              "- **Uniform** (dropnet's own): `--noise uniform:0.2,uniform:0.5`, each unit "
              "times U(1 - a, 1 + a), a = sqrt(3p/(1-p)): dropout's mean and variance again, but "
              "bounded (no unit silenced, none scaled beyond 1 + a), drawn from the very "
              "uniforms dropout uses.\n"
              "- **Additive**: each unit plus N(0, sigma^2); sigma has no counterpart in p, so "
              "it is chosen first among {%s} on %d seeds with %d training examples held out "
              "as a validation split (the test set plays no part in choosing); the chosen one "
              "then runs on the paired seeds.\n"
              "- Three comparisons with one baseline: each interval is 95 %%; whether it also "
              "excludes 0 at 1 - 0.05/3 (Bonferroni) is given, since among three intervals one "
              "excludes 0 by chance more often than one in twenty.\n\n",
              seeds, seeds, l->d.epochs, common, sigma_values(l), gseeds, LAB_VAL);
    sb_printf(&md, "## Answer\n\n**%s**\n\n", answer);
    for (int k = 0; k < ALTS; k++) {
        sb_printf(&md, "%s noise, final test accuracy: ", labels[k]);
        char name[80];
        snprintf(name, sizeof name, "%s noise", labels[k]);
        lab_report_verdict(&md, &r[k].paired[M_TEST_ACC], "dropout", name, "test accuracy");
    }
    sb_printf(&md, "## Each noise against dropout, final epoch, over %d paired seeds\n\n"
              "Test accuracy and gap: means with 95 %% intervals; B - A is the noise minus "
              "dropout, paired by seed.\n\n| noise | test accuracy (%%) | B - A (paired) | "
              "gap (points) | gap B - A (paired) | excludes 0 at 1 - 0.05/3 |\n"
              "|---|---|---|---|---|---|\n", seeds);
    {
        char a[160], g[160];
        lab_acc_ci(a, sizeof a, &r[0].a[M_TEST_ACC]);
        lab_ci(g, sizeof g, r[0].a[M_GAP].mean, r[0].a[M_GAP].lo, r[0].a[M_GAP].hi, 2, 0);
        sb_printf(&md, "| dropout (0.2, 0.5) | %s | | %s | | |\n", a, g);
    }
    for (int k = 0; k < ALTS; k++) {
        const dn_comparison *c = &r[k].paired[M_TEST_ACC], *gc = &r[k].paired[M_GAP];
        char a[160], d[160], g[160], gd[160];
        lab_acc_ci(a, sizeof a, &r[k].b[M_TEST_ACC]);
        lab_ci(d, sizeof d, c->diff, c->ci_low, c->ci_high, 2, 1);
        lab_ci(g, sizeof g, r[k].b[M_GAP].mean, r[k].b[M_GAP].lo, r[k].b[M_GAP].hi, 2, 0);
        lab_ci(gd, sizeof gd, gc->diff, gc->ci_low, gc->ci_high, 2, 1);
        sb_printf(&md, "| %s | %s | %s | %s | %s | %s |\n", labels[k], a, d, g, gd,
                  bonf[k] < 0 ? "no verdict" : bonf[k] ? "yes" : "no");
    }
    sb_printf(&md, "\n## Additive noise: sigma on validation, over %d seeds per value\n\n"
              "| cell | validation accuracy (%%) | test accuracy (%%) | could be best |\n"
              "|---|---|---|---|\n", gseeds);
    for (int c = 0; c < n_sel; c++) {
        char v[120], t[120];
        lab_acc_ci(v, sizeof v, &cells[c].val_ci);
        lab_acc_ci(t, sizeof t, &cells[c].ci[M_TEST_ACC]);
        sb_printf(&md, "| %s | %s | %s | %s |\n", cells[c].label, v, t,
                  lab_could_be_best(cells, c, best));
    }
    sb_printf(&md, "\n");
    if (heat == 0)
        sb_printf(&md, "## Figures\n\n![Additive noise: mean validation accuracy per "
                  "sigma](heatmap_val_acc.png)\n\n");
    sb_printf(&md, "## Trainings\n\n%s\n|---|---|---|---|---|---|---|\n", LAB_RUNS_HEAD);
    lab_runs_rows(&md, "A", "dropout", &A);
    for (int k = 0; k < ALTS; k++)
        lab_runs_rows(&md, alt_prefix[k], alt_prefix[k], &B[k]);
    rc = lab_report_end(l, 7, &md, &x, answer);
out:
    sb_free(&md);
    side_free(&A);
    for (int k = 0; k < ALTS; k++)
        side_free(&B[k]);
    lab_grid_free(&g);
    experiment_close(&x);
    sweep_free_axes(&o);
    return rc;
}

const lab_exercise lab_ex7 = {
    7, "other noises against dropout",
    "Invent another way to inject noise at each layer; can it beat dropout on Fashion-MNIST for "
    "a fixed architecture?",
    cost, run};
