/* Train options into a configuration and back (cli/train_options.c): what
 * compare and sweep hand to each training must define exactly the run they
 * parsed. */
#include "train_options.h"

#include <criterion/criterion.h>
#include <string.h>

static int parse(train_options *o, const char *const *words, int n)
{
    char *argv[64];
    argv[0] = "train";
    for (int i = 0; i < n; i++)
        argv[i + 1] = (char *)words[i];
    argv[n + 1] = NULL;
    return train_options_parse(n + 1, argv, o);
}

/* render(parse(words)) parses back to the same configuration. */
static void round_trip(const char *const *words, int n)
{
    train_options a, b;
    cr_assert_eq(parse(&a, words, n), 0);
    char buf[8192];
    char *argv[64];
    int k = train_options_render(&a.cfg, "/data/fmnist", buf, sizeof buf, argv + 1, 62);
    cr_assert_gt(k, 0);
    argv[0] = "train";
    argv[k + 1] = NULL;
    cr_assert_eq(train_options_parse(k + 1, argv, &b), 0);
    cr_assert_null(dn_config_differs(&a.cfg, &b.cfg), "differs in %s",
                   dn_config_differs(&a.cfg, &b.cfg));
    cr_assert_str_eq(a.cfg.preset, b.cfg.preset);
    cr_assert(!a.cfg.csv.train[0] ? strcmp(b.data_opt, "/data/fmnist") == 0 : !b.data_opt);
}

#define ROUND_TRIP(...)                                                                   \
    round_trip((const char *[]){__VA_ARGS__},                                             \
               (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))

Test(train_options, render_parses_back_to_the_same_run)
{
    round_trip(NULL, 0);
    ROUND_TRIP("--preset", "d2l");
    ROUND_TRIP("--dropout", "0.5,0.2", "--seed", "9007199254740991");
    ROUND_TRIP("--hidden", "100,7,3", "--dropout", "0.1,0.3333333,0.9", "--input-dropout",
               "0.05", "--lr", "0.123456789", "--batch-size", "17", "--epochs", "3",
               "--weight-decay", "0.0001", "--init", "normal:0.0123456");
    ROUND_TRIP("--hidden", "none", "--dropout", "none", "--init", "pytorch");
    ROUND_TRIP("--train", "/x/train.csv", "--test", "/x/test.csv", "--scale", "255");
    ROUND_TRIP("--train", "/x/train.csv", "--test", "/x/test.csv", "--standardize");
}

Test(train_options, given_and_arity)
{
    train_options o;
    cr_assert_eq(parse(&o, (const char *[]){"--seed", "3", "--quiet", "--lr=0.1"}, 4), 0);
    cr_assert(train_options_given(&o, "seed"));
    cr_assert(train_options_given(&o, "quiet"));
    cr_assert(train_options_given(&o, "lr"));
    cr_assert(!train_options_given(&o, "dropout"));
    cr_assert_eq(o.cfg.fit.seed, 3);
    cr_assert_eq(train_option_arity("--dropout"), 1);
    cr_assert_eq(train_option_arity("--dropout=0.1,0.2"), 1);
    cr_assert_eq(train_option_arity("--quiet"), 0);
    cr_assert_eq(train_option_arity("--dropuot"), -1);
    cr_assert_eq(train_option_arity("dropout"), -1);
    cr_assert_eq(train_option_arity("--help"), -1);
}

Test(train_options, a_second_parse_starts_afresh)
{
    train_options o;
    /* an error in the middle of one parse leaves nothing behind */
    cr_assert_eq(parse(&o, (const char *[]){"--lr", "x", "--epochs", "2"}, 4), EXIT_USAGE);
    cr_assert_eq(parse(&o, (const char *[]){"--epochs", "2"}, 2), 0);
    cr_assert_eq(o.cfg.fit.epochs, 2);
    cr_assert_eq(o.cfg.fit.lr, 0.5f);
}
