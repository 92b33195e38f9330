/* dropnet stats: the analysis compare prints, for numbers from anywhere (a
 * CSV file with a header row and one row per seed). */
#include "cli.h"
#include "csv_table.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dropnet stats FILE.csv [--a NAME --b NAME] [--unpaired] [--margin D]\n"
            "                     [--detect D] [--json]\n"
            "\n"
            "Compares two columns of FILE.csv (a header row, then one row per seed) as\n"
            "dropnet compare compares two configurations: means and sds, B - A with its\n"
            "95 %% interval (paired t; Welch with --unpaired), the t-test and Wilcoxon\n"
            "p-values (signed-rank when paired, rank-sum when not; exact with ties up to 50\n"
            "values), the sd of the differences and dz = mean / sd (paired), the seeds\n"
            "needed for 80 %% power, and a verdict. Numbers are in the file's own units.\n"
            "\n"
            "  --a NAME, --b NAME  the columns A and B (default: the last two columns)\n"
            "  --unpaired          the columns are independent samples, not pairs per row;\n"
            "                      empty fields are missing values\n"
            "  --margin D          also test equivalence within +-D (two one-sided tests)\n"
            "  --detect D          seeds needed to detect a difference of D (default: the\n"
            "                      observed difference)\n"
            "  --json              one JSON object instead of text; values that do not exist\n"
            "                      are null\n"
            "  -h, --help          this help\n");
}

typedef struct {
    const char *file, *a, *b;
    bool unpaired, json;
    double margin, detect;
} stats_opts;

static int parse_double(const char *opt, const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (!text[0] || *end || !isfinite(v) || !(v > 0.0)) {
        cli_error("%s: '%s' is not a positive number", opt, text);
        return EXIT_USAGE;
    }
    *out = v;
    return 0;
}

/* 0, EXIT_USAGE, or -1 when help was printed. */
static int parse_args(int argc, char **argv, stats_opts *o)
{
    memset(o, 0, sizeof *o);
    bool seen_margin = false, seen_detect = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return -1;
        }
        if (strcmp(arg, "--unpaired") == 0 || strcmp(arg, "--json") == 0) {
            bool *flag = arg[2] == 'u' ? &o->unpaired : &o->json;
            if (*flag) {
                cli_error("stats: %s is given twice", arg);
                return EXIT_USAGE;
            }
            *flag = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
            if (o->file) {
                cli_error("stats: one file at a time ('%s' and '%s')", o->file, arg);
                return EXIT_USAGE;
            }
            o->file = arg;
            continue;
        }
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
        const char **str = strcmp(name, "a") == 0 ? &o->a : strcmp(name, "b") == 0 ? &o->b : NULL;
        bool *seen = strcmp(name, "margin") == 0 ? &seen_margin
                     : strcmp(name, "detect") == 0 ? &seen_detect : NULL;
        if (!str && !seen) {
            cli_error("stats: unknown option '%s' (try dropnet stats --help)", arg);
            return EXIT_USAGE;
        }
        if ((str && *str) || (seen && *seen)) {
            cli_error("stats: --%s is given twice", name);
            return EXIT_USAGE;
        }
        const char *value = cli_option_value("stats", argc, argv, &i);
        if (!value)
            return EXIT_USAGE;
        if (str) {
            *str = value;
        } else {
            *seen = true;
            if (parse_double(arg[2] == 'm' ? "--margin" : "--detect", value,
                             arg[2] == 'm' ? &o->margin : &o->detect))
                return EXIT_USAGE;
        }
    }
    if (!o->file) {
        cli_error("stats: no file: dropnet stats FILE.csv (a header row, one row per seed)");
        return EXIT_USAGE;
    }
    return 0;
}

/* The decimals the file writes its numbers with (2 to 6). */
static int decimals_of(const char *text, int dec)
{
    const char *dot = strchr(text, '.');
    if (dot && !strpbrk(text, "eE")) {
        int d = (int)strspn(dot + 1, "0123456789");
        if (d > dec)
            dec = d;
    }
    return dec > 6 ? 6 : dec;
}

typedef struct {
    double *a, *b;
    int na, nb;
    int decimals;
} samples;

static int number(const csv_table *t, int row, int col, const char *path, double *v)
{
    const char *s = t->cell[(size_t)row * (size_t)t->cols + (size_t)col];
    char *end;
    *v = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (end == s || *end || !isfinite(*v)) {
        cli_error("%s:%d: column '%s': '%s' is not a number", path, t->line[row],
                  t->header[col], s);
        return EXIT_USAGE;
    }
    return 0;
}

static int is_empty(const char *s)
{
    return s[strspn(s, " ")] == '\0';
}

static int gather(const csv_table *t, const stats_opts *o, int ca, int cb, samples *s)
{
    memset(s, 0, sizeof *s);
    s->decimals = 2;
    s->a = malloc(((size_t)t->rows + 1) * sizeof(double));
    s->b = malloc(((size_t)t->rows + 1) * sizeof(double));
    if (!s->a || !s->b) {
        cli_error("stats: out of memory");
        return EXIT_RUNTIME;
    }
    for (int r = 0; r < t->rows; r++) {
        const char *ta = t->cell[(size_t)r * (size_t)t->cols + (size_t)ca];
        const char *tb = t->cell[(size_t)r * (size_t)t->cols + (size_t)cb];
        int ea = is_empty(ta), eb = is_empty(tb);
        if (!o->unpaired && ea != eb) {
            cli_error("%s:%d: '%s' has a value and '%s' has none: pairs need both (or "
                      "--unpaired)", o->file, t->line[r], t->header[ea ? cb : ca],
                      t->header[ea ? ca : cb]);
            return EXIT_USAGE;
        }
        if (!ea) {
            if (number(t, r, ca, o->file, &s->a[s->na]))
                return EXIT_USAGE;
            s->na++;
            s->decimals = decimals_of(ta, s->decimals);
        }
        if (!eb) {
            if (number(t, r, cb, o->file, &s->b[s->nb]))
                return EXIT_USAGE;
            s->nb++;
            s->decimals = decimals_of(tb, s->decimals);
        }
    }
    if (s->na == 0 || s->nb == 0) {
        cli_error("%s: column '%s' has no values", o->file, t->header[s->na ? cb : ca]);
        return EXIT_USAGE;
    }
    return 0;
}

static int print_json(const stats_opts *o, const char *name_a, const char *name_b,
                      const dn_comparison *c, const char *verdict, const char *power)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return cli_print_json(NULL, "stats");
    cJSON_AddStringToObject(j, "file", o->file);
    cJSON_AddStringToObject(j, "a", name_a);
    cJSON_AddStringToObject(j, "b", name_b);
    cJSON_AddBoolToObject(j, "paired", c->paired);
    cJSON_AddNumberToObject(j, "n", c->n);
    if (!c->paired) {
        cJSON_AddNumberToObject(j, "n_a", c->n_a);
        cJSON_AddNumberToObject(j, "n_b", c->n_b);
    }
    cli_json_number(j, "mean_a", c->mean_a);
    cli_json_number(j, "mean_b", c->mean_b);
    cli_json_number(j, "sd_a", c->sd_a);
    cli_json_number(j, "sd_b", c->sd_b);
    cli_json_number(j, "diff", c->diff);
    cli_json_number(j, "ci_low", c->ci_low);
    cli_json_number(j, "ci_high", c->ci_high);
    cli_json_number(j, "p_t", c->p_t);
    cli_json_number(j, "p_wilcoxon", c->p_wilcoxon);
    cJSON_AddBoolToObject(j, "wilcoxon_exact", c->wilcoxon_exact);
    cli_json_number(j, "sd_diff", c->paired ? c->sd_diff : NAN);
    cli_json_number(j, "dz", c->paired ? c->dz : NAN);
    cli_json_number(j, "detect", c->seeds_needed ? c->detect : NAN);
    cli_json_number(j, "seeds_needed", c->seeds_needed > 0 ? (double)c->seeds_needed : NAN);
    if (c->has_tost) {
        cli_json_number(j, "margin", c->tost.margin);
        cli_json_number(j, "p_tost", c->tost.p);
        cJSON_AddBoolToObject(j, "equivalent", c->tost.equivalent);
    }
    static const char *const kinds[] = {"too few seeds", "different", "equivalent",
                                        "no difference shown", "identical"};
    cJSON_AddStringToObject(j, "verdict_kind", kinds[c->verdict]);
    cJSON_AddStringToObject(j, "verdict", verdict);
    cJSON_AddStringToObject(j, "power", power);
    return cli_print_json(j, "stats");
}

static void print_text(const stats_opts *o, const char *name_a, const char *name_b,
                       const dn_comparison *c, int dec, const char *verdict, const char *power)
{
    printf("# dropnet stats %s | A: %s | B: %s | %s\n", o->file, name_a, name_b,
           c->paired ? "paired by row" : "unpaired");
    printf("%-4s %6s %12s %12s\n", "", "n", "mean", "sd");
    printf("%-4s %6d %12.*f %12.*f\n", "A", c->n_a, dec, c->mean_a, dec + 1, c->sd_a);
    printf("%-4s %6d %12.*f %12.*f\n", "B", c->n_b, dec, c->mean_b, dec + 1, c->sd_b);
    char ci[160], pt[32], pw[32];
    dn_format_ci(c->diff, c->ci_low, c->ci_high, dec, 1, ci, sizeof ci);
    dn_format_p(c->p_t, pt, sizeof pt);
    dn_format_p(c->p_wilcoxon, pw, sizeof pw);
    printf("B - A %s: %s | %s p %s | %s p %s (%s)\n", c->paired ? "(paired)" : "(unpaired)", ci,
           c->paired ? "paired t-test" : "Welch t-test", pt,
           c->paired ? "signed-rank" : "rank-sum", pw,
           c->wilcoxon_exact ? "exact" : "normal approximation");
    if (c->paired && !isnan(c->dz))
        printf("sd of B - A %.*f, dz = mean / sd = %.2f\n", dec + 1, c->sd_diff, c->dz);
    if (c->has_tost) {
        char tp[32];
        dn_format_p(c->tost.p, tp, sizeof tp);
        printf("equivalence within +-%g (TOST): p %s\n", c->tost.margin, tp);
    }
    printf("\n%s\n", verdict);
    if (power[0])
        printf("%s\n", power);
}

int cmd_stats(int argc, char **argv)
{
    stats_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    csv_table t;
    if ((rc = csv_table_read(o.file, &t)))
        return rc;
    samples s = {0};
    int ca, cb;
    if (t.cols < 2 && !(o.a && o.b)) {
        cli_error("%s: %d column: two are compared (--a NAME --b NAME)", o.file, t.cols);
        rc = EXIT_USAGE;
        goto out;
    }
    ca = o.a ? csv_table_column(&t, o.a) : t.cols - 2;
    cb = o.b ? csv_table_column(&t, o.b) : t.cols - 1;
    if (ca < 0 || cb < 0) {
        cli_error("--%s: %s has no column '%s'", ca < 0 ? "a" : "b", o.file, ca < 0 ? o.a : o.b);
        rc = EXIT_USAGE;
        goto out;
    }
    if (ca == cb) {
        cli_error("stats: --a and --b name the same column '%s'", t.header[ca]);
        rc = EXIT_USAGE;
        goto out;
    }
    if ((rc = gather(&t, &o, ca, cb, &s)))
        goto out;
    dn_compare_opts co = {.paired = !o.unpaired, .margin = o.margin, .detect = o.detect};
    dn_comparison c;
    dn_err err = {0};
    if (dn_compare_samples(s.a, s.na, s.b, s.nb, &co, &c, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    char verdict[1200], power[600];
    dn_comparison_verdict(&c, t.header[ca], t.header[cb], "", "", s.decimals, verdict,
                          sizeof verdict);
    dn_comparison_power(&c, "", s.decimals, power, sizeof power);
    if (o.json)
        rc = print_json(&o, t.header[ca], t.header[cb], &c, verdict, power);
    else
        print_text(&o, t.header[ca], t.header[cb], &c, s.decimals, verdict, power);
out:
    free(s.a);
    free(s.b);
    csv_table_free(&t);
    return rc;
}
