/* Presets and config.json (src/train/config.c). */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(config, presets)
{
    dn_config c;
    cr_assert_eq(dn_preset("d2l-2020", &c, NULL), DN_OK);
    cr_assert_eq(c.arch.n_hidden, 2);
    cr_assert_eq(c.arch.hidden[0], 256);
    cr_assert_eq(c.arch.dropout[0], 0.2f);
    cr_assert_eq(c.arch.dropout[1], 0.5f);
    cr_assert_eq(c.fit.lr, 0.5f);
    cr_assert_eq(c.fit.batch_size, 256);
    cr_assert_eq(c.fit.epochs, 10);
    cr_assert_eq(c.init.kind, DN_INIT_NORMAL);
    cr_assert_eq(c.init.sigma, 0.01f);
    cr_assert_eq(dn_preset("d2l", &c, NULL), DN_OK);
    cr_assert_eq(c.arch.dropout[0], 0.5f);
    cr_assert_eq(c.fit.lr, 0.1f);
    cr_assert_eq(c.init.kind, DN_INIT_PYTORCH);
    dn_err err = {0};
    cr_assert_eq(dn_preset("d2l-2021", &c, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "d2l-2021"), "%s", err.msg);
}

Test(config, json_round_trip)
{
    dn_config a, b;
    dn_preset("d2l-2020", &a, NULL);
    a.arch.n_hidden = 3;
    a.arch.hidden[2] = 17;
    a.arch.dropout[2] = 0.3f;
    a.arch.input_dropout = 0.1f;
    a.fit.weight_decay = 1e-4f;
    a.fit.seed = DN_MAX_SEED;
    a.fit.epochs = 7;
    char *json = dn_config_json(&a, "/data/x", NULL);
    cr_assert(json);
    cr_assert(strstr(json, "\"dropout\":\t[0.2, 0.5, 0.3]"), "%s", json);
    char dir[64];
    dn_err err = {0};
    cr_assert_eq(dn_config_parse(json, "config.json", &b, dir, sizeof dir, &err), DN_OK, "%s",
                 err.msg);
    free(json);
    cr_assert_str_eq(b.preset, "d2l-2020");
    cr_assert_eq(b.arch.n_hidden, 3);
    cr_assert_eq(b.arch.hidden[2], 17);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(b.arch.dropout[i], a.arch.dropout[i]);
    cr_assert_eq(b.arch.input_dropout, 0.1f);
    cr_assert_eq(b.fit.lr, 0.5f);
    cr_assert_eq(b.fit.weight_decay, 1e-4f);
    cr_assert_eq(b.fit.seed, DN_MAX_SEED);
    cr_assert_eq(b.fit.epochs, 7);
    cr_assert_eq(b.init.kind, DN_INIT_NORMAL);
    cr_assert_eq(b.init.sigma, 0.01f);
    cr_assert_str_eq(dir, "/data/x");
}

Test(config, parse_errors_name_the_field)
{
    dn_config c;
    dn_err err = {0};
    cr_assert_eq(dn_config_parse("{\"inputs\": 784,", "run/config.json", &c, NULL, 0, &err),
                 DN_EFORMAT);
    cr_assert(strstr(err.msg, "run/config.json: not valid JSON"), "%s", err.msg);
    cr_assert_eq(dn_config_parse("[]", "c", &c, NULL, 0, &err), DN_EFORMAT);
    cr_assert_eq(dn_config_parse("{\"inputs\": 784}", "c", &c, NULL, 0, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, "\"outputs\""), "%s", err.msg);
    const char *bad_p = "{\"inputs\":784,\"outputs\":10,\"hidden\":[256],\"dropout\":[1.5]}";
    cr_assert_eq(dn_config_parse(bad_p, "c", &c, NULL, 0, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, "hidden layer 1"), "%s", err.msg);
    const char *uneven = "{\"inputs\":784,\"outputs\":10,\"hidden\":[256,256],\"dropout\":[0.5]}";
    cr_assert_eq(dn_config_parse(uneven, "c", &c, NULL, 0, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, "equal length"), "%s", err.msg);
}

Test(config, init_parse_and_format)
{
    dn_init i;
    char buf[32];
    cr_assert_eq(dn_init_parse("normal:0.01", &i, NULL), DN_OK);
    cr_assert_eq(i.kind, DN_INIT_NORMAL);
    cr_assert_eq(i.sigma, 0.01f);
    dn_init_format(i, buf, sizeof buf);
    cr_assert_str_eq(buf, "normal:0.01");
    cr_assert_eq(dn_init_parse("pytorch", &i, NULL), DN_OK);
    cr_assert_eq(i.kind, DN_INIT_PYTORCH);
    const char *bad[] = {"normal", "normal:", "normal:0", "normal:nan", "normal:1x", "xavier"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        cr_assert_eq(dn_init_parse(bad[k], &i, NULL), DN_EINVAL, "%s", bad[k]);
}

/* A sigma with more than six significant digits survives config.json: the
 * text holds the shortest decimal that reads back as the same float (it
 * was "%g" once, and a run read back from its config.json had another
 * sigma). Found by the config fuzz target's round-trip check. */
Test(config, init_sigma_round_trip)
{
    dn_config a, b;
    dn_preset("d2l-2020", &a, NULL);
    cr_assert_eq(dn_init_parse("normal:0.0123456789", &a.init, NULL), DN_OK);
    char text[64];
    dn_init_format(a.init, text, sizeof text);
    dn_init back;
    cr_assert_eq(dn_init_parse(text, &back, NULL), DN_OK, "%s", text);
    cr_assert_eq(back.sigma, a.init.sigma, "%s reads back as %.9g, not %.9g", text,
                 (double)back.sigma, (double)a.init.sigma);
    dn_init_format((dn_init){DN_INIT_NORMAL, 0.01f}, text, sizeof text);
    cr_assert_str_eq(text, "normal:0.01");
    dn_err err = {0};
    char *json = dn_config_json(&a, NULL, &err);
    cr_assert_not_null(json, "%s", err.msg);
    cr_assert_eq(dn_config_parse(json, "config.json", &b, NULL, 0, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(b.init.sigma, a.init.sigma);
    cr_assert_null(dn_config_differs(&a, &b));
    free(json);
}

/* The sigma kept is a float: one that rounds to 0 or to 1e6 is refused, as
 * its text in config.json would be (found by the config fuzz target:
 * normal:1.3e-91 was accepted as a zero sigma that config.json could not
 * hold). */
Test(config, init_sigma_range_is_the_floats)
{
    dn_init init;
    dn_err err = {0};
    cr_assert_eq(dn_init_parse("normal:1e-50", &init, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "normal:1e-50"), "%s", err.msg);
    cr_assert_eq(dn_init_parse("normal:999999.99", &init, &err), DN_EINVAL);
    cr_assert_eq(dn_init_parse("normal:1e-40", &init, &err), DN_OK, "a subnormal float is > 0");
    cr_assert_gt(init.sigma, 0.0f);
}

/* Every learning rate --lr takes reads back from config.json, so a run
 * started with it can be resumed (found by the option fuzz target:
 * --lr 1e-31 was accepted, and config.json then refused it). */
Test(config, tiny_learning_rate_reads_back)
{
    dn_config a, b;
    dn_preset(NULL, &a, NULL);
    a.fit.lr = 1e-31f;
    dn_err err = {0};
    char *json = dn_config_json(&a, NULL, &err);
    cr_assert_not_null(json);
    cr_assert_eq(dn_config_parse(json, "config.json", &b, NULL, 0, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(b.fit.lr, a.fit.lr);
    free(json);
    /* A zero (or one that is zero as a float) is still refused. */
    cr_assert_eq(dn_config_parse("{\"inputs\":4,\"outputs\":2,\"hidden\":[],\"dropout\":[],"
                                 "\"input_dropout\":0,\"init\":\"pytorch\",\"lr\":1e-50,"
                                 "\"batch_size\":1,\"epochs\":1,\"weight_decay\":0,\"seed\":0}",
                                 "c", &b, NULL, 0, &err),
                 DN_EFORMAT);
    cr_assert(strstr(err.msg, "\"lr\" must be a positive number"), "%s", err.msg);
}
