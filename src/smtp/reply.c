/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The SMTP reply parser of the client and the mapping of reply codes
 * to temporary and permanent failures. See reply.h.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "smtp/reply.h"

struct MmSmtpReplyParser {
	guint code;          /* of the first line, 0 before it */
	char *enhanced;
	GPtrArray *lines;    /* char*, NULL-terminated when handed out */
};

void
mm_smtp_reply_free(MmSmtpReply *reply)
{
	if (reply == NULL)
		return;
	g_free(reply->enhanced);
	g_strfreev(reply->lines);
	g_free(reply);
}

char *
mm_smtp_reply_to_string(const MmSmtpReply *reply)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "%03u", reply->code);
	for (char **l = reply->lines; *l != NULL; l++) {
		if (l != reply->lines)
			g_string_append(s, " /");
		if (**l != '\0')
			g_string_append_printf(s, " %s", *l);
	}
	return g_string_free(s, FALSE);
}

MmSmtpReplyKind
mm_smtp_reply_kind(guint code)
{
	switch (code / 100) {
	case 2:
		return MM_SMTP_REPLY_POSITIVE;
	case 3:
		return MM_SMTP_REPLY_INTERMEDIATE;
	case 5:
		return MM_SMTP_REPLY_PERMANENT;
	default:
		/* 4xx, and codes no server should send: when in doubt, a
		 * message waits in the queue rather than bounce */
		return MM_SMTP_REPLY_TEMPORARY;
	}
}

void
mm_smtp_reply_set_error(const MmSmtpReply *reply, GError **error, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *what = NULL;
	g_autofree char *text = mm_smtp_reply_to_string(reply);
	int code = mm_smtp_reply_kind(reply->code) == MM_SMTP_REPLY_PERMANENT ? MM_ERROR_FAILED
	                                                                       : MM_ERROR_TEMPORARY;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, MM_ERROR, code, "%s: %s", what, text);
}

MmSmtpReplyParser *
mm_smtp_reply_parser_new(void)
{
	MmSmtpReplyParser *p = g_new0(MmSmtpReplyParser, 1);

	p->lines = g_ptr_array_new_with_free_func(g_free);
	return p;
}

static void
parser_reset(MmSmtpReplyParser *p)
{
	p->code = 0;
	g_clear_pointer(&p->enhanced, g_free);
	g_ptr_array_set_size(p->lines, 0);
}

void
mm_smtp_reply_parser_free(MmSmtpReplyParser *parser)
{
	if (parser == NULL)
		return;
	parser_reset(parser);
	g_ptr_array_unref(parser->lines);
	g_free(parser);
}

/* RFC 3463 2: class "." subject "." detail, subject and detail of 1 to
 * 3 digits, the class the first digit of the reply code. Returns the
 * length of the code at @s, 0 when there is none. */
static gsize
enhanced_code_len(const char *s, gsize len, guint code)
{
	gsize i = 0;

	if (len < 5 || s[0] != (char)('0' + code / 100) || s[1] != '.')
		return 0;
	i = 2;
	for (int part = 0; part < 2; part++) {
		gsize start = i;

		while (i < len && g_ascii_isdigit(s[i]) && i - start < 4)
			i++;
		if (i == start || i - start > 3)
			return 0;
		if (part == 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && s[i] != ' ')
		return 0;
	return i;
}

/* The text of a line, for logs and bounces: a control character a
 * server sends must not reach a log line or a header unchanged. */
static char *
clean_text(const char *s, gsize len)
{
	char *t = g_strndup(s, len);

	for (gsize i = 0; i < len; i++)
		if ((guchar)t[i] < 0x20 || t[i] == 0x7f)
			t[i] = t[i] == '\t' ? ' ' : '?';
	return t;
}

MmSmtpReply *
mm_smtp_reply_parser_feed(MmSmtpReplyParser *p, const char *line, gsize len, GError **error)
{
	guint code;
	gboolean last;
	MmSmtpReply *reply;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* the limit counts the CRLF */
	if (len + 2 > MM_SMTP_REPLY_LINE_MAX) {
		parser_reset(p);
		g_set_error(error, MM_ERROR, MM_ERROR_LIMIT, "reply line longer than %d octets",
		            MM_SMTP_REPLY_LINE_MAX);
		return NULL;
	}
	if (len < 3 || !g_ascii_isdigit(line[0]) || !g_ascii_isdigit(line[1]) ||
	    !g_ascii_isdigit(line[2]) || line[0] < '2' || line[0] > '5' ||
	    (len > 3 && line[3] != ' ' && line[3] != '-')) {
		g_autofree char *shown = clean_text(line, MIN(len, 80));

		parser_reset(p);
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "malformed reply line \"%s\"", shown);
		return NULL;
	}
	code = (guint)(line[0] - '0') * 100 + (guint)(line[1] - '0') * 10 + (guint)(line[2] - '0');
	if (p->code != 0 && code != p->code) {
		parser_reset(p);
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE,
		            "malformed reply: a line with code %03u in a reply with code %03u", code,
		            p->code);
		return NULL;
	}
	if (p->lines->len >= MM_SMTP_REPLY_LINES_MAX) {
		parser_reset(p);
		g_set_error(error, MM_ERROR, MM_ERROR_LIMIT, "reply of more than %d lines",
		            MM_SMTP_REPLY_LINES_MAX);
		return NULL;
	}
	last = len == 3 || line[3] == ' ';
	{
		const char *text = len > 4 ? line + 4 : "";
		gsize text_len = len > 4 ? len - 4 : 0;

		if (p->code == 0) {
			gsize elen = enhanced_code_len(text, text_len, code);

			p->code = code;
			if (elen > 0)
				p->enhanced = g_strndup(text, elen);
		}
		g_ptr_array_add(p->lines, clean_text(text, text_len));
	}
	if (!last)
		return NULL;

	reply = g_new0(MmSmtpReply, 1);
	reply->code = p->code;
	reply->enhanced = g_steal_pointer(&p->enhanced);
	g_ptr_array_add(p->lines, NULL);
	reply->lines = (char **)g_ptr_array_steal(p->lines, NULL);
	p->code = 0;
	return reply;
}

MmSmtpReply *
mm_smtp_reply_parse(const char *text, gsize len, gsize *consumed, GError **error)
{
	g_autoptr(MmSmtpReplyParser) p = mm_smtp_reply_parser_new();
	gsize pos = 0;

	if (consumed != NULL)
		*consumed = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		gsize line_len = nl != NULL ? (gsize)(nl - (text + pos)) : len - pos;
		MmSmtpReply *reply;
		GError *local = NULL;

		if (nl == NULL) {
			if (line_len + 2 > MM_SMTP_REPLY_LINE_MAX) {
				g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
				            "reply line longer than %d octets", MM_SMTP_REPLY_LINE_MAX);
			}
			return NULL;
		}
		reply = mm_smtp_reply_parser_feed(p, text + pos, line_len, &local);
		pos += line_len + 1;
		if (local != NULL) {
			g_propagate_error(error, local);
			return NULL;
		}
		if (reply != NULL) {
			if (consumed != NULL)
				*consumed = pos;
			return reply;
		}
	}
	return NULL;
}
