/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The start-up that masqmail (main.c) and the sendmail program
 * (sendmail.c) share, in this order: mm_cli_begin() before the options
 * are parsed, mm_cli_load() once they are, mm_cli_open_log() before the
 * mode runs. Each failure is printed on stderr and returned as a
 * sysexits(3) status.
 */
#pragma once

#include "cli/options.h"
#include "conf/conf.h"

/* Standard descriptors 0-2 open (on /dev/null when the caller closed
 * them), SIGPIPE and SIGXFSZ ignored, logging to stderr only. FALSE
 * when a descriptor cannot be opened. */
gboolean mm_cli_begin(void);

/* The usage error of @error, with the usage text; EX_USAGE. */
int mm_cli_usage_error(const GError *error);

/* Privileges (a caller-chosen -C or --state-dir gives up set-id
 * privilege), who may use -d, and the configuration. EX_OK with
 * *@conf set, or the status to exit with. */
int mm_cli_load(const MmOptions *opts, MmConf **conf);

/* The debug level, the log (for the modes that log) and -v. EX_OK or
 * the status to exit with. */
int mm_cli_open_log(const MmOptions *opts, const MmConf *conf);
