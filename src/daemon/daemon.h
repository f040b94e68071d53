/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The long-running daemon (-bd, -bD, -qINTERVAL): one process with a
 * GLib main loop that owns the listeners, the SMTP child, the delivery
 * and queue-run children (jobs.h), the queue timer and the signals:
 * SIGTERM and SIGINT stop it, SIGHUP re-reads the configuration.
 */
#pragma once

#include <glib.h>

#include "conf/conf.h"

/* Reads the configuration again, from where it was read at start.
 * Returns a new MmConf (the daemon owns it), or NULL with the error
 * (MM_ERROR_CONFIG: "file:line: what"). */
typedef MmConf *(*MmDaemonReloadFunc)(gpointer data, GError **error);

typedef struct {
	const MmConf *conf;                  /* borrowed, must outlive the daemon */
	const char *const *listen_addresses; /* NULL: no SMTP listener (-q only) */
	const char *pid_dir;
	const char *host_name;
	gboolean foreground;                 /* -bD: do not detach */
	gboolean queue_only;                 /* -odq: do not deliver accepted mail at once */
	gint64 queue_interval;               /* seconds between queue runs, 0 for none */
	MmDaemonReloadFunc reload;           /* SIGHUP; NULL: SIGHUP is only logged */
	gpointer reload_data;
} MmDaemonConfig;

/* Runs until SIGTERM or SIGINT. Returns a sysexits(3) exit status;
 * start-up failures are logged here, and written to standard error
 * when the daemon would detach. Without @cfg->foreground the calling
 * process returns only on failure: once the daemon runs (listeners
 * bound, pid file written) it exits with 0 and the daemon goes on in a
 * process of its own. */
int mm_daemon_run(const MmDaemonConfig *cfg);
