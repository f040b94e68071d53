/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The address rewriting of a route. Headers are rewritten on their
 * text: a small scanner finds where each address of the list is
 * written, and only those bytes are replaced, so folding, comments and
 * the other addresses come out exactly as they went in. Parsing the
 * address itself is left to the address module.
 */
#include "config.h"

#include <string.h>

#include "deliver/rewrite.h"
#include "deliver/route_select.h"

gboolean
mm_rewrite_is_local(const MmAddress *addr, const MmLocality *locality)
{
	static const char *const none[] = { NULL };
	MmLocality domains_only = *locality;
	domains_only.local_addresses = none;
	domains_only.not_local_addresses = none;
	return mm_address_is_local(addr, &domains_only);
}

/* The first item of @specific, then of @general, whose pattern matches. */
static const MmConfMap *
find_map(GPtrArray *specific, GPtrArray *general, const MmAddress *addr, gboolean caseless)
{
	GPtrArray *tables[] = { specific, general };
	for (gsize t = 0; t < G_N_ELEMENTS(tables); t++) {
		for (guint i = 0; tables[t] != NULL && i < tables[t]->len; i++) {
			const MmConfMap *m = tables[t]->pdata[i];
			if (m->address != NULL && mm_route_pattern_match(m->pattern, addr, caseless))
				return m;
		}
	}
	return NULL;
}

static gboolean
keeps_local_part(const MmConfMap *m)
{
	return strcmp(m->address->local_part, "*") == 0;
}

MmAddress *
mm_rewrite_return_path(const MmRoute *route, const MmAddress *return_path, const MmLocality *locality)
{
	if (mm_address_is_null(return_path) || !mm_rewrite_is_local(return_path, locality))
		return NULL;
	const MmConfMap *m = find_map(route->map_return_path_addresses, route->map_outgoing_addresses,
	                              return_path, locality->caseless_matching);
	if (m == NULL)
		return NULL;
	const char *local = keeps_local_part(m) ? return_path->local_part : m->address->local_part;
	return mm_address_new(local, m->address->domain, NULL);
}

/* Where one address of an address list is written. */
typedef struct {
	gsize spec_start, spec_end; /* the addr-spec, in the field's text */
	gboolean keeps_name;        /* written with angle brackets or a comment */
} Item;

static gboolean
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips a comment that starts at text[i] == '('; comments nest and
 * a backslash quotes the next character (RFC 5322 3.2.2). Returns the
 * index after it, or @end when it is not closed. */
static gsize
skip_comment(const char *text, gsize i, gsize end)
{
	int depth = 0;
	for (; i < end; i++) {
		if (text[i] == '\\' && i + 1 < end)
			i++;
		else if (text[i] == '(')
			depth++;
		else if (text[i] == ')' && --depth == 0)
			return i + 1;
	}
	return end;
}

/* Skips a quoted string that starts at text[i] == '"'. */
static gsize
skip_quoted(const char *text, gsize i, gsize end)
{
	for (i++; i < end; i++) {
		if (text[i] == '\\' && i + 1 < end)
			i++;
		else if (text[i] == '"')
			return i + 1;
	}
	return end;
}

/* The addr-spec inside angle brackets [start, end): white space
 * trimmed and an obsolete source route ("@a,@b:") skipped. */
static gboolean
angle_spec(const char *text, gsize start, gsize end, Item *item)
{
	while (start < end && is_wsp(text[start]))
		start++;
	if (start < end && text[start] == '@') {
		const char *colon = memchr(text + start, ':', end - start);
		if (colon == NULL)
			return FALSE;
		start = colon + 1 - text;
		while (start < end && is_wsp(text[start]))
			start++;
	}
	while (end > start && is_wsp(text[end - 1]))
		end--;
	if (end == start)
		return FALSE; /* "<>" */
	item->spec_start = start;
	item->spec_end = end;
	return TRUE;
}

/* Finds the addresses of the address list text[start, end). Group
 * names, display names and comments are skipped; an item that is not
 * closed properly is not reported. Returns a GArray of Item. */
static GArray *
scan_items(const char *text, gsize start, gsize end)
{
	GArray *items = g_array_new(FALSE, FALSE, sizeof(Item));
	gssize first = -1, last = -1;      /* first and last byte of the words of the item */
	gssize angle_open = -1, angle_close = -1;
	gboolean comment = FALSE, broken = FALSE;
	gsize i = start;

	for (;;) {
		char c = i < end ? text[i] : ',';
		if (i >= end || ((c == ',' || c == ';') && !(angle_open >= 0 && angle_close < 0))) {
			Item item = { 0 };
			item.keeps_name = angle_open >= 0 || comment;
			gboolean found = FALSE;
			if (broken || (angle_open >= 0 && angle_close < 0))
				found = FALSE;
			else if (angle_open >= 0)
				found = angle_spec(text, angle_open + 1, angle_close, &item);
			else if (first >= 0) {
				item.spec_start = first;
				item.spec_end = last + 1;
				found = TRUE;
			}
			if (found)
				g_array_append_val(items, item);
			if (i >= end)
				break;
			first = last = angle_open = angle_close = -1;
			comment = broken = FALSE;
			i++;
			continue;
		}
		if (c == '(') {
			comment = TRUE;
			i = skip_comment(text, i, end);
			continue;
		}
		if (is_wsp(c)) {
			i++;
			continue;
		}
		if (angle_open >= 0 && angle_close < 0) {
			/* inside <...>: only its end matters here */
			if (c == '"')
				i = skip_quoted(text, i, end);
			else {
				if (c == '>')
					angle_close = i;
				i++;
			}
			continue;
		}
		if (c == '<') {
			if (angle_open >= 0)
				broken = TRUE; /* a second angle-addr in one item */
			angle_open = i++;
			continue;
		}
		if (c == ':' && angle_open < 0) {
			/* "group name:" — what came before was its name */
			first = last = -1;
			comment = FALSE;
			i++;
			continue;
		}
		gsize next = c == '"' ? skip_quoted(text, i, end) : i + 1 + (c == '\\' && i + 1 < end);
		if (angle_open >= 0)
			broken = TRUE; /* words after the angle-addr */
		if (first < 0)
			first = i;
		last = next - 1;
		i = next;
	}
	return items;
}

/* The '@' between local part and domain of the addr-spec, or NULL. */
static const char *
spec_at(const char *spec, gsize len)
{
	const char *at = NULL;
	for (gsize i = 0; i < len; i++) {
		if (spec[i] == '"')
			i = skip_quoted(spec, i, len) - 1;
		else if (spec[i] == '\\')
			i++;
		else if (spec[i] == '@')
			at = spec + i;
	}
	return at;
}

MmHeader *
mm_rewrite_header(const MmHeader *hdr, GPtrArray *specific, GPtrArray *general, const MmLocality *locality)
{
	if ((specific == NULL || specific->len == 0) && (general == NULL || general->len == 0))
		return NULL;

	const char *text = hdr->text;
	gsize len = strlen(text);
	g_autoptr(GArray) items = scan_items(text, hdr->value_off, len);
	g_autoptr(GString) out = g_string_sized_new(len + 64);
	gsize copied = 0;
	gboolean changed = FALSE;

	for (guint k = 0; k < items->len; k++) {
		const Item *item = &g_array_index(items, Item, k);
		const char *spec = text + item->spec_start;
		gsize spec_len = item->spec_end - item->spec_start;
		g_autofree char *spec_text = g_strndup(spec, spec_len);
		g_autoptr(MmAddress) addr = mm_address_parse_path(spec_text, locality->host_name, FALSE, NULL);
		if (addr == NULL || !mm_rewrite_is_local(addr, locality))
			continue;
		const MmConfMap *m = find_map(specific, general, addr, locality->caseless_matching);
		if (m == NULL)
			continue;

		gsize from, to;
		g_autofree char *replacement = NULL;
		if (keeps_local_part(m)) {
			/* only the domain: the local part stays as it is written */
			const char *at = spec_at(spec, spec_len);
			from = at != NULL ? (gsize)(at + 1 - text) : item->spec_end;
			to = item->spec_end;
			replacement = g_strconcat(at != NULL ? "" : "@", m->address->domain, NULL);
		} else if (item->keeps_name || m->address->display_name == NULL) {
			from = item->spec_start;
			to = item->spec_end;
			g_autoptr(MmAddress) bare = mm_address_new(m->address->local_part, m->address->domain, NULL);
			replacement = mm_address_to_string(bare);
		} else {
			from = item->spec_start;
			to = item->spec_end;
			replacement = g_strdup(m->replacement);
		}
		g_string_append_len(out, text + copied, from - copied);
		g_string_append(out, replacement);
		copied = to;
		changed = TRUE;
	}
	if (!changed)
		return NULL;
	g_string_append_len(out, text + copied, len - copied);

	MmHeader *copy = mm_header_copy(hdr);
	g_free(copy->text);
	copy->text = g_string_free(g_steal_pointer(&out), FALSE);
	return copy;
}

GPtrArray *
mm_rewrite_headers(const MmRoute *route, GPtrArray *headers, const MmLocality *locality)
{
	GPtrArray *result = NULL;
	for (guint i = 0; i < headers->len; i++) {
		const MmHeader *hdr = headers->pdata[i];
		GPtrArray *specific;
		switch (hdr->id) {
		case MM_HDR_FROM:
			specific = route->map_h_from_addresses;
			break;
		case MM_HDR_SENDER:
			specific = route->map_h_sender_addresses;
			break;
		case MM_HDR_REPLY_TO:
			specific = route->map_h_reply_to_addresses;
			break;
		case MM_HDR_MAIL_FOLLOWUP_TO:
			specific = route->map_h_mail_followup_to_addresses;
			break;
		default:
			continue;
		}
		MmHeader *changed = mm_rewrite_header(hdr, specific, route->map_outgoing_addresses, locality);
		if (changed == NULL)
			continue;
		if (result == NULL) {
			result = g_ptr_array_new_full(headers->len, (GDestroyNotify)mm_header_free);
			for (guint j = 0; j < headers->len; j++)
				g_ptr_array_add(result, mm_header_copy(headers->pdata[j]));
		}
		mm_header_free(result->pdata[i]);
		result->pdata[i] = changed;
	}
	return result;
}
