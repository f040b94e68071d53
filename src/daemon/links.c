/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * links.c turns the watcher's snapshots into the daemon's actions: it
 * runs the matcher, logs each change of a profile, keeps MmDaemonState
 * current, tells jobs.c which connections are online, and starts and
 * stops the route runs. It never delivers and never waits: the runs are
 * jobs.c's children, and their end comes back through the main loop.
 *
 * A profile going offline also stops the remote transfers of the
 * deliveries of single messages (mm_jobs_link_down()): they chose their
 * routes among every profile online, and which link carries a
 * connection is the kernel's business, so all of them are told; their
 * local deliveries go on.
 *
 * Log lines (grep-able, one per event):
 *   link: profile NAME online via IFACE
 *   link: profile NAME offline: REASON
 *   run: NAME started pid=PID
 *   run: NAME finished messages=N delivered=N deferred=N failed=N
 *   run: NAME stopped: REASON
 */
#include "config.h"

#include <signal.h>

#include "base/error.h"
#include "base/log.h"
#include "daemon/links.h"
#include "daemon/profiles.h"

/* What links.c keeps per profile beside its MmProfileState. */
typedef struct {
	char *name;
	pid_t pid;             /* its run, 0 when none */
	gboolean again;        /* another run is wanted when this one ends */
	guint retry_id;        /* the timer of the next retry of deferred mail */
	guint retry_secs;      /* the interval of the next retry */
} Slot;

struct _MmLinks {
	const MmConf *conf;
	MmJobs *jobs;
	MmDaemonState *state;
	NdWatcher *watcher;
	GPtrArray *profiles;   /* NdProfile*, in configuration order */
	GHashTable *slots;     /* name -> Slot*; also of profiles gone by a reload */
	GPtrArray *online;     /* char* names online now, NULL-terminated */
	gboolean started;
	gboolean stopping;
};

static void start_run(MmLinks *links, Slot *slot);

static gint64
now_secs(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static void
slot_free(Slot *slot)
{
	g_clear_handle_id(&slot->retry_id, g_source_remove);
	g_free(slot->name);
	g_free(slot);
}

static Slot *
get_slot(MmLinks *links, const char *name)
{
	Slot *slot = g_hash_table_lookup(links->slots, name);

	if (!slot) {
		slot = g_new0(Slot, 1);
		slot->name = g_strdup(name);
		slot->retry_secs = MM_LINKS_RETRY_FIRST_SECS;
		g_hash_table_insert(links->slots, slot->name, slot);
	}
	return slot;
}

static MmProfileState *
find_state(MmLinks *links, const char *name)
{
	for (guint i = 0; i < links->state->profiles->len; i++) {
		MmProfileState *p = links->state->profiles->pdata[i];
		if (g_strcmp0(p->name, name) == 0)
			return p;
	}
	return NULL;
}

static gboolean
is_online(MmLinks *links, const char *name)
{
	MmProfileState *p = find_state(links, name);
	return p && p->online;
}

/* The state's profile list for @profiles, keeping what is known of
 * names that stay. */
static void
fill_state(MmLinks *links, GPtrArray *profiles)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func((GDestroyNotify)mm_profile_state_free);
	GPtrArray *old = links->state->profiles;

	for (guint i = 0; i < profiles->len; i++) {
		const char *name = nd_profile_get_name(profiles->pdata[i]);
		MmProfileState *p = NULL;

		for (guint j = 0; j < old->len; j++) {
			MmProfileState *o = old->pdata[j];
			if (o && g_strcmp0(o->name, name) == 0) {
				p = g_ptr_array_steal_index(old, j);
				break;
			}
		}
		g_ptr_array_add(list, p ? p : mm_profile_state_new(name));
	}
	g_ptr_array_unref(links->state->profiles);
	links->state->profiles = g_steal_pointer(&list);
}

static void
update_online_list(MmLinks *links)
{
	g_ptr_array_set_size(links->online, 0);
	for (guint i = 0; i < links->state->profiles->len; i++) {
		MmProfileState *p = links->state->profiles->pdata[i];
		if (p->online)
			g_ptr_array_add(links->online, g_strdup(p->name));
	}
	g_ptr_array_add(links->online, NULL);
	mm_jobs_set_online(links->jobs, (const char *const *)links->online->pdata);
}

typedef struct {
	MmLinks *links;
	Slot *slot;
} Retry;

static gboolean
on_retry_timer(gpointer data)
{
	Retry *r = data;

	r->slot->retry_id = 0;
	if (!r->links->stopping && is_online(r->links, r->slot->name)) {
		mm_log(LOG_INFO, "run: %s retrying deferred mail", r->slot->name);
		start_run(r->links, r->slot);
	}
	return G_SOURCE_REMOVE;
}

static void
schedule_retry(MmLinks *links, Slot *slot)
{
	Retry *r = g_new0(Retry, 1);

	r->links = links;
	r->slot = slot;
	g_clear_handle_id(&slot->retry_id, g_source_remove);
	slot->retry_id = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, slot->retry_secs, on_retry_timer,
	                                            r, g_free);
	mm_log(LOG_INFO, "run: %s deferred mail is tried again in %us", slot->name, slot->retry_secs);
	slot->retry_secs = MIN(slot->retry_secs * 2, MM_LINKS_RETRY_MAX_SECS);
}

static void
on_run_done(const char *name, const MmJobsRunResult *result, gpointer data)
{
	MmLinks *links = data;
	Slot *slot = g_hash_table_lookup(links->slots, name);
	MmProfileState *p = find_state(links, name);

	if (result->finished)
		mm_log(LOG_NOTICE, "run: %s finished messages=%u delivered=%u deferred=%u failed=%u", name,
		       result->messages, result->delivered, result->deferred, result->failed);
	else if (result->stopped)
		mm_log(LOG_NOTICE, "run: %s stopped: the link went down", name);
	else
		mm_log(LOG_WARNING, "run: %s stopped: %s", name, result->error);
	if (p) {
		p->running = FALSE;
		p->last_run = now_secs();
		p->last_delivered = result->delivered;
		p->last_deferred = result->deferred;
		p->last_failed = result->failed;
		g_free(p->last_error);
		p->last_error = g_strdup(result->stopped && !result->finished ? "stopped: the link went down"
		                                                               : result->error);
	}
	if (!slot)
		return;
	slot->pid = 0;
	if (links->stopping || !p || !p->online) {
		slot->again = FALSE;
		return;
	}
	if (slot->again) {
		slot->again = FALSE;
		start_run(links, slot);
	} else if (result->finished && result->deferred > 0) {
		schedule_retry(links, slot);
	} else if (result->finished) {
		slot->retry_secs = MM_LINKS_RETRY_FIRST_SECS;
	}
}

/* A run through @slot's profile now, or once the one going has ended:
 * never two at once, never more than one waiting. */
static void
start_run(MmLinks *links, Slot *slot)
{
	MmProfileState *p = find_state(links, slot->name);

	if (links->stopping)
		return;
	if (slot->pid > 0) {
		if (!slot->again)
			mm_debug(1, "run: %s another run follows the one going (pid=%d)", slot->name, (int)slot->pid);
		slot->again = TRUE;
		return;
	}
	g_clear_handle_id(&slot->retry_id, g_source_remove);
	slot->pid = mm_jobs_route_run(links->jobs, slot->name, on_run_done, links);
	if (slot->pid == 0)
		return;
	if (p)
		p->running = TRUE;
	mm_log(LOG_NOTICE, "run: %s started pid=%d", slot->name, (int)slot->pid);
}

static void
went_offline(MmLinks *links, Slot *slot)
{
	g_clear_handle_id(&slot->retry_id, g_source_remove);
	slot->retry_secs = MM_LINKS_RETRY_FIRST_SECS;
	slot->again = FALSE;
	if (slot->pid > 0) {
		mm_log(LOG_NOTICE, "run: %s stopping pid=%d: the link went down", slot->name, (int)slot->pid);
		mm_jobs_route_run_stop(links->jobs, slot->pid);
	}
}

/* Runs the matcher on @snapshot and acts on what changed. Offline
 * first: a run that must stop is stopped before any other starts. */
static void
evaluate(MmLinks *links, NdSnapshot *snapshot)
{
	g_autoptr(GPtrArray) matches = NULL;
	g_autoptr(GPtrArray) went_up = g_ptr_array_new();
	gboolean went_down = FALSE;
	gint64 now = now_secs();

	matches = nd_match(snapshot, (NdProfile *const *)links->profiles->pdata, links->profiles->len);
	for (guint i = 0; i < matches->len; i++) {
		NdMatch *m = matches->pdata[i];
		MmProfileState *p = links->state->profiles->pdata[i];
		gboolean changed = p->online != m->online || p->since == 0;

		if (m->online && (!p->online || g_strcmp0(p->link, m->link) != 0))
			mm_log(LOG_NOTICE, "link: profile %s online via %s", m->profile, m->link);
		else if (!m->online && (p->online || p->since == 0 || g_strcmp0(p->reason, m->reason) != 0))
			mm_log(p->online ? LOG_NOTICE : LOG_INFO, "link: profile %s offline: %s", m->profile,
			       m->reason);
		g_free(p->link);
		p->link = g_strdup(m->link);
		g_free(p->reason);
		p->reason = g_strdup(m->reason);
		if (!changed)
			continue;
		p->since = now;
		if (m->online && !p->online)
			g_ptr_array_add(went_up, get_slot(links, p->name));
		else if (!m->online && p->online) {
			went_offline(links, get_slot(links, p->name));
			went_down = TRUE;
		}
		p->online = m->online;
	}
	/* deliveries started from now on see the new list; those running
	 * may have connections through the link that is gone */
	update_online_list(links);
	if (went_down)
		mm_jobs_link_down(links->jobs);
	for (guint i = 0; i < went_up->len; i++) {
		Slot *slot = went_up->pdata[i];
		slot->retry_secs = MM_LINKS_RETRY_FIRST_SECS;
		start_run(links, slot);
	}
}

static void
on_snapshot(NdWatcher *watcher, NdSnapshot *snapshot, gpointer data)
{
	MmLinks *links = data;

	g_clear_pointer(&links->state->snapshot, nd_snapshot_unref);
	links->state->snapshot = nd_snapshot_ref(snapshot);
	if (links->stopping)
		return;
	evaluate(links, snapshot);
}

gboolean
mm_links_wanted(const MmConf *conf)
{
	return !conf->online_query && conf->query_routes && conf->query_routes->len > 0;
}

MmLinks *
mm_links_new(const MmConf *conf, MmJobs *jobs, MmDaemonState *state, GError **error)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) nd_error = NULL;
	MmLinks *links;

	profiles = mm_profiles_load(conf, error);
	if (!profiles)
		return NULL;
	links = g_new0(MmLinks, 1);
	links->conf = conf;
	links->jobs = jobs;
	links->state = state;
	links->profiles = g_steal_pointer(&profiles);
	links->slots = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)slot_free);
	links->online = g_ptr_array_new_with_free_func(g_free);
	links->watcher = nd_watcher_new(on_snapshot, links, &nd_error);
	if (!links->watcher) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "cannot watch the links: %s", nd_error->message);
		mm_links_free(links);
		return NULL;
	}
	state->netlink = TRUE;
	fill_state(links, links->profiles);
	g_clear_pointer(&state->snapshot, nd_snapshot_unref);
	state->snapshot = nd_snapshot_ref(nd_watcher_get_snapshot(links->watcher));
	/* nothing is online until the first evaluation says so */
	update_online_list(links);
	return links;
}

void
mm_links_start(MmLinks *links)
{
	g_return_if_fail(!links->started);

	links->started = TRUE;
	nd_watcher_start(links->watcher);
}

gboolean
mm_links_set_conf(MmLinks *links, const MmConf *conf, GError **error)
{
	g_autoptr(GPtrArray) profiles = mm_profiles_load(conf, error);

	if (!profiles)
		return FALSE;
	links->conf = conf;
	g_ptr_array_unref(links->profiles);
	links->profiles = g_steal_pointer(&profiles);
	fill_state(links, links->profiles);
	if (links->started && !links->stopping)
		evaluate(links, nd_watcher_get_snapshot(links->watcher));
	return TRUE;
}

gboolean
mm_links_run(MmLinks *links, const char *name, GError **error)
{
	if (name) {
		if (!find_state(links, name)) {
			g_set_error(error, MM_ERROR, MM_ERROR_NOT_FOUND, "no connection %s in query_routes", name);
			return FALSE;
		}
		start_run(links, get_slot(links, name));
		return TRUE;
	}
	for (guint i = 0; i < links->state->profiles->len; i++) {
		MmProfileState *p = links->state->profiles->pdata[i];
		if (p->online)
			start_run(links, get_slot(links, p->name));
	}
	return TRUE;
}

void
mm_links_stop(MmLinks *links)
{
	GHashTableIter iter;
	gpointer value;

	links->stopping = TRUE;
	g_hash_table_iter_init(&iter, links->slots);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		Slot *slot = value;
		g_clear_handle_id(&slot->retry_id, g_source_remove);
		slot->again = FALSE;
	}
}

const char *const *
mm_links_online(const MmLinks *links)
{
	return (const char *const *)links->online->pdata;
}

void
mm_links_free(MmLinks *links)
{
	if (!links)
		return;
	g_clear_pointer(&links->watcher, nd_watcher_free);
	g_clear_pointer(&links->slots, g_hash_table_unref);
	g_clear_pointer(&links->profiles, g_ptr_array_unref);
	g_clear_pointer(&links->online, g_ptr_array_unref);
	g_free(links);
}
