/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * deliver-tool: drives local delivery from the shell, for the
 * integration scenarios that need real users and root.
 *
 *   deliver-tool mbox|maildir|mda [--user UID:GID] [--from ADDR]
 *                [--rcpt ADDR] [--mda COMMAND] [--timeout SECS] TARGET < MESSAGE
 *
 * TARGET is the mailbox file, the maildir, or (mda) ignored. MESSAGE is
 * a header block, an empty line and the body. Exit status as sendmail's:
 * 0 delivered, 75 (EX_TEMPFAIL) deferred, 69 (EX_UNAVAILABLE) failed,
 * 64 (EX_USAGE) bad arguments; the reason goes to stderr.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "deliver/maildir.h"
#include "deliver/mbox.h"
#include "deliver/pipe.h"
#include "msg/address.h"
#include "msg/header.h"
#include "msg/message.h"

/* more than any test message needs */
#define TOOL_INPUT_MAX (16 * 1024 * 1024)

static MmMessage *
read_message(const char *from, GError **error)
{
	g_autoptr(MmMessage) msg = mm_message_new();
	g_autoptr(GString) in = g_string_new(NULL);
	char buf[4096];
	size_t n;
	const char *split;
	gsize head_len;

	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
		g_string_append_len(in, buf, n);
		if (in->len > TOOL_INPUT_MAX) {
			g_set_error(error, MM_ERROR, MM_ERROR_LIMIT, "message too long");
			return NULL;
		}
	}
	split = strstr(in->str, "\n\n");
	head_len = split ? (gsize)(split - in->str) + 1 : in->len;
	g_ptr_array_unref(msg->headers);
	msg->headers = mm_header_parse_block(in->str, head_len, error);
	if (msg->headers == NULL)
		return NULL;
	msg->body = split ? g_bytes_new(split + 2, in->len - head_len - 1) : g_bytes_new(NULL, 0);
	msg->uid = g_strdup("tool-00");
	msg->return_path = mm_address_parse_path(from, "localhost", TRUE, error);
	if (msg->return_path == NULL)
		return NULL;
	return g_steal_pointer(&msg);
}

int
main(int argc, char **argv)
{
	g_autofree char *user = NULL, *from = NULL, *rcpt_text = NULL, *mda = NULL;
	int timeout = 0;
	GOptionEntry entries[] = {
		{ "user", 0, 0, G_OPTION_ARG_STRING, &user, "deliver as UID:GID", "UID:GID" },
		{ "from", 0, 0, G_OPTION_ARG_STRING, &from, "return path", "ADDR" },
		{ "rcpt", 0, 0, G_OPTION_ARG_STRING, &rcpt_text, "recipient", "ADDR" },
		{ "mda", 0, 0, G_OPTION_ARG_STRING, &mda, "MDA command", "COMMAND" },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "MDA time limit", "SECS" },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("mbox|maildir|mda TARGET");
	g_autoptr(GError) error = NULL;
	g_autoptr(MmMessage) msg = NULL;
	g_autoptr(MmAddress) rcpt = NULL;
	MmRunAs who = { 0 };
	gboolean ok = FALSE;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 3) {
		fprintf(stderr, "deliver-tool: %s\n", error ? error->message : "usage: mode target");
		return EX_USAGE;
	}
	if (user != NULL) {
		unsigned uid, gid;
		if (sscanf(user, "%u:%u", &uid, &gid) != 2) {
			fprintf(stderr, "deliver-tool: bad --user %s\n", user);
			return EX_USAGE;
		}
		who.uid = uid;
		who.gid = gid;
	}
	msg = read_message(from ? from : "sender@example.net", &error);
	if (msg == NULL) {
		fprintf(stderr, "deliver-tool: %s\n", error->message);
		return EX_DATAERR;
	}
	rcpt = mm_address_parse_path(rcpt_text ? rcpt_text : "rcpt@localhost", "localhost", FALSE,
	                             &error);
	if (rcpt == NULL) {
		fprintf(stderr, "deliver-tool: %s\n", error->message);
		return EX_USAGE;
	}

	if (strcmp(argv[1], "mbox") == 0) {
		MmMboxOptions opts = { .envelope_to = rcpt };
		ok = mm_mbox_deliver_as(user ? &who : NULL, argv[2], msg, &opts, &error);
	} else if (strcmp(argv[1], "maildir") == 0) {
		ok = mm_maildir_deliver_as(user ? &who : NULL, argv[2], msg, rcpt, &error);
	} else if (strcmp(argv[1], "mda") == 0 && mda != NULL) {
		MmPipeContext pctx = { .msg = msg, .rcpt = rcpt, .qualify_domain = "localhost" };
		MmPipeOptions popts = {
			.render = { .flags = MM_RENDER_RETURN_PATH, .envelope_to = rcpt },
			.expand = TRUE,
			.timeout_secs = (guint)timeout,
			.run_as = user ? &who : NULL,
		};
		ok = mm_pipe_deliver(mda, &pctx, &popts, &error);
	} else {
		fprintf(stderr, "deliver-tool: unknown mode %s\n", argv[1]);
		return EX_USAGE;
	}
	if (ok)
		return 0;
	fprintf(stderr, "deliver-tool: %s\n", error->message);
	return mm_error_is_temporary(error) ? EX_TEMPFAIL : EX_UNAVAILABLE;
}
