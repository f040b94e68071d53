/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * listen.c opens the listening sockets. Name resolution happens once,
 * at start-up, before privileges are dropped.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "conf/parser.h"
#include "daemon/listen.h"

static GSocket *
bind_one(GInetAddress *inet, guint16 port, GError **error)
{
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(inet, port);
	g_autoptr(GSocket) sock = g_socket_new(g_inet_address_get_family(inet), G_SOCKET_TYPE_STREAM,
	                                       G_SOCKET_PROTOCOL_TCP, error);
	if (!sock)
		return NULL;
	/* An IPv6 socket must not also take the IPv4 port: that is the
	 * job of the IPv4 address of the same name. */
	if (g_inet_address_get_family(inet) == G_SOCKET_FAMILY_IPV6 &&
	    !g_socket_set_option(sock, IPPROTO_IPV6, IPV6_V6ONLY, 1, error))
		return NULL;
	g_socket_set_blocking(sock, FALSE);
	g_socket_set_listen_backlog(sock, MM_LISTEN_BACKLOG);
	if (!g_socket_bind(sock, sa, TRUE, error) || !g_socket_listen(sock, error))
		return NULL;
	return g_steal_pointer(&sock);
}

GPtrArray *
mm_listen_open(const char *const *items, GError **error)
{
	g_autoptr(GPtrArray) socks = g_ptr_array_new_with_free_func(g_object_unref);
	GResolver *resolver = g_resolver_get_default();

	for (; items && *items; items++) {
		g_autofree char *host = NULL;
		guint16 port;
		g_autolist(GInetAddress) addrs = NULL;
		GError *local = NULL;

		if (!mm_conf_split_host_port(*items, 25, &host, &port, error))
			goto fail;
		addrs = g_resolver_lookup_by_name(resolver, host, NULL, &local);
		if (!addrs) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "listen address %s: %s", *items,
			            local->message);
			g_error_free(local);
			goto fail;
		}
		for (GList *l = addrs; l; l = l->next) {
			GSocket *s = bind_one(l->data, port, &local);
			if (!s) {
				g_autofree char *a = g_inet_address_to_string(l->data);
				g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "cannot listen on %s port %u (%s): %s",
				            a, port, *items, local->message);
				g_error_free(local);
				goto fail;
			}
			g_ptr_array_add(socks, s);
		}
	}
	g_object_unref(resolver);
	return g_steal_pointer(&socks);
fail:
	g_object_unref(resolver);
	return NULL;
}
