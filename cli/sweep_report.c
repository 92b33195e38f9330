/* dropnet sweep: sweep.csv, report.md and the terminal lines. */
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const csv_names[N_MEASURES] = {"test_acc", "test_loss", "train_acc", "gap"};

static int write_csv(const sweep_report *r)
{
    const sweep_opts *o = r->o;
    strbuf c = {0};
    sb_printf(&c, "cell");
    for (int a = 0; a < o->n_axes; a++) {
        sb_printf(&c, ",");
        sb_csv_field(&c, o->axes[a].name);
    }
    sb_printf(&c, ",seeds");
    for (int m = 0; m < N_MEASURES; m++)
        sb_printf(&c, ",%s_mean,%s_lo,%s_hi", csv_names[m], csv_names[m], csv_names[m]);
    if (r->has_val) /* after the others: present only with validation runs */
        sb_printf(&c, ",val_acc_mean,val_acc_lo,val_acc_hi");
    sb_printf(&c, ",test_acc_minus_best,p_beaten,could_be_best,best");
    sb_printf(&c, r->has_val ? ",val_acc_minus_best\n" : "\n");
    for (int i = 0; i < r->n_cells; i++) {
        const cell *ce = &r->cells[i];
        sb_csv_field(&c, ce->name);
        for (int a = 0; a < o->n_axes; a++) {
            sb_printf(&c, ",");
            sb_csv_field(&c, o->axes[a].values[ce->index[a]]);
        }
        sb_printf(&c, ",%ld", o->x.seeds);
        for (int m = 0; m < N_MEASURES; m++) {
            double k = 1.0 / measure_scale[m]; /* fractions, as in metrics.csv */
            sb_printf(&c, ",%.10g,%.10g,%.10g", ce->ci[m].mean * k, ce->ci[m].lo * k,
                      ce->ci[m].hi * k);
        }
        if (r->has_val)
            sb_printf(&c, ",%.10g,%.10g,%.10g", ce->val_ci.mean / 100.0, ce->val_ci.lo / 100.0,
                      ce->val_ci.hi / 100.0);
        /* empty fields: no value (a single seed has no interval; below 3
         * seeds there is no verdict) */
        sb_printf(&c, ",%.10g,", ce->diff / 100.0);
        if (!isnan(ce->p_beaten))
            sb_printf(&c, "%.6g", ce->p_beaten);
        sb_printf(&c, ",");
        if (ce->could_be_best >= 0)
            sb_printf(&c, "%d", ce->could_be_best);
        sb_printf(&c, ",%d", i == r->best);
        if (r->has_val)
            sb_printf(&c, ",%.10g", ce->score_diff / 100.0);
        sb_printf(&c, "\n");
    }
    return report_save(&c, r->x->dir, "sweep.csv");
}

/* The other cells that could be the best: how many, and (list) their
 * labels separated by "; ". */
static int rivals(const sweep_report *r, char *list, size_t size)
{
    int k = 0;
    size_t len = 0;
    if (list)
        list[0] = '\0';
    for (int c = 0; c < r->n_cells; c++)
        if (r->cells[c].could_be_best == 1 && c != r->best) {
            if (list && len < size)
                len += (size_t)snprintf(list + len, size - len, "%s%s", k ? "; " : "",
                                        r->cells[c].label);
            k++;
        }
    return k;
}

static void every_cell(const sweep_report *r, char *out, size_t size)
{
    const cell *c0 = &r->cells[0];
    if (r->same_epochs)
        snprintf(out, size, "%s | %d epoch%s", r->common, c0->cfg.fit.epochs,
                 c0->cfg.fit.epochs == 1 ? "" : "s");
    else
        snprintf(out, size, "%s | epochs as the cell says", r->common);
}

/* "85.10 [84.2, 86.0]": an accuracy's interval, cut at 0 and 100 %. */
static void acc_ci(const dn_interval *i, char *out, size_t size)
{
    dn_format_ci(i->mean, fmax(i->lo, 0.0), fmin(i->hi, 100.0), 2, 0, out, size);
}

/* What the best cell scored: "mean final test accuracy X %", or with a
 * validation split "mean final validation accuracy V %; its test accuracy
 * T %". */
static void best_scores(const sweep_report *r, char *out, size_t size)
{
    const cell *b = &r->cells[r->best];
    char t[100], v[100];
    acc_ci(&b->ci[M_TEST_ACC], t, sizeof t);
    if (!r->has_val) {
        snprintf(out, size, "mean final test accuracy %s %%", t);
        return;
    }
    acc_ci(&b->val_ci, v, sizeof v);
    snprintf(out, size, "mean final validation accuracy %s %%; its test accuracy %s %% (the "
             "test set is used once, for the chosen cell: choosing on it would overstate the "
             "best)", v, t);
}

void sweep_print(const sweep_report *r)
{
    const cell *b = &r->cells[r->best];
    char scores[600];
    best_scores(r, scores, sizeof scores);
    if (r->o->x.seeds < 3) {
        printf("\nhighest mean%s: %s, %s; with %ld seed%s per cell there is no verdict on "
               "which cell is best: run --seeds 3 or more (5 or more for intervals that are not "
               "very wide)\n", r->has_val ? " on validation" : "", b->label, scores,
               r->o->x.seeds, r->o->x.seeds == 1 ? "" : "s");
        return;
    }
    printf("\nbest%s: %s, %s\n", r->has_val ? " (chosen on validation accuracy)" : "",
           b->label, scores);
    char list[4000];
    int k = rivals(r, list, sizeof list);
    printf("could also be the best, at 95 %% (not beaten by any cell in a one-sided paired "
           "t-test of %s accuracy at 0.05/%d): %s\n", r->has_val ? "validation" : "test",
           r->n_cells - 1, k ? list : "none");
    if (r->o->x.seeds < 5)
        printf("(below 5 seeds the intervals are very wide)\n");
}

static int write_report(const sweep_report *r)
{
    const sweep_opts *o = r->o;
    const cell *cells = r->cells;
    int n_cells = r->n_cells, best = r->best;
    strbuf md = {0};
    sb_printf(&md, "# Sweep: which setting is best?\n\n");
    sb_printf(&md, "- **Grid**: ");
    for (int a = 0; a < o->n_axes; a++) {
        sb_printf(&md, "%s`--%s` ", a ? "x " : "", o->axes[a].name);
        for (int i = 0; i < o->axes[a].n; i++)
            sb_printf(&md, "%s%s", i ? (o->axes[a].layer || !strchr(o->axes[a].values[i], ',')
                                            ? ", " : " / ")
                                     : "", o->axes[a].values[i]);
        sb_printf(&md, " ");
    }
    char every[600];
    every_cell(r, every, sizeof every);
    sb_printf(&md, "(%d cells)\n- **Every cell**: %s\n", n_cells, every);
    sb_printf(&md, "- **Seeds**: %llu to %llu (%ld per cell); every cell trains on the same seeds, "
              "so cells are compared in pairs of runs that share initial weights (where shapes "
              "match), data order and dropout uniforms\n", o->x.seed,
              o->x.seed + (unsigned long long)(o->x.seeds - 1), o->x.seeds);
    report_runs(&md, r->argc, r->argv, "dropnet sweep", r->x);
    const cell *b = &cells[best];
    char ci[100], scores[600];
    best_scores(r, scores, sizeof scores);
    const char *on = r->has_val ? "validation" : "test";
    if (o->x.seeds < 3) {
        sb_printf(&md, "## Answer\n\n**No verdict: %ld seed%s per cell.** The highest mean final "
                  "%s accuracy is %s's (%s), but below 3 seeds per cell the luck of the seed "
                  "cannot be told from the setting: run `--seeds 3` or more (5 or more for "
                  "intervals that are not very wide).\n\n", o->x.seeds,
                  o->x.seeds == 1 ? "" : "s", on, b->label, scores);
    } else {
        int same = rivals(r, NULL, 0);
        sb_printf(&md, "## Answer\n\n**Best%s: %s, %s.** ",
                  r->has_val ? ", chosen on validation accuracy" : "", b->label, scores);
        sb_printf(&md, "%d other cell%s of %d could also be the best, at 95 %%: no other cell "
                  "beats %s in a one-sided paired t-test at 0.05 / %d. The kept set holds the "
                  "truly best cell with probability at least 95 %%; not being ruled out is not "
                  "evidence of being as good.%s\n\n", same, same == 1 ? "" : "s", n_cells - 1,
                  same == 1 ? "it" : "them", n_cells - 1,
                  o->x.seeds < 5 ? " Below 5 seeds the intervals are very wide." : "");
    }
    if (r->has_val)
        sb_printf(&md, "The cells are ranked and chosen on the validation split (held out of "
                  "the training data); the test set is reported once, for the chosen cell. "
                  "Ranking on the test set instead would overstate the best: the winner is "
                  "picked partly for its luck on the very examples it is then scored on. The "
                  "test accuracies of every cell are in `sweep.csv`, not for choosing.\n\n");
    else
        sb_printf(&md, "The best cell is chosen on the same test-set runs it is reported with, "
                  "so its accuracy overstates what it would score on new data (the winner's "
                  "curse); the more cells, the more so. A validation split (`--val N`) lets "
                  "the sweep choose without the test set.\n\n");
    if (r->figures && r->heat_rc == 0 && r->has_val)
        sb_printf(&md, "![Mean final validation accuracy per cell](heatmap_val_acc.png)\n\n"
                  "![Mean final gap per cell](heatmap_gap.png)\n\n"
                  "Thick frame: the best cell; thin frames: the other cells that could be the "
                  "best. The gap is training accuracy (dropout on, as d2l reports it) minus test "
                  "accuracy, in points.\n\n");
    else if (r->figures && r->heat_rc == 0)
        sb_printf(&md, "![Mean final test accuracy per cell](heatmap_test_acc.png)\n\n"
                  "![Mean final gap per cell](heatmap_gap.png)\n\n"
                  "Thick frame: the best cell; thin frames: the other cells that could be the "
                  "best. The gap is training accuracy (dropout on, as d2l reports it) minus test "
                  "accuracy, in points.\n\n");
    else if (r->figures)
        sb_printf(&md, "No heatmaps: %s.\n\n", r->heat_note);
    /* every cell, best first */
    int *order = malloc((size_t)n_cells * sizeof *order);
    if (!order) {
        sb_free(&md);
        cli_error("sweep: out of memory");
        return EXIT_RUNTIME;
    }
    for (int c = 0; c < n_cells; c++)
        order[c] = c;
    for (int i = 1; i < n_cells; i++) /* insertion sort: stable, n is small */
        for (int j = i; j > 0 && sweep_score(&cells[order[j]], r->has_val) >
                                     sweep_score(&cells[order[j - 1]], r->has_val); j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    sb_printf(&md, "## Every cell, best first\n\nFinal epoch, mean [95 %% interval] over the "
              "seeds; accuracies and gap in %% / points, loss in nats; intervals of accuracies "
              "are cut at 0 and 100 %%. \"vs best\": the difference in mean %s accuracy from "
              "the best cell; \"p beaten\": the Bonferroni-adjusted one-sided p of the strongest "
              "rival.%s\n\n", on, r->has_val ? " Test-set columns are left out: the cells are "
              "chosen without them." : "");
    if (r->has_val)
        sb_printf(&md, "| cell | validation accuracy | train accuracy | vs best | p beaten | "
                  "could be best |\n|---|---|---|---|---|---|\n");
    else
        sb_printf(&md, "| cell | test accuracy | test loss | train accuracy | gap | vs best | "
                  "p beaten | could be best |\n|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < n_cells; i++) {
        const cell *ce = &cells[order[i]];
        sb_printf(&md, "| ");
        md_cell(&md, ce->label);
        if (r->has_val) {
            acc_ci(&ce->val_ci, ci, sizeof ci);
            sb_printf(&md, " | %s", ci);
            acc_ci(&ce->ci[M_TRAIN_ACC], ci, sizeof ci);
            sb_printf(&md, " | %s", ci);
        } else {
            for (int m = 0; m < N_MEASURES; m++) {
                if (m == M_TEST_ACC || m == M_TRAIN_ACC)
                    acc_ci(&ce->ci[m], ci, sizeof ci);
                else
                    dn_format_ci(ce->ci[m].mean, ce->ci[m].lo, ce->ci[m].hi,
                                 measure_decimals[m], 0, ci, sizeof ci);
                sb_printf(&md, " | %s", ci);
            }
        }
        char ps[32];
        dn_format_p(ce->p_beaten, ps, sizeof ps);
        sb_printf(&md, " | %+.2f | %s | %s |\n", ce->score_diff, ps,
                  order[i] == best ? (o->x.seeds < 3 ? "highest mean" : "best")
                  : ce->could_be_best < 0 ? "no verdict"
                  : ce->could_be_best ? "yes" : "no");
    }
    free(order);
    sb_printf(&md, "\n## Method\n\n"
              "- Each training is `dropnet train` with the cell's options and a seed; its run "
              "directory is under `runs/`. `sweep.csv` has every cell (accuracies and gap as "
              "fractions, as in `metrics.csv`).\n"
              "- Best cell: the highest mean final validation accuracy when the runs hold out a "
              "validation split (`--val`), else the highest mean final test accuracy. Could be "
              "the best, at 95 %%: multiple comparisons with the best. A cell is ruled out when "
              "some other cell beats it in a one-sided paired t-test of their per-seed "
              "accuracies (the same measure) at level "
              "0.05 / (cells - 1) (Bonferroni over its rivals; equal differences, which have no "
              "t, use the one-sided sign test 2^-n). The set kept contains the truly best cell "
              "with probability at least 95 %%, wherever it lies in the grid. Below 3 seeds no "
              "cell is ruled out and no best is named.\n");
    report_method(&md);
    int rc = report_save(&md, r->x->dir, "report.md");
    return rc;
}

int sweep_write(const sweep_report *r)
{
    int rc = write_csv(r);
    return rc ? rc : write_report(r);
}
