/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * accept.c completes messages for the queue. It reads the command
 * line's input, splits header and body, and adds what masqmail 1.0 adds
 * (Received:, Message-ID:, Date:, From:, To: undisclosed-recipients).
 * It never writes the spool: that is spool.c.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "queue/accept.h"
#include "queue/uid.h"

#define READ_CHUNK (64 * 1024)

/* Line-wise state of reading the command line's input. */
typedef struct {
	GByteArray *text;
	GByteArray *line;
	gboolean at_dot_end;
} Reader;

/* Appends one complete line (without its line end) to the text, after
 * the dot rules. Returns FALSE when the line was the lone dot. */
static gboolean
take_line(Reader *r, const MmAcceptContext *ctx)
{
	const guint8 *p = r->line->data;
	gsize n = r->line->len;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (ctx->flags & MM_ACCEPT_DOT_ENDS) {
		if (n == 1 && p[0] == '.')
			return FALSE;
		if (n >= 2 && p[0] == '.' && p[1] == '.') {
			p++;
			n--;
		}
	}
	g_byte_array_append(r->text, p, n);
	g_byte_array_append(r->text, (const guint8 *)"\n", 1);
	g_byte_array_set_size(r->line, 0);
	return TRUE;
}

gboolean
mm_accept_read_fd(int fd, MmMessage *msg, const MmAcceptContext *ctx, GError **error)
{
	g_autofree guint8 *buf = g_malloc(READ_CHUNK);
	g_autoptr(GByteArray) text = g_byte_array_new();
	g_autoptr(GByteArray) line = g_byte_array_new();
	Reader r = { .text = text, .line = line };
	gboolean done = FALSE;

	while (!done) {
		ssize_t got = read(fd, buf, READ_CHUNK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			/* Never queue what may be only part of the message. */
			mm_error_set_errno(error, errno, "reading the message");
			return FALSE;
		}
		if (got == 0)
			break;
		/* a run of bytes up to each line end at once, not byte by
		 * byte: this is most of a submission's own work */
		for (const guint8 *p = buf, *end = buf + got; p < end && !done;) {
			const guint8 *nl = memchr(p, '\n', (gsize)(end - p));

			g_byte_array_append(line, p, (guint)((nl ? nl : end) - p));
			if (!nl)
				break;
			done = !take_line(&r, ctx);
			p = nl + 1;
		}
		if (ctx->max_msg_size > 0 && (gint64)(text->len + line->len) > ctx->max_msg_size) {
			g_set_error(error, MM_ERROR, MM_ERROR_LIMIT,
			            "message larger than the limit of %" G_GINT64_FORMAT " octets",
			            ctx->max_msg_size);
			return FALSE;
		}
	}
	/* A last line without its line end is still part of the message. */
	if (!done && line->len > 0)
		take_line(&r, ctx);
	return mm_accept_parse_text(msg, (const char *)text->data, text->len, error);
}

/* Length of the line starting at @p (up to and including its LF). */
static gsize
line_length(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', end - p);
	return nl ? (gsize)(nl - p + 1) : (gsize)(end - p);
}

static gboolean
is_field_start(const char *p, gsize len)
{
	gsize i = 0;
	/* RFC 5322 2.2: field name of printable ASCII but the colon */
	while (i < len && p[i] > 32 && p[i] < 127 && p[i] != ':')
		i++;
	return i > 0 && i < len && p[i] == ':';
}

static gboolean
is_blank_line(const char *p, gsize len)
{
	return (len == 1 && p[0] == '\n') || (len == 2 && p[0] == '\r' && p[1] == '\n');
}

/* The body with CRLF made LF (the spool keeps LF line ends). */
static GBytes *
body_from(const char *p, const char *end)
{
	GByteArray *b = g_byte_array_sized_new(end - p);
	while (p < end) {
		gsize n = line_length(p, end);
		if (n >= 2 && p[n - 1] == '\n' && p[n - 2] == '\r') {
			g_byte_array_append(b, (const guint8 *)p, n - 2);
			g_byte_array_append(b, (const guint8 *)"\n", 1);
		} else {
			g_byte_array_append(b, (const guint8 *)p, n);
		}
		p += n;
	}
	return g_byte_array_free_to_bytes(b);
}

gboolean
mm_accept_parse_text(MmMessage *msg, const char *text, gsize len, GError **error)
{
	/* An empty message may come as NULL (an empty GByteArray has no
	 * data): no arithmetic on a NULL pointer. */
	const char *p = text ? text : "";
	const char *end = p + len;
	const char *hdr_start = p;

	/* Some programs hand over a mailbox "From " line first: 1.0 drops it. */
	if (len >= 5 && memcmp(p, "From ", 5) == 0)
		p += line_length(p, end);
	hdr_start = p;
	while (p < end) {
		gsize n = line_length(p, end);
		if (is_blank_line(p, n)) {
			g_autoptr(GPtrArray) headers = mm_header_parse_block(hdr_start, p - hdr_start, error);
			if (!headers)
				return FALSE;
			g_ptr_array_extend_and_steal(msg->headers, g_steal_pointer(&headers));
			p += n;
			goto body;
		}
		if (!is_field_start(p, n) && !(p > hdr_start && (p[0] == ' ' || p[0] == '\t')))
			break;
		p += n;
	}
	/* No empty line: the header ends where the first non-field line is. */
	{
		g_autoptr(GPtrArray) headers = mm_header_parse_block(hdr_start, p - hdr_start, error);
		if (!headers)
			return FALSE;
		g_ptr_array_extend_and_steal(msg->headers, g_steal_pointer(&headers));
	}
body:
	g_clear_pointer(&msg->body, g_bytes_unref);
	msg->body = body_from(p, end);
	return TRUE;
}

char *
mm_accept_rfc5322_date(gint64 t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;
	char zone[8] = "+0000";

	/* localtime_r() reads the time zone once per process, where
	 * g_date_time_new_from_unix_local() looked at /etc/localtime for
	 * every message. */
	if (localtime_r(&tt, &tm) != NULL)
		strftime(zone, sizeof zone, "%z", &tm);
	else
		gmtime_r(&tt, &tm);
	/* Day and month names by hand: RFC 5322 wants the English ones
	 * whatever the locale. */
	return g_strdup_printf("%s, %d %s %d %02d:%02d:%02d %s", days[tm.tm_wday], tm.tm_mday,
	                       months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
}

static gboolean
add_rcpts_from(MmMessage *msg, const MmHeader *hdr, const char *host_name, GError **error)
{
	g_autofree char *value = mm_header_value_unfolded(hdr);
	g_autoptr(GPtrArray) addrs = NULL;
	g_autoptr(GError) local = NULL;

	if (value[0] == '\0')
		return TRUE;
	addrs = mm_address_parse_list(value, host_name, &local);
	if (!addrs) {
		g_autofree char *name = mm_header_name(hdr);
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "bad address in %s: %s", name, local->message);
		return FALSE;
	}
	for (guint i = 0; i < addrs->len; i++)
		g_ptr_array_add(msg->rcpts, mm_recipient_new(addrs->pdata[i]));
	return TRUE;
}

/* Applies -t and removes the fields that must not travel on. */
static gboolean
scan_headers(MmMessage *msg, const MmAcceptContext *ctx, guint *seen, GError **error)
{
	for (guint i = 0; i < msg->headers->len;) {
		MmHeader *hdr = msg->headers->pdata[i];
		*seen |= 1u << hdr->id;
		switch (hdr->id) {
		case MM_HDR_TO:
		case MM_HDR_CC:
		case MM_HDR_BCC:
			if ((ctx->flags & MM_ACCEPT_RCPTS_FROM_HEADERS) &&
			    !add_rcpts_from(msg, hdr, ctx->host_name, error))
				return FALSE;
			if (hdr->id == MM_HDR_BCC) {
				g_ptr_array_remove_index(msg->headers, i);
				continue;
			}
			break;
		case MM_HDR_ENVELOPE_TO:
			if (ctx->flags & MM_ACCEPT_SAVE_ENVELOPE_TO) {
				g_autofree char *v = mm_header_value_unfolded(hdr);
				g_ptr_array_insert(msg->headers, 0, mm_header_new("X-Orig-Envelope-To", v));
				i++;
			}
			g_ptr_array_remove_index(msg->headers, i);
			continue;
		case MM_HDR_RETURN_PATH:
			/* set at delivery from the envelope, never trusted from input */
			g_ptr_array_remove_index(msg->headers, i);
			continue;
		default:
			break;
		}
		i++;
	}
	return TRUE;
}

static void
add_missing_headers(MmMessage *msg, const MmAcceptContext *ctx, guint seen)
{
	g_autofree char *rp = mm_address_to_string(msg->return_path);

	if (!(seen & (1u << MM_HDR_FROM)) && !(seen & (1u << MM_HDR_SENDER))) {
		g_autofree char *v = NULL;
		if (ctx->full_name && ctx->full_name[0]) {
			g_autoptr(GString) q = g_string_new("\"");
			for (const char *c = ctx->full_name; *c; c++) {
				if (*c == '"' || *c == '\\')
					g_string_append_c(q, '\\');
				if (*c != '\r' && *c != '\n')
					g_string_append_c(q, *c);
			}
			g_string_append_c(q, '"');
			v = g_strdup_printf("%s <%s>", q->str, rp);
		} else {
			v = g_strdup(rp);
		}
		g_ptr_array_add(msg->headers, mm_header_new("From", v));
	}
	if (!(seen & (1u << MM_HDR_TO)) && !(seen & (1u << MM_HDR_CC)))
		g_ptr_array_add(msg->headers, mm_header_new("To", "undisclosed-recipients:;"));
	if (!(seen & (1u << MM_HDR_DATE))) {
		g_autofree char *d = mm_accept_rfc5322_date(msg->received_time);
		g_ptr_array_add(msg->headers, mm_header_new("Date", d));
	}
	if (!(seen & (1u << MM_HDR_MESSAGE_ID))) {
		g_autofree char *id = g_strdup_printf("<%s@%s>", msg->uid, ctx->host_name);
		g_ptr_array_add(msg->headers, mm_header_new("Message-ID", id));
	}
}

/* Client text that goes into the field: only printable ASCII
 * without the characters that would change the field's structure. */
static char *
sanitized(const char *text)
{
	GString *out = g_string_new(NULL);
	for (const char *c = text; *c; c++) {
		if (strchr("()[]", *c))
			continue;
		g_string_append_c(out, (*c > 32 && *c < 127 && !strchr(";\\\"", *c)) ? *c : '_');
	}
	return g_string_free(out, FALSE);
}

/* "from HELO (NAME [ADDRESS])", the protocol, the TLS session and the
 * authenticated user, as RFC 5321 4.4 and RFC 3848 describe it. */
static char *
smtp_received(const MmMessage *msg, const MmAcceptContext *ctx, const char *for_part, const char *date)
{
	g_autoptr(GString) v = g_string_new("from ");
	g_autofree char *helo = sanitized(ctx->helo ? ctx->helo : "unknown");

	g_string_append(v, helo);
	if (ctx->client_name || ctx->client_address) {
		g_autofree char *name = ctx->client_name ? sanitized(ctx->client_name) : NULL;
		g_autofree char *addr = ctx->client_address ? sanitized(ctx->client_address) : NULL;
		g_string_append(v, " (");
		if (name)
			g_string_append_printf(v, "%s%s", name, addr ? " " : "");
		if (addr)
			g_string_append_printf(v, "[%s]", addr);
		g_string_append_c(v, ')');
	}
	g_string_append_printf(v, "\n\tby %s with %s (%s %s)", ctx->host_name, ctx->with ? ctx->with : "SMTP",
	                       PACKAGE_NAME, PACKAGE_VERSION);
	if (ctx->tls_cipher) {
		g_autofree char *tls = sanitized(ctx->tls_cipher);
		g_string_append_printf(v, "\n\t(tls %s)", tls);
	}
	if (ctx->auth_user) {
		g_autofree char *user = sanitized(ctx->auth_user);
		g_string_append_printf(v, "\n\t(authenticated as %s)", user);
	}
	g_string_append_printf(v, "\n\tid %s%s; %s", msg->uid, for_part ? for_part : "", date);
	return g_string_free(g_steal_pointer(&v), FALSE);
}

static void
add_received(MmMessage *msg, const MmAcceptContext *ctx)
{
	g_autofree char *date = mm_accept_rfc5322_date(msg->received_time);
	g_autofree char *for_part = NULL;
	g_autofree char *value = NULL;

	/* "for" only with exactly one recipient, so as not to disclose Bcc. */
	if (msg->rcpts->len == 1) {
		MmRecipient *r = msg->rcpts->pdata[0];
		g_autofree char *a = r->address ? mm_address_to_string(r->address) : g_strdup(r->pipe);
		for_part = g_strdup_printf("\n\tfor <%s>", a);
	}
	if (ctx->client_address || ctx->helo)
		value = smtp_received(msg, ctx, for_part, date);
	else if (!msg->received_host)
		value = g_strdup_printf("by %s (%s %s, from userid %u)\n\tid %s%s; %s", ctx->host_name,
		                        PACKAGE_NAME, PACKAGE_VERSION, (unsigned)ctx->uid, msg->uid,
		                        for_part ? for_part : "", date);
	else
		value = g_strdup_printf("from %s\n\tby %s with %s (%s %s)\n\tid %s%s; %s", msg->received_host,
		                        ctx->host_name, msg->protocol ? msg->protocol : "SMTP",
		                        PACKAGE_NAME, PACKAGE_VERSION, msg->uid, for_part ? for_part : "", date);
	g_ptr_array_insert(msg->headers, 0, mm_header_new("Received", value));
}

static gint64
message_size(const MmMessage *msg)
{
	gint64 n = msg->body ? (gint64)g_bytes_get_size(msg->body) : 0;
	for (guint i = 0; i < msg->headers->len; i++)
		n += strlen(((MmHeader *)msg->headers->pdata[i])->text);
	return n;
}

gboolean
mm_accept_prepare(MmMessage *msg, const MmAcceptContext *ctx, GError **error)
{
	guint seen = 0;

	g_return_val_if_fail(msg->return_path != NULL, FALSE);
	if (!msg->uid)
		msg->uid = mm_uid_new();
	if (msg->received_time == 0)
		msg->received_time = g_get_real_time() / G_USEC_PER_SEC;
	if (!msg->protocol)
		msg->protocol = g_strdup("local");
	if (!msg->body)
		msg->body = g_bytes_new_static("", 0);
	if (!scan_headers(msg, ctx, &seen, error))
		return FALSE;
	if (msg->rcpts->len == 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_PARSE, "no recipients");
		return FALSE;
	}
	add_missing_headers(msg, ctx, seen);
	add_received(msg, ctx);
	msg->data_size = message_size(msg);
	return TRUE;
}
