/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * masqmail 1.0's address rewriting, applied to a message only as it
 * leaves through a route (map_h_from_addresses, map_h_sender_addresses,
 * map_h_reply_to_addresses, map_h_mail_followup_to_addresses,
 * map_return_path_addresses and map_outgoing_addresses). The queued
 * message is never changed: these functions return rewritten copies.
 *
 * Rules (masqmail.route(5)):
 *  - only local addresses are rewritten: unqualified ones, and those
 *    whose domain is host_name or matches local_hosts (local_addresses
 *    and not_local_addresses are not looked at, as in 1.0: an address
 *    that only pretends to be local is the sender's deliberate choice);
 *  - the map of the particular header (or of the return path) is
 *    searched first, then map_outgoing_addresses; the first item whose
 *    pattern matches decides (patterns as mm_route_pattern_match());
 *  - a replacement with local part "*" replaces only the domain;
 *  - in a header, an address written with angle brackets or with a
 *    comment keeps its display name and comment, and only the address
 *    itself is replaced; a bare address gets the replacement as
 *    written in the map, display name included;
 *  - a header is rewritten address by address on its text: everything
 *    else in the field (folding, comments, groups, other addresses,
 *    spacing) stays byte for byte. An item that does not parse is left
 *    alone.
 */
#pragma once

#include <glib.h>

#include "conf/route.h"
#include "msg/address.h"
#include "msg/header.h"

/* Whether @addr is local for rewriting: host_name and local_hosts of
 * @locality only (see above). The null path is not local. */
gboolean mm_rewrite_is_local(const MmAddress *addr, const MmLocality *locality);

/* The return path as it leaves through @route, or NULL when no rule
 * applies (use the original). A display name of the replacement is
 * dropped. Caller frees. */
MmAddress *mm_rewrite_return_path(const MmRoute *route, const MmAddress *return_path,
                                  const MmLocality *locality);

/* Rewrites the addresses of @hdr by @specific, then @general (GPtrArray
 * of MmConfMap*, either may be NULL or empty). Unqualified addresses
 * are taken to be at locality->host_name. Returns a new header, or NULL
 * when nothing changed. */
MmHeader *mm_rewrite_header(const MmHeader *hdr, GPtrArray *specific, GPtrArray *general,
                            const MmLocality *locality);

/* The headers of a message (MmHeader*) as they leave through @route:
 * From:, Sender:, Reply-To: and Mail-Followup-To: rewritten, the rest
 * copied. Returns a new GPtrArray that owns its headers, or NULL when
 * the route changes nothing (use the original). */
GPtrArray *mm_rewrite_headers(const MmRoute *route, GPtrArray *headers, const MmLocality *locality);
