/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * reaper.c: the daemon's signalfd (see reaper.h for why).
 */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "daemon/reaper.h"

typedef struct {
	guint id;
	GPid pid;
	MmReaperFunc func;
	gpointer data;
} Watch;

static int sfd = -1;
static guint source_id;
static GSourceFunc quit_func, reload_func;
static gpointer signal_data;
static GHashTable *watches; /* pid -> Watch* */
static guint last_id;

static void
handled_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

static void
reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		Watch *w = g_hash_table_lookup(watches, GINT_TO_POINTER(pid));
		MmReaperFunc func;
		gpointer data;

		if (w == NULL)
			continue;
		func = w->func;
		data = w->data;
		g_hash_table_remove(watches, GINT_TO_POINTER(pid));
		func(pid, status, data);
	}
}

static gboolean
on_signal(gint fd, GIOCondition cond, gpointer unused)
{
	struct signalfd_siginfo si;
	gboolean child = FALSE;

	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			child = TRUE;
		else if (si.ssi_signo == SIGHUP)
			reload_func(signal_data);
		else
			quit_func(signal_data);
	}
	/* several ends may come as one SIGCHLD */
	if (child && watches != NULL)
		reap();
	return G_SOURCE_CONTINUE;
}

gboolean
mm_reaper_start(GSourceFunc on_quit, GSourceFunc on_reload, gpointer data, GError **error)
{
	sigset_t set;

	g_return_val_if_fail(sfd < 0, FALSE);
	handled_signals(&set);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
		mm_error_set_errno(error, errno, "blocking signals");
		return FALSE;
	}
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		mm_error_set_errno(error, errno, "signalfd");
		return FALSE;
	}
	quit_func = on_quit;
	reload_func = on_reload;
	signal_data = data;
	watches = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	source_id = g_unix_fd_add(sfd, G_IO_IN, on_signal, NULL);
	/* a child may have ended before the signal was blocked */
	reap();
	return TRUE;
}

void
mm_reaper_stop(void)
{
	g_clear_handle_id(&source_id, g_source_remove);
	g_clear_pointer(&watches, g_hash_table_destroy);
	if (sfd >= 0) {
		close(sfd);
		sfd = -1;
	}
}

guint
mm_reaper_watch(GPid pid, MmReaperFunc func, gpointer data)
{
	Watch *w = g_new0(Watch, 1);

	g_return_val_if_fail(watches != NULL, 0);
	w->id = ++last_id;
	w->pid = pid;
	w->func = func;
	w->data = data;
	g_hash_table_replace(watches, GINT_TO_POINTER(pid), w);
	return w->id;
}

void
mm_reaper_unwatch(guint id)
{
	GHashTableIter it;
	gpointer value;

	if (watches == NULL || id == 0)
		return;
	g_hash_table_iter_init(&it, watches);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		if (((Watch *)value)->id == id) {
			g_hash_table_iter_remove(&it);
			return;
		}
	}
}

void
mm_reaper_child_setup(void)
{
	sigset_t set;

	handled_signals(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (sfd >= 0) {
		close(sfd);
		sfd = -1;
	}
	/* the parent's watches mean nothing here; the memory is the
	 * parent's copy, left as it is */
	watches = NULL;
	source_id = 0;
}
