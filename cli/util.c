#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *error_context;

void cli_error_context(const char *context) { error_context = context; }

void cli_error(const char *fmt, ...)
{
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dn_message_fit(msg, 1024); /* a path as long as PATH_MAX leaves the reason whole */
    /* One line, whatever an option's value or a file held. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    if (error_context)
        fprintf(stderr, "dropnet: %s: %s\n", error_context, msg);
    else
        fprintf(stderr, "dropnet: %s\n", msg);
}

int cli_set_threads(int n)
{
    int cores = dn_set_threads(0);
    if (n > cores)
        cli_error("warning: --threads %d is more than the %d core%s here: the extra threads only "
                  "wait for each other (results are the same bits whatever the count)", n, cores,
                  cores == 1 ? "" : "s");
    return dn_set_threads(n);
}

int cli_fail(const dn_err *err)
{
    cli_error("%s", err->msg);
    switch (err->code) {
    case DN_EINVAL:
    case DN_EIO:
    case DN_EFORMAT: return EXIT_USAGE;
    case DN_ESTOPPED: return EXIT_INTERRUPTED;
    default: return EXIT_RUNTIME;
    }
}

int cli_gemm(const char *opt)
{
    const char *name = opt, *from = "--gemm";
    if (!name) {
        name = getenv("DN_GEMM");
        from = "DN_GEMM";
        if (name && !*name)
            name = NULL;
    }
    dn_err err = {0};
    if (!dn_gemm_use(name, &err))
        return 0;
    if (!name)
        return cli_fail(&err);
    cli_error("%s: %s", from, err.msg);
    return err.code == DN_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
    const char *arg = argv[optind - 1];
    if (c == ':')
        cli_error("%s%soption '%s' needs a value", cmd, *cmd ? ": " : "", arg);
    else
        cli_error("%s%sunknown option '%s' (try dropnet %s --help)", cmd, *cmd ? ": " : "", arg,
                  *cmd ? cmd : "train");
    return EXIT_USAGE;
}

const char *cli_option_value(const char *cmd, int argc, char **argv, int *i)
{
    const char *eq = strchr(argv[*i], '=');
    if (eq)
        return eq + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    cli_error("%s: option '%s' needs a value", cmd, argv[*i]);
    return NULL;
}

int cli_no_operands(const char *cmd, int argc, char **argv)
{
    if (optind >= argc)
        return 0;
    cli_error("%s%sunexpected argument '%s'", cmd, *cmd ? ": " : "", argv[optind]);
    return EXIT_USAGE;
}

int parse_int(const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE) {
        cli_error("%s: '%s' is not an integer", opt, text);
        return EXIT_USAGE;
    }
    if (v < lo || v > hi) {
        cli_error("%s: %ld is outside [%ld, %ld]", opt, v, lo, hi);
        return EXIT_USAGE;
    }
    *out = v;
    return 0;
}

int parse_u64(const char *opt, const char *text, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (text[0] == '-' || text[0] == '\0') {
        cli_error("%s: '%s' is not a non-negative integer", opt, text);
        return EXIT_USAGE;
    }
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE) {
        cli_error("%s: '%s' is not a non-negative integer below 2^64", opt, text);
        return EXIT_USAGE;
    }
    *out = v;
    return 0;
}

int parse_float(const char *opt, const char *text, double lo, double hi, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(v)) {
        cli_error("%s: '%s' is not a finite number", opt, text);
        return EXIT_USAGE;
    }
    if (v < lo || v > hi || !isfinite((float)v)) {
        cli_error("%s: %s is outside [%g, %g]", opt, text, lo, hi);
        return EXIT_USAGE;
    }
    *out = (float)v;
    return 0;
}

static int split(const char *opt, const char *text, int max, char items[][64])
{
    int n = 0;
    const char *p = text;
    if (*p == '\0') {
        cli_error("%s: empty list", opt);
        return -1;
    }
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (n == max) {
            cli_error("%s: more than %d values", opt, max);
            return -1;
        }
        if (len == 0 || len >= 64) {
            cli_error("%s: '%s' has an empty or overlong item", opt, text);
            return -1;
        }
        memcpy(items[n], p, len);
        items[n][len] = '\0';
        n++;
        if (!comma)
            return n;
        p = comma + 1;
    }
}

int parse_int_list(const char *opt, const char *text, long lo, long hi, int *out, int max)
{
    char items[64][64];
    int n = split(opt, text, max < 64 ? max : 64, items);
    for (int i = 0; i < n; i++) {
        long v;
        if (parse_int(opt, items[i], lo, hi, &v))
            return -1;
        out[i] = (int)v;
    }
    return n;
}

int parse_float_list(const char *opt, const char *text, double lo, double hi, float *out,
                     int max)
{
    char items[64][64];
    int n = split(opt, text, max < 64 ? max : 64, items);
    for (int i = 0; i < n; i++)
        if (parse_float(opt, items[i], lo, hi, &out[i]))
            return -1;
    return n;
}

int option_once(option_seen *s, const char *cmd, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0) {
            cli_error("%s: --%s is given twice", cmd, name);
            return EXIT_USAGE;
        }
    if (s->n < 64)
        snprintf(s->names[s->n++], sizeof s->names[0], "%s", name);
    return 0;
}

int cli_print_json(cJSON *json, const char *cmd)
{
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(json);
    if (!text) {
        cli_error("%s: out of memory", cmd);
        return EXIT_RUNTIME;
    }
    printf("%s\n", text);
    free(text);
    return 0;
}

void cli_json_number(cJSON *obj, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(obj, key, v);
    else
        cJSON_AddNullToObject(obj, key);
}
