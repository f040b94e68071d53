/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A whole SMTP server session (smtp/session.h) fed arbitrary bytes, not
 * only the command parser: greeting, EHLO, STARTTLS (taken as done),
 * AUTH against a fixed secrets table, transactions, DATA with its dot
 * handling and limits, and the end of the input as a hang-up or an
 * abort.
 *
 * Input: one flags byte, then chunks, each a size byte (0: the rest of
 * the input) followed by that many bytes, fed as one read each, so the
 * fuzzer also explores how lines are split across reads.
 *
 * Each committed message goes through the spool's text form and back
 * (mm_spool_format_envelope(), mm_spool_parse_envelope()) instead of
 * to disk: a message that got its 250 must be readable from the spool,
 * and its text must come out the same the second time.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "base/error.h"
#include "queue/spool.h"
#include "smtp/session.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	FLAG_PEER = 3,         /* two bits: outside, LAN, loopback, local pipe */
	FLAG_AUTH = 1 << 2,    /* AUTH is offered */
	FLAG_TLS = 1 << 3,     /* STARTTLS is offered */
	FLAG_EARLY = 1 << 4,   /* the client talks before the greeting */
	FLAG_TIGHT = 1 << 5,   /* the configuration with small limits */
	FLAG_FAIL = 1 << 6,    /* every other commit fails (disk full) */
	FLAG_ABORT = 1 << 7,   /* the input ends in a time-out, not a hang-up */
};

static const char conf_default[] =
	"host_name = mx.example.org\n"
	"local_hosts = \"localhost;mx.example.org;example.org\"\n";

static const char conf_tight[] =
	"host_name = mx.example.org\n"
	"local_hosts = \"localhost;mx.example.org;example.org\"\n"
	"max_msg_size = 600\n"
	"smtp_max_recipients = 100\n"
	"smtp_max_errors = 4\n"
	"do_save_envelope_to = true\n"
	"do_relay = false\n";

static MmConf *confs[2];
static MmSaslSecrets *secrets;
static guint commits;

static MmConf *
load_conf(const char *text)
{
	g_autoptr(GError) error = NULL;
	MmConf *conf = mm_conf_load_data(text, strlen(text), "fuzz.conf", &error);
	if (!conf)
		g_error("fuzz.conf: %s", error->message);
	return conf;
}

static MmSaslSecrets *
load_secrets(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("fuzz-session-XXXXXX", &error);
	if (!dir)
		g_error("%s", error->message);
	g_autofree char *path = g_build_filename(dir, "secrets", NULL);
	if (!g_file_set_contents(path, "alice:wonderland\nbob:b0b secret\n", -1, &error))
		g_error("%s", error->message);
	g_chmod(path, 0600);
	MmSaslSecrets *s = mm_sasl_secrets_read(path, &error);
	if (!s)
		g_error("%s: %s", path, error->message);
	g_unlink(path);
	g_rmdir(dir);
	return s;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mm_fuzz_init();
	confs[0] = load_conf(conf_default);
	confs[1] = load_conf(conf_tight);
	secrets = load_secrets();
	return 0;
}

static gboolean
commit(const MmMessage *msg, gpointer user_data, GError **error)
{
	guint flags = GPOINTER_TO_UINT(user_data);
	g_autoptr(GError) local = NULL;

	if ((flags & FLAG_FAIL) && commits++ % 2 == 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "disk full (simulated)");
		return FALSE;
	}
	g_autoptr(GBytes) text = mm_spool_format_envelope(msg, &local);
	mm_fuzz_check(text != NULL, "a message the session accepted has no spool form");
	g_autoptr(MmMessage) back = mm_spool_parse_envelope(text, msg->body, "fuzz", &local);
	if (!back)
		g_printerr("%s\n", local->message);
	mm_fuzz_check(back != NULL, "the spool cannot read back what the session committed");
	mm_fuzz_check(back->rcpts->len == msg->rcpts->len, "recipients lost in the spool");
	mm_fuzz_check(mm_address_equal(back->return_path, msg->return_path, FALSE),
	              "return path changed in the spool");
	mm_fuzz_check(back->headers->len == msg->headers->len, "headers lost in the spool");
	g_autoptr(GBytes) again = mm_spool_format_envelope(back, &local);
	mm_fuzz_check(again != NULL && g_bytes_equal(text, again), "spool text not stable");
	return TRUE;
}

static gboolean
drain(MmSmtpSession *s)
{
	g_autoptr(GString) out = mm_smtp_session_take_output(s);
	mm_fuzz_check(out != NULL, "no output string");
	/* Every reply line is "ddd" followed by ' ' or '-' and ends in CRLF. */
	for (const char *p = out->str; *p;) {
		const char *end = strstr(p, "\r\n");
		mm_fuzz_check(end != NULL, "a reply line without CRLF");
		mm_fuzz_check(end - p >= 3 && g_ascii_isdigit(p[0]) && g_ascii_isdigit(p[1]) &&
		                  g_ascii_isdigit(p[2]) && (end - p == 3 || p[3] == ' ' || p[3] == '-'),
		              "a malformed reply line");
		p = end + 2;
	}
	(void)mm_smtp_session_take_delay(s);
	(void)mm_smtp_session_waiting_for(s);
	(void)mm_smtp_session_in_transaction(s);
	if (mm_smtp_session_want_starttls(s))
		mm_smtp_session_tls_started(s, "TLS1.3:ECDHE-X25519:AES-256-GCM");
	return !mm_smtp_session_want_close(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	MmFuzzInput in = { data, size };
	guint flags = mm_fuzz_take_byte(&in);
	static const MmSmtpPeer peers[] = {
		{ .address = "192.0.2.7" },
		{ .address = "192.168.1.5", .may_relay = TRUE },
		{ .address = "127.0.0.1", .loopback = TRUE, .may_relay = TRUE },
		{ .loopback = TRUE, .may_relay = TRUE },
	};
	MmSmtpSessionConfig cfg = {
		.conf = confs[(flags & FLAG_TIGHT) ? 1 : 0],
		.secrets = (flags & FLAG_AUTH) ? secrets : NULL,
		.tls_offered = (flags & FLAG_TLS) != 0,
		.commit = commit,
		.user_data = GUINT_TO_POINTER(flags),
		.id = "fuzz",
	};
	g_autoptr(MmSmtpSession) s = mm_smtp_session_new(&cfg, &peers[flags & FLAG_PEER]);
	gboolean open = TRUE;

	commits = 0;
	if (!(flags & FLAG_EARLY)) {
		mm_smtp_session_greet(s);
		open = drain(s);
	}
	while (open && in.len > 0) {
		size_t want = mm_fuzz_take_byte(&in), got;
		const char *chunk = mm_fuzz_take(&in, want ? want : in.len, &got);
		mm_smtp_session_feed(s, chunk, got);
		open = drain(s);
		if ((flags & FLAG_EARLY) && open) {
			mm_smtp_session_greet(s);
			open = drain(s);
			flags &= ~FLAG_EARLY;
		}
	}
	if (open) {
		if (flags & FLAG_ABORT)
			mm_smtp_session_abort(s, "4.4.2", "timeout");
		else
			mm_smtp_session_eof(s);
		drain(s);
	}
	return 0;
}
