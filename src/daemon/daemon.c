/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * daemon.c starts the daemon and runs its main loop. Start-up order:
 * the pid file's lock (a second daemon is refused before it touches a
 * port), the listeners and what the SMTP server must read as root,
 * detaching, the pid, the main loop; the caller's exit status says
 * whether all of it worked.
 *
 * SMTP sessions run in one child process that gives up root for good
 * before it reads a byte from the network (DESIGN.md); it reports each
 * queued message as a line "UID\n" on a pipe. The child ends after
 * MM_DAEMON_SMTP_IDLE_SECS without a session, so that an idle daemon is
 * one process; the parent then watches the listening sockets for a
 * pending connection (without accepting it) and starts a new child,
 * which accepts it. The parent
 * parses nothing else from the network side: it checks those lines as
 * ids and hands them to jobs.c, which delivers in children of their
 * own, so the parent (root, when started so) never blocks on mail.
 *
 * With query_routes and no online_query, the parent also watches the
 * links (links.h): a provider going online starts a run through it at
 * once, and mail accepted while online goes out through the providers
 * online. The daemon's state (state.h) is what the status report reads.
 *
 * SIGHUP reads the configuration again. The listening sockets stay
 * open: a new SMTP child with the new configuration accepts on them,
 * while the old one accepts nothing more and serves its open sessions
 * to their end ("draining"). A configuration that does not load keeps
 * the old one running.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/privileges.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/jobs.h"
#include "daemon/links.h"
#include "daemon/listen.h"
#include "daemon/pidfile.h"
#include "daemon/reaper.h"
#include "daemon/state.h"
#include "queue/queue.h"
#include "queue/uid.h"
#include "smtp/server.h"

/* a queued message's line on the pipe from the SMTP child */
#define UID_LINE_MAX (MM_SPOOL_UID_MAX + 1)
/* wait before starting a died SMTP child again, against restart storms */
#define SMTP_RESTART_SECS 1

typedef struct _Daemon Daemon;

/* One SMTP child as the parent sees it. */
typedef struct {
	Daemon *d;
	pid_t pid;
	int pipe;          /* read end of its "UID\n" lines */
	guint pipe_id;
	guint watch_id;
	GString *buf;
	gboolean draining; /* replaced by a reload: accepts nothing more */
} SmtpChild;

struct _Daemon {
	const MmDaemonConfig *cfg;
	const MmConf *conf;        /* in use: cfg->conf, or owned_conf after a reload */
	MmConf *owned_conf;
	GMainLoop *loop;
	GPtrArray *listeners;      /* GSocket*, kept for new SMTP children */
	GArray *listen_fds;        /* int: their descriptors, for the parent's own use */
	MmSmtpServerResources smtp;
	GPtrArray *smtp_children;  /* SmtpChild*, the current one and draining ones */
	SmtpChild *current;        /* the one that accepts; NULL while it is restarted */
	MmJobs *jobs;
	MmDaemonState *state;      /* what the links and runs look like, for the status */
	MmLinks *links;            /* NULL without link detection */
	MmControlServer *control;  /* masqmail.sock; NULL when it could not be made */
	guint restart_id;
	GArray *listen_watches;    /* guint source ids: no child, waiting for a connection */
	guint queue_timer_id;
	guint queue_first_id;
	guint smtp_stop_id;
	guint jobs_stop_id;
	gboolean stopping;
	gboolean jobs_done;
	int pid_fd;
	char *pid_file;
};

static void start_smtp_child(Daemon *d);
static void watch_listeners(Daemon *d);

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
	GMainContext *ctx;
	GMainLoop *loop;
	const GPtrArray *listeners;
	gboolean stopping;
	gboolean draining;
	int quiet_fd;       /* keeps the stand-ins for the listeners silent */
	guint drain_ticks;
	guint idle_ticks;   /* seconds in a row without a session */
} Child;

static void
child_stop(Child *ch)
{
	if (ch->stopping)
		return;
	ch->stopping = TRUE;
	mm_log(LOG_INFO, "smtp: stopping, sessions=%u", mm_smtp_server_n_sessions(ch->srv));
	mm_smtp_server_shutdown(ch->srv, child_quit, ch->loop);
}

static gboolean
child_on_drain_tick(gpointer data)
{
	Child *ch = data;

	if (ch->stopping)
		return G_SOURCE_REMOVE;
	if (mm_smtp_server_n_sessions(ch->srv) == 0) {
		g_main_loop_quit(ch->loop);
		return G_SOURCE_REMOVE;
	}
	if (++ch->drain_ticks >= MM_DAEMON_DRAIN_SECS) {
		child_stop(ch);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* Ends the child once it has had no session for a while; the parent
 * starts another when the next connection is pending. */
static gboolean
child_on_idle_tick(gpointer data)
{
	Child *ch = data;

	if (ch->stopping || ch->draining)
		return G_SOURCE_REMOVE;
	if (mm_smtp_server_n_sessions(ch->srv) > 0) {
		ch->idle_ticks = 0;
		return G_SOURCE_CONTINUE;
	}
	if (++ch->idle_ticks < MM_DAEMON_SMTP_IDLE_SECS)
		return G_SOURCE_CONTINUE;
	mm_log(LOG_INFO, "smtp: idle for %us, ending", ch->idle_ticks);
	g_main_loop_quit(ch->loop);
	return G_SOURCE_REMOVE;
}

/* After a reload: accept nothing more, serve the open sessions to
 * their end. The server can only stop listening together with closing
 * idle sessions (mm_smtp_server_shutdown()), which would cut off
 * clients that did nothing wrong. So each listening descriptor of this
 * process is replaced by one end of a socket pair whose other end stays
 * open and silent: the server's watch on it never fires, and the
 * listening socket itself lives on only in the parent and the new
 * child. */
static void
child_drain(Child *ch)
{
	int sp[2];
	GSource *tick;

	if (ch->stopping || ch->draining)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
		mm_log(LOG_WARNING, "smtp: cannot stop listening (%s), stopping instead", g_strerror(errno));
		child_stop(ch);
		return;
	}
	for (guint i = 0; i < ch->listeners->len; i++)
		dup2(sp[0], g_socket_get_fd(ch->listeners->pdata[i]));
	close(sp[0]);
	ch->quiet_fd = sp[1];
	ch->draining = TRUE;
	mm_log(LOG_INFO, "smtp: not listening any more, serving sessions=%u to their end",
	       mm_smtp_server_n_sessions(ch->srv));
	tick = g_timeout_source_new_seconds(1);
	g_source_set_callback(tick, child_on_drain_tick, ch, NULL);
	g_source_attach(tick, ch->ctx);
	g_source_unref(tick);
	child_on_drain_tick(ch);
}

static gboolean
child_on_signal_pipe(int fd, GIOCondition cond, gpointer data)
{
	Child *ch = data;
	char c;

	while (read(fd, &c, 1) == 1) {
		if (c == SIGUSR1)
			child_drain(ch);
		else
			child_stop(ch);
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

/* What no child of the daemon may keep: the pid file (its lock is the
 * daemon's) and the parent's ends of the SMTP children's pipes. */
static void
close_parent_fds(Daemon *d)
{
	if (d->pid_fd >= 0)
		close(d->pid_fd);
	mm_control_server_close_in_child(d->control);
	for (guint i = 0; d->smtp_children && i < d->smtp_children->len; i++) {
		SmtpChild *sc = d->smtp_children->pdata[i];
		if (sc->pipe >= 0)
			close(sc->pipe);
	}
}

/* Runs in the forked child; never returns. Everything it uses lives in
 * its own main context @ctx: what the parent has in the default one is
 * not the child's business. */
static void G_GNUC_NORETURN
smtp_child_main(Daemon *d, int queue_fd, GMainContext *ctx, pid_t parent)
{
	g_autoptr(GError) error = NULL;
	Child ch = { .listeners = d->listeners, .quiet_fd = -1 };
	MmSmtpServerConfig cfg = {
		.conf = d->conf,
		.relay_nets = d->smtp.relay_nets,
		.tls_creds = d->smtp.tls_creds,
		.secrets = d->smtp.secrets,
		.on_queued = child_on_queued,
	};
	struct sigaction sa = { .sa_handler = child_on_signal };
	GSource *src;

	close_parent_fds(d);
	child_queue_fd = queue_fd;
	if (pipe2(child_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		_exit(EX_OSERR);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	/* A parent that died (SIGKILL, out of memory) must not leave us
	 * serving on its port: nobody would deliver what we queue, and a
	 * new daemon could not listen. SIGUSR1: open sessions are served
	 * to their end, no new ones taken. */
	if (prctl(PR_SET_PDEATHSIG, SIGUSR1) != 0 || getppid() != parent)
		_exit(EX_OSERR);
	signal(SIGHUP, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if (!child_drop_privileges(d->conf, &error)) {
		mm_log(LOG_ERR, "smtp: cannot give up root: %s", error->message);
		_exit(EX_OSERR);
	}
	ch.ctx = ctx;
	ch.loop = g_main_loop_new(ch.ctx, FALSE);
	cfg.context = ch.ctx;
	ch.srv = mm_smtp_server_new(&cfg);
	for (guint i = 0; i < d->listeners->len; i++)
		mm_smtp_server_add_listener(ch.srv, g_socket_get_fd(d->listeners->pdata[i]));
	src = g_unix_fd_source_new(child_signal_pipe[0], G_IO_IN);
	g_source_set_callback(src, (GSourceFunc)(void (*)(void))child_on_signal_pipe, &ch, NULL);
	g_source_attach(src, ch.ctx);
	g_source_unref(src);
	src = g_timeout_source_new_seconds(1);
	g_source_set_callback(src, child_on_idle_tick, &ch, NULL);
	g_source_attach(src, ch.ctx);
	g_source_unref(src);
	mm_log(LOG_INFO, "smtp: serving pid=%d uid=%u", (int)getpid(), (unsigned)getuid());
	g_main_loop_run(ch.loop);
	mm_smtp_server_free(ch.srv);
	mm_log(LOG_INFO, "smtp: stopped");
	_exit(EX_OK);
}

/* ---- the parent's side ---------------------------------------------- */

/* What a stopping daemon waits for: its SMTP children and its jobs. */
static void
check_stopped(Daemon *d)
{
	if (d->stopping && d->smtp_children->len == 0 && d->jobs_done)
		g_main_loop_quit(d->loop);
}

static gboolean
queue_only(const Daemon *d)
{
	return d->cfg->queue_only || d->conf->do_queue;
}

static void
message_queued(Daemon *d, const char *uid)
{
	/* the child is not trusted more than its input: ids only */
	if (!mm_uid_is_valid(uid)) {
		mm_log(LOG_WARNING, "smtp child sent a line that is no message id; ignored");
		return;
	}
	if (queue_only(d)) {
		mm_debug(1, "%s: queued by the SMTP server, not delivered now (do_queue)", uid);
		return;
	}
	mm_jobs_deliver(d->jobs, uid);
}

/* ---- the control socket (control.h) ------------------------------------ */

static const MmDaemonState *
control_get_state(gpointer data)
{
	Daemon *d = data;
	return d->state;
}

static gboolean
control_run(const char *name, gpointer data, GError **error)
{
	Daemon *d = data;

	if (d->stopping) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "the daemon is stopping");
		return FALSE;
	}
	if (d->links)
		return mm_links_run(d->links, name, error);
	if (name) {
		g_set_error(error, MM_ERROR, MM_ERROR_NOT_FOUND, "no link detection here; use -qo %s", name);
		return FALSE;
	}
	if (!mm_jobs_queue_run(d->jobs)) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "a queue run is going on already");
		return FALSE;
	}
	return TRUE;
}

/* The command line's hand-over: the same as a message of the SMTP
 * server (control.c has checked the id). */
static void
control_queued(const char *uid, gpointer data)
{
	message_queued(data, uid);
}

static void
start_control(Daemon *d)
{
	const MmControlHandlers handlers = {
		.get_state = control_get_state,
		.run = control_run,
		.queued = control_queued,
		.data = d,
	};
	g_autoptr(GError) error = NULL;

	/* without it the daemon still works; the command line then
	 * delivers by itself */
	d->control = mm_control_server_new(d->conf, &handlers, &error);
	if (!d->control)
		mm_log(LOG_ERR, "no control socket: %s", error->message);
}

/* Reads one piece of the child's lines; FALSE at the end of the pipe
 * or when nothing is there. */
static gboolean
read_smtp_pipe(SmtpChild *sc)
{
	char buf[512];
	ssize_t n;
	char *nl;

	errno = 0;
	n = read(sc->pipe, buf, sizeof buf);
	if (n <= 0)
		return FALSE;
	g_string_append_len(sc->buf, buf, n);
	while ((nl = memchr(sc->buf->str, '\n', sc->buf->len))) {
		g_autofree char *uid = g_strndup(sc->buf->str, nl - sc->buf->str);
		g_string_erase(sc->buf, 0, nl - sc->buf->str + 1);
		message_queued(sc->d, uid);
	}
	if (sc->buf->len > UID_LINE_MAX)
		g_string_truncate(sc->buf, 0);
	return TRUE;
}

static gboolean
on_smtp_pipe(int fd, GIOCondition cond, gpointer data)
{
	SmtpChild *sc = data;

	if (read_smtp_pipe(sc) || errno == EAGAIN || errno == EINTR)
		return G_SOURCE_CONTINUE;
	sc->pipe_id = 0;
	return G_SOURCE_REMOVE;
}

static void
smtp_child_free(SmtpChild *sc)
{
	g_clear_handle_id(&sc->pipe_id, g_source_remove);
	mm_reaper_unwatch(sc->watch_id);
	sc->watch_id = 0;
	if (sc->pipe >= 0)
		close(sc->pipe);
	g_string_free(sc->buf, TRUE);
	g_free(sc);
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
	SmtpChild *sc = data;
	Daemon *d = sc->d;
	gboolean was_current = sc == d->current;

	g_spawn_close_pid(pid);
	sc->watch_id = 0;
	/* what it still said before it ended */
	if (sc->pipe >= 0) {
		while (read_smtp_pipe(sc))
			;
	}
	if (was_current)
		d->current = NULL;
	g_ptr_array_remove(d->smtp_children, sc);
	if (d->stopping || !was_current) {
		mm_log(LOG_INFO, "smtp child pid=%d ended", (int)pid);
		check_stopped(d);
		return;
	}
	/* the current child ends well only when it was idle */
	if (WIFEXITED(status) && WEXITSTATUS(status) == EX_OK) {
		mm_log(LOG_INFO, "smtp child pid=%d ended idle; the next connection starts another", (int)pid);
		watch_listeners(d);
		return;
	}
	mm_log(LOG_ERR, "smtp child pid=%d died (%s %d), starting it again", (int)pid,
	       WIFSIGNALED(status) ? "signal" : "status", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	d->restart_id = g_timeout_add_seconds(SMTP_RESTART_SECS, on_restart, d);
}

static void
unwatch_listeners(Daemon *d)
{
	for (guint i = 0; d->listen_watches && i < d->listen_watches->len; i++)
		g_source_remove(g_array_index(d->listen_watches, guint, i));
	g_clear_pointer(&d->listen_watches, g_array_unref);
}

/* A connection is pending on a listener: the parent only notices it,
 * the new child accepts it. */
static gboolean
on_listener_pending(int fd, GIOCondition cond, gpointer data)
{
	Daemon *d = data;

	unwatch_listeners(d);
	if (!d->stopping && !d->current && !d->restart_id)
		start_smtp_child(d);
	return G_SOURCE_REMOVE;
}

static void
watch_listeners(Daemon *d)
{
	if (d->listen_watches || !d->listeners)
		return;
	d->listen_watches = g_array_new(FALSE, FALSE, sizeof(guint));
	for (guint i = 0; i < d->listeners->len; i++) {
		guint id = g_unix_fd_add(g_array_index(d->listen_fds, int, i), G_IO_IN, on_listener_pending, d);
		g_array_append_val(d->listen_watches, id);
	}
}

static void
start_smtp_child(Daemon *d)
{
	SmtpChild *sc;
	int fds[2];
	pid_t pid, parent;

	GMainContext *ctx;

	unwatch_listeners(d);

	if (pipe2(fds, O_CLOEXEC) != 0) {
		mm_log(LOG_ERR, "smtp: pipe: %s", g_strerror(errno));
		d->restart_id = g_timeout_add_seconds(SMTP_RESTART_SECS, on_restart, d);
		return;
	}
	/* The child's main context. The parent has no other thread
	 * (reaper.c), so it could as well be made after the fork; it is
	 * made here so that the child starts with nothing to set up. */
	ctx = g_main_context_new();
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		mm_log(LOG_ERR, "smtp: fork: %s", g_strerror(errno));
		g_main_context_unref(ctx);
		close(fds[0]);
		close(fds[1]);
		d->restart_id = g_timeout_add_seconds(SMTP_RESTART_SECS, on_restart, d);
		return;
	}
	if (pid == 0) {
		mm_reaper_child_setup();
		close(fds[0]);
		smtp_child_main(d, fds[1], ctx, parent);
	}
	g_main_context_unref(ctx);
	close(fds[1]);
	g_unix_set_fd_nonblocking(fds[0], TRUE, NULL);
	sc = g_new0(SmtpChild, 1);
	sc->d = d;
	sc->pid = pid;
	sc->pipe = fds[0];
	sc->buf = g_string_new(NULL);
	sc->pipe_id = g_unix_fd_add(fds[0], G_IO_IN | G_IO_HUP, on_smtp_pipe, sc);
	sc->watch_id = mm_reaper_watch(pid, on_smtp_child_exit, sc);
	g_ptr_array_add(d->smtp_children, sc);
	d->current = sc;
}

/* In every delivery and queue-run child. */
static void
jobs_child_setup(gpointer data)
{
	Daemon *d = data;

	mm_reaper_child_setup();
	close_parent_fds(d);
	for (guint i = 0; d->listen_fds && i < d->listen_fds->len; i++)
		close(g_array_index(d->listen_fds, int, i));
}

static gboolean
on_queue_timer(gpointer data)
{
	Daemon *d = data;

	mm_jobs_queue_run(d->jobs);
	return G_SOURCE_CONTINUE;
}

static gboolean
on_first_queue_run(gpointer data)
{
	Daemon *d = data;

	d->queue_first_id = 0;
	mm_jobs_queue_run(d->jobs);
	return G_SOURCE_REMOVE;
}

static gboolean
on_smtp_stop_timeout(gpointer data)
{
	Daemon *d = data;

	d->smtp_stop_id = 0;
	for (guint i = 0; i < d->smtp_children->len; i++) {
		SmtpChild *sc = d->smtp_children->pdata[i];
		mm_log(LOG_WARNING, "smtp child pid=%d does not stop, killing it", (int)sc->pid);
		kill(sc->pid, SIGKILL);
	}
	return G_SOURCE_REMOVE;
}

static gboolean
on_jobs_done(gpointer data)
{
	Daemon *d = data;

	d->jobs_done = TRUE;
	g_clear_handle_id(&d->jobs_stop_id, g_source_remove);
	check_stopped(d);
	return G_SOURCE_REMOVE;
}

/* A delivery is not killed half-way: that could deliver it twice.
 * After the wait the children go on alone, holding their locks. */
static gboolean
on_jobs_stop_timeout(gpointer data)
{
	Daemon *d = data;

	d->jobs_stop_id = 0;
	mm_log(LOG_WARNING, "not waiting any longer for %u delivery children; they finish alone",
	       mm_jobs_n_running(d->jobs));
	d->jobs_done = TRUE;
	check_stopped(d);
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
	/* from now on the command line delivers by itself */
	g_clear_pointer(&d->control, mm_control_server_free);
	if (d->links)
		mm_links_stop(d->links);
	g_clear_handle_id(&d->restart_id, g_source_remove);
	g_clear_handle_id(&d->queue_timer_id, g_source_remove);
	g_clear_handle_id(&d->queue_first_id, g_source_remove);
	unwatch_listeners(d);
	/* the SMTP children let sessions finish their transaction first */
	for (guint i = 0; i < d->smtp_children->len; i++) {
		SmtpChild *sc = d->smtp_children->pdata[i];
		kill(sc->pid, SIGTERM);
	}
	if (d->smtp_children->len > 0)
		d->smtp_stop_id = g_timeout_add_seconds(MM_SMTP_SHUTDOWN_GRACE_SECS + 5, on_smtp_stop_timeout, d);
	d->jobs_stop_id = g_timeout_add_seconds(MM_DAEMON_STOP_WAIT_SECS, on_jobs_stop_timeout, d);
	mm_jobs_stop(d->jobs, on_jobs_done, d);
	return G_SOURCE_CONTINUE;
}

static gboolean
strv_same(char **a, char **b)
{
	if (!a || !b)
		return a == b;
	return g_strv_equal((const char *const *)a, (const char *const *)b);
}

/* SIGHUP: the new configuration replaces the old one only when all of
 * it loads, the SMTP server's files included. */
static gboolean
on_reload_signal(gpointer user_data)
{
	Daemon *d = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = NULL;
	MmSmtpServerResources res = { 0 };

	if (d->stopping)
		return G_SOURCE_CONTINUE;
	if (!d->cfg->reload) {
		mm_log(LOG_NOTICE, "SIGHUP ignored: no configuration file to read again");
		return G_SOURCE_CONTINUE;
	}
	mm_log(LOG_NOTICE, "reloading the configuration on SIGHUP");
	conf = d->cfg->reload(d->cfg->reload_data, &error);
	if (!conf || (d->listeners && !mm_smtp_server_load(conf, &res, &error))) {
		mm_log(LOG_ERR, "configuration not reloaded, the old one stays in use: %s", error->message);
		return G_SOURCE_CONTINUE;
	}
	if (mm_links_wanted(conf) != (d->links != NULL))
		mm_log(LOG_WARNING, "link detection (query_routes without online_query) is switched on or off "
		                    "when the daemon is started again");
	/* the profiles last: nothing is left to undo after them */
	if (d->links && mm_links_wanted(conf) && !mm_links_set_conf(d->links, conf, &error)) {
		mm_log(LOG_ERR, "configuration not reloaded, the old one stays in use: %s", error->message);
		mm_smtp_server_resources_clear(&res);
		return G_SOURCE_CONTINUE;
	}
	if (!strv_same(conf->listen_addresses, d->conf->listen_addresses))
		mm_log(LOG_WARNING, "listen_addresses changed: the listeners are kept until the daemon is started again");
	if (g_strcmp0(conf->pid_dir, d->conf->pid_dir) != 0 || g_strcmp0(conf->log_dir, d->conf->log_dir) != 0 ||
	    conf->use_syslog != d->conf->use_syslog || conf->debug_level != d->conf->debug_level)
		mm_log(LOG_WARNING,
		       "pid_dir, log_dir, use_syslog and debug_level take effect when the daemon is started again");

	mm_smtp_server_resources_clear(&d->smtp);
	d->smtp = res;
	mm_jobs_set_conf(d->jobs, conf);
	if (d->control)
		mm_control_server_set_conf(d->control, conf);
	g_clear_pointer(&d->owned_conf, mm_conf_free);
	d->owned_conf = g_steal_pointer(&conf);
	d->conf = d->owned_conf;

	if (d->current) {
		d->current->draining = TRUE;
		kill(d->current->pid, SIGUSR1);
		d->current = NULL;
	}
	if (d->listeners && !d->restart_id)
		start_smtp_child(d);
	mm_log(LOG_NOTICE, "configuration reloaded");
	return G_SOURCE_CONTINUE;
}

/* A start-up failure: in the log, and on standard error for -bd, whose
 * caller would not see the log otherwise. */
static void G_GNUC_PRINTF(2, 3)
start_failed(const Daemon *d, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	mm_log(LOG_ERR, "%s", text);
	if (!d->cfg->foreground)
		fprintf(stderr, "masqmail: %s\n", text);
}

static gboolean
lock_pid_file(Daemon *d, GError **error)
{
	if (g_mkdir_with_parents(d->cfg->pid_dir, 0755) != 0) {
		mm_error_set_errno(error, errno, "cannot make pid_dir %s", d->cfg->pid_dir);
		return FALSE;
	}
	d->pid_file = g_build_filename(d->cfg->pid_dir, "masqmail.pid", NULL);
	d->pid_fd = mm_pidfile_lock(d->pid_file, error);
	return d->pid_fd >= 0;
}

/* Forks; the calling process waits for the daemon to say, with one
 * byte on @ready, how its start ended, and exits with that. Returns in
 * the daemon, a session leader without a terminal. */
static gboolean
detach(int *ready, GError **error)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		mm_error_set_errno(error, errno, "pipe");
		return FALSE;
	}
	pid = fork();
	if (pid < 0) {
		mm_error_set_errno(error, errno, "fork");
		close(fds[0]);
		close(fds[1]);
		return FALSE;
	}
	if (pid > 0) {
		unsigned char status;
		ssize_t n;
		int ws = 0;

		close(fds[1]);
		while ((n = read(fds[0], &status, 1)) < 0 && errno == EINTR)
			;
		if (n == 1)
			_exit(status);
		/* it ended before it could say */
		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(ws) && WEXITSTATUS(ws) != EX_OK ? WEXITSTATUS(ws) : EX_OSERR);
	}
	close(fds[0]);
	*ready = fds[1];
	setsid();
	if (chdir("/") != 0) {
		mm_error_set_errno(error, errno, "chdir /");
		return FALSE;
	}
	return TRUE;
}

/* The daemon runs: the caller's process may exit with 0, and standard
 * input, output and error (the caller's terminal or pipes) are let go. */
static void
detach_done(int ready)
{
	unsigned char ok = EX_OK;

	mm_fs_stdio_to_null(TRUE);
	mm_log_set_stderr(FALSE);
	if (write(ready, &ok, 1) != 1)
		mm_log(LOG_WARNING, "cannot tell the caller that the daemon runs: %s", g_strerror(errno));
	close(ready);
}

static void
detach_failed(int ready, int status)
{
	unsigned char st = (unsigned char)status;

	if (ready < 0)
		return;
	if (write(ready, &st, 1) != 1)
		mm_log(LOG_WARNING, "cannot tell the caller why the daemon did not start: %s", g_strerror(errno));
	close(ready);
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
	/* The detached daemon does not share its starter's page table
	 * entries: each GSocket call after the fork would map GIO's and
	 * GObject's pages into the idle parent again (about 0.4 MB of
	 * RSS), so the parent watches and closes plain descriptors. */
	d->listen_fds = g_array_sized_new(FALSE, FALSE, sizeof(int), d->listeners->len);
	for (guint i = 0; i < d->listeners->len; i++) {
		int fd = g_socket_get_fd(d->listeners->pdata[i]);
		g_array_append_val(d->listen_fds, fd);
	}
	return mm_smtp_server_load(d->conf, &d->smtp, error);
}

/* The daemon's state and, when the configuration asks for it, the link
 * watcher. Only a profile rule that does not load stops the start: a
 * kernel without netlink leaves a daemon that still accepts and
 * delivers through the permanent routes. */
static gboolean
start_links(Daemon *d, GError **error)
{
	g_autoptr(GError) local_error = NULL;

	d->state = mm_daemon_state_new();
	d->state->netlink = FALSE;
	if (!mm_links_wanted(d->conf)) {
		/* online_query decides: the connections are listed, not watched */
		for (guint i = 0; d->conf->query_routes && i < d->conf->query_routes->len; i++) {
			const MmConfQueryRoute *q = d->conf->query_routes->pdata[i];
			g_ptr_array_add(d->state->profiles, mm_profile_state_new(q->name));
		}
		return TRUE;
	}
	d->links = mm_links_new(d->conf, d->jobs, d->state, &local_error);
	if (d->links)
		return TRUE;
	if (g_error_matches(local_error, MM_ERROR, MM_ERROR_CONFIG)) {
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	mm_log(LOG_ERR, "no link detection: %s", local_error->message);
	return TRUE;
}

static void
daemon_clear(Daemon *d)
{
	mm_reaper_stop();
	g_clear_handle_id(&d->restart_id, g_source_remove);
	unwatch_listeners(d);
	g_clear_handle_id(&d->queue_timer_id, g_source_remove);
	g_clear_handle_id(&d->queue_first_id, g_source_remove);
	g_clear_handle_id(&d->smtp_stop_id, g_source_remove);
	g_clear_handle_id(&d->jobs_stop_id, g_source_remove);
	g_clear_pointer(&d->control, mm_control_server_free);
	g_clear_pointer(&d->smtp_children, g_ptr_array_unref);
	/* before the jobs: a run's end calls back into the links */
	g_clear_pointer(&d->links, mm_links_free);
	g_clear_pointer(&d->jobs, mm_jobs_free);
	g_clear_pointer(&d->state, mm_daemon_state_free);
	g_clear_pointer(&d->listen_fds, g_array_unref);
	g_clear_pointer(&d->listeners, g_ptr_array_unref);
	mm_smtp_server_resources_clear(&d->smtp);
	g_clear_pointer(&d->owned_conf, mm_conf_free);
	if (d->pid_fd >= 0) {
		/* removed while we still hold the lock: a new daemon then
		 * makes its own file */
		unlink(d->pid_file);
		close(d->pid_fd);
		d->pid_fd = -1;
	}
	g_clear_pointer(&d->pid_file, g_free);
	g_clear_pointer(&d->loop, g_main_loop_unref);
}

int
mm_daemon_run(const MmDaemonConfig *cfg)
{
	Daemon d = { .cfg = cfg, .conf = cfg->conf, .pid_fd = -1 };
	g_autoptr(GError) error = NULL;
	int ready = -1;
	int status;

	g_return_val_if_fail(cfg->conf != NULL, EX_SOFTWARE);
	d.smtp_children = g_ptr_array_new_with_free_func((GDestroyNotify)smtp_child_free);
	if (!lock_pid_file(&d, &error)) {
		start_failed(&d, "daemon not started: %s", error->message);
		status = g_error_matches(error, MM_ERROR, MM_ERROR_LOCKED) ? EX_UNAVAILABLE : EX_CANTCREAT;
		goto out;
	}
	if (!add_listeners(&d, &error)) {
		start_failed(&d, "daemon not started: %s", error->message);
		status = mm_error_is_temporary(error) ? EX_TEMPFAIL : EX_CONFIG;
		goto out;
	}
	/* What a crash of the last daemon left while writing. Done before
	 * detaching: the scan's code and its error paths (GLib's charset
	 * conversion for a missing input/) are then not counted in the
	 * resident set of the daemon that -bd leaves running, which maps
	 * after the fork only what it touches itself. The pid file is
	 * locked, so no other daemon runs a collection meanwhile. */
	mm_queue_collect_orphans(d.conf->spool_dir, g_get_real_time() / G_USEC_PER_SEC);
	d.jobs = mm_jobs_new(d.conf, jobs_child_setup, &d);
	if (!start_links(&d, &error)) {
		start_failed(&d, "daemon not started: %s", error->message);
		status = EX_CONFIG;
		goto out;
	}
	if (!cfg->foreground && !detach(&ready, &error)) {
		start_failed(&d, "cannot detach: %s", error->message);
		status = EX_OSERR;
		goto out;
	}
	if (!mm_pidfile_write(d.pid_fd, getpid(), &error)) {
		start_failed(&d, "daemon not started: %s: %s", d.pid_file, error->message);
		status = EX_CANTCREAT;
		goto out;
	}
	if (ready >= 0) {
		detach_done(ready);
		ready = -1;
	}

	d.loop = g_main_loop_new(NULL, FALSE);
	d.state->started = g_get_real_time() / G_USEC_PER_SEC;
	if (!mm_reaper_start(on_quit_signal, on_reload_signal, &d, &error)) {
		mm_log(LOG_ERR, "cannot start: %s", error->message);
		status = EX_OSERR;
		goto out;
	}
	if (d.listeners)
		start_smtp_child(&d);
	if (d.links)
		mm_links_start(d.links);
	start_control(&d);
	if (cfg->queue_interval > 0) {
		/* as 1.0: a run at once, then one per interval */
		d.queue_first_id = g_idle_add(on_first_queue_run, &d);
		d.queue_timer_id = g_timeout_add_seconds((guint)cfg->queue_interval, on_queue_timer, &d);
	}
	mm_log(LOG_NOTICE, "daemon started pid=%d listen=%s queue_interval=%" G_GINT64_FORMAT "s links=%s",
	       (int)getpid(), d.listeners ? "yes" : "no", cfg->queue_interval,
	       d.links ? "netlink" : d.conf->online_query ? "online_query" : "none");
	g_main_loop_run(d.loop);
	mm_log(LOG_NOTICE, "daemon stopped");
	status = EX_OK;

out:
	detach_failed(ready, status);
	daemon_clear(&d);
	return status;
}
