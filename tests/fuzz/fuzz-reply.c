/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The SMTP client's reply parser (smtp/reply.h) on what a relay might
 * send: replies read one after the other from a buffer with
 * mm_smtp_reply_parse(), and the same bytes fed line by line to an
 * MmSmtpReplyParser, which the client uses. A reply either parser
 * returns must have a code of 200 to 599 and at least one line, and
 * must print and map to an error.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "smtp/reply.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mm_fuzz_init();
	return 0;
}

static void
check_reply(const MmSmtpReply *reply)
{
	mm_fuzz_check(reply->code >= 200 && reply->code <= 599, "reply code out of range");
	mm_fuzz_check(reply->lines != NULL && reply->lines[0] != NULL, "a reply without lines");
	for (char **l = reply->lines; *l; l++)
		for (const char *p = *l; *p; p++)
			mm_fuzz_check(!g_ascii_iscntrl(*p), "a control character in a reply line");
	g_autofree char *text = mm_smtp_reply_to_string(reply);
	MmSmtpReplyKind kind = mm_smtp_reply_kind(reply->code);
	g_autoptr(GError) error = NULL;
	mm_smtp_reply_set_error(reply, &error, "RCPT TO:<%s>", "u@example.org");
	mm_fuzz_check(error != NULL, "no error set");
	mm_fuzz_check(g_error_matches(error, MM_ERROR, MM_ERROR_FAILED) == (kind == MM_SMTP_REPLY_PERMANENT),
	              "permanent and failed disagree");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	gsize pos = 0;

	while (pos < size) {
		g_autoptr(GError) error = NULL;
		gsize used = 0;
		g_autoptr(MmSmtpReply) reply = mm_smtp_reply_parse(text + pos, size - pos, &used, &error);
		if (reply) {
			check_reply(reply);
			mm_fuzz_check(used > 0 && used <= size - pos, "consumed out of range");
			pos += used;
		} else {
			/* Incomplete or malformed: a client would stop here. */
			break;
		}
	}

	g_autoptr(MmSmtpReplyParser) parser = mm_smtp_reply_parser_new();
	for (pos = 0; pos < size;) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		gsize len = nl ? (gsize)(nl - (text + pos)) : size - pos;
		g_autoptr(GError) error = NULL;
		g_autoptr(MmSmtpReply) reply = mm_smtp_reply_parser_feed(parser, text + pos, len, &error);
		if (reply)
			check_reply(reply);
		pos += len + (nl ? 1 : 0);
	}
	return 0;
}
