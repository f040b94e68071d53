/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Which route a message's remote recipients go through: the conditions
 * of masqmail.route(5) (allowed/denied senders, recipients and From:
 * addresses) and the order in which the routes of a run are tried.
 * Pure functions: no I/O, no logging, no clock; the delivery code asks
 * and acts.
 *
 * Patterns are masqmail 1.0's: a glob (`*`, `?`) over the local part,
 * or over local part and domain when the pattern has an `@` (split at
 * the last one); angle brackets around a pattern are dropped, so `<>`
 * is the empty local part and matches the null sender. Domains match
 * without case; local parts with case unless caseless_matching.
 */
#pragma once

#include <glib.h>

#include "conf/route.h"
#include "msg/address.h"
#include "msg/header.h"

/* TRUE when @addr matches @pattern. The null path is local part "" at
 * domain "", which "<>" and "*" match, as in 1.0. */
gboolean mm_route_pattern_match(const char *pattern, const MmAddress *addr, gboolean caseless);

/* TRUE when @addr matches one of the NULL-terminated @patterns. */
gboolean mm_route_patterns_match(const char *const *patterns, const MmAddress *addr, gboolean caseless);

/* The envelope sender may use @route: not denied, and allowed (or the
 * allow list is empty). Deny wins over allow. */
gboolean mm_route_sender_allowed(const MmRoute *route, const MmAddress *return_path, gboolean caseless);

/* The recipient may be reached through @route, by the same rule. */
gboolean mm_route_recipient_allowed(const MmRoute *route, const MmAddress *rcpt, gboolean caseless);

/* The From: header of @headers (MmHeader*) passes allowed_from_hdrs and
 * denied_from_hdrs. Every address of the field must pass: none denied,
 * each allowed. A message without From: passes (1.0 does the same); a
 * From: that does not parse matches no pattern, so it passes only
 * when allowed_from_hdrs is empty. Unqualified addresses get
 * @qualify_domain. */
gboolean mm_route_from_allowed(const MmRoute *route, GPtrArray *headers, const char *qualify_domain,
                               gboolean caseless);

/* Why a recipient was or was not taken, for the debug log and tests. */
typedef enum {
	MM_ROUTE_TAKEN = 0,
	MM_ROUTE_NOT_ELIGIBLE,    /* done, or held by an earlier last_route */
	MM_ROUTE_SENDER_DENIED,   /* the envelope sender may not use the route */
	MM_ROUTE_FROM_DENIED,     /* the From: header may not use the route */
	MM_ROUTE_RCPT_DENIED,     /* this recipient may not be reached through it */
} MmRouteVerdict;

/* Decides for each of @n recipients of one message whether @route
 * takes it. @eligible[i] says whether recipient i still needs a route
 * (pending, and not held by an earlier route with last_route). Fills
 * @verdicts[i] and returns how many were taken. The sender and From:
 * conditions apply to the message as a whole, the recipient conditions
 * to each recipient.
 *
 * 1.0's order of routes: the routes of a run are tried in turn and each
 * takes what is still eligible; a recipient deferred by one route is
 * eligible for the next, unless the route that took it has last_route,
 * in which case the caller marks it held (mm_route_holds()) and it
 * waits for that route. */
guint mm_route_select(const MmRoute *route, const MmAddress *return_path, GPtrArray *headers,
                      const MmAddress *const *rcpts, const gboolean *eligible, guint n,
                      const char *qualify_domain, gboolean caseless, MmRouteVerdict *verdicts);

/* TRUE when recipients that @route took must not be offered to later
 * routes in this run (last_route), whatever the outcome. */
gboolean mm_route_holds(const MmRoute *route);

/* A short name of @verdict for log lines ("taken", "sender-denied"...). */
const char *mm_route_verdict_name(MmRouteVerdict verdict);
