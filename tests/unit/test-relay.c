/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of relay.c: the relay network list, the default made from the
 * host's interfaces, and the decision per recipient.
 */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "base/error.h"
#include "base/netmask.h"
#include "smtp/relay.h"

typedef struct {
	const char *label;
	const char *nets; /* ';'-separated */
	const char *address;
	gboolean expected;
} ContainsCase;

static const ContainsCase contains_cases[] = {
	{ "v4-in", "192.168.1.0/24", "192.168.1.77", TRUE },
	{ "v4-out", "192.168.1.0/24", "192.168.2.1", FALSE },
	{ "v4-host", "10.0.0.7", "10.0.0.7", TRUE },
	{ "v4-host-other", "10.0.0.7", "10.0.0.8", FALSE },
	{ "v4-loopback-32", "127.0.0.1/32", "127.0.0.2", FALSE },
	{ "v4-loopback-8", "127.0.0.0/8", "127.0.0.2", TRUE },
	{ "v4-mapped", "192.168.1.0/24", "::ffff:192.168.1.9", TRUE },
	{ "v4-mapped-out", "192.168.1.0/24", "::ffff:192.168.9.9", FALSE },
	{ "v6-in", "2001:db8::/32", "2001:db8:1::5", TRUE },
	{ "v6-out", "2001:db8::/32", "2001:db9::5", FALSE },
	{ "v6-loopback", "::1", "::1", TRUE },
	{ "v4-not-v6", "0.0.0.0/0", "::2", FALSE },
	{ "several", "10.0.0.0/8;172.16.0.0/12", "172.20.1.1", TRUE },
	{ "empty-list", "", "127.0.0.1", FALSE },
	{ "not-an-address", "0.0.0.0/0", "localhost", FALSE },
};

static void
test_contains(gconstpointer data)
{
	const ContainsCase *c = data;
	g_auto(GStrv) items = g_strsplit(c->nets, ";", -1);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmRelayNets) nets = NULL;

	if (c->nets[0] == '\0') {
		g_strfreev(items);
		items = g_new0(char *, 1);
	}
	nets = mm_relay_nets_new((const char *const *)items, &error);
	g_assert_no_error(error);
	g_assert_cmpint(mm_relay_nets_contains(nets, c->address), ==, c->expected);
}

static void
test_bad_item(void)
{
	const char *const items[] = { "10.0.0.0/8", "lan.example", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(MmRelayNets) nets = mm_relay_nets_new(items, &error);

	g_assert_null(nets);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "lan.example"));
}

/* The configuration checks relay_networks without GIO
 * (mm_netmask_check()); the server makes GInetAddressMasks of the same
 * text. The two must agree, or a configuration that loads would fail
 * when the daemon starts its listeners (or the other way round). Only
 * texts on which GLib's parser does not warn: prefix lengths up to 128.
 * One rule is ours alone: a prefix length is one to three digits
 * (GLib also takes "+8" and "0008"). */
static const char *const netmask_texts[] = {
	"10.0.0.0/8", "10.0.0.1/8", "10.0.0.0/32", "10.0.0.0/33", "10.0.0.0/0", "0.0.0.0/0",
	"10.0.0.0/", "10.0.0.0/08", "10.0.0.0/008", "10.0.0.0/0008", "10.0.0.0/+8", "10.0.0.0/ 8",
	"10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0/8/8", "10.0.0", "10.0.0.256", "1.2.3.4", "127.0.0.1",
	"::1", "::1/128", "::/0", "::1/127", "2001:db8::/32", "2001:db8::1/32", "2001:db8::/64",
	"::ffff:192.168.1.0/120", "::ffff:192.168.1.1/120", "fe80::1%lo",
	"fe80::1%1", "[::1]", "lan", "", "/8", "0x0a.0.0.0", "010.0.0.0",
	"192.168.1.128/25", "192.168.1.128/24", "2001:db8::8000/113", "2001:db8::8000/112",
};

static void
test_netmask_agrees(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(netmask_texts); i++) {
		const char *text = netmask_texts[i];
		g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string(text, NULL);
		g_autoptr(GInetAddressMask) ours = mm_relay_net_parse(text);
		const char *slash = strchr(text, '/');
		gsize digits = slash ? strspn(slash + 1, "0123456789") : 0;
		gboolean expected = mask != NULL &&
		                    (!slash || (digits >= 1 && digits <= 3 && slash[1 + digits] == '\0'));

		g_test_message("\"%s\": GLib %s", text, mask ? "yes" : "no");
		g_assert_cmpint(mm_netmask_check(text), ==, expected);
		g_assert_cmpint(ours != NULL, ==, expected);
	}
	/* beyond what GLib can be asked: refused before it is */
	g_assert_false(mm_netmask_check("10.0.0.0/981"));
	g_assert_false(mm_netmask_check("2001:db8::/129"));
	g_assert_false(mm_netmask_check("10.0.0.0/-1"));
	g_assert_null(mm_relay_net_parse("::1/4294967425"));
}

static struct sockaddr_in
sin_of(const char *text)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	g_assert_cmpint(inet_pton(AF_INET, text, &sin.sin_addr), ==, 1);
	return sin;
}

static struct sockaddr_in6
sin6_of(const char *text)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	g_assert_cmpint(inet_pton(AF_INET6, text, &sin6.sin6_addr), ==, 1);
	return sin6;
}

typedef struct {
	const char *label;
	const char *addr;
	const char *mask;
	unsigned int flags;
	const char *expected; /* the resulting list, "" for none */
} InterfaceCase;

static const InterfaceCase interface_cases[] = {
	{ "ethernet", "192.168.1.10", "255.255.255.0", IFF_UP | IFF_BROADCAST, "192.168.1.0/24" },
	{ "odd-prefix", "10.11.12.13", "255.255.240.0", IFF_UP, "10.11.0.0/20" },
	{ "down", "192.168.1.10", "255.255.255.0", IFF_BROADCAST, "" },
	{ "point-to-point", "10.64.64.64", "255.255.255.255", IFF_UP | IFF_POINTOPOINT, "" },
	{ "loopback", "127.0.0.1", "255.0.0.0", IFF_UP | IFF_LOOPBACK, "" },
	{ "v6", "2001:db8:5::10", "ffff:ffff:ffff:ffff::", IFF_UP, "2001:db8:5::/64" },
	{ "v6-link-local", "fe80::1", "ffff:ffff:ffff:ffff::", IFF_UP, "" },
};

static void
test_interface(gconstpointer data)
{
	const InterfaceCase *c = data;
	g_autoptr(MmRelayNets) nets = mm_relay_nets_new(NULL, NULL);
	g_autofree char *got = NULL;

	if (strchr(c->addr, ':')) {
		struct sockaddr_in6 a = sin6_of(c->addr);
		struct sockaddr_in6 m = sin6_of(c->mask);
		mm_relay_nets_add_interface(nets, (struct sockaddr *)&a, (struct sockaddr *)&m, c->flags);
	} else {
		struct sockaddr_in a = sin_of(c->addr);
		struct sockaddr_in m = sin_of(c->mask);
		mm_relay_nets_add_interface(nets, (struct sockaddr *)&a, (struct sockaddr *)&m, c->flags);
	}
	got = mm_relay_nets_to_string(nets);
	g_assert_cmpstr(got, ==, c->expected);
}

static void
test_default(void)
{
	g_autoptr(MmRelayNets) nets = mm_relay_nets_new_default();
	g_autofree char *text = mm_relay_nets_to_string(nets);

	g_test_message("default relay networks: %s", text);
	g_assert_true(mm_relay_nets_contains(nets, "127.0.0.1"));
	g_assert_true(mm_relay_nets_contains(nets, "127.1.2.3"));
	g_assert_true(mm_relay_nets_contains(nets, "::1"));
	/* TEST-NET-3 is nobody's LAN */
	g_assert_false(mm_relay_nets_contains(nets, "203.0.113.9"));
}

typedef struct {
	const char *label;
	gboolean may_relay;
	gboolean do_relay;
	const char *sender;
	const char *rcpt;
	MmRelayVerdict expected;
} CheckCase;

static const CheckCase check_cases[] = {
	{ "local", FALSE, TRUE, "a@elsewhere.example", "u@example.org", MM_RELAY_LOCAL },
	{ "local-case", FALSE, TRUE, "a@elsewhere.example", "u@EXAMPLE.Org", MM_RELAY_LOCAL },
	{ "local-host-name", FALSE, TRUE, "a@elsewhere.example", "u@mx.example.org", MM_RELAY_LOCAL },
	{ "remote-outside", FALSE, TRUE, "a@elsewhere.example", "u@remote.example", MM_RELAY_DENIED },
	{ "remote-inside", TRUE, TRUE, "a@elsewhere.example", "u@remote.example", MM_RELAY_ALLOWED },
	{ "percent-outside", FALSE, TRUE, "a@elsewhere.example", "u%remote.example@example.org", MM_RELAY_DENIED },
	{ "percent-inside", TRUE, TRUE, "a@elsewhere.example", "u%remote.example@example.org", MM_RELAY_ALLOWED },
	{ "bang-outside", FALSE, TRUE, "a@elsewhere.example", "remote.example!u@example.org", MM_RELAY_DENIED },
	{ "quoted-at-outside", FALSE, TRUE, "a@elsewhere.example", "\"u@remote.example\"@example.org",
	  MM_RELAY_DENIED },
	{ "source-route-outside", FALSE, TRUE, "a@elsewhere.example", "<@example.org:u@remote.example>",
	  MM_RELAY_DENIED },
	{ "ip-literal-outside", FALSE, TRUE, "a@elsewhere.example", "u@[192.0.2.1]", MM_RELAY_DENIED },
	{ "not-local-address", FALSE, TRUE, "a@elsewhere.example", "eric@example.org", MM_RELAY_DENIED },
	/* 1.0's do_relay = false: a remote sender only to local recipients */
	{ "do-relay-remote-sender", TRUE, FALSE, "a@elsewhere.example", "u@remote.example",
	  MM_RELAY_DENIED_SENDER },
	{ "do-relay-null-sender", TRUE, FALSE, "<>", "u@remote.example", MM_RELAY_DENIED_SENDER },
	{ "do-relay-local-sender", TRUE, FALSE, "me@example.org", "u@remote.example", MM_RELAY_ALLOWED },
	{ "do-relay-local-rcpt", FALSE, FALSE, "a@elsewhere.example", "u@example.org", MM_RELAY_LOCAL },
	{ "do-relay-local-sender-outside", FALSE, FALSE, "me@example.org", "u@remote.example", MM_RELAY_DENIED },
};

static void
test_check(gconstpointer data)
{
	const CheckCase *c = data;
	const char *const local_hosts[] = { "localhost", "mx.example.org", "example.org", NULL };
	const char *const none[] = { NULL };
	const char *const not_local[] = { "eric@example.org", NULL };
	MmLocality loc = {
		.host_name = "mx.example.org",
		.local_hosts = local_hosts,
		.local_addresses = none,
		.not_local_addresses = not_local,
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAddress) sender = mm_address_parse_path(c->sender, NULL, TRUE, &error);
	g_autoptr(MmAddress) rcpt = NULL;

	g_assert_no_error(error);
	rcpt = mm_address_parse_path(c->rcpt, NULL, FALSE, &error);
	g_assert_no_error(error);
	g_assert_cmpint(mm_relay_check(&loc, c->may_relay, c->do_relay, sender, rcpt), ==, c->expected);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(contains_cases); i++) {
		g_autofree char *path = g_strdup_printf("/relay/nets/contains/%s", contains_cases[i].label);
		g_test_add_data_func(path, &contains_cases[i], test_contains);
	}
	g_test_add_func("/relay/nets/bad-item", test_bad_item);
	g_test_add_func("/relay/nets/netmask-agrees", test_netmask_agrees);
	for (gsize i = 0; i < G_N_ELEMENTS(interface_cases); i++) {
		g_autofree char *path = g_strdup_printf("/relay/nets/interface/%s", interface_cases[i].label);
		g_test_add_data_func(path, &interface_cases[i], test_interface);
	}
	g_test_add_func("/relay/nets/default", test_default);
	for (gsize i = 0; i < G_N_ELEMENTS(check_cases); i++) {
		g_autofree char *path = g_strdup_printf("/relay/check/%s", check_cases[i].label);
		g_test_add_data_func(path, &check_cases[i], test_check);
	}
	return g_test_run();
}
