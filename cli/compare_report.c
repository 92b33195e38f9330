/* dropnet compare: what it says, on the terminal, in report.md and in
 * compare.csv. */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const side_csv_name[3] = {"a", "b", "b-unpaired"};

/* The other measures whose interval of B - A excludes 0, e.g. "train
 * accuracy (%) -1.13 [-1.31, -0.96], p < 0.0001"; "" when none. The gap is
 * left out: it is train minus test accuracy, no finding of its own. */
static void also_different(const results *r, char *out, size_t size)
{
    size_t k = 0;
    out[0] = '\0';
    for (int m = M_TEST_LOSS; m < N_MEASURES && k < size; m++) {
        const dn_comparison *c = compare_view(r, m);
        if (m == M_GAP || c->verdict != DN_VERDICT_DIFFERENT || c->no_spread)
            continue;
        char ci[120], ps[32];
        dn_format_ci(c->diff, c->ci_low, c->ci_high, measure_decimals[m], 1, ci, sizeof ci);
        dn_format_p(c->p_t, ps, sizeof ps);
        k += (size_t)snprintf(out + k, size - k, "%s%s %s, p %s%s", k ? "; " : "",
                              measure_name[m], ci, ps[0] == '<' ? "" : "= ", ps);
    }
}

/* The seed-to-seed spread of test accuracy and the effect size. */
static void spread_line(const results *r, char *out, size_t size)
{
    const dn_comparison *c = compare_view(r, M_TEST_ACC);
    if (c->paired && !isnan(c->dz))
        snprintf(out, size, "Seed-to-seed sd of test accuracy: A %.3f, B %.3f, B - A %.3f points; "
                 "effect size dz = mean / sd of B - A = %.2f.", c->sd_a, c->sd_b, c->sd_diff,
                 c->dz);
    else if (!isnan(c->sd_a) && !isnan(c->sd_b))
        snprintf(out, size, "Seed-to-seed sd of test accuracy: A %.3f, B %.3f points.", c->sd_a,
                 c->sd_b);
    else
        out[0] = '\0';
}

/* "84.95 [84.12, 85.78]", an accuracy's interval cut at 0 and 100 % (and
 * *clipped set when it had to be). */
static void side_ci(const dn_interval *ci, int m, char *out, size_t size, int *clipped)
{
    double lo = ci->lo, hi = ci->hi;
    if ((m == M_TEST_ACC || m == M_TRAIN_ACC) && !isnan(lo)) {
        *clipped |= lo < 0.0 || hi > 100.0;
        lo = fmax(lo, 0.0);
        hi = fmin(hi, 100.0);
    }
    dn_format_ci(ci->mean, lo, hi, measure_decimals[m], 0, out, size);
}

/* The widths of the paired and unpaired intervals, when both exist. */
static void pairing_buys(const results *r, char *out, size_t size)
{
    out[0] = '\0';
    if (!r->has_paired || !r->has_unpaired)
        return;
    const dn_comparison *p = &r->paired[M_TEST_ACC], *u = &r->unpaired[M_TEST_ACC];
    double wp = p->ci_high - p->ci_low, wu = u->ci_high - u->ci_low;
    if (!(wp > 0.0) || isnan(wu))
        return;
    if (wu > wp)
        snprintf(out, size, "the 95 %% interval of B - A in test accuracy is %.2f points wide "
                 "paired and %.2f unpaired (%.1f times wider without pairing), from the same "
                 "number of trainings.", wp, wu, wu / wp);
    else
        snprintf(out, size, "the 95 %% interval of B - A in test accuracy is %.2f points wide "
                 "paired and %.2f unpaired: pairing did not narrow it on these seeds.", wp, wu);
}

void compare_print(const compare_report *c)
{
    const results *r = c->r;
    printf("\n%-19s %-26s %-26s %-27s %-9s %s\n", "final", "A mean [95% CI]", "B mean [95% CI]",
           r->asked_paired ? "B - A paired [95% CI]" : "B - A unpaired [95% CI]",
           r->asked_paired ? "t-test p" : "Welch p",
           r->asked_paired ? "signed-rank p" : "rank-sum p");
    int clipped = 0;
    for (int m = 0; m < N_MEASURES; m++) {
        const dn_comparison *v = compare_view(r, m);
        char a[80], b[80], d[80], p1[32], p2[32];
        side_ci(&r->a[m], m, a, sizeof a, &clipped);
        side_ci(&r->b[m], m, b, sizeof b, &clipped);
        dn_format_ci(v->diff, v->ci_low, v->ci_high, measure_decimals[m], 1, d, sizeof d);
        dn_format_p(v->p_t, p1, sizeof p1);
        dn_format_p(v->p_wilcoxon, p2, sizeof p2);
        printf("%-19s %-26s %-26s %-27s %-9s %s\n", measure_name[m], a, b, d, p1, p2);
    }
    if (clipped)
        printf("(intervals of accuracies clipped to 0-100 %%: a t interval does not know the "
               "range)\n");
    char text[1600];
    dn_comparison_verdict(compare_view(r, M_TEST_ACC), "A", "B", "test accuracy", "points", 2,
                          text, sizeof text);
    printf("\n%s\n", text);
    also_different(r, text, sizeof text);
    if (text[0])
        printf("B - A also excludes 0 in: %s (each measure tested on its own).\n", text);
    spread_line(r, text, sizeof text);
    if (text[0])
        printf("%s\n", text);
    dn_comparison_power(compare_view(r, M_TEST_ACC), "points", 2, text, sizeof text);
    if (text[0])
        printf("%s\n", text);
    pairing_buys(r, text, sizeof text);
    if (text[0])
        printf("Pairing: %s\n", text);
}

static void md_row(strbuf *md, int m, const dn_interval *a, const dn_interval *b,
                   const dn_comparison *v, int *clipped)
{
    char sa[80], sb[80], sd[80], s1[32], s2[32];
    side_ci(a, m, sa, sizeof sa, clipped);
    side_ci(b, m, sb, sizeof sb, clipped);
    dn_format_ci(v->diff, v->ci_low, v->ci_high, measure_decimals[m], 1, sd, sizeof sd);
    dn_format_p(v->p_t, s1, sizeof s1);
    dn_format_p(v->p_wilcoxon, s2, sizeof s2);
    sb_printf(md, "| %s | %s | %s | %s | %s | %s |\n", measure_name[m], sa, sb, sd, s1, s2);
}

void compare_md_table(strbuf *md, const results *r, const side *B, int paired, int *clipped)
{
    sb_printf(md, "| measure | A | B%s | B - A (%s) | %s p | %s p |\n|---|---|---|---|---|---|\n",
              paired ? "" : " (unpaired seeds)", paired ? "paired" : "unpaired",
              paired ? "paired t-test" : "Welch t-test",
              paired ? "signed-rank" : "rank-sum");
    for (int m = 0; m < N_MEASURES; m++) {
        dn_interval b;
        dn_mean_interval(B->final[m], B->n, 0.95, &b, NULL);
        md_row(md, m, &r->a[m], &b, paired ? &r->paired[m] : &r->unpaired[m], clipped);
    }
    sb_printf(md, "\n");
}

static int write_report(const compare_report *c)
{
    const compare_opts *o = c->o;
    const results *r = c->r;
    const side *A = c->A;
    strbuf md = {0};
    sb_printf(&md, "# Does B differ from A?\n\n");
    sb_printf(&md, "- **A**: `%s` (%s)\n", o->a, c->label_a);
    sb_printf(&md, "- **B**: `%s` (%s)\n", o->b, c->label_b);
    sb_printf(&md, "- **Both**: %s | %d epoch%s\n", c->common, A->epochs,
              A->epochs == 1 ? "" : "s");
    sb_printf(&md, "- **Seeds**: %llu to %llu (%ld per configuration), %s\n", o->x.seed,
              o->x.seed + (unsigned long long)(o->x.seeds - 1), o->x.seeds,
              r->asked_paired ? "paired: A and B share each seed"
                              : "unpaired: B on seeds + 2^32, shared with no run of A");
    report_runs(&md, c->argc, c->argv, "dropnet compare", c->x);
    char text[1600];
    dn_comparison_verdict(compare_view(r, M_TEST_ACC), "A", "B", "test accuracy", "points", 2,
                          text, sizeof text);
    sb_printf(&md, "## Answer\n\n**%s**\n\n", text);
    spread_line(r, text, sizeof text);
    if (text[0])
        sb_printf(&md, "%s ", text);
    dn_comparison_power(compare_view(r, M_TEST_ACC), "points", 2, text, sizeof text);
    sb_printf(&md, "%s\n\n", text);
    also_different(r, text, sizeof text);
    if (text[0])
        sb_printf(&md, "The interval of B - A also excludes 0 in: %s (each measure tested on "
                  "its own, without correction for multiple comparisons).\n\n", text);
    /* another noise than dropout on either side: the same uniforms, but not
     * nested masks */
    int noise = A->n > 0 && c->Bp && c->Bp->n > 0 &&
                (dn_mlp_has_noise(&A->runs[0].cfg.arch) ||
                 dn_mlp_has_noise(&c->Bp->runs[0].cfg.arch));
    if (r->asked_paired && noise)
        sb_printf(&md, "With one seed, A and B start from the same weights (where shapes match), "
                  "see the training data in the same order and draw their noise from the same "
                  "uniforms at each site (a dropout mask, Gaussian or uniform multipliers, "
                  "DropConnect's weight mask: each kind from the site's stream). The difference "
                  "of a pair therefore measures the configuration, not the luck of the seed "
                  "(initial weights, data order and noise).\n\n");
    else if (r->asked_paired)
        sb_printf(&md, "With one seed, A and B start from the same weights (where shapes match), "
                  "see the training data in the same order and draw their dropout masks from the "
                  "same uniforms (what A drops at a lower rate, B drops too at a higher one). "
                  "The difference of a pair therefore measures the configuration, not the luck "
                  "of the seed (initial weights, data order and dropout masks).\n\n");
    sb_printf(&md, "## Final epoch, over %d seeds\n\n", A->n);
    sb_printf(&md, "Means with 95 %% confidence intervals (Student t, %d degrees of freedom). "
              "Accuracies and the gap in percent / points; loss in nats.\n\n", A->n - 1);
    int clipped = 0;
    if (r->has_paired)
        compare_md_table(&md, r, c->Bp, 1, &clipped);
    if (r->has_unpaired) {
        if (r->has_paired)
            sb_printf(&md, "B trained on other seeds (unpaired):\n\n");
        compare_md_table(&md, r, c->Bu, 0, &clipped);
    }
    if (clipped)
        sb_printf(&md, "Intervals of accuracies are clipped to 0-100 %%: a t interval does not "
                  "know that range.\n\n");
    pairing_buys(r, text, sizeof text);
    if (text[0])
        sb_printf(&md, "**What pairing buys**: %s\n\n", text);
    if (c->figures && !c->fig_note[0]) {
        sb_printf(&md, "## Figures\n\n![Mean curves of A and B with 95 %% bands](curves.png)\n\n"
                  "Per epoch: the mean over the seeds and its 95 %% interval (shaded%s). "
                  "Training accuracy is measured with dropout on, as d2l reports it; the gap is "
                  "training minus test accuracy.\n\n",
                  c->fig_clipped ? ", clipped to 0-100 % for accuracies" : "");
        if (c->Bp)
            sb_printf(&md, "![Final test accuracy of A and B per seed](paired.png)\n\n"
                      "Left: each line joins A and B trained with one seed (blue: B higher, "
                      "vermillion: B lower). Right: B - A per seed, their mean (line) and its "
                      "95 %% interval (shaded); the dashed line is 0.\n\n");
    } else if (c->figures) {
        sb_printf(&md, "No figures: %s\n\n", c->fig_note);
    }
    sb_printf(&md, "## Per seed (final epoch)\n\n| seed | A test acc | B test acc | B - A |");
    if (c->Bp && c->Bu)
        sb_printf(&md, " B unpaired test acc |");
    sb_printf(&md, "\n|---|---|---|---|%s\n", c->Bp && c->Bu ? "---|" : "");
    const side *B = c->Bp ? c->Bp : c->Bu;
    for (int i = 0; i < A->n; i++) {
        double a = A->final[M_TEST_ACC][i], b = B->final[M_TEST_ACC][i];
        sb_printf(&md, "| %llu | %.2f | %.2f | %+.2f |", A->seed[i], a, b, b - a);
        if (c->Bp && c->Bu)
            sb_printf(&md, " %.2f |", c->Bu->final[M_TEST_ACC][i]);
        sb_printf(&md, "\n");
    }
    sb_printf(&md, "\n## Method\n\n"
              "- Each training is `dropnet train` with the options above and its seed; its run "
              "directory is under `runs/` (`config.json`, `metrics.csv`, `steps.csv`, "
              "`model.safetensors`, `train.log`). The figures and this report are computed from "
              "those files alone.\n");
    report_method(&md);
    sb_printf(&md, "- Caveats: the four measures are tested separately, without correction for "
              "multiple comparisons (the verdict uses test accuracy only). The seeds vary "
              "initialisation, data order and dropout masks; they do not vary the data set "
              "itself, so the intervals say how sure we are about this test set, not about new "
              "data. With n pairs the signed-rank test cannot give a two-sided p below "
              "2^(1 - n) (here %.2g).\n", ldexp(1.0, 1 - A->n));
    return report_save(&md, c->x->dir, "report.md");
}

/* compare.csv: one row per training, the final epoch's values. */
static int write_csv(const compare_report *c)
{
    strbuf s = {0};
    sb_printf(&s, "config,seed,train_seed,test_acc,test_loss,train_acc,gap,run\n");
    const side *sides[3] = {c->A, c->Bp, c->Bu};
    for (int k = 0; k < 3; k++) {
        const side *d = sides[k];
        if (!d)
            continue;
        for (int i = 0; i < d->n; i++) {
            const dn_metrics *m = &d->runs[i].metrics;
            size_t last = m->n - 1;
            char run[100];
            snprintf(run, sizeof run, "runs/%s-seed%llu", side_csv_name[k], d->seed[i]);
            sb_csv_field(&s, side_csv_name[k]);
            sb_printf(&s, ",%llu,%llu,%.17g,%.17g,%.17g,%.17g,", d->seed[i],
                      (unsigned long long)d->runs[i].cfg.fit.seed,
                      m->col[DN_METRIC_TEST_ACC][last], m->col[DN_METRIC_TEST_LOSS][last],
                      m->col[DN_METRIC_TRAIN_ACC][last], m->col[DN_METRIC_GAP][last]);
            sb_csv_field(&s, run);
            sb_printf(&s, "\n");
        }
    }
    return report_save(&s, c->x->dir, "compare.csv");
}

int compare_write(const compare_report *c)
{
    int rc = write_csv(c);
    return rc ? rc : write_report(c);
}
