/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The link tests' view of libnetdetect: runs the watcher and the matcher
 * with the profiles given on the command line and prints, one line each,
 * every evaluation and every change of a profile's verdict:
 *
 *   eval N
 *   online NAME LINK
 *   offline NAME: REASON
 *
 *   nd-monitor [-t] [-v] PROFILE...     watch until SIGTERM or SIGINT
 *   nd-monitor --once PROFILE...        one dump: the snapshot, the verdicts
 *
 * PROFILE is NAME[,KEY=VALUE...] with the keys interfaces, local, peer,
 * gateway (lists separated by ';') and default-route=yes|no. -t puts the
 * wall-clock time in microseconds before each verdict line ("T=..."),
 * for the link-up benchmark; -v prints each snapshot.
 */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

#include "netdetect/netdetect.h"

typedef struct {
	GPtrArray *profiles;
	GPtrArray *last;	/* NdMatch of the previous evaluation, or NULL */
	gboolean timestamps;
	gboolean verbose;
	guint evaluations;
} Monitor;

static gboolean
parse_profile(const char *spec, GPtrArray *profiles, GError **error)
{
	g_auto(GStrv) fields = g_strsplit(spec, ",", -1);
	g_autoptr(NdProfile) p = nd_profile_new(fields[0]);

	for (guint i = 1; fields[i] != NULL; i++) {
		g_auto(GStrv) kv = g_strsplit(fields[i], "=", 2);
		g_auto(GStrv) list = NULL;
		gboolean ok = TRUE;

		if (kv[1] == NULL) {
			g_set_error(error, ND_ERROR, ND_ERROR_INVALID, "%s: KEY=VALUE expected", fields[i]);
			return FALSE;
		}
		list = g_strsplit(kv[1], ";", -1);
		if (strcmp(kv[0], "interfaces") == 0)
			ok = nd_profile_set_interfaces(p, (const char *const *)list, error);
		else if (strcmp(kv[0], "local") == 0)
			ok = nd_profile_set_local_addresses(p, (const char *const *)list, error);
		else if (strcmp(kv[0], "peer") == 0)
			ok = nd_profile_set_peer_addresses(p, (const char *const *)list, error);
		else if (strcmp(kv[0], "gateway") == 0)
			ok = nd_profile_set_gateways(p, (const char *const *)list, error);
		else if (strcmp(kv[0], "default-route") == 0)
			nd_profile_set_require_default_route(p, strcmp(kv[1], "no") != 0);
		else {
			g_set_error(error, ND_ERROR, ND_ERROR_INVALID, "%s: unknown key", kv[0]);
			return FALSE;
		}
		if (!ok)
			return FALSE;
	}
	g_ptr_array_add(profiles, g_steal_pointer(&p));
	return TRUE;
}

static void
print_verdict(const Monitor *m, const NdMatch *match)
{
	if (m->timestamps)
		printf("T=%" G_GINT64_FORMAT " ", g_get_real_time());
	if (match->online)
		printf("online %s %s\n", match->profile, match->link);
	else
		printf("offline %s: %s\n", match->profile, match->reason);
}

static gboolean
same_verdict(const NdMatch *a, const NdMatch *b)
{
	return a->online == b->online && g_strcmp0(a->link, b->link) == 0 &&
	       g_strcmp0(a->reason, b->reason) == 0;
}

static void
on_snapshot(NdWatcher *watcher, NdSnapshot *snapshot, gpointer user_data)
{
	Monitor *m = user_data;
	g_autoptr(GPtrArray) matches = nd_match(snapshot, (NdProfile *const *)m->profiles->pdata,
	                                        m->profiles->len);

	printf("eval %u\n", ++m->evaluations);
	if (m->verbose) {
		g_autofree char *text = nd_snapshot_to_string(snapshot);
		fputs(text, stdout);
	}
	for (guint i = 0; i < matches->len; i++) {
		const NdMatch *now = g_ptr_array_index(matches, i);
		if (m->last == NULL || !same_verdict(now, g_ptr_array_index(m->last, i)))
			print_verdict(m, now);
	}
	g_clear_pointer(&m->last, g_ptr_array_unref);
	m->last = g_steal_pointer(&matches);
	fflush(stdout);
}

static gboolean
on_signal(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
	gboolean once = FALSE;
	Monitor m = { .profiles = g_ptr_array_new_with_free_func((GDestroyNotify)nd_profile_free) };
	g_autoptr(GError) error = NULL;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--once") == 0)
			once = TRUE;
		else if (strcmp(argv[i], "-t") == 0)
			m.timestamps = TRUE;
		else if (strcmp(argv[i], "-v") == 0)
			m.verbose = TRUE;
		else {
			fprintf(stderr, "usage: nd-monitor [--once] [-t] [-v] PROFILE...\n");
			return 2;
		}
	}
	for (; i < argc; i++) {
		if (!parse_profile(argv[i], m.profiles, &error)) {
			fprintf(stderr, "nd-monitor: %s\n", error->message);
			return 2;
		}
	}

	if (once) {
		g_autoptr(NdSnapshot) snapshot = nd_snapshot_new_from_kernel(&error);
		if (snapshot == NULL) {
			fprintf(stderr, "nd-monitor: %s\n", error->message);
			return 1;
		}
		m.verbose = TRUE;
		on_snapshot(NULL, snapshot, &m);
	} else {
		g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
		g_autoptr(NdWatcher) watcher = nd_watcher_new(on_snapshot, &m, &error);
		guint term, intr;

		if (watcher == NULL) {
			fprintf(stderr, "nd-monitor: %s\n", error->message);
			return 1;
		}
		term = g_unix_signal_add(SIGTERM, on_signal, loop);
		intr = g_unix_signal_add(SIGINT, on_signal, loop);
		nd_watcher_start(watcher);
		g_main_loop_run(loop);
		g_source_remove(term);
		g_source_remove(intr);
	}
	g_clear_pointer(&m.last, g_ptr_array_unref);
	g_ptr_array_unref(m.profiles);
	return 0;
}
