/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * control.c serves the control socket in the daemon's main loop and
 * talks to it from the command line (the protocol is in control.h).
 * Whatever arrives on the socket is parsed as hostile: one bounded
 * line, a closed set of commands, ids checked before anything is done
 * with them, a time limit and a limit on connections, and never a
 * blocking call in the loop. The server passes nothing but checked
 * ids and names to the daemon; what is delivered is read from the
 * spool by the delivery child, never from here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "daemon/control.h"
#include "daemon/status.h"
#include "queue/uid.h"

/* a connection name after RUN; query_routes names are short words */
#define NAME_MAX_LEN 64

typedef struct {
	MmControlServer *srv;
	int fd;
	guint io_id;
	guint timeout_id;
	GString *in;
	GString *out;
	gsize sent;
	pid_t pid;
	uid_t uid;
} Client;

struct _MmControlServer {
	const MmConf *conf;
	MmControlHandlers handlers;
	char *path;
	int fd;
	guint accept_id;
	GPtrArray *clients; /* Client* */
	gint64 started;
	gboolean refusing;  /* at the limit of connections */
};

/* ---- the server --------------------------------------------------------- */

static void
client_free(Client *c)
{
	g_clear_handle_id(&c->io_id, g_source_remove);
	g_clear_handle_id(&c->timeout_id, g_source_remove);
	if (c->fd >= 0)
		close(c->fd);
	g_string_free(c->in, TRUE);
	g_string_free(c->out, TRUE);
	g_free(c);
}

static void
client_close(Client *c)
{
	g_ptr_array_remove_fast(c->srv->clients, c);
}

static void
reply_error(Client *c, const char *text)
{
	g_string_append_printf(c->out, "result: error\nerror: %s\n\n", text);
}

static gboolean
valid_name(const char *name)
{
	gsize len = strlen(name);

	if (len == 0 || len > NAME_MAX_LEN)
		return FALSE;
	for (const char *p = name; *p; p++) {
		if (!g_ascii_isalnum(*p) && !strchr("-_.+", *p))
			return FALSE;
	}
	return TRUE;
}

static void
do_status(Client *c)
{
	MmControlServer *srv = c->srv;
	const MmDaemonState *state = srv->handlers.get_state ? srv->handlers.get_state(srv->handlers.data) : NULL;
	g_autoptr(GError) error = NULL;
	MmQueueFigures queue;
	/* The spool is read in the loop: a listing of ids and each -H
	 * file, no bodies. A queue of thousands makes STATUS slow, not
	 * the daemon wrong. */
	gboolean have_queue = mm_status_count_queue(srv->conf->spool_dir, &queue, &error);
	MmStatusInput in = {
		.daemon_running = TRUE,
		.pid = (int)getpid(),
		.started = srv->started,
		.now = g_get_real_time() / G_USEC_PER_SEC,
		.state = state,
		.queue = have_queue ? &queue : NULL,
	};
	g_autofree char *report = mm_status_render(&in);

	if (!have_queue)
		mm_log(LOG_WARNING, "control: cannot count the queue: %s", error->message);
	g_string_append_printf(c->out, "result: ok\n%s\n", report);
}

static void
do_run(Client *c, const char *name)
{
	MmControlServer *srv = c->srv;
	g_autoptr(GError) error = NULL;

	if (name && !valid_name(name)) {
		reply_error(c, "not a connection name");
		return;
	}
	if (!srv->handlers.run) {
		reply_error(c, "this daemon runs no queue");
		return;
	}
	if (!srv->handlers.run(name, srv->handlers.data, &error)) {
		g_autofree char *text = g_strdelimit(g_strdup(error->message), "\r\n", ' ');
		reply_error(c, text);
		return;
	}
	g_string_append_printf(c->out, "result: ok\nrun: %s\n\n", name ? name : "online");
}

static void
do_queued(Client *c, const char *uid)
{
	MmControlServer *srv = c->srv;

	/* only an id crosses the socket; the daemon reads the message
	 * from the spool, where only the queue's own code writes */
	if (!uid || !mm_uid_is_valid(uid)) {
		reply_error(c, "not a message id");
		return;
	}
	if (!srv->handlers.queued) {
		reply_error(c, "this daemon does not deliver");
		return;
	}
	mm_log(LOG_INFO, "%s: handed over by pid=%d uid=%u", uid, (int)c->pid, (unsigned)c->uid);
	srv->handlers.queued(uid, srv->handlers.data);
	g_string_append_printf(c->out, "result: ok\nqueued: %s\n\n", uid);
}

static void
handle_line(Client *c, char *line)
{
	g_autofree char *shown = NULL;
	char *arg;

	g_strchomp(line);
	shown = g_strescape(line, NULL);
	mm_debug(1, "control: pid=%d uid=%u command=%s", (int)c->pid, (unsigned)c->uid, shown);
	arg = strchr(line, ' ');
	if (arg)
		*arg++ = '\0';
	if (strcmp(line, "STATUS") == 0 && !arg)
		do_status(c);
	else if (strcmp(line, "RUN") == 0)
		do_run(c, arg);
	else if (strcmp(line, "QUEUED") == 0)
		do_queued(c, arg);
	else
		reply_error(c, "unknown command");
}

/* Writes what is pending; TRUE while there is more. */
static gboolean
client_flush(Client *c)
{
	while (c->sent < c->out->len) {
		ssize_t n = send(c->fd, c->out->str + c->sent, c->out->len - c->sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return TRUE;
		if (n <= 0)
			return FALSE;
		c->sent += (gsize)n;
	}
	return FALSE;
}

static gboolean on_client_io(int fd, GIOCondition cond, gpointer data);

/* The answer is made: send it, and close when it is out. */
static void
client_answer(Client *c)
{
	if (!client_flush(c)) {
		client_close(c);
		return;
	}
	g_clear_handle_id(&c->io_id, g_source_remove);
	c->io_id = g_unix_fd_add(c->fd, G_IO_OUT, on_client_io, c);
}

static gboolean
on_client_io(int fd, GIOCondition cond, gpointer data)
{
	Client *c = data;
	char buf[MM_CONTROL_LINE_MAX];
	ssize_t n;
	char *nl;

	if (c->out->len > 0) {
		if (client_flush(c))
			return G_SOURCE_CONTINUE;
		c->io_id = 0;
		client_close(c);
		return G_SOURCE_REMOVE;
	}
	n = recv(fd, buf, sizeof buf, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		c->io_id = 0;
		client_close(c);
		return G_SOURCE_REMOVE;
	}
	g_string_append_len(c->in, buf, n);
	nl = memchr(c->in->str, '\n', c->in->len);
	if (!nl && c->in->len < MM_CONTROL_LINE_MAX)
		return G_SOURCE_CONTINUE;
	if (!nl || (gsize)(nl - c->in->str) >= MM_CONTROL_LINE_MAX) {
		mm_log(LOG_WARNING, "control: pid=%d uid=%u sent a line longer than %d octets", (int)c->pid,
		       (unsigned)c->uid, MM_CONTROL_LINE_MAX);
		reply_error(c, "line too long");
	} else if (memchr(c->in->str, '\0', nl - c->in->str)) {
		reply_error(c, "NUL in the command");
	} else {
		*nl = '\0';
		handle_line(c, c->in->str);
	}
	/* one command per connection: the rest is not read */
	c->io_id = 0;
	client_answer(c);
	return G_SOURCE_REMOVE;
}

static gboolean
on_client_timeout(gpointer data)
{
	Client *c = data;

	c->timeout_id = 0;
	mm_log(LOG_NOTICE, "control: pid=%d uid=%u said nothing for %d s, closed", (int)c->pid, (unsigned)c->uid,
	       MM_CONTROL_IDLE_SECS);
	client_close(c);
	return G_SOURCE_REMOVE;
}

static gboolean
on_accept(int fd, GIOCondition cond, gpointer data)
{
	MmControlServer *srv = data;

	for (;;) {
		struct ucred cred = { 0 };
		socklen_t len = sizeof cred;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		Client *c;

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				mm_log(LOG_WARNING, "control: accept: %s", g_strerror(errno));
			return G_SOURCE_CONTINUE;
		}
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
			mm_log(LOG_WARNING, "control: no peer credentials: %s", g_strerror(errno));
			close(cfd);
			continue;
		}
		if (srv->clients->len >= MM_CONTROL_CLIENTS_MAX) {
			/* once per flood, not once per connection */
			if (!srv->refusing)
				mm_log(LOG_WARNING, "control: pid=%d uid=%u refused, %d connections are open",
				       (int)cred.pid, (unsigned)cred.uid, MM_CONTROL_CLIENTS_MAX);
			srv->refusing = TRUE;
			close(cfd);
			continue;
		}
		srv->refusing = FALSE;
		mm_debug(2, "control: connection pid=%d uid=%u", (int)cred.pid, (unsigned)cred.uid);
		c = g_new0(Client, 1);
		c->srv = srv;
		c->fd = cfd;
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->in = g_string_new(NULL);
		c->out = g_string_new(NULL);
		c->io_id = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_client_io, c);
		c->timeout_id = g_timeout_add_seconds(MM_CONTROL_IDLE_SECS, on_client_timeout, c);
		g_ptr_array_add(srv->clients, c);
	}
}

/* The daemon holds the pid file's lock, so a socket left at the path
 * is a dead daemon's; anything else there is not ours to remove. */
static gboolean
remove_stale(const char *path, GError **error)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? TRUE : (mm_error_set_errno(error, errno, "%s", path), FALSE);
	if (!S_ISSOCK(st.st_mode)) {
		g_set_error(error, MM_ERROR, MM_ERROR_FAILED, "%s exists and is not a socket", path);
		return FALSE;
	}
	if (unlink(path) != 0) {
		mm_error_set_errno(error, errno, "cannot remove the old %s", path);
		return FALSE;
	}
	return TRUE;
}

MmControlServer *
mm_control_server_new(const MmConf *conf, const MmControlHandlers *handlers, GError **error)
{
	g_autofree char *path = mm_control_socket_path(conf->pid_dir);
	struct sockaddr_un sun;
	MmControlServer *srv;
	mode_t old_mask;
	int fd, r;

	if (!mm_control_socket_address(&sun, path, error))
		return NULL;
	if (g_mkdir_with_parents(conf->pid_dir, 0755) != 0) {
		mm_error_set_errno(error, errno, "cannot make pid_dir %s", conf->pid_dir);
		return NULL;
	}
	if (!remove_stale(path, error))
		return NULL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		mm_error_set_errno(error, errno, "socket");
		return NULL;
	}
	/* made with its final mode: there is no moment in which others
	 * could connect before the group is set */
	old_mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old_mask);
	if (r != 0) {
		mm_error_set_errno(error, errno, "cannot bind %s", path);
		close(fd);
		return NULL;
	}
	if (geteuid() == 0 && !conf->run_as_user) {
		struct group *gr = getgrnam(MM_GROUP);
		if (!gr || chown(path, 0, gr->gr_gid) != 0)
			mm_log(LOG_WARNING, "control: %s: cannot give it to group %s; only root may use it", path,
			       MM_GROUP);
	}
	if (chmod(path, 0660) != 0 || listen(fd, MM_CONTROL_CLIENTS_MAX) != 0) {
		mm_error_set_errno(error, errno, "cannot listen on %s", path);
		close(fd);
		unlink(path);
		return NULL;
	}
	srv = g_new0(MmControlServer, 1);
	srv->conf = conf;
	srv->handlers = *handlers;
	srv->path = g_steal_pointer(&path);
	srv->fd = fd;
	srv->started = g_get_real_time() / G_USEC_PER_SEC;
	srv->clients = g_ptr_array_new_with_free_func((GDestroyNotify)client_free);
	srv->accept_id = g_unix_fd_add(fd, G_IO_IN, on_accept, srv);
	mm_log(LOG_INFO, "control: listening on %s", srv->path);
	return srv;
}

void
mm_control_server_set_conf(MmControlServer *srv, const MmConf *conf)
{
	srv->conf = conf;
}

guint
mm_control_server_n_clients(const MmControlServer *srv)
{
	return srv->clients->len;
}

void
mm_control_server_close_in_child(MmControlServer *srv)
{
	if (!srv)
		return;
	if (srv->fd >= 0)
		close(srv->fd);
	for (guint i = 0; i < srv->clients->len; i++) {
		Client *c = srv->clients->pdata[i];
		if (c->fd >= 0)
			close(c->fd);
	}
}

void
mm_control_server_free(MmControlServer *srv)
{
	if (!srv)
		return;
	g_clear_handle_id(&srv->accept_id, g_source_remove);
	g_ptr_array_unref(srv->clients);
	if (srv->fd >= 0)
		close(srv->fd);
	unlink(srv->path);
	g_free(srv->path);
	g_free(srv);
}
