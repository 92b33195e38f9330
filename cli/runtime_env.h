/* Shared by the programs (dropnet, dropnet-bench): settings that the OpenMP
 * runtime and OpenBLAS read only when they load, so a program that wants them
 * sets them and restarts itself once, before doing anything else.
 *
 * - OMP_WAIT_POLICY=PASSIVE unless the user chose a policy: idle OpenMP
 *   threads sleep instead of spinning. With another busy process on a 2-core
 *   machine, spinning made an epoch take 1.8 to 14.5 s against 0.8 to 0.85 s
 *   sleeping; on an idle machine sleeping costs a few percent
 *   (OMP_WAIT_POLICY=ACTIVE gets them back).
 * - OPENBLAS_CORETYPE where OpenBLAS fell back to its generic kernels on a
 *   CPU newer than itself (see dn_blas_better_coretype). */
#ifndef DN_RUNTIME_ENV_H
#define DN_RUNTIME_ENV_H

#include "dropnet.h"

#include <stdlib.h>
#include <unistd.h>

static inline void fit_runtime_env(char **argv)
{
    int restart = 0;
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        restart = 1;
    }
    const char *core = dn_blas_better_coretype();
    if (core && !getenv("OPENBLAS_CORETYPE")) {
        setenv("OPENBLAS_CORETYPE", core, 1);
        restart = 1;
    }
    if (restart)
        execv("/proc/self/exe", argv);
    /* no restart possible: carry on with the settings as they are */
}

#endif
