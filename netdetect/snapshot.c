/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Link state snapshots and their builder. A snapshot is frozen when the
 * builder ends; nothing here changes one afterwards, which is what lets
 * the watcher hand snapshots out while it keeps working. This file
 * translates libnl objects into plain facts and caps them with the
 * limits of netdetect/limits.h; it takes no decision about providers.
 */
#include "config.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "netdetect/error.h"
#include "netdetect/limits.h"
#include "netdetect/snapshot.h"

/* net/if.h lacks the RFC 2863 flags that linux/if.h has; both headers
 * cannot be included together. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

struct _NdLink {
	int ifindex;
	char *name;
	NdLinkType type;
	NdLinkFlags flags;
	GArray *addresses;	/* NdAddress */
	GArray *routes;		/* NdDefaultRoute */
};

struct _NdSnapshot {
	gatomicrefcount ref;
	GPtrArray *links;	/* NdLink *, ascending ifindex */
	gboolean truncated;
};

typedef struct {
	int ifindex;
	gboolean is_route;
	NdAddress address;
	NdDefaultRoute route;
} PendingFact;

struct _NdSnapshotBuilder {
	GHashTable *links;	/* GINT_TO_POINTER(ifindex) -> NdLink * */
	GArray *facts;		/* PendingFact, in the order added */
};

/* --- addresses -------------------------------------------------------- */

static gsize
ip_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

gboolean
nd_ip_parse(const char *text, NdIp *out, GError **error)
{
	memset(out, 0, sizeof(*out));
	if (text != NULL && inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = AF_INET;
		return TRUE;
	}
	if (text != NULL && inet_pton(AF_INET6, text, out->bytes) == 1) {
		out->family = AF_INET6;
		return TRUE;
	}
	memset(out, 0, sizeof(*out));
	g_set_error(error, ND_ERROR, ND_ERROR_INVALID, "not an IP address: %s",
	            text != NULL ? text : "(none)");
	return FALSE;
}

char *
nd_ip_to_string(const NdIp *ip)
{
	char buf[INET6_ADDRSTRLEN];

	if (ip->family != AF_INET && ip->family != AF_INET6)
		return g_strdup("-");
	if (inet_ntop(ip->family, ip->bytes, buf, sizeof(buf)) == NULL)
		return g_strdup("?");
	return g_strdup(buf);
}

gboolean
nd_ip_equal(const NdIp *a, const NdIp *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, ip_len(a->family)) == 0;
}

gboolean
nd_address_is_usable(const NdAddress *address)
{
	return address->local.family != 0 &&
	       (address->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) == 0;
}

gboolean
nd_address_is_global(const NdAddress *address)
{
	return nd_address_is_usable(address) && address->scope == RT_SCOPE_UNIVERSE;
}

/* --- links -------------------------------------------------------------- */

static NdLink *
link_new(int ifindex, const char *name, NdLinkType type, NdLinkFlags flags)
{
	NdLink *link = g_new0(NdLink, 1);

	link->ifindex = ifindex;
	link->name = g_strdup(name != NULL ? name : "");
	link->type = type;
	link->flags = flags;
	link->addresses = g_array_new(FALSE, TRUE, sizeof(NdAddress));
	link->routes = g_array_new(FALSE, TRUE, sizeof(NdDefaultRoute));
	return link;
}

static void
link_free(NdLink *link)
{
	if (link == NULL)
		return;
	g_free(link->name);
	g_array_unref(link->addresses);
	g_array_unref(link->routes);
	g_free(link);
}

const char *
nd_link_get_name(const NdLink *link)
{
	return link->name;
}

int
nd_link_get_index(const NdLink *link)
{
	return link->ifindex;
}

NdLinkType
nd_link_get_link_type(const NdLink *link)
{
	return link->type;
}

NdLinkFlags
nd_link_get_flags(const NdLink *link)
{
	return link->flags;
}

guint
nd_link_get_n_addresses(const NdLink *link)
{
	return link->addresses->len;
}

const NdAddress *
nd_link_get_address(const NdLink *link, guint i)
{
	g_return_val_if_fail(i < link->addresses->len, NULL);
	return &g_array_index(link->addresses, NdAddress, i);
}

guint
nd_link_get_n_default_routes(const NdLink *link)
{
	return link->routes->len;
}

const NdDefaultRoute *
nd_link_get_default_route(const NdLink *link, guint i)
{
	g_return_val_if_fail(i < link->routes->len, NULL);
	return &g_array_index(link->routes, NdDefaultRoute, i);
}

gboolean
nd_link_has_carrier(const NdLink *link)
{
	NdLinkFlags all = ND_LINK_FLAG_UP | ND_LINK_FLAG_RUNNING | ND_LINK_FLAG_LOWER_UP;

	return (link->flags & all) == all;
}

gboolean
nd_link_has_global_address(const NdLink *link)
{
	for (guint i = 0; i < link->addresses->len; i++)
		if (nd_address_is_global(&g_array_index(link->addresses, NdAddress, i)))
			return TRUE;
	return FALSE;
}

const char *
nd_link_type_to_string(NdLinkType type)
{
	switch (type) {
	case ND_LINK_TYPE_LOOPBACK:
		return "loopback";
	case ND_LINK_TYPE_ETHER:
		return "ether";
	case ND_LINK_TYPE_PPP:
		return "ppp";
	case ND_LINK_TYPE_TUN:
		return "tun";
	case ND_LINK_TYPE_OTHER:
	default:
		return "other";
	}
}

char *
nd_link_flags_to_string(NdLinkFlags flags)
{
	static const struct {
		NdLinkFlags flag;
		const char *name;
	} names[] = {
		{ ND_LINK_FLAG_UP, "up" },
		{ ND_LINK_FLAG_RUNNING, "running" },
		{ ND_LINK_FLAG_LOWER_UP, "lower-up" },
		{ ND_LINK_FLAG_POINTOPOINT, "point-to-point" },
	};
	GString *s = g_string_new(NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		if ((flags & names[i].flag) == 0)
			continue;
		if (s->len > 0)
			g_string_append_c(s, ',');
		g_string_append(s, names[i].name);
	}
	if (s->len == 0)
		g_string_append(s, "none");
	return g_string_free(s, FALSE);
}

/* --- snapshots ------------------------------------------------------------ */

NdSnapshot *
nd_snapshot_ref(NdSnapshot *snapshot)
{
	g_return_val_if_fail(snapshot != NULL, NULL);
	g_atomic_ref_count_inc(&snapshot->ref);
	return snapshot;
}

void
nd_snapshot_unref(NdSnapshot *snapshot)
{
	if (snapshot == NULL || !g_atomic_ref_count_dec(&snapshot->ref))
		return;
	g_ptr_array_unref(snapshot->links);
	g_free(snapshot);
}

guint
nd_snapshot_get_n_links(const NdSnapshot *snapshot)
{
	return snapshot->links->len;
}

const NdLink *
nd_snapshot_get_link(const NdSnapshot *snapshot, guint i)
{
	g_return_val_if_fail(i < snapshot->links->len, NULL);
	return g_ptr_array_index(snapshot->links, i);
}

const NdLink *
nd_snapshot_find_link(const NdSnapshot *snapshot, const char *name)
{
	for (guint i = 0; i < snapshot->links->len; i++) {
		const NdLink *link = g_ptr_array_index(snapshot->links, i);
		if (g_strcmp0(link->name, name) == 0)
			return link;
	}
	return NULL;
}

const NdLink *
nd_snapshot_find_link_by_index(const NdSnapshot *snapshot, int ifindex)
{
	for (guint i = 0; i < snapshot->links->len; i++) {
		const NdLink *link = g_ptr_array_index(snapshot->links, i);
		if (link->ifindex == ifindex)
			return link;
	}
	return NULL;
}

gboolean
nd_snapshot_is_truncated(const NdSnapshot *snapshot)
{
	return snapshot->truncated;
}

static const char *
scope_name(int scope, char *buf, gsize size)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE:
		return "global";
	case RT_SCOPE_SITE:
		return "site";
	case RT_SCOPE_LINK:
		return "link";
	case RT_SCOPE_HOST:
		return "host";
	case RT_SCOPE_NOWHERE:
		return "nowhere";
	default:
		g_snprintf(buf, size, "%d", scope);
		return buf;
	}
}

static void
append_link(GString *s, const NdLink *link)
{
	g_autofree char *flags = nd_link_flags_to_string(link->flags);

	g_string_append_printf(s, "link %s index=%d type=%s flags=%s\n", link->name,
	                       link->ifindex, nd_link_type_to_string(link->type), flags);
	for (guint i = 0; i < link->addresses->len; i++) {
		const NdAddress *a = &g_array_index(link->addresses, NdAddress, i);
		g_autofree char *local = nd_ip_to_string(&a->local);
		char buf[16];

		g_string_append_printf(s, "  %s %s/%u", a->local.family == AF_INET6 ? "inet6" : "inet",
		                       local, a->prefix_len);
		if (a->peer.family != 0) {
			g_autofree char *peer = nd_ip_to_string(&a->peer);
			g_string_append_printf(s, " peer %s", peer);
		}
		g_string_append_printf(s, " scope %s", scope_name(a->scope, buf, sizeof(buf)));
		if (a->flags & IFA_F_TENTATIVE)
			g_string_append(s, " tentative");
		if (a->flags & IFA_F_DADFAILED)
			g_string_append(s, " dadfailed");
		if (a->flags & IFA_F_DEPRECATED)
			g_string_append(s, " deprecated");
		g_string_append_c(s, '\n');
	}
	for (guint i = 0; i < link->routes->len; i++) {
		const NdDefaultRoute *r = &g_array_index(link->routes, NdDefaultRoute, i);
		g_autofree char *gw = nd_ip_to_string(&r->gateway);

		g_string_append_printf(s, "  default %s via %s metric %u\n",
		                       r->family == AF_INET6 ? "inet6" : "inet", gw, r->metric);
	}
}

char *
nd_snapshot_to_string(const NdSnapshot *snapshot)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < snapshot->links->len; i++)
		append_link(s, g_ptr_array_index(snapshot->links, i));
	if (snapshot->truncated)
		g_string_append(s, "truncated\n");
	return g_string_free(s, FALSE);
}

gboolean
nd_snapshot_equal(const NdSnapshot *a, const NdSnapshot *b)
{
	if (a == b)
		return TRUE;
	if (a == NULL || b == NULL)
		return FALSE;
	/* The text form holds every fact; snapshots are small (a few
	 * links), and one comparison per burst of events is cheap. */
	g_autofree char *ta = nd_snapshot_to_string(a);
	g_autofree char *tb = nd_snapshot_to_string(b);
	return strcmp(ta, tb) == 0;
}

/* --- the builder -------------------------------------------------------------- */

NdSnapshotBuilder *
nd_snapshot_builder_new(void)
{
	NdSnapshotBuilder *b = g_new0(NdSnapshotBuilder, 1);

	b->links = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
	                                 (GDestroyNotify)link_free);
	b->facts = g_array_new(FALSE, TRUE, sizeof(PendingFact));
	return b;
}

void
nd_snapshot_builder_free(NdSnapshotBuilder *builder)
{
	if (builder == NULL)
		return;
	g_hash_table_unref(builder->links);
	g_array_unref(builder->facts);
	g_free(builder);
}

void
nd_snapshot_builder_add_link(NdSnapshotBuilder *builder, int ifindex, const char *name,
                             NdLinkType type, NdLinkFlags flags)
{
	g_return_if_fail(builder != NULL);
	g_hash_table_replace(builder->links, GINT_TO_POINTER(ifindex),
	                     link_new(ifindex, name, type, flags));
}

void
nd_snapshot_builder_add_address(NdSnapshotBuilder *builder, int ifindex,
                                const NdAddress *address)
{
	PendingFact fact = { .ifindex = ifindex, .address = *address };

	g_return_if_fail(builder != NULL);
	g_array_append_val(builder->facts, fact);
}

void
nd_snapshot_builder_add_default_route(NdSnapshotBuilder *builder, int ifindex,
                                      const NdDefaultRoute *route)
{
	PendingFact fact = { .ifindex = ifindex, .is_route = TRUE, .route = *route };

	g_return_if_fail(builder != NULL);
	g_array_append_val(builder->facts, fact);
}

gboolean
nd_snapshot_builder_add_address_text(NdSnapshotBuilder *builder, int ifindex,
                                     const char *local, const char *peer, int scope,
                                     GError **error)
{
	NdAddress a = { .scope = scope };
	g_auto(GStrv) parts = g_strsplit(local, "/", 2);

	if (!nd_ip_parse(parts[0], &a.local, error))
		return FALSE;
	a.prefix_len = ip_len(a.local.family) * 8;
	if (parts[1] != NULL) {
		guint64 len;
		if (!g_ascii_string_to_unsigned(parts[1], 10, 0, a.prefix_len, &len, NULL)) {
			g_set_error(error, ND_ERROR, ND_ERROR_INVALID, "bad prefix length: %s", local);
			return FALSE;
		}
		a.prefix_len = (guint)len;
	}
	if (peer != NULL && !nd_ip_parse(peer, &a.peer, error))
		return FALSE;
	nd_snapshot_builder_add_address(builder, ifindex, &a);
	return TRUE;
}

gboolean
nd_snapshot_builder_add_default_route_text(NdSnapshotBuilder *builder, int ifindex,
                                           int family, const char *gateway,
                                           guint32 metric, GError **error)
{
	NdDefaultRoute r = { .family = family, .metric = metric };

	if (gateway != NULL) {
		if (!nd_ip_parse(gateway, &r.gateway, error))
			return FALSE;
		r.family = r.gateway.family;
	}
	if (r.family != AF_INET && r.family != AF_INET6) {
		g_set_error(error, ND_ERROR, ND_ERROR_INVALID,
		            "a default route needs a family or a gateway");
		return FALSE;
	}
	nd_snapshot_builder_add_default_route(builder, ifindex, &r);
	return TRUE;
}

static gint
compare_addresses(gconstpointer a, gconstpointer b)
{
	const NdAddress *aa = a;
	const NdAddress *ab = b;
	int c;

	if (aa->local.family != ab->local.family)
		return aa->local.family == AF_INET ? -1 : 1;
	c = memcmp(aa->local.bytes, ab->local.bytes, sizeof(aa->local.bytes));
	if (c != 0)
		return c;
	return (aa->prefix_len > ab->prefix_len) - (aa->prefix_len < ab->prefix_len);
}

static gint
compare_links(gconstpointer a, gconstpointer b)
{
	const NdLink *la = *(NdLink *const *)a;
	const NdLink *lb = *(NdLink *const *)b;

	return (la->ifindex > lb->ifindex) - (la->ifindex < lb->ifindex);
}

static gint
compare_routes(gconstpointer a, gconstpointer b)
{
	const NdDefaultRoute *ra = a;
	const NdDefaultRoute *rb = b;

	if (ra->family != rb->family)
		return ra->family == AF_INET ? -1 : 1;
	return (ra->metric > rb->metric) - (ra->metric < rb->metric);
}

NdSnapshot *
nd_snapshot_builder_end(NdSnapshotBuilder *builder)
{
	g_autoptr(NdSnapshotBuilder) b = builder;
	NdSnapshot *snapshot = g_new0(NdSnapshot, 1);
	GHashTableIter iter;
	gpointer value;

	g_atomic_ref_count_init(&snapshot->ref);
	snapshot->links = g_ptr_array_new_with_free_func((GDestroyNotify)link_free);

	for (guint i = 0; i < b->facts->len; i++) {
		const PendingFact *f = &g_array_index(b->facts, PendingFact, i);
		NdLink *link = g_hash_table_lookup(b->links, GINT_TO_POINTER(f->ifindex));

		if (link == NULL)
			continue;
		if (f->is_route) {
			if (link->routes->len >= ND_LINK_ROUTES_MAX)
				snapshot->truncated = TRUE;
			else
				g_array_append_val(link->routes, f->route);
		} else {
			if (link->addresses->len >= ND_LINK_ADDRESSES_MAX)
				snapshot->truncated = TRUE;
			else
				g_array_append_val(link->addresses, f->address);
		}
	}

	g_hash_table_iter_init(&iter, b->links);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		NdLink *link = value;
		/* A fixed order, so that a resync that lists the same facts
		 * in another order gives an equal snapshot. */
		g_array_sort(link->addresses, compare_addresses);
		g_array_sort(link->routes, compare_routes);
		g_hash_table_iter_steal(&iter);
		g_ptr_array_add(snapshot->links, link);
	}
	g_ptr_array_sort(snapshot->links, compare_links);
	/* Keep the lowest indexes: lo and the interfaces that existed first
	 * are the ones a flood of new links must not push out. */
	if (snapshot->links->len > ND_SNAPSHOT_LINKS_MAX) {
		g_ptr_array_set_size(snapshot->links, ND_SNAPSHOT_LINKS_MAX);
		snapshot->truncated = TRUE;
	}
	return snapshot;
}

/* --- from libnl caches ---------------------------------------------------------- */

static gboolean
ip_from_nl(struct nl_addr *addr, NdIp *out)
{
	int family;
	unsigned int len;

	memset(out, 0, sizeof(*out));
	if (addr == NULL)
		return FALSE;
	family = nl_addr_get_family(addr);
	len = nl_addr_get_len(addr);
	if ((family != AF_INET && family != AF_INET6) || len != ip_len(family))
		return FALSE;
	out->family = family;
	memcpy(out->bytes, nl_addr_get_binary_addr(addr), len);
	return TRUE;
}

static NdLinkType
link_type_from_nl(struct rtnl_link *link)
{
	const char *kind = rtnl_link_get_type(link);

	switch (rtnl_link_get_arptype(link)) {
	case ARPHRD_PPP:
		return ND_LINK_TYPE_PPP;
	case ARPHRD_LOOPBACK:
		return ND_LINK_TYPE_LOOPBACK;
	case ARPHRD_ETHER:
		return ND_LINK_TYPE_ETHER;
	case ARPHRD_NONE:
		/* TUN devices have no link layer; other kinds without one
		 * (WireGuard, for example) are "other". */
		if (g_strcmp0(kind, "tun") == 0)
			return ND_LINK_TYPE_TUN;
		return ND_LINK_TYPE_OTHER;
	default:
		return ND_LINK_TYPE_OTHER;
	}
}

static NdLinkFlags
link_flags_from_nl(unsigned int iff)
{
	NdLinkFlags flags = 0;

	if (iff & IFF_UP)
		flags |= ND_LINK_FLAG_UP;
	if (iff & IFF_RUNNING)
		flags |= ND_LINK_FLAG_RUNNING;
	if (iff & IFF_LOWER_UP)
		flags |= ND_LINK_FLAG_LOWER_UP;
	if (iff & IFF_POINTOPOINT)
		flags |= ND_LINK_FLAG_POINTOPOINT;
	return flags;
}

static void
add_routes_from_nl(NdSnapshotBuilder *b, struct rtnl_route *route)
{
	struct nl_addr *dst = rtnl_route_get_dst(route);
	int family = rtnl_route_get_family(route);

	if (family != AF_INET && family != AF_INET6)
		return;
	if (rtnl_route_get_table(route) != RT_TABLE_MAIN ||
	    rtnl_route_get_type(route) != RTN_UNICAST)
		return;
	if (dst != NULL && nl_addr_get_prefixlen(dst) != 0)
		return;

	/* Multipath default routes give each link its own default route. */
	for (int i = 0; i < rtnl_route_get_nnexthops(route); i++) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(route, i);
		NdDefaultRoute r = { .family = family, .metric = rtnl_route_get_priority(route) };
		NdLink *link;

		if (nh == NULL)
			continue;
		link = g_hash_table_lookup(b->links, GINT_TO_POINTER(rtnl_route_nh_get_ifindex(nh)));
		if (link == NULL)
			continue;
		if (family == AF_INET && (link->flags & ND_LINK_FLAG_UP) == 0)
			continue;
		ip_from_nl(rtnl_route_nh_get_gateway(nh), &r.gateway);
		nd_snapshot_builder_add_default_route(b, link->ifindex, &r);
	}
}

NdSnapshot *
nd_snapshot_new_from_caches(struct nl_cache *links, struct nl_cache *addrs,
                            struct nl_cache *routes)
{
	g_autoptr(NdSnapshotBuilder) b = nd_snapshot_builder_new();

	for (struct nl_object *o = links ? nl_cache_get_first(links) : NULL; o != NULL;
	     o = nl_cache_get_next(o)) {
		struct rtnl_link *link = (struct rtnl_link *)o;

		/* IPv6 announces its per-link state as RTM_NEWLINK of family
		 * AF_INET6, without the link kind; libnl keeps it as an object
		 * of its own. The AF_UNSPEC object is the link itself. */
		if (rtnl_link_get_family(link) != AF_UNSPEC)
			continue;
		nd_snapshot_builder_add_link(b, rtnl_link_get_ifindex(link), rtnl_link_get_name(link),
		                             link_type_from_nl(link),
		                             link_flags_from_nl(rtnl_link_get_flags(link)));
	}
	for (struct nl_object *o = addrs ? nl_cache_get_first(addrs) : NULL; o != NULL;
	     o = nl_cache_get_next(o)) {
		struct rtnl_addr *addr = (struct rtnl_addr *)o;
		NdAddress a = {
			.prefix_len = rtnl_addr_get_prefixlen(addr),
			.scope = rtnl_addr_get_scope(addr),
			.flags = rtnl_addr_get_flags(addr),
		};

		if (!ip_from_nl(rtnl_addr_get_local(addr), &a.local))
			continue;
		/* libnl sets the peer only when IFA_ADDRESS differs from
		 * IFA_LOCAL, which is the point-to-point peer. */
		ip_from_nl(rtnl_addr_get_peer(addr), &a.peer);
		nd_snapshot_builder_add_address(b, rtnl_addr_get_ifindex(addr), &a);
	}
	for (struct nl_object *o = routes ? nl_cache_get_first(routes) : NULL; o != NULL;
	     o = nl_cache_get_next(o))
		add_routes_from_nl(b, (struct rtnl_route *)o);

	return nd_snapshot_builder_end(g_steal_pointer(&b));
}
