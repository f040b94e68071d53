/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Link state snapshots: the facts the provider matcher decides on, per
 * interface: name, index, type, flags, local and peer addresses, default
 * routes through it. A snapshot is immutable once built and reference
 * counted, so the watcher can hand it to its owner while it builds the
 * next one. Snapshots come from the kernel (libnl caches or a one-shot
 * dump, see watcher.h) or from hand-made data through the builder, which
 * is how the matcher's tests make them.
 *
 * This file only describes; it never decides whether a link is "online"
 * for a provider (that is match.c).
 */
#pragma once

#include <glib.h>

struct nl_cache;

typedef enum {
	ND_LINK_TYPE_OTHER,
	ND_LINK_TYPE_LOOPBACK,
	ND_LINK_TYPE_ETHER,	/* Ethernet, Wi-Fi, veth, USB tethering */
	ND_LINK_TYPE_PPP,
	ND_LINK_TYPE_TUN,	/* a TUN device (point-to-point, no link layer) */
} NdLinkType;

typedef enum {
	ND_LINK_FLAG_UP = 1 << 0,		/* IFF_UP: administratively up */
	ND_LINK_FLAG_RUNNING = 1 << 1,		/* IFF_RUNNING: operational */
	ND_LINK_FLAG_LOWER_UP = 1 << 2,		/* IFF_LOWER_UP: carrier */
	ND_LINK_FLAG_POINTOPOINT = 1 << 3,	/* IFF_POINTOPOINT */
} NdLinkFlags;

/* An IPv4 or IPv6 address; family 0 means "none". */
typedef struct {
	int family;		/* AF_INET, AF_INET6 or 0 */
	guint8 bytes[16];	/* network order; the first 4 for AF_INET */
} NdIp;

typedef struct {
	NdIp local;		/* the link's own address */
	NdIp peer;		/* the point-to-point peer, family 0 when none */
	guint prefix_len;
	int scope;		/* RT_SCOPE_UNIVERSE (0) is global */
	guint32 flags;		/* IFA_F_* (tentative, deprecated, ...) */
} NdAddress;

typedef struct {
	NdIp gateway;		/* family 0: no gateway ("dev ppp0") */
	int family;		/* AF_INET or AF_INET6: which default route */
	guint32 metric;
} NdDefaultRoute;

typedef struct _NdLink NdLink;
typedef struct _NdSnapshot NdSnapshot;
typedef struct _NdSnapshotBuilder NdSnapshotBuilder;

/* Parses a textual IPv4 or IPv6 address. Returns FALSE and sets
 * ND_ERROR_INVALID when @text is none. */
gboolean nd_ip_parse(const char *text, NdIp *out, GError **error);
/* The address as text (inet_ntop form); newly allocated. "-" for family 0. */
char *nd_ip_to_string(const NdIp *ip);
gboolean nd_ip_equal(const NdIp *a, const NdIp *b);

/* Whether the address can be used to send from: not tentative, not
 * failed duplicate address detection. */
gboolean nd_address_is_usable(const NdAddress *address);
/* Usable and of global scope. */
gboolean nd_address_is_global(const NdAddress *address);

/* --- snapshots ------------------------------------------------------ */

NdSnapshot *nd_snapshot_ref(NdSnapshot *snapshot);
/* NULL-safe. */
void nd_snapshot_unref(NdSnapshot *snapshot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdSnapshot, nd_snapshot_unref)

/* Links in ascending interface index order. The links belong to the
 * snapshot and live as long as it does. */
guint nd_snapshot_get_n_links(const NdSnapshot *snapshot);
const NdLink *nd_snapshot_get_link(const NdSnapshot *snapshot, guint i);
/* NULL when there is no such link. */
const NdLink *nd_snapshot_find_link(const NdSnapshot *snapshot, const char *name);
const NdLink *nd_snapshot_find_link_by_index(const NdSnapshot *snapshot, int ifindex);
/* TRUE when a limit of netdetect/limits.h left facts out. */
gboolean nd_snapshot_is_truncated(const NdSnapshot *snapshot);
/* Whether two snapshots describe the same facts (NULL equals NULL). */
gboolean nd_snapshot_equal(const NdSnapshot *a, const NdSnapshot *b);
/* A stable multi-line text of all facts, one "link" line per link and
 * indented "inet"/"inet6"/"default" lines; newly allocated. */
char *nd_snapshot_to_string(const NdSnapshot *snapshot);

const char *nd_link_get_name(const NdLink *link);
int nd_link_get_index(const NdLink *link);
NdLinkType nd_link_get_link_type(const NdLink *link);
NdLinkFlags nd_link_get_flags(const NdLink *link);
/* Addresses, IPv4 first, in address order; owned by the link. */
guint nd_link_get_n_addresses(const NdLink *link);
const NdAddress *nd_link_get_address(const NdLink *link, guint i);
/* Default routes through the link (main table, unicast), IPv4 first. */
guint nd_link_get_n_default_routes(const NdLink *link);
const NdDefaultRoute *nd_link_get_default_route(const NdLink *link, guint i);
/* Up, running and with carrier. */
gboolean nd_link_has_carrier(const NdLink *link);
gboolean nd_link_has_global_address(const NdLink *link);
/* "ppp", "tun", "ether", "loopback" or "other". */
const char *nd_link_type_to_string(NdLinkType type);
/* "up,running,lower-up,point-to-point" (only those set), newly allocated. */
char *nd_link_flags_to_string(NdLinkFlags flags);

/* --- building snapshots ---------------------------------------------- */

NdSnapshotBuilder *nd_snapshot_builder_new(void);
/* NULL-safe; for a builder that is not ended. */
void nd_snapshot_builder_free(NdSnapshotBuilder *builder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdSnapshotBuilder, nd_snapshot_builder_free)

/* Adds a link; a second link with the same index replaces the first. */
void nd_snapshot_builder_add_link(NdSnapshotBuilder *builder, int ifindex,
                                  const char *name, NdLinkType type,
                                  NdLinkFlags flags);
/* Adds an address to the link with that index (added before or after;
 * facts about links that never appear are dropped at the end). */
void nd_snapshot_builder_add_address(NdSnapshotBuilder *builder, int ifindex,
                                     const NdAddress *address);
void nd_snapshot_builder_add_default_route(NdSnapshotBuilder *builder, int ifindex,
                                           const NdDefaultRoute *route);
/* Text forms for hand-made snapshots: @local as "10.0.0.1/32" (no
 * prefix: full length), @peer NULL or an address, @scope RT_SCOPE_*.
 * ND_ERROR_INVALID when an address does not parse. */
gboolean nd_snapshot_builder_add_address_text(NdSnapshotBuilder *builder, int ifindex,
                                              const char *local, const char *peer,
                                              int scope, GError **error);
/* @gateway NULL for a route without gateway, which then needs @family. */
gboolean nd_snapshot_builder_add_default_route_text(NdSnapshotBuilder *builder,
                                                    int ifindex, int family,
                                                    const char *gateway,
                                                    guint32 metric, GError **error);
/* Consumes the builder; returns a new snapshot (ref count 1). */
NdSnapshot *nd_snapshot_builder_end(NdSnapshotBuilder *builder);

/* Builds a snapshot from libnl route/link, route/addr and route/route
 * caches. Only default routes of the main table are taken, and IPv4
 * routes through a link that is down are dropped: the kernel flushes
 * those without telling anyone, so a cache may still hold them. */
NdSnapshot *nd_snapshot_new_from_caches(struct nl_cache *links, struct nl_cache *addrs,
                                        struct nl_cache *routes);
