/* Figures with PLplot's cairo driver: training curves, run overlays and the
 * grid of predictions.
 *
 * PLplot is not reentrant: it keeps its current stream, its driver table and
 * its error handlers in globals. Every figure is therefore drawn from plinit
 * to plend while holding plot_lock, so two threads never drive PLplot at
 * once; its handlers reach the figure's state through `active`, which only
 * the lock holder touches. This is the library's one piece of shared state.
 *
 * PLplot reports trouble on stderr and, for fatal errors, calls exit(). The
 * library must do neither, so each figure
 *   - checks with plgDevs that the cairo devices exist before plinit (an
 *     unknown device would make plinit prompt on stdin),
 *   - gives PLplot an error buffer (plsError), so aborted operations are
 *     recorded instead of printed,
 *   - installs an exit handler (plsexit) that jumps back out of PLplot before
 *     it prints or exits, turning the fatal error into a returned status,
 *   - hands PLplot an in-memory stream (plsfile on open_memstream), so it
 *     never opens or names a file itself; the bytes are then written to a
 *     temporary file and renamed into place.
 */
#include "core/internal.h"
#include "files/file.h"
#include "plot/plot_internal.h"
#include "plot/cells.h"

#include <errno.h>
#include <math.h>
#include <plplot.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PI 3.14159265358979323846
#define PAGE_W 640
#define PAGE_H 480
#define MAX_RUNS 8
#define MAX_PANELS 4
#define MAX_SERIES (2 * MAX_RUNS)
#define MAX_LEGEND (MAX_RUNS + 2)

/* ------------------------------------------------------------ colours */

enum { C_WHITE, C_BLACK, C_GRID, C_KEY, C_FRAME_WRONG, C_FIRST_DATA };
/* cmap0. Data colours are the Okabe-Ito set, ordered so that neighbours also
 * differ in lightness when printed in grey; markers and dashes separate them
 * further. */
static const int palette[][3] = {
    {255, 255, 255}, /* background */
    {0, 0, 0},       /* axes and text */
    {221, 221, 221}, /* grid */
    {85, 85, 85},    /* legend keys for line styles */
    {220, 0, 0},     /* misclassified: caption and frame */
    {0, 114, 178},   /* blue */
    {230, 159, 0},   /* orange */
    {0, 158, 115},   /* bluish green */
    {204, 121, 167}, /* reddish purple */
    {86, 180, 233},  /* sky blue */
    {213, 94, 0},    /* vermillion */
    {0, 0, 0},       /* black */
    {153, 153, 153}, /* grey */
};
#define N_PALETTE ((int)(sizeof palette / sizeof palette[0]))
#define C_VERMILLION (C_FIRST_DATA + 5)

/* ------------------------------------------------------------ PLplot */

typedef struct {
    int png;             /* 1: pngcairo, 0: svgcairo */
    double scale;
    int width, height;   /* pixels */
    void (*draw)(void *ctx, const void *page);
    void *ctx;
} job;

typedef struct {
    jmp_buf on_exit;
    int exiting;         /* PLplot called plexit */
    char exit_msg[512];
    PLINT code;          /* set by PLplot when an operation aborts */
    char msg[2048];      /* PLplot writes the abort message here (sprintf) */
    FILE *mem;
    char *buf;
    size_t len;
} pl_state;

static pthread_mutex_t plot_lock = PTHREAD_MUTEX_INITIALIZER;
static pl_state *active;

static int on_plexit(const char *msg)
{
    pl_state *s = active;
    snprintf(s->exit_msg, sizeof s->exit_msg, "%s", msg ? msg : "");
    s->exiting = 1;
    longjmp(s->on_exit, 1);
}

static void on_plabort(const char *msg)
{
    /* plsError has the message; nothing to print. */
    (void)msg;
}

static void trim(char *m)
{
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        m[--n] = '\0';
    char *p = m;
    while (*p == '\n' || *p == ' ')
        p++;
    memmove(m, p, strlen(p) + 1);
    for (p = m; *p; p++)
        if (*p == '\n')
            *p = ' ';
}

/* Whether PLplot lists both cairo file devices. Called holding plot_lock. */
static int devices_present(void)
{
    const char *menu[256], *names[256];
    const char **pm = menu, **pn = names;
    int n = 256, png = 0, svg = 0;
    plgDevs(&pm, &pn, &n);
    for (int i = 0; i < n; i++) {
        png |= strcmp(names[i], "pngcairo") == 0;
        svg |= strcmp(names[i], "svgcairo") == 0;
    }
    return png && svg;
}

static const char *no_driver =
    "PLplot's cairo driver (pngcairo, svgcairo) is not installed (Debian package "
    "plplot-driver-cairo)";

/* Runs j->draw with PLplot writing into memory; on success *buf holds
 * the file's bytes (free() them). check_only: only look for the devices. */
static int render_in_memory(const job *j, int check_only, char **buf, size_t *len, dn_err *err)
{
    static pl_state s; /* only the holder of plot_lock uses it */
    pthread_mutex_lock(&plot_lock);
    memset(&s, 0, sizeof s);
    active = &s;
    int rc = DN_OK;
    plsabort(on_plabort);
    plsexit(on_plexit);
    if (setjmp(s.on_exit)) {
        /* PLplot gave up (plexit). Close what it may still hold; a second
         * plexit while closing lands here again with exiting == 2. */
        if (s.exiting == 1) {
            s.exiting = 2;
            PLINT level = 0;
            plglevel(&level);
            if (level == 0 && s.mem)
                fclose(s.mem); /* the driver never took it over */
            s.mem = NULL;
            plend();
        }
        trim(s.exit_msg);
        rc = dn_fail(err, DN_EUNAVAILABLE, "PLplot: %s", s.exit_msg);
        goto out;
    }
    plsError(&s.code, s.msg);
    if (!devices_present()) {
        trim(s.msg);
        rc = dn_fail(err, DN_EUNAVAILABLE, "%s%s%s", no_driver, s.msg[0] ? ": " : "", s.msg);
        plend();
        goto out;
    }
    if (check_only) {
        plend();
        goto out;
    }
    s.mem = open_memstream(&s.buf, &s.len);
    if (!s.mem) {
        rc = dn_fail(err, DN_ENOMEM, "cannot open a memory stream for a figure");
        plend();
        goto out;
    }
    plsError(&s.code, s.msg);
    plsdev(j->png ? "pngcairo" : "svgcairo");
    plsfile(s.mem);
    /* Pixels. cairo's devices map 72 of them to the inch, so PLplot's sizes
     * in millimetres (characters, ticks, dashes) grow with the page: a
     * scaled figure is the same figure, larger. */
    plspage(0, 0, j->width, j->height, 0, 0);
    PLINT r[N_PALETTE], g[N_PALETTE], b[N_PALETTE];
    for (int i = 0; i < N_PALETTE; i++) {
        r[i] = palette[i][0];
        g[i] = palette[i][1];
        b[i] = palette[i][2];
    }
    plscmap0(r, g, b, N_PALETTE);
    /* cmap1: a grey ramp for images, 0 black to 1 white. */
    PLFLT pos[2] = {0, 1}, lo_hi[2] = {0, 1};
    plscmap1n(256);
    plscmap1l(1, 2, pos, lo_hi, lo_hi, lo_hi, NULL);
    plinit();
    plsError(&s.code, s.msg); /* plinit may have reset the stream */
    j->draw(j->ctx, j);
    PLINT code = s.code;
    plend(); /* closes s.mem: the driver owns it after plinit */
    s.mem = NULL;
    if (code) {
        trim(s.msg);
        rc = dn_fail(err, DN_EUNAVAILABLE, "PLplot: %s", s.msg);
        goto out;
    }
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (j->png ? s.len < 8 || memcmp(s.buf, png_sig, 8) != 0
               : s.len < 5 || memcmp(s.buf, "<?xml", 5) != 0) {
        rc = dn_fail(err, DN_EUNAVAILABLE, "PLplot's %s device produced no %s data",
                     j->png ? "pngcairo" : "svgcairo", j->png ? "PNG" : "SVG");
        goto out;
    }
    *buf = s.buf;
    *len = s.len;
    s.buf = NULL;
out:
    free(s.buf);
    plsexit(NULL);
    plsabort(NULL);
    active = NULL;
    pthread_mutex_unlock(&plot_lock);
    return rc;
}

int dn_plot_available(dn_err *err)
{
    job j = {0};
    char *buf = NULL;
    size_t len = 0;
    return render_in_memory(&j, 1, &buf, &len, err);
}

/* Writes bytes to a temporary file next to path and renames it into place
 * (dn_write_atomic: the one writer of files for users). */
static int write_atomic(const char *path, const char *data, size_t len, dn_err *err)
{
    dn_chunk c = {data, len};
    return dn_write_atomic(path, &c, 1, err);
}

static int format_of(const char *path, int *png, dn_err *err)
{
    size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".png") == 0)
        *png = 1;
    else if (n > 4 && strcmp(path + n - 4, ".svg") == 0)
        *png = 0;
    else
        return dn_fail(err, DN_EINVAL, "%s: a figure's name must end in .png or .svg", path);
    return DN_OK;
}

static int check_scale(double scale, dn_err *err)
{
    if (!(scale >= 1.0 && scale <= 4.0))
        return dn_fail(err, DN_EINVAL, "figure scale %g is outside [1, 4]", scale);
    return DN_OK;
}

/* The length of the valid UTF-8 sequence at p (1 to 4), 0 if it is not
 * one. Text from file names may be anything; PLplot and XML want UTF-8. */
static int utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    int n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Copies text for a figure: valid UTF-8 only, control characters (but
 * newlines when keep_nl) as '?', at most max_chars characters; esc_hash
 * doubles PLplot's escape character '#', xml escapes XML's specials. */
static void clean_text(char *out, size_t size, const char *in, int max_chars, int keep_nl,
                       int esc_hash, int xml)
{
    size_t k = 0;
    const unsigned char *p = (const unsigned char *)in;
    for (int chars = 0; *p && chars < max_chars; chars++) {
        int n = utf8_len(p);
        char one[8] = "?";
        const char *rep = one;
        size_t len = 1;
        if (n == 1 && (*p >= 0x20 || (keep_nl && *p == '\n')) && *p != 0x7f) {
            one[0] = (char)*p;
            if (xml && *p == '&')
                rep = "&amp;";
            else if (xml && *p == '<')
                rep = "&lt;";
            else if (xml && *p == '>')
                rep = "&gt;";
            else if (esc_hash && *p == '#')
                rep = "##";
            len = strlen(rep);
        } else if (n > 1) {
            memcpy(one, p, (size_t)n);
            len = (size_t)n;
        }
        if (k + len + 1 > size)
            break;
        memcpy(out + k, rep, len);
        k += len;
        p += n ? n : 1;
    }
    out[k] = '\0';
}

static void xml_escape(char *out, size_t size, const char *in)
{
    clean_text(out, size, in, 1 << 20, 1, 0, 1);
}

/* Renders and writes one figure. For SVG, a <title> and a <desc> (the
 * legend's words) follow the root element's start tag: cairo draws text as
 * glyph outlines, and these keep the figure's words readable by screen
 * readers and searchable. */
static int render(const char *path, double scale, void (*draw)(void *, const void *), void *ctx,
                  const char *title, const char *desc, dn_err *err)
{
    int png = 0, rc;
    if ((rc = format_of(path, &png, err)) || (rc = check_scale(scale, err)))
        return rc;
    job j = {png, scale, (int)lround(PAGE_W * scale), (int)lround(PAGE_H * scale), draw, ctx};
    char *buf = NULL;
    size_t len = 0;
    if ((rc = render_in_memory(&j, 0, &buf, &len, err)))
        return rc;
    if (!png && title) {
        char *svg = strstr(buf, "<svg");
        char *gt = svg ? strchr(svg, '>') : NULL;
        size_t extra = 2 * (strlen(title) + (desc ? strlen(desc) : 0)) + 64;
        char *t = malloc(extra * 3 + 64), *out = gt ? malloc(len + extra * 3 + 128) : NULL;
        if (!t || !out) {
            free(t);
            free(out);
            free(buf);
            return gt ? dn_fail(err, DN_ENOMEM, "cannot allocate an SVG")
                      : dn_fail(err, DN_EUNAVAILABLE, "svgcairo wrote no <svg> element");
        }
        size_t head = (size_t)(gt + 1 - buf), k = head;
        memcpy(out, buf, head);
        xml_escape(t, extra * 3, title);
        k += (size_t)sprintf(out + k, "\n<title>%s</title>", t);
        if (desc) {
            xml_escape(t, extra * 3, desc);
            k += (size_t)sprintf(out + k, "\n<desc>%s</desc>", t);
        }
        memcpy(out + k, buf + head, len - head);
        k += len - head;
        free(t);
        free(buf);
        buf = out;
        len = k;
    }
    rc = write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------- drawing */

/* PLplot treats '#' as its escape character. cairo's driver refuses
 * strings of 500 characters or more (and says so on stdout); ours stay far
 * below. */
static void pl_text(char *out, size_t size, const char *in)
{
    clean_text(out, size, in, 200, 0, 1, 0);
}

static void mtex(const char *side, double disp, double pos, double just, const char *text)
{
    char t[512];
    pl_text(t, sizeof t, text);
    if (t[0])
        plmtex(side, disp, pos, just, t);
}

static void ptex(double x, double y, double just, const char *text)
{
    char t[512];
    pl_text(t, sizeof t, text);
    if (t[0])
        plptex(x, y, 1.0, 0.0, just, t);
}

/* The viewport from a pixel rectangle (origin top left). */
static void viewport_px(const job *j, double x0, double y0, double x1, double y1)
{
    plvpor(x0 / j->width, x1 / j->width, 1.0 - y1 / j->height, 1.0 - y0 / j->height);
}

/* Character height in pixels at the current size. PLplot measures it in
 * millimetres of a page whose size in millimetres grows with the pixels. */
static double char_px(const job *j)
{
    PLFLT def, ht, x0, x1, y0, y1;
    plgchr(&def, &ht);
    plgspa(&x0, &x1, &y0, &y1);
    return ht * j->width / (x1 - x0);
}

/* PLplot cannot measure text here, so widths are estimated: DejaVu Sans, the
 * usual sans font, averages about 0.67 of PLplot's character height per
 * glyph; 0.72 leaves room for wide glyphs. */
static double text_px(double ch, const char *text) { return 0.72 * ch * (double)strlen(text); }

/* A world-to-pixel map of the current panel, for markers of a fixed size. */
typedef struct {
    double x0, y0, x1, y1;       /* pixels */
    double wx0, wx1, wy0, wy1;   /* world */
} frame;

static double px_per_wx(const frame *f) { return (f->x1 - f->x0) / (f->wx1 - f->wx0); }
static double px_per_wy(const frame *f) { return (f->y1 - f->y0) / (f->wy1 - f->wy0); }

enum { M_NONE = -1, M_CIRCLE, M_SQUARE, M_TRIANGLE, M_DIAMOND, M_TRIANGLE_DOWN, M_STAR,
       M_PENTAGON, M_CROSS, M_COUNT };

/* A filled marker centred on (x, y), radius r pixels, as one polygon. */
static void marker(const frame *f, int shape, double x, double y, double r)
{
    PLFLT px[24], py[24];
    int n = 0;
    double sx = 1.0 / px_per_wx(f), sy = 1.0 / px_per_wy(f);
    switch (shape) {
    case M_CIRCLE:
        for (n = 0; n < 16; n++) {
            double a = 2 * PI * n / 16;
            px[n] = cos(a) * r;
            py[n] = sin(a) * r;
        }
        break;
    case M_SQUARE: {
        double h = r * 0.85;
        double xs[4] = {-h, h, h, -h}, ys[4] = {-h, -h, h, h};
        for (n = 0; n < 4; n++) {
            px[n] = xs[n];
            py[n] = ys[n];
        }
        break;
    }
    case M_TRIANGLE:
    case M_TRIANGLE_DOWN:
    case M_PENTAGON: {
        int k = shape == M_PENTAGON ? 5 : 3;
        double rr = r * (shape == M_PENTAGON ? 1.0 : 1.2), up = shape == M_TRIANGLE_DOWN ? -1 : 1;
        for (n = 0; n < k; n++) {
            double a = PI / 2 + 2 * PI * n / k;
            px[n] = cos(a) * rr;
            py[n] = up * sin(a) * rr;
        }
        break;
    }
    case M_DIAMOND: {
        double xs[4] = {0, r * 1.2, 0, -r * 1.2}, ys[4] = {-r * 1.2, 0, r * 1.2, 0};
        for (n = 0; n < 4; n++) {
            px[n] = xs[n];
            py[n] = ys[n];
        }
        break;
    }
    case M_STAR:
        for (n = 0; n < 10; n++) {
            double a = PI / 2 + PI * n / 5, rr = n % 2 ? r * 0.55 : r * 1.3;
            px[n] = cos(a) * rr;
            py[n] = sin(a) * rr;
        }
        break;
    default: { /* a plus sign of thick bars */
        double a = r, b = r * 0.35;
        double xs[12] = {-b, b, b, a, a, b, b, -b, -b, -a, -a, -b};
        double ys[12] = {a, a, b, b, -b, -b, -a, -a, -b, -b, b, b};
        for (n = 0; n < 12; n++) {
            px[n] = xs[n];
            py[n] = ys[n];
        }
        break;
    }
    }
    for (int i = 0; i < n; i++) {
        px[i] = x + px[i] * sx;
        py[i] = y + py[i] * sy;
    }
    plfill(n, px, py);
}

/* Dashes of 4 and 2.5 mm at 90 dpi (so they scale with the figure). */
static void line_style(int dashed)
{
    if (dashed) {
        PLINT mark = 4000, space = 2500;
        plstyl(1, &mark, &space);
    } else {
        plstyl(0, NULL, NULL);
    }
}

/* ------------------------------------------------------------- curves */

typedef struct {
    double *x, *y;
    size_t n;
    int colour, dashed, marker;
} series;

typedef struct {
    char label[DN_LABEL_MAX + 32];
    int colour, dashed, marker;
} legend_entry;

typedef struct {
    const char *ylabel, *ylabel_short;
    double ymin, ymax;
    int clamp_lo, clamp_hi;     /* keep the range within [lo, hi] */
    double lo, hi;
    series s[MAX_SERIES];
    int ns;
} panel;

typedef struct {
    char title[2][400];
    int title_lines;
    legend_entry legend[MAX_LEGEND];
    int nl;
    double xmax;
    panel p[MAX_PANELS];
    int np;
} curves_fig;

enum { K_LOSS, K_ACC, K_GAP, K_SECONDS, K_COUNT };
static int kind_of(dn_metric m)
{
    switch (m) {
    case DN_METRIC_TRAIN_LOSS:
    case DN_METRIC_TEST_LOSS: return K_LOSS;
    case DN_METRIC_TRAIN_ACC:
    case DN_METRIC_TEST_ACC: return K_ACC;
    case DN_METRIC_GAP: return K_GAP;
    default: return K_SECONDS;
    }
}
static int is_train(dn_metric m) { return m == DN_METRIC_TRAIN_LOSS || m == DN_METRIC_TRAIN_ACC; }
static int is_test(dn_metric m) { return m == DN_METRIC_TEST_LOSS || m == DN_METRIC_TEST_ACC; }

static const char *const ylabels[K_COUNT][2] = {
    {"cross-entropy (nats)", "loss (nats)"},
    {"accuracy (%)", "accuracy (%)"},
    {"train - test accuracy (points)", "gap (points)"},
    {"time per epoch (s)", "time (s)"}};

/* A tick step giving at most about max_ticks labelled ticks. */
static double nice_step(double range, int max_ticks)
{
    double raw = range / max_ticks, mag = pow(10, floor(log10(raw)));
    /* No 2.5: its labels would need a decimal more than the others. */
    double steps[] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++)
        if (steps[i] * mag >= raw)
            return steps[i] * mag;
    return 10 * mag;
}

/* The legend, shared by all panels, as rows of entries under the title:
 * outside the plots, it never hides a curve. Returns its height; draws it
 * when draw is set (the viewport must then be the whole page in pixels). */
static double legend_strip(const job *j, const curves_fig *fig, double x0, double x1, double y0,
                           int draw)
{
    double s = j->scale;
    plschr(0, 0.85);
    double ch = char_px(j), sample = 30 * s, gap = 5 * s, sep = 24 * s, row = 1.75 * ch;
    double widths[MAX_LEGEND];
    int row_of[MAX_LEGEND], rows = 0;
    double used = 0, row_w[MAX_LEGEND] = {0};
    for (int i = 0; i < fig->nl; i++) {
        widths[i] = sample + gap + text_px(ch, fig->legend[i].label);
        if (used > 0 && used + sep + widths[i] > x1 - x0) {
            rows++;
            used = 0;
        }
        used += (used > 0 ? sep : 0) + widths[i];
        row_of[i] = rows;
        row_w[rows] = used;
    }
    rows++;
    if (draw) {
        frame page = {0, 0, j->width, j->height, 0, j->width, 0, j->height};
        double x = 0;
        for (int i = 0; i < fig->nl; i++) {
            const legend_entry *e = &fig->legend[i];
            if (i == 0 || row_of[i] != row_of[i - 1])
                x = (x0 + x1 - row_w[row_of[i]]) / 2;
            double yc = y0 + row * (row_of[i] + 0.5);
            PLFLT lx[2] = {x, x + sample}, ly[2] = {j->height - yc, j->height - yc};
            plcol0(e->colour);
            plwidth((e->dashed ? 2.0 : 1.8) * s);
            line_style(e->dashed);
            plline(2, lx, ly);
            line_style(0);
            if (e->marker != M_NONE)
                marker(&page, e->marker, x + sample / 2, j->height - yc, 3.4 * s);
            plcol0(C_BLACK);
            ptex(x + sample + gap, j->height - yc, 0.0, e->label);
            x += widths[i] + sep;
        }
    }
    plschr(0, 1.0);
    return row * rows;
}

static void draw_curves(void *ctx, const void *jv)
{
    const curves_fig *fig = ctx;
    const job *j = jv;
    double s = j->scale;
    pladv(0);
    plschr(0, 1.0);
    double ch = char_px(j);
    double left = 74 * s, right = 18 * s, bottom = 46 * s, gap = 12 * s;
    /* Whole-page drawing in pixel coordinates, y up. */
    plvpor(0, 1, 0, 1);
    plwind(0, j->width, 0, j->height);
    plcol0(C_BLACK);
    double y = 8 * s;
    for (int l = 0; l < fig->title_lines; l++) {
        plschr(0, l == 0 ? 1.1 : 0.95);
        double lh = 1.7 * char_px(j);
        ptex(j->width / 2.0, j->height - (y + lh / 2), 0.5, fig->title[l]);
        y += lh;
    }
    plschr(0, 1.0);
    y += 4 * s;
    y += legend_strip(j, fig, left, j->width - right, y, 1) + 8 * s;
    double top = y;
    double ph = (j->height - top - bottom - gap * (fig->np - 1)) / fig->np;
    double xstep = fig->xmax <= 12 ? 1 : nice_step(fig->xmax, 10);
    for (int k = 0; k < fig->np; k++) {
        const panel *p = &fig->p[k];
        /* A little room right of the last epoch keeps its marker whole. */
        frame f = {left, top + k * (ph + gap), j->width - right, top + k * (ph + gap) + ph,
                   0, fig->xmax * 1.025, p->ymin, p->ymax};
        viewport_px(j, f.x0, f.y0, f.x1, f.y1);
        plwind(f.wx0, f.wx1, f.wy0, f.wy1);
        double ystep = nice_step(p->ymax - p->ymin, ph > 150 * s ? 6 : ph > 80 * s ? 4 : 2);
        plcol0(C_GRID);
        plwidth(0.8 * s);
        plbox("g", xstep, 0, "g", ystep, 0);
        for (int i = 0; i < p->ns; i++) {
            const series *sr = &p->s[i];
            plcol0(sr->colour);
            plwidth((sr->dashed ? 2.0 : 1.8) * s);
            line_style(sr->dashed);
            /* NaN points (a run without a test set) break the line. */
            size_t a = 0;
            while (a < sr->n) {
                while (a < sr->n && !isfinite(sr->y[a]))
                    a++;
                size_t b = a;
                while (b < sr->n && isfinite(sr->y[b]))
                    b++;
                if (b - a >= 2)
                    plline((PLINT)(b - a), sr->x + a, sr->y + a);
                a = b;
            }
            line_style(0);
            /* Markers at least 12 px apart (every stride-th row, ending at
             * the last), so that long runs do not bury their lines. */
            double apart = (f.x1 - f.x0) / (f.wx1 - f.wx0);
            size_t stride = apart >= 12 * s ? 1 : (size_t)ceil(12 * s / apart);
            if (sr->marker != M_NONE)
                for (size_t q = 0; q < sr->n; q++)
                    if (isfinite(sr->y[q]) && (sr->n - 1 - q) % stride == 0)
                        marker(&f, sr->marker, sr->x[q], sr->y[q], 3.2 * s);
        }
        plcol0(C_BLACK);
        plwidth(1.0 * s);
        plschr(0, 0.9);
        plbox(k == fig->np - 1 ? "bcnst" : "bcst", xstep, xstep == 1 ? 1 : 0, "bcnstv", ystep,
              0);
        plschr(0, 0.95);
        const char *yl = text_px(char_px(j), p->ylabel) <= ph ? p->ylabel : p->ylabel_short;
        mtex("l", 4.2, 0.5, 0.5, yl);
        if (k == fig->np - 1)
            mtex("b", 2.6, 0.5, 0.5, "epoch");
        plschr(0, 1.0);
    }
    (void)ch;
}

/* The settings in one line when they fit, else in two lines of about equal
 * length broken between two settings. */
static void set_title(curves_fig *fig, const char *text)
{
    /* At 1.1 times the default height, a line of the page holds about 64
     * characters of sans text; the figure scales as a whole. */
    const size_t per_line = 60;
    size_t len = strlen(text);
    fig->title_lines = 1;
    snprintf(fig->title[0], sizeof fig->title[0], "%s", text);
    fig->title[1][0] = '\0';
    if (len <= per_line)
        return;
    const char *cut = NULL;
    size_t best = len;
    for (const char *p = strstr(text, " | "); p; p = strstr(p + 3, " | ")) {
        size_t a = (size_t)(p - text), b = len - a - 3, worst = a > b ? a : b;
        if (worst < best) {
            best = worst;
            cut = p;
        }
    }
    if (!cut)
        return;
    snprintf(fig->title[0], sizeof fig->title[0], "%.*s", (int)(cut - text), text);
    snprintf(fig->title[1], sizeof fig->title[1], "%s", cut + 3);
    fig->title_lines = 2;
}

static void free_fig(curves_fig *fig)
{
    for (int k = 0; k < fig->np; k++)
        for (int i = 0; i < fig->p[k].ns; i++) {
            free(fig->p[k].s[i].x);
            free(fig->p[k].s[i].y);
        }
}

static void add_legend(curves_fig *fig, const char *label, int colour, int dashed, int marker)
{
    for (int i = 0; i < fig->nl; i++)
        if (strcmp(fig->legend[i].label, label) == 0)
            return;
    if (fig->nl == MAX_LEGEND)
        return;
    legend_entry *e = &fig->legend[fig->nl++];
    snprintf(e->label, sizeof e->label, "%s", label);
    e->colour = colour;
    e->dashed = dashed;
    e->marker = marker;
}

/* Single run: a colour per role. */
enum { ROLE_TRAIN, ROLE_TEST, ROLE_GAP, ROLE_SECONDS };
static int role_of(dn_metric m)
{
    return is_train(m) ? ROLE_TRAIN : is_test(m) ? ROLE_TEST : m == DN_METRIC_GAP ? ROLE_GAP
                                                                                : ROLE_SECONDS;
}
static const int role_colour[4] = {C_FIRST_DATA, C_VERMILLION, C_FIRST_DATA + 2,
                                   C_FIRST_DATA + 3};

int dn_plot_curves(const char *path, const dn_run *runs, int n_runs, const dn_metric *metrics,
                   int n_metrics, double scale, dn_err *err)
{
    static const dn_metric defaults[4] = {DN_METRIC_TRAIN_LOSS, DN_METRIC_TEST_LOSS,
                                          DN_METRIC_TRAIN_ACC, DN_METRIC_TEST_ACC};
    if (!metrics || n_metrics == 0) {
        metrics = defaults;
        n_metrics = 4;
    }
    int rc, png;
    if ((rc = format_of(path, &png, err)) || (rc = check_scale(scale, err)))
        return rc;
    if (n_runs < 1 || n_runs > MAX_RUNS)
        return dn_fail(err, DN_EINVAL, "%d runs in one figure (1 to %d)", n_runs, MAX_RUNS);
    if (n_metrics > DN_METRIC_COUNT)
        return dn_fail(err, DN_EINVAL, "%d metrics in one figure (at most %d)", n_metrics,
                       DN_METRIC_COUNT);
    for (int r = 0; r < n_runs; r++)
        if (runs[r].metrics.n == 0)
            return dn_fail(err, DN_EINVAL, "%s/metrics.csv: no epochs to draw", runs[r].dir);
    for (int m = 0; m < n_metrics; m++) {
        if ((unsigned)metrics[m] >= DN_METRIC_COUNT)
            return dn_fail(err, DN_EINVAL, "metric %d does not exist", (int)metrics[m]);
        for (int q = 0; q < m; q++)
            if (metrics[q] == metrics[m])
                return dn_fail(err, DN_EINVAL, "metric %s asked for twice",
                               dn_metric_name(metrics[m]));
    }

    curves_fig *fig = calloc(1, sizeof *fig);
    char(*labels)[DN_LABEL_MAX] = calloc((size_t)n_runs, DN_LABEL_MAX);
    size_t desc_cap = (size_t)MAX_LEGEND * (DN_LABEL_MAX + 40) + 16;
    char *desc = calloc(1, desc_cap);
    if (!fig || !labels || !desc) {
        free(fig);
        free(labels);
        free(desc);
        return dn_fail(err, DN_ENOMEM, "cannot allocate a figure");
    }
    char common[400];
    dn_run_labels(runs, n_runs, labels, common, sizeof common);
    set_title(fig, common);

    int panel_of_kind[K_COUNT] = {-1, -1, -1, -1};
    int has_train = 0, has_test = 0;
    for (int m = 0; m < n_metrics; m++) {
        has_train |= is_train(metrics[m]);
        has_test |= is_test(metrics[m]);
        int k = kind_of(metrics[m]);
        if (panel_of_kind[k] < 0) {
            panel_of_kind[k] = fig->np++;
            panel *p = &fig->p[panel_of_kind[k]];
            p->ylabel = ylabels[k][0];
            p->ylabel_short = ylabels[k][1];
            p->ymin = INFINITY;
            p->ymax = -INFINITY;
            p->clamp_lo = k != K_GAP;
            p->lo = 0;
            p->clamp_hi = k == K_ACC;
            p->hi = 100;
        }
    }
    /* Several runs: a colour and a marker per run, then a key to the line
     * styles when training and test curves are both drawn. */
    if (n_runs > 1) {
        for (int r = 0; r < n_runs; r++)
            add_legend(fig, labels[r], C_FIRST_DATA + r, has_test && !has_train, r % M_COUNT);
        if (has_train && has_test) {
            add_legend(fig, "train, dropout on", C_KEY, 0, M_NONE);
            add_legend(fig, "test, dropout off", C_KEY, 1, M_NONE);
        }
    }
    rc = DN_OK;
    for (int m = 0; m < n_metrics && !rc; m++) {
        dn_metric mt = metrics[m];
        panel *p = &fig->p[panel_of_kind[kind_of(mt)]];
        double mul = kind_of(mt) == K_ACC || kind_of(mt) == K_GAP ? 100.0 : 1.0;
        for (int r = 0; r < n_runs; r++) {
            const dn_run *run = &runs[r];
            series *sr = &p->s[p->ns++];
            int steps = is_train(mt) && run->steps.n > 0;
            size_t n = steps ? run->steps.n : run->metrics.n;
            sr->x = malloc(n * sizeof(double));
            sr->y = malloc(n * sizeof(double));
            sr->n = n;
            if (!sr->x || !sr->y) {
                rc = dn_fail(err, DN_ENOMEM, "cannot allocate a figure");
                break;
            }
            for (size_t i = 0; i < n; i++) {
                if (steps) {
                    const dn_step_point *q = &run->steps.rows[i];
                    sr->x[i] = dn_step_progress(q);
                    sr->y[i] = mul * (mt == DN_METRIC_TRAIN_LOSS ? q->train_loss : q->train_acc);
                } else {
                    sr->x[i] = run->metrics.epoch[i];
                    sr->y[i] = mul * run->metrics.col[mt][i];
                }
                if (sr->x[i] > fig->xmax)
                    fig->xmax = sr->x[i];
                if (isfinite(sr->y[i])) {
                    p->ymin = fmin(p->ymin, sr->y[i]);
                    p->ymax = fmax(p->ymax, sr->y[i]);
                }
            }
            /* Training curves at step resolution are dense: a line without
             * markers. Test curves are dashed. */
            sr->dashed = is_test(mt);
            if (n_runs == 1) {
                int role = role_of(mt);
                sr->colour = role_colour[role];
                sr->marker = steps ? M_NONE : role == ROLE_TRAIN ? M_SQUARE : M_CIRCLE;
                static const char *const words[4] = {"train, dropout on", "test, dropout off",
                                                      "train - test accuracy",
                                                      "training and test evaluation"};
                add_legend(fig, words[role], sr->colour, sr->dashed, sr->marker);
            } else {
                sr->colour = C_FIRST_DATA + r;
                sr->marker = steps ? M_NONE : r % M_COUNT;
            }
        }
    }
    for (int k = 0; k < fig->np && !rc; k++) {
        panel *p = &fig->p[k];
        if (!isfinite(p->ymin)) {
            rc = dn_fail(err, DN_EINVAL, "%s: no finite values to draw", p->ylabel);
            break;
        }
        double span = p->ymax - p->ymin;
        if (span < 1e-9 * fmax(1.0, fabs(p->ymax)))
            span = fmax(fabs(p->ymax) * 0.1, 0.01);
        p->ymin -= span * 0.08;
        p->ymax += span * 0.08;
        if (p->clamp_lo && p->ymin < p->lo)
            p->ymin = p->lo;
        if (p->clamp_hi && p->ymax > p->hi)
            p->ymax = p->hi;
    }
    if (fig->xmax <= 0)
        fig->xmax = 1;
    if (!rc) {
        /* The legend's words, for the SVG's <desc>: one line per entry. */
        size_t k = 0;
        for (int i = 0; i < fig->nl; i++)
            k += (size_t)snprintf(desc + k, desc_cap - k, "%slegend: %s", i ? "\n" : "",
                                  fig->legend[i].label);
        char title[820];
        snprintf(title, sizeof title, "%s%s%s", fig->title[0], fig->title_lines > 1 ? " | " : "",
                 fig->title_lines > 1 ? fig->title[1] : "");
        rc = render(path, scale, draw_curves, fig, title, desc, err);
    }
    free_fig(fig);
    free(fig);
    free(labels);
    free(desc);
    return rc;
}

/* -------------------------------------------------------- predictions */

#define GRID_COLS 6
#define GRID_ROWS 3
#define GRID_TOP 58.0     /* title and its note */
#define GRID_BOTTOM 6.0
#define CAPTION 38.0      /* two caption lines above each image */

void dn_plot_predictions_cell(int i, int n, double scale, int rect[4])
{
    (void)n;
    double cw = PAGE_W / (double)GRID_COLS;
    double chh = (PAGE_H - GRID_TOP - GRID_BOTTOM) / GRID_ROWS;
    double side = fmin(cw - 26.0, chh - CAPTION - 12.0);
    int col = i % GRID_COLS, row = i / GRID_COLS;
    double x0 = col * cw + (cw - side) / 2;
    double y0 = GRID_TOP + row * chh + CAPTION + 4.0;
    rect[0] = (int)lround(x0 * scale);
    rect[1] = (int)lround(y0 * scale);
    rect[2] = (int)lround((x0 + side) * scale);
    rect[3] = (int)lround((y0 + side) * scale);
}

typedef struct {
    const dn_dataset *ds;
    const uint8_t *pred;
    int n;
    const char *const *names;
    const char *title;
    PLFLT **img; /* rows x cols pixels as PLplot wants them: [x][y], y up */
} grid_fig;

static void draw_grid(void *ctx, const void *jv)
{
    const grid_fig *g = ctx;
    const job *j = jv;
    double s = j->scale;
    pladv(0);
    plvpor(0, 1, 0, 1);
    plwind(0, 1, 0, 1);
    plcol0(C_BLACK);
    plschr(0, 1.0);
    ptex(0.5, 1.0 - 18 * s / j->height, 0.5, g->title);
    plschr(0, 0.85);
    char note[160];
    snprintf(note, sizeof note,
             "first %d test images; caption: true class, predicted class; red: misclassified",
             g->n);
    ptex(0.5, 1.0 - 40 * s / j->height, 0.5, note);
    int rows = g->ds->rows, cols = g->ds->cols;
    for (int i = 0; i < g->n; i++) {
        int rect[4];
        dn_plot_predictions_cell(i, g->n, s, rect);
        const uint8_t *px = g->ds->images + (size_t)i * (size_t)rows * (size_t)cols;
        for (int x = 0; x < cols; x++)
            for (int y = 0; y < rows; y++)
                g->img[x][rows - 1 - y] = px[y * cols + x];
        viewport_px(j, rect[0], rect[1], rect[2], rect[3]);
        plwind(0, cols, 0, rows);
        plimage((PLFLT_MATRIX)g->img, cols, rows, 0, cols, 0, rows, 0, 255, 0, cols, 0, rows);
        int wrong = g->pred[i] != g->ds->labels[i];
        if (wrong) {
            /* The frame's centre line lies 4 px outside the image; PLplot
             * clips to the viewport, so widen it to hold the frame. */
            double d = 4.0 * s, e = 8.0 * s, w = rect[2] - rect[0], h = rect[3] - rect[1];
            double ux = cols / w, uy = rows / h;
            viewport_px(j, rect[0] - e, rect[1] - e, rect[2] + e, rect[3] + e);
            plwind(-e * ux, cols + e * ux, -e * uy, rows + e * uy);
            PLFLT fx[5] = {-d * ux, cols + d * ux, cols + d * ux, -d * ux, -d * ux};
            PLFLT fy[5] = {-d * uy, -d * uy, rows + d * uy, rows + d * uy, -d * uy};
            plcol0(C_FRAME_WRONG);
            plwidth(3.0 * s);
            plline(5, fx, fy);
            viewport_px(j, rect[0], rect[1], rect[2], rect[3]);
            plwind(0, cols, 0, rows);
        }
        plcol0(wrong ? C_FRAME_WRONG : C_BLACK);
        plschr(0, 0.8);
        mtex("t", 2.9, 0.5, 0.5, g->names[g->ds->labels[i]]);
        mtex("t", 1.5, 0.5, 0.5, g->names[g->pred[i]]);
    }
}

int dn_plot_predictions(const char *path, const dn_dataset *ds, const uint8_t *pred, int n,
                        const char *const *class_names, const char *title, double scale,
                        dn_err *err)
{
    if (n < 1 || n > DN_PLOT_GRID_MAX || (size_t)n > ds->n)
        return dn_fail(err, DN_EINVAL, "%d images for a grid of at most %d (the set has %zu)", n,
                       DN_PLOT_GRID_MAX, ds->n);
    if (!ds->images)
        return dn_fail(err, DN_EINVAL, "the dataset holds feature rows, not images");
    if (ds->rows < 1 || ds->cols < 1 || ds->rows > 256 || ds->cols > 256)
        return dn_fail(err, DN_EINVAL, "images of %dx%d pixels cannot be drawn", ds->rows,
                       ds->cols);
    if (!class_names) {
        if (ds->classes > 10)
            return dn_fail(err, DN_EINVAL, "%d classes and no class names", ds->classes);
        class_names = dn_fmnist_classes;
    }
    for (int i = 0; i < n; i++)
        if (ds->labels[i] >= ds->classes || pred[i] >= ds->classes)
            return dn_fail(err, DN_EINVAL, "example %d: class %d or prediction %d is not below %d",
                           i, ds->labels[i], pred[i], ds->classes);
    grid_fig g = {ds, pred, n, class_names, title ? title : "predictions", NULL};
    PLFLT *data = malloc((size_t)ds->rows * (size_t)ds->cols * sizeof *data);
    g.img = malloc((size_t)ds->cols * sizeof *g.img);
    if (!data || !g.img) {
        free(data);
        free(g.img);
        return dn_fail(err, DN_ENOMEM, "cannot allocate an image");
    }
    for (int x = 0; x < ds->cols; x++)
        g.img[x] = data + (size_t)x * (size_t)ds->rows;
    char desc[DN_PLOT_GRID_MAX * 64];
    size_t k = 0;
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(desc + k, sizeof desc - k, "%s%s / %s", i ? "; " : "",
                              class_names[ds->labels[i]], class_names[pred[i]]);
    int rc = render(path, scale, draw_grid, &g, g.title, desc, err);
    free(data);
    free(g.img);
    return rc;
}

/* ------------------------------------------- for plot_experiment.c */

_Static_assert((int)DN_PL_PALETTE == (int)N_PALETTE &&
                   (int)DN_PL_VERMILLION == (int)C_VERMILLION &&
                   (int)DN_PL_BLUE == (int)C_FIRST_DATA && (int)DN_PL_GRID == (int)C_GRID &&
                   (int)DN_PL_RED == (int)C_FRAME_WRONG,
               "plot_internal.h names plot.c's palette");
_Static_assert((int)DN_PL_CIRCLE == (int)M_CIRCLE && (int)DN_PL_SQUARE == (int)M_SQUARE &&
                   (int)DN_PL_TRIANGLE == (int)M_TRIANGLE && (int)DN_PL_DIAMOND == (int)M_DIAMOND,
               "plot_internal.h names plot.c's markers");

int dn_pl_render(const char *path, double scale, void (*draw)(void *ctx, const void *page),
                 void *ctx, const char *title, const char *desc, dn_err *err)
{
    return render(path, scale, draw, ctx, title, desc, err);
}

void dn_pl_page(const void *page, double *width, double *height, double *scale)
{
    const job *j = page;
    *width = j->width;
    *height = j->height;
    *scale = j->scale;
}

double dn_pl_char_px(const void *page) { return char_px(page); }
double dn_pl_text_px(double ch, const char *text) { return text_px(ch, text); }

void dn_pl_viewport_px(const void *page, double x0, double y0, double x1, double y1)
{
    viewport_px(page, x0, y0, x1, y1);
}

void dn_pl_mtex(const char *side, double disp, double pos, double just, const char *text)
{
    mtex(side, disp, pos, just, text);
}

void dn_pl_ptex(double x, double y, double just, const char *text) { ptex(x, y, just, text); }

void dn_pl_marker(double px_per_wx, double px_per_wy, int shape, double x, double y, double r)
{
    frame f = {0, 0, px_per_wx, px_per_wy, 0, 1, 0, 1};
    marker(&f, shape, x, y, r);
}

void dn_pl_dashed(int dashed) { line_style(dashed); }
double dn_pl_nice_step(double range, int max_ticks) { return nice_step(range, max_ticks); }
