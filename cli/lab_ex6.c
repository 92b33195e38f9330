/* dropnet lab, exercise 6: DropConnect against dropout at matched rates.
 *
 * d2l's dropout (0.2, 0.5) against DropConnect at the same rates at the
 * same sites, on the lab's paired seeds. The two act on the same products:
 * dropout at hidden layer k drops inputs of the Linear layer that reads
 * layer k (whole columns of its weights, a mask per example), DropConnect
 * at k single weights of that layer (one mask per minibatch). Compare's
 * analysis of the final epoch (accuracy, loss, gap), and the seconds per
 * epoch of each, paired by seed. */
#include "lab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int configs(const lab *l, dn_config *a, dn_config *b)
{
    int rc = lab_config(l, "--dropout 0.2,0.5", l->d.epochs, a);
    return rc ? rc : lab_config(l, "--noise dropconnect:0.2,dropconnect:0.5", l->d.epochs, b);
}

static double cost(const lab *l)
{
    dn_config a, b;
    return configs(l, &a, &b) ? 0 : l->d.seeds * (lab_cost(&a) + lab_cost(&b));
}

/* Per seed: the mean seconds per epoch of each run (training and test
 * evaluation, as metrics.csv times them). */
static void seconds(const side *s, double *out)
{
    for (int i = 0; i < s->n; i++) {
        const dn_metrics *m = &s->runs[i].metrics;
        double sum = 0;
        for (size_t e = 0; e < m->n; e++)
            sum += m->col[DN_METRIC_SECONDS][e];
        out[i] = sum / (double)m->n;
    }
}

static int run(lab *l, char *answer, size_t size)
{
    dn_config ca, cb;
    int rc = configs(l, &ca, &cb);
    if (rc)
        return rc;
    int seeds = l->d.seeds;
    experiment x = {.lock_fd = -1};
    side A = {0}, B = {0};
    strbuf md = {0};
    double *sa = malloc((size_t)seeds * sizeof *sa), *sb = malloc((size_t)seeds * sizeof *sb);
    double *ratio = malloc((size_t)seeds * sizeof *ratio);
    if (!sa || !sb || !ratio) {
        cli_error("lab: out of memory");
        rc = EXIT_RUNTIME;
        goto out;
    }
    if ((rc = lab_open(l, 6, &x)) || (rc = lab_add(l, &x, "dropout", &ca, seeds)) ||
        (rc = lab_add(l, &x, "dropconnect", &cb, seeds)) ||
        (rc = lab_train(l, &x, "dropout + dropconnect")))
        goto out;
    results r;
    if ((rc = lab_pair(&x, "dropout", &ca, "dropconnect", &cb, seeds, &A, &B, &r)))
        goto out;
    char common[400], note[600] = "";
    lab_common(&ca, &cb, common, sizeof common);
    int clipped = 0;
    int figs = compare_draw(x.dir, &A, &B, &B, "dropout 0.2,0.5", "dropconnect 0.2,0.5", common,
                            &r, 1.0, &clipped, note, sizeof note) == 0;
    if (!figs)
        cli_error("warning: lab ex6: no figures: %s", note);

    /* seconds per epoch, paired by seed, and their ratio */
    seconds(&A, sa);
    seconds(&B, sb);
    for (int i = 0; i < seeds; i++)
        ratio[i] = sb[i] / sa[i];
    dn_compare_opts co = {.paired = true};
    dn_comparison ct;
    dn_interval ia, ib, ir;
    dn_err err = {0};
    if (dn_compare_samples(sa, seeds, sb, seeds, &co, &ct, &err) ||
        dn_mean_interval(sa, seeds, 0.95, &ia, &err) ||
        dn_mean_interval(sb, seeds, 0.95, &ib, &err) ||
        dn_mean_interval(ratio, seeds, 0.95, &ir, &err)) {
        rc = cli_fail(&err);
        goto out;
    }

    const dn_comparison *acc = &r.paired[M_TEST_ACC], *gap = &r.paired[M_GAP];
    char ci[160], gci[160], verdict[200], gverdict[200], rci[160];
    lab_ci(ci, sizeof ci, acc->diff, acc->ci_low, acc->ci_high, 2, 1);
    lab_ci(gci, sizeof gci, gap->diff, gap->ci_low, gap->ci_high, 2, 1);
    lab_short_verdict(acc, verdict, sizeof verdict);
    lab_short_verdict(gap, gverdict, sizeof gverdict);
    lab_ci(rci, sizeof rci, ir.mean, ir.lo, ir.hi, 2, 0);
    snprintf(answer, size, "At matched rates (0.2, 0.5), DropConnect changes test accuracy by %s "
             "points against dropout over %d paired seeds (%s) and the train-test gap by %s "
             "points (%s); an epoch with DropConnect takes %s times dropout's.", ci, seeds,
             verdict, gci, gverdict, rci);

    lab_report_head(l, &md, 6);
    sb_printf(&md, "## Design\n\n"
              "- A = dropout (0.2, 0.5), d2l's, against B = DropConnect (0.2, 0.5): "
              "`--noise dropconnect:0.2,dropconnect:0.5`; %d paired seeds (1-%d), %d epochs "
              "each, everything else d2l-2020 (%s).\n"
              "- Matched rates at matched sites: both act on the product of the Linear layer "
              "that reads hidden layer k, at the same probability. Dropout at k zeroes inputs of "
              "that product (whole columns of its weight matrix, a new mask per example); "
              "DropConnect at k zeroes single weights of it (one mask per minibatch). Survivors "
              "are scaled by 1/(1 - p) in both, so the expected product is the same.\n"
              "- Paired: with one seed both start from the same weights, see the data in the "
              "same order and draw from the same uniforms at each site.\n"
              "- Seconds per epoch: each run's mean over its epochs (training and the test "
              "evaluation), as its metrics.csv records them; the trainings ran side by side "
              "(%d at a time) on a machine that may have been shared, so these times carry its "
              "load, alike for both on average.\n\n",
              seeds, seeds, l->d.epochs, common, x.jobs);
    sb_printf(&md, "## Answer\n\n**%s**\n\n", answer);
    sb_printf(&md, "Final test accuracy: ");
    lab_report_verdict(&md, acc, "dropout", "DropConnect", "test accuracy");
    sb_printf(&md, "Train-test gap (training accuracy with the noise on, minus test accuracy): ");
    lab_report_verdict(&md, gap, "dropout", "DropConnect", "the gap");

    sb_printf(&md, "## Final epoch, over %d paired seeds\n\n"
              "A = dropout (0.2, 0.5), B = DropConnect (0.2, 0.5). Means with 95 %% "
              "intervals.\n\n", seeds);
    compare_md_table(&md, &r, &B, 1, &clipped);
    {
        char a[160], b[160], d[160];
        lab_ci(a, sizeof a, ia.mean, ia.lo, ia.hi, 3, 0);
        lab_ci(b, sizeof b, ib.mean, ib.lo, ib.hi, 3, 0);
        lab_ci(d, sizeof d, ct.diff, ct.ci_low, ct.ci_high, 3, 1);
        sb_printf(&md, "## Seconds per epoch, over %d paired seeds\n\n"
                  "| measure | A: dropout | B: DropConnect | B - A (paired) |\n|---|---|---|---|\n"
                  "| seconds per epoch | %s | %s | %s |\n\n"
                  "Per seed, B's seconds per epoch divided by A's: %s (mean and 95 %% "
                  "interval).\n\n", seeds, a, b, d, rci);
    }
    if (figs)
        sb_printf(&md, "## Figures\n\n![Mean curves with 95 %% bands](curves.png)\n\n"
                  "Per epoch, the mean over the seeds and its 95 %% interval (shaded), of A = "
                  "dropout and B = DropConnect.\n\n![Final test accuracy per seed](paired.png)"
                  "\n\nEach line joins the two trainings of one seed; right: B - A per seed, its "
                  "mean and 95 %% interval.\n\n");
    sb_printf(&md, "## Trainings\n\n%s s/epoch |\n|---|---|---|---|---|---|---|---|\n",
              LAB_RUNS_HEAD);
    const side *sides[2] = {&A, &B};
    const char *group[2] = {"A", "B"}, *prefix[2] = {"dropout", "dropconnect"};
    const double *secs[2] = {sa, sb};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < sides[k]->n; i++) {
            lab_run_cells(&md, group[k], prefix[k], sides[k]->seed[i], &sides[k]->runs[i].metrics);
            sb_printf(&md, " %.3f |\n", secs[k][i]);
        }
    rc = lab_report_end(l, 6, &md, &x, answer);
out:
    sb_free(&md);
    side_free(&A);
    side_free(&B);
    free(sa);
    free(sb);
    free(ratio);
    experiment_close(&x);
    return rc;
}

const lab_exercise lab_ex6 = {
    6, "DropConnect against dropout",
    "Apply dropout to individual weights of the weight matrix rather than to activations "
    "(\"DropConnect\"): how does it compare with dropout at matched rates, in accuracy, the "
    "train-test gap and the time an epoch takes?",
    cost, run};
