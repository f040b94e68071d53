/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Provider profiles and the pure matcher from a snapshot and profiles to
 * the online profiles, with a reason for each offline one. Nothing here
 * talks to the kernel or keeps state between calls; the watcher supplies
 * facts and the daemon acts on the verdicts.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "netdetect/error.h"
#include "netdetect/limits.h"
#include "netdetect/match.h"

typedef struct {
	NdIp ip;
	guint prefix_len;
} Cidr;

struct _NdProfile {
	char *name;
	GStrv interfaces;
	GArray *local;		/* Cidr; empty: no rule */
	GArray *peer;
	GArray *gateway;
	/* the rules as given, for reasons and nd_profile_to_string() */
	GStrv local_text;
	GStrv peer_text;
	GStrv gateway_text;
	gboolean require_default_route;
};

NdProfile *
nd_profile_new(const char *name)
{
	NdProfile *p = g_new0(NdProfile, 1);

	p->name = g_strdup(name);
	p->interfaces = g_strsplit(ND_PROFILE_DEFAULT_INTERFACES, ";", -1);
	p->local = g_array_new(FALSE, TRUE, sizeof(Cidr));
	p->peer = g_array_new(FALSE, TRUE, sizeof(Cidr));
	p->gateway = g_array_new(FALSE, TRUE, sizeof(Cidr));
	p->local_text = g_new0(char *, 1);
	p->peer_text = g_new0(char *, 1);
	p->gateway_text = g_new0(char *, 1);
	p->require_default_route = TRUE;
	return p;
}

void
nd_profile_free(NdProfile *profile)
{
	if (profile == NULL)
		return;
	g_free(profile->name);
	g_strfreev(profile->interfaces);
	g_array_unref(profile->local);
	g_array_unref(profile->peer);
	g_array_unref(profile->gateway);
	g_strfreev(profile->local_text);
	g_strfreev(profile->peer_text);
	g_strfreev(profile->gateway_text);
	g_free(profile);
}

const char *
nd_profile_get_name(const NdProfile *profile)
{
	return profile->name;
}

void
nd_profile_set_require_default_route(NdProfile *profile, gboolean require)
{
	profile->require_default_route = require;
}

gboolean
nd_profile_get_require_default_route(const NdProfile *profile)
{
	return profile->require_default_route;
}

static gboolean
check_items(const char *what, const char *const *items, GError **error)
{
	guint n = items != NULL ? g_strv_length((GStrv)items) : 0;

	if (n > ND_PROFILE_RULES_MAX) {
		g_set_error(error, ND_ERROR, ND_ERROR_LIMIT, "%s: %u items, at most %d allowed",
		            what, n, ND_PROFILE_RULES_MAX);
		return FALSE;
	}
	for (guint i = 0; i < n; i++) {
		if (items[i][0] == '\0') {
			g_set_error(error, ND_ERROR, ND_ERROR_INVALID, "%s: empty item", what);
			return FALSE;
		}
		if (strlen(items[i]) > ND_PROFILE_RULE_LEN_MAX) {
			g_set_error(error, ND_ERROR, ND_ERROR_LIMIT,
			            "%s: item longer than %d characters", what,
			            ND_PROFILE_RULE_LEN_MAX);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
nd_profile_set_interfaces(NdProfile *profile, const char *const *globs, GError **error)
{
	if (!check_items("interfaces", globs, error))
		return FALSE;
	for (const char *const *g = globs; g != NULL && *g != NULL; g++) {
		/* g_pattern_match_simple() aborts on invalid UTF-8 */
		if (!g_utf8_validate(*g, -1, NULL)) {
			g_set_error(error, ND_ERROR, ND_ERROR_INVALID, "interfaces: not valid UTF-8: %s", *g);
			return FALSE;
		}
	}
	g_strfreev(profile->interfaces);
	if (globs == NULL || globs[0] == NULL)
		profile->interfaces = g_strsplit(ND_PROFILE_DEFAULT_INTERFACES, ";", -1);
	else
		profile->interfaces = g_strdupv((GStrv)globs);
	return TRUE;
}

static gboolean
cidr_parse(const char *what, const char *text, Cidr *out, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(text, "/", 2);
	guint bits;

	memset(out, 0, sizeof(*out));
	if (!nd_ip_parse(parts[0], &out->ip, NULL)) {
		g_set_error(error, ND_ERROR, ND_ERROR_INVALID, "%s: not an address or network: %s",
		            what, text);
		return FALSE;
	}
	bits = out->ip.family == AF_INET ? 32 : 128;
	out->prefix_len = bits;
	if (parts[1] != NULL) {
		guint64 len;
		if (!g_ascii_string_to_unsigned(parts[1], 10, 0, bits, &len, NULL)) {
			g_set_error(error, ND_ERROR, ND_ERROR_INVALID,
			            "%s: bad prefix length in %s (0 to %u)", what, text, bits);
			return FALSE;
		}
		out->prefix_len = (guint)len;
	}
	for (guint bit = out->prefix_len; bit < bits; bit++) {
		if (out->ip.bytes[bit / 8] & (0x80 >> (bit % 8))) {
			g_set_error(error, ND_ERROR, ND_ERROR_INVALID,
			            "%s: %s has bits set beyond the prefix length", what, text);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
cidr_matches(const Cidr *cidr, const NdIp *ip)
{
	guint full = cidr->prefix_len / 8;
	guint rest = cidr->prefix_len % 8;

	if (cidr->ip.family != ip->family)
		return FALSE;
	if (memcmp(cidr->ip.bytes, ip->bytes, full) != 0)
		return FALSE;
	if (rest == 0)
		return TRUE;
	guint8 mask = (guint8)(0xff << (8 - rest));
	return (cidr->ip.bytes[full] & mask) == (ip->bytes[full] & mask);
}

static gboolean
cidrs_match(const GArray *cidrs, const NdIp *ip)
{
	for (guint i = 0; i < cidrs->len; i++)
		if (cidr_matches(&g_array_index(cidrs, Cidr, i), ip))
			return TRUE;
	return FALSE;
}

static gboolean
set_cidrs(const char *what, GArray **cidrs, GStrv *text, const char *const *items,
          GError **error)
{
	g_autoptr(GArray) parsed = g_array_new(FALSE, TRUE, sizeof(Cidr));

	if (!check_items(what, items, error))
		return FALSE;
	for (guint i = 0; items != NULL && items[i] != NULL; i++) {
		Cidr c;
		if (!cidr_parse(what, items[i], &c, error))
			return FALSE;
		g_array_append_val(parsed, c);
	}
	g_array_unref(*cidrs);
	*cidrs = g_steal_pointer(&parsed);
	g_strfreev(*text);
	*text = items != NULL ? g_strdupv((GStrv)items) : g_new0(char *, 1);
	return TRUE;
}

gboolean
nd_profile_set_local_addresses(NdProfile *profile, const char *const *cidrs, GError **error)
{
	return set_cidrs("local address", &profile->local, &profile->local_text, cidrs, error);
}

gboolean
nd_profile_set_peer_addresses(NdProfile *profile, const char *const *cidrs, GError **error)
{
	return set_cidrs("peer address", &profile->peer, &profile->peer_text, cidrs, error);
}

gboolean
nd_profile_set_gateways(NdProfile *profile, const char *const *cidrs, GError **error)
{
	return set_cidrs("gateway", &profile->gateway, &profile->gateway_text, cidrs, error);
}

char *
nd_profile_to_string(const NdProfile *profile)
{
	GString *s = g_string_new(NULL);
	g_autofree char *interfaces = g_strjoinv(";", profile->interfaces);

	g_string_append_printf(s, "interfaces=%s default-route=%s", interfaces,
	                       profile->require_default_route ? "yes" : "no");
	if (profile->local_text[0] != NULL) {
		g_autofree char *t = g_strjoinv(";", profile->local_text);
		g_string_append_printf(s, " local=%s", t);
	}
	if (profile->peer_text[0] != NULL) {
		g_autofree char *t = g_strjoinv(";", profile->peer_text);
		g_string_append_printf(s, " peer=%s", t);
	}
	if (profile->gateway_text[0] != NULL) {
		g_autofree char *t = g_strjoinv(";", profile->gateway_text);
		g_string_append_printf(s, " gateway=%s", t);
	}
	return g_string_free(s, FALSE);
}

/* --- the matcher ------------------------------------------------------- */

void
nd_match_free(NdMatch *match)
{
	if (match == NULL)
		return;
	g_free(match->profile);
	g_free(match->link);
	g_free(match->reason);
	g_free(match);
}

char *
nd_link_check(const NdLink *link, gboolean require_default_route)
{
	NdLinkFlags flags = nd_link_get_flags(link);
	const char *name = nd_link_get_name(link);

	if ((flags & ND_LINK_FLAG_UP) == 0)
		return g_strdup_printf("%s is down", name);
	if ((flags & ND_LINK_FLAG_LOWER_UP) == 0)
		return g_strdup_printf("%s has no carrier", name);
	/* Carrier but not running: RFC 2863 "dormant", e.g. Wi-Fi that is
	 * associated but not yet authenticated. */
	if ((flags & ND_LINK_FLAG_RUNNING) == 0)
		return g_strdup_printf("%s is not running", name);
	if (!nd_link_has_global_address(link))
		return g_strdup_printf("%s has no global address", name);
	if (require_default_route && nd_link_get_n_default_routes(link) == 0)
		return g_strdup_printf("%s has no default route", name);
	return NULL;
}

static gboolean
name_matches(const NdProfile *profile, const char *name)
{
	for (guint i = 0; profile->interfaces[i] != NULL; i++)
		if (g_pattern_match_simple(profile->interfaces[i], name))
			return TRUE;
	return FALSE;
}

static gboolean
local_matches(const NdProfile *profile, const NdLink *link)
{
	for (guint i = 0; i < nd_link_get_n_addresses(link); i++) {
		const NdAddress *a = nd_link_get_address(link, i);
		if (nd_address_is_usable(a) && cidrs_match(profile->local, &a->local))
			return TRUE;
	}
	return FALSE;
}

static gboolean
peer_matches(const NdProfile *profile, const NdLink *link)
{
	for (guint i = 0; i < nd_link_get_n_addresses(link); i++) {
		const NdAddress *a = nd_link_get_address(link, i);
		if (nd_address_is_usable(a) && a->peer.family != 0 &&
		    cidrs_match(profile->peer, &a->peer))
			return TRUE;
	}
	return FALSE;
}

static gboolean
gateway_matches(const NdProfile *profile, const NdLink *link)
{
	for (guint i = 0; i < nd_link_get_n_default_routes(link); i++) {
		const NdDefaultRoute *r = nd_link_get_default_route(link, i);
		if (r->gateway.family != 0 && cidrs_match(profile->gateway, &r->gateway))
			return TRUE;
	}
	return FALSE;
}

/* Why @link does not serve @profile, or NULL when it does. */
static char *
link_verdict(const NdProfile *profile, const NdLink *link)
{
	const char *name = nd_link_get_name(link);
	char *why = nd_link_check(link, profile->require_default_route);

	if (why != NULL)
		return why;
	if (profile->local->len > 0 && !local_matches(profile, link)) {
		g_autofree char *list = g_strjoinv(";", profile->local_text);
		return g_strdup_printf("%s has no local address in %s", name, list);
	}
	if (profile->peer->len > 0 && !peer_matches(profile, link)) {
		g_autofree char *list = g_strjoinv(";", profile->peer_text);
		return g_strdup_printf("%s has no peer address in %s", name, list);
	}
	if (profile->gateway->len > 0 && !gateway_matches(profile, link)) {
		g_autofree char *list = g_strjoinv(";", profile->gateway_text);
		return g_strdup_printf("%s has no default route via a gateway in %s", name, list);
	}
	return NULL;
}

static NdMatch *
match_one(const NdSnapshot *snapshot, const NdProfile *profile)
{
	g_autoptr(NdMatch) m = g_new0(NdMatch, 1);
	g_autoptr(GString) reasons = g_string_new(NULL);
	guint candidates = 0;

	m->profile = g_strdup(profile->name);
	for (guint i = 0; i < nd_snapshot_get_n_links(snapshot); i++) {
		const NdLink *link = nd_snapshot_get_link(snapshot, i);
		g_autofree char *why = NULL;

		if (!name_matches(profile, nd_link_get_name(link)))
			continue;
		why = link_verdict(profile, link);
		if (why == NULL) {
			m->online = TRUE;
			m->link = g_strdup(nd_link_get_name(link));
			return g_steal_pointer(&m);
		}
		candidates++;
		if (candidates <= ND_MATCH_REASON_LINKS_MAX) {
			if (reasons->len > 0)
				g_string_append(reasons, "; ");
			g_string_append(reasons, why);
		}
	}
	if (candidates == 0) {
		g_autofree char *globs = g_strjoinv(";", profile->interfaces);
		m->reason = g_strdup_printf("no link matches interfaces %s", globs);
	} else {
		if (candidates > ND_MATCH_REASON_LINKS_MAX)
			g_string_append_printf(reasons, "; and %u more links",
			                       candidates - ND_MATCH_REASON_LINKS_MAX);
		m->reason = g_strdup(reasons->str);
	}
	return g_steal_pointer(&m);
}

GPtrArray *
nd_match(const NdSnapshot *snapshot, NdProfile *const *profiles, guint n_profiles)
{
	GPtrArray *result = g_ptr_array_new_full(n_profiles, (GDestroyNotify)nd_match_free);

	for (guint i = 0; i < n_profiles; i++)
		g_ptr_array_add(result, match_one(snapshot, profiles[i]));
	return result;
}
