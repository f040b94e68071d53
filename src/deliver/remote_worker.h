/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The remote delivery worker: a child process that owns a run's remote
 * deliveries (remote.h: routes, SMTP sessions, wrappers, route pipes)
 * so that the code that reads the relays' replies never runs as root.
 *
 * The parent, root for local deliveries, starts one worker per run at
 * its first remote recipient. The worker gives up root for good (the
 * mail user and group) before it reads anything from the network, and
 * closes the descriptors it inherited that it must not hold: above all
 * the spool locks, which are open-file-description locks and would
 * stay held by the worker after the parent released them. The parent
 * keeps the spool, the locks, the -H files, notices and the decisions;
 * it hands the worker a batch of messages (those of a queue run go out
 * pipelined through shared sessions, remote.h) and reads back one
 * result per recipient.
 *
 * The wire, over a stream socketpair; SEQ counts the requests of the
 * worker from 1, so that nothing that belongs to one message is taken
 * for the answer to another:
 *
 *   worker, once:  "W <pid>\n"                    ready
 *                  "X <len>\n" REASON             could not start (exits)
 *   parent:        "M <seq> <envlen> <bodylen>\n" ENVELOPE BODY
 *                  (ENVELOPE: the -H file's text of the message with
 *                  exactly the request's recipients as RT: lines; BODY:
 *                  the body as it is)
 *                  "B <count>\n" and then <count> such requests,
 *                  written at once: a batch (at most
 *                  MM_QUEUE_BATCH_MAX), delivered together
 *   worker:        per recipient, in any order:
 *                  "R <seq> <index> <STATUS> <routelen> <hostlen> <reasonlen>\n"
 *                  ROUTE HOST REASON
 *                  (STATUS: DELIVERED, DEFERRED, FAILED or WAITING; a
 *                  length of 0 is "none"; for a batch, the results of
 *                  each request as soon as they are final)
 *
 * The parent treats the worker's output as hostile: every line and
 * field is bounded (MM_REMOTE_WORKER_*), the format is strict, an index
 * must be in range and come once, a route must be one of the run's, a
 * host has no control characters, and each request has a time limit
 * (MM_REMOTE_WORKER_REQUEST_SECS, per message of a batch). Whatever goes wrong, the recipients
 * without a valid result are deferred, never delivered, and the worker
 * is killed and not used again.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "conf/conf.h"
#include "deliver/remote.h"
#include "msg/message.h"

typedef struct MmRemoteWorker MmRemoteWorker;

/* Who the worker becomes. */
typedef struct {
	uid_t uid;
	gid_t gid;
	const char *user; /* for the supplementary groups, or NULL */
} MmRemoteWorkerIds;

/* Starts a worker for remote deliveries through @routes (MmRoute*,
 * the worker takes a reference) with @conf (borrowed; must outlive the
 * worker). In the child, the routes' auth_secret_file are read first
 * (they may be root's alone), then it becomes @ids for good (NULL:
 * keeps this process's ids, for tests) and says it is ready. Waits at
 * most MM_REMOTE_WORKER_START_SECS for that. Returns the worker, or
 * NULL with MM_ERROR_TEMPORARY: the child could not be made, or could
 * not become @ids (fail closed: it exited; the message says why). */
MmRemoteWorker *mm_remote_worker_start(const MmConf *conf, GPtrArray *routes,
                                       const MmRemoteWorkerIds *ids, GError **error);

/* Closes the request channel, which ends the worker's sessions (QUIT),
 * and reaps it (killed after MM_REMOTE_WORKER_EXIT_SECS). NULL-safe. */
void mm_remote_worker_free(MmRemoteWorker *worker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmRemoteWorker, mm_remote_worker_free)

/* The worker's process id; 0 once it is gone. */
pid_t mm_remote_worker_pid(const MmRemoteWorker *worker);

/* Why the worker is not used any more, or NULL while it is usable. */
const char *mm_remote_worker_broken(const MmRemoteWorker *worker);

/* As mm_remote_deliver_message() for @msg and its remote recipients
 * @rcpts (@n of them, addresses only), through the worker: fills
 * status, reason, route and host of each (route and host borrowed
 * from the worker). Returns TRUE when every recipient got its result
 * from the worker. FALSE with @error when the worker is broken, dies,
 * misbehaves or takes too long: then the recipients without a result
 * are DEFERRED with the error as reason and the worker is killed and
 * marked broken (mm_remote_worker_broken()). */
gboolean mm_remote_worker_deliver(MmRemoteWorker *worker, const MmMessage *msg, MmRemoteRcpt *rcpts,
                                  guint n, GError **error);

/* As mm_remote_worker_deliver() for @n_msgs messages at once, in one
 * request: @rcpts[i] are the @n[i] remote recipients of @msgs[i]. The
 * worker delivers them together (mm_remote_deliver_notify()), so that
 * those that share a route and a host share one pipelined session, and
 * sends each message's results as soon as they are final: @done (may
 * be NULL) is called with the index of each message as its results
 * come in, as for mm_remote_deliver_notify(). A worker that fails
 * defers every recipient it did not answer for, in all the messages. */
gboolean mm_remote_worker_deliver_batch(MmRemoteWorker *worker, MmMessage *const *msgs, guint n_msgs,
                                        MmRemoteRcpt *const *rcpts, const guint *n, MmRemoteDoneFunc done,
                                        gpointer data, GError **error);

/* ---- a link going down ---- */

/* The reason the recipients get that a link going down left without a
 * result. */
#define MM_REMOTE_WORKER_LINK_DOWN "the link went down"

/* For a signal handler (async-signal-safe; errno is kept): the remote
 * transfers of this process end for good. The worker alive now is
 * killed at once, which closes its connections without waiting for
 * TCP: mm_remote_worker_deliver() then defers the recipients it has no
 * result for, with MM_REMOTE_WORKER_LINK_DOWN as the reason. A worker
 * started afterwards is not started (MM_ERROR_TEMPORARY), and one asked
 * afterwards makes no transfer. Nothing is marked delivered that the
 * relay did not confirm: the results come from the worker or not at
 * all. Only the newest worker of the process is killed; a run has one
 * at a time. */
void mm_remote_worker_link_down(void);

/* Whether mm_remote_worker_link_down() was called in this process. */
gboolean mm_remote_worker_is_link_down(void);

/* ---- the wire, for tests and for the two ends ---- */

/* A request for @msg to the @n addresses @rcpts, as sequence @seq.
 * NULL with MM_ERROR_PARSE when the message cannot be written in the
 * spool's format. */
GBytes *mm_remote_worker_encode_request(guint32 seq, const MmMessage *msg,
                                        const MmAddress *const *rcpts, guint n, GError **error);

/* Reads one request from @fd (blocking). Returns the message, its
 * recipients being the request's, and its sequence in @seq; NULL with
 * @error unset at the end of the channel, or with MM_ERROR_CORRUPT. */
MmMessage *mm_remote_worker_read_request(int fd, guint32 *seq, GError **error);

/* Reads one request or one batch of them from @fd (blocking) into
 * @msgs (MmMessage*, owned) and their sequences into @seqs (guint32).
 * FALSE with @error unset at the end of the channel, or with
 * MM_ERROR_CORRUPT. */
gboolean mm_remote_worker_read_batch(int fd, GPtrArray *msgs, GArray *seqs, GError **error);

/* Appends the results @rcpts (@n) of request @seq to @out, each field
 * cut to MM_REMOTE_WORKER_FIELD_MAX. */
void mm_remote_worker_encode_results(GString *out, guint32 seq, const MmRemoteRcpt *rcpts, guint n);

/* Reads the results of request @seq for @n recipients from @fd until
 * each has one or @deadline (monotonic microseconds) passes. A route
 * must be one of @routes (MmRoute*) and is borrowed from it; hosts are
 * kept in @hosts (a set of strings that owns them). Fills @rcpts as
 * they come (reason owned by the caller). FALSE with MM_ERROR_CORRUPT
 * for output that breaks the rules or MM_ERROR_TEMPORARY for an end of
 * the channel or the time limit: the recipients that have a result
 * keep it, the others are left alone. @have (may be NULL, room for @n)
 * says which have one. */
gboolean mm_remote_worker_read_results(int fd, guint32 seq, GPtrArray *routes, GHashTable *hosts,
                                       MmRemoteRcpt *rcpts, gboolean *have, guint n, gint64 deadline,
                                       GError **error);

/* As mm_remote_worker_read_results() for the @n_msgs requests of a
 * batch, numbered from @first_seq: @rcpts[i], @have[i] (not NULL,
 * FALSE for those that still need a result) and @n[i] are those of
 * request @first_seq + i. */
gboolean mm_remote_worker_read_batch_results(int fd, guint32 first_seq, guint n_msgs, GPtrArray *routes,
                                             GHashTable *hosts, MmRemoteRcpt *const *rcpts,
                                             gboolean *const *have, const guint *n, gint64 deadline,
                                             GError **error);

/* As mm_remote_worker_read_batch_results(), and @done (may be NULL) is
 * called with i as soon as request @first_seq + i has all its results. */
gboolean mm_remote_worker_read_batch_results_notify(int fd, guint32 first_seq, guint n_msgs,
                                                    GPtrArray *routes, GHashTable *hosts,
                                                    MmRemoteRcpt *const *rcpts, gboolean *const *have,
                                                    const guint *n, gint64 deadline, MmRemoteDoneFunc done,
                                                    gpointer data, GError **error);
