/* Figures of experiments (src/plot/experiment.c), checked by decoding
 * them: PNG sizes and pixels with libpng, SVG title and description with
 * libxml2. */
#include "helpers.h"
#include "plot/cells.h"
#include "png_check.h"

#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text of the SVG's <title> and <desc> (free() them). */
static void svg_words(const char *path, char **title, char **desc)
{
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    cr_assert(doc, "%s: not well-formed XML", path);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    cr_assert(root && strcmp((const char *)root->name, "svg") == 0);
    *title = *desc = NULL;
    for (xmlNodePtr n = root->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (!strcmp((const char *)n->name, "title") && !*title)
            *title = (char *)xmlNodeGetContent(n);
        if (!strcmp((const char *)n->name, "desc") && !*desc)
            *desc = (char *)xmlNodeGetContent(n);
    }
    xmlFreeDoc(doc);
    cr_assert(*title && *desc, "%s: no <title> or <desc>", path);
}

static double luminance(const unsigned char *c)
{
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

/* ------------------------------------------------------------ bands */

static double X[6] = {1, 2, 3, 4, 5, 6}, YA[6] = {70, 75, 78, 80, 81, 82},
              LA[6] = {68, 74, 77, 79, 80, 81}, HA[6] = {72, 76, 79, 81, 82, 83},
              YB[6] = {71, 76, NAN, 81, 82, 83};

Test(plot_bands, png_and_svg)
{
    dn_band a = {"A: dropout 0.2,0.5", 6, X, YA, LA, HA};
    dn_band b = {"B: dropout 0.5,0.2 & <more>", 6, X, YB, NULL, NULL};
    dn_band both[2] = {a, b};
    dn_band_panel p[3] = {{"test accuracy (%)", both, 2, false},
                          {"gap (points)", both, 2, true},
                          {"loss", both, 2, false}};
    dn_err err = {0};
    for (int np = 1; np <= 3; np++) {
        cr_assert_eq(dn_plot_bands(tmp_path("b.png"), p, np, "first line\nsecond line", "epoch",
                                   1.0, &err), DN_OK, "%s", err.msg);
        image im = png_decode(tmp_path("b.png"));
        cr_assert_eq(im.w, 640);
        cr_assert_eq(im.h, 480);
        /* A's band is drawn: pixels of its translucent blue exist. */
        size_t tinted = 0;
        for (size_t i = 0; i < (size_t)im.w * im.h; i++) {
            const unsigned char *c = im.rgb + 3 * i;
            tinted += c[2] > c[0] + 30 && c[2] > 150 && c[0] > 120;
        }
        cr_assert_gt(tinted, 200, "%zu pixels of the band", tinted);
        free(im.rgb);
    }
    cr_assert_eq(dn_plot_bands(tmp_path("b2.png"), p, 1, "t", "epoch", 2.0, &err), DN_OK);
    image im = png_decode(tmp_path("b2.png"));
    cr_assert(im.w == 1280 && im.h == 960);
    free(im.rgb);
    cr_assert_eq(dn_plot_bands(tmp_path("b.svg"), p, 2, "first line\nsecond line", "epoch", 1.0,
                               &err), DN_OK, "%s", err.msg);
    char *title, *desc;
    svg_words(tmp_path("b.svg"), &title, &desc);
    cr_assert_str_eq(title, "first line | second line");
    cr_assert(strstr(desc, "legend: A: dropout 0.2,0.5"), "%s", desc);
    cr_assert(strstr(desc, "legend: B: dropout 0.5,0.2 & <more>"), "%s", desc);
    cr_assert(strstr(desc, "95 % confidence interval"), "%s", desc);
    xmlFree(title);
    xmlFree(desc);
}

Test(plot_bands, bad_arguments)
{
    dn_band a = {"A", 6, X, YA, LA, HA};
    double nan6[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    dn_band none = {"N", 6, X, nan6, NULL, NULL};
    dn_band two[2] = {a, a};
    dn_band_panel p[5] = {{"y", &a, 1, false}, {"y", two, 2, false}, {"y", &none, 1, false},
                          {"y", &a, 1, false}, {"y", &a, 1, false}};
    dn_err err = {0};
    cr_assert_eq(dn_plot_bands(tmp_path("x.png"), p, 0, "", "", 1, &err), DN_EINVAL);
    cr_assert_eq(dn_plot_bands(tmp_path("x.png"), p, 5, "", "", 1, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "panels"), "%s", err.msg);
    cr_assert_eq(dn_plot_bands(tmp_path("x.png"), p, 2, "", "", 1, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "as many in every panel"), "%s", err.msg);
    cr_assert_eq(dn_plot_bands(tmp_path("x.png"), p + 2, 1, "", "", 1, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "no finite values"), "%s", err.msg);
    cr_assert_eq(dn_plot_bands(tmp_path("x.pdf"), p, 1, "", "", 1, &err), DN_EINVAL);
    cr_assert_eq(dn_plot_bands(tmp_path("x.png"), p, 1, "", "", 5, &err), DN_EINVAL);
}

/* ------------------------------------------------------------ pairs */

Test(plot_paired, png_svg_and_the_interval)
{
    double a[5] = {84.2, 85.9, 84.4, 82.1, 87.0}, b[5] = {84.6, 86.0, 84.3, 82.9, 87.4};
    dn_paired_fig f = {5, a, b, NULL, "dropout 0.2,0.5", "dropout 0.5,0.2",
                       "final test accuracy (%)", NULL, "seed", "per seed\nsecond"};
    dn_err err = {0};
    cr_assert_eq(dn_plot_paired(tmp_path("p.png"), &f, 1.0, &err), DN_OK, "%s", err.msg);
    image im = png_decode(tmp_path("p.png"));
    cr_assert(im.w == 640 && im.h == 480);
    free(im.rgb);
    cr_assert_eq(dn_plot_paired(tmp_path("p.svg"), &f, 1.0, &err), DN_OK, "%s", err.msg);
    char *title, *desc;
    svg_words(tmp_path("p.svg"), &title, &desc);
    cr_assert_str_eq(title, "per seed | second");
    double d[5];
    for (int i = 0; i < 5; i++)
        d[i] = b[i] - a[i];
    dn_interval ci;
    dn_mean_interval(d, 5, 0.95, &ci, NULL);
    char want[200];
    snprintf(want, sizeof want, "mean %g, 95 %% interval [%g, %g]", ci.mean, ci.lo, ci.hi);
    cr_assert(strstr(desc, want), "%s lacks %s", desc, want);
    cr_assert(strstr(desc, "A: dropout 0.2,0.5"), "%s", desc);
    xmlFree(title);
    xmlFree(desc);
    f.n = 0;
    cr_assert_eq(dn_plot_paired(tmp_path("p.png"), &f, 1.0, &err), DN_EINVAL);
    f.n = 5;
    b[2] = NAN;
    cr_assert_eq(dn_plot_paired(tmp_path("p.png"), &f, 1.0, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "pair 3"), "%s", err.msg);
}

/* ------------------------------------------------------------ heatmaps */

static const char *const XT[4] = {"0", "0.1", "0.2", "0.3"}, *const YT[3] = {"a", "b", "c"};

static void check_heatmap(double scale)
{
    /* values rise with the cell index; cell 5 has none */
    double z[12];
    for (int i = 0; i < 12; i++)
        z[i] = 80 + i;
    z[5] = NAN;
    unsigned char marked[12] = {0};
    marked[10] = 1;
    dn_heatmap h = {4, 3, z, XT, YT, "dropout 1", "dropout 2", "test accuracy (%)", "title",
                    "note", 11, marked, 1};
    dn_err err = {0};
    cr_assert_eq(dn_plot_heatmap(tmp_path("h.png"), &h, scale, &err), DN_OK, "%s", err.msg);
    image im = png_decode(tmp_path("h.png"));
    cr_assert(im.w == (unsigned)lround(640 * scale) && im.h == (unsigned)lround(480 * scale));
    double prev = -1;
    for (int i = 0; i < 12; i++) {
        int r[4];
        dn_plot_heatmap_cell(&h, i % 4, i / 4, scale, r);
        /* away from the value written at the centre and from the frames */
        const unsigned char *c = pixel(&im, r[0] + (r[2] - r[0]) / 5, r[1] + (r[3] - r[1]) / 4);
        if (i == 5) {
            cr_assert(c[0] == 221 && c[1] == 221 && c[2] == 221, "no value: grey, got %d %d %d",
                      c[0], c[1], c[2]);
            continue;
        }
        double l = luminance(c);
        cr_assert_gt(l, prev, "cell %d: luminance %.1f after %.1f", i, l, prev);
        prev = l;
        if (i == 0) /* viridis' ends: #440154 and #fde725 */
            cr_assert(abs(c[0] - 68) <= 3 && abs(c[1] - 1) <= 3 && abs(c[2] - 84) <= 3,
                      "lowest %d %d %d", c[0], c[1], c[2]);
        if (i == 11)
            cr_assert(abs(c[0] - 253) <= 3 && abs(c[1] - 231) <= 3 && abs(c[2] - 37) <= 3,
                      "highest %d %d %d", c[0], c[1], c[2]);
    }
    /* Frames: the best cell's is thick and black all round its edge, the
     * marked cell's thin; an unmarked cell has none. */
    int r[4];
    dn_plot_heatmap_cell(&h, 3, 2, scale, r);
    int ymid = (r[1] + r[3]) / 2, xmid = (r[0] + r[2]) / 2, in = (int)lround(2 * scale);
    const unsigned char *edges[4] = {pixel(&im, r[0] + in, ymid), pixel(&im, r[2] - 1 - in, ymid),
                                     pixel(&im, xmid, r[1] + in), pixel(&im, xmid, r[3] - 1 - in)};
    for (int k = 0; k < 4; k++)
        cr_assert(edges[k][0] < 40 && edges[k][1] < 40 && edges[k][2] < 40,
                  "best cell, edge %d: %d %d %d", k, edges[k][0], edges[k][1], edges[k][2]);
    dn_plot_heatmap_cell(&h, 2, 2, scale, r);
    /* the thin line (1.4 px at 1x) may fall across two pixel columns */
    const unsigned char *m0 = pixel(&im, r[0], (r[1] + r[3]) / 2);
    const unsigned char *m1 = pixel(&im, r[0] + 1, (r[1] + r[3]) / 2);
    const unsigned char *m = luminance(m0) < luminance(m1) ? m0 : m1;
    cr_assert(m[0] < 60 && m[1] < 60 && m[2] < 60, "marked cell edge %d %d %d", m[0], m[1], m[2]);
    dn_plot_heatmap_cell(&h, 1, 2, scale, r);
    const unsigned char *u = pixel(&im, r[0] + (int)lround(2 * scale), (r[1] + r[3]) / 2);
    cr_assert(luminance(u) > 60, "unmarked cell edge %d %d %d", u[0], u[1], u[2]);
    free(im.rgb);
}

Test(plot_heatmap, colours_rise_with_values_and_frames_mark_cells) { check_heatmap(1.0); }
Test(plot_heatmap, colours_rise_with_values_and_frames_mark_cells_at_2x) { check_heatmap(2.0); }

Test(plot_heatmap, svg_describes_every_cell)
{
    double z[3] = {81.25, 82.5, NAN};
    dn_heatmap h = {3, 1, z, XT, YT, "lr", "", "acc", "t", NULL, 1, NULL, 2};
    dn_err err = {0};
    cr_assert_eq(dn_plot_heatmap(tmp_path("h.svg"), &h, 1.0, &err), DN_OK, "%s", err.msg);
    char *title, *desc;
    svg_words(tmp_path("h.svg"), &title, &desc);
    cr_assert(strstr(desc, "0, a: 81.25\n"), "%s", desc);
    cr_assert(strstr(desc, "0.1, a: 82.50 (best)"), "%s", desc);
    cr_assert(strstr(desc, "0.2, a: nan"), "%s", desc);
    xmlFree(title);
    xmlFree(desc);
}

Test(plot_heatmap, bad_arguments)
{
    double z[4] = {1, 2, 3, 4}, nan4[4] = {NAN, NAN, NAN, NAN};
    dn_heatmap h = {2, 2, z, XT, YT, "x", "y", "z", "t", NULL, -1, NULL, 1};
    dn_err err = {0};
    dn_heatmap b = h;
    b.nx = 0;
    cr_assert_eq(dn_plot_heatmap(tmp_path("x.png"), &b, 1, &err), DN_EINVAL);
    b = h;
    b.ny = 33;
    cr_assert_eq(dn_plot_heatmap(tmp_path("x.png"), &b, 1, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "1 to 32"), "%s", err.msg);
    b = h;
    b.decimals = 7;
    cr_assert_eq(dn_plot_heatmap(tmp_path("x.png"), &b, 1, &err), DN_EINVAL);
    b = h;
    b.best = 4;
    cr_assert_eq(dn_plot_heatmap(tmp_path("x.png"), &b, 1, &err), DN_EINVAL);
    b = h;
    b.z = nan4;
    cr_assert_eq(dn_plot_heatmap(tmp_path("x.png"), &b, 1, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "without values"), "%s", err.msg);
    cr_assert_eq(dn_plot_heatmap(tmp_path("x.jpg"), &h, 1, &err), DN_EINVAL);
    /* one value everywhere still draws */
    double same[4] = {5, 5, 5, 5};
    b = h;
    b.z = same;
    cr_assert_eq(dn_plot_heatmap(tmp_path("x.png"), &b, 1, &err), DN_OK, "%s", err.msg);
}
