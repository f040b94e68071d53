/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The link watcher: libnl-route-3 caches of links, addresses and routes
 * that a cache manager keeps current from netlink events, with its socket
 * as a source in the GLib main loop. After each burst of events (all that
 * one main-loop iteration read) the watcher builds a new snapshot and,
 * when the facts changed, hands it to its owner's callback. No timers:
 * the last event of a burst is acted on in the same iteration.
 *
 * Events that do not come from the kernel (a sender port id other than
 * 0) are dropped. Lost events (the kernel's ENOBUFS) lead to a full
 * resynchronisation from dumps, never to a stale state.
 */
#pragma once

#include <glib.h>

#include "netdetect/snapshot.h"

typedef struct _NdWatcher NdWatcher;

/* Called from the main loop with the new snapshot, which the callback
 * borrows (nd_snapshot_ref() to keep it). */
typedef void (*NdWatcherFunc)(NdWatcher *watcher, NdSnapshot *snapshot, gpointer user_data);

typedef struct {
	guint64 events;		/* messages from the kernel that were read */
	guint64 ignored;	/* messages dropped for not coming from the kernel */
	guint64 resyncs;	/* full resynchronisations after lost events */
	guint64 evaluations;	/* snapshots built after bursts of events */
	guint64 notifications;	/* times the callback ran */
} NdWatcherStats;

/* Opens the netlink sockets, subscribes to link, address and route
 * events and fills the caches from a dump, so that the state is known
 * from the start. Nothing is called back before nd_watcher_start().
 * Returns NULL and sets ND_ERROR_NETLINK on failure. */
NdWatcher *nd_watcher_new(NdWatcherFunc callback, gpointer user_data, GError **error);
/* Attaches the event socket to the thread-default main context and
 * schedules the first callback (with the dumped state) for the next
 * iteration. Calling it twice is a programming error. */
void nd_watcher_start(NdWatcher *watcher);
/* Detaches from the main loop and closes everything; NULL-safe. Snapshots
 * handed out stay valid. */
void nd_watcher_free(NdWatcher *watcher);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdWatcher, nd_watcher_free)

/* The latest snapshot, borrowed from the watcher (valid until the next
 * callback; ref it to keep it). Never NULL after nd_watcher_new(). */
NdSnapshot *nd_watcher_get_snapshot(NdWatcher *watcher);
void nd_watcher_get_stats(const NdWatcher *watcher, NdWatcherStats *stats);
/* Sets the event socket's receive buffer (SO_RCVBUF; the kernel caps it
 * at net.core.rmem_max and doubles it). The default is
 * ND_WATCHER_RCVBUF_DEFAULT. ND_ERROR_NETLINK on failure. */
gboolean nd_watcher_set_receive_buffer(NdWatcher *watcher, int bytes, GError **error);
/* The netlink port id of the event socket, for diagnostics. */
guint32 nd_watcher_get_port_id(const NdWatcher *watcher);

/* Dumps links, addresses and routes once and returns a new snapshot, for
 * `masqmail --status` without a daemon. NULL and ND_ERROR_NETLINK on
 * failure. */
NdSnapshot *nd_snapshot_new_from_kernel(GError **error);
