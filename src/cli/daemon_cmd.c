/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "cli/commands.h"
#include "daemon/daemon.h"

int
mm_cmd_daemon(const MmOptions *opts, const MmConf *conf)
{
	MmDaemonConfig cfg = {
		.conf = conf,
		.listen_addresses = opts->listen ? (const char *const *)conf->listen_addresses : NULL,
		.pid_dir = conf->pid_dir,
		.host_name = conf->host_name,
		.foreground = opts->foreground,
		.queue_interval = opts->queue_interval,
	};
	return mm_daemon_run(&cfg);
}
