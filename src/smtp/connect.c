/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Outgoing TCP connections with a time limit per address. See
 * connect.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "conf/parser.h"
#include "smtp/connect.h"

static gboolean
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return TRUE;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
	}
	return FALSE;
}

/* Connects @fd (non-blocking) to @sa within @timeout_ms. Returns 0 or
 * an errno value. */
static int
connect_within(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	int err = 0;
	socklen_t err_len = sizeof err;

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	for (;;) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		int n;

		if (left <= 0)
			return ETIMEDOUT;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			break;
		if (n == 0)
			return ETIMEDOUT;
		if (errno != EINTR)
			return errno;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
		return errno;
	return err;
}

int
mm_smtp_connect(const char *host, guint16 port, guint timeout_secs, char **peer,
                gboolean *loopback, GError **error)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP };
	struct addrinfo *res = NULL;
	g_autofree char *name = NULL;
	g_autofree char *service = g_strdup_printf("%u", port);
	g_autoptr(GString) failures = g_string_new(NULL);
	int timeout_ms = (int)(timeout_secs ? timeout_secs : MM_SMTP_CLIENT_TIMEOUT_CONNECT) * 1000;
	int rc;
	int fd = -1;

	g_return_val_if_fail(host != NULL, -1);

	/* an address literal as route files and MX answers write it */
	if (host[0] == '[' && host[strlen(host) - 1] == ']')
		name = g_strndup(host + 1, strlen(host) - 2);
	else
		name = g_strdup(host);
	if (g_str_has_prefix(name, "IPv6:"))
		memmove(name, name + 5, strlen(name + 5) + 1);

	rc = getaddrinfo(name, service, &hints, &res);
	if (rc != 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "host %s: %s", host,
		            rc == EAI_SYSTEM ? g_strerror(errno) : gai_strerror(rc));
		return -1;
	}

	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		char addr[NI_MAXHOST] = "?";
		int one = 1;
		int err;

		getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		            ai->ai_protocol);
		if (fd < 0) {
			g_string_append_printf(failures, "%s%s: %s", failures->len ? ", " : "", addr,
			                       g_strerror(errno));
			continue;
		}
		err = connect_within(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms);
		if (err != 0) {
			g_string_append_printf(failures, "%s%s: %s", failures->len ? ", " : "", addr,
			                       g_strerror(err));
			close(fd);
			fd = -1;
			continue;
		}
		/* the client writes whole command groups and messages; a
		 * small last segment must not wait for the previous ACK */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		if (peer != NULL)
			*peer = g_strdup_printf("%s[%s]:%u", host, addr, port);
		if (loopback != NULL)
			*loopback = is_loopback(ai->ai_addr);
		break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "cannot connect to %s port %u: %s",
		            host, port, failures->str);
	return fd;
}

int
mm_smtp_connect_list(const char *const *hosts, guint16 default_port, guint timeout_secs,
                     char **peer, gboolean *loopback, GError **error)
{
	g_autoptr(GString) failures = g_string_new(NULL);

	for (const char *const *h = hosts; h != NULL && *h != NULL; h++) {
		g_autofree char *host = NULL;
		g_autoptr(GError) local = NULL;
		guint16 port;
		int fd;

		if (!mm_conf_split_host_port(*h, default_port, &host, &port, &local)) {
			g_string_append_printf(failures, "%s%s", failures->len ? "; " : "",
			                       local->message);
			continue;
		}
		fd = mm_smtp_connect(host, port, timeout_secs, peer, loopback, &local);
		if (fd >= 0)
			return fd;
		g_string_append_printf(failures, "%s%s", failures->len ? "; " : "", local->message);
	}
	g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s",
	            failures->len ? failures->str : "no host to connect to");
	return -1;
}
