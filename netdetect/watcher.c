/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The link watcher: the only code in libnetdetect that reads netlink.
 * A libnl cache manager keeps route/link, route/addr and route/route
 * caches current; its socket is a GLib source. Each change marks the
 * state dirty, and one idle source per burst rebuilds the snapshot, so a
 * dial-up's link, address and route events read in one go give one
 * evaluation, and no event waits for a timer.
 *
 * What the caches cannot know by themselves is repaired here: events
 * lost to a full socket buffer (a resync from dumps) and IPv4 routes that
 * the kernel removes without a notification when a link goes down or an
 * address goes away (a refill of the route cache).
 */
#include "config.h"

#include <glib-unix.h>
#include <linux/netlink.h>
#include <net/if.h>

#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "netdetect/error.h"
#include "netdetect/limits.h"
#include "netdetect/watcher.h"

typedef struct nl_sock NlSock;
typedef struct nl_cache NlCache;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NlSock, nl_socket_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NlCache, nl_cache_free)

/* Reads of a socket that keeps overflowing before the resync gives up
 * draining and dumps anyway (the dump is then newer than what it skips,
 * and later events still apply). */
#define DRAIN_ROUNDS_MAX 64

struct _NdWatcher {
	NdWatcherFunc callback;
	gpointer user_data;

	NlSock *event_sock;	/* ours; the manager reads events from it */
	NlSock *sync_sock;	/* ours; for the dumps of a resync */
	struct nl_cache_mngr *mngr;
	NlCache *links;		/* the three caches belong to the manager */
	NlCache *addrs;
	NlCache *routes;

	GMainContext *context;	/* set by nd_watcher_start() */
	GSource *fd_source;
	GSource *idle_source;

	gboolean need_resync;
	gboolean routes_stale;
	gboolean notify_always;	/* the first evaluation after start */
	NdSnapshot *snapshot;
	NdWatcherStats stats;
};

static int
count_kernel_message(struct nl_msg *msg, void *arg)
{
	NdWatcher *w = arg;
	struct sockaddr_nl *src = nlmsg_get_src(msg);

	/* Any local program may send to our port id; only the kernel
	 * (port 0) speaks for the links. */
	if (src == NULL || src->nl_pid != 0) {
		w->stats.ignored++;
		g_debug("netdetect: ignored netlink message from port %u",
		        src != NULL ? src->nl_pid : 0);
		return NL_SKIP;
	}
	w->stats.events++;
	return NL_OK;
}

static int
drop_foreign_message(struct nl_msg *msg, void *arg)
{
	struct sockaddr_nl *src = nlmsg_get_src(msg);

	return (src == NULL || src->nl_pid != 0) ? NL_SKIP : NL_OK;
}

static gboolean on_idle(gpointer data);

static void
schedule_evaluation(NdWatcher *w)
{
	if (w->context == NULL || w->idle_source != NULL)
		return;
	/* An idle source runs once the sources that are ready now (the rest
	 * of this burst on the netlink socket) have been dispatched. At the
	 * default priority, so that busy SMTP sessions cannot hold back a
	 * link-up. */
	w->idle_source = g_idle_source_new();
	g_source_set_priority(w->idle_source, G_PRIORITY_DEFAULT);
	g_source_set_callback(w->idle_source, on_idle, w, NULL);
	g_source_set_name(w->idle_source, "netdetect evaluation");
	g_source_attach(w->idle_source, w->context);
}

static void
on_change(struct nl_cache *cache, struct nl_object *obj, int action, void *data)
{
	NdWatcher *w = data;

	/* The kernel drops IPv4 routes silently when their link goes down
	 * or their source address is removed. */
	if (cache == w->links) {
		struct rtnl_link *link = (struct rtnl_link *)obj;
		if (action == NL_ACT_DEL || (rtnl_link_get_flags(link) & IFF_UP) == 0)
			w->routes_stale = TRUE;
	} else if (cache == w->addrs && action == NL_ACT_DEL) {
		if (rtnl_addr_get_family((struct rtnl_addr *)obj) == AF_INET)
			w->routes_stale = TRUE;
	}
	schedule_evaluation(w);
}

static gboolean
on_readable(gint fd, GIOCondition condition, gpointer data)
{
	NdWatcher *w = data;
	int n = nl_cache_mngr_data_ready(w->mngr);

	if (n < 0) {
		/* ENOBUFS arrives as NLE_NOMEM. Whatever the error, the caches
		 * may have missed an event: dump everything again. */
		if (n == -NLE_NOMEM)
			g_message("netdetect: netlink events lost (receive buffer full), "
			          "resynchronising");
		else
			g_message("netdetect: reading netlink events failed (%s), resynchronising",
			          nl_geterror(n));
		w->need_resync = TRUE;
		schedule_evaluation(w);
	}
	return G_SOURCE_CONTINUE;
}

static void
resync(NdWatcher *w)
{
	NlCache *caches[] = { w->links, w->addrs, w->routes };
	const char *names[] = { "links", "addresses", "routes" };

	/* Events still queued are older than the dumps below; read them
	 * first so that they cannot overwrite the dumped state. */
	for (int i = 0; i < DRAIN_ROUNDS_MAX; i++) {
		int n = nl_cache_mngr_data_ready(w->mngr);
		if (n == 0)
			break;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(caches); i++) {
		int err = nl_cache_refill(w->sync_sock, caches[i]);
		if (err < 0) {
			g_warning("netdetect: dumping %s failed: %s", names[i],
			          nl_geterror(err));
			/* try again with the next event */
			return;
		}
	}
	w->stats.resyncs++;
	w->need_resync = FALSE;
	w->routes_stale = FALSE;
}

static void
evaluate(NdWatcher *w)
{
	g_autoptr(NdSnapshot) snapshot = NULL;

	if (w->need_resync) {
		resync(w);
	} else if (w->routes_stale) {
		int err = nl_cache_refill(w->sync_sock, w->routes);
		if (err < 0)
			g_warning("netdetect: dumping routes failed: %s", nl_geterror(err));
		else
			w->routes_stale = FALSE;
	}

	snapshot = nd_snapshot_new_from_caches(w->links, w->addrs, w->routes);
	w->stats.evaluations++;
	if (!w->notify_always && nd_snapshot_equal(snapshot, w->snapshot))
		return;
	if (nd_snapshot_is_truncated(snapshot) && !nd_snapshot_is_truncated(w->snapshot))
		g_message("netdetect: more links, addresses or routes than the limits; "
		          "some are left out");
	w->notify_always = FALSE;
	nd_snapshot_unref(w->snapshot);
	w->snapshot = g_steal_pointer(&snapshot);
	w->stats.notifications++;
	if (w->callback != NULL)
		w->callback(w, w->snapshot, w->user_data);
}

static gboolean
on_idle(gpointer data)
{
	NdWatcher *w = data;

	g_clear_pointer(&w->idle_source, g_source_unref);
	evaluate(w);
	return G_SOURCE_REMOVE;
}

static gboolean
manage(NdWatcher *w, const char *name, NlCache **out, GError **error)
{
	g_autoptr(NlCache) cache = NULL;
	int err = nl_cache_alloc_name(name, &cache);

	if (err >= 0)
		err = nl_cache_mngr_add_cache(w->mngr, cache, on_change, w);
	if (err < 0) {
		g_set_error(error, ND_ERROR, ND_ERROR_NETLINK, "netlink cache %s: %s", name,
		            nl_geterror(err));
		return FALSE;
	}
	/* the manager owns the cache now */
	*out = g_steal_pointer(&cache);
	return TRUE;
}

NdWatcher *
nd_watcher_new(NdWatcherFunc callback, gpointer user_data, GError **error)
{
	g_autoptr(NdWatcher) w = g_new0(NdWatcher, 1);
	int err;

	w->callback = callback;
	w->user_data = user_data;
	w->event_sock = nl_socket_alloc();
	w->sync_sock = nl_socket_alloc();
	if (w->event_sock == NULL || w->sync_sock == NULL) {
		g_set_error(error, ND_ERROR, ND_ERROR_NETLINK, "netlink socket: out of memory");
		return NULL;
	}
	/* The manager reads with a copy of the socket's callbacks, so the
	 * sender check set here sees every event. */
	nl_socket_modify_cb(w->event_sock, NL_CB_MSG_IN, NL_CB_CUSTOM, count_kernel_message, w);
	nl_socket_modify_cb(w->sync_sock, NL_CB_MSG_IN, NL_CB_CUSTOM, drop_foreign_message, NULL);

	err = nl_cache_mngr_alloc(w->event_sock, NETLINK_ROUTE, 0, &w->mngr);
	if (err >= 0)
		err = nl_connect(w->sync_sock, NETLINK_ROUTE);
	if (err < 0) {
		g_set_error(error, ND_ERROR, ND_ERROR_NETLINK, "netlink: %s", nl_geterror(err));
		return NULL;
	}
	if (!nd_watcher_set_receive_buffer(w, ND_WATCHER_RCVBUF_DEFAULT, error))
		return NULL;
	/* Links first: the snapshot hangs addresses and routes on them. */
	if (!manage(w, "route/link", &w->links, error) ||
	    !manage(w, "route/addr", &w->addrs, error) ||
	    !manage(w, "route/route", &w->routes, error))
		return NULL;

	w->snapshot = nd_snapshot_new_from_caches(w->links, w->addrs, w->routes);
	return g_steal_pointer(&w);
}

void
nd_watcher_start(NdWatcher *watcher)
{
	g_return_if_fail(watcher != NULL);
	g_return_if_fail(watcher->context == NULL);

	watcher->context = g_main_context_ref_thread_default();
	watcher->fd_source = g_unix_fd_source_new(nl_cache_mngr_get_fd(watcher->mngr),
	                                          G_IO_IN | G_IO_ERR | G_IO_HUP);
	g_source_set_callback(watcher->fd_source, G_SOURCE_FUNC(on_readable), watcher, NULL);
	g_source_set_name(watcher->fd_source, "netdetect netlink");
	g_source_attach(watcher->fd_source, watcher->context);
	watcher->notify_always = TRUE;
	schedule_evaluation(watcher);
}

void
nd_watcher_free(NdWatcher *watcher)
{
	if (watcher == NULL)
		return;
	if (watcher->fd_source != NULL)
		g_source_destroy(watcher->fd_source);
	g_clear_pointer(&watcher->fd_source, g_source_unref);
	if (watcher->idle_source != NULL)
		g_source_destroy(watcher->idle_source);
	g_clear_pointer(&watcher->idle_source, g_source_unref);
	g_clear_pointer(&watcher->context, g_main_context_unref);
	/* frees the caches and closes, but does not free, the event socket */
	g_clear_pointer(&watcher->mngr, nl_cache_mngr_free);
	g_clear_pointer(&watcher->event_sock, nl_socket_free);
	g_clear_pointer(&watcher->sync_sock, nl_socket_free);
	g_clear_pointer(&watcher->snapshot, nd_snapshot_unref);
	g_free(watcher);
}

NdSnapshot *
nd_watcher_get_snapshot(NdWatcher *watcher)
{
	return watcher->snapshot;
}

void
nd_watcher_get_stats(const NdWatcher *watcher, NdWatcherStats *stats)
{
	*stats = watcher->stats;
}

gboolean
nd_watcher_set_receive_buffer(NdWatcher *watcher, int bytes, GError **error)
{
	int err = nl_socket_set_buffer_size(watcher->event_sock, bytes, 0);

	if (err < 0) {
		g_set_error(error, ND_ERROR, ND_ERROR_NETLINK, "netlink receive buffer: %s",
		            nl_geterror(err));
		return FALSE;
	}
	return TRUE;
}

guint32
nd_watcher_get_port_id(const NdWatcher *watcher)
{
	return nl_socket_get_local_port(watcher->event_sock);
}

NdSnapshot *
nd_snapshot_new_from_kernel(GError **error)
{
	g_autoptr(NlSock) sock = nl_socket_alloc();
	g_autoptr(NlCache) links = NULL;
	g_autoptr(NlCache) addrs = NULL;
	g_autoptr(NlCache) routes = NULL;
	int err;

	if (sock == NULL) {
		g_set_error(error, ND_ERROR, ND_ERROR_NETLINK, "netlink socket: out of memory");
		return NULL;
	}
	nl_socket_modify_cb(sock, NL_CB_MSG_IN, NL_CB_CUSTOM, drop_foreign_message, NULL);
	err = nl_connect(sock, NETLINK_ROUTE);
	if (err >= 0)
		err = rtnl_link_alloc_cache(sock, AF_UNSPEC, &links);
	if (err >= 0)
		err = rtnl_addr_alloc_cache(sock, &addrs);
	if (err >= 0)
		err = rtnl_route_alloc_cache(sock, AF_UNSPEC, 0, &routes);
	if (err < 0) {
		g_set_error(error, ND_ERROR, ND_ERROR_NETLINK, "netlink dump: %s", nl_geterror(err));
		return NULL;
	}
	return nd_snapshot_new_from_caches(links, addrs, routes);
}
