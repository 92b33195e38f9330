/* Shared by the programs (dropnet, dropnet-bench): OpenBLAS on a CPU newer
 * than itself uses generic kernels; restart once with the core type that
 * fits (see dn_blas_better_coretype). */
#ifndef DN_BLAS_KERNELS_H
#define DN_BLAS_KERNELS_H

#include "dropnet.h"

#include <stdlib.h>
#include <unistd.h>

static inline void fit_blas_kernels(char **argv)
{
    const char *core = dn_blas_better_coretype();
    if (!core || getenv("OPENBLAS_CORETYPE"))
        return;
    setenv("OPENBLAS_CORETYPE", core, 1);
    execv("/proc/self/exe", argv);
    /* no restart possible: carry on with the generic kernels */
}

#endif
