/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The daemon's link handling: the netlink watcher (netdetect/) in the
 * daemon's main loop, the provider matcher run on each change of the
 * facts, the set of online connections, and the queue runs that follow
 * from it. links.c keeps MmDaemonState (state.h) current; it decides
 * when a run starts or stops, jobs.c makes the processes.
 *
 * A profile (query_routes.NAME) that goes online gets a run through its
 * routes at once, forked from the watcher's callback: no timer lies
 * between the event and the connection to the relay. One run per
 * profile at a time; a profile that comes back online while its run is
 * still going gets at most one more run, when that one ends. A profile
 * that goes offline has its run stopped at once. While a profile stays
 * online, a run that left recipients deferred is followed by another
 * one after MM_LINKS_RETRY_FIRST_SECS, doubling up to
 * MM_LINKS_RETRY_MAX_SECS.
 *
 * With online_query set, or without query_routes, there is no watcher:
 * the daemon works as masqmail 1.0 does.
 */
#pragma once

#include <glib.h>

#include "conf/conf.h"
#include "daemon/jobs.h"
#include "daemon/state.h"

/* the first retry of deferred mail while a profile stays online */
#define MM_LINKS_RETRY_FIRST_SECS 60
/* retries double up to this */
#define MM_LINKS_RETRY_MAX_SECS (30 * 60)

typedef struct _MmLinks MmLinks;

/* Whether @conf asks for link detection: query_routes are configured
 * and online_query is not set. */
gboolean mm_links_wanted(const MmConf *conf);

/* Loads the profiles of @conf (mm_profiles_load()), opens the netlink
 * watcher and dumps the current state; fills @state's profile list
 * (all offline until the first evaluation). @conf, @jobs and @state are
 * borrowed and must outlive the links. Nothing happens before
 * mm_links_start(). NULL with MM_ERROR_CONFIG (a profile rule, "FILE:
 * LINE: text") or MM_ERROR_TEMPORARY (netlink cannot be opened). */
MmLinks *mm_links_new(const MmConf *conf, MmJobs *jobs, MmDaemonState *state, GError **error);

/* Attaches the watcher to the main loop; the first evaluation, with
 * the state dumped at mm_links_new(), runs in the next iteration, so a
 * daemon started while a link is up delivers at once. */
void mm_links_start(MmLinks *links);

/* A new configuration (SIGHUP): its profiles replace the old ones when
 * all of them load, and are evaluated at once on the last snapshot.
 * Runs going on keep going; a profile that is gone is forgotten. FALSE
 * with MM_ERROR_CONFIG, and nothing changed, when a rule does not
 * load. @conf is borrowed, as for mm_links_new(). */
gboolean mm_links_set_conf(MmLinks *links, const MmConf *conf, GError **error);

/* A run asked for (the control socket's RUN): through profile @name
 * whatever the links say, as -qo NAME; @name NULL: through each profile
 * online now (none online: nothing to do, TRUE). A run already going
 * gets one more after it. FALSE with MM_ERROR_NOT_FOUND when @name is
 * no profile. */
gboolean mm_links_run(MmLinks *links, const char *name, GError **error);

/* The daemon stops: no more runs or retries start; the runs going on
 * end on their own (jobs.h). */
void mm_links_stop(MmLinks *links);

/* The names of the profiles online now, in configuration order; a
 * NULL-terminated list borrowed from @links, valid until the next
 * main-loop iteration. */
const char *const *mm_links_online(const MmLinks *links);

/* Stops the watcher and forgets the runs (they go on alone); the
 * profiles in the state stay as they were. NULL-safe. */
void mm_links_free(MmLinks *links);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmLinks, mm_links_free)
