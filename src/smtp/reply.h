/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * SMTP replies as a client reads them (RFC 5321 4.2): the parser, with
 * the limits of limits.h, and the one place that decides what a reply
 * code means for delivery: 2xx done, 3xx go on, 4xx try again later,
 * 5xx give up. Everything that is not a well-formed 5xx (a malformed
 * reply, an unknown code, a lost connection) is temporary.
 *
 * This file does no I/O: the client hands it lines.
 */
#pragma once

#include <glib.h>

typedef struct {
	guint code;      /* 200..599 */
	char *enhanced;  /* RFC 3463 "x.y.z" of the first line, or NULL */
	char **lines;    /* the text of each line after the code and the
	                  * separator, control characters replaced by '?';
	                  * NULL-terminated, at least one (maybe "") */
} MmSmtpReply;

void mm_smtp_reply_free(MmSmtpReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmSmtpReply, mm_smtp_reply_free)

/* "550 5.1.1 no such user", the lines joined with " / ", for logs and
 * bounces. Caller frees. */
char *mm_smtp_reply_to_string(const MmSmtpReply *reply);

typedef enum {
	MM_SMTP_REPLY_POSITIVE,     /* 2xx */
	MM_SMTP_REPLY_INTERMEDIATE, /* 3xx: 354 after DATA, 334 during AUTH */
	MM_SMTP_REPLY_TEMPORARY,    /* 4xx, and anything that is not 2xx, 3xx or 5xx */
	MM_SMTP_REPLY_PERMANENT,    /* 5xx */
} MmSmtpReplyKind;

/* THE mapping of reply codes to what they mean. */
MmSmtpReplyKind mm_smtp_reply_kind(guint code);

/* Sets @error from @reply: MM_ERROR_FAILED for a permanent reply,
 * MM_ERROR_TEMPORARY for every other one. The message is "<what>: <reply
 * as by mm_smtp_reply_to_string()>". */
void mm_smtp_reply_set_error(const MmSmtpReply *reply, GError **error,
                             const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Collects the lines of one reply. */
typedef struct MmSmtpReplyParser MmSmtpReplyParser;

MmSmtpReplyParser *mm_smtp_reply_parser_new(void);
void mm_smtp_reply_parser_free(MmSmtpReplyParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmSmtpReplyParser, mm_smtp_reply_parser_free)

/* Feeds one line of @len bytes, without its line end (the CR of a CRLF
 * may still be there and is dropped). Returns the complete reply
 * (caller frees) after its last line, and the parser is ready for the
 * next reply. Returns NULL with @error unset when more lines are
 * needed, and NULL with @error set when the reply is malformed (no
 * three-digit code 2xx to 5xx, a bad separator, lines with different
 * codes; MM_ERROR_PARSE), or longer than MM_SMTP_REPLY_LINE_MAX
 * octets with the CRLF or than MM_SMTP_REPLY_LINES_MAX lines
 * (MM_ERROR_LIMIT). After an error the parser starts over. */
MmSmtpReply *mm_smtp_reply_parser_feed(MmSmtpReplyParser *parser, const char *line, gsize len,
                                       GError **error);

/* Parses one reply at the start of @text (lines ended by CRLF or LF).
 * *@consumed (may be NULL) is set to the bytes used. Returns NULL with
 * @error unset when @text ends before the reply does, NULL with @error
 * set as for mm_smtp_reply_parser_feed(), which includes a line of
 * more than MM_SMTP_REPLY_LINE_MAX octets without its end. */
MmSmtpReply *mm_smtp_reply_parse(const char *text, gsize len, gsize *consumed, GError **error);
