/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The link watcher's path from netlink to a snapshot, without a
 * kernel: the input is a stream of rtnetlink messages as one recv()
 * would return them (RTM_NEWLINK, RTM_DELADDR, RTM_NEWROUTE, ...).
 * Each message is parsed by libnl into an object and included into
 * link, address and route caches the way libnl's cache manager does it
 * for the watcher's events (nl_msg_parse(), nl_cache_include()); after
 * each message a snapshot is built from the caches with
 * nd_snapshot_new_from_caches(), printed, compared with the one before
 * as the watcher does, and matched against a few provider profiles.
 *
 * libnl is not instrumented for coverage; its memory accesses are still
 * checked by ASan's interceptors.
 */
#include "config.h"

#include <linux/netlink.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/object.h>
#include <string.h>

#include "netdetect/match.h"
#include "netdetect/snapshot.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* More messages than a snapshot's limits need, few enough to keep an
 * input fast. */
#define FUZZ_NETLINK_MESSAGES_MAX 256

static NdProfile *profiles[4];

static NdProfile *
profile(const char *name, const char *const *ifaces, const char *const *local,
        const char *const *peer, const char *const *gateways, gboolean default_route)
{
	g_autoptr(GError) error = NULL;
	NdProfile *p = nd_profile_new(name);

	if ((ifaces && !nd_profile_set_interfaces(p, ifaces, &error)) ||
	    (local && !nd_profile_set_local_addresses(p, local, &error)) ||
	    (peer && !nd_profile_set_peer_addresses(p, peer, &error)) ||
	    (gateways && !nd_profile_set_gateways(p, gateways, &error)))
		g_error("profile %s: %s", name, error->message);
	nd_profile_set_require_default_route(p, default_route);
	return p;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const eth[] = { "eth*", "wlan*", "veth*", NULL };
	static const char *const lan[] = { "192.168.0.0/16", "fd00::/8", NULL };
	static const char *const isp_peer[] = { "10.64.0.0/10", "2001:db8::/32", NULL };
	static const char *const gateway[] = { "192.168.1.1/32", "fe80::1/128", NULL };

	mm_fuzz_init();
	profiles[0] = profile("dialup", NULL, NULL, NULL, NULL, TRUE);
	profiles[1] = profile("isp", NULL, NULL, isp_peer, NULL, TRUE);
	profiles[2] = profile("home", eth, lan, NULL, gateway, TRUE);
	profiles[3] = profile("any", eth, NULL, NULL, NULL, FALSE);
	return 0;
}

static void
include_object(struct nl_object *obj, void *arg)
{
	struct nl_cache **caches = arg;

	/* Each object fits one of the caches; the others refuse it. */
	for (int i = 0; i < 3; i++)
		(void)nl_cache_include(caches[i], obj, NULL, NULL);
}

static void
check_snapshot(NdSnapshot *snapshot, NdSnapshot *previous)
{
	g_autofree char *text = nd_snapshot_to_string(snapshot);

	mm_fuzz_check(text != NULL, "no text for a snapshot");
	mm_fuzz_check(nd_snapshot_equal(snapshot, snapshot), "a snapshot differs from itself");
	(void)nd_snapshot_equal(snapshot, previous);
	for (guint i = 0; i < nd_snapshot_get_n_links(snapshot); i++) {
		const NdLink *link = nd_snapshot_get_link(snapshot, i);
		mm_fuzz_check(nd_snapshot_find_link_by_index(snapshot, nd_link_get_index(link)) == link,
		              "a link not found by its index");
		g_autofree char *why = nd_link_check(link, TRUE);
		g_autofree char *flags = nd_link_flags_to_string(nd_link_get_flags(link));
		(void)nd_link_has_global_address(link);
		for (guint j = 0; j < nd_link_get_n_addresses(link); j++) {
			g_autofree char *ip = nd_ip_to_string(&nd_link_get_address(link, j)->local);
			(void)ip;
		}
	}
	g_autoptr(GPtrArray) matches = nd_match(snapshot, profiles, G_N_ELEMENTS(profiles));
	mm_fuzz_check(matches != NULL && matches->len == G_N_ELEMENTS(profiles), "a profile without a match result");
	for (guint i = 0; i < matches->len; i++) {
		const NdMatch *m = matches->pdata[i];
		mm_fuzz_check(m->online ? m->link != NULL : m->reason != NULL, "a match without link or reason");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "route/link", "route/addr", "route/route" };
	struct nl_cache *caches[3] = { NULL, NULL, NULL };
	g_autoptr(NdSnapshot) previous = NULL;
	/* nlmsg_convert() copies the aligned length: room for the padding
	 * the last message may lack, and the alignment libnl expects. */
	g_autofree guint32 *buf = g_malloc0(size + 8);
	struct nlmsghdr *hdr = (struct nlmsghdr *)buf;
	int remaining = (int)size;
	guint n = 0;

	memcpy(buf, data, size);
	for (int i = 0; i < 3; i++)
		if (nl_cache_alloc_name(names[i], &caches[i]) < 0)
			g_error("cannot make the %s cache", names[i]);

	for (; nlmsg_ok(hdr, remaining) && n < FUZZ_NETLINK_MESSAGES_MAX; hdr = nlmsg_next(hdr, &remaining), n++) {
		struct nl_msg *msg = nlmsg_convert(hdr);
		if (!msg)
			continue;
		nlmsg_set_proto(msg, NETLINK_ROUTE);
		(void)nl_msg_parse(msg, include_object, caches);
		nlmsg_free(msg);

		g_autoptr(NdSnapshot) snapshot = nd_snapshot_new_from_caches(caches[0], caches[1], caches[2]);
		check_snapshot(snapshot, previous);
		g_clear_pointer(&previous, nd_snapshot_unref);
		previous = g_steal_pointer(&snapshot);
	}
	for (int i = 0; i < 3; i++)
		nl_cache_free(caches[i]);
	return 0;
}
