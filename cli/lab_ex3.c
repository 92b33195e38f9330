/* dropnet lab, exercise 3: the variance of the activations of each hidden
 * layer during training, with and without dropout. The d2l-2020 model and
 * the same model without dropout, trained on paired seeds with
 * --track-activations; activations.csv of every training read back, the
 * variance per layer before and after the dropout averaged over the seeds
 * at each point of training, and paired comparisons at the end. */
#include "lab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seeds: those of a selection grid (3 of 10): the exercise describes more
 * than it decides. */
static int seeds(const lab *l) { return lab_grid_seeds(l); }

static int configs(const lab *l, dn_config *a, dn_config *b)
{
    int rc = lab_config(l, "--dropout 0,0 --track-activations", l->d.epochs, a);
    return rc ? rc : lab_config(l, "--dropout 0.2,0.5 --track-activations", l->d.epochs, b);
}

static double cost(const lab *l)
{
    dn_config a, b;
    return configs(l, &a, &b) ? 0 : seeds(l) * (lab_cost(&a) + lab_cost(&b));
}

#define LAYERS 2
#define MAX_POINTS 4096

/* One training's activations.csv: per point of training (train rows) and
 * per epoch (eval rows), the pooled variance per layer, before and after. */
typedef struct {
    int n;                           /* points */
    double x[MAX_POINTS];            /* epoch - 1 + step / steps per epoch */
    double var[MAX_POINTS][LAYERS][2];
    int n_eval;
    double eval_var[MAX_POINTS][LAYERS];
} act_file;

/* A row of activations.csv; 0 for the header (or anything else). */
typedef struct {
    int epoch, layer, eval, after;
    size_t step;
    double var;
} act_row;

static int act_parse(const char *line, act_row *r)
{
    char mode[16], where[16];
    double mean, vu;
    if (sscanf(line, "%d,%zu,%15[^,],%d,%15[^,],%lf,%lf,%lf", &r->epoch, &r->step, mode,
               &r->layer, where, &mean, &r->var, &vu) != 8)
        return 0;
    r->eval = strcmp(mode, "eval") == 0;
    r->after = strcmp(where, "after") == 0;
    return 1;
}

static int read_act(const experiment *x, int i, act_file *f)
{
    char dir[4200], path[4400], line[512];
    experiment_run_dir(x, i, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/activations.csv", dir);
    FILE *in = fopen(path, "r");
    if (!in) {
        cli_error("lab: %s: cannot read", path);
        return EXIT_RUNTIME;
    }
    memset(f, 0, sizeof *f);
    /* the training points as (epoch - 1, step) until the steps per epoch
     * (the step of the eval rows) are known */
    static size_t steps[MAX_POINTS];
    size_t spe = 0;
    act_row r;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, in)) {
        if (!act_parse(line, &r))
            continue;
        if (r.layer < 1 || r.layer > LAYERS) {
            cli_error("lab: %s: layer %d: not the two hidden layers of the exercise", path,
                      r.layer);
            rc = EXIT_RUNTIME;
            break;
        }
        if (r.eval) {
            spe = r.step;
            if (r.layer == 1 && !r.after && f->n_eval < MAX_POINTS)
                f->n_eval++;
            if (f->n_eval)
                f->eval_var[f->n_eval - 1][r.layer - 1] = r.var;
            continue;
        }
        if (r.layer == 1 && !r.after && f->n < MAX_POINTS) {
            f->x[f->n] = r.epoch - 1;
            steps[f->n++] = r.step;
        }
        if (f->n)
            f->var[f->n - 1][r.layer - 1][r.after] = r.var;
    }
    fclose(in);
    if (!rc && !spe) {
        cli_error("lab: %s: no rows of the test set", path);
        rc = EXIT_RUNTIME;
    }
    for (int p = 0; p < f->n && !rc; p++)
        f->x[p] += (double)steps[p] / (double)spe;
    return rc;
}

/* Mean and 95 % interval over the seeds of v(s). */
static dn_interval over_seeds(const double *v, int S)
{
    dn_interval ci;
    if (dn_mean_interval(v, S, 0.95, &ci, NULL))
        ci.mean = ci.lo = ci.hi = NAN;
    return ci;
}

static int run(lab *l, char *answer, size_t size)
{
    dn_config ca, cb;
    int rc = configs(l, &ca, &cb);
    if (rc)
        return rc;
    const int S = seeds(l);
    experiment x;
    memset(&x, 0, sizeof x);
    x.lock_fd = -1;
    strbuf md = {0};
    act_file *fa = calloc((size_t)S, sizeof *fa), *fb = calloc((size_t)S, sizeof *fb);
    double *tmp = calloc((size_t)S * 4, sizeof *tmp);
    double *band = calloc(MAX_POINTS * 3 * 3 * LAYERS, sizeof *band);
    if (!fa || !fb || !tmp || !band) {
        cli_error("lab: out of memory");
        rc = EXIT_RUNTIME;
        goto out;
    }
    if ((rc = lab_open(l, 3, &x)) || (rc = lab_add(l, &x, "none", &ca, S)) ||
        (rc = lab_add(l, &x, "dropout", &cb, S)) || (rc = lab_train(l, &x, "train")))
        goto out;
    for (int s = 0; s < S && !rc; s++)
        if (!(rc = read_act(&x, s, &fa[s])))
            rc = read_act(&x, S + s, &fb[s]);
    if (rc)
        goto out;
    int n = fa[0].n;
    for (int s = 0; s < S; s++)
        if (fa[s].n != n || fb[s].n != n || fa[s].n_eval != fb[s].n_eval || n < 1 ||
            fa[s].n_eval < 1) {
            cli_error("lab: ex3: the trainings logged different points (%d and %d)", fa[s].n,
                      fb[s].n);
            rc = EXIT_RUNTIME;
            goto out;
        }

    /* the figure: per layer, the pooled variance against training, mean
     * over the seeds with its interval: none, dropout before, after */
    dn_band bands[LAYERS][3];
    dn_band_panel panels[LAYERS];
    char ylabel[LAYERS][64];
    for (int k = 0; k < LAYERS; k++) {
        for (int c = 0; c < 3; c++) {
            double *y = band + ((size_t)(k * 3 + c) * 3) * MAX_POINTS;
            double *lo = y + MAX_POINTS, *hi = lo + MAX_POINTS;
            for (int p = 0; p < n; p++) {
                for (int s = 0; s < S; s++)
                    tmp[s] = c == 0 ? fa[s].var[p][k][0] : fb[s].var[p][k][c - 1];
                dn_interval ci = over_seeds(tmp, S);
                y[p] = ci.mean, lo[p] = ci.lo, hi[p] = ci.hi;
            }
            static const char *const names[3] = {"no dropout", "before dropout",
                                                 "after dropout"};
            bands[k][c] = (dn_band){names[c], n, fa[0].x, y, lo, hi};
        }
        snprintf(ylabel[k], sizeof ylabel[k], "variance, hidden layer %d", k + 1);
        panels[k] = (dn_band_panel){ylabel[k], bands[k], 3, false};
    }
    char path[4300], title[200];
    snprintf(path, sizeof path, "%s/variance.png", x.dir);
    snprintf(title, sizeof title, "Variance of the activations in training (dropout on where "
             "used)\nmean over %d seeds, 95 %% intervals", S);
    dn_err err = {0};
    int fig = dn_plot_bands(path, panels, LAYERS, title, "epoch", 1.0, &err);
    if (fig)
        cli_error("warning: lab ex3: no figure variance.png: %s", err.msg);

    /* at the end of training: the ratios after / before (dropout runs), and
     * the test-set variance with against without dropout, paired */
    int last = n - 1, le = fa[0].n_eval - 1;
    dn_interval ratio[LAYERS], tr_none[LAYERS], tr_before[LAYERS], tr_after[LAYERS];
    dn_comparison ev[LAYERS];
    for (int k = 0; k < LAYERS; k++) {
        for (int s = 0; s < S; s++)
            tmp[s] = fb[s].var[last][k][1] / fb[s].var[last][k][0];
        ratio[k] = over_seeds(tmp, S);
        for (int s = 0; s < S; s++)
            tmp[s] = fa[s].var[last][k][0];
        tr_none[k] = over_seeds(tmp, S);
        for (int s = 0; s < S; s++)
            tmp[s] = fb[s].var[last][k][0];
        tr_before[k] = over_seeds(tmp, S);
        for (int s = 0; s < S; s++)
            tmp[s] = fb[s].var[last][k][1];
        tr_after[k] = over_seeds(tmp, S);
        double *a = tmp, *b = tmp + S;
        for (int s = 0; s < S; s++) {
            a[s] = fa[s].eval_var[le][k];
            b[s] = fb[s].eval_var[le][k];
        }
        dn_compare_opts co = {true, 0, 0};
        if (dn_compare_samples(a, S, b, S, &co, &ev[k], &err)) {
            rc = cli_fail(&err);
            goto out;
        }
    }
    const double p[LAYERS] = {cb.arch.dropout[0], cb.arch.dropout[1]};
    char r1[120], r2[120], e1[120], e2[120];
    lab_ci(r1, sizeof r1, ratio[0].mean, ratio[0].lo, ratio[0].hi, 2, 0);
    lab_ci(r2, sizeof r2, ratio[1].mean, ratio[1].lo, ratio[1].hi, 2, 0);
    lab_ci(e1, sizeof e1, ev[0].diff, ev[0].ci_low, ev[0].ci_high, 3, 1);
    lab_ci(e2, sizeof e2, ev[1].diff, ev[1].ci_low, ev[1].ci_high, 3, 1);
    snprintf(answer, size, "In training, dropout multiplies the variance of the activations by "
             "%s (layer 1, p = %.1f) and %s (layer 2, p = %.1f) at the end of training; on the "
             "test set (dropout off) the variance with dropout differs from without by %s "
             "(layer 1) and %s (layer 2), over %d paired seeds.",
             r1, p[0], r2, p[1], e1, e2, S);

    lab_report_head(l, &md, 3);
    sb_printf(&md, "## Design\n\n"
              "- A = no dropout (0, 0), B = dropout (%.1f, %.1f), %d epochs each, d2l-2020 "
              "otherwise%s; %d paired seeds (1-%d).\n"
              "- Every training runs with `--track-activations`: `activations.csv` holds, at "
              "each point of `steps.csv` (5 per epoch), the mean and variance of each hidden "
              "layer's activations over the training examples since the previous point, before "
              "the layer's dropout (the ReLU's output) and after it (what the next layer "
              "reads), and once per epoch the same over the test set with dropout off.\n"
              "- The variance here is `var_pooled`: over all units and examples of the "
              "interval.\n\n",
              p[0], p[1], l->d.epochs, l->d.quick ? " (784-32-32-10)" : "", S, S);
    sb_printf(&md, "## Answer\n\n**%s**\n\n", answer);
    for (int k = 0; k < LAYERS; k++) {
        double expect = 1.0 / (1.0 - p[k]);
        sb_printf(&md, "Layer %d: a unit kept by dropout at p = %.1f is scaled by 1/(1 - p) = "
                  "%.2f, which multiplies its second moment by %.2f; the variance after dropout "
                  "is %.2f times the variance before it (mean over the seeds)%s.\n\n", k + 1,
                  p[k], expect, expect, ratio[k].mean,
                  ratio[k].mean > 1.0 ? ": dropout adds variance in training"
                                      : ": dropout does not add variance here");
    }
    for (int k = 0; k < LAYERS; k++) {
        sb_printf(&md, "Test set, layer %d: ", k + 1);
        char text[1600];
        dn_comparison_verdict(&ev[k], "no dropout", "dropout", "the variance of the activations",
                              "", 3, text, sizeof text);
        sb_printf(&md, "%s\n\n", text);
    }
    sb_printf(&md, "## At the end of training, mean over %d seeds with 95 %% intervals\n\n"
              "| layer | A (no dropout) | B before dropout | B after dropout | after / before "
              "| test set A | test set B |\n|---|---|---|---|---|---|---|\n", S);
    for (int k = 0; k < LAYERS; k++) {
        char c[6][120];
        lab_ci(c[0], 120, tr_none[k].mean, tr_none[k].lo, tr_none[k].hi, 3, 0);
        lab_ci(c[1], 120, tr_before[k].mean, tr_before[k].lo, tr_before[k].hi, 3, 0);
        lab_ci(c[2], 120, tr_after[k].mean, tr_after[k].lo, tr_after[k].hi, 3, 0);
        lab_ci(c[3], 120, ratio[k].mean, ratio[k].lo, ratio[k].hi, 2, 0);
        snprintf(c[4], 120, "%.3f", ev[k].mean_a);
        snprintf(c[5], 120, "%.3f", ev[k].mean_b);
        sb_printf(&md, "| %d | %s | %s | %s | %s | %s | %s |\n", k + 1, c[0], c[1], c[2], c[3],
                  c[4], c[5]);
    }
    sb_printf(&md, "\nTraining columns: the last interval of the last epoch (dropout on in B); "
              "test set: the last epoch's evaluation (dropout off).\n\n");
    if (!fig)
        sb_printf(&md, "## Figure\n\n![Variance of the activations during "
                  "training](variance.png)\n\nPer hidden layer, the variance over units and "
                  "examples at each point of training: without dropout, and with dropout before "
                  "and after the dropout layer; means over the seeds, 95 %% intervals "
                  "shaded.\n\n");
    sb_printf(&md, "## Per training\n\nThe numbers above come from `runs/*/activations.csv`:\n\n"
              "| run | layer 1 before | layer 1 after | layer 2 before | layer 2 after | test "
              "layer 1 | test layer 2 |\n|---|---|---|---|---|---|---|\n");
    for (int s = 0; s < 2 * S; s++) {
        const act_file *f = s < S ? &fa[s] : &fb[s - S];
        sb_printf(&md, "| runs/%s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", x.t[s].name,
                  f->var[last][0][0], f->var[last][0][1], f->var[last][1][0], f->var[last][1][1],
                  f->eval_var[le][0], f->eval_var[le][1]);
    }
    sb_printf(&md, "\n");
    lab_report_method(l, &md, &x);
    rc = lab_finish(l, 3, &md, answer);
out:
    sb_free(&md);
    free(fa);
    free(fb);
    free(tmp);
    free(band);
    experiment_close(&x);
    return rc;
}

const lab_exercise lab_ex3 = {
    3, "variance of the activations during training",
    "What happens to the variance of the activations in each hidden layer when dropout is and "
    "is not applied? Draw a plot to show how this quantity evolves over time for both models.",
    cost, run};
