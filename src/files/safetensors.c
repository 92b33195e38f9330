/* safetensors: 8-byte little-endian header length N, N bytes of JSON, then
 * the data. Every tensor names its dtype, shape and [begin, end) byte range
 * in the data; "__metadata__" maps strings to strings. The reader trusts
 * nothing: every length and offset is checked before it is used. */
#include "files/safetensors.h"

#include "files/file.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; this reader and writer assume a little-endian host"
#endif

void dn_st_close(dn_st_file *st)
{
    if (st->f)
        fclose(st->f);
    for (int i = 0; i < st->n; i++)
        free(st->t[i].name);
    free(st->t);
    for (int i = 0; i < st->n_meta; i++) {
        free(st->keys[i]);
        free(st->values[i]);
    }
    free(st->keys);
    free(st->values);
    memset(st, 0, sizeof *st);
}

/* A JSON number that is an exact non-negative integer below 2^53. */
static int json_u64(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v))
        return -1;
    double d = v->valuedouble;
    if (!(d >= 0.0 && d <= 9007199254740991.0) || d != floor(d))
        return -1;
    *out = (uint64_t)d;
    return 0;
}

static int parse_tensor(dn_st_file *st, const cJSON *item, dn_st_tensor *t, dn_err *err)
{
    const char *P = st->path, *name = item->string;
    if (!cJSON_IsObject(item))
        return dn_fail(err, DN_EFORMAT, "%s: header entry '%s' is not an object", P, name);
    /* cJSON keeps every copy of a key and finds the first: a second "dtype"
     * or "data_offsets" would be ignored in silence. */
    for (const cJSON *a = item->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (strcmp(a->string, b->string) == 0)
                return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' has the key '%s' twice", P,
                               name, a->string);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    if (!cJSON_IsString(dtype))
        return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' has no dtype", P, name);
    if (strcmp(dtype->valuestring, "F32") != 0)
        return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' has dtype %.16s; dropnet reads F32 only",
                       P, name, dtype->valuestring);
    if (!cJSON_IsArray(shape))
        return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' has no shape array", P, name);
    int rank = cJSON_GetArraySize(shape);
    if (rank > DN_ST_MAX_RANK)
        return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' has %d dimensions (at most %d)", P, name,
                       rank, DN_ST_MAX_RANK);
    t->rank = rank;
    t->count = 1;
    for (int i = 0; i < rank; i++) {
        uint64_t d;
        const cJSON *dim = cJSON_GetArrayItem(shape, i);
        if (json_u64(dim, &d) && cJSON_IsNumber(dim) && dim->valuedouble > 9007199254740991.0 &&
            dim->valuedouble == floor(dim->valuedouble))
            return dn_fail(err, DN_EFORMAT, "%s: tensor '%s': dimension %d (%.0f) is larger "
                           "than the file could hold", P, name, i, dim->valuedouble);
        if (json_u64(dim, &d))
            return dn_fail(err, DN_EFORMAT, "%s: tensor '%s': dimension %d is not a non-negative "
                           "integer", P, name, i);
        t->shape[i] = d;
        /* Overflow guard: no tensor can hold more bytes than the file. */
        if (d && t->count > st->data_size / 4 / d + 1)
            return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' has more elements than the file "
                           "has bytes", P, name);
        t->count *= d;
    }
    uint64_t b, e;
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
        json_u64(cJSON_GetArrayItem(offs, 0), &b) || json_u64(cJSON_GetArrayItem(offs, 1), &e))
        return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' has no data_offsets [begin, end]", P,
                       name);
    if (e < b)
        return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' has data_offsets [%llu, %llu]: end "
                       "before begin", P, name, (unsigned long long)b, (unsigned long long)e);
    if (e > st->data_size)
        return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' has data_offsets [%llu, %llu] past the "
                       "end of the data (%llu bytes)", P, name, (unsigned long long)b,
                       (unsigned long long)e, (unsigned long long)st->data_size);
    if (e - b != t->count * 4)
        return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' has %llu bytes of data but its shape "
                       "needs %llu", P, name, (unsigned long long)(e - b),
                       (unsigned long long)(t->count * 4));
    t->begin = b;
    t->end = e;
    t->name = strdup(name);
    if (!t->name)
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", P);
    return DN_OK;
}

/* Offset of the first byte that breaks UTF-8 (overlong forms, surrogates
 * and code points above U+10FFFF included), or -1 when the text is valid. */
static long utf8_error(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                                  : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || i + len > n)
            return (long)i;
        unsigned cp = len == 1 ? c : c & (0x7Fu >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return (long)i;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return (long)i;
        i += len;
    }
    return -1;
}

static int parse_metadata(dn_st_file *st, const cJSON *meta, dn_err *err)
{
    if (!cJSON_IsObject(meta))
        return dn_fail(err, DN_EFORMAT, "%s: __metadata__ is not an object", st->path);
    int n = cJSON_GetArraySize(meta);
    st->keys = calloc((size_t)n + 1, sizeof *st->keys);
    st->values = calloc((size_t)n + 1, sizeof *st->values);
    if (!st->keys || !st->values)
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", st->path);
    const cJSON *kv;
    cJSON_ArrayForEach(kv, meta)
    {
        if (!cJSON_IsString(kv))
            return dn_fail(err, DN_EFORMAT, "%s: __metadata__ value of '%s' is not a string",
                           st->path, kv->string);
        for (int i = 0; i < st->n_meta; i++)
            if (strcmp(st->keys[i], kv->string) == 0)
                return dn_fail(err, DN_EFORMAT, "%s: __metadata__ key '%s' appears twice",
                               st->path, kv->string);
        /* Counted before checking: dn_st_close frees both, or the one that
         * was copied when the other could not be. */
        int k = st->n_meta++;
        st->keys[k] = strdup(kv->string);
        st->values[k] = strdup(kv->valuestring);
        if (!st->keys[k] || !st->values[k])
            return dn_fail(err, DN_ENOMEM, "%s: out of memory", st->path);
    }
    return DN_OK;
}

static int by_begin(const void *a, const void *b)
{
    const dn_st_tensor *x = *(const dn_st_tensor *const *)a, *y = *(const dn_st_tensor *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* The tensors must tile the data exactly, as the format requires. */
static int check_layout(dn_st_file *st, dn_err *err)
{
    dn_st_tensor **order = malloc(((size_t)st->n + 1) * sizeof *order);
    if (!order)
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", st->path);
    for (int i = 0; i < st->n; i++)
        order[i] = &st->t[i];
    qsort(order, (size_t)st->n, sizeof *order, by_begin);
    uint64_t pos = 0;
    const char *prev = NULL;
    int rc = DN_OK;
    for (int i = 0; i < st->n && !rc; i++) {
        const dn_st_tensor *t = order[i];
        if (t->begin < pos)
            rc = dn_fail(err, DN_EFORMAT, "%s: tensors '%s' and '%s' overlap in the data",
                         st->path, prev, t->name);
        else if (t->begin > pos)
            rc = dn_fail(err, DN_EFORMAT, "%s: data bytes [%llu, %llu) belong to no tensor",
                         st->path, (unsigned long long)pos, (unsigned long long)t->begin);
        pos = t->end > pos ? t->end : pos;
        prev = t->name;
    }
    if (!rc && pos != st->data_size)
        rc = dn_fail(err, DN_EFORMAT, "%s: %llu bytes after the last tensor's data", st->path,
                     (unsigned long long)(st->data_size - pos));
    free(order);
    return rc;
}

int dn_st_open(dn_st_file *st, const char *path, dn_err *err)
{
    memset(st, 0, sizeof *st);
    snprintf(st->path, sizeof st->path, "%s", path);
    st->f = fopen(path, "rb");
    if (!st->f)
        return dn_fail(err, DN_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(st->f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        dn_st_close(st);
        return dn_fail(err, DN_EIO, "%s: not a regular file", path);
    }
    uint64_t size = (uint64_t)sb.st_size;
    unsigned char lenb[8];
    if (size < 8 || fread(lenb, 1, 8, st->f) != 8) {
        dn_st_close(st);
        return dn_fail(err, DN_EFORMAT, "%s: truncated: %llu bytes, fewer than the 8 of the "
                       "header length", path, (unsigned long long)size);
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | lenb[i];
    if (hlen > DN_SAFETENSORS_MAX_HEADER) {
        dn_st_close(st);
        return dn_fail(err, DN_EFORMAT, "%s: header length %llu is above the limit of %u bytes",
                       path, (unsigned long long)hlen, DN_SAFETENSORS_MAX_HEADER);
    }
    if (hlen > size - 8) {
        dn_st_close(st);
        return dn_fail(err, DN_EFORMAT, "%s: header length %llu runs past the end of the file "
                       "(%llu bytes)", path, (unsigned long long)hlen, (unsigned long long)size);
    }
    if (hlen < 2) {
        dn_st_close(st);
        return dn_fail(err, DN_EFORMAT, "%s: header of %llu bytes cannot hold a JSON object",
                       path, (unsigned long long)hlen);
    }
    st->data_start = 8 + hlen;
    st->data_size = size - st->data_start;
    char *text = malloc((size_t)hlen + 1);
    if (!text) {
        dn_st_close(st);
        return dn_fail(err, DN_ENOMEM, "%s: cannot allocate a header of %llu bytes", path,
                       (unsigned long long)hlen);
    }
    if (fread(text, 1, (size_t)hlen, st->f) != (size_t)hlen) {
        free(text);
        dn_st_close(st);
        return dn_fail(err, DN_EIO, "%s: cannot read the header", path);
    }
    text[hlen] = '\0';
    int rc = DN_OK;
    const char *end = NULL;
    cJSON *root = NULL;
    /* The format requires the header to start with '{'; it may end with spaces. */
    if (text[0] != '{' || memchr(text, '\0', (size_t)hlen)) {
        rc = dn_fail(err, DN_EFORMAT, "%s: the header is not a JSON object", path);
        goto out;
    }
    /* The format's header is UTF-8 JSON; cJSON passes any byte through. */
    long bad = utf8_error((const unsigned char *)text, (size_t)hlen);
    if (bad >= 0) {
        rc = dn_fail(err, DN_EFORMAT, "%s: the header is not valid UTF-8 (at byte %ld of the "
                     "header)", path, bad);
        goto out;
    }
    root = cJSON_ParseWithLengthOpts(text, (size_t)hlen, &end, 0);
    if (!root || !cJSON_IsObject(root)) {
        rc = dn_fail(err, DN_EFORMAT, "%s: the header is not valid JSON", path);
        goto out;
    }
    for (const char *p = end; p && p < text + hlen; p++)
        if (*p != ' ') {
            rc = dn_fail(err, DN_EFORMAT, "%s: the header has bytes after its JSON object", path);
            goto out;
        }
    int n = cJSON_GetArraySize(root);
    st->t = calloc((size_t)n + 1, sizeof *st->t);
    if (!st->t) {
        rc = dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    const cJSON *item;
    int seen_meta = 0;
    cJSON_ArrayForEach(item, root)
    {
        if (strcmp(item->string, "__metadata__") == 0) {
            if (seen_meta++) {
                rc = dn_fail(err, DN_EFORMAT, "%s: __metadata__ appears twice", path);
                goto out;
            }
            if ((rc = parse_metadata(st, item, err)))
                goto out;
            continue;
        }
        if (dn_st_find(st, item->string)) {
            rc = dn_fail(err, DN_EFORMAT, "%s: tensor '%s' appears twice", path, item->string);
            goto out;
        }
        if ((rc = parse_tensor(st, item, &st->t[st->n], err)))
            goto out;
        st->n++;
    }
    rc = check_layout(st, err);
out:
    cJSON_Delete(root);
    free(text);
    if (rc)
        dn_st_close(st);
    return rc;
}

const dn_st_tensor *dn_st_find(const dn_st_file *st, const char *name)
{
    for (int i = 0; i < st->n; i++)
        if (strcmp(st->t[i].name, name) == 0)
            return &st->t[i];
    return NULL;
}

const char *dn_st_meta(const dn_st_file *st, const char *key)
{
    for (int i = 0; i < st->n_meta; i++)
        if (strcmp(st->keys[i], key) == 0)
            return st->values[i];
    return NULL;
}

int dn_st_read(dn_st_file *st, const dn_st_tensor *t, float *dst, dn_err *err)
{
    if (fseeko(st->f, (off_t)(st->data_start + t->begin), SEEK_SET) != 0 ||
        fread(dst, 4, (size_t)t->count, st->f) != (size_t)t->count)
        return dn_fail(err, DN_EIO, "%s: cannot read the data of tensor '%s'", st->path,
                       t->name);
    for (uint64_t i = 0; i < t->count; i++)
        if (!isfinite(dst[i]))
            return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' holds %s at element %llu", st->path,
                           t->name, isnan(dst[i]) ? "NaN" : "an infinity", (unsigned long long)i);
    return DN_OK;
}

/* Appends an integer to a JSON array, every digit written (cJSON prints
 * doubles above 2^31 with 15 significant digits). 0 on success. */
static int add_integer(cJSON *array, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    cJSON *item = cJSON_CreateRaw(buf);
    if (!item || !cJSON_AddItemToArray(array, item)) {
        cJSON_Delete(item);
        return -1;
    }
    return 0;
}

int dn_st_write(const char *path, const dn_st_out *t, int n, const char *const *meta, int n_meta,
                dn_err *err)
{
    cJSON *root = cJSON_CreateObject();
    int rc = DN_OK;
    dn_chunk *chunks = calloc((size_t)n + 2, sizeof *chunks);
    char *text = NULL;
    /* Every piece of the header is checked: a header missing a piece for
     * want of memory would be a wrong file, not an error. */
    int bad = !root || !chunks;
    if (!bad && n_meta > 0) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        bad = !m;
        for (int i = 0; i < n_meta && !bad; i++)
            bad = !cJSON_AddStringToObject(m, meta[2 * i], meta[2 * i + 1]);
    }
    uint64_t off = 0;
    for (int i = 0; i < n && !bad; i++) {
        cJSON *o = cJSON_AddObjectToObject(root, t[i].name);
        cJSON *shape = NULL, *offs = NULL;
        bad = !o || !cJSON_AddStringToObject(o, "dtype", "F32") ||
              !(shape = cJSON_AddArrayToObject(o, "shape"));
        uint64_t count = 1;
        for (int d = 0; d < t[i].rank && !bad; d++) {
            bad = add_integer(shape, t[i].shape[d]) != 0;
            count *= t[i].shape[d];
        }
        bad = bad || !(offs = cJSON_AddArrayToObject(o, "data_offsets")) ||
              add_integer(offs, off) || add_integer(offs, off + 4 * count);
        chunks[2 + i].data = t[i].data;
        chunks[2 + i].size = (size_t)(4 * count);
        off += 4 * count;
    }
    if (bad) {
        rc = dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    char *json = cJSON_PrintUnformatted(root);
    if (!json) {
        rc = dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    /* Pad the header with spaces to a multiple of 8 bytes, as the format
     * recommends, so the data starts aligned. */
    size_t len = strlen(json), padded = (len + 7) & ~(size_t)7;
    text = malloc(padded);
    if (!text) {
        free(json);
        rc = dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    memcpy(text, json, len);
    memset(text + len, ' ', padded - len);
    free(json);
    unsigned char lenb[8];
    for (int i = 0; i < 8; i++)
        lenb[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    chunks[0] = (dn_chunk){lenb, 8};
    chunks[1] = (dn_chunk){text, padded};
    rc = dn_write_atomic(path, chunks, n + 2, err);
out:
    free(text);
    free(chunks);
    cJSON_Delete(root);
    return rc;
}
