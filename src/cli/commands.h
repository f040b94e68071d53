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
/* --status: 0 when a provider is online, 1 when none is */
int mm_cmd_status(const MmOptions *opts, const MmConf *conf);

/* The configuration the options name: --state-dir's embedded one, -C's
 * file or the compiled-in one. NULL with MM_ERROR_CONFIG on errors. */
MmConf *mm_cmd_load_configuration(const MmOptions *opts, GError **error);

/* The sysexits(3) status for a failure of this kind. */
int mm_cmd_exit_status(const GError *error);
