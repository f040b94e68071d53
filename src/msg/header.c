/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Header fields. A field is kept as the exact text it came in as (only
 * CRLF becomes LF, and a missing last LF is added), so that whatever
 * masqmail does not rewrite leaves the host unchanged. Interpretation
 * (unfolding, addresses) works on copies. This file splits header
 * blocks into fields and names them; it knows nothing of the spool or
 * of SMTP.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "msg/header.h"

static const struct {
	const char *name;
	MmHeaderId id;
} header_ids[] = {
	{ "From", MM_HDR_FROM },
	{ "Sender", MM_HDR_SENDER },
	{ "To", MM_HDR_TO },
	{ "Cc", MM_HDR_CC },
	{ "Bcc", MM_HDR_BCC },
	{ "Date", MM_HDR_DATE },
	{ "Message-ID", MM_HDR_MESSAGE_ID },
	{ "Reply-To", MM_HDR_REPLY_TO },
	{ "Subject", MM_HDR_SUBJECT },
	{ "Return-Path", MM_HDR_RETURN_PATH },
	{ "Envelope-To", MM_HDR_ENVELOPE_TO },
	{ "Received", MM_HDR_RECEIVED },
	{ "Mail-Followup-To", MM_HDR_MAIL_FOLLOWUP_TO },
	{ "Resent-From", MM_HDR_RESENT_FROM },
	{ "Resent-To", MM_HDR_RESENT_TO },
	{ "Resent-Cc", MM_HDR_RESENT_CC },
	{ "Resent-Bcc", MM_HDR_RESENT_BCC },
};

MmHeaderId
mm_header_id_for_name(const char *name, gsize len)
{
	g_return_val_if_fail(name != NULL, MM_HDR_OTHER);

	for (gsize i = 0; i < G_N_ELEMENTS(header_ids); i++) {
		if (strlen(header_ids[i].name) == len &&
		    g_ascii_strncasecmp(header_ids[i].name, name, len) == 0)
			return header_ids[i].id;
	}
	return MM_HDR_OTHER;
}

/* RFC 5322 2.2: ftext is printable US-ASCII except the colon */
static gboolean
is_ftext(int c)
{
	return c >= 33 && c <= 126 && c != ':';
}

static gboolean
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* Length of the field name at the start of @text (which has @len bytes)
 * and the offset just after its colon. White space between name and
 * colon is tolerated (obs-optional, RFC 5322 4.5). */
static gboolean
scan_field_name(const char *text, gsize len, gsize *name_len, gsize *colon_end)
{
	gsize i = 0, n;

	while (i < len && is_ftext((guchar)text[i]))
		i++;
	n = i;
	if (n == 0)
		return FALSE;
	while (i < len && is_wsp((guchar)text[i]))
		i++;
	if (i >= len || text[i] != ':')
		return FALSE;
	*name_len = n;
	*colon_end = i + 1;
	return TRUE;
}

static void
strip_trailing_cr(GString *buf)
{
	while (buf->len > 0 && buf->str[buf->len - 1] == '\r')
		g_string_truncate(buf, buf->len - 1);
}

MmHeader *
mm_header_parse(const char *text, gsize len, GError **error)
{
	g_autoptr(GString) buf = NULL;
	gsize name_len, value_off;
	MmHeader *hdr;

	g_return_val_if_fail(text != NULL || len == 0, NULL);

	if (len > MM_HEADER_MAX) {
		g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
		            "header field longer than %d bytes", MM_HEADER_MAX);
		return NULL;
	}
	if (len > 0 && memchr(text, '\0', len) != NULL) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "NUL byte in header field");
		return NULL;
	}
	if (!scan_field_name(text, len, &name_len, &value_off)) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
		            "not a header field (no valid name followed by a colon): \"%.*s\"",
		            (int)MIN(len, 40), text);
		return NULL;
	}

	buf = g_string_sized_new(len + 1);
	for (gsize i = 0; i < len; i++) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			continue;
		/* Line ends are LF: CRs before one go with the CRLF, so that
		 * the text parses again to itself ("a\r\r\n" is "a\n"). */
		if (text[i] == '\n')
			strip_trailing_cr(buf);
		g_string_append_c(buf, text[i]);
		/* every line after the first must be a continuation */
		if (text[i] == '\n' && i + 1 < len && !is_wsp((guchar)text[i + 1])) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
			            "line in header field \"%.*s\" is no continuation",
			            (int)name_len, text);
			return NULL;
		}
	}
	if (buf->len == 0 || buf->str[buf->len - 1] != '\n') {
		strip_trailing_cr(buf);
		g_string_append_c(buf, '\n');
	}

	hdr = g_new0(MmHeader, 1);
	hdr->id = mm_header_id_for_name(text, name_len);
	hdr->name_len = name_len;
	hdr->value_off = value_off;
	hdr->text = g_string_free(g_steal_pointer(&buf), FALSE);
	return hdr;
}

MmHeader *
mm_header_new(const char *name, const char *value)
{
	MmHeader *hdr;
	gsize vlen;

	g_return_val_if_fail(name != NULL && value != NULL, NULL);

	vlen = strlen(value);
	hdr = g_new0(MmHeader, 1);
	hdr->name_len = strlen(name);
	hdr->value_off = hdr->name_len + 1;
	hdr->id = mm_header_id_for_name(name, hdr->name_len);
	hdr->text = g_strconcat(name, ": ", value,
	                        (vlen > 0 && value[vlen - 1] == '\n') ? "" : "\n", NULL);
	return hdr;
}

MmHeader *
mm_header_copy(const MmHeader *hdr)
{
	MmHeader *copy;

	g_return_val_if_fail(hdr != NULL, NULL);

	copy = g_new0(MmHeader, 1);
	*copy = *hdr;
	copy->text = g_strdup(hdr->text);
	return copy;
}

void
mm_header_free(MmHeader *hdr)
{
	if (hdr == NULL)
		return;
	g_free(hdr->text);
	g_free(hdr);
}

char *
mm_header_name(const MmHeader *hdr)
{
	g_return_val_if_fail(hdr != NULL, NULL);
	return g_strndup(hdr->text, hdr->name_len);
}

char *
mm_header_value_unfolded(const MmHeader *hdr)
{
	GString *out;

	g_return_val_if_fail(hdr != NULL, NULL);

	/* RFC 5322 2.2.3: unfolding removes the line breaks, not the white
	 * space that follows them. The text has LF line ends; a CR that
	 * came alone is part of the value. */
	out = g_string_new(NULL);
	for (const char *p = hdr->text + hdr->value_off; *p != '\0'; p++) {
		if (*p == '\n')
			continue;
		g_string_append_c(out, *p);
	}
	g_strstrip(out->str);
	return g_string_free(out, FALSE);
}

gboolean
mm_header_is(const MmHeader *hdr, const char *name)
{
	g_return_val_if_fail(hdr != NULL && name != NULL, FALSE);
	return strlen(name) == hdr->name_len &&
	       g_ascii_strncasecmp(hdr->text, name, hdr->name_len) == 0;
}

GPtrArray *
mm_header_parse_block(const char *block, gsize len, GError **error)
{
	g_autoptr(GPtrArray) headers = NULL;
	gsize pos = 0;

	g_return_val_if_fail(block != NULL || len == 0, NULL);

	headers = g_ptr_array_new_with_free_func((GDestroyNotify)mm_header_free);
	while (pos < len) {
		gsize start = pos;
		MmHeader *hdr;

		/* the empty line ends the header */
		if (block[pos] == '\n' || (block[pos] == '\r' && pos + 1 < len && block[pos + 1] == '\n'))
			break;
		if (is_wsp((guchar)block[pos])) {
			g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
			            "continuation line without a header field before it");
			return NULL;
		}
		/* the field runs to the first line end not followed by white space */
		for (;;) {
			const char *nl = memchr(block + pos, '\n', len - pos);

			if (nl == NULL) {
				pos = len;
				break;
			}
			pos = nl - block + 1;
			if (pos >= len || !is_wsp((guchar)block[pos]))
				break;
		}
		if (headers->len >= MM_HEADERS_COUNT_MAX) {
			g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
			            "more than %d header fields", MM_HEADERS_COUNT_MAX);
			return NULL;
		}
		hdr = mm_header_parse(block + start, pos - start, error);
		if (hdr == NULL)
			return NULL;
		g_ptr_array_add(headers, hdr);
	}
	return g_steal_pointer(&headers);
}

MmHeader *
mm_header_find(GPtrArray *headers, MmHeaderId id)
{
	g_return_val_if_fail(headers != NULL, NULL);

	for (guint i = 0; i < headers->len; i++) {
		MmHeader *hdr = g_ptr_array_index(headers, i);

		if (hdr->id == id)
			return hdr;
	}
	return NULL;
}
