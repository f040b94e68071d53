/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * profiles.c turns the configuration into netdetect profiles: one per
 * query_routes.NAME, with the detect_* rules of its route files. The
 * rules belong to the connection, so the files of one connection are
 * combined: each rule comes from the files that set it, and two files
 * that set one rule differently are a configuration error, because
 * which of them was meant cannot be guessed. This file only reads the
 * configuration; matching is netdetect's.
 */
#include "config.h"

#include "base/error.h"
#include "conf/route.h"
#include "daemon/profiles.h"

typedef gboolean (*ListSetter)(NdProfile *profile, const char *const *items, GError **error);

/* Where a connection's rule was first set. */
typedef struct {
	const MmRoute *route;
	guint line;
} RuleSource;

static char **
rule_list(const MmRoute *route, MmRouteDetect which)
{
	switch (which) {
	case MM_ROUTE_DETECT_INTERFACES: return route->detect_interfaces;
	case MM_ROUTE_DETECT_LOCAL_ADDRESSES: return route->detect_local_addresses;
	case MM_ROUTE_DETECT_PEER_ADDRESSES: return route->detect_peer_addresses;
	case MM_ROUTE_DETECT_GATEWAYS: return route->detect_gateways;
	default: return NULL;
	}
}

static ListSetter
rule_setter(MmRouteDetect which)
{
	switch (which) {
	case MM_ROUTE_DETECT_INTERFACES: return nd_profile_set_interfaces;
	case MM_ROUTE_DETECT_LOCAL_ADDRESSES: return nd_profile_set_local_addresses;
	case MM_ROUTE_DETECT_PEER_ADDRESSES: return nd_profile_set_peer_addresses;
	case MM_ROUTE_DETECT_GATEWAYS: return nd_profile_set_gateways;
	default: return NULL;
	}
}

static gboolean
same_rule(const MmRoute *a, const MmRoute *b, MmRouteDetect which)
{
	if (which == MM_ROUTE_DETECT_DEFAULT_ROUTE)
		return !a->detect_default_route == !b->detect_default_route;
	return g_strv_equal((const char *const *)rule_list(a, which), (const char *const *)rule_list(b, which));
}

static NdProfile *
load_profile(const MmConfQueryRoute *q, GError **error)
{
	g_autoptr(NdProfile) profile = nd_profile_new(q->name);
	g_autoptr(GPtrArray) routes = mm_route_load_list((const char *const *)q->files, error);
	RuleSource src[MM_ROUTE_DETECT_N] = { { 0 } };

	if (!routes)
		return NULL;
	for (guint r = 0; r < routes->len; r++) {
		const MmRoute *route = routes->pdata[r];
		for (int w = 0; w < MM_ROUTE_DETECT_N; w++) {
			guint line = route->detect_lines[w];
			if (line == 0)
				continue;
			if (src[w].route == NULL) {
				src[w] = (RuleSource){ route, line };
				continue;
			}
			if (!same_rule(src[w].route, route, w)) {
				g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
				            "%s:%u: %s differs from %s:%u; the route files of query_routes.%s must agree",
				            route->file, line, mm_route_detect_name(w), src[w].route->file, src[w].line,
				            q->name);
				return NULL;
			}
		}
	}
	for (int w = 0; w < MM_ROUTE_DETECT_N; w++) {
		g_autoptr(GError) local = NULL;
		const MmRoute *route = src[w].route;

		if (!route)
			continue;
		if (w == MM_ROUTE_DETECT_DEFAULT_ROUTE) {
			nd_profile_set_require_default_route(profile, route->detect_default_route);
			continue;
		}
		/* route.c checked the rule already; this is the same check */
		if (!rule_setter(w)(profile, (const char *const *)rule_list(route, w), &local)) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s:%u: %s: %s", route->file, src[w].line,
			            mm_route_detect_name(w), local->message);
			return NULL;
		}
	}
	return g_steal_pointer(&profile);
}

GPtrArray *
mm_profiles_load(const MmConf *conf, GError **error)
{
	g_autoptr(GPtrArray) profiles = g_ptr_array_new_with_free_func((GDestroyNotify)nd_profile_free);

	for (guint i = 0; conf->query_routes && i < conf->query_routes->len; i++) {
		NdProfile *profile = load_profile(conf->query_routes->pdata[i], error);
		if (!profile)
			return NULL;
		g_ptr_array_add(profiles, profile);
	}
	return g_steal_pointer(&profiles);
}
