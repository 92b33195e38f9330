#include "png_check.h"

#include <criterion/criterion.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

image png_decode(const char *path)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_file(&im, path), "%s: %s", path, im.message);
    im.format = PNG_FORMAT_RGB;
    image out = {im.width, im.height, malloc(PNG_IMAGE_SIZE(im))};
    cr_assert(out.rgb);
    cr_assert(png_image_finish_read(&im, NULL, out.rgb, 0, NULL), "%s: %s", path, im.message);
    return out;
}

const unsigned char *pixel(const image *im, double x, double y)
{
    cr_assert(x >= 0 && y >= 0, "pixel (%g, %g) outside the image", x, y);
    unsigned ix = (unsigned)x, iy = (unsigned)y;
    cr_assert(ix < im->w && iy < im->h, "pixel (%u, %u) outside %ux%u", ix, iy, im->w, im->h);
    return im->rgb + 3 * ((size_t)iy * im->w + ix);
}
