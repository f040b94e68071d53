/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The daemon's work in child processes: delivering one message that
 * the SMTP server queued, and queue runs. Deliveries block (deliver.h),
 * so the daemon never makes them itself: it forks, and the main loop
 * only watches the child (mm_reaper_watch()).
 *
 * A delivery's remote transfers can be stopped when a link goes down
 * (mm_jobs_link_down()); its local deliveries never are.
 *
 * With link detection the daemon also runs the queue through one
 * provider profile at a time (mm_jobs_route_run()): remote mail only,
 * in a process group of its own so that a link going down can stop
 * the whole transfer at once (mm_jobs_route_run_stop()).
 *
 * At most MM_DAEMON_DELIVERIES_MAX deliveries run at once; further
 * requests wait in a queue in the parent, one entry per message (a
 * message already waiting or being delivered is not added again), at
 * most MM_DAEMON_PENDING_MAX of them. At most one queue run runs at a
 * time. Every child locks what it works on (spool.h) and skips what is
 * locked: another process is delivering it.
 *
 * The one-shot SMTP session (-bs) has no main loop; it hands each
 * message to a detached process (mm_jobs_deliver_detached()).
 */
#pragma once

#include <glib.h>

#include "conf/conf.h"

typedef struct _MmJobs MmJobs;

/* Called in every child right after fork(), before its work: the
 * place to close what the child must not keep (the pid file, the
 * listening sockets, pipes of other children). */
typedef void (*MmJobsChildSetup)(gpointer user_data);

/* A new set of jobs over @conf (borrowed; see mm_jobs_set_conf()).
 * @setup may be NULL. Free with mm_jobs_free(). */
MmJobs *mm_jobs_new(const MmConf *conf, MmJobsChildSetup setup, gpointer setup_data);

/* Forgets the children still running (they go on and finish on their
 * own; nothing waits for them any more) and the requests waiting.
 * NULL-safe. */
void mm_jobs_free(MmJobs *jobs);

/* Children started from now on use @conf (borrowed; must stay valid
 * until the next call or mm_jobs_free()). Running children keep the
 * configuration they were started with. */
void mm_jobs_set_conf(MmJobs *jobs, const MmConf *conf);

/* The connections (query_routes names) the link watcher sees online,
 * a NULL-terminated list that is copied, for the deliveries and queue
 * runs started from now on. NULL (the default) lets each child ask
 * online_query, as 1.0 does; an empty list means no connection is
 * online (the permanent routes still are). */
void mm_jobs_set_online(MmJobs *jobs, const char *const *online);

/* Delivers message @uid in a child, now or when a slot is free.
 * Requests for a message already waiting or being delivered, and all
 * requests after mm_jobs_stop(), are dropped: the message stays in the
 * queue either way. @uid must be valid (mm_uid_is_valid()). */
void mm_jobs_deliver(MmJobs *jobs, const char *uid);

/* Starts a queue run in a child. FALSE (and logged) when one still
 * runs, after mm_jobs_stop(), or when the child cannot be made. */
gboolean mm_jobs_queue_run(MmJobs *jobs);

/* What a route run did, counted in recipients (deliver.h). */
typedef struct {
	guint messages;       /* messages it looked at */
	guint delivered, deferred, failed;
	gboolean finished;    /* it reached its end (not stopped or died) */
	gboolean stopped;     /* ended by mm_jobs_route_run_stop() */
	const char *error;    /* why it did not finish, or NULL */
} MmJobsRunResult;

/* Called from the main loop when a route run has ended; @result is
 * borrowed for the call. Not called after mm_jobs_free(). */
typedef void (*MmJobsRunDone)(const char *name, const MmJobsRunResult *result, gpointer user_data);

/* Starts a queue run through the routes of query_routes.@name only
 * (as -qo NAME: no permanent routes, no local deliveries) in a child
 * that leads a process group of its own. Returns its pid, or 0 after
 * mm_jobs_stop() or when it cannot be made (logged). @done is called
 * once when it ends. The caller decides how many run at once. */
pid_t mm_jobs_route_run(MmJobs *jobs, const char *name, MmJobsRunDone done, gpointer done_data);

/* Stops route run @pid now: SIGTERM to its process group, so that its
 * SMTP connections close at once. What the relay had not confirmed
 * with its final reply stays pending in the spool (the -H file is
 * written only after it); the done callback says stopped. */
void mm_jobs_route_run_stop(MmJobs *jobs, pid_t pid);

/* A link went down: every delivery child running now (mm_jobs_deliver())
 * drops its remote transfers at once (SIGUSR1: it kills its remote
 * worker, remote_worker.h). The recipients the relay had not confirmed
 * are deferred ("the link went down") and stay pending for the next
 * run; local deliveries and the -H file are finished as usual; a child
 * without remote recipients is not disturbed. Route runs are stopped
 * with mm_jobs_route_run_stop(); the queue run is not told. Returns the
 * number of children told (each is logged). */
guint mm_jobs_link_down(MmJobs *jobs);

/* Children running now: deliveries and the queue run. */
guint mm_jobs_n_running(const MmJobs *jobs);

/* Requests waiting for a free slot. */
guint mm_jobs_n_pending(const MmJobs *jobs);

/* Starts nothing more and drops the waiting requests (their messages
 * stay queued for the next run). @done is called once, from the main
 * loop, when no child is left; at once (from an idle source) when none
 * runs. @done may be NULL. */
void mm_jobs_stop(MmJobs *jobs, GSourceFunc done, gpointer done_data);

/* -bs: delivers message @uid in a process of its own, detached from
 * the caller (a double fork, so the caller has no child to reap) and
 * from its standard descriptors (the client's connection). Returns
 * at once; a failed fork is logged and the message stays queued. */
void mm_jobs_deliver_detached(const MmConf *conf, const char *uid);
