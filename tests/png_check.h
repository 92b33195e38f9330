/* Decoding the PNG figures in tests (libpng's simplified API): the tests of
 * src/plot/curves.c, predictions.c and experiment.c look at pixels. */
#ifndef DN_TESTS_PNG_CHECK_H
#define DN_TESTS_PNG_CHECK_H

#include <stddef.h>

typedef struct {
    unsigned w, h;
    unsigned char *rgb; /* w*h RGB triples, row by row (free() it) */
} image;

/* The whole image as RGB; the test fails when PATH is not a readable PNG. */
image png_decode(const char *path);
/* The pixel at (x, y), truncated to integers; the test fails outside the image. */
const unsigned char *pixel(const image *im, double x, double y);

#endif
