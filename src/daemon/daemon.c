/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * daemon.c starts the daemon: listeners first (so that a port already
 * in use is reported to the caller), then detaching, the pid file and
 * the main loop. Sessions are handed to the SMTP server.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "daemon/daemon.h"
#include "daemon/listen.h"

typedef struct {
	const MmDaemonConfig *cfg;
	GMainLoop *loop;
	GSocketService *service;
	char *pid_file;
} Daemon;

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer user_data)
{
	Daemon *d = user_data;
	g_autoptr(GSocketAddress) peer = g_socket_connection_get_remote_address(conn, NULL);
	g_autofree char *who = NULL;
	g_autofree char *reply = NULL;
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));

	if (peer && G_IS_INET_SOCKET_ADDRESS(peer))
		who = g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(peer)));
	mm_log(LOG_INFO, "connect from=%s", who ? who : "unknown");
	/* The SMTP server is not part of this daemon yet: turn clients
	 * away with a temporary error so that they keep their mail. */
	reply = g_strdup_printf("421 4.3.2 %s SMTP service not available\r\n", d->cfg->host_name);
	g_output_stream_write_all(out, reply, strlen(reply), NULL, NULL, NULL);
	g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
	return TRUE;
}

static gboolean
on_quit_signal(gpointer user_data)
{
	Daemon *d = user_data;
	mm_log(LOG_NOTICE, "daemon stopping on signal");
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean
write_pid_file(Daemon *d, GError **error)
{
	g_autofree char *text = g_strdup_printf("%d\n", (int)getpid());

	d->pid_file = g_build_filename(d->cfg->pid_dir, "masqmail.pid", NULL);
	return g_file_set_contents_full(d->pid_file, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static gboolean
detach(GError **error)
{
	pid_t pid = fork();
	int null_fd;

	if (pid < 0) {
		mm_error_set_errno(error, errno, "fork");
		return FALSE;
	}
	if (pid > 0)
		_exit(0);
	setsid();
	if (chdir("/") != 0) {
		mm_error_set_errno(error, errno, "chdir /");
		return FALSE;
	}
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
		dup2(null_fd, STDERR_FILENO);
		if (null_fd > STDERR_FILENO)
			close(null_fd);
	}
	return TRUE;
}

static gboolean
add_listeners(Daemon *d, GError **error)
{
	g_autoptr(GPtrArray) socks = NULL;

	if (!d->cfg->listen_addresses)
		return TRUE;
	socks = mm_listen_open(d->cfg->listen_addresses, error);
	if (!socks)
		return FALSE;
	d->service = g_socket_service_new();
	for (guint i = 0; i < socks->len; i++) {
		if (!g_socket_listener_add_socket(G_SOCKET_LISTENER(d->service), socks->pdata[i], NULL, error))
			return FALSE;
	}
	g_signal_connect(d->service, "incoming", G_CALLBACK(on_incoming), d);
	return TRUE;
}

int
mm_daemon_run(const MmDaemonConfig *cfg)
{
	Daemon d = { .cfg = cfg };
	g_autoptr(GError) error = NULL;

	if (!add_listeners(&d, &error)) {
		mm_log(LOG_ERR, "daemon not started: %s", error->message);
		g_clear_object(&d.service);
		return mm_error_is_temporary(error) ? EX_TEMPFAIL : EX_CONFIG;
	}
	if (!cfg->foreground && !detach(&error)) {
		mm_log(LOG_ERR, "cannot detach: %s", error->message);
		return EX_OSERR;
	}
	if (!write_pid_file(&d, &error)) {
		mm_log(LOG_ERR, "cannot write the pid file: %s", error->message);
		g_clear_object(&d.service);
		return EX_CANTCREAT;
	}
	d.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, on_quit_signal, &d);
	g_unix_signal_add(SIGINT, on_quit_signal, &d);
	mm_log(LOG_NOTICE, "daemon started pid=%d listen=%s", (int)getpid(),
	       cfg->listen_addresses ? "yes" : "no");
	g_main_loop_run(d.loop);

	if (d.service)
		g_socket_service_stop(d.service);
	g_clear_object(&d.service);
	unlink(d.pid_file);
	g_free(d.pid_file);
	g_main_loop_unref(d.loop);
	mm_log(LOG_NOTICE, "daemon stopped");
	return EX_OK;
}
