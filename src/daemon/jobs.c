/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * jobs.c forks the daemon's delivery and queue-run children and keeps
 * count of them. It never delivers in the calling process and never
 * waits for a child: the main loop tells it when one is done. What a
 * child does is the delivery engine's (deliver.h, runner.h); jobs.c
 * only decides when and how many.
 *
 * A delivery child always hands its remote recipients to a worker
 * (remote_worker.h), also where it need not give up root, so that a
 * link going down can stop its transfers: SIGUSR1 from the parent (the
 * child's handler kills the worker), while its local deliveries, which
 * must never be cut off half-written, go on.
 *
 * A route run's child tells the parent its figures in one line on a
 * pipe ("messages delivered deferred failed"), written before it
 * exits; the parent reads it once the child is gone. The line comes
 * from our own child, but it is parsed like any input all the same.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/limits.h"
#include "base/log.h"
#include "daemon/jobs.h"
#include "daemon/reaper.h"
#include "deliver/deliver.h"
#include "deliver/remote_worker.h"
#include "queue/runner.h"
#include "queue/spool.h"
#include "queue/uid.h"

struct _MmJobs {
	const MmConf *conf;
	MmJobsChildSetup setup;
	gpointer setup_data;
	char **online;         /* what the link watcher sees online, NULL: ask online_query */
	GQueue pending;        /* char* uids waiting for a slot, oldest first */
	GHashTable *known;     /* uid -> pid (0 while waiting): one entry per message */
	GHashTable *children;  /* pid -> Child* */
	guint n_deliveries;
	pid_t run_pid;         /* the queue run, 0 when none */
	gboolean stopping;
	GSourceFunc done;
	gpointer done_data;
	guint done_id;
};

typedef enum {
	CHILD_DELIVERY,
	CHILD_QUEUE_RUN,
	CHILD_ROUTE_RUN,
} ChildKind;

typedef struct {
	MmJobs *jobs;
	ChildKind kind;
	pid_t pid;
	char *uid;             /* the message of a delivery */
	char *name;            /* the connection of a route run */
	int result_fd;         /* a route run's figures, -1 for the others */
	gboolean stopped;      /* a route run that mm_jobs_route_run_stop() ended */
	MmJobsRunDone done;
	gpointer done_data;
	guint watch_id;
} Child;

/* the figures line of a route run: four numbers */
#define RESULT_LINE_MAX 64

static void start_pending(MmJobs *jobs);

/* ---- in the child ----------------------------------------------------- */

static void
on_link_down(int signo)
{
	(void)signo;
	mm_remote_worker_link_down();
}

/* The parent's signal handlers belong to its main loop, which does not
 * run here: without this a child could not be stopped by SIGTERM, and
 * the waitpid() of a pipe delivery could race a SIGCHLD handler. With
 * @link_down, SIGUSR1 stops the child's remote transfers (jobs.h);
 * SA_RESTART, so that a local delivery it interrupts just goes on. It
 * is set before anything is unblocked: the parent forks with SIGUSR1
 * blocked, and one sent early waits for the handler. */
static void
child_reset_signals(gboolean link_down)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD };
	sigset_t none;

	for (gsize i = 0; i < G_N_ELEMENTS(sigs); i++)
		signal(sigs[i], SIG_DFL);
	if (link_down) {
		struct sigaction sa = { .sa_handler = on_link_down, .sa_flags = SA_RESTART };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The routes the child's run goes through: online_query's (1.0) or
 * the link watcher's connections. FALSE (logged) when they cannot be
 * found; the messages then wait for the next run. */
static gboolean
use_online(MmDeliverRun *run, const char *const *online)
{
	g_autoptr(GError) error = NULL;
	MmOnlineRequest req = { .online = online };

	if (!online)
		return TRUE;
	if (!mm_deliver_run_use_online(run, &req, &error)) {
		mm_log(LOG_ERR, "cannot find the online routes: %s", error->message);
		return FALSE;
	}
	return TRUE;
}

/* Locks, reads and delivers one message, its remote part as @worker
 * says. A message that is locked or gone is somebody else's: not an
 * error. Returns a sysexits(3) status. */
static int
deliver_uid(const MmConf *conf, const char *uid, const char *const *online, MmDeliverWorker worker)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSpoolLock) lock = NULL;
	g_autoptr(MmMessage) msg = NULL;
	g_autoptr(MmDeliverRun) run = NULL;

	lock = mm_spool_lock(conf->spool_dir, uid, &error);
	if (!lock) {
		if (g_error_matches(error, MM_ERROR, MM_ERROR_LOCKED) ||
		    g_error_matches(error, MM_ERROR, MM_ERROR_NOT_FOUND)) {
			mm_debug(1, "%s: not delivered now: %s", uid, error->message);
			return EX_OK;
		}
		mm_log(LOG_ERR, "%s: cannot lock: %s", uid, error->message);
		return EX_TEMPFAIL;
	}
	msg = mm_spool_read(conf->spool_dir, uid, TRUE, &error);
	if (!msg) {
		mm_log(LOG_ERR, "%s: cannot read: %s", uid, error->message);
		return g_error_matches(error, MM_ERROR, MM_ERROR_CORRUPT) ? EX_DATAERR : EX_TEMPFAIL;
	}
	run = mm_deliver_run_new(conf);
	mm_deliver_run_set_worker(run, worker);
	if (!use_online(run, online))
		return EX_TEMPFAIL;
	if (!mm_deliver_message(run, msg, NULL, &error)) {
		mm_log(LOG_ERR, "%s: %s", uid, error->message);
		return EX_TEMPFAIL;
	}
	return EX_OK;
}

static int
queue_run(const MmConf *conf, const char *const *online)
{
	g_autoptr(MmDeliverRun) run = mm_deliver_run_new(conf);
	g_autoptr(GError) error = NULL;
	MmQueueRunStats stats = { 0 };

	if (!use_online(run, online))
		return EX_TEMPFAIL;
	/* the run logs its start and its end with the numbers */
	if (!mm_queue_run(run, &stats, &error)) {
		mm_log(LOG_ERR, "queue run failed: %s", error->message);
		return EX_TEMPFAIL;
	}
	return stats.errors > 0 ? EX_TEMPFAIL : EX_OK;
}

/* One message of a route run; adds what happened to @sum. */
static void
route_run_message(MmDeliverRun *run, const char *uid, MmDeliverReport *sum)
{
	const MmConf *conf = mm_deliver_run_conf(run);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSpoolLock) lock = NULL;
	g_autoptr(MmMessage) msg = NULL;
	MmDeliverReport report = { 0 };

	lock = mm_spool_lock(conf->spool_dir, uid, &error);
	if (!lock) {
		/* locked: another process delivers it; gone: delivered */
		if (!g_error_matches(error, MM_ERROR, MM_ERROR_LOCKED) &&
		    !g_error_matches(error, MM_ERROR, MM_ERROR_NOT_FOUND))
			mm_log(LOG_ERR, "%s: cannot lock: %s", uid, error->message);
		return;
	}
	msg = mm_spool_read(conf->spool_dir, uid, TRUE, &error);
	if (!msg) {
		mm_log(LOG_ERR, "%s: cannot read: %s", uid, error->message);
		return;
	}
	if (!mm_deliver_message(run, msg, &report, &error))
		mm_log(LOG_ERR, "%s: %s", uid, error->message);
	sum->delivered += report.delivered;
	sum->deferred += report.deferred;
	sum->failed += report.failed;
}

/* The queue through the routes of connection @name, remote mail only,
 * as -qo NAME. The figures go to @result_fd. */
static int
route_run(const MmConf *conf, const char *name, int result_fd)
{
	g_autoptr(MmDeliverRun) run = mm_deliver_run_new(conf);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) uids = NULL;
	MmOnlineRequest req = { .only = name };
	MmDeliverReport sum = { 0 };
	char line[RESULT_LINE_MAX];
	int len;

	mm_deliver_run_set_local(run, FALSE);
	if (!mm_deliver_run_use_online(run, &req, &error)) {
		mm_log(LOG_ERR, "run: %s: %s", name, error->message);
		return EX_CONFIG;
	}
	uids = mm_spool_list_uids(conf->spool_dir, &error);
	if (!uids) {
		mm_log(LOG_ERR, "run: %s: cannot list the queue: %s", name, error->message);
		return EX_TEMPFAIL;
	}
	for (guint i = 0; i < uids->len; i++)
		route_run_message(run, uids->pdata[i], &sum);
	/* the sessions end (QUIT) before the run counts as finished */
	g_clear_pointer(&run, mm_deliver_run_free);
	len = snprintf(line, sizeof line, "%u %u %u %u\n", uids->len, sum.delivered, sum.deferred,
	               sum.failed);
	if (write(result_fd, line, (size_t)len) != len)
		return EX_IOERR;
	return EX_OK;
}

/* ---- in the parent ---------------------------------------------------- */

static void
child_free(Child *c)
{
	mm_reaper_unwatch(c->watch_id);
	if (c->result_fd >= 0)
		close(c->result_fd);
	g_free(c->name);
	g_free(c->uid);
	g_free(c);
}

static gboolean
on_done(gpointer data)
{
	MmJobs *jobs = data;
	GSourceFunc done = jobs->done;

	jobs->done_id = 0;
	jobs->done = NULL;
	if (done)
		done(jobs->done_data);
	return G_SOURCE_REMOVE;
}

static void
check_done(MmJobs *jobs)
{
	if (jobs->stopping && jobs->done && !jobs->done_id && g_hash_table_size(jobs->children) == 0)
		jobs->done_id = g_idle_add(on_done, jobs);
}

/* Reads a route run's figures from its pipe, once the child is gone:
 * what it wrote is there or never will be. */
static void
route_run_ended(Child *c, gint status)
{
	char buf[RESULT_LINE_MAX + 1];
	ssize_t n;
	guint messages, delivered, deferred, failed;
	MmJobsRunResult result = { .stopped = c->stopped };
	g_autofree char *why = NULL;

	do
		n = read(c->result_fd, buf, sizeof buf - 1);
	while (n < 0 && errno == EINTR);
	buf[n > 0 ? n : 0] = '\0';
	if (n > 0 && buf[n - 1] == '\n' &&
	    sscanf(buf, "%u %u %u %u", &messages, &delivered, &deferred, &failed) == 4) {
		result.messages = messages;
		result.delivered = delivered;
		result.deferred = deferred;
		result.failed = failed;
		result.finished = TRUE;
	} else if (c->stopped) {
		why = g_strdup("stopped on request");
	} else if (WIFSIGNALED(status)) {
		why = g_strdup_printf("killed by signal %d", WTERMSIG(status));
	} else {
		why = g_strdup_printf("ended with status %d", WEXITSTATUS(status));
	}
	result.error = why;
	if (c->done)
		c->done(c->name, &result, c->done_data);
}

static void
on_child_exit(GPid pid, gint status, gpointer data)
{
	Child *c = data;
	MmJobs *jobs = c->jobs;
	const char *what = c->uid ? c->uid : c->name ? c->name : "queue run";

	g_spawn_close_pid(pid);
	c->watch_id = 0;
	if (c->kind == CHILD_ROUTE_RUN) {
		/* the done callback logs it */
		route_run_ended(c, status);
	} else if (WIFSIGNALED(status))
		mm_log(LOG_WARNING, "%s: child pid=%d killed by signal %d", what, (int)pid, WTERMSIG(status));
	else if (WEXITSTATUS(status) != EX_OK)
		mm_log(LOG_WARNING, "%s: child pid=%d exited with status %d", what, (int)pid,
		       WEXITSTATUS(status));
	if (c->kind == CHILD_DELIVERY) {
		g_hash_table_remove(jobs->known, c->uid);
		jobs->n_deliveries--;
	} else if (c->kind == CHILD_QUEUE_RUN) {
		jobs->run_pid = 0;
	}
	g_hash_table_remove(jobs->children, GINT_TO_POINTER(pid));
	start_pending(jobs);
	check_done(jobs);
}

/* Forks a child that runs @uid's delivery (CHILD_DELIVERY), a queue
 * run, or a route run through connection @name. Returns the Child, or
 * NULL when fork() failed (logged). */
static Child *
spawn(MmJobs *jobs, ChildKind kind, const char *uid, const char *name)
{
	const char *what = uid ? uid : name ? name : "queue run";
	int fds[2] = { -1, -1 };
	sigset_t usr1, old;
	pid_t pid;
	Child *c;

	if (kind == CHILD_ROUTE_RUN && pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		mm_log(LOG_ERR, "run: %s: cannot make a pipe: %s", name, g_strerror(errno));
		return NULL;
	}
	/* a delivery may be told of a link going down right after the
	 * fork: the signal must wait for its handler (child_reset_signals()) */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &old);
	pid = fork();
	if (pid != 0)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		mm_log(LOG_ERR, "%s: cannot fork: %s", what, g_strerror(errno));
		if (fds[0] >= 0) {
			close(fds[0]);
			close(fds[1]);
		}
		return NULL;
	}
	if (pid == 0) {
		const char *const *online = (const char *const *)jobs->online;

		child_reset_signals(kind == CHILD_DELIVERY);
		if (kind == CHILD_ROUTE_RUN) {
			/* its group is what mm_jobs_route_run_stop() signals:
			 * the run and whatever it started for its transfers */
			setpgid(0, 0);
			close(fds[0]);
		}
		if (jobs->setup)
			jobs->setup(jobs->setup_data);
		switch (kind) {
		case CHILD_DELIVERY:
			/* a worker always, with our own ids where the
			 * default would make none (run_as_user, not root) */
			_exit(deliver_uid(jobs->conf, uid, online,
			                  geteuid() == 0 && !jobs->conf->run_as_user ? MM_DELIVER_WORKER_AUTO
			                                                             : MM_DELIVER_WORKER_SAME_IDS));
		case CHILD_QUEUE_RUN:
			_exit(queue_run(jobs->conf, online));
		case CHILD_ROUTE_RUN:
			_exit(route_run(jobs->conf, name, fds[1]));
		}
		_exit(EX_SOFTWARE);
	}
	c = g_new0(Child, 1);
	c->jobs = jobs;
	c->kind = kind;
	c->pid = pid;
	c->uid = g_strdup(uid);
	c->name = g_strdup(name);
	c->result_fd = fds[0];
	if (kind == CHILD_ROUTE_RUN) {
		close(fds[1]);
		/* also here, so that a stop right after the fork reaches
		 * the group; EACCES once the child ran: it did it itself */
		setpgid(pid, pid);
	}
	c->watch_id = mm_reaper_watch(pid, on_child_exit, c);
	g_hash_table_insert(jobs->children, GINT_TO_POINTER(pid), c);
	return c;
}

static void
start_pending(MmJobs *jobs)
{
	while (!jobs->stopping && jobs->n_deliveries < MM_DAEMON_DELIVERIES_MAX &&
	       !g_queue_is_empty(&jobs->pending)) {
		g_autofree char *uid = g_queue_pop_head(&jobs->pending);
		Child *c = spawn(jobs, CHILD_DELIVERY, uid, NULL);
		pid_t pid = c ? c->pid : 0;

		if (pid == 0) {
			/* it stays in the queue; the next request or run tries again */
			g_hash_table_remove(jobs->known, uid);
			return;
		}
		jobs->n_deliveries++;
		g_hash_table_insert(jobs->known, g_strdup(uid), GINT_TO_POINTER(pid));
		mm_log(LOG_INFO, "%s: delivery child pid=%d", uid, (int)pid);
	}
}

MmJobs *
mm_jobs_new(const MmConf *conf, MmJobsChildSetup setup, gpointer setup_data)
{
	MmJobs *jobs = g_new0(MmJobs, 1);

	jobs->conf = conf;
	jobs->setup = setup;
	jobs->setup_data = setup_data;
	g_queue_init(&jobs->pending);
	jobs->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	jobs->children = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)child_free);
	return jobs;
}

void
mm_jobs_free(MmJobs *jobs)
{
	if (!jobs)
		return;
	g_clear_handle_id(&jobs->done_id, g_source_remove);
	g_queue_clear_full(&jobs->pending, g_free);
	g_hash_table_unref(jobs->children);
	g_hash_table_unref(jobs->known);
	g_strfreev(jobs->online);
	g_free(jobs);
}

void
mm_jobs_set_conf(MmJobs *jobs, const MmConf *conf)
{
	jobs->conf = conf;
}

void
mm_jobs_set_online(MmJobs *jobs, const char *const *online)
{
	g_strfreev(jobs->online);
	jobs->online = g_strdupv((char **)online);
}

void
mm_jobs_deliver(MmJobs *jobs, const char *uid)
{
	g_return_if_fail(mm_uid_is_valid(uid));

	if (jobs->stopping) {
		mm_log(LOG_INFO, "%s: left in the queue: the daemon is stopping", uid);
		return;
	}
	if (g_hash_table_contains(jobs->known, uid))
		return;
	if (g_queue_get_length(&jobs->pending) >= MM_DAEMON_PENDING_MAX) {
		mm_log(LOG_WARNING, "%s: left for the next queue run: %u deliveries wait already", uid,
		       g_queue_get_length(&jobs->pending));
		return;
	}
	g_hash_table_insert(jobs->known, g_strdup(uid), GINT_TO_POINTER(0));
	g_queue_push_tail(&jobs->pending, g_strdup(uid));
	start_pending(jobs);
}

gboolean
mm_jobs_queue_run(MmJobs *jobs)
{
	if (jobs->stopping)
		return FALSE;
	if (jobs->run_pid > 0) {
		mm_log(LOG_NOTICE, "queue run skipped: the last one (pid=%d) still runs", (int)jobs->run_pid);
		return FALSE;
	}
	Child *c = spawn(jobs, CHILD_QUEUE_RUN, NULL, NULL);

	jobs->run_pid = c ? c->pid : 0;
	if (jobs->run_pid > 0)
		mm_log(LOG_INFO, "queue run child pid=%d", (int)jobs->run_pid);
	return jobs->run_pid > 0;
}

pid_t
mm_jobs_route_run(MmJobs *jobs, const char *name, MmJobsRunDone done, gpointer done_data)
{
	Child *c;

	g_return_val_if_fail(name != NULL, 0);

	if (jobs->stopping)
		return 0;
	c = spawn(jobs, CHILD_ROUTE_RUN, NULL, name);
	if (!c)
		return 0;
	c->done = done;
	c->done_data = done_data;
	return c->pid;
}

void
mm_jobs_route_run_stop(MmJobs *jobs, pid_t pid)
{
	Child *c = g_hash_table_lookup(jobs->children, GINT_TO_POINTER(pid));

	if (!c || c->kind != CHILD_ROUTE_RUN || c->stopped)
		return;
	c->stopped = TRUE;
	/* the group, in case the child has not made it yet: then the
	 * child itself */
	if (kill(-pid, SIGTERM) != 0)
		kill(pid, SIGTERM);
}

guint
mm_jobs_link_down(MmJobs *jobs)
{
	GHashTableIter iter;
	gpointer value;
	guint told = 0;

	g_hash_table_iter_init(&iter, jobs->children);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		Child *c = value;

		if (c->kind != CHILD_DELIVERY)
			continue;
		/* not yet reaped, so the pid is still our child's */
		if (kill(c->pid, SIGUSR1) != 0) {
			mm_debug(1, "%s: child pid=%d not told of the link: %s", c->uid, (int)c->pid,
			         g_strerror(errno));
			continue;
		}
		mm_log(LOG_NOTICE, "%s: delivery child pid=%d stops its remote transfers: %s", c->uid,
		       (int)c->pid, MM_REMOTE_WORKER_LINK_DOWN);
		told++;
	}
	return told;
}

guint
mm_jobs_n_running(const MmJobs *jobs)
{
	return g_hash_table_size(jobs->children);
}

guint
mm_jobs_n_pending(const MmJobs *jobs)
{
	return jobs->pending.length;
}

void
mm_jobs_stop(MmJobs *jobs, GSourceFunc done, gpointer done_data)
{
	guint dropped = g_queue_get_length(&jobs->pending);

	jobs->stopping = TRUE;
	if (dropped > 0)
		mm_log(LOG_INFO, "%u waiting deliveries left for the next queue run", dropped);
	while (!g_queue_is_empty(&jobs->pending)) {
		g_autofree char *uid = g_queue_pop_head(&jobs->pending);
		g_hash_table_remove(jobs->known, uid);
	}
	jobs->done = done;
	jobs->done_data = done_data;
	check_done(jobs);
}

void
mm_jobs_deliver_detached(const MmConf *conf, const char *uid)
{
	pid_t pid;
	int status;

	g_return_if_fail(mm_uid_is_valid(uid));

	pid = fork();
	if (pid < 0) {
		mm_log(LOG_WARNING, "%s: cannot fork to deliver (%s); it stays queued", uid, g_strerror(errno));
		return;
	}
	if (pid == 0) {

		/* the grandchild delivers; this child only lets the caller
		 * reap it at once */
		pid = fork();
		if (pid != 0)
			_exit(pid < 0 ? EX_OSERR : EX_OK);
		setsid();
		mm_reaper_child_setup();
		child_reset_signals(FALSE);
		/* the client's connection must close when the session does,
		 * not when this delivery is over */
		mm_fs_stdio_to_null(TRUE);
		mm_log_set_stderr(FALSE);
		_exit(deliver_uid(conf, uid, NULL, MM_DELIVER_WORKER_AUTO));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) != EX_OK)
		mm_log(LOG_WARNING, "%s: cannot fork to deliver; it stays queued", uid);
}
