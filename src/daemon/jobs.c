/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * jobs.c forks the daemon's delivery and queue-run children and keeps
 * count of them. It never delivers in the calling process and never
 * waits for a child: the main loop tells it when one is done. What a
 * child does is the delivery engine's (deliver.h, runner.h); jobs.c
 * only decides when and how many.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "daemon/jobs.h"
#include "deliver/deliver.h"
#include "queue/runner.h"
#include "queue/spool.h"
#include "queue/uid.h"

struct _MmJobs {
	const MmConf *conf;
	MmJobsChildSetup setup;
	gpointer setup_data;
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

typedef struct {
	MmJobs *jobs;
	pid_t pid;
	char *uid;             /* NULL for the queue run */
	guint watch_id;
} Child;

static void start_pending(MmJobs *jobs);

/* ---- in the child ----------------------------------------------------- */

/* The parent's signal handlers belong to its main loop, which does not
 * run here: without this a child could not be stopped by SIGTERM, and
 * the waitpid() of a pipe delivery could race a SIGCHLD handler. */
static void
child_reset_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD };
	sigset_t none;

	for (gsize i = 0; i < G_N_ELEMENTS(sigs); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Locks, reads and delivers one message. A message that is locked or
 * gone is somebody else's: not an error. Returns a sysexits(3) status. */
static int
deliver_uid(const MmConf *conf, const char *uid)
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
	if (!mm_deliver_message(run, msg, NULL, &error)) {
		mm_log(LOG_ERR, "%s: %s", uid, error->message);
		return EX_TEMPFAIL;
	}
	return EX_OK;
}

static int
queue_run(const MmConf *conf)
{
	g_autoptr(MmDeliverRun) run = mm_deliver_run_new(conf);
	g_autoptr(GError) error = NULL;
	MmQueueRunStats stats = { 0 };

	/* the run logs its start and its end with the numbers */
	if (!mm_queue_run(run, &stats, &error)) {
		mm_log(LOG_ERR, "queue run failed: %s", error->message);
		return EX_TEMPFAIL;
	}
	return stats.errors > 0 ? EX_TEMPFAIL : EX_OK;
}

/* ---- in the parent ---------------------------------------------------- */

static void
child_free(Child *c)
{
	if (c->watch_id)
		g_source_remove(c->watch_id);
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

static void
on_child_exit(GPid pid, gint status, gpointer data)
{
	Child *c = data;
	MmJobs *jobs = c->jobs;
	const char *what = c->uid ? c->uid : "queue run";

	g_spawn_close_pid(pid);
	c->watch_id = 0;
	if (WIFSIGNALED(status))
		mm_log(LOG_WARNING, "%s: child pid=%d killed by signal %d", what, (int)pid, WTERMSIG(status));
	else if (WEXITSTATUS(status) != EX_OK)
		mm_log(LOG_WARNING, "%s: child pid=%d exited with status %d", what, (int)pid,
		       WEXITSTATUS(status));
	if (c->uid) {
		g_hash_table_remove(jobs->known, c->uid);
		jobs->n_deliveries--;
	} else {
		jobs->run_pid = 0;
	}
	g_hash_table_remove(jobs->children, GINT_TO_POINTER(pid));
	start_pending(jobs);
	check_done(jobs);
}

/* Forks a child that runs @uid's delivery, or a queue run when @uid is
 * NULL. Returns its pid, or 0 when fork() failed (logged). */
static pid_t
spawn(MmJobs *jobs, const char *uid)
{
	pid_t pid = fork();
	Child *c;

	if (pid < 0) {
		mm_log(LOG_ERR, "%s: cannot fork: %s", uid ? uid : "queue run", g_strerror(errno));
		return 0;
	}
	if (pid == 0) {
		child_reset_signals();
		if (jobs->setup)
			jobs->setup(jobs->setup_data);
		_exit(uid ? deliver_uid(jobs->conf, uid) : queue_run(jobs->conf));
	}
	c = g_new0(Child, 1);
	c->jobs = jobs;
	c->pid = pid;
	c->uid = g_strdup(uid);
	c->watch_id = g_child_watch_add(pid, on_child_exit, c);
	g_hash_table_insert(jobs->children, GINT_TO_POINTER(pid), c);
	return pid;
}

static void
start_pending(MmJobs *jobs)
{
	while (!jobs->stopping && jobs->n_deliveries < MM_DAEMON_DELIVERIES_MAX &&
	       !g_queue_is_empty(&jobs->pending)) {
		g_autofree char *uid = g_queue_pop_head(&jobs->pending);
		pid_t pid = spawn(jobs, uid);

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
	g_free(jobs);
}

void
mm_jobs_set_conf(MmJobs *jobs, const MmConf *conf)
{
	jobs->conf = conf;
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
	jobs->run_pid = spawn(jobs, NULL);
	if (jobs->run_pid > 0)
		mm_log(LOG_INFO, "queue run child pid=%d", (int)jobs->run_pid);
	return jobs->run_pid > 0;
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
		int null_fd;

		/* the grandchild delivers; this child only lets the caller
		 * reap it at once */
		pid = fork();
		if (pid != 0)
			_exit(pid < 0 ? EX_OSERR : EX_OK);
		setsid();
		child_reset_signals();
		/* the client's connection must close when the session does,
		 * not when this delivery is over */
		null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null_fd >= 0) {
			dup2(null_fd, STDIN_FILENO);
			dup2(null_fd, STDOUT_FILENO);
			dup2(null_fd, STDERR_FILENO);
			if (null_fd > STDERR_FILENO)
				close(null_fd);
		}
		mm_log_set_stderr(FALSE);
		_exit(deliver_uid(conf, uid));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) != EX_OK)
		mm_log(LOG_WARNING, "%s: cannot fork to deliver; it stays queued", uid);
}
