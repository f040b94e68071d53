/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The status report (daemon/status.h): exact text from hand-made
 * states and snapshots, the exit status, the state of one look at the
 * links, and counting the queue in a temporary spool.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/profiles.h"
#include "daemon/status.h"
#include "queue/spool.h"

#define T0 1700000000 /* 2023-11-14T22:13:20Z */

/* lo, eth0 with a gateway, ppp0 (a TUN device) with its peer */
static NdSnapshot *
make_snapshot(gboolean ppp_up)
{
	g_autoptr(NdSnapshotBuilder) b = nd_snapshot_builder_new();
	NdLinkFlags up = ND_LINK_FLAG_UP | ND_LINK_FLAG_RUNNING | ND_LINK_FLAG_LOWER_UP;

	nd_snapshot_builder_add_link(b, 1, "lo", ND_LINK_TYPE_LOOPBACK, up);
	g_assert_true(nd_snapshot_builder_add_address_text(b, 1, "127.0.0.1/8", NULL, RT_SCOPE_HOST, NULL));
	nd_snapshot_builder_add_link(b, 2, "eth0", ND_LINK_TYPE_ETHER, up);
	g_assert_true(nd_snapshot_builder_add_address_text(b, 2, "192.168.1.5/24", NULL, RT_SCOPE_UNIVERSE, NULL));
	g_assert_true(nd_snapshot_builder_add_default_route_text(b, 2, AF_INET, "192.168.1.1", 100, NULL));
	nd_snapshot_builder_add_link(b, 3, "ppp0", ND_LINK_TYPE_TUN,
	                             (ppp_up ? up : 0) | ND_LINK_FLAG_POINTOPOINT);
	if (ppp_up) {
		g_assert_true(nd_snapshot_builder_add_address_text(b, 3, "10.0.0.1/32", "10.0.0.2", RT_SCOPE_UNIVERSE,
		                                                   NULL));
		g_assert_true(nd_snapshot_builder_add_default_route_text(b, 3, AF_INET, NULL, 0, NULL));
	}
	return nd_snapshot_builder_end(g_steal_pointer(&b));
}

static MmDaemonState *
make_state(void)
{
	MmDaemonState *s = mm_daemon_state_new();
	MmProfileState *isp = mm_profile_state_new("isp");
	MmProfileState *office = mm_profile_state_new("office");

	s->started = T0;
	s->snapshot = make_snapshot(TRUE);
	isp->online = TRUE;
	isp->since = T0 + 50;
	isp->link = g_strdup("ppp0");
	isp->last_run = T0 + 60;
	isp->last_delivered = 2;
	isp->last_deferred = 1;
	isp->last_error = g_strdup("relay said:\n421 busy");
	office->reason = g_strdup("no link matches interfaces eth*");
	office->running = TRUE;
	g_ptr_array_add(s->profiles, isp);
	g_ptr_array_add(s->profiles, office);
	return s;
}

typedef struct {
	const char *label;
	gboolean running;
	gboolean with_state;
	gboolean with_queue;
	const char *expected;
	int exit_code;
} RenderCase;

static const RenderCase render_cases[] = {
	{ "/status/render/daemon", TRUE, TRUE, TRUE,
	  "daemon: running\n"
	  "pid: 4242\n"
	  "uptime: 100\n"
	  "detection: netlink\n"
	  "link eth0: up carrier type=ether addresses=192.168.1.5/24 peer=- default-route=yes gateway=192.168.1.1\n"
	  "link ppp0: up carrier point-to-point type=tun addresses=10.0.0.1/32 peer=10.0.0.2 default-route=yes "
	  "gateway=-\n"
	  "profile isp: online since 2023-11-14T22:14:10Z via ppp0\n"
	  "profile office: offline: no link matches interfaces eth*\n"
	  "route isp: online since 2023-11-14T22:14:10Z\n"
	  "online: isp\n"
	  "queue: messages=3 recipients=5\n"
	  "run isp: last=2023-11-14T22:14:20Z delivered=2 deferred=1 failed=0 error=relay said:?421 busy\n"
	  "run office: running last=- delivered=0 deferred=0 failed=0\n",
	  0 },
	{ "/status/render/daemon-without-links", TRUE, FALSE, TRUE,
	  "daemon: running\n"
	  "pid: 4242\n"
	  "uptime: -\n"
	  "online: none\n"
	  "queue: messages=3 recipients=5\n",
	  1 },
	{ "/status/render/no-daemon-no-queue", FALSE, TRUE, FALSE,
	  "daemon: not running\n"
	  "detection: netlink\n"
	  "link eth0: up carrier type=ether addresses=192.168.1.5/24 peer=- default-route=yes gateway=192.168.1.1\n"
	  "link ppp0: up carrier point-to-point type=tun addresses=10.0.0.1/32 peer=10.0.0.2 default-route=yes "
	  "gateway=-\n"
	  "profile isp: online since 2023-11-14T22:14:10Z via ppp0\n"
	  "profile office: offline: no link matches interfaces eth*\n"
	  "route isp: online since 2023-11-14T22:14:10Z\n"
	  "online: isp\n"
	  "run isp: last=2023-11-14T22:14:20Z delivered=2 deferred=1 failed=0 error=relay said:?421 busy\n"
	  "run office: running last=- delivered=0 deferred=0 failed=0\n",
	  0 },
};

static void
test_render(gconstpointer data)
{
	const RenderCase *c = data;
	g_autoptr(MmDaemonState) state = c->with_state ? make_state() : NULL;
	MmQueueFigures queue = { .messages = 3, .recipients = 5 };
	MmStatusInput in = {
		.daemon_running = c->running,
		.pid = 4242,
		.now = T0 + 100,
		.state = state,
		.queue = c->with_queue ? &queue : NULL,
	};
	g_autofree char *report = mm_status_render(&in);

	g_assert_cmpstr(report, ==, c->expected);
	g_assert_cmpint(mm_status_exit_code(state), ==, c->exit_code);
	g_assert_cmpint(mm_status_exit_code_from_report(report), ==, c->exit_code);
}

static void
test_started_from_server(void)
{
	MmStatusInput in = { .daemon_running = TRUE, .pid = 1, .started = T0, .now = T0 + 7 };
	g_autofree char *report = mm_status_render(&in);

	g_assert_cmpstr(report, ==, "daemon: running\npid: 1\nuptime: 7\nonline: none\n");
}

typedef struct {
	const char *label;
	gboolean ppp_up;
	const char *interfaces; /* the profile's rule, NULL: default */
	gboolean online;
	const char *link;
} MatchCase;

static const MatchCase match_cases[] = {
	{ "/status/match/zero-configuration-ppp-up", TRUE, NULL, TRUE, "ppp0" },
	{ "/status/match/zero-configuration-ppp-down", FALSE, NULL, FALSE, NULL },
	{ "/status/match/ethernet", FALSE, "eth*", TRUE, "eth0" },
	{ "/status/match/no-such-interface", TRUE, "wlan*", FALSE, NULL },
};

static void
test_match(gconstpointer data)
{
	const MatchCase *c = data;
	g_autoptr(NdSnapshot) snapshot = make_snapshot(c->ppp_up);
	g_autoptr(NdProfile) profile = nd_profile_new("isp");
	g_autoptr(MmDaemonState) state = NULL;
	const MmProfileState *p;

	if (c->interfaces) {
		const char *globs[] = { c->interfaces, NULL };
		g_assert_true(nd_profile_set_interfaces(profile, globs, NULL));
	}
	state = mm_status_state_from_match(snapshot, &profile, 1);
	g_assert_true(state->snapshot == snapshot);
	g_assert_cmpuint(state->profiles->len, ==, 1);
	p = state->profiles->pdata[0];
	g_assert_cmpstr(p->name, ==, "isp");
	g_assert_cmpint(p->online, ==, c->online);
	g_assert_cmpstr(p->link, ==, c->link);
	g_assert_true((p->reason != NULL) == !c->online);
	g_assert_cmpint(mm_status_exit_code(state), ==, c->online ? 0 : 1);
}

static void
test_count_queue(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-status-XXXXXX", &error);
	g_autofree char *missing = g_build_filename(dir, "none", NULL);
	MmQueueFigures q = { 9, 9 };

	g_assert_no_error(error);
	/* an empty or missing spool is an empty queue */
	g_assert_true(mm_status_count_queue(missing, &q, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(q.messages, ==, 0);
	g_assert_cmpuint(q.recipients, ==, 0);

	for (int i = 0; i < 2; i++) {
		g_autoptr(MmMessage) msg = mm_message_new();
		g_autoptr(MmAddress) a = mm_address_new("a", "example.org", NULL);
		g_autoptr(MmAddress) b = mm_address_new("b", "example.org", NULL);
		MmRecipient *done;

		msg->return_path = mm_address_new("s", "example.org", NULL);
		g_ptr_array_add(msg->rcpts, mm_recipient_new(a));
		done = mm_recipient_new(b);
		done->state = i ? MM_RCPT_DELIVERED : MM_RCPT_PENDING;
		g_ptr_array_add(msg->rcpts, done);
		msg->uid = mm_spool_new_uid();
		msg->body = g_bytes_new_static("body\n", 5);
		g_assert_true(mm_spool_write(dir, msg, &error));
		g_assert_no_error(error);
	}
	g_assert_true(mm_status_count_queue(dir, &q, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(q.messages, ==, 2);
	g_assert_cmpuint(q.recipients, ==, 3);

	{
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
		g_assert_cmpint(system(cmd), ==, 0);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(render_cases); i++)
		g_test_add_data_func(render_cases[i].label, &render_cases[i], test_render);
	g_test_add_func("/status/render/started-from-server", test_started_from_server);
	for (gsize i = 0; i < G_N_ELEMENTS(match_cases); i++)
		g_test_add_data_func(match_cases[i].label, &match_cases[i], test_match);
	g_test_add_func("/status/queue/count", test_count_queue);
	return g_test_run();
}
