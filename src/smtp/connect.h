/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Outgoing TCP connections for the SMTP client: name to addresses
 * (IPv4 and IPv6, in the order the resolver gives them), each address
 * tried with a time limit until one accepts. The socket that comes
 * back is blocking, close-on-exec and has TCP_NODELAY: the client
 * writes each command group and each message in one go, and Nagle's
 * algorithm would only hold back the last segment.
 *
 * The name lookup blocks (getaddrinfo): call this from a delivery
 * process or thread.
 */
#pragma once

#include <glib.h>

/* Connects to @host (a name, an IPv4 address, an IPv6 address with or
 * without brackets) on @port, giving each address @timeout_secs (0: the
 * default of limits.h). Returns the socket, or -1 with @error set
 * (MM_ERROR_TEMPORARY: unknown name, refused, unreachable, time-out;
 * the message names the host and each address's failure). @peer (may
 * be NULL) gets "host[address]:port" (caller frees), and @loopback (may
 * be NULL) whether the address is a loopback address. */
int mm_smtp_connect(const char *host, guint16 port, guint timeout_secs, char **peer,
                    gboolean *loopback, GError **error);

/* Tries each item of @hosts ("host", "host:port", "[v6]:port") in
 * order, as mm_smtp_connect() does, @default_port for items without
 * one. The error, when all fail, lists every host's. */
int mm_smtp_connect_list(const char *const *hosts, guint16 default_port, guint timeout_secs,
                         char **peer, gboolean *loopback, GError **error);
