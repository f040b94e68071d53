/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The control socket: a local UNIX stream socket, masqmail.sock in
 * pid_dir, through which `masqmail --status`, the sendmail command line
 * and the administrator talk to the running daemon. The server side
 * lives in the daemon's main loop and never blocks; the client side is
 * for the command line (control_client.h, which links without GIO).
 *
 * Protocol: the client sends one line (at most MM_CONTROL_LINE_MAX
 * octets with its LF), the server answers with `key: value` lines and
 * an empty line, then closes. The first line of every answer is
 * `result: ok` or `result: error`; an error is followed by
 * `error: TEXT`.
 *
 *   STATUS       the status report (status.h), as --status prints it
 *   RUN [NAME]   ask for a queue run now (through query_routes.NAME, or
 *                through whatever is online)
 *   QUEUED UID   the command line committed message UID to the spool:
 *                deliver it as a queued message
 *
 * Everyone local may connect. The peer is identified by SO_PEERCRED and
 * logged. QUEUED carries no content, only an id that the daemon checks
 * (mm_uid_is_valid()) and delivers like any queued message, so a local
 * user can never plant spool content through the socket.
 *
 * For daemon.c: start_control() makes the server once the daemon runs
 * (after the pid file, the links and the detach) with
 *
 *     d->control = mm_control_server_new(d->conf, &handlers, &error);
 *
 * whose handlers are control_get_state() (d->state), control_run()
 * (mm_links_run(), or one queue run without links) and
 * control_queued() (message_queued(), as for the SMTP child's ids).
 * The Daemon keeps it in d->control; close_parent_fds() calls
 * mm_control_server_close_in_child(d->control) so that no child keeps
 * the socket; on_reload_signal() calls mm_control_server_set_conf();
 * on_quit_signal() and daemon_clear() free it with
 * g_clear_pointer(&d->control, mm_control_server_free), so that a
 * stopping daemon takes no more hand-overs. Keep those calls when
 * restructuring the daemon.
 */
#pragma once

#include <glib.h>

#include "conf/conf.h"
#include "daemon/control_client.h"
#include "daemon/state.h"

typedef struct _MmControlServer MmControlServer;

/* What the daemon does for the commands; every member may be NULL
 * (the command is then answered with an error). All are called from
 * the main loop. */
typedef struct {
	/* STATUS: the daemon's state as it is now, borrowed; NULL when
	 * it has none (no link watcher). */
	const MmDaemonState *(*get_state)(gpointer data);
	/* RUN [NAME]: @name NULL for "whatever is online". TRUE when a
	 * run starts or already goes on; FALSE with an error saying why
	 * not (MM_ERROR_NOT_FOUND: no such connection). */
	gboolean (*run)(const char *name, gpointer data, GError **error);
	/* QUEUED UID: @uid has passed mm_uid_is_valid(); deliver it
	 * (as mm_jobs_deliver() does) unless the daemon queues only. */
	void (*queued)(const char *uid, gpointer data);
	gpointer data;
} MmControlHandlers;

/* Makes the socket MM_CONTROL_SOCKET_NAME in @conf->pid_dir (a stale
 * one is replaced; pid_dir is made when missing) and serves it in the
 * default main context. Mode 0660; when we are root and not
 * run_as_user the socket's group is MM_GROUP. @conf and @handlers are
 * borrowed (the handlers are copied). Returns NULL with an errno-based
 * error when the socket cannot be made. */
MmControlServer *mm_control_server_new(const MmConf *conf, const MmControlHandlers *handlers,
                                       GError **error);

/* After a reload (borrowed, as in _new()). The socket stays where it
 * was made until the daemon restarts. */
void mm_control_server_set_conf(MmControlServer *srv, const MmConf *conf);

/* Connections open now (for tests and logs). */
guint mm_control_server_n_clients(const MmControlServer *srv);

/* Closes the listening socket and the connections in the socket's
 * descriptors only, for a forked child: nothing is unlinked, no main
 * loop source is touched. NULL-safe. */
void mm_control_server_close_in_child(MmControlServer *srv);

/* Closes everything and removes the socket file. NULL-safe. */
void mm_control_server_free(MmControlServer *srv);
