/* dropnet lab, exercise 2: train for longer, with and without dropout.
 *
 * No dropout against d2l's (0.2, 0.5) for the long epochs on paired seeds,
 * both with a validation split: compare's analysis of the last epoch and
 * its curves with seed bands, the accuracy and the gap at five points in
 * time, and for every run the epoch at which validation loss bottoms out
 * (and how far it has risen from there by the end). */
#include "lab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Half the lab's seeds, at least 3 (but not more than it has): 50 epochs
 * cost five times the others. */
static int seeds_of(const lab *l)
{
    int s = (l->d.seeds + 1) / 2;
    s = s < 3 ? 3 : s;
    return s > l->d.seeds ? l->d.seeds : s;
}

static int configs(const lab *l, dn_config *a, dn_config *b)
{
    char opts[128];
    snprintf(opts, sizeof opts, "--dropout 0,0 --lr 0.1 --val %d", LAB_VAL);
    int rc = lab_config(l, opts, l->d.long_epochs, a);
    snprintf(opts, sizeof opts, "--dropout 0.2,0.5 --lr 0.1 --val %d", LAB_VAL);
    return rc ? rc : lab_config(l, opts, l->d.long_epochs, b);
}

static double cost(const lab *l)
{
    dn_config a, b;
    return configs(l, &a, &b) ? 0 : seeds_of(l) * (lab_cost(&a) + lab_cost(&b));
}

/* The epoch (1-based) of a run's lowest validation loss: the first, if
 * several tie. */
static int bottom(const dn_run *r)
{
    const double *v = r->metrics.col[DN_METRIC_VAL_LOSS];
    size_t b = 0;
    for (size_t e = 1; e < r->metrics.n; e++)
        if (v[e] < v[b])
            b = e;
    return (int)b + 1;
}

/* Per seed: scale * metric m at epoch e (1-based). */
static void at_epoch(const side *s, dn_metric m, int e, double scale, double *out)
{
    for (int i = 0; i < s->n; i++)
        out[i] = scale * s->runs[i].metrics.col[m][e - 1];
}

/* A row "| label | A [ci] | B [ci] | B - A [ci] |" of per-seed values. */
static int pair_row(strbuf *md, const char *label, const double *a, const double *b, int n,
                    int decimals, int accuracy, dn_comparison *c)
{
    dn_compare_opts o = {.paired = true};
    dn_err err = {0};
    if (dn_compare_samples(a, n, b, n, &o, c, &err))
        return cli_fail(&err);
    dn_interval ia, ib;
    dn_mean_interval(a, n, 0.95, &ia, NULL);
    dn_mean_interval(b, n, 0.95, &ib, NULL);
    char sa[120], sb[120], sd[120];
    if (accuracy) {
        lab_acc_ci(sa, sizeof sa, &ia);
        lab_acc_ci(sb, sizeof sb, &ib);
    } else {
        lab_ci(sa, sizeof sa, ia.mean, ia.lo, ia.hi, decimals, 0);
        lab_ci(sb, sizeof sb, ib.mean, ib.lo, ib.hi, decimals, 0);
    }
    lab_ci(sd, sizeof sd, c->diff, c->ci_low, c->ci_high, decimals, 1);
    sb_printf(md, "| %s | %s | %s | %s |\n", label, sa, sb, sd);
    return 0;
}

static void runs_table(strbuf *md, const char *group, const char *prefix, const side *s)
{
    for (int i = 0; i < s->n; i++) {
        const dn_metrics *m = &s->runs[i].metrics;
        int b = bottom(&s->runs[i]);
        lab_run_cells(md, group, prefix, s->seed[i], m);
        sb_printf(md, " %.2f | %.4f | %d | %.4f |\n", 100 * m->col[DN_METRIC_VAL_ACC][m->n - 1],
                  m->col[DN_METRIC_VAL_LOSS][m->n - 1], b, m->col[DN_METRIC_VAL_LOSS][b - 1]);
    }
}

/* valloss.png/.svg: validation loss and accuracy per epoch, mean and 95 %
 * band of each side. */
static int draw_val(const char *dir, const side *A, const side *B, const char *common,
                    char *note, size_t nsize)
{
    int E = A->epochs, n = A->n;
    double *buf = malloc((size_t)E * 16 * sizeof *buf), *v = malloc((size_t)n * sizeof *v);
    if (!buf || !v) {
        free(buf);
        free(v);
        snprintf(note, nsize, "out of memory");
        return -1;
    }
    dn_band bands[2][2];
    dn_band_panel panels[2];
    const side *sides[2] = {A, B};
    const char *labels[2] = {"no dropout", "dropout 0.2,0.5"};
    const dn_metric m[2] = {DN_METRIC_VAL_LOSS, DN_METRIC_VAL_ACC};
    const double scale[2] = {1, 100};
    for (int p = 0; p < 2; p++) {
        for (int k = 0; k < 2; k++) {
            double *x = buf + ((size_t)p * 2 + (size_t)k) * 4 * (size_t)E;
            for (int e = 0; e < E; e++) {
                at_epoch(sides[k], m[p], e + 1, scale[p], v);
                dn_interval ci;
                x[e] = e + 1;
                if (dn_mean_interval(v, n, 0.95, &ci, NULL)) {
                    x[E + e] = x[2 * E + e] = x[3 * E + e] = NAN;
                    continue;
                }
                x[E + e] = ci.mean;
                x[2 * E + e] = ci.lo;
                x[3 * E + e] = ci.hi;
            }
            bands[p][k] = (dn_band){labels[k], E, x, x + E, x + 2 * E, x + 3 * E};
        }
        panels[p] = (dn_band_panel){p ? "validation accuracy (%)" : "validation loss (nats)",
                                    bands[p], 2, false};
    }
    char title[600], path[4400];
    snprintf(title, sizeof title, "%s\nvalidation split, mean of %d paired seeds per epoch", common,
             n);
    dn_err err = {0};
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        snprintf(path, sizeof path, "%s/valloss.%s", dir, k ? "svg" : "png");
        rc = dn_plot_bands(path, panels, 2, title, "epoch", 1.0, &err);
    }
    if (rc)
        snprintf(note, nsize, "%s", err.msg);
    free(buf);
    free(v);
    return rc;
}

static int run(lab *l, char *answer, size_t size)
{
    dn_config ca, cb;
    int rc = configs(l, &ca, &cb);
    if (rc)
        return rc;
    int seeds = seeds_of(l), E = l->d.long_epochs;
    experiment x = {.lock_fd = -1};
    side A = {0}, B = {0};
    strbuf md = {0};
    double *a = malloc((size_t)seeds * sizeof *a), *b = malloc((size_t)seeds * sizeof *b);
    if (!a || !b) {
        cli_error("lab: out of memory");
        rc = EXIT_RUNTIME;
        goto out;
    }
    if ((rc = lab_open(l, 2, &x)) || (rc = lab_add(l, &x, "nodrop", &ca, seeds)) ||
        (rc = lab_add(l, &x, "dropout", &cb, seeds)) || (rc = lab_train(l, &x, "long")))
        goto out;
    results r;
    if ((rc = lab_pair(&x, "nodrop", &ca, "dropout", &cb, seeds, &A, &B, &r)))
        goto out;
    char common[400], note[600] = "";
    lab_common(&ca, &cb, common, sizeof common);
    int clipped = 0;
    int figs = compare_draw(x.dir, &A, &B, &B, "no dropout", "dropout 0.2,0.5", common, &r, 1.0,
                            &clipped, note, sizeof note) == 0;
    if (!figs)
        cli_error("warning: lab ex2: no figures: %s", note);
    int vfig = draw_val(x.dir, &A, &B, common, note, sizeof note) == 0;
    if (!vfig)
        cli_error("warning: lab ex2: no validation figure: %s", note);

    /* the tables first: the answer reads their numbers */
    strbuf t = {0};
    sb_printf(&t, "## Over time: test accuracy and gap\n\nAt five points of the training, over "
              "%d paired seeds: A = no dropout, B = dropout (0.2, 0.5).\n\n| epoch | test "
              "accuracy A (%%) | test accuracy B (%%) | B - A |\n|---|---|---|---|\n", seeds);
    int points[5], np = 0;
    for (int k = 1; k <= 5; k++) {
        int e = (E * k + 4) / 5;
        if (e >= 1 && (np == 0 || e != points[np - 1]))
            points[np++] = e;
    }
    dn_comparison c;
    for (int k = 0; k < np && !rc; k++) {
        char label[32];
        snprintf(label, sizeof label, "%d", points[k]);
        at_epoch(&A, DN_METRIC_TEST_ACC, points[k], 100, a);
        at_epoch(&B, DN_METRIC_TEST_ACC, points[k], 100, b);
        rc = pair_row(&t, label, a, b, seeds, 2, 1, &c);
    }
    sb_printf(&t, "\n| epoch | gap A (points) | gap B (points) | B - A |\n|---|---|---|---|\n");
    dn_comparison gap_first, gap_last;
    for (int k = 0; k < np && !rc; k++) {
        char label[32];
        snprintf(label, sizeof label, "%d", points[k]);
        at_epoch(&A, DN_METRIC_GAP, points[k], 100, a);
        at_epoch(&B, DN_METRIC_GAP, points[k], 100, b);
        rc = pair_row(&t, label, a, b, seeds, 2, 0, k ? &gap_last : &gap_first);
        if (k == 0)
            gap_last = gap_first;
    }
    /* where validation loss bottoms out, and how far it rises after */
    dn_comparison cb_epoch, crise;
    double rise_a[1000], rise_b[1000];
    sb_printf(&t, "\n## Where validation loss bottoms out\n\n| measure | A: no dropout | B: "
              "dropout | B - A |\n|---|---|---|---|\n");
    for (int i = 0; i < seeds; i++) {
        a[i] = bottom(&A.runs[i]);
        b[i] = bottom(&B.runs[i]);
        const double *va = A.runs[i].metrics.col[DN_METRIC_VAL_LOSS];
        const double *vb = B.runs[i].metrics.col[DN_METRIC_VAL_LOSS];
        rise_a[i] = va[E - 1] - va[(int)a[i] - 1];
        rise_b[i] = vb[E - 1] - vb[(int)b[i] - 1];
    }
    if (!rc)
        rc = pair_row(&t, "epoch of the lowest validation loss", a, b, seeds, 1, 0, &cb_epoch);
    if (!rc)
        rc = pair_row(&t, "validation loss at the end minus its lowest (nats)", rise_a, rise_b,
                      seeds, 4, 0, &crise);
    sb_printf(&t, "\n");
    if (rc) {
        sb_free(&t);
        goto out;
    }

    const dn_comparison *acc = &r.paired[M_TEST_ACC];
    char ci[160], gci_a[160], gci_b[160], verdict[200];
    lab_ci(ci, sizeof ci, acc->diff, acc->ci_low, acc->ci_high, 2, 1);
    lab_short_verdict(acc, verdict, sizeof verdict);
    snprintf(gci_a, sizeof gci_a, "%.2f", r.a[M_GAP].mean);
    snprintf(gci_b, sizeof gci_b, "%.2f", r.b[M_GAP].mean);
    /* where validation loss bottoms out, or that it did not */
    char where[2][120];
    {
        const side *sides[2] = {&A, &B};
        const double mean[2] = {cb_epoch.mean_a, cb_epoch.mean_b};
        for (int k = 0; k < 2; k++) {
            int last = 0;
            for (int i = 0; i < seeds; i++)
                last += bottom(&sides[k]->runs[i]) == E;
            if (last == seeds)
                snprintf(where[k], sizeof where[k], "not within %d epochs", E);
            else
                snprintf(where[k], sizeof where[k], "at epoch %.1f", mean[k]);
        }
    }
    snprintf(answer, size, "After %d epochs dropout (0.2, 0.5) changes test accuracy by %s points "
             "against none over %d paired seeds (%s); the train-test gap ends at %s points "
             "without dropout and %s with it; validation loss bottoms out %s without dropout and "
             "%s with it (mean over the seeds).",
             E, ci, seeds, verdict, gci_a, gci_b, where[0], where[1]);

    lab_report_head(l, &md, 2);
    sb_printf(&md, "## Design\n\n"
              "- A = no dropout (0, 0), B = d2l's dropout (0.2, 0.5); %d paired seeds (1-%d), %d "
              "epochs each, lr 0.1, everything else d2l-2020 (%s). At d2l-2020's lr 0.5, "
              "training without dropout can diverge (the loss becomes infinite) within 50 "
              "epochs, and a diverged run has no curve to compare; 0.1 is the current d2l "
              "edition's rate.\n"
              "- %d training examples are held out as a validation split: the epoch at which "
              "validation loss is lowest is read on it, not on the test set.\n"
              "- Paired: with one seed both start from the same weights and see the data in the "
              "same order.\n\n", seeds, seeds, E, common, LAB_VAL);
    sb_printf(&md, "## Answer\n\n**%s**\n\n", answer);
    sb_printf(&md, "Final test accuracy: ");
    lab_report_verdict(&md, acc, "no dropout", "dropout", "test accuracy");
    {
        const dn_comparison *g = &r.paired[M_GAP];
        char gci[160], f[160];
        lab_ci(gci, sizeof gci, g->diff, g->ci_low, g->ci_high, 2, 1);
        lab_ci(f, sizeof f, gap_first.diff, gap_first.ci_low, gap_first.ci_high, 2, 1);
        sb_printf(&md, "The gap (training accuracy with dropout on, minus test accuracy) of "
                  "dropout minus that of no dropout is %s points at epoch %d and %s at epoch "
                  "%d (%s).\n\n", f, points[0], gci, E,
                  g->verdict == DN_VERDICT_DIFFERENT ? "the last interval excludes 0"
                                                     : "the last interval includes 0");
    }
    {
        char e[160], rs[160];
        lab_ci(e, sizeof e, cb_epoch.diff, cb_epoch.ci_low, cb_epoch.ci_high, 1, 1);
        lab_ci(rs, sizeof rs, crise.diff, crise.ci_low, crise.ci_high, 4, 1);
        sb_printf(&md, "Validation loss is lowest at epoch %.1f on average without dropout and "
                  "%.1f with it (B - A %s epochs); by the last epoch it has risen from its lowest "
                  "by %.4f nats without dropout and %.4f with it (B - A %s).",
                  cb_epoch.mean_a, cb_epoch.mean_b, e, crise.mean_a, crise.mean_b, rs);
        /* a side still improving at the end has not bottomed out: say so
         * rather than report the last epoch as its bottom */
        const side *sides[2] = {&A, &B};
        const char *names[2] = {"without dropout", "with dropout"};
        for (int k = 0; k < 2; k++) {
            int last = 0;
            for (int i = 0; i < seeds; i++)
                last += bottom(&sides[k]->runs[i]) == E;
            if (last == seeds)
                sb_printf(&md, " Validation loss %s is lowest at the last epoch for every seed: "
                          "it had not bottomed out within %d epochs.", names[k], E);
            else if (last > 0)
                sb_printf(&md, " %s, %d of %d seeds are lowest at the last epoch (not bottomed "
                          "out yet).", k ? "With dropout" : "Without dropout", last, seeds);
        }
        sb_printf(&md, "\n\n");
    }
    sb_printf(&md, "## Last epoch, over %d paired seeds\n\nA = no dropout, B = dropout (0.2, "
              "0.5). Means with 95 %% intervals.\n\n", seeds);
    compare_md_table(&md, &r, &B, 1, &clipped);
    sb_printf(&md, "%s", t.s ? t.s : "");
    sb_free(&t);
    if (figs)
        sb_printf(&md, "## Figures\n\n![Mean curves with 95 %% bands](curves.png)\n\nPer epoch, "
                  "the mean over the seeds and its 95 %% interval (shaded): test accuracy, test "
                  "loss, training accuracy (dropout on) and the gap.\n\n![Final test accuracy "
                  "per seed](paired.png)\n\n");
    if (vfig)
        sb_printf(&md, "![Validation loss and accuracy with 95 %% bands](valloss.png)\n\n");
    sb_printf(&md, "## Trainings\n\n%s val acc (%%) | val loss | lowest val loss epoch | lowest "
              "val loss |\n|---|---|---|---|---|---|---|---|---|---|---|\n", LAB_RUNS_HEAD);
    runs_table(&md, "A", "nodrop", &A);
    runs_table(&md, "B", "dropout", &B);
    rc = lab_report_end(l, 2, &md, &x, answer);
out:
    sb_free(&md);
    side_free(&A);
    side_free(&B);
    free(a);
    free(b);
    experiment_close(&x);
    return rc;
}

const lab_exercise lab_ex2 = {
    2, "long training with and without dropout",
    "Train for more epochs and compare the results with and without dropout.", cost, run};
