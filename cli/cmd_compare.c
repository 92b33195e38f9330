/* dropnet compare: two configurations over several seeds, paired by seed, and
 * what the difference between them is once the luck of the seed is taken
 * out. The parts are in compare_*.c (see compare.h). */
#include "compare.h"

#include <stdio.h>
#include <string.h>

int cmd_compare(int argc, char **argv)
{
    if (compare_is_models(argc, argv))
        return compare_models(argc, argv);
    compare_opts o;
    int rc = compare_parse(argc, argv, &o);
    if (rc || o.help)
        return rc;
    dn_config ca, cb;
    char da[4096], db[4096];
    if ((rc = compare_side_config(&o, "a", o.a, &ca, da, sizeof da)) ||
        (rc = compare_side_config(&o, "b", o.b, &cb, db, sizeof db)))
        return rc;
    /* Pairing shares data order and so needs the same data; and a
     * difference across data sets is not one of configurations. */
    if (strcmp(da, db) != 0 || strcmp(ca.csv.train, cb.csv.train) != 0 ||
        strcmp(ca.csv.test, cb.csv.test) != 0) {
        cli_error("compare: A and B train on different data (A: %s, B: %s); compare "
                  "configurations on one data set", da[0] ? da : ca.csv.train,
                  db[0] ? db : cb.csv.train);
        return EXIT_USAGE;
    }
    if (!o.unpaired && !dn_config_differs(&ca, &cb) && strcmp(da, db) == 0) {
        cli_error("compare: --a and --b define the same training; paired on one seed they give "
                  "the same bits (add --unpaired to see how runs of one setting spread)");
        return EXIT_USAGE;
    }
    /* What tells A and B apart, and what they share. */
    dn_run ra = {0}, rb = {0};
    snprintf(ra.dir, sizeof ra.dir, "A");
    snprintf(rb.dir, sizeof rb.dir, "B");
    ra.cfg = ca;
    rb.cfg = cb;
    ra.cfg.fit.seed = rb.cfg.fit.seed = o.x.seed;
    dn_run pair[2] = {ra, rb};
    char labels[2][DN_LABEL_MAX], common[400];
    experiment_labels(pair, labels, common, sizeof common);
    if (ca.fit.epochs != cb.fit.epochs) {
        cli_error("compare: A trains %d epochs and B %d: the per-epoch curves need the same "
                  "number", ca.fit.epochs, cb.fit.epochs);
        return EXIT_USAGE;
    }

    experiment x;
    if ((rc = experiment_open(&x, "compare", o.x.out)))
        goto out;
    x.quiet = o.x.quiet;
    const char *bname = o.unpaired ? "b-unpaired" : "b";
    unsigned long long boff = o.unpaired ? UNPAIRED_OFFSET : 0;
    for (long i = 0; i < o.x.seeds; i++) {
        unsigned long long s = o.x.seed + (unsigned long long)i;
        char name[64];
        dn_config c = ca;
        c.fit.seed = s;
        snprintf(name, sizeof name, "a-seed%llu", s);
        if ((rc = experiment_add(&x, name, &c, da)))
            goto out;
        c = cb;
        c.fit.seed = s + boff;
        snprintf(name, sizeof name, "%s-seed%llu", bname, s);
        if ((rc = experiment_add(&x, name, &c, db)))
            goto out;
    }
    if ((rc = experiment_scan(&x)))
        goto out;
    experiment_set_jobs(&x, o.x.jobs, o.x.threads);
    printf("# dropnet compare | %ld %s seed%s (%llu-%llu) | %d trainings: %d done before, %d to "
           "run%s | %d job%s x %d thread%s\n",
           o.x.seeds, o.unpaired ? "unpaired" : "paired", o.x.seeds == 1 ? "" : "s", o.x.seed,
           o.x.seed + (unsigned long long)(o.x.seeds - 1), x.n, x.done_before,
           x.n - x.done_before, x.resumed ? " (some resume)" : "", x.jobs,
           x.jobs == 1 ? "" : "s", x.threads, x.threads == 1 ? "" : "s");
    printf("# A: %s\n# B: %s\n# both: %s | %d epoch%s\n# experiment directory %s\n",
           labels[0], labels[1], common, ca.fit.epochs, ca.fit.epochs == 1 ? "" : "s", x.dir);
    fflush(stdout);
    if ((rc = experiment_run(&x)))
        goto out;

    side A, Bp = {0}, Bu = {0};
    int have_p, have_u;
    if (side_load(x.dir, "a", &o, &ca, 0, &A, 0)) {
        rc = EXIT_RUNTIME;
        goto out;
    }
    /* The other kind of B, when an earlier run left all of it here. */
    have_p = side_load(x.dir, "b", &o, &cb, 0, &Bp, o.unpaired) == 0;
    have_u = side_load(x.dir, "b-unpaired", &o, &cb, UNPAIRED_OFFSET, &Bu, !o.unpaired) == 0;
    if (o.unpaired ? !have_u : !have_p) {
        side_free(&A);
        side_free(&Bp);
        side_free(&Bu);
        rc = EXIT_RUNTIME;
        goto out;
    }
    results r;
    if ((rc = compare_analyse(&o, &A, have_p ? &Bp : NULL, have_u ? &Bu : NULL, &r)) == 0) {
        char note[600] = "";
        int clipped = 0;
        compare_report rep = {argc, argv, &o, &A, have_p ? &Bp : NULL, have_u ? &Bu : NULL, &r,
                              labels[0], labels[1], common, &x, o.x.figures, note, 0};
        compare_print(&rep);
        const side *B = o.unpaired ? &Bu : &Bp;
        if (o.x.figures && compare_draw(x.dir, &A, B, have_p ? &Bp : NULL, labels[0],
                                        labels[1], common, &r, o.x.figure_scale, &clipped,
                                        note, sizeof note))
            cli_error("warning: no figures: %s", note);
        rep.fig_clipped = clipped;
        if (!(rc = compare_write(&rep)))
            printf("# report %s/report.md%s; %d training%s run in %.1f s\n", x.dir,
                   o.x.figures && !note[0] ? (have_p ? ", figures curves.png, paired.png"
                                                   : ", figure curves.png")
                                         : "",
                   x.ran, x.ran == 1 ? "" : "s", x.seconds);
    }
    side_free(&A);
    side_free(&Bp);
    side_free(&Bu);
out:
    experiment_close(&x);
    return rc;
}
