/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Delivery of remote recipients through routes: the routes of a run
 * are tried in order (route_select.h decides which recipients each
 * takes), the message leaves rewritten for the route (rewrite.h), and
 * goes out through the SMTP client to the route's mail_host, to the
 * recipients' MX hosts (resolve_list: dns_mx with RFC 5321 5.1's
 * fall-back to the address records, byname), through a wrapper
 * command, or into the route's pipe command.
 *
 * A run keeps its SMTP sessions open between messages: all messages
 * of a run that go to the same host through the same route share one
 * connection, and a host that could not be reached is not tried again
 * within the run. The messages of one call (a queue run's batch) that
 * go to the same host through the same route are sent in one
 * mm_smtp_client_send_many(): each message's commands go out behind
 * the end of the one before, so that a message costs one round trip.
 * A session that breaks defers the messages of the call it did not
 * reach; when it had carried mail it is opened again for the next
 * route or call. Sessions end (QUIT) when the run is freed.
 *
 * Results per recipient: DELIVERED only after the server's 2xx to the
 * message's final dot; FAILED for a 5xx to the recipient or the
 * message (and, with connect_error_fail, for a failure to reach the
 * server or run the pipe); DEFERRED for everything else; WAITING when
 * no route took the recipient. What to write to the spool is the
 * caller's business.
 *
 * Everything here blocks (DNS, connections, commands): call it from a
 * one-shot mode or a delivery process, never from the daemon's loop.
 */
#pragma once

#include <glib.h>

#include "conf/conf.h"
#include "conf/route.h"
#include "msg/message.h"
#include "smtp/client.h"

typedef enum {
	MM_REMOTE_WAITING = 0, /* no route took it (yet) */
	MM_REMOTE_DELIVERED,
	MM_REMOTE_DEFERRED,
	MM_REMOTE_FAILED,
} MmRemoteStatus;

/* One remote recipient of a message and what became of it. */
typedef struct {
	const MmAddress *address; /* in: borrowed */
	MmRemoteStatus status;    /* out (start with MM_REMOTE_WAITING) */
	char *reason;             /* out: the server's reply or the error; owned */
	const char *route;        /* out: the name of the route that tried it last; borrowed
	                           * from the run */
	const char *host;         /* out: the peer that answered, or NULL; borrowed from the run */
} MmRemoteRcpt;

/* Frees what @r holds and sets it back to WAITING. */
void mm_remote_rcpt_clear(MmRemoteRcpt *r);

typedef struct MmRemoteRun MmRemoteRun;

/* A run over @routes (MmRoute*, in the order to try; the run takes a
 * reference to the array) with @conf (borrowed; must outlive the run). */
MmRemoteRun *mm_remote_run_new(const MmConf *conf, GPtrArray *routes);

/* Ends every open session (QUIT), reaps wrapper commands, frees.
 * NULL-safe. */
void mm_remote_run_free(MmRemoteRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmRemoteRun, mm_remote_run_free)

/* The routes of the run (borrowed). */
GPtrArray *mm_remote_run_routes(const MmRemoteRun *run);

/* Delivers @msg (body loaded) to its remote recipients @rcpts (@n of
 * them, addresses only; pipe items are local business) through the
 * run's routes: each route takes the recipients still waiting or
 * deferred (minus those a last_route took) that pass its conditions.
 * Fills status, reason, route and host of each. @msg is not changed. */
void mm_remote_deliver_message(MmRemoteRun *run, const MmMessage *msg, MmRemoteRcpt *rcpts, guint n);

/* Delivers @n_msgs messages through the run's routes, with the
 * results mm_remote_deliver_message() gives each: @rcpts[i] are the
 * @n_rcpts[i] remote recipients of @msgs[i]. The routes are tried one
 * after the other over all the messages, so that a route sees what
 * the routes before it left for each message (and its conditions are
 * checked per message); within a route the messages that go to one
 * host share one pipelined exchange. */
void mm_remote_deliver(MmRemoteRun *run, MmMessage *const *msgs, guint n_msgs, MmRemoteRcpt *const *rcpts,
                       const guint *n_rcpts);

/* Called with the index of a message of a batch as soon as its results
 * are final. */
typedef void (*MmRemoteDoneFunc)(guint index, gpointer data);

/* As mm_remote_deliver(), and @done (may be NULL) is called once for
 * each message as soon as its results are final: no route is left
 * that would take one of its open recipients, and every session it
 * went into has given its final reply to it. A message the relay took
 * can so be marked while the session goes on with the messages behind
 * it. The messages @done was not called for by the time this returns
 * have their final results then. @done must not deliver through @run. */
void mm_remote_deliver_notify(MmRemoteRun *run, MmMessage *const *msgs, guint n_msgs,
                              MmRemoteRcpt *const *rcpts, const guint *n_rcpts, MmRemoteDoneFunc done,
                              gpointer data);

/* The session options for @route (helo_name falls back to host_name;
 * TLS and AUTH as the route says). The AUTH secret is set only when
 * auth_name, auth_login and a secret are all there; it points into
 * *@secret_store, which the caller frees after the session is open.
 * FALSE with the error of mm_route_read_auth_secret(). */
gboolean mm_remote_client_options(const MmConf *conf, const MmRoute *route, MmSmtpClientOptions *opts,
                                  char **secret_store, GError **error);

/* One MX record. */
typedef struct {
	guint16 preference;
	const char *host;
} MmRemoteMx;

/* RFC 5321 5.1: the MX hosts by preference, lowest first, hosts of
 * equal preference shuffled with @rand (NULL: g_random). A host named
 * twice is kept once, at its best place. Returns a NULL-terminated
 * list (g_strfreev()); empty for a null MX (RFC 7505: a single "."),
 * which the caller turns into a permanent failure. */
char **mm_remote_order_mx(const MmRemoteMx *records, guint n, GRand *rand);
