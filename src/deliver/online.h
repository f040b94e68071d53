/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Which routes are online, and so which routes a queue run tries, in
 * order: the permanent_routes always, then the routes of each online
 * connection (query_routes.NAME) in configuration order, as masqmail
 * 1.0 does. What is online comes from the caller (-qo NAME, the link
 * watcher) or, when online_query is set, from that command, run the
 * 1.0 way: it prints the connection's name and exits 0.
 */
#pragma once

#include <glib.h>

#include "conf/conf.h"

/* Runs @command (split by sh(1) rules, no shell; stdin /dev/null,
 * stderr discarded, environment PATH=/usr/bin:/bin only) for at most
 * MM_ONLINE_QUERY_TIMEOUT_SECS and returns the first line of its
 * output, white space trimmed, in @name (caller frees). An exit status
 * other than 0, a signal, empty output or the time limit mean offline:
 * TRUE with *@name NULL. FALSE with MM_ERROR_CONFIG when the command
 * does not split, MM_ERROR_TEMPORARY when it cannot be started. At
 * most MM_ONLINE_QUERY_OUTPUT_MAX bytes of output are read. */
gboolean mm_online_query(const char *command, char **name, GError **error);

/* Where a run is told what is online. */
typedef struct {
	/* -qo NAME: only the routes of query_routes.NAME, no permanent
	 * routes, whatever else is online. NULL: not given. */
	const char *only;
	/* The connections known to be online (the link watcher), a
	 * NULL-terminated list of query_routes names, in any order; the
	 * configuration's order is kept. NULL: ask online_query when it
	 * is set, else no connection is online. */
	const char *const *online;
} MmOnlineRequest;

/* The routes to try, in order: a new GPtrArray of MmRoute* that frees
 * them (maybe empty). A connection that online_query names but the
 * configuration does not know is logged and counts as offline (1.0).
 * Errors: MM_ERROR_NOT_FOUND when @req->only is no query_routes name,
 * MM_ERROR_CONFIG for a route file that does not load ("FILE:LINE:
 * text"), those of mm_online_query(). */
GPtrArray *mm_online_routes(const MmConf *conf, const MmOnlineRequest *req, GError **error);
