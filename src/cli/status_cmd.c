/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * status_cmd.c is `masqmail --status`: the running daemon's report
 * through the control socket, or, without a daemon, the report of one
 * look at the links (a netlink dump and the provider matcher over the
 * configured profiles) and the queue. The exit status says whether a
 * provider is online (0) or not (1), so that scripts can ask; other
 * values are errors (masqmail(8)).
 */
#include "config.h"

#include <stdio.h>
#include <sysexits.h>

#include "base/error.h"
#include "cli/commands.h"
#include "daemon/control.h"
#include "daemon/profiles.h"
#include "daemon/status.h"
#include "deliver/online.h"

/* online_query decides instead of the links, as in 1.0: the one
 * connection it names is online. */
static gboolean
ask_online_query(const MmConf *conf, MmDaemonState *state, GError **error)
{
	g_autofree char *name = NULL;

	state->netlink = FALSE;
	if (!mm_online_query(conf->online_query, &name, error))
		return FALSE;
	for (guint i = 0; i < state->profiles->len; i++) {
		MmProfileState *p = state->profiles->pdata[i];

		g_clear_pointer(&p->link, g_free);
		g_clear_pointer(&p->reason, g_free);
		p->online = name && g_strcmp0(p->name, name) == 0;
		if (!p->online)
			p->reason = g_strdup(name ? "online_query names another connection" : "online_query says offline");
	}
	return TRUE;
}

static int
status_without_daemon(const MmConf *conf)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) profiles = mm_profiles_load(conf, &error);
	g_autoptr(NdSnapshot) snapshot = NULL;
	g_autoptr(MmDaemonState) state = NULL;
	g_autofree char *report = NULL;
	MmQueueFigures queue;
	gboolean have_queue;
	MmStatusInput in = { .daemon_running = FALSE };

	if (!profiles) {
		fprintf(stderr, "masqmail: %s\n", error->message);
		return EX_CONFIG;
	}
	snapshot = nd_snapshot_new_from_kernel(&error);
	if (!snapshot) {
		fprintf(stderr, "masqmail: cannot see the links: %s\n", error->message);
		return EX_UNAVAILABLE;
	}
	state = mm_status_state_from_match(snapshot, (NdProfile *const *)profiles->pdata, profiles->len);
	if (conf->online_query && !ask_online_query(conf, state, &error)) {
		fprintf(stderr, "masqmail: online_query: %s\n", error->message);
		return mm_cmd_exit_status(error);
	}
	have_queue = mm_status_count_queue(conf->spool_dir, &queue, &error);
	if (!have_queue)
		fprintf(stderr, "masqmail: cannot count the queue: %s\n", error->message);
	in.now = g_get_real_time() / G_USEC_PER_SEC;
	in.state = state;
	in.queue = have_queue ? &queue : NULL;
	report = mm_status_render(&in);
	fputs(report, stdout);
	return mm_status_exit_code(state);
}

int
mm_cmd_status(const MmOptions *opts, const MmConf *conf)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *report = mm_control_request(conf->pid_dir, "STATUS", &error);

	if (report) {
		fputs(report, stdout);
		return mm_status_exit_code_from_report(report);
	}
	if (g_error_matches(error, MM_ERROR, MM_ERROR_NOT_FOUND))
		return status_without_daemon(conf);
	fprintf(stderr, "masqmail: the daemon does not answer: %s\n", error->message);
	return EX_UNAVAILABLE;
}
