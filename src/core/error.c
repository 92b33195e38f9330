#include "core/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int dn_fail(dn_err *err, dn_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
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
