/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A message as local delivery writes it: an optional mbox "From " line,
 * Return-path: and Envelope-to: (RFC 5321 4.4, added at final delivery),
 * the header fields byte for byte, an empty line, the body with
 * optional ">From " quoting, and for mbox the empty line that ends the
 * message.
 *
 * The quoting is mboxo, as masqmail 1.0 writes it: a body line that
 * starts with "From " gets a '>' in front; lines that already start
 * with ">From " are left alone (mboxrd would add another '>').
 */
#pragma once

#include <glib.h>

#include "msg/address.h"
#include "msg/message.h"

typedef enum {
	MM_RENDER_FROM_LINE = 1 << 0,   /* "From <return-path> <asctime date>" first */
	MM_RENDER_FROM_HACK = 1 << 1,   /* ">From " quoting of the body (mboxo) */
	MM_RENDER_RETURN_PATH = 1 << 2, /* a Return-path: header first */
	MM_RENDER_MBOX_END = 1 << 3,    /* body ends with LF, then an empty line */
} MmRenderFlags;

/* What mbox delivery writes. */
#define MM_RENDER_MBOX (MM_RENDER_FROM_LINE | MM_RENDER_FROM_HACK | MM_RENDER_RETURN_PATH | MM_RENDER_MBOX_END)

typedef struct {
	MmRenderFlags flags;
	/* NULL, or the recipient as the envelope named it: an
	 * "Envelope-to: <address>" header as masqmail 1.0 adds it */
	const MmAddress *envelope_to;
	/* the date of the From line in epoch seconds; 0 for now */
	gint64 from_time;
} MmRenderOptions;

/* Receives the rendered message piece by piece. FALSE with @error set
 * stops the rendering. */
typedef gboolean (*MmRenderSink)(const char *data, gsize len, gpointer user_data, GError **error);

/* Feeds @msg (whose body must be loaded) to @sink. When Return-path:
 * or Envelope-to: is added, the message's own fields of that name are
 * left out: only the delivering MTA may say what they hold. Returns
 * what the sink returned. */
gboolean mm_render(const MmMessage *msg, const MmRenderOptions *opts, MmRenderSink sink,
                   gpointer user_data, GError **error);

/* mm_render() into the descriptor @fd, every byte written or
 * MM_ERROR_TEMPORARY (the errno is in the message: ENOSPC, EFBIG...). */
gboolean mm_render_to_fd(int fd, const MmMessage *msg, const MmRenderOptions *opts, GError **error);

/* mm_render() into memory. Returns a new GBytes. */
GBytes *mm_render_to_bytes(const MmMessage *msg, const MmRenderOptions *opts);

/* The mbox separator line, "From sender Www Mmm dd hh:mm:ss yyyy\n",
 * in local time with English names as asctime(3) writes them. The null
 * return path is written MAILER-DAEMON; white space and control
 * characters of a (quoted) local part become '_' so that readers still
 * find the date. Caller frees. */
char *mm_render_from_line(const MmAddress *return_path, gint64 when);
