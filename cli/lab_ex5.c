/* dropnet lab, exercise 5: dropout and weight decay, alone and together.
 *
 * First the weight decay: a few values for the net without dropout, on
 * few seeds, ranked on a validation split (sweep's cells and ranking).
 * Then a 2 x 2 factorial on the lab's paired seeds: neither, weight decay
 * alone, dropout alone, both. Per seed the four final test accuracies give
 * the main effects and the interaction (both - wd - dropout + neither),
 * each with its paired interval; whether the two add up, give diminishing
 * returns or cancel is read from the interaction's interval. */
#include "lab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *wd_values(const lab *l)
{
    return l->d.quick ? "0.0001,0.001" : "0.0001,0.0003,0.001,0.003";
}

static int select_opts(const lab *l, sweep_opts *o)
{
    const char *words[] = {"--weight-decay", wd_values(l), "--dropout", "0,0"};
    return lab_sweep(l, words, 4, o);
}

enum { NONE, WD, DROP, BOTH, N_CELLS };
static const char *const cell_prefix[N_CELLS] = {"none", "wd", "dropout", "both"};
static const char *const cell_label[N_CELLS] = {"neither", "weight decay alone",
                                                "dropout alone", "both"};

static int factorial_configs(const lab *l, const char *wd, dn_config *cfg)
{
    char opts[N_CELLS][128];
    snprintf(opts[NONE], sizeof opts[NONE], "--dropout 0,0");
    snprintf(opts[WD], sizeof opts[WD], "--dropout 0,0 --weight-decay %s", wd);
    snprintf(opts[DROP], sizeof opts[DROP], "--dropout 0.2,0.5");
    snprintf(opts[BOTH], sizeof opts[BOTH], "--dropout 0.2,0.5 --weight-decay %s", wd);
    for (int k = 0; k < N_CELLS; k++) {
        int rc = lab_config(l, opts[k], l->d.epochs, &cfg[k]);
        if (rc)
            return rc;
    }
    return 0;
}

static double cost(const lab *l)
{
    sweep_opts o;
    if (select_opts(l, &o))
        return 0;
    double c = lab_select_cost(l, &o);
    dn_config f[N_CELLS];
    if (factorial_configs(l, "0.001", f) == 0)
        for (int k = 0; k < N_CELLS; k++)
            c += l->d.seeds * lab_cost(&f[k]);
    return c;
}

/* A contrast per seed: sum of w[k] * cell k's values. */
static void contrast(double *const v[N_CELLS], const double w[N_CELLS], int n, double *out)
{
    for (int i = 0; i < n; i++) {
        out[i] = 0;
        for (int k = 0; k < N_CELLS; k++)
            out[i] += w[k] * v[k][i];
    }
}

/* The comparison of two contrasts, b - a, paired by seed. */
static int effect(double *const v[N_CELLS], const double wa[N_CELLS], const double wb[N_CELLS],
                  int n, double *a, double *b, dn_comparison *c)
{
    contrast(v, wa, n, a);
    contrast(v, wb, n, b);
    dn_compare_opts o = {.paired = true};
    dn_err err = {0};
    return dn_compare_samples(a, n, b, n, &o, c, &err) ? cli_fail(&err) : 0;
}

/* interaction.png/.svg: test accuracy and gap of the four cells, weight
 * decay on the x axis, one line with its band per dropout setting. */
static int draw(const char *dir, const side *s, const char *wd, const char *common, char *note,
                size_t nsize)
{
    static const double xs[2] = {0, 1};
    double y[2][2][2], lo[2][2][2], hi[2][2][2];
    const int mm[2] = {M_TEST_ACC, M_GAP};
    dn_band bands[2][2];
    dn_band_panel panels[2];
    const char *names[2] = {"no dropout", "dropout 0.2,0.5"};
    for (int p = 0; p < 2; p++) {
        for (int d = 0; d < 2; d++) {
            for (int w = 0; w < 2; w++) {
                const side *c = &s[d ? (w ? BOTH : DROP) : (w ? WD : NONE)];
                dn_interval ci;
                if (dn_mean_interval(c->final[mm[p]], c->n, 0.95, &ci, NULL))
                    ci.mean = ci.lo = ci.hi = NAN;
                y[p][d][w] = ci.mean;
                lo[p][d][w] = ci.lo;
                hi[p][d][w] = ci.hi;
            }
            bands[p][d] = (dn_band){names[d], 2, xs, y[p][d], lo[p][d], hi[p][d]};
        }
        panels[p] = (dn_band_panel){measure_name[mm[p]], bands[p], 2, false};
    }
    char title[600], xlabel[120], path[4400];
    snprintf(title, sizeof title, "%s\nmean of %d paired seeds, 95 %% bands", common, s[0].n);
    snprintf(xlabel, sizeof xlabel, "weight decay: 0 = none, 1 = %s", wd);
    dn_err err = {0};
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        snprintf(path, sizeof path, "%s/interaction.%s", dir, k ? "svg" : "png");
        rc = dn_plot_bands(path, panels, 2, title, xlabel, 1.0, &err);
    }
    if (rc)
        snprintf(note, nsize, "%s", err.msg);
    return rc;
}

/* The verdict read from the interaction's interval (in test accuracy). */
static void verdict(const dn_comparison *inter, const dn_comparison *vs_best, const char *best,
                    char *out, size_t size)
{
    if (inter->verdict == DN_VERDICT_TOO_FEW || isnan(inter->ci_low)) {
        snprintf(out, size, "no verdict: too few seeds or no spread");
        return;
    }
    if (inter->ci_low <= 0 && inter->ci_high >= 0) {
        if (inter->seeds_needed > 0)
            snprintf(out, size, "additive as far as these seeds tell: the interaction's interval "
                     "includes 0 (about %ld paired seeds would detect an interaction the size "
                     "observed)", inter->seeds_needed);
        else
            snprintf(out, size, "additive as far as these seeds tell: the interaction's interval "
                     "includes 0");
    } else if (inter->ci_high < 0) {
        if (vs_best->verdict == DN_VERDICT_DIFFERENT && vs_best->diff < 0)
            snprintf(out, size, "cancelling: the interaction is negative and both together "
                     "score below %s alone", best);
        else
            snprintf(out, size, "diminishing returns: the interaction is negative (together "
                     "less than the sum of the two effects alone), but both together are not "
                     "below %s alone", best);
    } else {
        snprintf(out, size, "more than additive: the interaction is positive");
    }
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
    double *buf = malloc((size_t)seeds * 4 * sizeof *buf);
    experiment x = {.lock_fd = -1};
    side s[N_CELLS] = {{0}};
    strbuf md = {0};
    if (!buf) {
        cli_error("lab: out of memory");
        rc = EXIT_RUNTIME;
        goto out;
    }
    int has_val, best;
    if ((rc = lab_open(l, 5, &x)) ||
        (rc = lab_select(l, &x, &o, &g, "weight decay on validation", &has_val, &best)))
        goto out;
    cell *cells = g.cells;
    int n_sel = g.n;
    const char *wd = o.axes[0].values[best];
    dn_config cfg[N_CELLS];
    if ((rc = factorial_configs(l, wd, cfg)))
        goto out;
    for (int k = 0; k < N_CELLS && !rc; k++)
        rc = lab_add(l, &x, cell_prefix[k], &cfg[k], seeds);
    if (rc || (rc = lab_train(l, &x, "2 x 2 factorial")))
        goto out;
    for (int k = 0; k < N_CELLS && !rc; k++)
        rc = lab_side(&x, cell_prefix[k], &cfg[k], seeds, &s[k]);
    if (rc)
        goto out;

    /* effects on test accuracy and on the gap, paired by seed */
    static const double w_none[N_CELLS] = {1, 0, 0, 0};
    static const double w_drop_lo[N_CELLS] = {0.5, 0.5, 0, 0}, w_drop_hi[N_CELLS] = {0, 0, 0.5, 0.5};
    static const double w_wd_lo[N_CELLS] = {0.5, 0, 0.5, 0}, w_wd_hi[N_CELLS] = {0, 0.5, 0, 0.5};
    static const double w_alone_d[N_CELLS] = {-1, 0, 1, 0}, w_both_wd[N_CELLS] = {0, -1, 0, 1};
    double w_single[N_CELLS] = {0, 1, 0, 0};
    const double w_cell[N_CELLS][N_CELLS] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0},
                                             {0, 0, 0, 1}};
    enum { E_WD, E_DROP, E_BOTH, E_MAIN_DROP, E_MAIN_WD, E_INTER, E_VS_BEST, N_EFFECTS };
    const char *effect_name[N_EFFECTS] = {
        "weight decay alone (wd - neither)", "dropout alone (dropout - neither)",
        "both (both - neither)", "main effect of dropout", "main effect of weight decay",
        "interaction (both - wd - dropout + neither)", "both - the better one alone"};
    dn_comparison eff[2][N_EFFECTS];
    const int mm[2] = {M_TEST_ACC, M_GAP};
    double *a = buf, *b = buf + seeds;
    int better = DROP;
    for (int p = 0; p < 2 && !rc; p++) {
        double *v[N_CELLS];
        for (int k = 0; k < N_CELLS; k++)
            v[k] = s[k].final[mm[p]];
        if (p == 0) {
            dn_interval id, iw;
            dn_mean_interval(v[DROP], seeds, 0.95, &id, NULL);
            dn_mean_interval(v[WD], seeds, 0.95, &iw, NULL);
            better = iw.mean > id.mean ? WD : DROP;
            w_single[WD] = better == WD;
            w_single[DROP] = better == DROP;
        }
        if ((rc = effect(v, w_none, w_cell[WD], seeds, a, b, &eff[p][E_WD])) ||
            (rc = effect(v, w_none, w_cell[DROP], seeds, a, b, &eff[p][E_DROP])) ||
            (rc = effect(v, w_none, w_cell[BOTH], seeds, a, b, &eff[p][E_BOTH])) ||
            (rc = effect(v, w_drop_lo, w_drop_hi, seeds, a, b, &eff[p][E_MAIN_DROP])) ||
            (rc = effect(v, w_wd_lo, w_wd_hi, seeds, a, b, &eff[p][E_MAIN_WD])) ||
            (rc = effect(v, w_alone_d, w_both_wd, seeds, a, b, &eff[p][E_INTER])) ||
            (rc = effect(v, w_single, w_cell[BOTH], seeds, a, b, &eff[p][E_VS_BEST])))
            break;
    }
    if (rc)
        goto out;
    char common[400], note[600] = "";
    lab_common(&cfg[NONE], &cfg[BOTH], common, sizeof common);
    int fig = draw(x.dir, s, wd, common, note, sizeof note) == 0;
    if (!fig)
        cli_error("warning: lab ex5: no figure: %s", note);
    int heat = sweep_draw(x.dir, &o, cells, n_sel, best, has_val, 1.0, common, note, sizeof note);
    if (heat < 0)
        cli_error("warning: lab ex5: no heatmaps: %s", note);

    char v[600], ci_i[160], ci_d[160], ci_w[160];
    const dn_comparison *inter = &eff[0][E_INTER];
    verdict(inter, &eff[0][E_VS_BEST], cell_label[better], v, sizeof v);
    lab_ci(ci_i, sizeof ci_i, inter->diff, inter->ci_low, inter->ci_high, 2, 1);
    lab_ci(ci_d, sizeof ci_d, eff[0][E_DROP].diff, eff[0][E_DROP].ci_low, eff[0][E_DROP].ci_high,
           2, 1);
    lab_ci(ci_w, sizeof ci_w, eff[0][E_WD].diff, eff[0][E_WD].ci_low, eff[0][E_WD].ci_high, 2,
           1);
    snprintf(answer, size, "With weight decay %s (chosen on validation), test accuracy changes by "
             "%s points with dropout alone, %s with weight decay alone, %+.2f with both; "
             "interaction %s over %d paired seeds: %s.", wd, ci_d, ci_w, eff[0][E_BOTH].diff,
             ci_i, seeds, v);

    lab_report_head(l, &md, 5);
    sb_printf(&md, "## Design\n\n"
              "- **Weight decay, chosen first**: the net without dropout with weight decay in "
              "{%s}, %d seeds each (1-%d), %d epochs, %d training examples held out as a "
              "validation split; the value with the highest mean validation accuracy is kept: "
              "**%s**. The test set plays no part in choosing.\n"
              "- **2 x 2 factorial**: dropout (0, 0) or (0.2, 0.5) x weight decay 0 or %s, %d "
              "paired seeds (1-%d) each, %d epochs, trained on all 60,000 examples; everything "
              "else d2l-2020 (%s).\n"
              "- Per seed the four final test accuracies give each effect as a contrast: the "
              "main effect of dropout is the mean of its effect without and with weight decay; "
              "the interaction is (both - weight decay) - (dropout - neither), what dropout adds "
              "on top of weight decay minus what it adds alone. 0: the two add up.\n"
              "- The verdict: additive when the interaction's 95 %% interval includes 0; "
              "diminishing returns when it lies below 0 and both together are not significantly "
              "below the better one alone; cancelling when it lies below 0 and both together "
              "are below the better one alone (paired interval excluding 0); more than additive "
              "when it lies above 0.\n\n", wd_values(l), gseeds, gseeds, l->d.epochs, LAB_VAL, wd,
              wd, seeds, seeds, l->d.epochs, common);
    sb_printf(&md, "## Answer\n\n**%s**\n\n", answer);
    sb_printf(&md, "Interaction, test accuracy: ");
    lab_report_verdict(&md, inter, "what dropout adds alone", "what dropout adds on top of "
                       "weight decay", "test accuracy");
    sb_printf(&md, "Both together against the better one alone (%s): ", cell_label[better]);
    lab_report_verdict(&md, &eff[0][E_VS_BEST], cell_label[better], "both", "test accuracy");

    sb_printf(&md, "## Weight decay on validation\n\n| weight decay | validation accuracy (%%) | "
              "could be best |\n|---|---|---|\n");
    for (int c = 0; c < n_sel; c++) {
        char vc[120];
        lab_acc_ci(vc, sizeof vc, &cells[c].val_ci);
        sb_printf(&md, "| %s | %s | %s |\n", o.axes[0].values[c], vc,
                  lab_could_be_best(cells, c, best));
    }
    sb_printf(&md, "\n## The four cells, over %d paired seeds\n\n| cell | test accuracy (%%) | "
              "test loss (nats) | train accuracy (%%) | gap (points) |\n|---|---|---|---|---|\n",
              seeds);
    for (int k = 0; k < N_CELLS; k++) {
        dn_interval ci[N_MEASURES];
        char t[N_MEASURES][120];
        for (int m = 0; m < N_MEASURES; m++) {
            dn_mean_interval(s[k].final[m], seeds, 0.95, &ci[m], NULL);
            if (m == M_TEST_ACC || m == M_TRAIN_ACC)
                lab_acc_ci(t[m], sizeof t[m], &ci[m]);
            else
                lab_ci(t[m], sizeof t[m], ci[m].mean, ci[m].lo, ci[m].hi, measure_decimals[m],
                       0);
        }
        sb_printf(&md, "| %s | %s | %s | %s | %s |\n", cell_label[k], t[M_TEST_ACC],
                  t[M_TEST_LOSS], t[M_TRAIN_ACC], t[M_GAP]);
    }
    sb_printf(&md, "\n## Effects, paired by seed\n\n| effect | test accuracy (points) | p | gap "
              "(points) | p |\n|---|---|---|---|---|\n");
    for (int e = 0; e < N_EFFECTS; e++) {
        char t[2][160], p[2][32];
        for (int k = 0; k < 2; k++) {
            lab_ci(t[k], sizeof t[k], eff[k][e].diff, eff[k][e].ci_low, eff[k][e].ci_high, 2, 1);
            dn_format_p(eff[k][e].p_t, p[k], sizeof p[k]);
        }
        const char *name = effect_name[e];
        char vs[120];
        if (e == E_VS_BEST) {
            snprintf(vs, sizeof vs, "both - %s", cell_label[better]);
            name = vs;
        }
        sb_printf(&md, "| %s | %s | %s | %s | %s |\n", name, t[0], p[0], t[1], p[1]);
    }
    sb_printf(&md, "\nMain effects and the interaction are contrasts of the four cells per seed; "
              "each interval is a paired t interval over the %d seeds (p: paired t-test).\n\n",
              seeds);
    if (fig)
        sb_printf(&md, "## Figures\n\n![Interaction plot](interaction.png)\n\nTest accuracy and "
                  "gap of the four cells: weight decay off and on along x, one line per dropout "
                  "setting. Parallel lines: additive; converging: diminishing returns; crossing: "
                  "one undoes the other.\n\n");
    if (heat == 0)
        sb_printf(&md, "![Weight decay on validation](heatmap_val_acc.png)\n\n");
    sb_printf(&md, "## Trainings\n\n%s\n|---|---|---|---|---|---|---|\n", LAB_RUNS_HEAD);
    for (int k = 0; k < N_CELLS; k++)
        lab_runs_rows(&md, cell_label[k], cell_prefix[k], &s[k]);
    rc = lab_report_end(l, 5, &md, &x, answer);
out:
    sb_free(&md);
    for (int k = 0; k < N_CELLS; k++)
        side_free(&s[k]);
    lab_grid_free(&g);
    free(buf);
    experiment_close(&x);
    sweep_free_axes(&o);
    return rc;
}

const lab_exercise lab_ex5 = {
    5, "dropout and weight decay, alone and together",
    "Compare dropout with weight decay, and use both together: are the results additive, are "
    "there diminishing returns, or do they cancel each other out?",
    cost, run};
