/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * listen.c opens the listening sockets. Name resolution happens once,
 * at start-up, before privileges are dropped.
 */
#include "config.h"

#include <netdb.h>
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

static gboolean
address_listed(GList *addrs, GInetAddress *inet)
{
	for (GList *l = addrs; l; l = l->next)
		if (g_inet_address_equal(l->data, inet))
			return TRUE;
	return FALSE;
}

/* The addresses @host stands for. getaddrinfo(3) and not GResolver:
 * GResolver answers from a thread pool, and the daemon forks delivery
 * children, which must not inherit a pool whose threads they lack. */
static GList *
resolve(const char *host, GError **error)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	GList *addrs = NULL;
	int r = getaddrinfo(host, NULL, &hints, &res);

	if (r != 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "%s", gai_strerror(r));
		return NULL;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		g_autoptr(GSocketAddress) sa = g_socket_address_new_from_native(ai->ai_addr, ai->ai_addrlen);
		GInetAddress *inet;
		if (!sa || !G_IS_INET_SOCKET_ADDRESS(sa))
			continue;
		inet = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa));
		if (!address_listed(addrs, inet))
			addrs = g_list_append(addrs, g_object_ref(inet));
	}
	freeaddrinfo(res);
	return addrs;
}

GPtrArray *
mm_listen_open(const char *const *items, GError **error)
{
	g_autoptr(GPtrArray) socks = g_ptr_array_new_with_free_func(g_object_unref);

	for (; items && *items; items++) {
		g_autofree char *host = NULL;
		guint16 port;
		g_autolist(GInetAddress) addrs = NULL;
		GError *local = NULL;

		if (!mm_conf_split_host_port(*items, 25, &host, &port, error))
			return NULL;
		addrs = resolve(host, &local);
		if (!addrs) {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "listen address %s: %s", *items,
			            local ? local->message : "no address");
			g_clear_error(&local);
			return NULL;
		}
		for (GList *l = addrs; l; l = l->next) {
			GSocket *s = bind_one(l->data, port, &local);
			if (!s) {
				g_autofree char *a = g_inet_address_to_string(l->data);
				g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "cannot listen on %s port %u (%s): %s",
				            a, port, *items, local->message);
				g_error_free(local);
				return NULL;
			}
			g_ptr_array_add(socks, s);
		}
	}
	return g_steal_pointer(&socks);
}
