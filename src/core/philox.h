/* Philox4x32-10 from Random123, inlined where masks are drawn in bulk. */
#ifndef DN_PHILOX_H
#define DN_PHILOX_H

#include "dropnet.h"

#include <Random123/philox.h>

/* Block `block` of stream s: the counter and key layout of dn_philox. */
static inline philox4x32_ctr_t dn_philox_inline(dn_stream s, uint64_t block)
{
    philox4x32_ctr_t c = {{(uint32_t)block, (uint32_t)(block >> 32), s.purpose, s.step}};
    philox4x32_key_t k = {{(uint32_t)s.seed, (uint32_t)(s.seed >> 32)}};
    return philox4x32(c, k);
}

#endif
