/* Reading a run's config.json: shared by the run directory reader
 * (src/files/rundir.c) and start-or-resume (resume.c). */
#ifndef DN_TRAIN_CONFIG_H
#define DN_TRAIN_CONFIG_H

#include "dropnet.h"

/* The text of a config.json file (free() it): at most 1 MiB and no NUL
 * byte, or NULL with err set (the message names path). */
char *dn_config_text(const char *path, dn_err *err);

/* config.json text json with "epochs" set to `to` and {"from", "to", "at"}
 * appended to its "extended" list (made when missing): how a resumed run
 * records that it was extended. The rest stays as it was (free() it). */
char *dn_config_extend(const char *json, int from, int to, dn_err *err);

#endif
