/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * RFC 5322 header fields as masqmail keeps them: the whole field text
 * byte for byte (name, colon, value, folded continuation lines, each
 * line ending in "\n"), and the offsets of name and value in it, so that
 * a field that nobody changes is written out exactly as it came in.
 */
#pragma once

#include <glib.h>

typedef enum {
	MM_HDR_OTHER = 0,
	MM_HDR_FROM,
	MM_HDR_SENDER,
	MM_HDR_TO,
	MM_HDR_CC,
	MM_HDR_BCC,
	MM_HDR_DATE,
	MM_HDR_MESSAGE_ID,
	MM_HDR_REPLY_TO,
	MM_HDR_SUBJECT,
	MM_HDR_RETURN_PATH,
	MM_HDR_ENVELOPE_TO,
	MM_HDR_RECEIVED,
	MM_HDR_MAIL_FOLLOWUP_TO,
	MM_HDR_RESENT_FROM,
	MM_HDR_RESENT_TO,
	MM_HDR_RESENT_CC,
	MM_HDR_RESENT_BCC,
} MmHeaderId;

typedef struct {
	MmHeaderId id;
	char *text;       /* "Name: value\n\tcontinued\n", LF line ends */
	gsize name_len;   /* length of the field name in text */
	gsize value_off;  /* offset of the value (after the colon) in text */
} MmHeader;

/* Makes a header from the text of a whole field ("Name: value", folded
 * lines allowed; CRLF is turned into LF; a missing final LF is added).
 * NULL with MM_ERROR_PARSE when it has no valid field name and colon
 * (RFC 5322 2.2: printable ASCII except colon; white space between
 * name and colon is taken, RFC 5322 4.5), or when a line after the
 * first is no continuation or the text holds a NUL; MM_ERROR_LIMIT when
 * @len is more than MM_HEADER_MAX. */
MmHeader *mm_header_parse(const char *text, gsize len, GError **error);

/* Makes a header "Name: value\n" (value is used as given). */
MmHeader *mm_header_new(const char *name, const char *value);
MmHeader *mm_header_copy(const MmHeader *hdr);
void mm_header_free(MmHeader *hdr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmHeader, mm_header_free)

/* The field name (caller frees). */
char *mm_header_name(const MmHeader *hdr);
/* The value with folding undone and surrounding white space trimmed,
 * as used for parsing (caller frees). */
char *mm_header_value_unfolded(const MmHeader *hdr);

/* Case-insensitive comparison of the field name. */
gboolean mm_header_is(const MmHeader *hdr, const char *name);

/* The id for a field name, MM_HDR_OTHER if none. */
MmHeaderId mm_header_id_for_name(const char *name, gsize len);

/* Splits a header block (everything before the empty line; LF or CRLF
 * line ends) into MmHeader* fields, continuation lines joined to their
 * field. Returns a new GPtrArray (freeing it frees the headers), or NULL
 * with an error for a line that is neither a field nor a continuation
 * (MM_ERROR_PARSE), or more than MM_HEADERS_COUNT_MAX fields or a field
 * longer than MM_HEADER_MAX (MM_ERROR_LIMIT). An empty line ends the
 * block; what follows it is not looked at. */
GPtrArray *mm_header_parse_block(const char *block, gsize len, GError **error);

/* First header with @id in @headers, or NULL. */
MmHeader *mm_header_find(GPtrArray *headers, MmHeaderId id);
