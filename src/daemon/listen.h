/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The daemon's listening sockets, made from listen_addresses items
 * ("host:port", "host" for port 25; see mm_conf_split_host_port()).
 */
#pragma once

#include <gio/gio.h>

/* Listen backlog: masqmail 1.0's backlog of 1 dropped connection
 * attempts of concurrent clients, which then waited a second each. */
#define MM_LISTEN_BACKLOG 128

/* Resolves every item and binds a listening, non-blocking socket to
 * each address it resolves to. Returns a GPtrArray of GSocket* (owned)
 * or NULL with an error naming the item that failed. */
GPtrArray *mm_listen_open(const char *const *items, GError **error);
