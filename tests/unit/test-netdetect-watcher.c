/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The link watcher against a real kernel: each case moves into a network
 * namespace of its own (unshare), changes links with iproute2 and runs
 * the main loop until the watcher has read what the kernel queued. Needs
 * root; skipped otherwise.
 *
 * What is checked: the initial dump, one notification per burst of
 * events, no notification when nothing relevant changed, IPv4 routes
 * that the kernel removes silently, resynchronisation after lost events
 * (a tiny receive buffer and a flood of changes), messages from a
 * sender other than the kernel, and the one-shot dump.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "netdetect/netdetect.h"

typedef struct {
	GMainContext *context;
	NdWatcher *watcher;
	guint notifications;
	int tun_fd;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autofree char *ip_path = g_find_program_in_path("ip");

	f->tun_fd = -1;
	if (geteuid() != 0) {
		g_test_skip("needs root for a network namespace");
		return;
	}
	if (ip_path == NULL) {
		g_test_skip("needs ip (iproute2)");
		return;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		g_test_skip("unshare(CLONE_NEWNET) failed");
		return;
	}
	f->context = g_main_context_new();
	g_main_context_push_thread_default(f->context);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_pointer(&f->watcher, nd_watcher_free);
	if (f->tun_fd >= 0)
		close(f->tun_fd);
	if (f->context != NULL) {
		g_main_context_pop_thread_default(f->context);
		g_main_context_unref(f->context);
	}
}

/* Runs one iproute2 command line (no shell) and asserts that it worked.
 * The kernel queues its notifications before the command exits. */
static void
ip(const char *args)
{
	g_autofree char *cmd = g_strdup_printf("ip %s", args);
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;
	int status;

	g_assert_true(g_spawn_command_line_sync(cmd, NULL, &err, &status, &error));
	g_assert_no_error(error);
	if (!g_spawn_check_exit_status(status, NULL))
		g_error("%s: %s", cmd, err);
}

/* Runs several iproute2 commands from one process, so that their events
 * reach the watcher as one burst. */
static void
ip_batch(const char *commands)
{
	g_autofree char *file = NULL;
	g_autofree char *args = NULL;
	g_autoptr(GError) error = NULL;
	int fd = g_file_open_tmp("nd-batch-XXXXXX", &file, &error);

	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(file, commands, -1, &error));
	args = g_strdup_printf("-batch %s", file);
	ip(args);
	unlink(file);
}

/* Dispatches what is ready without blocking: the netlink source and the
 * evaluation it schedules. */
static void
drain(Fixture *f)
{
	while (g_main_context_iteration(f->context, FALSE))
		;
}

static void
on_snapshot(NdWatcher *watcher, NdSnapshot *snapshot, gpointer user_data)
{
	Fixture *f = user_data;

	g_assert_true(snapshot == nd_watcher_get_snapshot(watcher));
	f->notifications++;
}

static void
start_watcher(Fixture *f, int rcvbuf)
{
	g_autoptr(GError) error = NULL;

	f->watcher = nd_watcher_new(on_snapshot, f, &error);
	g_assert_no_error(error);
	g_assert_nonnull(f->watcher);
	if (rcvbuf > 0) {
		g_assert_true(nd_watcher_set_receive_buffer(f->watcher, rcvbuf, &error));
		g_assert_no_error(error);
	}
	nd_watcher_start(f->watcher);
	drain(f);
	g_assert_cmpuint(f->notifications, ==, 1);
}

/* Opens a TUN device like pppd opens its unit: carrier while open. */
static void
dial(Fixture *f, const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };

	f->tun_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	g_assert_cmpint(f->tun_fd, >=, 0);
	g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
	g_assert_cmpint(ioctl(f->tun_fd, TUNSETIFF, &ifr), ==, 0);
}

static const NdLink *
link_named(Fixture *f, const char *name)
{
	return nd_snapshot_find_link(nd_watcher_get_snapshot(f->watcher), name);
}

static gboolean
dialup_online(Fixture *f)
{
	g_autoptr(NdProfile) profile = nd_profile_new("dialup");
	g_autoptr(GPtrArray) matches = nd_match(nd_watcher_get_snapshot(f->watcher), &profile, 1);

	return ((NdMatch *)g_ptr_array_index(matches, 0))->online;
}

static void
test_initial_dump(Fixture *f, gconstpointer data)
{
	const NdLink *v0;
	const NdDefaultRoute *route;
	g_autofree char *gw = NULL;

	if (f->context == NULL)
		return;
	ip_batch("link set lo up\n"
	         "link add v0 type veth peer name v1\n"
	         "link set v1 up\n"
	         "link set v0 up\n"
	         "addr add 192.0.2.1/24 dev v0\n"
	         "route add default via 192.0.2.254\n");
	start_watcher(f, 0);

	v0 = link_named(f, "v0");
	g_assert_nonnull(v0);
	g_assert_cmpint(nd_link_get_link_type(v0), ==, ND_LINK_TYPE_ETHER);
	g_assert_cmpint(nd_link_get_link_type(link_named(f, "lo")), ==, ND_LINK_TYPE_LOOPBACK);
	g_assert_true(nd_link_has_carrier(v0));
	g_assert_true(nd_link_has_global_address(v0));
	g_assert_cmpuint(nd_link_get_n_default_routes(v0), ==, 1);
	route = nd_link_get_default_route(v0, 0);
	gw = nd_ip_to_string(&route->gateway);
	g_assert_cmpstr(gw, ==, "192.0.2.254");
}

static void
test_dialup_burst(Fixture *f, gconstpointer data)
{
	const NdLink *ppp0;
	const NdAddress *a;
	g_autofree char *peer = NULL;

	if (f->context == NULL)
		return;
	start_watcher(f, 0);
	g_assert_false(dialup_online(f));

	dial(f, "ppp0");
	ip_batch("link set ppp0 up\n"
	         "addr add 10.0.0.1 peer 10.0.0.2 dev ppp0\n"
	         "route add default dev ppp0\n");
	drain(f);
	/* link, address and route: one burst, one notification */
	g_assert_cmpuint(f->notifications, ==, 2);
	g_assert_true(dialup_online(f));
	ppp0 = link_named(f, "ppp0");
	g_assert_cmpint(nd_link_get_link_type(ppp0), ==, ND_LINK_TYPE_TUN);
	g_assert_true(nd_link_get_flags(ppp0) & ND_LINK_FLAG_POINTOPOINT);
	a = nd_link_get_address(ppp0, 0);
	peer = nd_ip_to_string(&a->peer);
	g_assert_cmpstr(peer, ==, "10.0.0.2");

	/* hang-up: the descriptor closes, the transient device goes away */
	close(f->tun_fd);
	f->tun_fd = -1;
	drain(f);
	g_assert_cmpuint(f->notifications, ==, 3);
	g_assert_false(dialup_online(f));
}

static void
test_no_change_no_callback(Fixture *f, gconstpointer data)
{
	NdWatcherStats stats;

	if (f->context == NULL)
		return;
	ip("link add v0 type veth peer name v1");
	start_watcher(f, 0);
	/* the kernel announces the link, but no fact of a snapshot changes */
	ip("link set v0 mtu 1400");
	drain(f);
	nd_watcher_get_stats(f->watcher, &stats);
	g_assert_cmpuint(stats.events, >=, 1);
	g_assert_cmpuint(stats.evaluations, ==, 2);
	g_assert_cmpuint(f->notifications, ==, 1);
}

static void
test_silent_route_removal(Fixture *f, gconstpointer data)
{
	const NdLink *v0;

	if (f->context == NULL)
		return;
	ip_batch("link add v0 type veth peer name v1\n"
	         "link set v1 up\n"
	         "link set v0 up\n"
	         "addr add 192.0.2.1/24 dev v0\n"
	         "route add default via 192.0.2.254\n");
	start_watcher(f, 0);
	g_assert_cmpuint(nd_link_get_n_default_routes(link_named(f, "v0")), ==, 1);

	/* Down and up again in one burst: the kernel drops the IPv4 default
	 * route without a notification, and the cache must not bring it
	 * back when the link is up again. */
	ip_batch("link set v0 down\nlink set v0 up\n");
	drain(f);
	v0 = link_named(f, "v0");
	g_assert_true(nd_link_get_flags(v0) & ND_LINK_FLAG_UP);
	g_assert_cmpuint(nd_link_get_n_default_routes(v0), ==, 0);
}

static void
test_lost_events_resync(Fixture *f, gconstpointer data)
{
	GString *batch = g_string_new(NULL);
	NdWatcherStats stats;
	const guint n = 100;

	if (f->context == NULL)
		return;
	/* the smallest buffer the kernel allows */
	start_watcher(f, 1);
	for (guint i = 0; i < n; i++)
		g_string_append_printf(batch, "link add nd%u type veth peer name ndp%u\n", i, i);
	/* the main loop is not running: the events pile up and overflow */
	ip_batch(batch->str);
	g_string_free(batch, TRUE);
	drain(f);

	nd_watcher_get_stats(f->watcher, &stats);
	g_assert_cmpuint(stats.resyncs, >=, 1);
	/* lo, and both ends of each pair: nothing lost */
	g_assert_cmpuint(nd_snapshot_get_n_links(nd_watcher_get_snapshot(f->watcher)), ==, 1 + 2 * n);
	g_assert_nonnull(link_named(f, "nd0"));
	g_assert_nonnull(link_named(f, "ndp99"));

	/* and events after the resync are applied again */
	ip("link del nd0");
	drain(f);
	g_assert_null(link_named(f, "nd0"));
	g_assert_null(link_named(f, "ndp0"));
}

/* Sends a forged RTM_NEWLINK for an online "ppp9" to @port from an
 * ordinary user-space socket. */
static void
send_forged_link(guint32 port)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = 999,
		.ifi_flags = IFF_UP | IFF_RUNNING | IFF_POINTOPOINT,
	};

	g_assert_nonnull(sk);
	g_assert_nonnull(msg);
	g_assert_cmpint(nl_connect(sk, NETLINK_ROUTE), ==, 0);
	nl_socket_set_peer_port(sk, port);
	g_assert_cmpint(nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO), ==, 0);
	g_assert_cmpint(nla_put_string(msg, IFLA_IFNAME, "ppp9"), ==, 0);
	g_assert_cmpint(nl_send_auto(sk, msg), >, 0);
	nlmsg_free(msg);
	nl_socket_free(sk);
}

static void
test_foreign_sender_ignored(Fixture *f, gconstpointer data)
{
	NdWatcherStats stats;

	if (f->context == NULL)
		return;
	start_watcher(f, 0);
	send_forged_link(nd_watcher_get_port_id(f->watcher));
	drain(f);
	g_assert_null(link_named(f, "ppp9"));
	g_assert_cmpuint(f->notifications, ==, 1);
	nd_watcher_get_stats(f->watcher, &stats);
	g_assert_cmpuint(stats.ignored, ==, 1);

	/* the kernel's own events still count */
	ip("link add v0 type veth peer name v1");
	drain(f);
	g_assert_nonnull(link_named(f, "v0"));
	g_assert_cmpuint(f->notifications, ==, 2);
}

static void
test_one_shot_dump(Fixture *f, gconstpointer data)
{
	g_autoptr(NdSnapshot) s = NULL;
	g_autoptr(GError) error = NULL;
	const NdLink *ppp0;
	g_autofree char *text = NULL;

	if (f->context == NULL)
		return;
	dial(f, "ppp0");
	ip_batch("link set lo up\n"
	         "link set ppp0 up\n"
	         "addr add 10.0.0.1 peer 10.0.0.2 dev ppp0\n"
	         "route add default dev ppp0\n");
	s = nd_snapshot_new_from_kernel(&error);
	g_assert_no_error(error);
	g_assert_nonnull(s);
	ppp0 = nd_snapshot_find_link(s, "ppp0");
	g_assert_nonnull(ppp0);
	text = nd_snapshot_to_string(s);
	g_assert_nonnull(strstr(text, "link ppp0 index="));
	g_assert_nonnull(strstr(text, "type=tun flags=up,running,lower-up,point-to-point\n"
	                              "  inet 10.0.0.1/32 peer 10.0.0.2 scope global\n"));
	g_assert_nonnull(strstr(text, "  default inet via - metric 0\n"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add("/netdetect/watcher/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("initial-dump", test_initial_dump);
	ADD("dial-up-is-one-burst", test_dialup_burst);
	ADD("no-change-no-callback", test_no_change_no_callback);
	ADD("silent-route-removal", test_silent_route_removal);
	ADD("lost-events-resync", test_lost_events_resync);
	ADD("foreign-sender-ignored", test_foreign_sender_ignored);
	ADD("one-shot-dump", test_one_shot_dump);
#undef ADD
	return g_test_run();
}
