/* IDX reader (the MNIST file format), plain or gzip-compressed.
 *
 * Layout: 4-byte big-endian magic 0x000008NN (0x08 = unsigned byte, NN = number
 * of dimensions), NN big-endian uint32 sizes, then the bytes. gzread() reads
 * plain files too, so one code path serves both. Sizes are checked against
 * the file before anything is allocated: a plain file must have exactly the
 * bytes its header announces, a gzip file cannot expand more than gzip's
 * maximal ratio. */
#include "core/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* deflate never expands better than 1032:1 */
#define GZIP_MAX_RATIO 1032u

/* Reads up to n bytes into buf (at least one, or an error): *got counts
 * the bytes of the whole read of `total` so far. */
static int read_exact_some(gzFile f, const char *path, uint8_t *buf, size_t n, size_t total,
                           size_t *got, const char *what, dn_err *err)
{
    size_t chunk = n > (1u << 30) ? (1u << 30) : n;
    int r = gzread(f, buf, (unsigned)chunk);
    int zerr;
    const char *msg = gzerror(f, &zerr);
    if (r < 0 || (r == 0 && zerr != Z_OK && zerr != Z_STREAM_END && zerr != Z_BUF_ERROR))
        return dn_fail(err, DN_EFORMAT, "%s: corrupt gzip stream while reading %s (%s)", path,
                       what, dn_gz_reason(msg, path));
    if (r == 0)
        return dn_fail(err, DN_EFORMAT, "%s: truncated: %zu bytes of %s expected, the %s ends "
                       "after %zu", path, total, what, gzdirect(f) ? "file" : "decompressed data",
                       *got);
    *got += (size_t)r;
    return DN_OK;
}

const char *dn_gz_reason(const char *msg, const char *path)
{
    size_t n = strlen(path);
    if (msg && strncmp(msg, path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
        return msg + n + 2;
    return msg ? msg : "unknown error";
}

static int read_exact(gzFile f, const char *path, void *buf, size_t n, const char *what,
                      dn_err *err)
{
    size_t got = 0;
    int rc = DN_OK;
    while (!rc && got < n)
        rc = read_exact_some(f, path, (uint8_t *)buf + got, n - got, n, &got, what, err);
    return rc;
}

/* A pipe or a device tells nothing of its size: the buffer grows with what
 * arrives, so a header that claims more than comes costs no more memory than
 * what came (allocating the claim at once would be an out-of-memory kill for
 * a claim of some GB). */
static int read_growing(gzFile f, const char *path, size_t total, uint8_t **out,
                        const char *what, dn_err *err)
{
    size_t cap = total < ((size_t)1 << 20) ? total : (size_t)1 << 20;
    uint8_t *buf = malloc(cap ? cap : 1);
    size_t got = 0;
    int rc = buf ? DN_OK : dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
    while (!rc && got < total) {
        if (got == cap) {
            size_t next = cap > total / 2 ? total : 2 * cap;
            uint8_t *nb = realloc(buf, next);
            if (!nb) {
                rc = dn_fail(err, DN_ENOMEM, "%s: cannot allocate %zu bytes", path, next);
                break;
            }
            buf = nb;
            cap = next;
        }
        rc = read_exact_some(f, path, buf + got, cap - got, total, &got, what, err);
    }
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    return DN_OK;
}

static uint32_t be32(const unsigned char *b)
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

int dn_idx_read(const char *path, int ndims, uint8_t **data, size_t dims[3], dn_err *err)
{
    *data = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return dn_fail(err, DN_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return dn_fail(err, DN_EIO, "%s: is a directory, expected an IDX file", path);
    gzFile f = gzopen(path, "rb");
    if (!f)
        return dn_fail(err, DN_EIO, "%s: cannot open: %s", path,
                       errno ? strerror(errno) : "out of memory");
    gzbuffer(f, 1u << 17); /* fewer, larger reads */
    int direct = -1;
    int rc;
    unsigned char hdr[16];
    if ((rc = read_exact(f, path, hdr, 4, "the IDX header", err)))
        goto out;
    direct = gzdirect(f);
    uint32_t magic = be32(hdr);
    if ((magic >> 8) != 0x08 || (int)(magic & 0xff) != ndims) {
        rc = dn_fail(err, DN_EFORMAT,
                     "%s: bad magic number 0x%08x (expected 0x%08x: unsigned bytes, %d "
                     "dimension%s)",
                     path, (unsigned)magic, 0x800u | (unsigned)ndims, ndims,
                     ndims == 1 ? "" : "s");
        goto out;
    }
    if ((rc = read_exact(f, path, hdr + 4, 4 * (size_t)ndims, "the IDX header", err)))
        goto out;
    dims[0] = be32(hdr + 4);
    dims[1] = ndims == 3 ? be32(hdr + 8) : 1;
    dims[2] = ndims == 3 ? be32(hdr + 12) : 1;
    size_t hdr_len = 4 + 4 * (size_t)ndims;
    /* Sizes up to 2^32 each: the product fits in 64 bits only if checked. */
    size_t item = dims[1] * dims[2];
    if (dims[1] != 0 && item / dims[1] != dims[2]) {
        rc = dn_fail(err, DN_EFORMAT, "%s: dimensions %zux%zu are too large", path, dims[1],
                     dims[2]);
        goto out;
    }
    if (item != 0 && dims[0] > SIZE_MAX / item) {
        rc = dn_fail(err, DN_EFORMAT, "%s: header claims %zu items of %zu bytes: too large",
                     path, dims[0], item);
        goto out;
    }
    size_t total = dims[0] * item;
    uint64_t on_disk = (uint64_t)st.st_size;
    if (direct) {
        if (S_ISREG(st.st_mode) && on_disk != hdr_len + total) {
            rc = dn_fail(err, DN_EFORMAT,
                         "%s: %s: header claims %zu items (%zu bytes of data) but the file has "
                         "%llu bytes of data",
                         path, on_disk < hdr_len + total ? "truncated" : "trailing bytes",
                         dims[0], total, (unsigned long long)(on_disk - hdr_len));
            goto out;
        }
    } else if (S_ISREG(st.st_mode) && total / GZIP_MAX_RATIO > on_disk) {
        rc = dn_fail(err, DN_EFORMAT,
                     "%s: truncated: header claims %zu items (%zu bytes), more than a %llu-byte "
                     "gzip file can hold",
                     path, dims[0], total, (unsigned long long)on_disk);
        goto out;
    }
    const char *what = dims[0] == 1 ? "the item" : "the items";
    uint8_t *buf;
    if (S_ISREG(st.st_mode)) {
        buf = dn_alloc(total ? total : 1, 1);
        if (!buf) {
            rc = dn_fail(err, DN_ENOMEM, "%s: cannot allocate %zu bytes", path, total);
            goto out;
        }
        if ((rc = read_exact(f, path, buf, total, what, err))) {
            dn_free(buf);
            goto out;
        }
    } else if ((rc = read_growing(f, path, total, &buf, what, err))) {
        goto out;
    }
    /* Read on to the end: this is where gzip checks its CRC and length, and
     * where trailing garbage shows up. */
    char extra;
    int r = gzread(f, &extra, 1);
    int zerr;
    const char *msg = gzerror(f, &zerr);
    if (r != 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
        rc = r > 0 ? dn_fail(err, DN_EFORMAT,
                             "%s: trailing bytes after the %zu items the header announces",
                             path, dims[0])
                   : dn_fail(err, DN_EFORMAT, "%s: %s gzip stream (%s)", path,
                             zerr == Z_BUF_ERROR ? "truncated" : "corrupt",
                             dn_gz_reason(msg, path));
        dn_free(buf);
        goto out;
    }
    *data = buf;
    rc = DN_OK;
out:
    gzclose(f);
    return rc;
}
