/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What the daemon knows about its links and routes, for the status
 * report (masqmail --status) and the control socket. links.c keeps it
 * current; status.c only reads it.
 */
#pragma once

#include <glib.h>

#include "netdetect/netdetect.h"

/* One provider profile (a query_routes.NAME connection). */
typedef struct {
	char *name;          /* the connection name of query_routes.NAME */
	gboolean online;
	gint64 since;        /* epoch seconds of the last change of @online, 0 before the first */
	char *link;          /* the interface that matched while online, else NULL */
	char *reason;        /* why it is offline (from the matcher), else NULL */
	gboolean running;    /* a queue run through it is going on */
	gint64 last_run;     /* epoch seconds of the end of the last run, 0 for none */
	guint last_delivered, last_deferred, last_failed;
	char *last_error;    /* the last error of the last run, or NULL */
} MmProfileState;

typedef struct {
	gint64 started;          /* epoch seconds the daemon started */
	gboolean netlink;        /* FALSE when online_query replaces netlink detection */
	NdSnapshot *snapshot;    /* the last link snapshot (a reference), may be NULL */
	GPtrArray *profiles;     /* MmProfileState*, in configuration order */
} MmDaemonState;

MmProfileState *mm_profile_state_new(const char *name);
void mm_profile_state_free(MmProfileState *p);
MmDaemonState *mm_daemon_state_new(void);
void mm_daemon_state_free(MmDaemonState *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmDaemonState, mm_daemon_state_free)
