/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * relay.c decides whether a client may send to a recipient. It owns the
 * relay networks; the session asks it once per RCPT.
 */
#include "config.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "base/error.h"
#include "base/netmask.h"
#include "smtp/relay.h"

struct _MmRelayNets {
	GPtrArray *masks; /* GInetAddressMask*, owned */
};

static MmRelayNets *
nets_new_empty(void)
{
	MmRelayNets *nets = g_new0(MmRelayNets, 1);
	nets->masks = g_ptr_array_new_with_free_func(g_object_unref);
	return nets;
}

void
mm_relay_nets_free(MmRelayNets *nets)
{
	if (!nets)
		return;
	g_ptr_array_unref(nets->masks);
	g_free(nets);
}

/* The configuration checked the text (base/netmask.h) without GIO;
 * the check runs again here as items also come from elsewhere. */
GInetAddressMask *
mm_relay_net_parse(const char *text)
{
	if (!mm_netmask_check(text))
		return NULL;
	return g_inet_address_mask_new_from_string(text, NULL);
}

gboolean
mm_relay_nets_add(MmRelayNets *nets, const char *item, GError **error)
{
	g_autofree char *copy = g_strstrip(g_strdup(item));
	GInetAddressMask *mask = mm_relay_net_parse(copy);

	if (!mask) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
		            "relay_networks: \"%s\" is not an address or address/prefix", item);
		return FALSE;
	}
	g_ptr_array_add(nets->masks, mask);
	return TRUE;
}

MmRelayNets *
mm_relay_nets_new(const char *const *items, GError **error)
{
	g_autoptr(MmRelayNets) nets = nets_new_empty();

	for (const char *const *i = items; i && *i; i++) {
		if (!mm_relay_nets_add(nets, *i, error))
			return NULL;
	}
	return g_steal_pointer(&nets);
}

static GInetAddress *
inet_from_sockaddr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return g_inet_address_new_from_bytes((const guint8 *)&((const struct sockaddr_in *)sa)->sin_addr,
		                                     G_SOCKET_FAMILY_IPV4);
	if (sa->sa_family == AF_INET6)
		return g_inet_address_new_from_bytes(
			(const guint8 *)&((const struct sockaddr_in6 *)sa)->sin6_addr, G_SOCKET_FAMILY_IPV6);
	return NULL;
}

/* The number of leading one bits of a netmask. */
static guint
prefix_length(const struct sockaddr *netmask)
{
	const guint8 *b;
	gsize n;
	guint bits = 0;

	if (netmask->sa_family == AF_INET) {
		b = (const guint8 *)&((const struct sockaddr_in *)netmask)->sin_addr;
		n = 4;
	} else {
		b = (const guint8 *)&((const struct sockaddr_in6 *)netmask)->sin6_addr;
		n = 16;
	}
	for (gsize i = 0; i < n; i++) {
		guint8 v = b[i];
		while (v & 0x80) {
			bits++;
			v <<= 1;
		}
		if (b[i] != 0xff)
			break;
	}
	return bits;
}

void
mm_relay_nets_add_interface(MmRelayNets *nets, const struct sockaddr *addr, const struct sockaddr *netmask,
                            unsigned int if_flags)
{
	g_autoptr(GInetAddress) a = NULL;
	g_autoptr(GInetAddress) network = NULL;
	guint8 bytes[16];
	gsize n;
	guint prefix;

	/* The dial-up link's peer is the provider's side: relaying for
	 * everybody behind it would make an open relay. */
	if (!addr || !netmask || !(if_flags & IFF_UP) || (if_flags & (IFF_LOOPBACK | IFF_POINTOPOINT)))
		return;
	if (addr->sa_family != netmask->sa_family)
		return;
	a = inet_from_sockaddr(addr);
	if (!a)
		return;
	/* link-local IPv6 addresses need a scope to mean anything */
	if (g_inet_address_get_is_link_local(a))
		return;
	n = g_inet_address_get_native_size(a);
	memcpy(bytes, g_inet_address_to_bytes(a), n);
	prefix = prefix_length(netmask);
	for (gsize i = 0; i < n; i++) {
		guint keep = prefix > i * 8 ? MIN(prefix - i * 8, 8) : 0;
		bytes[i] &= keep == 0 ? 0 : (guint8)(0xff << (8 - keep));
	}
	network = g_inet_address_new_from_bytes(bytes, g_inet_address_get_family(a));
	g_ptr_array_add(nets->masks, g_inet_address_mask_new(network, prefix, NULL));
}

MmRelayNets *
mm_relay_nets_new_default(void)
{
	MmRelayNets *nets = nets_new_empty();
	struct ifaddrs *list = NULL;

	mm_relay_nets_add(nets, "127.0.0.0/8", NULL);
	mm_relay_nets_add(nets, "::1/128", NULL);
	if (getifaddrs(&list) != 0)
		return nets;
	for (struct ifaddrs *i = list; i; i = i->ifa_next)
		mm_relay_nets_add_interface(nets, i->ifa_addr, i->ifa_netmask, i->ifa_flags);
	freeifaddrs(list);
	return nets;
}

/* ::ffff:a.b.c.d is the IPv4 client a.b.c.d on a dual-stack socket. */
static GInetAddress *
unmapped(GInetAddress *a)
{
	static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const guint8 *b;

	if (g_inet_address_get_family(a) != G_SOCKET_FAMILY_IPV6)
		return g_object_ref(a);
	b = g_inet_address_to_bytes(a);
	if (memcmp(b, prefix, sizeof prefix) != 0)
		return g_object_ref(a);
	return g_inet_address_new_from_bytes(b + 12, G_SOCKET_FAMILY_IPV4);
}

gboolean
mm_relay_nets_contains(const MmRelayNets *nets, const char *address)
{
	g_autoptr(GInetAddress) parsed = address ? g_inet_address_new_from_string(address) : NULL;
	g_autoptr(GInetAddress) a = NULL;

	if (!parsed)
		return FALSE;
	a = unmapped(parsed);
	for (guint i = 0; i < nets->masks->len; i++) {
		GInetAddressMask *m = nets->masks->pdata[i];
		if (g_inet_address_mask_get_family(m) == g_inet_address_get_family(a) &&
		    g_inet_address_mask_matches(m, a))
			return TRUE;
	}
	return FALSE;
}

char *
mm_relay_nets_to_string(const MmRelayNets *nets)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < nets->masks->len; i++) {
		g_autofree char *m = g_inet_address_mask_to_string(nets->masks->pdata[i]);
		g_string_append_printf(s, "%s%s", i ? ";" : "", m);
	}
	return g_string_free(s, FALSE);
}

gboolean
mm_relay_address_routes(const MmAddress *addr)
{
	return strpbrk(addr->local_part, "%!@") != NULL;
}

MmRelayVerdict
mm_relay_check(const MmLocality *locality, gboolean client_may_relay, gboolean do_relay,
               const MmAddress *sender, const MmAddress *rcpt)
{
	gboolean rcpt_local = mm_address_is_local(rcpt, locality) && !mm_relay_address_routes(rcpt);

	if (rcpt_local)
		return MM_RELAY_LOCAL;
	/* 1.0: without do_relay a sender from elsewhere may only write to
	 * local recipients (the null sender of a bounce is not local). */
	if (!do_relay && !mm_address_is_local(sender, locality))
		return MM_RELAY_DENIED_SENDER;
	return client_may_relay ? MM_RELAY_ALLOWED : MM_RELAY_DENIED;
}
