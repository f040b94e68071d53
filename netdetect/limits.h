/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every limit that protects libnetdetect from its input: what the kernel
 * reports (which any local program can inflate by adding links and
 * addresses) and what the route files configure. Each has a test.
 */
#pragma once

/* links kept in one snapshot; further links are left out and the
 * snapshot says it is truncated */
#define ND_SNAPSHOT_LINKS_MAX 4096
/* addresses kept per link (IPv6 privacy addresses come and go in dozens) */
#define ND_LINK_ADDRESSES_MAX 64
/* default routes kept per link (one per family and metric is usual) */
#define ND_LINK_ROUTES_MAX 16
/* rules of one kind in one profile (globs or CIDRs) */
#define ND_PROFILE_RULES_MAX 64
/* one glob or CIDR of a profile rule */
#define ND_PROFILE_RULE_LEN_MAX 128
/* links named in one "why offline" reason; the rest are counted */
#define ND_MATCH_REASON_LINKS_MAX 4
/* receive buffer of the event socket: a dial-up sends a dozen events,
 * a container host starting can send thousands; past this the kernel
 * drops events and the watcher resynchronises */
#define ND_WATCHER_RCVBUF_DEFAULT (1024 * 1024)
