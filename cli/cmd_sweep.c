/* dropnet sweep: every combination of a few settings, over several seeds,
 * which combination is best, and which could be. The parts are in
 * sweep_*.c (see sweep.h). */
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_sweep(int argc, char **argv)
{
    sweep_opts o;
    int rc = sweep_parse(argc, argv, &o);
    if (rc || o.help) {
        sweep_free_axes(&o);
        return rc;
    }
    int n_cells = 1;
    for (int a = 0; a < o.n_axes; a++) {
        n_cells *= o.axes[a].n;
        if (n_cells > MAX_CELLS) {
            cli_error("sweep: more than %d cells", MAX_CELLS);
            sweep_free_axes(&o);
            return EXIT_USAGE;
        }
    }
    size_t n_axes = (unsigned)o.n_axes, cells_n = (unsigned)n_cells;
    cell *cells = calloc(cells_n, sizeof *cells);
    int *index = calloc(cells_n * n_axes, sizeof *index);
    experiment x;
    memset(&x, 0, sizeof x);
    x.lock_fd = -1;
    if (!cells || !index) {
        cli_error("sweep: out of memory");
        rc = EXIT_RUNTIME;
        goto out;
    }
    for (int c = 0; c < n_cells; c++) {
        cells[c].index = index + (size_t)c * (size_t)o.n_axes;
        for (int a = 0; a < o.n_axes; a++)
            cells[c].index[a] = sweep_value_of(&o, c, a);
        if ((rc = sweep_cell_config(&o, c, &cells[c])))
            goto out;
    }
    /* Epochs may be an axis: then no line says "every cell: N epochs". */
    int same_epochs = 1;
    for (int c = 1; c < n_cells; c++)
        same_epochs &= cells[c].cfg.fit.epochs == cells[0].cfg.fit.epochs;
    /* What all cells share. */
    char common[400] = "";
    {
        dn_run runs[2];
        memset(runs, 0, sizeof runs);
        runs[0].cfg = cells[0].cfg;
        runs[1].cfg = cells[n_cells - 1].cfg;
        runs[0].cfg.fit.seed = runs[1].cfg.fit.seed = o.x.seed;
        char labels[2][DN_LABEL_MAX];
        experiment_labels(runs, labels, common, sizeof common);
    }
    if ((rc = experiment_open(&x, "sweep", o.x.out)))
        goto out;
    x.quiet = o.x.quiet;
    for (int c = 0; c < n_cells; c++)
        for (long s = 0; s < o.x.seeds; s++) {
            char name[256];
            dn_config cfg = cells[c].cfg;
            cfg.fit.seed = o.x.seed + (unsigned long long)s;
            snprintf(name, sizeof name, "%s_seed%llu", cells[c].name,
                     (unsigned long long)cfg.fit.seed);
            if ((rc = experiment_add(&x, name, &cfg, cells[c].data_dir)))
                goto out;
        }
    if ((rc = experiment_scan(&x)))
        goto out;
    experiment_set_jobs(&x, o.x.jobs, o.x.threads);
    printf("# dropnet sweep | %d cells x %ld seed%s (%llu-%llu) | %d trainings: %d done before, "
           "%d to run | %d job%s x %d thread%s\n", n_cells, o.x.seeds, o.x.seeds == 1 ? "" : "s",
           o.x.seed, o.x.seed + (unsigned long long)(o.x.seeds - 1), x.n, x.done_before,
           x.n - x.done_before, x.jobs, x.jobs == 1 ? "" : "s", x.threads,
           x.threads == 1 ? "" : "s");
    printf("# grid:");
    for (int a = 0; a < o.n_axes; a++)
        printf(" %s--%s (%d value%s)", a ? "x " : "", o.axes[a].name, o.axes[a].n,
               o.axes[a].n == 1 ? "" : "s");
    if (same_epochs)
        printf("\n# every cell: %s | %d epoch%s\n", common, cells[0].cfg.fit.epochs,
               cells[0].cfg.fit.epochs == 1 ? "" : "s");
    else
        printf("\n# every cell: %s | epochs as the cell says\n", common);
    printf("# experiment directory %s\n", x.dir);
    fflush(stdout);
    int best, has_val;
    if ((rc = experiment_run(&x)) ||
        (rc = sweep_load(&x, cells, n_cells, (int)o.x.seeds, &has_val)) ||
        (rc = sweep_rank(cells, n_cells, (int)o.x.seeds, has_val, &best)))
        goto out;
    char note[600] = "";
    int heat_rc = 1;
    if (o.x.figures) {
        heat_rc = sweep_draw(x.dir, &o, cells, n_cells, best, has_val, o.x.figure_scale, common,
                             note, sizeof note);
        if (heat_rc < 0)
            cli_error("warning: no heatmaps: %s", note);
    }
    sweep_report rep = {argc, argv, &o, cells, n_cells, best, &x, common, same_epochs,
                        has_val, o.x.figures, heat_rc, note};
    if ((rc = sweep_write(&rep)))
        goto out;
    sweep_print(&rep);
    printf("# report %s/report.md, cells in %s/sweep.csv%s; %d training%s run in %.1f s\n",
           x.dir, x.dir, o.x.figures && heat_rc == 0 ? has_val ? ", heatmaps heatmap_val_acc.png, "
                                                              "heatmap_gap.png"
                                                   : ", heatmaps heatmap_test_acc.png, "
                                                     "heatmap_gap.png" : "",
           x.ran, x.ran == 1 ? "" : "s", x.seconds);
out:
    sweep_cells_free(cells, n_cells);
    free(index);
    experiment_close(&x);
    sweep_free_axes(&o);
    return rc;
}
