/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Drives the SMTP client from the shell for the scenarios of
 * tests/integration/smtpc-*.sh: opens one session, sends each message
 * file (as many times as asked) to the given recipients over it and
 * prints one line per recipient and message:
 *
 *     <message number> <recipient> delivered|deferred|failed <code> <reply>
 *
 * Exit status: 0 when every message was handed to the session, 75 when
 * the session could not be opened (the error on stderr as "open: ..."),
 * 3 when the session broke on the way ("send: ..." on stderr).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/log.h"
#include "smtp/client.h"

static const char *status_names[] = {
	[MM_SMTP_RCPT_DELIVERED] = "delivered",
	[MM_SMTP_RCPT_DEFERRED] = "deferred",
	[MM_SMTP_RCPT_FAILED] = "failed",
};

int
main(int argc, char **argv)
{
	g_autofree char *from = NULL;
	g_auto(GStrv) rcpt_texts = NULL;
	g_autofree char *tls = NULL;
	g_autofree char *auth = NULL;
	g_autofree char *helo = NULL;
	g_autofree char *ca = NULL;
	g_autofree char *cert = NULL;
	g_autofree char *key = NULL;
	g_autofree char *server_name = NULL;
	g_autofree char *login = NULL;
	g_autofree char *secret = NULL;
	gboolean no_verify = FALSE, no_pipelining = FALSE, instant_helo = FALSE;
	gboolean allow_plaintext = FALSE, correct_helo = FALSE, batch = FALSE, no_chunking = FALSE;
	int repeat = 1, timeout = 0, debug = 0;
	GOptionEntry entries[] = {
		{ "from", 0, 0, G_OPTION_ARG_STRING, &from, "return path", "ADDR" },
		{ "rcpt", 0, 0, G_OPTION_ARG_STRING_ARRAY, &rcpt_texts, "recipient", "ADDR" },
		{ "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "send each file N times", "N" },
		{ "tls", 0, 0, G_OPTION_ARG_STRING, &tls, "off|opportunistic|required|smtps", "MODE" },
		{ "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "CA file", "FILE" },
		{ "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "client certificate", "FILE" },
		{ "key", 0, 0, G_OPTION_ARG_FILENAME, &key, "client key", "FILE" },
		{ "server-name", 0, 0, G_OPTION_ARG_STRING, &server_name, "name to verify", "NAME" },
		{ "no-verify", 0, 0, G_OPTION_ARG_NONE, &no_verify, "accept any certificate", NULL },
		{ "auth", 0, 0, G_OPTION_ARG_STRING, &auth, "cram-md5|login|plain", "MECH" },
		{ "login", 0, 0, G_OPTION_ARG_STRING, &login, "AUTH user", "USER" },
		{ "secret", 0, 0, G_OPTION_ARG_STRING, &secret, "AUTH secret", "SECRET" },
		{ "allow-plaintext", 0, 0, G_OPTION_ARG_NONE, &allow_plaintext, "AUTH without TLS", NULL },
		{ "no-pipelining", 0, 0, G_OPTION_ARG_NONE, &no_pipelining, "no PIPELINING", NULL },
		{ "no-chunking", 0, 0, G_OPTION_ARG_NONE, &no_chunking, "no BDAT", NULL },
		{ "batch", 0, 0, G_OPTION_ARG_NONE, &batch, "all messages in one call, pipelined", NULL },
		{ "instant-helo", 0, 0, G_OPTION_ARG_NONE, &instant_helo, "EHLO before the greeting", NULL },
		{ "correct-helo", 0, 0, G_OPTION_ARG_NONE, &correct_helo, "EHLO with our DNS name", NULL },
		{ "helo", 0, 0, G_OPTION_ARG_STRING, &helo, "EHLO name", "NAME" },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "every time limit, seconds", "SECS" },
		{ "debug", 0, 0, G_OPTION_ARG_INT, &debug, "debug level", "N" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("HOST PORT FILE...");
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSmtpClient) client = NULL;
	g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func((GDestroyNotify)mm_recipient_free);
	g_autoptr(MmAddress) return_path = NULL;
	MmSmtpClientOptions opts;
	guint msgno = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc < 4) {
		fprintf(stderr, "usage: %s [options] HOST PORT FILE...\n%s\n", argv[0],
		        error ? error->message : "");
		return 64;
	}
	mm_log_init("smtp-send-tool");
	mm_log_set_debug_level(debug);

	mm_smtp_client_options_init(&opts);
	opts.helo_name = helo ? helo : "client.test.example";
	opts.correct_helo = correct_helo;
	opts.instant_helo = instant_helo;
	opts.pipelining = !no_pipelining;
	opts.chunking = !no_chunking;
	if (tls != NULL && !mm_smtp_tls_mode_from_string(tls, &opts.tls)) {
		fprintf(stderr, "bad --tls %s\n", tls);
		return 64;
	}
	opts.tls_verify = !no_verify;
	opts.tls_ca_file = ca;
	opts.tls_cert_file = cert;
	opts.tls_key_file = key;
	opts.tls_server_name = server_name;
	if (!mm_smtp_auth_mech_from_string(auth, &opts.auth)) {
		fprintf(stderr, "bad --auth %s\n", auth);
		return 64;
	}
	opts.auth_login = login;
	opts.auth_secret = secret;
	opts.auth_allow_plaintext = allow_plaintext;
	opts.timeout_connect = opts.timeout_greeting = opts.timeout_mail = opts.timeout_rcpt =
		opts.timeout_data_init = opts.timeout_data_block = opts.timeout_final = (guint)timeout;

	return_path = mm_address_parse_path(from ? from : "<sender@test.example>", "test.example", TRUE,
	                                    &error);
	if (return_path == NULL) {
		fprintf(stderr, "--from: %s\n", error->message);
		return 64;
	}
	for (char **r = rcpt_texts; r != NULL && *r != NULL; r++) {
		g_autoptr(MmAddress) a = mm_address_parse_path(*r, "test.example", FALSE, &error);

		if (a == NULL) {
			fprintf(stderr, "--rcpt: %s\n", error->message);
			return 64;
		}
		g_ptr_array_add(rcpts, mm_recipient_new(a));
	}

	client = mm_smtp_client_open(argv[1], (guint16)atoi(argv[2]), &opts, &error);
	if (client == NULL) {
		fprintf(stderr, "open: %s\n", error->message);
		return 75;
	}
	printf("# peer %s %s tls=%s\n", mm_smtp_client_peer(client),
	       mm_smtp_client_is_esmtp(client) ? "esmtp" : "smtp",
	       mm_smtp_client_tls_info(client) ? mm_smtp_client_tls_info(client) : "none");
	for (int f = 3; f < argc; f++) {
		g_autofree char *data = NULL;
		gsize len = 0;

		if (!g_file_get_contents(argv[f], &data, &len, &error)) {
			fprintf(stderr, "%s\n", error->message);
			return 66;
		}
		for (int i = 0; i < repeat; i++)
			g_ptr_array_add(bodies, g_bytes_new(data, len));
	}
	/* one call per message, or (--batch) one call for all of them */
	for (guint first = 0; first < bodies->len;) {
		guint n = batch ? bodies->len : 1;
		g_autofree MmSmtpClientMessage *msgs = g_new0(MmSmtpClientMessage, n);
		g_autofree MmSmtpRcptResult *results = g_new0(MmSmtpRcptResult, (gsize)n * rcpts->len);
		gboolean ok;

		for (guint m = 0; m < n; m++)
			msgs[m] = (MmSmtpClientMessage){ return_path, (const MmRecipient *const *)rcpts->pdata,
				                         rcpts->len, bodies->pdata[first + m],
				                         results + (gsize)m * rcpts->len };
		ok = mm_smtp_client_send_many(client, msgs, n, &error);
		for (guint m = 0; m < n; m++) {
			msgno++;
			for (guint r = 0; r < rcpts->len; r++) {
				MmSmtpRcptResult *res = &msgs[m].results[r];
				g_autofree char *addr = mm_address_to_string(((MmRecipient *)rcpts->pdata[r])->address);

				printf("%u %s %s %u %s\n", msgno, addr, status_names[res->status], res->code,
				       res->reply ? res->reply : "");
				mm_smtp_rcpt_result_clear(res);
			}
		}
		if (!ok) {
			fprintf(stderr, "send: %s\n", error->message);
			return 3;
		}
		first += n;
	}
	return 0;
}
