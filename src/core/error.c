#include "core/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Index of the first byte of the UTF-8 character holding byte i. */
static size_t char_start(const char *s, size_t i)
{
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* Length of msg once every word longer than cap is cut to cap bytes. */
static size_t fitted_length(const char *msg, size_t len, size_t cap)
{
    size_t out = len;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && msg[j] != ' ')
            j++;
        if (j - i > cap)
            out -= j - i - cap;
        i = j + 1;
    }
    return out;
}

void dn_message_fit(char *msg, size_t size)
{
    if (size < 8)
        return;
    size_t len = strlen(msg);
    if (len < size)
        return;
    /* The long words of a message too long are nearly always paths: cut
     * each one longer than some cap in its middle ("/home/u/...ns/run7"),
     * the largest cap that makes the message fit, so that the reason after
     * them stays whole. A cut word keeps at least 12 bytes either side. */
    enum { KEEP = 12, MIN_CAP = 2 * KEEP + 3 };
    size_t lo = MIN_CAP, hi = len; /* the largest cap in [lo, hi] that fits, else lo */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (fitted_length(msg, len, mid) < size)
            lo = mid;
        else
            hi = mid - 1;
    }
    size_t cap = lo;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && msg[j] != ' ')
            j++;
        if (j - i > cap) {
            size_t head = char_start(msg, i + (cap - 3) / 2);
            size_t tail = j - (cap - 3 - (head - i)); /* first byte kept after "..." */
            while (((unsigned char)msg[tail] & 0xC0) == 0x80)
                tail++;
            memcpy(msg + head, "...", 3);
            memmove(msg + head + 3, msg + tail, len - tail + 1);
            len -= tail - head - 3;
            j = head + 3 + (j - tail);
        }
        i = j + 1;
    }
    if (len >= size) {
        size_t end = char_start(msg, size - 4);
        memcpy(msg + end, "...", 4);
    }
}

int dn_fail(dn_err *err, dn_status code, const char *fmt, ...)
{
    if (err) {
        /* Formatted whole first, then made to fit: a long path must not push
         * the reason out of the message. Formatting into a buffer of its own
         * also lets an argument quote err->msg itself. */
        char full[8192];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(full, sizeof full, fmt, ap);
        va_end(ap);
        dn_message_fit(full, sizeof err->msg);
        memcpy(err->msg, full, strlen(full) + 1);
        /* One line, whatever a message quotes from a file (a name or a value
         * may hold a newline, a carriage return or a terminal escape). */
        for (char *p = err->msg; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        err->code = code;
    }
    return (int)code;
}

const char *dn_status_name(dn_status code)
{
    switch (code) {
    case DN_OK: return "ok";
    case DN_EINVAL: return "invalid argument";
    case DN_EIO: return "i/o error";
    case DN_EFORMAT: return "bad format";
    case DN_ENOMEM: return "out of memory";
    case DN_ENUMERIC: return "numeric error";
    case DN_ESTOPPED: return "stopped";
    case DN_EWRITE: return "write error";
    case DN_EUNAVAILABLE: return "unavailable";
    }
    return "unknown error";
}

const char *dn_version(void) { return DROPNET_VERSION; }

void *dn_alloc(size_t count, size_t size)
{
    if (size != 0 && count > (SIZE_MAX - 63) / size)
        return NULL;
    size_t bytes = count * size;
    bytes = (bytes + 63) & ~(size_t)63;
    if (bytes == 0)
        bytes = 64;
    void *p = aligned_alloc(64, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void dn_free(void *p) { free(p); }

double dn_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
