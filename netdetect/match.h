/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Provider profiles and the matcher: which profiles (query routes) are
 * online for a given link state snapshot. The matcher is a pure function
 * of (snapshot, profiles): no kernel, no clock, no globals, so the daemon,
 * `masqmail --status` and the tests all get the same answer for the same
 * facts.
 *
 * A link is online when it is up, running, has carrier and a global
 * address, and (unless the profile says otherwise) a default route
 * through it. A profile is online while at least one online link matches
 * all of its rules: interface name globs (default "ppp*;ippp*"), local
 * address CIDRs, peer address CIDRs and gateway CIDRs (the next hop of a
 * default route through the link). Rules that are not set do not
 * restrict.
 */
#pragma once

#include <glib.h>

#include "netdetect/snapshot.h"

#define ND_PROFILE_DEFAULT_INTERFACES "ppp*;ippp*"

typedef struct _NdProfile NdProfile;

/* A new profile with the defaults: interfaces ppp* and ippp*, no address
 * rules, default route required. @name is copied. */
NdProfile *nd_profile_new(const char *name);
/* NULL-safe. */
void nd_profile_free(NdProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdProfile, nd_profile_free)

const char *nd_profile_get_name(const NdProfile *profile);

/* Each setter replaces the rule of its kind; the strings are copied.
 * NULL or an empty list resets the rule (interfaces: back to the
 * default globs; addresses: no restriction). On error
 * (ND_ERROR_INVALID: an empty item or an item that does not parse;
 * ND_ERROR_LIMIT: more than ND_PROFILE_RULES_MAX items or an item longer
 * than ND_PROFILE_RULE_LEN_MAX) the profile is unchanged and the message
 * names the bad item. */
gboolean nd_profile_set_interfaces(NdProfile *profile, const char *const *globs,
                                   GError **error);
/* CIDRs "10.0.0.0/8", "2001:db8::/32" or plain addresses (full length).
 * Bits set beyond the prefix length are an error: "10.1.2.3/8" is more
 * likely a typo than a network. */
gboolean nd_profile_set_local_addresses(NdProfile *profile, const char *const *cidrs,
                                        GError **error);
gboolean nd_profile_set_peer_addresses(NdProfile *profile, const char *const *cidrs,
                                       GError **error);
gboolean nd_profile_set_gateways(NdProfile *profile, const char *const *cidrs,
                                 GError **error);
void nd_profile_set_require_default_route(NdProfile *profile, gboolean require);
gboolean nd_profile_get_require_default_route(const NdProfile *profile);
/* The rules as one line, e.g. "interfaces=ppp*;ippp* default-route=yes
 * peer=10.0.0.2/32"; newly allocated. */
char *nd_profile_to_string(const NdProfile *profile);

/* The matcher's verdict for one profile. */
typedef struct {
	char *profile;	/* the profile's name */
	gboolean online;
	char *link;	/* online: the first link (lowest index) that matched; else NULL */
	char *reason;	/* offline: why, one line for logs and --status; else NULL */
} NdMatch;

void nd_match_free(NdMatch *match);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdMatch, nd_match_free)

/* Evaluates @profiles (in their order) against @snapshot. Returns a new
 * array of NdMatch, one per profile in the same order, that frees its
 * elements. Several profiles may be online at once. */
GPtrArray *nd_match(const NdSnapshot *snapshot, NdProfile *const *profiles,
                    guint n_profiles);

/* Why @link is not online by the link rules alone (up, carrier, global
 * address, a default route when @require_default_route), or NULL when
 * it is. Newly allocated. */
char *nd_link_check(const NdLink *link, gboolean require_default_route);
