/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The modes of the masqmail command. Each returns a sysexits(3) status
 * and reports its errors on stderr itself.
 */
#pragma once

#include "cli/options.h"
#include "conf/conf.h"

/* -bp, mailq */
int mm_cmd_list_queue(const MmConf *conf);
/* -Mrm, mailrm */
int mm_cmd_remove(const MmConf *conf, const char *const *uids);
/* -bm, sendmail */
int mm_cmd_accept(const MmOptions *opts, const MmConf *conf);
/* -bd, -bD, -qINTERVAL */
int mm_cmd_daemon(const MmOptions *opts, const MmConf *conf);

/* The sysexits(3) status for a failure of this kind. */
int mm_cmd_exit_status(const GError *error);
