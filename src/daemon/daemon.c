/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * daemon.c starts the daemon: listeners first (so that a port already
 * in use is reported to the caller), then detaching, the pid file and
 * the main loop. SMTP sessions run in one long-lived child process that
 * gives up root for good before it reads a byte from the network
 * (DESIGN.md); it reports each queued message as a line "UID\n" on a
 * pipe, and the parent starts it again when it dies.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/privileges.h"
#include "daemon/daemon.h"
#include "daemon/listen.h"
#include "smtp/server.h"

/* a queued message's line on the pipe from the SMTP child */
#define UID_LINE_MAX (MM_SPOOL_UID_MAX + 1)
/* wait before starting a died SMTP child again, against restart storms */
#define SMTP_RESTART_SECS 1

typedef struct {
	const MmDaemonConfig *cfg;
	GMainLoop *loop;
	GPtrArray *listeners;            /* GSocket*, kept for restarts of the child */
	MmSmtpServerResources smtp;
	pid_t smtp_pid;
	int smtp_pipe;                   /* read end of the child's "UID\n" lines */
	guint smtp_pipe_id;
	guint smtp_child_id;
	guint restart_id;
	guint stop_timer_id;
	GString *pipe_buf;
	gboolean stopping;
	char *pid_file;
} Daemon;

static void start_smtp_child(Daemon *d);

/* ---- the SMTP child ------------------------------------------------- */

static int child_signal_pipe[2] = { -1, -1 };
static int child_queue_fd = -1;

static void
child_on_signal(int signo)
{
	int saved = errno;
	char c = (char)signo;
	ssize_t r = write(child_signal_pipe[1], &c, 1);
	(void)r;
	errno = saved;
}

static void
child_on_queued(const char *uid, gpointer user_data)
{
	g_autofree char *line = g_strdup_printf("%s\n", uid);
	ssize_t r = write(child_queue_fd, line, strlen(line));
	if (r != (ssize_t)strlen(line))
		mm_log(LOG_WARNING, "%s: cannot tell the daemon: %s", uid, g_strerror(errno));
}

static gboolean
child_quit(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

typedef struct {
	MmSmtpServer *srv;
	GMainLoop *loop;
	gboolean stopping;
} Child;

static gboolean
child_on_signal_pipe(int fd, GIOCondition cond, gpointer data)
{
	Child *ch = data;
	char c;

	if (read(fd, &c, 1) == 1 && !ch->stopping) {
		ch->stopping = TRUE;
		mm_log(LOG_INFO, "smtp: stopping, sessions=%u", mm_smtp_server_n_sessions(ch->srv));
		mm_smtp_server_shutdown(ch->srv, child_quit, ch->loop);
	}
	return G_SOURCE_CONTINUE;
}

/* Gives up root for good: the mail user and group, unless run_as_user. */
static gboolean
child_drop_privileges(const MmConf *conf, GError **error)
{
	struct passwd *pw;
	struct group *gr;

	if (geteuid() != 0 || conf->run_as_user)
		return TRUE;
	pw = getpwnam(MM_USER);
	gr = getgrnam(MM_GROUP);
	if (!pw || !gr) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "no user %s or group %s", MM_USER, MM_GROUP);
		return FALSE;
	}
	return mm_priv_become(pw->pw_uid, gr->gr_gid, MM_USER, error);
}

/* Runs in the forked child; never returns. Everything it uses lives in
 * its own main context: what the parent has in the default one is not
 * the child's business. */
static void G_GNUC_NORETURN
smtp_child_main(Daemon *d, int queue_fd)
{
	g_autoptr(GError) error = NULL;
	GMainContext *ctx;
	Child ch = { 0 };
	MmSmtpServerConfig cfg = {
		.conf = d->cfg->conf,
		.relay_nets = d->smtp.relay_nets,
		.tls_creds = d->smtp.tls_creds,
		.secrets = d->smtp.secrets,
		.on_queued = child_on_queued,
	};
	struct sigaction sa = { .sa_handler = child_on_signal };
	GSource *src;

	child_queue_fd = queue_fd;
	if (pipe2(child_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		_exit(EX_OSERR);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if (!child_drop_privileges(d->cfg->conf, &error)) {
		mm_log(LOG_ERR, "smtp: cannot give up root: %s", error->message);
		_exit(EX_OSERR);
	}
	ctx = g_main_context_new();
	ch.loop = g_main_loop_new(ctx, FALSE);
	cfg.context = ctx;
	ch.srv = mm_smtp_server_new(&cfg);
	for (guint i = 0; i < d->listeners->len; i++)
		mm_smtp_server_add_listener(ch.srv, g_socket_get_fd(d->listeners->pdata[i]));
	src = g_unix_fd_source_new(child_signal_pipe[0], G_IO_IN);
	g_source_set_callback(src, (GSourceFunc)(void (*)(void))child_on_signal_pipe, &ch, NULL);
	g_source_attach(src, ctx);
	g_source_unref(src);
	mm_log(LOG_INFO, "smtp: serving pid=%d uid=%u", (int)getpid(), (unsigned)getuid());
	g_main_loop_run(ch.loop);
	mm_smtp_server_free(ch.srv);
	mm_log(LOG_INFO, "smtp: stopped");
	_exit(EX_OK);
}

/* ---- the parent's side ---------------------------------------------- */

static void
message_queued(Daemon *d, const char *uid)
{
	/* delivery at once is the delivery engine's; for now the queue runs */
	mm_log(LOG_INFO, "%s: queued by the SMTP server", uid);
}

/* Reads one piece of the child's lines; FALSE at the end of the pipe
 * or when nothing is there. */
static gboolean
read_smtp_pipe(Daemon *d, int fd)
{
	char buf[512];
	ssize_t n;
	char *nl;

	errno = 0;
	n = read(fd, buf, sizeof buf);
	if (n <= 0)
		return FALSE;
	g_string_append_len(d->pipe_buf, buf, n);
	while ((nl = memchr(d->pipe_buf->str, '\n', d->pipe_buf->len))) {
		g_autofree char *uid = g_strndup(d->pipe_buf->str, nl - d->pipe_buf->str);
		g_string_erase(d->pipe_buf, 0, nl - d->pipe_buf->str + 1);
		/* the child is not trusted more than its input: ids only */
		if (strlen(uid) > 0 && strlen(uid) <= MM_SPOOL_UID_MAX && !strpbrk(uid, "/."))
			message_queued(d, uid);
	}
	if (d->pipe_buf->len > UID_LINE_MAX)
		g_string_truncate(d->pipe_buf, 0);
	return TRUE;
}

static gboolean
on_smtp_pipe(int fd, GIOCondition cond, gpointer data)
{
	Daemon *d = data;

	if (read_smtp_pipe(d, fd) || errno == EAGAIN || errno == EINTR)
		return G_SOURCE_CONTINUE;
	d->smtp_pipe_id = 0;
	return G_SOURCE_REMOVE;
}

static gboolean
on_restart(gpointer data)
{
	Daemon *d = data;
	d->restart_id = 0;
	start_smtp_child(d);
	return G_SOURCE_REMOVE;
}

static void
on_smtp_child_exit(GPid pid, gint status, gpointer data)
{
	Daemon *d = data;

	g_spawn_close_pid(pid);
	d->smtp_child_id = 0;
	d->smtp_pid = 0;
	/* what it still said before it died */
	if (d->smtp_pipe >= 0) {
		while (read_smtp_pipe(d, d->smtp_pipe))
			;
		g_clear_handle_id(&d->smtp_pipe_id, g_source_remove);
		close(d->smtp_pipe);
		d->smtp_pipe = -1;
	}
	if (d->stopping) {
		mm_log(LOG_INFO, "smtp child pid=%d ended", (int)pid);
		g_main_loop_quit(d->loop);
		return;
	}
	mm_log(LOG_ERR, "smtp child pid=%d died (%s %d), starting it again", (int)pid,
	       WIFSIGNALED(status) ? "signal" : "status", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	d->restart_id = g_timeout_add_seconds(SMTP_RESTART_SECS, on_restart, d);
}

static void
start_smtp_child(Daemon *d)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		mm_log(LOG_ERR, "smtp: pipe: %s", g_strerror(errno));
		d->restart_id = g_timeout_add_seconds(SMTP_RESTART_SECS, on_restart, d);
		return;
	}
	pid = fork();
	if (pid < 0) {
		mm_log(LOG_ERR, "smtp: fork: %s", g_strerror(errno));
		close(fds[0]);
		close(fds[1]);
		d->restart_id = g_timeout_add_seconds(SMTP_RESTART_SECS, on_restart, d);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		smtp_child_main(d, fds[1]);
	}
	close(fds[1]);
	g_unix_set_fd_nonblocking(fds[0], TRUE, NULL);
	d->smtp_pid = pid;
	d->smtp_pipe = fds[0];
	d->smtp_pipe_id = g_unix_fd_add(fds[0], G_IO_IN | G_IO_HUP, on_smtp_pipe, d);
	d->smtp_child_id = g_child_watch_add(pid, on_smtp_child_exit, d);
}

static gboolean
on_stop_timeout(gpointer data)
{
	Daemon *d = data;
	d->stop_timer_id = 0;
	if (d->smtp_pid > 0) {
		mm_log(LOG_WARNING, "smtp child pid=%d does not stop, killing it", (int)d->smtp_pid);
		kill(d->smtp_pid, SIGKILL);
	}
	g_main_loop_quit(d->loop);
	return G_SOURCE_REMOVE;
}

static gboolean
on_quit_signal(gpointer user_data)
{
	Daemon *d = user_data;

	if (d->stopping)
		return G_SOURCE_CONTINUE;
	mm_log(LOG_NOTICE, "daemon stopping on signal");
	d->stopping = TRUE;
	g_clear_handle_id(&d->restart_id, g_source_remove);
	if (d->smtp_pid > 0) {
		/* the child lets sessions finish their transaction first */
		kill(d->smtp_pid, SIGTERM);
		d->stop_timer_id = g_timeout_add_seconds(MM_SMTP_SHUTDOWN_GRACE_SECS + 5, on_stop_timeout, d);
		return G_SOURCE_CONTINUE;
	}
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

/* Binds the listeners and loads what the SMTP server needs while we
 * may still be root (the TLS key, the AUTH secrets). */
static gboolean
add_listeners(Daemon *d, GError **error)
{
	if (!d->cfg->listen_addresses)
		return TRUE;
	d->listeners = mm_listen_open(d->cfg->listen_addresses, error);
	if (!d->listeners)
		return FALSE;
	return mm_smtp_server_load(d->cfg->conf, &d->smtp, error);
}

static void
daemon_clear(Daemon *d)
{
	g_clear_pointer(&d->listeners, g_ptr_array_unref);
	mm_smtp_server_resources_clear(&d->smtp);
	if (d->pipe_buf)
		g_string_free(d->pipe_buf, TRUE);
	d->pipe_buf = NULL;
}

int
mm_daemon_run(const MmDaemonConfig *cfg)
{
	Daemon d = { .cfg = cfg, .smtp_pipe = -1 };
	g_autoptr(GError) error = NULL;

	g_return_val_if_fail(cfg->conf != NULL || cfg->listen_addresses == NULL, EX_SOFTWARE);
	d.pipe_buf = g_string_new(NULL);
	if (!add_listeners(&d, &error)) {
		mm_log(LOG_ERR, "daemon not started: %s", error->message);
		daemon_clear(&d);
		return mm_error_is_temporary(error) ? EX_TEMPFAIL : EX_CONFIG;
	}
	if (!cfg->foreground && !detach(&error)) {
		mm_log(LOG_ERR, "cannot detach: %s", error->message);
		return EX_OSERR;
	}
	if (!write_pid_file(&d, &error)) {
		mm_log(LOG_ERR, "cannot write the pid file: %s", error->message);
		daemon_clear(&d);
		return EX_CANTCREAT;
	}
	d.loop = g_main_loop_new(NULL, FALSE);
	if (d.listeners)
		start_smtp_child(&d);
	g_unix_signal_add(SIGTERM, on_quit_signal, &d);
	g_unix_signal_add(SIGINT, on_quit_signal, &d);
	mm_log(LOG_NOTICE, "daemon started pid=%d listen=%s", (int)getpid(),
	       cfg->listen_addresses ? "yes" : "no");
	g_main_loop_run(d.loop);

	g_clear_handle_id(&d.stop_timer_id, g_source_remove);
	g_clear_handle_id(&d.restart_id, g_source_remove);
	g_clear_handle_id(&d.smtp_pipe_id, g_source_remove);
	if (d.smtp_pipe >= 0)
		close(d.smtp_pipe);
	daemon_clear(&d);
	unlink(d.pid_file);
	g_free(d.pid_file);
	g_main_loop_unref(d.loop);
	mm_log(LOG_NOTICE, "daemon stopped");
	return EX_OK;
}
