/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The status report of `masqmail --status` and of the control socket's
 * STATUS: what the daemon knows (MmDaemonState) and the queue, as
 * stable `key: value` lines that masqmail(8) documents one by one.
 * Rendering is a pure function of its input, so the tests compare
 * exact text; gathering (the queue count, the one-shot link dump)
 * is apart from it.
 *
 *   daemon: running | not running
 *   pid: PID                                  (running only)
 *   uptime: SECONDS                           (running only)
 *   detection: netlink | online_query | none
 *   link NAME: up|down carrier|no-carrier [point-to-point] type=T
 *     addresses=A,B peer=P default-route=yes|no gateway=G
 *   profile NAME: online since TIME via LINK | offline: REASON
 *   route NAME: online since TIME             (each online route)
 *   online: NAME NAME... | none
 *   queue: messages=N recipients=M
 *   run NAME: [running] last=TIME delivered=N deferred=N failed=N [error=TEXT]
 *                                             (each profile that ran or runs)
 *
 * TIME is UTC in ISO 8601 ("2024-05-01T10:00:00Z"), or "-" when not
 * known. Values never hold a line end: texts from outside (reasons,
 * errors) have control characters replaced.
 */
#pragma once

#include <glib.h>

#include "daemon/state.h"
#include "netdetect/netdetect.h"

/* Recipients still to be delivered and the messages they belong to. */
typedef struct {
	guint messages;
	guint recipients;
} MmQueueFigures;

/* Counts the committed messages of @spool_dir and their pending
 * recipients. Damaged entries count as messages with no recipient.
 * FALSE with an errno-based error when the spool cannot be listed. */
gboolean mm_status_count_queue(const char *spool_dir, MmQueueFigures *out, GError **error);

/* A state as a daemon would have it, from one look at @snapshot (a
 * reference is taken; may be NULL) and @profiles: the verdicts of
 * nd_match(), with no times and no runs. Newly allocated. */
MmDaemonState *mm_status_state_from_match(NdSnapshot *snapshot, NdProfile *const *profiles,
                                          guint n_profiles);

typedef struct {
	gboolean daemon_running;
	int pid;                      /* daemon_running only */
	gint64 started;               /* epoch seconds the daemon started, 0: @state's */
	gint64 now;                   /* epoch seconds, for the uptime */
	const MmDaemonState *state;   /* NULL: nothing known about links */
	const MmQueueFigures *queue;  /* NULL: the queue line is left out */
} MmStatusInput;

/* The report as described above, each line ending in LF, no final
 * empty line. Newly allocated. */
char *mm_status_render(const MmStatusInput *in);

/* What --status exits with: 0 when some profile of @state is online,
 * 1 when none is (or @state is NULL). */
int mm_status_exit_code(const MmDaemonState *state);

/* The same decision from a rendered report (the client's side): 0
 * when its `online:` line names a route, 1 otherwise. */
int mm_status_exit_code_from_report(const char *report);
