/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The provider matcher on hand-made snapshots, without netlink: each rule
 * kind alone and combined, several links and profiles, IPv4 and IPv6
 * CIDRs, and the reasons given for offline profiles. Also the profile
 * setters' errors and limits.
 *
 * A case describes its snapshot in a small text form, one fact a line:
 *   link INDEX NAME TYPE FLAGS     (flags: up,running,lower-up,ptp or -)
 *   addr INDEX LOCAL/LEN [peer ADDR] [scope link|host] [tentative]
 *   route INDEX via GATEWAY | dev4 | dev6   (a default route)
 * and its profiles as "NAME key=value ..." with the keys interfaces,
 * local, peer, gateway (lists separated by ';') and default-route=yes|no.
 */
#include "config.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "netdetect/netdetect.h"

static NdLinkFlags
parse_flags(const char *text)
{
	g_auto(GStrv) words = g_strsplit(text, ",", -1);
	NdLinkFlags flags = 0;

	for (guint i = 0; words[i] != NULL; i++) {
		if (strcmp(words[i], "up") == 0)
			flags |= ND_LINK_FLAG_UP;
		else if (strcmp(words[i], "running") == 0)
			flags |= ND_LINK_FLAG_RUNNING;
		else if (strcmp(words[i], "lower-up") == 0)
			flags |= ND_LINK_FLAG_LOWER_UP;
		else if (strcmp(words[i], "ptp") == 0)
			flags |= ND_LINK_FLAG_POINTOPOINT;
		else
			g_assert_cmpstr(words[i], ==, "-");
	}
	return flags;
}

static NdLinkType
parse_type(const char *text)
{
	static const char *const names[] = { "other", "loopback", "ether", "ppp", "tun" };

	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		if (strcmp(text, names[i]) == 0)
			return (NdLinkType)i;
	g_assert_not_reached();
}

static NdSnapshot *
snapshot_from_text(const char *text)
{
	g_autoptr(NdSnapshotBuilder) b = nd_snapshot_builder_new();
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) w = g_strsplit(g_strstrip(lines[i]), " ", -1);
		g_autoptr(GError) error = NULL;
		guint n = g_strv_length(w);
		int index;

		if (n == 0 || w[0][0] == '\0')
			continue;
		g_assert_cmpuint(n, >=, 3);
		index = atoi(w[1]);
		if (strcmp(w[0], "link") == 0) {
			g_assert_cmpuint(n, ==, 5);
			nd_snapshot_builder_add_link(b, index, w[2], parse_type(w[3]), parse_flags(w[4]));
		} else if (strcmp(w[0], "addr") == 0) {
			NdAddress a = { 0 };
			g_auto(GStrv) cidr = g_strsplit(w[2], "/", 2);

			g_assert_true(nd_ip_parse(cidr[0], &a.local, &error));
			g_assert_nonnull(cidr[1]);
			a.prefix_len = atoi(cidr[1]);
			for (guint k = 3; k < n; k++) {
				if (strcmp(w[k], "peer") == 0 && k + 1 < n)
					g_assert_true(nd_ip_parse(w[++k], &a.peer, &error));
				else if (strcmp(w[k], "scope") == 0 && k + 1 < n)
					a.scope = strcmp(w[++k], "link") == 0 ? RT_SCOPE_LINK : RT_SCOPE_HOST;
				else if (strcmp(w[k], "tentative") == 0)
					a.flags |= IFA_F_TENTATIVE;
				else
					g_assert_not_reached();
			}
			g_assert_no_error(error);
			nd_snapshot_builder_add_address(b, index, &a);
		} else if (strcmp(w[0], "route") == 0) {
			if (strcmp(w[2], "via") == 0) {
				g_assert_cmpuint(n, ==, 4);
				g_assert_true(nd_snapshot_builder_add_default_route_text(b, index, 0, w[3], 0,
				                                                         &error));
			} else {
				int family = strcmp(w[2], "dev6") == 0 ? AF_INET6 : AF_INET;
				g_assert_true(nd_snapshot_builder_add_default_route_text(b, index, family,
				                                                         NULL, 0, &error));
			}
			g_assert_no_error(error);
		} else {
			g_assert_not_reached();
		}
	}
	return nd_snapshot_builder_end(g_steal_pointer(&b));
}

static NdProfile *
profile_from_text(const char *text)
{
	g_auto(GStrv) w = g_strsplit(text, " ", -1);
	g_autoptr(NdProfile) p = nd_profile_new(w[0]);
	g_autoptr(GError) error = NULL;

	for (guint i = 1; w[i] != NULL; i++) {
		g_auto(GStrv) kv = g_strsplit(w[i], "=", 2);
		g_auto(GStrv) list = NULL;
		gboolean ok = TRUE;

		g_assert_nonnull(kv[1]);
		list = g_strsplit(kv[1], ";", -1);
		if (strcmp(kv[0], "interfaces") == 0)
			ok = nd_profile_set_interfaces(p, (const char *const *)list, &error);
		else if (strcmp(kv[0], "local") == 0)
			ok = nd_profile_set_local_addresses(p, (const char *const *)list, &error);
		else if (strcmp(kv[0], "peer") == 0)
			ok = nd_profile_set_peer_addresses(p, (const char *const *)list, &error);
		else if (strcmp(kv[0], "gateway") == 0)
			ok = nd_profile_set_gateways(p, (const char *const *)list, &error);
		else if (strcmp(kv[0], "default-route") == 0)
			nd_profile_set_require_default_route(p, strcmp(kv[1], "yes") == 0);
		else
			g_assert_not_reached();
		g_assert_no_error(error);
		g_assert_true(ok);
	}
	return g_steal_pointer(&p);
}

/* One line per profile: "NAME online LINK" or "NAME offline: REASON". */
static char *
verdicts_to_text(GPtrArray *matches)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < matches->len; i++) {
		const NdMatch *m = g_ptr_array_index(matches, i);

		if (m->online) {
			g_assert_null(m->reason);
			g_string_append_printf(s, "%s online %s\n", m->profile, m->link);
		} else {
			g_assert_null(m->link);
			g_assert_nonnull(m->reason);
			g_string_append_printf(s, "%s offline: %s\n", m->profile, m->reason);
		}
	}
	return g_string_free(s, FALSE);
}

/* --- the table ---------------------------------------------------------- */

#define LO "link 1 lo loopback up,running,lower-up\naddr 1 127.0.0.1/8 scope host\n"
#define PPP0_LINK "link 3 ppp0 tun up,running,lower-up,ptp\n"
#define PPP0_ADDR "addr 3 10.0.0.1/32 peer 10.0.0.2\n"
#define PPP0_ROUTE "route 3 dev4\n"
#define PPP0 PPP0_LINK PPP0_ADDR PPP0_ROUTE
#define ETH0_LINK "link 2 eth0 ether up,running,lower-up\n"
#define ETH0_ADDR "addr 2 192.168.1.10/24\n"
#define ETH0 ETH0_LINK ETH0_ADDR "route 2 via 192.168.1.1\n"

typedef struct {
	const char *label;
	const char *links;
	const char *profiles[4];
	const char *expected;
} MatchCase;

static const MatchCase cases[] = {
	/* zero configuration: any ppp or ippp link that comes online */
	{ "zero-config/ppp-online", LO PPP0, { "dialup" }, "dialup online ppp0\n" },
	{ "zero-config/ippp-online",
	  LO "link 4 ippp0 ppp up,running,lower-up,ptp\naddr 4 10.1.0.1/32 peer 10.1.0.2\nroute 4 dev4\n",
	  { "dialup" }, "dialup online ippp0\n" },
	{ "zero-config/ethernet-is-not-ppp", LO ETH0, { "dialup" },
	  "dialup offline: no link matches interfaces ppp*;ippp*\n" },
	{ "zero-config/no-links", "", { "dialup" },
	  "dialup offline: no link matches interfaces ppp*;ippp*\n" },
	/* the link rules */
	{ "link/down", "link 3 ppp0 tun ptp\n" PPP0_ADDR PPP0_ROUTE, { "dialup" },
	  "dialup offline: ppp0 is down\n" },
	{ "link/no-carrier", "link 3 ppp0 tun up,ptp\n" PPP0_ADDR PPP0_ROUTE, { "dialup" },
	  "dialup offline: ppp0 has no carrier\n" },
	{ "link/dormant", "link 3 ppp0 tun up,lower-up,ptp\n" PPP0_ADDR PPP0_ROUTE, { "dialup" },
	  "dialup offline: ppp0 is not running\n" },
	{ "link/no-address", PPP0_LINK PPP0_ROUTE, { "dialup" },
	  "dialup offline: ppp0 has no global address\n" },
	{ "link/link-local-only", PPP0_LINK "addr 3 fe80::1/64 scope link\nroute 3 dev6\n",
	  { "dialup" }, "dialup offline: ppp0 has no global address\n" },
	{ "link/tentative-address", PPP0_LINK "addr 3 2001:db8::1/64 tentative\nroute 3 dev6\n",
	  { "dialup" }, "dialup offline: ppp0 has no global address\n" },
	{ "link/no-default-route", PPP0_LINK PPP0_ADDR, { "dialup" },
	  "dialup offline: ppp0 has no default route\n" },
	{ "link/default-route-through-other-link",
	  LO ETH0 PPP0_LINK PPP0_ADDR, { "dialup" },
	  "dialup offline: ppp0 has no default route\n" },
	/* default route not required */
	{ "route/not-required", PPP0_LINK PPP0_ADDR, { "lan default-route=no" },
	  "lan online ppp0\n" },
	{ "route/not-required-still-needs-address", PPP0_LINK, { "lan default-route=no" },
	  "lan offline: ppp0 has no global address\n" },
	{ "route/not-required-still-needs-carrier", "link 3 ppp0 tun up,ptp\n" PPP0_ADDR,
	  { "lan default-route=no" }, "lan offline: ppp0 has no carrier\n" },
	/* IPv6 */
	{ "ipv6/only", PPP0_LINK "addr 3 2001:db8::1/64\nroute 3 dev6\n", { "dialup" },
	  "dialup online ppp0\n" },
	{ "ipv6/gateway-link-local",
	  "link 2 eth0 ether up,running,lower-up\naddr 2 2001:db8::10/64\naddr 2 fe80::10/64 scope link\nroute 2 via fe80::1\n",
	  { "wifi interfaces=eth* gateway=fe80::1" }, "wifi online eth0\n" },
	/* interface globs */
	{ "glob/exact-name",
	  LO PPP0 "link 5 ppp1 tun up,running,lower-up,ptp\naddr 5 10.2.0.1/32 peer 10.2.0.2\nroute 5 dev4\n",
	  { "second interfaces=ppp1" }, "second online ppp1\n" },
	{ "glob/question-mark",
	  "link 10 ppp10 tun up,running,lower-up,ptp\naddr 10 10.9.0.1/32 peer 10.9.0.2\nroute 10 dev4\n",
	  { "one interfaces=ppp?" }, "one offline: no link matches interfaces ppp?\n" },
	{ "glob/list", LO ETH0, { "wired interfaces=wlan*;eth*" }, "wired online eth0\n" },
	{ "glob/no-match-reason-lists-globs", LO ETH0, { "mobile interfaces=wwan*;usb*" },
	  "mobile offline: no link matches interfaces wwan*;usb*\n" },
	{ "glob/star-includes-loopback", LO, { "any interfaces=* default-route=no" },
	  "any offline: lo has no global address\n" },
	/* local address rule */
	{ "local/cidr-8", PPP0, { "p local=10.0.0.0/8" }, "p online ppp0\n" },
	{ "local/no-match", PPP0, { "p local=192.168.0.0/16" },
	  "p offline: ppp0 has no local address in 192.168.0.0/16\n" },
	{ "local/exact-32", PPP0, { "p local=10.0.0.1/32" }, "p online ppp0\n" },
	{ "local/bare-address", PPP0, { "p local=10.0.0.1" }, "p online ppp0\n" },
	{ "local/neighbour-32", PPP0, { "p local=10.0.0.3/32" },
	  "p offline: ppp0 has no local address in 10.0.0.3/32\n" },
	{ "local/zero-prefix-v4", PPP0, { "p local=0.0.0.0/0" }, "p online ppp0\n" },
	{ "local/zero-prefix-v6-on-v4-link", PPP0, { "p local=::/0" },
	  "p offline: ppp0 has no local address in ::/0\n" },
	{ "local/v6-128", PPP0_LINK "addr 3 2001:db8::1/64\nroute 3 dev6\n",
	  { "p local=2001:db8::1/128" }, "p online ppp0\n" },
	{ "local/v6-48", PPP0_LINK "addr 3 2001:db8:1:2::5/64\nroute 3 dev6\n",
	  { "p local=2001:db8:1::/48" }, "p online ppp0\n" },
	{ "local/v6-48-other-net", PPP0_LINK "addr 3 2001:db8:2::5/64\nroute 3 dev6\n",
	  { "p local=2001:db8:1::/48" }, "p offline: ppp0 has no local address in 2001:db8:1::/48\n" },
	{ "local/odd-prefix-23", PPP0_LINK "addr 3 10.0.1.7/32 peer 10.0.0.2\n" PPP0_ROUTE,
	  { "a local=10.0.0.0/23", "b local=10.0.2.0/23" },
	  "a online ppp0\nb offline: ppp0 has no local address in 10.0.2.0/23\n" },
	{ "local/list-second-matches", PPP0, { "p local=172.16.0.0/12;10.0.0.0/24" },
	  "p online ppp0\n" },
	/* peer address rule */
	{ "peer/match", PPP0, { "p peer=10.0.0.2" }, "p online ppp0\n" },
	{ "peer/no-match", PPP0, { "p peer=10.64.64.64" },
	  "p offline: ppp0 has no peer address in 10.64.64.64\n" },
	{ "peer/local-is-not-peer", PPP0, { "p peer=10.0.0.1/32" },
	  "p offline: ppp0 has no peer address in 10.0.0.1/32\n" },
	{ "peer/peer-is-not-local", PPP0, { "p local=10.0.0.2" },
	  "p offline: ppp0 has no local address in 10.0.0.2\n" },
	{ "peer/ethernet-has-none", LO ETH0, { "p interfaces=eth* peer=0.0.0.0/0" },
	  "p offline: eth0 has no peer address in 0.0.0.0/0\n" },
	{ "peer/v6", PPP0_LINK "addr 3 2001:db8::1/128 peer 2001:db8::2\nroute 3 dev6\n",
	  { "p peer=2001:db8::2/128" }, "p online ppp0\n" },
	/* gateway rule */
	{ "gateway/match", LO ETH0, { "wifi interfaces=eth* gateway=192.168.1.1" },
	  "wifi online eth0\n" },
	{ "gateway/no-match", LO ETH0, { "office interfaces=eth* gateway=10.1.1.1" },
	  "office offline: eth0 has no default route via a gateway in 10.1.1.1\n" },
	{ "gateway/cidr-24", LO ETH0, { "wifi interfaces=eth* gateway=192.168.1.0/24" },
	  "wifi online eth0\n" },
	{ "gateway/route-without-gateway", PPP0, { "p gateway=0.0.0.0/0" },
	  "p offline: ppp0 has no default route via a gateway in 0.0.0.0/0\n" },
	{ "gateway/needs-route-even-if-not-required", ETH0_LINK ETH0_ADDR,
	  { "wifi interfaces=eth* default-route=no gateway=192.168.1.1" },
	  "wifi offline: eth0 has no default route via a gateway in 192.168.1.1\n" },
	/* rules combined */
	{ "combined/all-match", LO PPP0,
	  { "dsl interfaces=ppp0 local=10.0.0.0/8 peer=10.0.0.2/32" }, "dsl online ppp0\n" },
	{ "combined/peer-fails", LO PPP0,
	  { "dsl interfaces=ppp0 local=10.0.0.0/8 peer=10.0.0.3/32" },
	  "dsl offline: ppp0 has no peer address in 10.0.0.3/32\n" },
	{ "combined/link-rule-reported-first", "link 3 ppp0 tun up,ptp\n" PPP0_ADDR,
	  { "dsl local=192.168.0.0/16" }, "dsl offline: ppp0 has no carrier\n" },
	/* several links */
	{ "links/first-online-wins",
	  "link 3 ppp0 tun ptp\n" PPP0_ADDR PPP0_ROUTE
	  "link 5 ppp1 tun up,running,lower-up,ptp\naddr 5 10.2.0.1/32 peer 10.2.0.2\nroute 5 dev4\n",
	  { "dialup" }, "dialup online ppp1\n" },
	{ "links/reasons-joined",
	  "link 3 ppp0 tun ptp\nlink 5 ppp1 tun up,ptp\n", { "dialup" },
	  "dialup offline: ppp0 is down; ppp1 has no carrier\n" },
	{ "links/reasons-capped",
	  "link 3 ppp0 tun -\nlink 4 ppp1 tun -\nlink 5 ppp2 tun -\nlink 6 ppp3 tun -\n"
	  "link 7 ppp4 tun -\nlink 8 ppp5 tun -\n",
	  { "dialup" },
	  "dialup offline: ppp0 is down; ppp1 is down; ppp2 is down; ppp3 is down; and 2 more links\n" },
	{ "links/address-on-other-link", PPP0_LINK PPP0_ROUTE ETH0_LINK "addr 2 10.0.0.1/32\n",
	  { "p local=10.0.0.1" }, "p offline: ppp0 has no global address\n" },
	/* several profiles */
	{ "profiles/told-apart-by-peer", LO PPP0,
	  { "isp-a peer=10.64.64.64", "isp-b peer=10.0.0.2" },
	  "isp-a offline: ppp0 has no peer address in 10.64.64.64\nisp-b online ppp0\n" },
	{ "profiles/told-apart-by-interface",
	  "link 3 ppp0 tun ptp\n" PPP0_ADDR
	  "link 4 ippp0 ppp up,running,lower-up,ptp\naddr 4 10.1.0.1/32 peer 10.1.0.2\nroute 4 dev4\n",
	  { "dsl interfaces=ppp*", "isdn interfaces=ippp*" },
	  "dsl offline: ppp0 is down\nisdn online ippp0\n" },
	{ "profiles/told-apart-by-gateway", LO ETH0,
	  { "office interfaces=eth* gateway=10.1.1.1", "home interfaces=eth* gateway=192.168.1.1" },
	  "office offline: eth0 has no default route via a gateway in 10.1.1.1\nhome online eth0\n" },
	{ "profiles/several-online-order-kept", LO ETH0 PPP0,
	  { "zeta", "alpha interfaces=eth*", "mid interfaces=* local=10.0.0.0/8" },
	  "zeta online ppp0\nalpha online eth0\nmid online ppp0\n" },
	{ "profiles/none", LO PPP0, { NULL }, "" },
};

static void
test_match_case(gconstpointer data)
{
	const MatchCase *c = data;
	g_autoptr(NdSnapshot) snapshot = snapshot_from_text(c->links);
	g_autoptr(GPtrArray) profiles = g_ptr_array_new_with_free_func((GDestroyNotify)nd_profile_free);
	g_autoptr(GPtrArray) matches = NULL;
	g_autofree char *got = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(c->profiles) && c->profiles[i] != NULL; i++)
		g_ptr_array_add(profiles, profile_from_text(c->profiles[i]));
	matches = nd_match(snapshot, (NdProfile *const *)profiles->pdata, profiles->len);
	g_assert_cmpuint(matches->len, ==, profiles->len);
	got = verdicts_to_text(matches);
	g_assert_cmpstr(got, ==, c->expected);
}

/* --- profiles ------------------------------------------------------------- */

typedef struct {
	const char *label;
	const char *kind;	/* interfaces, local, peer, gateway */
	const char *items;	/* ';'-separated */
	int code;		/* NdError, or -1 for success */
	const char *message;	/* part of the message, or NULL */
} ProfileCase;

static const ProfileCase profile_cases[] = {
	{ "v4-network", "local", "10.0.0.0/8", -1, NULL },
	{ "v6-network", "peer", "2001:db8::/32", -1, NULL },
	{ "plain-address", "gateway", "192.168.1.1", -1, NULL },
	{ "zero-prefix", "local", "0.0.0.0/0;::/0", -1, NULL },
	{ "not-an-address", "local", "example.org", ND_ERROR_INVALID, "example.org" },
	{ "host-bits-set", "local", "10.1.2.3/8", ND_ERROR_INVALID, "beyond the prefix length" },
	{ "v4-prefix-33", "peer", "10.0.0.0/33", ND_ERROR_INVALID, "bad prefix length" },
	{ "v6-prefix-129", "peer", "2001:db8::/129", ND_ERROR_INVALID, "bad prefix length" },
	{ "negative-prefix", "gateway", "10.0.0.0/-1", ND_ERROR_INVALID, "bad prefix length" },
	{ "empty-prefix", "gateway", "10.0.0.0/", ND_ERROR_INVALID, "bad prefix length" },
	{ "empty-item", "interfaces", "ppp*;", ND_ERROR_INVALID, "empty item" },
	{ "second-item-bad", "local", "10.0.0.0/8;10.0.0.1/8", ND_ERROR_INVALID, "10.0.0.1/8" },
};

static void
test_profile_case(gconstpointer data)
{
	const ProfileCase *c = data;
	g_autoptr(NdProfile) p = nd_profile_new("p");
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) items = g_strsplit(c->items, ";", -1);
	g_autofree char *before = nd_profile_to_string(p);
	g_autofree char *after = NULL;
	gboolean ok;

	if (strcmp(c->kind, "interfaces") == 0)
		ok = nd_profile_set_interfaces(p, (const char *const *)items, &error);
	else if (strcmp(c->kind, "local") == 0)
		ok = nd_profile_set_local_addresses(p, (const char *const *)items, &error);
	else if (strcmp(c->kind, "peer") == 0)
		ok = nd_profile_set_peer_addresses(p, (const char *const *)items, &error);
	else
		ok = nd_profile_set_gateways(p, (const char *const *)items, &error);

	after = nd_profile_to_string(p);
	if (c->code < 0) {
		g_assert_no_error(error);
		g_assert_true(ok);
		g_assert_nonnull(strstr(after, c->items));
	} else {
		g_assert_error(error, ND_ERROR, c->code);
		g_assert_false(ok);
		g_assert_nonnull(strstr(error->message, c->message));
		/* a failed setter leaves the profile as it was */
		g_assert_cmpstr(after, ==, before);
	}
}

static void
test_profile_defaults(void)
{
	g_autoptr(NdProfile) p = nd_profile_new("dialup");
	g_autofree char *text = nd_profile_to_string(p);
	g_autoptr(GError) error = NULL;
	const char *eth[] = { "eth*", NULL };
	const char *empty[] = { NULL };

	g_assert_cmpstr(nd_profile_get_name(p), ==, "dialup");
	g_assert_true(nd_profile_get_require_default_route(p));
	g_assert_cmpstr(text, ==, "interfaces=ppp*;ippp* default-route=yes");

	g_assert_true(nd_profile_set_interfaces(p, eth, &error));
	nd_profile_set_require_default_route(p, FALSE);
	g_clear_pointer(&text, g_free);
	text = nd_profile_to_string(p);
	g_assert_cmpstr(text, ==, "interfaces=eth* default-route=no");

	/* an empty list and NULL both go back to the default globs */
	g_assert_true(nd_profile_set_interfaces(p, empty, &error));
	g_clear_pointer(&text, g_free);
	text = nd_profile_to_string(p);
	g_assert_cmpstr(text, ==, "interfaces=ppp*;ippp* default-route=no");
	g_assert_true(nd_profile_set_interfaces(p, eth, &error));
	g_assert_true(nd_profile_set_interfaces(p, NULL, &error));
	g_clear_pointer(&text, g_free);
	text = nd_profile_to_string(p);
	g_assert_cmpstr(text, ==, "interfaces=ppp*;ippp* default-route=no");
	g_assert_no_error(error);
}

static void
test_profile_limits(void)
{
	g_autoptr(NdProfile) p = nd_profile_new("p");
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autofree char *long_glob = g_strnfill(ND_PROFILE_RULE_LEN_MAX, 'x');
	g_autofree char *too_long_glob = g_strnfill(ND_PROFILE_RULE_LEN_MAX + 1, 'x');
	const char *one[] = { NULL, NULL };

	/* at the limits: accepted */
	for (guint i = 0; i < ND_PROFILE_RULES_MAX; i++)
		g_ptr_array_add(items, g_strdup_printf("10.%u.0.0/16", i));
	g_ptr_array_add(items, NULL);
	g_assert_true(nd_profile_set_local_addresses(p, (const char *const *)items->pdata, &error));
	g_assert_no_error(error);
	one[0] = long_glob;
	g_assert_true(nd_profile_set_interfaces(p, one, &error));
	g_assert_no_error(error);

	/* one past: refused */
	g_ptr_array_remove_index(items, items->len - 1);
	g_ptr_array_add(items, g_strdup("10.200.0.0/16"));
	g_ptr_array_add(items, NULL);
	g_assert_false(nd_profile_set_peer_addresses(p, (const char *const *)items->pdata, &error));
	g_assert_error(error, ND_ERROR, ND_ERROR_LIMIT);
	g_clear_error(&error);
	one[0] = too_long_glob;
	g_assert_false(nd_profile_set_interfaces(p, one, &error));
	g_assert_error(error, ND_ERROR, ND_ERROR_LIMIT);
}

static void
test_link_check(void)
{
	g_autoptr(NdSnapshot) s = snapshot_from_text(PPP0_LINK PPP0_ADDR);
	const NdLink *link = nd_snapshot_find_link(s, "ppp0");
	g_autofree char *with_route = nd_link_check(link, TRUE);
	g_autofree char *without = nd_link_check(link, FALSE);

	g_assert_cmpstr(with_route, ==, "ppp0 has no default route");
	g_assert_null(without);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/netdetect/match/%s", cases[i].label);
		g_test_add_data_func(path, &cases[i], test_match_case);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(profile_cases); i++) {
		g_autofree char *path = g_strdup_printf("/netdetect/profile/%s", profile_cases[i].label);
		g_test_add_data_func(path, &profile_cases[i], test_profile_case);
	}
	g_test_add_func("/netdetect/profile/defaults", test_profile_defaults);
	g_test_add_func("/netdetect/profile/limits", test_profile_limits);
	g_test_add_func("/netdetect/match/link-check", test_link_check);
	return g_test_run();
}
