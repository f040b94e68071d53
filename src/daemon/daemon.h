/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The long-running daemon (-bd, -bD, -qINTERVAL): one process with a
 * GLib main loop that owns the listeners, the queue timer and signal
 * handling.
 */
#pragma once

#include <glib.h>

#include "conf/conf.h"

typedef struct {
	const MmConf *conf;                  /* the SMTP server's options; needed with listen_addresses */
	const char *const *listen_addresses; /* NULL: no SMTP listener (-q only) */
	const char *pid_dir;
	const char *host_name;
	gboolean foreground;                 /* -bD: do not detach */
	gint64 queue_interval;               /* seconds between queue runs, 0 for none */
} MmDaemonConfig;

/* Runs until SIGTERM or SIGINT. Returns a sysexits(3) exit status;
 * start-up failures are logged here. */
int mm_daemon_run(const MmDaemonConfig *cfg);
