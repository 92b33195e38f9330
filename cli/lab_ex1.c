/* dropnet lab, exercise 1: swap the dropout probabilities of the two hidden
 * layers, and vary them.
 *
 * Two parts trained side by side: (0.2, 0.5) against (0.5, 0.2) on the
 * lab's paired seeds (compare's analysis and figures), and a coarse grid of
 * (p1, p2) on fewer seeds, ranked on a validation split so that the test
 * set does not choose (sweep's cells, ranking and heatmaps). */
#include "lab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The grid's values per layer: none, mild, heavy. */
static const char *grid_values(const lab *l)
{
    return l->d.quick ? "0,0.5" : "0,0.3,0.6";
}

/* The grid as a sweep would parse it: its cells, names and configs. */
static int grid_opts(const lab *l, sweep_opts *o)
{
    const char *words[] = {"--dropout1", grid_values(l), "--dropout2", grid_values(l)};
    return lab_sweep(l, words, 4, o);
}

static int swap_configs(const lab *l, dn_config *a, dn_config *b)
{
    int rc = lab_config(l, "--dropout 0.2,0.5", l->d.epochs, a);
    return rc ? rc : lab_config(l, "--dropout 0.5,0.2", l->d.epochs, b);
}

static double cost(const lab *l)
{
    dn_config a, b;
    sweep_opts o;
    if (swap_configs(l, &a, &b) || grid_opts(l, &o))
        return 0;
    double c = l->d.seeds * (lab_cost(&a) + lab_cost(&b));
    int cells = o.axes[0].n * o.axes[1].n;
    cell ce;
    memset(&ce, 0, sizeof ce);
    if (sweep_cell_config(&o, 0, &ce) == 0)
        c += cells * lab_grid_seeds(l) * lab_cost(&ce.cfg);
    sweep_free_axes(&o);
    return c;
}

static int run(lab *l, char *answer, size_t size)
{
    dn_config ca, cb;
    sweep_opts o;
    memset(&o, 0, sizeof o);
    int rc = swap_configs(l, &ca, &cb);
    if (rc || (rc = grid_opts(l, &o)))
        return rc;
    int seeds = l->d.seeds, gseeds = lab_grid_seeds(l);
    lab_grid g = {0};
    experiment x = {.lock_fd = -1};
    side A = {0}, B = {0};
    strbuf md = {0};
    if ((rc = lab_grid_new(&g, &o)))
        goto out;
    cell *cells = g.cells;
    int n_cells = g.n;
    if ((rc = lab_open(l, 1, &x)) || (rc = lab_add(l, &x, "a", &ca, seeds)) ||
        (rc = lab_add(l, &x, "b", &cb, seeds)))
        goto out;
    int grid_first = x.n;
    if ((rc = lab_add_cells(l, &x, &o, "grid", &g)) ||
        (rc = lab_train(l, &x, "swap + grid")))
        goto out;

    /* the swap: compare's analysis */
    results r;
    if ((rc = lab_pair(&x, "a", &ca, "b", &cb, seeds, &A, &B, &r)))
        goto out;
    const dn_comparison *c = &r.paired[M_TEST_ACC];

    /* the grid: sweep's cells, ranked on validation accuracy */
    experiment gx = lab_view(&x, grid_first, n_cells * gseeds);
    int has_val, best;
    if ((rc = sweep_load(&gx, cells, n_cells, gseeds, &has_val)) ||
        (rc = sweep_rank(cells, n_cells, gseeds, has_val, &best)))
        goto out;
    char note[600] = "", common[400];
    lab_common(&ca, &cb, common, sizeof common);
    int clipped = 0, figs = compare_draw(x.dir, &A, &B, &B, "dropout 0.2,0.5", "dropout 0.5,0.2",
                                         common, &r, 1.0, &clipped, note, sizeof note) == 0;
    if (!figs)
        cli_error("warning: lab ex1: no figures of the swap: %s", note);
    int heat = sweep_draw(x.dir, &o, cells, n_cells, best, has_val, 1.0, common, note,
                          sizeof note);
    if (heat < 0)
        cli_error("warning: lab ex1: no heatmaps: %s", note);

    /* the answer, from the numbers */
    char ci[160], verdict[200];
    lab_ci(ci, sizeof ci, c->diff, c->ci_low, c->ci_high, 2, 1);
    lab_short_verdict(c, verdict, sizeof verdict);
    int n_could = 0;
    for (int k = 0; k < n_cells; k++)
        n_could += cells[k].could_be_best == 1;
    snprintf(answer, size, "Swapping to (0.5, 0.2) changes test accuracy by %s points over %d "
             "paired seeds (%s); on validation the best of %d (p1, p2) cells is (%s)%s.", ci,
             seeds, verdict, n_cells, cells[best].label,
             gseeds >= 3 ? n_could > 1 ? ", though others could be as good" : ", clearly" : "");

    lab_report_head(l, &md, 1);
    sb_printf(&md, "## Design\n\n"
              "- **Swap**: A = dropout (0.2, 0.5), d2l's order, against B = (0.5, 0.2); %d paired "
              "seeds (1-%d), %d epochs each, everything else d2l-2020 (%s).\n"
              "- **Grid**: p1 and p2 each in {%s} (%d cells), %d seeds each (1-%d), %d epochs, "
              "%d training examples held out as a validation split: the cells are ranked on "
              "validation accuracy, so the test set plays no part in choosing.\n"
              "- Paired: with one seed every training starts from the same weights, sees the data "
              "in the same order and draws its masks from the same uniforms.\n\n",
              seeds, seeds, l->d.epochs, common, grid_values(l), n_cells, gseeds, gseeds,
              l->d.epochs, LAB_VAL);
    sb_printf(&md, "## Answer\n\n**%s**\n\n", answer);
    sb_printf(&md, "Swap, final test accuracy: ");
    lab_report_verdict(&md, c, "(0.2, 0.5)", "(0.5, 0.2)", "test accuracy");
    if (!isnan(c->dz))
        sb_printf(&md, "Seed-to-seed sd of test accuracy: (0.2, 0.5) %.3f, (0.5, 0.2) %.3f, of "
                  "the paired difference %.3f points (dz = %.2f).\n\n", c->sd_a, c->sd_b,
                  c->sd_diff, c->dz);
    {
        const dn_comparison *g = &r.paired[M_GAP];
        char gci[160];
        lab_ci(gci, sizeof gci, g->diff, g->ci_low, g->ci_high, 2, 1);
        sb_printf(&md, "The train-test gap changes by %s points with the swap (%s).\n\n", gci,
                  g->verdict == DN_VERDICT_DIFFERENT ? "the interval excludes 0"
                                                     : "the interval includes 0");
    }
    sb_printf(&md, "Grid, on validation: the highest mean is (%s), %.2f %% validation accuracy "
              "(test: %.2f %%).", cells[best].label, cells[best].val_ci.mean,
              cells[best].ci[M_TEST_ACC].mean);
    if (gseeds >= 3) {
        sb_printf(&md, " Cells that could be the best at 95 %% (none beaten by another in a "
                  "one-sided paired t-test at 0.05 / %d):", n_cells - 1);
        for (int k = 0; k < n_cells; k++)
            if (cells[k].could_be_best == 1)
                sb_printf(&md, " (%s)", cells[k].label);
        sb_printf(&md, ".\n\n");
    } else {
        sb_printf(&md, " With %d seeds per cell there is no verdict on which cells could be "
                  "the best (3 or more are needed).\n\n", gseeds);
    }

    sb_printf(&md, "## Swap: final epoch, over %d paired seeds\n\n"
              "A = dropout (0.2, 0.5), B = (0.5, 0.2). Means with 95 %% intervals.\n\n", seeds);
    compare_md_table(&md, &r, &B, 1, &clipped);
    sb_printf(&md, "## Grid: final epoch, over %d seeds per cell\n\n"
              "| cell | validation accuracy (%%) | test accuracy (%%) | gap (points) | could be "
              "best |\n|---|---|---|---|---|\n", gseeds);
    for (int k = 0; k < n_cells; k++) {
        char v[120], t[120], g[120];
        lab_acc_ci(v, sizeof v, &cells[k].val_ci);
        lab_acc_ci(t, sizeof t, &cells[k].ci[M_TEST_ACC]);
        lab_ci(g, sizeof g, cells[k].ci[M_GAP].mean, cells[k].ci[M_GAP].lo,
               cells[k].ci[M_GAP].hi, 2, 0);
        sb_printf(&md, "| %s | %s | %s | %s | %s |\n", cells[k].label, v, t, g,
                  lab_could_be_best(cells, k, best));
    }
    sb_printf(&md, "\n");
    if (figs)
        sb_printf(&md, "## Figures\n\n![Swap: mean curves with 95 %% bands](curves.png)\n\n"
                  "Per epoch, the mean over the seeds and its 95 %% interval (shaded), of A = "
                  "(0.2, 0.5) and B = (0.5, 0.2).\n\n![Swap: final test accuracy per "
                  "seed](paired.png)\n\nEach line joins the two trainings of one seed; right: "
                  "B - A per seed, its mean and 95 %% interval.\n\n");
    if (heat == 0)
        sb_printf(&md, "![Grid: mean validation accuracy](heatmap_val_acc.png)\n\n"
                  "![Grid: mean gap](heatmap_gap.png)\n\n");
    sb_printf(&md, "## Trainings\n\n%s\n|---|---|---|---|---|---|---|\n", LAB_RUNS_HEAD);
    /* the per-run table: every number of the report comes from these rows */
    lab_runs_rows(&md, "A", "a", &A);
    lab_runs_rows(&md, "B", "b", &B);
    rc = lab_report_end(l, 1, &md, &x, answer);
out:
    sb_free(&md);
    side_free(&A);
    side_free(&B);
    lab_grid_free(&g);
    experiment_close(&x);
    sweep_free_axes(&o);
    return rc;
}

const lab_exercise lab_ex1 = {
    1, "swap and vary the dropout probabilities",
    "Change the dropout probabilities of the first and second layers; in particular swap them. "
    "Design an experiment, describe the results quantitatively, summarise the takeaways.",
    cost, run};
