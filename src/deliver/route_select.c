/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The route conditions of masqmail.route(5) as pure functions. This
 * file decides; it never delivers, logs or touches the spool.
 */
#include "config.h"

#include <string.h>

#include "base/glob.h"
#include "deliver/route_select.h"

static gboolean
glob_match(const char *pattern, gsize pattern_len, const char *text, gboolean caseless)
{
	g_autofree char *p = g_strndup(pattern, pattern_len);
	if (!caseless)
		return mm_glob_match(p, text);
	/* ASCII only: addresses carry no 8-bit bytes (no SMTPUTF8). */
	g_autofree char *pl = g_ascii_strdown(p, -1);
	g_autofree char *tl = g_ascii_strdown(text, -1);
	return mm_glob_match(pl, tl);
}

gboolean
mm_route_pattern_match(const char *pattern, const MmAddress *addr, gboolean caseless)
{
	g_return_val_if_fail(pattern != NULL && addr != NULL, FALSE);

	const char *p = pattern;
	gsize len = strlen(p);
	while (len > 0 && g_ascii_isspace(*p)) {
		p++;
		len--;
	}
	while (len > 0 && g_ascii_isspace(p[len - 1]))
		len--;
	/* "<alice@example.org>" is written like a path; "<>" is the null
	 * sender, an empty local part at any domain. */
	if (len >= 2 && p[0] == '<' && p[len - 1] == '>') {
		p++;
		len -= 2;
		while (len > 0 && g_ascii_isspace(*p)) {
			p++;
			len--;
		}
		while (len > 0 && g_ascii_isspace(p[len - 1]))
			len--;
	}

	const char *at = g_strrstr_len(p, len, "@");
	if (at == NULL)
		return glob_match(p, len, addr->local_part, caseless);
	if (!glob_match(p, at - p, addr->local_part, caseless))
		return FALSE;
	return glob_match(at + 1, len - (at + 1 - p), addr->domain, TRUE);
}

gboolean
mm_route_patterns_match(const char *const *patterns, const MmAddress *addr, gboolean caseless)
{
	for (const char *const *p = patterns; p != NULL && *p != NULL; p++) {
		if (mm_route_pattern_match(*p, addr, caseless))
			return TRUE;
	}
	return FALSE;
}

static gboolean
is_empty(char *const *list)
{
	return list == NULL || list[0] == NULL;
}

/* Deny beats allow; an empty allow list allows everything. */
static gboolean
allowed_by(char *const *allowed, char *const *denied, const MmAddress *addr, gboolean caseless)
{
	if (mm_route_patterns_match((const char *const *)denied, addr, caseless))
		return FALSE;
	if (is_empty(allowed))
		return TRUE;
	return mm_route_patterns_match((const char *const *)allowed, addr, caseless);
}

gboolean
mm_route_sender_allowed(const MmRoute *route, const MmAddress *return_path, gboolean caseless)
{
	return allowed_by(route->allowed_senders, route->denied_senders, return_path, caseless);
}

gboolean
mm_route_recipient_allowed(const MmRoute *route, const MmAddress *rcpt, gboolean caseless)
{
	return allowed_by(route->allowed_recipients, route->denied_recipients, rcpt, caseless);
}

gboolean
mm_route_from_allowed(const MmRoute *route, GPtrArray *headers, const char *qualify_domain,
                      gboolean caseless)
{
	if (is_empty(route->allowed_from_hdrs) && is_empty(route->denied_from_hdrs))
		return TRUE;
	MmHeader *from = headers != NULL ? mm_header_find(headers, MM_HDR_FROM) : NULL;
	if (from == NULL)
		return TRUE;

	g_autofree char *value = mm_header_value_unfolded(from);
	g_autoptr(GPtrArray) addrs = mm_address_parse_list(value, qualify_domain, NULL);
	if (addrs == NULL || addrs->len == 0)
		return is_empty(route->allowed_from_hdrs);
	for (guint i = 0; i < addrs->len; i++) {
		if (!allowed_by(route->allowed_from_hdrs, route->denied_from_hdrs, addrs->pdata[i], caseless))
			return FALSE;
	}
	return TRUE;
}

guint
mm_route_select(const MmRoute *route, const MmAddress *return_path, GPtrArray *headers,
                const MmAddress *const *rcpts, const gboolean *eligible, guint n,
                const char *qualify_domain, gboolean caseless, MmRouteVerdict *verdicts)
{
	g_return_val_if_fail(route != NULL && return_path != NULL, 0);

	MmRouteVerdict whole = MM_ROUTE_TAKEN;
	if (!mm_route_sender_allowed(route, return_path, caseless))
		whole = MM_ROUTE_SENDER_DENIED;
	else if (!mm_route_from_allowed(route, headers, qualify_domain, caseless))
		whole = MM_ROUTE_FROM_DENIED;

	guint taken = 0;
	for (guint i = 0; i < n; i++) {
		if (!eligible[i])
			verdicts[i] = MM_ROUTE_NOT_ELIGIBLE;
		else if (whole != MM_ROUTE_TAKEN)
			verdicts[i] = whole;
		else if (!mm_route_recipient_allowed(route, rcpts[i], caseless))
			verdicts[i] = MM_ROUTE_RCPT_DENIED;
		else {
			verdicts[i] = MM_ROUTE_TAKEN;
			taken++;
		}
	}
	return taken;
}

gboolean
mm_route_holds(const MmRoute *route)
{
	return route->last_route;
}

const char *
mm_route_verdict_name(MmRouteVerdict verdict)
{
	switch (verdict) {
	case MM_ROUTE_TAKEN:
		return "taken";
	case MM_ROUTE_NOT_ELIGIBLE:
		return "not-eligible";
	case MM_ROUTE_SENDER_DENIED:
		return "sender-denied";
	case MM_ROUTE_FROM_DENIED:
		return "from-denied";
	case MM_ROUTE_RCPT_DENIED:
		return "rcpt-denied";
	}
	return "unknown";
}
