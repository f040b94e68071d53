/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Link state snapshots built from hand-made data: accessors, order,
 * equality, the text form, address parsing, and the limits on links,
 * addresses and routes.
 */
#include "config.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "netdetect/netdetect.h"

typedef struct {
	const char *label;
	const char *text;
	int family;		/* 0: does not parse */
	const char *canonical;
} IpCase;

static const IpCase ip_cases[] = {
	{ "v4", "10.0.0.1", AF_INET, "10.0.0.1" },
	{ "v4-zero", "0.0.0.0", AF_INET, "0.0.0.0" },
	{ "v6", "2001:db8::1", AF_INET6, "2001:db8::1" },
	{ "v6-long-form", "2001:0db8:0000:0000:0000:0000:0000:0001", AF_INET6, "2001:db8::1" },
	{ "v6-link-local", "fe80::1", AF_INET6, "fe80::1" },
	{ "v4-short", "10.1", 0, NULL },
	{ "v4-octet-too-big", "10.0.0.256", 0, NULL },
	{ "with-prefix", "10.0.0.0/8", 0, NULL },
	{ "name", "localhost", 0, NULL },
	{ "empty", "", 0, NULL },
};

static void
test_ip_case(gconstpointer data)
{
	const IpCase *c = data;
	NdIp ip;
	g_autoptr(GError) error = NULL;
	gboolean ok = nd_ip_parse(c->text, &ip, &error);

	if (c->family == 0) {
		g_assert_false(ok);
		g_assert_error(error, ND_ERROR, ND_ERROR_INVALID);
		g_assert_cmpint(ip.family, ==, 0);
	} else {
		g_autofree char *text = NULL;
		NdIp again;

		g_assert_no_error(error);
		g_assert_true(ok);
		g_assert_cmpint(ip.family, ==, c->family);
		text = nd_ip_to_string(&ip);
		g_assert_cmpstr(text, ==, c->canonical);
		g_assert_true(nd_ip_parse(text, &again, NULL));
		g_assert_true(nd_ip_equal(&ip, &again));
	}
}

static NdSnapshot *
sample(void)
{
	g_autoptr(NdSnapshotBuilder) b = nd_snapshot_builder_new();
	g_autoptr(GError) error = NULL;
	NdLinkFlags up = ND_LINK_FLAG_UP | ND_LINK_FLAG_RUNNING | ND_LINK_FLAG_LOWER_UP;

	/* added out of order, facts before their link */
	g_assert_true(nd_snapshot_builder_add_default_route_text(b, 3, AF_INET6, NULL, 1024, &error));
	g_assert_true(nd_snapshot_builder_add_default_route_text(b, 3, AF_INET, NULL, 0, &error));
	g_assert_true(nd_snapshot_builder_add_address_text(b, 3, "2001:db8::1/64", NULL,
	                                                   RT_SCOPE_UNIVERSE, &error));
	g_assert_true(nd_snapshot_builder_add_address_text(b, 3, "10.0.0.1/32", "10.0.0.2",
	                                                   RT_SCOPE_UNIVERSE, &error));
	nd_snapshot_builder_add_link(b, 3, "ppp0", ND_LINK_TYPE_TUN, up | ND_LINK_FLAG_POINTOPOINT);
	nd_snapshot_builder_add_link(b, 1, "lo", ND_LINK_TYPE_LOOPBACK, up);
	g_assert_true(nd_snapshot_builder_add_address_text(b, 1, "127.0.0.1/8", NULL, RT_SCOPE_HOST,
	                                                   &error));
	nd_snapshot_builder_add_link(b, 2, "eth0", ND_LINK_TYPE_ETHER, ND_LINK_FLAG_UP);
	g_assert_true(nd_snapshot_builder_add_default_route_text(b, 2, 0, "192.168.1.1", 100, &error));
	/* facts about a link that never appears are dropped */
	g_assert_true(nd_snapshot_builder_add_address_text(b, 9, "10.9.9.9/32", NULL, 0, &error));
	g_assert_no_error(error);
	return nd_snapshot_builder_end(g_steal_pointer(&b));
}

static const char sample_text[] =
	"link lo index=1 type=loopback flags=up,running,lower-up\n"
	"  inet 127.0.0.1/8 scope host\n"
	"link eth0 index=2 type=ether flags=up\n"
	"  default inet via 192.168.1.1 metric 100\n"
	"link ppp0 index=3 type=tun flags=up,running,lower-up,point-to-point\n"
	"  inet 10.0.0.1/32 peer 10.0.0.2 scope global\n"
	"  inet6 2001:db8::1/64 scope global\n"
	"  default inet via - metric 0\n"
	"  default inet6 via - metric 1024\n";

static void
test_accessors(void)
{
	g_autoptr(NdSnapshot) s = sample();
	const NdLink *ppp0 = nd_snapshot_find_link(s, "ppp0");
	const NdLink *eth0 = nd_snapshot_find_link_by_index(s, 2);
	const NdAddress *a;
	const NdDefaultRoute *r;
	g_autofree char *peer = NULL;
	g_autofree char *text = nd_snapshot_to_string(s);

	g_assert_cmpstr(text, ==, sample_text);
	g_assert_cmpuint(nd_snapshot_get_n_links(s), ==, 3);
	g_assert_cmpstr(nd_link_get_name(nd_snapshot_get_link(s, 0)), ==, "lo");
	g_assert_null(nd_snapshot_find_link(s, "ppp1"));
	g_assert_null(nd_snapshot_find_link_by_index(s, 9));
	g_assert_false(nd_snapshot_is_truncated(s));

	g_assert_nonnull(ppp0);
	g_assert_cmpint(nd_link_get_index(ppp0), ==, 3);
	g_assert_cmpint(nd_link_get_link_type(ppp0), ==, ND_LINK_TYPE_TUN);
	g_assert_true(nd_link_has_carrier(ppp0));
	g_assert_true(nd_link_has_global_address(ppp0));
	g_assert_cmpuint(nd_link_get_n_addresses(ppp0), ==, 2);
	a = nd_link_get_address(ppp0, 0);
	g_assert_cmpint(a->local.family, ==, AF_INET);
	g_assert_cmpuint(a->prefix_len, ==, 32);
	peer = nd_ip_to_string(&a->peer);
	g_assert_cmpstr(peer, ==, "10.0.0.2");
	g_assert_cmpuint(nd_link_get_n_default_routes(ppp0), ==, 2);
	r = nd_link_get_default_route(ppp0, 0);
	g_assert_cmpint(r->family, ==, AF_INET);
	g_assert_cmpint(r->gateway.family, ==, 0);

	g_assert_nonnull(eth0);
	g_assert_false(nd_link_has_carrier(eth0));
	g_assert_false(nd_link_has_global_address(eth0));
	g_assert_false(nd_link_has_global_address(nd_snapshot_find_link(s, "lo")));
}

static void
test_ref_and_equal(void)
{
	g_autoptr(NdSnapshot) a = sample();
	g_autoptr(NdSnapshot) b = sample();
	g_autoptr(NdSnapshotBuilder) builder = nd_snapshot_builder_new();
	g_autoptr(NdSnapshot) c = NULL;
	NdSnapshot *ref = nd_snapshot_ref(a);

	g_assert_true(ref == a);
	nd_snapshot_unref(ref);
	g_assert_true(nd_snapshot_equal(a, b));
	g_assert_true(nd_snapshot_equal(NULL, NULL));
	g_assert_false(nd_snapshot_equal(a, NULL));

	nd_snapshot_builder_add_link(builder, 3, "ppp0", ND_LINK_TYPE_TUN, ND_LINK_FLAG_UP);
	c = nd_snapshot_builder_end(g_steal_pointer(&builder));
	g_assert_false(nd_snapshot_equal(a, c));
	/* NULL-safe */
	nd_snapshot_unref(NULL);
	nd_snapshot_builder_free(NULL);
}

static void
test_address_flags(void)
{
	NdAddress a = { .scope = RT_SCOPE_UNIVERSE };

	g_assert_true(nd_ip_parse("2001:db8::1", &a.local, NULL));
	g_assert_true(nd_address_is_global(&a));
	a.flags = IFA_F_TENTATIVE;
	g_assert_false(nd_address_is_usable(&a));
	g_assert_false(nd_address_is_global(&a));
	a.flags = IFA_F_DADFAILED;
	g_assert_false(nd_address_is_usable(&a));
	a.flags = IFA_F_DEPRECATED;
	g_assert_true(nd_address_is_global(&a));
	a.scope = RT_SCOPE_LINK;
	g_assert_true(nd_address_is_usable(&a));
	g_assert_false(nd_address_is_global(&a));
}

static void
test_bad_text(void)
{
	g_autoptr(NdSnapshotBuilder) b = nd_snapshot_builder_new();
	g_autoptr(GError) error = NULL;

	g_assert_false(nd_snapshot_builder_add_address_text(b, 1, "10.0.0.1/33", NULL, 0, &error));
	g_assert_error(error, ND_ERROR, ND_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_false(nd_snapshot_builder_add_address_text(b, 1, "10.0.0.1/8", "peer", 0, &error));
	g_assert_error(error, ND_ERROR, ND_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_false(nd_snapshot_builder_add_default_route_text(b, 1, 0, NULL, 0, &error));
	g_assert_error(error, ND_ERROR, ND_ERROR_INVALID);
}

static void
test_names(void)
{
	g_autofree char *all = nd_link_flags_to_string(ND_LINK_FLAG_UP | ND_LINK_FLAG_RUNNING |
	                                               ND_LINK_FLAG_LOWER_UP |
	                                               ND_LINK_FLAG_POINTOPOINT);
	g_autofree char *none = nd_link_flags_to_string(0);

	g_assert_cmpstr(all, ==, "up,running,lower-up,point-to-point");
	g_assert_cmpstr(none, ==, "none");
	g_assert_cmpstr(nd_link_type_to_string(ND_LINK_TYPE_PPP), ==, "ppp");
	g_assert_cmpstr(nd_link_type_to_string(ND_LINK_TYPE_TUN), ==, "tun");
	g_assert_cmpstr(nd_link_type_to_string(ND_LINK_TYPE_ETHER), ==, "ether");
	g_assert_cmpstr(nd_link_type_to_string(ND_LINK_TYPE_LOOPBACK), ==, "loopback");
	g_assert_cmpstr(nd_link_type_to_string(ND_LINK_TYPE_OTHER), ==, "other");
}

typedef struct {
	const char *label;
	guint links;
	guint addresses;	/* on link 1 */
	guint routes;		/* on link 1 */
	gboolean truncated;
} LimitCase;

static const LimitCase limit_cases[] = {
	{ "links-at-limit", ND_SNAPSHOT_LINKS_MAX, 0, 0, FALSE },
	{ "links-over-limit", ND_SNAPSHOT_LINKS_MAX + 1, 0, 0, TRUE },
	{ "addresses-at-limit", 1, ND_LINK_ADDRESSES_MAX, 0, FALSE },
	{ "addresses-over-limit", 1, ND_LINK_ADDRESSES_MAX + 1, 0, TRUE },
	{ "routes-at-limit", 1, 0, ND_LINK_ROUTES_MAX, FALSE },
	{ "routes-over-limit", 1, 0, ND_LINK_ROUTES_MAX + 1, TRUE },
};

static void
test_limit_case(gconstpointer data)
{
	const LimitCase *c = data;
	g_autoptr(NdSnapshotBuilder) b = nd_snapshot_builder_new();
	g_autoptr(NdSnapshot) s = NULL;
	const NdLink *first;

	/* added from the highest index down: the lowest must survive */
	for (guint i = c->links; i >= 1; i--) {
		g_autofree char *name = g_strdup_printf("dummy%u", i);
		nd_snapshot_builder_add_link(b, (int)i, name, ND_LINK_TYPE_ETHER, ND_LINK_FLAG_UP);
	}
	for (guint i = 0; i < c->addresses; i++) {
		NdAddress a = { .prefix_len = 32 };
		a.local.family = AF_INET;
		a.local.bytes[0] = 10;
		a.local.bytes[2] = (guint8)(i >> 8);
		a.local.bytes[3] = (guint8)i;
		nd_snapshot_builder_add_address(b, 1, &a);
	}
	for (guint i = 0; i < c->routes; i++) {
		NdDefaultRoute r = { .family = AF_INET, .metric = i };
		nd_snapshot_builder_add_default_route(b, 1, &r);
	}
	s = nd_snapshot_builder_end(g_steal_pointer(&b));
	g_assert_cmpint(nd_snapshot_is_truncated(s), ==, c->truncated);
	g_assert_cmpuint(nd_snapshot_get_n_links(s), ==, MIN(c->links, ND_SNAPSHOT_LINKS_MAX));
	first = nd_snapshot_get_link(s, 0);
	g_assert_cmpint(nd_link_get_index(first), ==, 1);
	g_assert_cmpuint(nd_link_get_n_addresses(first), ==, MIN(c->addresses, ND_LINK_ADDRESSES_MAX));
	g_assert_cmpuint(nd_link_get_n_default_routes(first), ==, MIN(c->routes, ND_LINK_ROUTES_MAX));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(ip_cases); i++) {
		g_autofree char *path = g_strdup_printf("/netdetect/ip/parse/%s", ip_cases[i].label);
		g_test_add_data_func(path, &ip_cases[i], test_ip_case);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(limit_cases); i++) {
		g_autofree char *path = g_strdup_printf("/netdetect/snapshot/limits/%s",
		                                        limit_cases[i].label);
		g_test_add_data_func(path, &limit_cases[i], test_limit_case);
	}
	g_test_add_func("/netdetect/snapshot/accessors", test_accessors);
	g_test_add_func("/netdetect/snapshot/ref-and-equal", test_ref_and_equal);
	g_test_add_func("/netdetect/snapshot/address-flags", test_address_flags);
	g_test_add_func("/netdetect/snapshot/bad-text", test_bad_text);
	g_test_add_func("/netdetect/snapshot/names", test_names);
	return g_test_run();
}
