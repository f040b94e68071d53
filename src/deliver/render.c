/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * render.c owns the byte layout of a locally delivered message. It
 * reads the message and writes through a sink; it opens, locks and
 * syncs nothing (mbox.c, maildir.c and pipe.c do).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "deliver/render.h"

char *
mm_render_from_line(const MmAddress *return_path, gint64 when)
{
	/* asctime(3) uses the C locale's names whatever the process's
	 * locale is; mbox readers parse exactly these. */
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	g_autofree char *sender = NULL;
	time_t t = (time_t)(when != 0 ? when : (gint64)time(NULL));
	struct tm tm;

	if (return_path == NULL || mm_address_is_null(return_path))
		sender = g_strdup("MAILER-DAEMON");
	else
		sender = mm_address_to_string(return_path);
	for (char *p = sender; *p != '\0'; p++)
		if ((guchar)*p <= ' ' || *p == 0x7f)
			*p = '_';
	localtime_r(&t, &tm);
	return g_strdup_printf("From %s %s %s %2d %02d:%02d:%02d %d\n", sender, days[tm.tm_wday % 7],
	                       months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	                       tm.tm_year + 1900);
}

static gboolean
emit(MmRenderSink sink, gpointer user_data, const char *data, gsize len, GError **error)
{
	if (len == 0)
		return TRUE;
	return sink(data, len, user_data, error);
}

static gboolean
emit_str(MmRenderSink sink, gpointer user_data, const char *s, GError **error)
{
	return emit(sink, user_data, s, strlen(s), error);
}

/* The body, with '>' put before each line that starts with "From "
 * when @from_hack. Lines between such places go out in one piece. */
static gboolean
emit_body(const char *body, gsize len, gboolean from_hack, MmRenderSink sink, gpointer user_data,
          GError **error)
{
	gsize start = 0, pos = 0;

	if (!from_hack)
		return emit(sink, user_data, body, len, error);
	while (pos < len) {
		const char *nl;

		if (len - pos >= 5 && memcmp(body + pos, "From ", 5) == 0) {
			if (!emit(sink, user_data, body + start, pos - start, error) ||
			    !emit(sink, user_data, ">", 1, error))
				return FALSE;
			start = pos;
		}
		nl = memchr(body + pos, '\n', len - pos);
		if (nl == NULL)
			break;
		pos = (gsize)(nl - body) + 1;
	}
	return emit(sink, user_data, body + start, len - start, error);
}

gboolean
mm_render(const MmMessage *msg, const MmRenderOptions *opts, MmRenderSink sink, gpointer user_data,
          GError **error)
{
	static const MmRenderOptions defaults = { 0 };
	const char *body = NULL;
	gsize body_len = 0;

	g_return_val_if_fail(msg != NULL && sink != NULL, FALSE);
	if (opts == NULL)
		opts = &defaults;

	if (opts->flags & MM_RENDER_FROM_LINE) {
		g_autofree char *line = mm_render_from_line(msg->return_path, opts->from_time);
		if (!emit_str(sink, user_data, line, error))
			return FALSE;
	}
	if (opts->flags & MM_RENDER_RETURN_PATH) {
		g_autofree char *path = msg->return_path ? mm_address_to_path(msg->return_path)
		                                         : g_strdup("<>");
		g_autofree char *hdr = g_strdup_printf("Return-path: %s\n", path);
		if (!emit_str(sink, user_data, hdr, error))
			return FALSE;
	}
	if (opts->envelope_to != NULL) {
		g_autofree char *path = mm_address_to_path(opts->envelope_to);
		g_autofree char *hdr = g_strdup_printf("Envelope-to: %s\n", path);
		if (!emit_str(sink, user_data, hdr, error))
			return FALSE;
	}
	for (guint i = 0; msg->headers != NULL && i < msg->headers->len; i++) {
		const MmHeader *h = g_ptr_array_index(msg->headers, i);

		if ((opts->flags & MM_RENDER_RETURN_PATH) && h->id == MM_HDR_RETURN_PATH)
			continue;
		if (opts->envelope_to != NULL && h->id == MM_HDR_ENVELOPE_TO)
			continue;
		if (!emit_str(sink, user_data, h->text, error))
			return FALSE;
	}
	if (!emit(sink, user_data, "\n", 1, error))
		return FALSE;

	if (msg->body != NULL)
		body = g_bytes_get_data(msg->body, &body_len);
	if (body_len > 0 &&
	    !emit_body(body, body_len, (opts->flags & MM_RENDER_FROM_HACK) != 0, sink, user_data, error))
		return FALSE;
	if (opts->flags & MM_RENDER_MBOX_END) {
		/* A reader finds the next "From " line only at the start of a
		 * line after an empty one. */
		gboolean ends_in_lf = body_len == 0 || body[body_len - 1] == '\n';
		if (!emit_str(sink, user_data, ends_in_lf ? "\n" : "\n\n", error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
fd_sink(const char *data, gsize len, gpointer user_data, GError **error)
{
	int fd = *(int *)user_data;

	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;
			g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "write failed: %s",
			            g_strerror(e));
			return FALSE;
		}
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

gboolean
mm_render_to_fd(int fd, const MmMessage *msg, const MmRenderOptions *opts, GError **error)
{
	return mm_render(msg, opts, fd_sink, &fd, error);
}

static gboolean
bytes_sink(const char *data, gsize len, gpointer user_data, GError **error)
{
	g_byte_array_append(user_data, (const guint8 *)data, (guint)len);
	return TRUE;
}

GBytes *
mm_render_to_bytes(const MmMessage *msg, const MmRenderOptions *opts)
{
	GByteArray *out = g_byte_array_new();

	mm_render(msg, opts, bytes_sink, out, NULL);
	return g_byte_array_free_to_bytes(out);
}
