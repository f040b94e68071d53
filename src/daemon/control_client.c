/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * control_client.c: the command line's side of the control socket
 * (control.h has the protocol). It uses plain sockets and GLib only,
 * so that the sendmail program, which links no GIO, can hand a message
 * over to the daemon.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "daemon/control_client.h"

gboolean
mm_control_socket_address(struct sockaddr_un *sun, const char *path, GError **error)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun->sun_path) {
		g_set_error(error, MM_ERROR, MM_ERROR_LIMIT, "%s: path too long for a socket", path);
		return FALSE;
	}
	strcpy(sun->sun_path, path);
	return TRUE;
}

char *
mm_control_socket_path(const char *pid_dir)
{
	return g_build_filename(pid_dir, MM_CONTROL_SOCKET_NAME, NULL);
}

static int
remaining_ms(gint64 deadline)
{
	gint64 left = (deadline - g_get_monotonic_time()) / 1000;
	return left > 0 ? (int)left : 0;
}

static gboolean
wait_fd(int fd, short events, gint64 deadline, GError **error)
{
	for (;;) {
		GPollFD p = { .fd = fd, .events = events };
		int ms = remaining_ms(deadline);
		int r = ms > 0 ? g_poll(&p, 1, ms) : 0;

		if (r > 0)
			return TRUE;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			mm_error_set_errno(error, errno, "poll");
			return FALSE;
		}
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "the daemon did not answer within %d ms",
		            MM_CONTROL_CLIENT_TIMEOUT_MS);
		return FALSE;
	}
}

static gboolean
client_connect(int fd, const char *path, gint64 deadline, GError **error)
{
	struct sockaddr_un sun;
	int err = 0;
	socklen_t len = sizeof err;

	if (!mm_control_socket_address(&sun, path, error))
		return FALSE;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
		return TRUE;
	if (errno == ENOENT || errno == ECONNREFUSED) {
		g_set_error(error, MM_ERROR, MM_ERROR_NOT_FOUND, "no daemon is running (%s: %s)", path,
		            g_strerror(errno));
		return FALSE;
	}
	if (errno != EAGAIN && errno != EINPROGRESS) {
		mm_error_set_errno(error, errno, "cannot connect to %s", path);
		return FALSE;
	}
	/* the daemon's backlog is full: wait for it within the time */
	if (!wait_fd(fd, G_IO_OUT, deadline, error))
		return FALSE;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
		mm_error_set_errno(error, err ? err : errno, "cannot connect to %s", path);
		return FALSE;
	}
	return TRUE;
}

static char *
parse_answer(GString *in, GError **error)
{
	g_auto(GStrv) lines = NULL;
	const char *body;

	if (!g_str_has_prefix(in->str, "result: ok\n") && !g_str_has_prefix(in->str, "result: error\n")) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "the daemon's answer is not one");
		return NULL;
	}
	/* without the final empty line */
	g_string_truncate(in, in->len - 1);
	body = strchr(in->str, '\n') + 1;
	if (g_str_has_prefix(in->str, "result: ok\n"))
		return g_strdup(body);
	lines = g_strsplit(body, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (g_str_has_prefix(*l, "error: ")) {
			g_set_error(error, MM_ERROR, MM_ERROR_FAILED, "%s", *l + strlen("error: "));
			return NULL;
		}
	}
	g_set_error(error, MM_ERROR, MM_ERROR_FAILED, "the daemon refused");
	return NULL;
}

char *
mm_control_request(const char *pid_dir, const char *command, GError **error)
{
	g_autofree char *path = mm_control_socket_path(pid_dir);
	g_autofree char *line = g_strdup_printf("%s\n", command);
	g_autoptr(GString) in = g_string_new(NULL);
	gint64 deadline = g_get_monotonic_time() + (gint64)MM_CONTROL_CLIENT_TIMEOUT_MS * 1000;
	gsize sent = 0, len = strlen(line);
	char *result = NULL;
	int fd;

	if (len > MM_CONTROL_LINE_MAX || strchr(command, '\n')) {
		g_set_error(error, MM_ERROR, MM_ERROR_LIMIT, "command too long for the control socket");
		return NULL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		mm_error_set_errno(error, errno, "socket");
		return NULL;
	}
	if (!client_connect(fd, path, deadline, error))
		goto out;
	while (sent < len) {
		ssize_t n = send(fd, line + sent, len - sent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_fd(fd, G_IO_OUT, deadline, error))
				goto out;
			continue;
		}
		if (n < 0) {
			mm_error_set_errno(error, errno, "cannot talk to the daemon");
			goto out;
		}
		sent += (gsize)n;
	}
	/* the answer ends with an empty line, then the daemon closes */
	while (!g_str_has_suffix(in->str, "\n\n")) {
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof buf, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_fd(fd, G_IO_IN, deadline, error))
				goto out;
			continue;
		}
		if (n < 0) {
			mm_error_set_errno(error, errno, "cannot read the daemon's answer");
			goto out;
		}
		if (n == 0) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "the daemon closed the connection without an answer");
			goto out;
		}
		if (in->len + (gsize)n > MM_CONTROL_REPLY_MAX) {
			g_set_error(error, MM_ERROR, MM_ERROR_LIMIT, "the daemon's answer is longer than %d octets",
			            MM_CONTROL_REPLY_MAX);
			goto out;
		}
		g_string_append_len(in, buf, n);
	}
	result = parse_answer(in, error);
out:
	close(fd);
	return result;
}
