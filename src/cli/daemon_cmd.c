/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * daemon_cmd.c turns the command line of -bd, -bD, smtpd and
 * -qINTERVAL into the daemon's settings, and tells the daemon where its
 * configuration came from, so that SIGHUP reads the same file again
 * (or builds the embedded one of --state-dir again).
 */
#include "config.h"

#include "cli/commands.h"
#include "daemon/daemon.h"

static MmConf *
reload_configuration(gpointer data, GError **error)
{
	return mm_cmd_load_configuration(data, error);
}

int
mm_cmd_daemon(const MmOptions *opts, const MmConf *conf)
{
	MmDaemonConfig cfg = {
		.conf = conf,
		.listen_addresses = opts->listen ? (const char *const *)conf->listen_addresses : NULL,
		.pid_dir = conf->pid_dir,
		.host_name = conf->host_name,
		.foreground = opts->foreground,
		.queue_only = opts->queue_only,
		.queue_interval = opts->queue_interval,
		.reload = reload_configuration,
		.reload_data = (gpointer)opts,
	};
	return mm_daemon_run(&cfg);
}
