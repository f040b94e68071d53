/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "conf/conf.h"

/* The port the embedded configuration listens on (localhost only). */
#define MM_STATE_DIR_PORT 2525

/* Makes @dir and its spool, log, lock, run and mail directories
 * (mode 0700 for the state directory itself) and returns the embedded
 * default configuration with everything under @dir, run as the calling
 * user. NULL with an error when a directory cannot be made. */
MmConf *mm_state_dir_conf(const char *dir, GError **error);
