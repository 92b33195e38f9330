/* config.json (src/train/config.c): the input is the text. What dn_config_parse
 * accepts is written again with dn_config_json and parsed again: the same
 * run (dn_config_differs finds nothing) and the same data directory. */
#include "fuzz_util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_cstr(data, size);
    dn_config cfg, cfg2;
    char dir[4096], dir2[4096];
    dn_err err = {0};
    if (dn_config_parse(json, "config.json", &cfg, dir, sizeof dir, &err) != DN_OK) {
        fuzz_one_line(&err);
        free(json);
        return 0;
    }
    char *again = dn_config_json(&cfg, dir[0] ? dir : NULL, &err);
    if (!again)
        fuzz_fail("dn_config_json: %s", err.msg);
    fuzz_check(dn_config_parse(again, "written", &cfg2, dir2, sizeof dir2, &err), &err,
               "parsing what dn_config_json wrote");
    const char *field = dn_config_differs(&cfg, &cfg2);
    if (field)
        fuzz_fail("\"%s\" changed in a round trip:\n%s\n--- became ---\n%s", field, json, again);
    if (strcmp(dir, dir2) != 0 || strcmp(cfg.preset, cfg2.preset) != 0 || cfg.threads != cfg2.threads)
        fuzz_fail("data directory, preset or threads changed in a round trip");
    /* The init as config.json writes it reads back as the same init. */
    char init[64];
    dn_init back;
    dn_init_format(cfg.init, init, sizeof init);
    fuzz_check(dn_init_parse(init, &back, &err), &err, "parsing what dn_init_format wrote");
    if (back.kind != cfg.init.kind || (back.kind == DN_INIT_NORMAL && back.sigma != cfg.init.sigma))
        fuzz_fail("init '%s' read back as another init", init);
    free(again);
    free(json);
    return 0;
}
