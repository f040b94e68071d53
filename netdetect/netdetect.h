/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * libnetdetect: the link watcher and the provider matcher, a library of
 * its own (GLib, libnl-3, libnl-route-3; nothing from src/).
 *
 *   snapshot.h  immutable facts about links, addresses, default routes
 *   match.h     provider profiles and the pure matcher
 *   watcher.h   netlink caches in the GLib main loop; one-shot dump
 *   error.h     the ND_ERROR domain
 *   limits.h    the limits on what the kernel and the profiles supply
 *
 * A daemon creates an NdWatcher, starts it in its main loop and, in the
 * callback, runs nd_match() on the snapshot with its profiles (in
 * configuration order). `masqmail --status` without a daemon calls
 * nd_snapshot_new_from_kernel() and nd_match() once.
 */
#pragma once

#include "netdetect/error.h"
#include "netdetect/limits.h"
#include "netdetect/match.h"
#include "netdetect/snapshot.h"
#include "netdetect/watcher.h"

/* The libnl version libnetdetect was built against ("3.7.0"). */
const char *netdetect_libnl_version(void);
