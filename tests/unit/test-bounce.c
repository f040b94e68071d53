/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of deliver/template.c and deliver/bounce.c: the template
 * language of errmsg_file and warnmsg_file (variables and @-lists as
 * masqmail 1.0 reads them), the exact text of the default notices, the
 * RFC 3464 structure of the notices as an independent MIME parser
 * (Python's email package) sees it, no notice about a notice, templates
 * that cannot be read, and the timing of warnings and failures.
 *
 * Set MM_WRITE_FIXTURES=1 to rewrite the .txt files of tests/fixtures/bounce from
 * what the code makes now (then read the diff before committing it).
 */
#include "config.h"

#include "testlib.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/error.h"
#include "base/limits.h"
#include "deliver/bounce.h"
#include "deliver/expand.h"
#include "deliver/render.h"
#include "deliver/template.h"
#include "queue/accept.h"
#include "queue/spool.h"

#define FIXTURES MM_TEST_SRCDIR "/tests/fixtures/bounce"
#define FAILMSG MM_TEST_SRCDIR "/conf/tpl/failmsg.tpl"
#define WARNMSG MM_TEST_SRCDIR "/conf/tpl/warnmsg.tpl"
#define PYTHON "/usr/bin/python3"

#define HOUR G_GINT64_CONSTANT(3600)
#define DAY (24 * HOUR)
/* Tue, 14 Nov 2023 22:13:20 +0000 */
#define TR G_GINT64_CONSTANT(1700000000)

#define ORIGINAL_HEADERS \
	"Received: from client.example.net\n\tby mx.example.org with esmtp; Tue, 14 Nov 2023 22:13:20 +0000\n" \
	"From: Sender <sender@example.net>\n" \
	"To: bob@example.org, carol@example.com\n" \
	"Subject: Quarterly figures\n" \
	"Date: Tue, 14 Nov 2023 23:13:19 +0100\n" \
	"Message-ID: <q3@example.net>\n"
#define ORIGINAL_BODY "Hello,\n\nthe figures are attached.\n-- \nSender\n"

static MmConf *
test_conf(void)
{
	static const char text[] = "host_name = mx.example.org\n";
	g_autoptr(GError) error = NULL;
	MmConf *conf = mm_conf_load_data(text, strlen(text), "test.conf", &error);

	g_assert_no_error(error);
	g_free(conf->errmsg_file);
	conf->errmsg_file = g_strdup(FAILMSG);
	g_free(conf->warnmsg_file);
	conf->warnmsg_file = g_strdup(WARNMSG);
	return conf;
}

/* The message the notices are about: 1.0's spool fields, two header
 * lines folded, a plain body. */
static MmMessage *
test_message(const char *return_path, const char *body)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strconcat(ORIGINAL_HEADERS "\n", body, NULL);
	MmMessage *msg = mm_message_new();

	msg->uid = g_strdup("1rAbCd-0001xY-Q7");
	msg->return_path = mm_address_parse_path(return_path, NULL, TRUE, &error);
	g_assert_no_error(error);
	msg->received_host = g_strdup("client.example.net");
	msg->protocol = g_strdup("esmtp");
	msg->received_time = TR;
	g_assert_true(mm_accept_parse_text(msg, text, strlen(text), &error));
	g_assert_no_error(error);
	return msg;
}

typedef struct {
	MmRecipient *bob, *carol, *pipe;
	MmBounceRcpt failed[3];
	MmBounceRcpt delayed[1];
} Rcpts;

static void
rcpts_init(Rcpts *r)
{
	g_autoptr(MmAddress) bob = mm_address_new("bob", "example.org", NULL);
	g_autoptr(MmAddress) carol = mm_address_new("carol", "example.com", NULL);

	r->bob = mm_recipient_new(bob);
	r->carol = mm_recipient_new(carol);
	r->pipe = mm_recipient_new_pipe("|/usr/local/bin/filter --strict");
	r->failed[0] = (MmBounceRcpt){ .rcpt = r->bob, .reason = "no such local user" };
	r->failed[1] = (MmBounceRcpt){
		.rcpt = r->carol,
		.remote_reply = "550-5.1.1 The account you tried to reach does not exist.\n"
		                "550 5.1.1 Check the address for typing errors.",
		.remote_mta = "mx.example.com",
	};
	r->failed[2] = (MmBounceRcpt){ .rcpt = r->pipe, .reason = "command exited with status 1",
		                       .status = "5.3.0" };
	r->delayed[0] = (MmBounceRcpt){
		.rcpt = r->carol,
		.reason = "connection timed out",
		.remote_reply = "421 4.4.2 mx.example.com closing: idle too long",
		.remote_mta = "mx.example.com",
	};
}

static void
rcpts_clear(Rcpts *r)
{
	mm_recipient_free(r->bob);
	mm_recipient_free(r->carol);
	mm_recipient_free(r->pipe);
}

static char *
read_text(const char *path)
{
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	g_file_get_contents(path, &text, NULL, &error);
	g_assert_no_error(error);
	return text;
}

/* ---- the template language ---- */

static gboolean
list_two_lines(GString *out, gpointer user_data, GError **error)
{
	(void)error;
	g_string_append_printf(out, "[%s 1]\n[%s 2]\n", (const char *)user_data,
	                       (const char *)user_data);
	return TRUE;
}

static gboolean
list_failing(GString *out, gpointer user_data, GError **error)
{
	(void)out;
	(void)user_data;
	g_set_error_literal(error, MM_ERROR, MM_ERROR_TEMPORARY, "list failed");
	return FALSE;
}

typedef struct {
	const char *label, *text, *expected;
} TemplateCase;

static const TemplateCase template_cases[] = {
	{ "plain", "no variables\n", "no variables\n" },
	{ "braces", "To: ${return_path}\n", "To: sender@example.net\n" },
	{ "bare-names", "$return_path_local at $return_path_domain.\n", "sender at example.net.\n" },
	{ "message-vars", "${uid} ${received_host} [${ident}]\n", "1rAbCd-0001xY-Q7 client.example.net []\n" },
	{ "conf-vars", "${host_name} ${package}\n", "mx.example.org " PACKAGE "\n" },
	{ "unknown-variable-is-empty", "a${no_such_var}b $nosuch.\n", "ab .\n" },
	{ "rcpt-vars-are-unknown", "[${rcpt}]\n", "[]\n" },
	{ "backslash", "\\${host_name} \\\\\n", "${host_name} \\\n" },
	{ "lone-dollar", "costs $ 5\n", "costs $ 5\n" },
	{ "list", "a\n@one\nb\n", "a\n[one 1]\n[one 2]\nb\n" },
	{ "list-rest-of-line-ignored", "@one and more ${host_name}\n", "[one 1]\n[one 2]\n" },
	{ "list-prefix-as-1.0", "@onesie\n", "[one 1]\n[one 2]\n" },
	{ "list-order-first-wins", "@two\n", "[two 1]\n[two 2]\n" },
	{ "unknown-list-dropped", "a\n@nosuch ${host_name}\nb\n", "a\nb\n" },
	{ "at-not-at-start", " @one\nx@one\n", " @one\nx@one\n" },
	{ "lone-at", "@\n", "" },
	{ "last-line-without-newline", "a\n${host_name}", "a\nmx.example.org" },
	{ "list-on-last-line", "@one", "[one 1]\n[one 2]\n" },
	{ "empty", "", "" },
	{ "crlf-kept", "a\r\n@one\r\n", "a\r\n[one 1]\n[one 2]\n" },
	{ "empty-lines", "\n\n", "\n\n" },
};

static void
test_template(gconstpointer data)
{
	const TemplateCase *c = data;
	g_autoptr(MmMessage) msg = test_message("<sender@example.net>", ORIGINAL_BODY);
	g_autoptr(GHashTable) vars = mm_expand_vars_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	const MmTemplateList lists[] = {
		{ "@one", list_two_lines, (gpointer) "one" },
		{ "@two", list_two_lines, (gpointer) "two" },
		{ "@tw", list_two_lines, (gpointer) "tw" },
	};

	mm_expand_vars_add_message(vars, msg);
	mm_expand_vars_add_conf(vars, "mx.example.org");
	out = mm_template_expand(c->text, strlen(c->text), "t.tpl", vars, lists, G_N_ELEMENTS(lists),
	                         &error);
	g_assert_no_error(error);
	g_assert_cmpstr(out, ==, c->expected);
}

typedef struct {
	const char *label;
	const char *text;
	gsize len; /* 0: strlen */
	int code;
	const char *message;
} TemplateErrorCase;

static const TemplateErrorCase template_error_cases[] = {
	{ "unterminated-brace", "ok\nTo: ${return_path\n", 0, MM_ERROR_CONFIG, "t.tpl:2: " },
	{ "nul-byte", "a\0b\n", 4, MM_ERROR_CONFIG, "t.tpl: the template holds a NUL byte" },
	{ "list-error-passed-on", "a\n@fail\n", 0, MM_ERROR_TEMPORARY, "list failed" },
};

static void
test_template_error(gconstpointer data)
{
	const TemplateErrorCase *c = data;
	g_autoptr(GHashTable) vars = mm_expand_vars_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	const MmTemplateList lists[] = { { "@fail", list_failing, NULL } };

	out = mm_template_expand(c->text, c->len ? c->len : strlen(c->text), "t.tpl", vars, lists,
	                         G_N_ELEMENTS(lists), &error);
	g_assert_null(out);
	g_assert_error(error, MM_ERROR, c->code);
	g_assert_true(g_str_has_prefix(error->message, c->message));
}

static void
test_template_line_limit(void)
{
	g_autoptr(GHashTable) vars = mm_expand_vars_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *big = g_strnfill(MM_EXPAND_RESULT_MAX / 2 + 1, 'x');
	g_autofree char *text = NULL;
	g_autofree char *out = NULL;

	g_hash_table_replace(vars, g_strdup("big"), g_strdup(big));
	/* at the limit of one line's expansion, then one byte over */
	text = g_strnfill(MM_EXPAND_RESULT_MAX - 1, 'y');
	{
		g_autofree char *line = g_strconcat(text, "\n", NULL);
		out = mm_template_expand(line, strlen(line), "t.tpl", vars, NULL, 0, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(strlen(out), ==, MM_EXPAND_RESULT_MAX);
	}
	g_clear_pointer(&out, g_free);
	out = mm_template_expand("${big}${big}\n", 13, "t.tpl", vars, NULL, 0, &error);
	g_assert_null(out);
	g_assert_error(error, MM_ERROR, MM_ERROR_CONFIG);
	g_assert_true(g_str_has_prefix(error->message, "t.tpl:1: "));
}

/* ---- the lists of a notice ---- */

typedef struct {
	const char *label;
	MmBounceKind kind;
	const char *text;
	const char *expected;
} ListCase;

static const ListCase list_cases[] = {
	{ "failed-rcpts", MM_BOUNCE_FAILURE, "@failed_rcpts\n",
	  "\tbob@example.org\n"
	  "\t    no such local user\n"
	  "\tcarol@example.com\n"
	  "\t    550-5.1.1 The account you tried to reach does not exist.\n"
	  "\t    550 5.1.1 Check the address for typing errors.\n"
	  "\t|/usr/local/bin/filter --strict\n"
	  "\t    command exited with status 1\n" },
	{ "failed-rcpts-reason-and-reply", MM_BOUNCE_WARNING, "@failed_rcpts\n",
	  "\tcarol@example.com\n"
	  "\t    connection timed out\n"
	  "\t    mx.example.com said:\n"
	  "\t        421 4.4.2 mx.example.com closing: idle too long\n" },
	{ "msg-headers", MM_BOUNCE_FAILURE, "@msg_headers\n", ORIGINAL_HEADERS },
	{ "msg-body", MM_BOUNCE_FAILURE, "@msg_body\n", ORIGINAL_BODY },
	{ "err-msg", MM_BOUNCE_FAILURE, "${err_msg}\n",
	  "no such local user\n"
	  "550-5.1.1 The account you tried to reach does not exist.\n"
	  "550 5.1.1 Check the address for typing errors.\n"
	  "command exited with status 1\n" },
	{ "boundary", MM_BOUNCE_FAILURE, "${boundary}\n", "1rAbCd-0001xY-Q7/mx.example.org\n" },
	{ "returned-type", MM_BOUNCE_FAILURE, "${returned_type}\n", "message/rfc822\n" },
	{ "delivery-status-failed", MM_BOUNCE_FAILURE, "@delivery_status\n",
	  "Reporting-MTA: dns; mx.example.org\n"
	  "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
	  "\n"
	  "Final-Recipient: rfc822; bob@example.org\n"
	  "Action: failed\n"
	  "Status: 5.0.0\n"
	  "\n"
	  "Final-Recipient: rfc822; carol@example.com\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n"
	  "Remote-MTA: dns; mx.example.com\n"
	  "Diagnostic-Code: smtp; 550-5.1.1 The account you tried to reach does not exist.\n"
	  " 550 5.1.1 Check the address for typing errors.\n"
	  "\n"
	  "Final-Recipient: x-pipe; |/usr/local/bin/filter --strict\n"
	  "Action: failed\n"
	  "Status: 5.3.0\n" },
	{ "delivery-status-delayed", MM_BOUNCE_WARNING, "@delivery_status\n",
	  "Reporting-MTA: dns; mx.example.org\n"
	  "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
	  "\n"
	  "Final-Recipient: rfc822; carol@example.com\n"
	  "Action: delayed\n"
	  "Status: 4.4.2\n"
	  "Remote-MTA: dns; mx.example.com\n"
	  "Diagnostic-Code: smtp; 421 4.4.2 mx.example.com closing: idle too long\n"
	  "Will-Retry-Until: Sat, 18 Nov 2023 22:13:20 +0000\n" },
};

static void
test_list(gconstpointer data)
{
	const ListCase *c = data;
	g_autoptr(MmConf) conf = test_conf();
	g_autoptr(MmMessage) msg = test_message("<sender@example.net>", ORIGINAL_BODY);
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	Rcpts r;

	rcpts_init(&r);
	msg->body = g_bytes_new_static(ORIGINAL_BODY, strlen(ORIGINAL_BODY));
	if (c->kind == MM_BOUNCE_FAILURE)
		out = mm_bounce_expand(conf, c->kind, c->text, strlen(c->text), "t.tpl", msg, r.failed,
		                       G_N_ELEMENTS(r.failed), &error);
	else
		out = mm_bounce_expand(conf, c->kind, c->text, strlen(c->text), "t.tpl", msg, r.delayed,
		                       G_N_ELEMENTS(r.delayed), &error);
	g_assert_no_error(error);
	g_assert_cmpstr(out, ==, c->expected);
	rcpts_clear(&r);
}

/* What comes from a relay cannot add lines of its own to a notice. */
static void
test_list_hostile_reply(void)
{
	g_autoptr(MmConf) conf = test_conf();
	g_autoptr(MmMessage) msg = test_message("<sender@example.net>", ORIGINAL_BODY);
	g_autoptr(MmAddress) a = mm_address_new("dave", "example.com", NULL);
	g_autoptr(MmRecipient) rcpt = mm_recipient_new(a);
	g_autoptr(GError) error = NULL;
	static const char tpl[] = "@delivery_status\n@failed_rcpts\n";
	MmBounceRcpt br = {
		.rcpt = rcpt,
		.remote_reply = "550 5.7.1 no\r\nX-Injected: yes\r\n\r\n--1rAbCd\x01\xff",
		.remote_mta = "evil\nX-Also: injected",
	};
	g_autofree char *out =
		mm_bounce_expand(conf, MM_BOUNCE_FAILURE, tpl, strlen(tpl), "t.tpl", msg, &br, 1, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(out, ==,
	                "Reporting-MTA: dns; mx.example.org\n"
	                "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
	                "\n"
	                "Final-Recipient: rfc822; dave@example.com\n"
	                "Action: failed\n"
	                "Status: 5.7.1\n"
	                "Remote-MTA: dns; evil?X-Also: injected\n"
	                "Diagnostic-Code: smtp; 550 5.7.1 no\n"
	                " X-Injected: yes\n"
	                " \n"
	                " --1rAbCd??\n"
	                "\tdave@example.com\n"
	                "\t    550 5.7.1 no\n"
	                "\t    X-Injected: yes\n"
	                "\t    \n"
	                "\t    --1rAbCd??\n");
}

/* ---- status codes ---- */

typedef struct {
	const char *label;
	MmBounceKind kind;
	const char *status, *reply;
	const char *expected;
} StatusCase;

static const StatusCase status_cases[] = {
	{ "local-failure", MM_BOUNCE_FAILURE, NULL, NULL, "5.0.0" },
	{ "local-delay", MM_BOUNCE_WARNING, NULL, NULL, "4.0.0" },
	{ "explicit", MM_BOUNCE_FAILURE, "5.1.1", "550 5.2.2 full", "5.1.1" },
	{ "explicit-three-digits", MM_BOUNCE_FAILURE, "5.123.456", NULL, "5.123.456" },
	{ "explicit-malformed", MM_BOUNCE_FAILURE, "5.1", "550 5.2.2 full", "5.2.2" },
	{ "explicit-bad-class", MM_BOUNCE_FAILURE, "3.1.1", NULL, "5.0.0" },
	{ "explicit-four-digits", MM_BOUNCE_FAILURE, "5.1234.1", NULL, "5.0.0" },
	{ "explicit-trailing", MM_BOUNCE_FAILURE, "5.1.1 x", NULL, "5.0.0" },
	{ "reply-enhanced", MM_BOUNCE_FAILURE, NULL, "550 5.1.1 no such user", "5.1.1" },
	{ "reply-continuation", MM_BOUNCE_FAILURE, NULL, "550-5.7.1 policy\n550 5.7.1 more", "5.7.1" },
	{ "reply-basic-only", MM_BOUNCE_FAILURE, NULL, "554 go away", "5.0.0" },
	{ "reply-temporary-given-up", MM_BOUNCE_FAILURE, NULL, "451 4.4.1 try later", "5.4.1" },
	{ "reply-delay", MM_BOUNCE_WARNING, NULL, "452 4.2.2 mailbox full", "4.2.2" },
	{ "reply-permanent-in-warning", MM_BOUNCE_WARNING, NULL, "550 5.1.1 no", "4.1.1" },
	{ "reply-code-too-long", MM_BOUNCE_FAILURE, NULL, "550 5.1.1.1 odd", "5.0.0" },
	{ "reply-no-code", MM_BOUNCE_FAILURE, NULL, "connection refused", "5.0.0" },
	{ "reply-empty", MM_BOUNCE_FAILURE, NULL, "", "5.0.0" },
};

static void
test_status(gconstpointer data)
{
	const StatusCase *c = data;
	MmBounceRcpt r = { .status = c->status, .remote_reply = c->reply };
	g_autofree char *status = mm_bounce_status(c->kind, &r);

	g_assert_cmpstr(status, ==, c->expected);
}

/* ---- the default templates and a 1.0 one, to the byte ---- */

static char *
replace_all(const char *text, const char *from, const char *to)
{
	g_auto(GStrv) pieces = g_strsplit(text, from, -1);

	return g_strjoinv(to, pieces);
}

/* The fixtures say @VERSION@ so that they need no change with each
 * release. */
static char *
read_fixture(const char *path)
{
	g_autofree char *text = read_text(path);

	return replace_all(text, "@VERSION@", VERSION);
}

typedef struct {
	const char *label;
	MmBounceKind kind;
	const char *template_path;
	const char *fixture;
} FixtureCase;

static const FixtureCase fixture_cases[] = {
	{ "failure-default", MM_BOUNCE_FAILURE, FAILMSG, FIXTURES "/failure-default.txt" },
	{ "warning-default", MM_BOUNCE_WARNING, WARNMSG, FIXTURES "/warning-default.txt" },
	{ "failure-1.0", MM_BOUNCE_FAILURE, FIXTURES "/failure-1.0.tpl", FIXTURES "/failure-1.0.txt" },
};

static void
test_fixture(gconstpointer data)
{
	const FixtureCase *c = data;
	g_autoptr(MmConf) conf = test_conf();
	g_autoptr(MmMessage) msg = test_message("<sender@example.net>", ORIGINAL_BODY);
	g_autoptr(GError) error = NULL;
	g_autofree char *tpl = read_text(c->template_path);
	g_autofree char *out = NULL;
	g_autofree char *expected = NULL;
	Rcpts r;

	rcpts_init(&r);
	msg->body = g_bytes_new_static(ORIGINAL_BODY, strlen(ORIGINAL_BODY));
	out = mm_bounce_expand(conf, c->kind, tpl, strlen(tpl), c->template_path, msg,
	                       c->kind == MM_BOUNCE_FAILURE ? r.failed : r.delayed,
	                       c->kind == MM_BOUNCE_FAILURE ? G_N_ELEMENTS(r.failed)
	                                                    : G_N_ELEMENTS(r.delayed),
	                       &error);
	g_assert_no_error(error);
	rcpts_clear(&r);

	if (g_getenv("MM_WRITE_FIXTURES") != NULL) {
		g_autofree char *text = replace_all(out, VERSION, "@VERSION@");
		g_file_set_contents(c->fixture, text, -1, &error);
		g_assert_no_error(error);
	}
	expected = read_fixture(c->fixture);
	g_assert_cmpstr(out, ==, expected);
}

/* ---- whole notices, read back by a MIME parser ---- */

typedef struct {
	char *dir;
	MmConf *conf;
	Rcpts r;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	(void)data;
	f->dir = g_dir_make_tmp("test-bounce-XXXXXX", &error);
	g_assert_no_error(error);
	f->conf = test_conf();
	g_free(f->conf->spool_dir);
	f->conf->spool_dir = g_build_filename(f->dir, "spool", NULL);
	g_assert_cmpint(g_mkdir(f->conf->spool_dir, 0700), ==, 0);
	rcpts_init(&f->r);
}


static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	(void)data;
	rcpts_clear(&f->r);
	mm_test_remove_tree(f->dir);
	g_free(f->dir);
	mm_conf_free(f->conf);
}

/* The summary check-dsn.py prints for @notice. */
static char *
parse_with_python(const Fixture *f, const MmMessage *notice)
{
	g_autoptr(GError) error = NULL;
	MmRenderOptions opts = { 0 };
	g_autoptr(GBytes) bytes = mm_render_to_bytes(notice, &opts);
	g_autofree char *path = g_build_filename(f->dir, "notice.eml", NULL);
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	const char *argv[] = { PYTHON, FIXTURES "/check-dsn.py", path, NULL };
	int status = 0;

	g_file_set_contents(path, g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes), &error);
	g_assert_no_error(error);
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
	             &error);
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("check-dsn.py failed: %s", err);
	return g_steal_pointer(&out);
}

static gboolean
have_python(void)
{
	if (g_file_test(PYTHON, G_FILE_TEST_IS_EXECUTABLE))
		return TRUE;
	g_test_skip(PYTHON " is needed to parse the notices");
	return FALSE;
}

/* The envelope and the fields accept.c adds, common to every notice. */
static void
assert_notice_envelope(const MmMessage *notice, const MmMessage *msg)
{
	MmRecipient *to;

	g_assert_nonnull(notice->uid);
	g_assert_cmpstr(notice->uid, !=, msg->uid);
	g_assert_true(mm_address_is_null(notice->return_path));
	g_assert_true(mm_bounce_is_bounce(notice));
	g_assert_cmpuint(notice->rcpts->len, ==, 1);
	to = notice->rcpts->pdata[0];
	g_assert_nonnull(to->address);
	g_assert_true(mm_address_equal(to->address, msg->return_path, FALSE));
	g_assert_cmpint(to->state, ==, MM_RCPT_PENDING);
	g_assert_nonnull(notice->body);
	g_assert_cmpint(notice->received_time, >, 0);
	g_assert_cmpint(notice->data_size, >, 0);
	g_assert_nonnull(mm_header_find(notice->headers, MM_HDR_DATE));
	g_assert_nonnull(mm_header_find(notice->headers, MM_HDR_MESSAGE_ID));
	g_assert_nonnull(mm_header_find(notice->headers, MM_HDR_RECEIVED));
	g_assert_nonnull(mm_header_find(notice->headers, MM_HDR_SUBJECT));
}

static const char dsn_failure_expected[] =
	"defects: 0\n"
	"type: multipart/report\n"
	"report-type: delivery-status\n"
	"to: sender@example.net\n"
	"auto-submitted: auto-replied\n"
	"parts: text/plain message/delivery-status message/rfc822\n"
	"Reporting-MTA: dns; mx.example.org\n"
	"Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
	"recipient: Final-Recipient=rfc822; bob@example.org | Action=failed | Status=5.0.0\n"
	"recipient: Final-Recipient=rfc822; carol@example.com | Action=failed | Status=5.1.1"
	" | Remote-MTA=dns; mx.example.com"
	" | Diagnostic-Code=smtp; 550-5.1.1 The account you tried to reach does not exist."
	" 550 5.1.1 Check the address for typing errors.\n"
	"recipient: Final-Recipient=x-pipe; |/usr/local/bin/filter --strict | Action=failed"
	" | Status=5.3.0\n"
	"returned subject: Quarterly figures\n"
	"returned body: 'Hello,\\n\\nthe figures are attached.\\n-- \\nSender\\n'\n";

static void
test_dsn_failure(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = test_message("<sender@example.net>", ORIGINAL_BODY);
	g_autoptr(MmMessage) notice = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *summary = NULL;

	(void)data;
	if (!have_python())
		return;
	msg->body = g_bytes_new_static(ORIGINAL_BODY, strlen(ORIGINAL_BODY));
	notice = mm_bounce_new_failure(f->conf, msg, f->r.failed, G_N_ELEMENTS(f->r.failed), &error);
	g_assert_no_error(error);
	assert_notice_envelope(notice, msg);
	summary = parse_with_python(f, notice);
	g_assert_cmpstr(summary, ==, dsn_failure_expected);

	/* and the spool takes it as it is */
	mm_spool_write(f->conf->spool_dir, notice, &error);
	g_assert_no_error(error);
}

static void
test_dsn_warning(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = test_message("<sender@example.net>", ORIGINAL_BODY);
	g_autoptr(MmMessage) notice = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *summary = NULL;

	(void)data;
	if (!have_python())
		return;
	/* no body loaded and the template does not want it: no spool read */
	notice = mm_bounce_new_warning(f->conf, msg, f->r.delayed, G_N_ELEMENTS(f->r.delayed), &error);
	g_assert_no_error(error);
	assert_notice_envelope(notice, msg);
	summary = parse_with_python(f, notice);
	g_assert_cmpstr(summary, ==,
	                "defects: 0\n"
	                "type: multipart/report\n"
	                "report-type: delivery-status\n"
	                "to: sender@example.net\n"
	                "auto-submitted: auto-replied\n"
	                "parts: text/plain message/delivery-status text/rfc822-headers\n"
	                "Reporting-MTA: dns; mx.example.org\n"
	                "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
	                "recipient: Final-Recipient=rfc822; carol@example.com | Action=delayed"
	                " | Status=4.4.2 | Remote-MTA=dns; mx.example.com"
	                " | Diagnostic-Code=smtp; 421 4.4.2 mx.example.com closing: idle too long"
	                " | Will-Retry-Until=Sat, 18 Nov 2023 22:13:20 +0000\n"
	                "returned headers subject: Quarterly figures\n");
}

/* A body over MM_BOUNCE_BODY_MAX goes back as its headers only. */
static void
test_dsn_large_body(Fixture *f, gconstpointer data)
{
	g_autofree char *big = NULL;
	g_autoptr(MmMessage) msg = NULL;
	g_autoptr(MmMessage) notice = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *summary = NULL;
	g_autoptr(GString) body = g_string_new(NULL);

	(void)data;
	if (!have_python())
		return;
	while (body->len <= MM_BOUNCE_BODY_MAX)
		g_string_append(body, "0123456789abcdef0123456789abcdef0123456789abcdef\n");
	msg = test_message("<sender@example.net>", "");
	msg->body = g_bytes_new(body->str, body->len);
	notice = mm_bounce_new_failure(f->conf, msg, f->r.failed, 1, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_bytes_get_size(notice->body), <, MM_BOUNCE_BODY_MAX);
	summary = parse_with_python(f, notice);
	g_assert_true(strstr(summary, "defects: 0\n") != NULL);
	g_assert_true(strstr(summary, "parts: text/plain message/delivery-status text/rfc822-headers\n") != NULL);
	g_assert_true(strstr(summary, "returned headers subject: Quarterly figures\n") != NULL);

	/* one line less and it goes back whole */
	g_clear_pointer(&msg->body, g_bytes_unref);
	g_clear_pointer(&notice, mm_message_free);
	g_clear_pointer(&summary, g_free);
	g_string_set_size(body, MM_BOUNCE_BODY_MAX);
	msg->body = g_bytes_new(body->str, body->len);
	notice = mm_bounce_new_failure(f->conf, msg, f->r.failed, 1, &error);
	g_assert_no_error(error);
	summary = parse_with_python(f, notice);
	g_assert_true(strstr(summary, "parts: text/plain message/delivery-status message/rfc822\n") != NULL);
}

/* A body that holds 1.0's boundary line must not end the part early. */
static void
test_dsn_boundary_in_body(Fixture *f, gconstpointer data)
{
	static const char body[] = "before\n--1rAbCd-0001xY-Q7/mx.example.org--\nafter\n";
	g_autoptr(MmMessage) msg = test_message("<sender@example.net>", body);
	g_autoptr(MmMessage) notice = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *summary = NULL;

	(void)data;
	if (!have_python())
		return;
	msg->body = g_bytes_new_static(body, strlen(body));
	notice = mm_bounce_new_failure(f->conf, msg, f->r.failed, 1, &error);
	g_assert_no_error(error);
	summary = parse_with_python(f, notice);
	g_assert_true(strstr(summary, "defects: 0\n") != NULL);
	g_assert_true(strstr(summary, "parts: text/plain message/delivery-status message/rfc822\n") != NULL);
	g_assert_true(strstr(summary, "returned body: 'before\\n--1rAbCd-0001xY-Q7/mx.example.org--\\nafter\\n'\n") != NULL);
}

/* A queue run reads envelopes without bodies; the notice fetches the
 * body from the spool when its template returns it. */
static void
test_body_from_spool(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = test_message("<sender@example.net>", ORIGINAL_BODY);
	g_autoptr(MmMessage) notice = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	(void)data;
	g_free(msg->uid);
	msg->uid = mm_spool_new_uid();
	g_ptr_array_add(msg->rcpts, mm_recipient_new(f->r.bob->address));
	msg->body = g_bytes_new_static(ORIGINAL_BODY, strlen(ORIGINAL_BODY));
	mm_spool_write(f->conf->spool_dir, msg, &error);
	g_assert_no_error(error);
	g_clear_pointer(&msg->body, g_bytes_unref);

	notice = mm_bounce_new_failure(f->conf, msg, f->r.failed, 1, &error);
	g_assert_no_error(error);
	text = g_strndup(g_bytes_get_data(notice->body, NULL), g_bytes_get_size(notice->body));
	g_assert_true(strstr(text, "\n\n" ORIGINAL_BODY "\n--") != NULL);
	g_assert_null(msg->body);

	/* gone from the spool: the error of the spool is passed on */
	g_clear_pointer(&notice, mm_message_free);
	g_assert_true(mm_spool_remove(f->conf->spool_dir, msg->uid, &error));
	notice = mm_bounce_new_failure(f->conf, msg, f->r.failed, 1, &error);
	g_assert_null(notice);
	g_assert_error(error, MM_ERROR, MM_ERROR_NOT_FOUND);
}

/* ---- no notice about a notice ---- */

static void
test_no_bounce_of_bounce(Fixture *f, gconstpointer data)
{
	g_autoptr(MmMessage) msg = test_message("<>", ORIGINAL_BODY);
	g_autoptr(MmMessage) failure = NULL;
	g_autoptr(MmMessage) warning = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	(void)data;
	g_assert_true(mm_bounce_is_bounce(msg));
	failure = mm_bounce_new_failure(f->conf, msg, f->r.failed, 1, &error);
	g_assert_null(failure);
	g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
	g_assert_cmpstr(error->message, ==, "not bouncing a bounce");
	g_clear_error(&error);

	warning = mm_bounce_new_warning(f->conf, msg, f->r.delayed, 1, &error);
	g_assert_null(warning);
	g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
	g_clear_error(&error);

	/* even with a template that could not be read */
	g_free(f->conf->errmsg_file);
	f->conf->errmsg_file = g_strdup("/nonexistent/failmsg.tpl");
	failure = mm_bounce_new_failure(f->conf, msg, f->r.failed, 1, &error);
	g_assert_null(failure);
	g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
	g_clear_error(&error);

	text = mm_bounce_expand(f->conf, MM_BOUNCE_FAILURE, "x\n", 2, "t.tpl", msg, f->r.failed, 1,
	                        &error);
	g_assert_null(text);
	g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);

	/* and an ordinary sender is not taken for one */
	g_clear_pointer(&msg, mm_message_free);
	msg = test_message("<MAILER-DAEMON@example.net>", ORIGINAL_BODY);
	g_assert_false(mm_bounce_is_bounce(msg));
}

/* ---- templates that cannot serve ---- */

typedef enum {
	BAD_MISSING,
	BAD_UNREADABLE,
	BAD_DIRECTORY,
	BAD_TOO_LONG,
	BAD_UNTERMINATED,
	BAD_HEADER,
	BAD_READ_ERROR,
} BadTemplate;

typedef struct {
	const char *label;
	BadTemplate what;
	MmBounceKind kind;
	int code;
	const char *message_part;
} BadTemplateCase;

static const BadTemplateCase bad_template_cases[] = {
	{ "missing-failure", BAD_MISSING, MM_BOUNCE_FAILURE, MM_ERROR_CONFIG, "No such file" },
	{ "missing-warning", BAD_MISSING, MM_BOUNCE_WARNING, MM_ERROR_CONFIG, "No such file" },
	{ "unreadable", BAD_UNREADABLE, MM_BOUNCE_FAILURE, MM_ERROR_CONFIG, "Permission denied" },
	{ "directory", BAD_DIRECTORY, MM_BOUNCE_FAILURE, MM_ERROR_CONFIG, "not a regular file" },
	{ "too-long", BAD_TOO_LONG, MM_BOUNCE_FAILURE, MM_ERROR_CONFIG, "longer than" },
	{ "unterminated-variable", BAD_UNTERMINATED, MM_BOUNCE_WARNING, MM_ERROR_CONFIG,
	  "tpl:3: unterminated" },
	{ "too-many-header-fields", BAD_HEADER, MM_BOUNCE_FAILURE, MM_ERROR_CONFIG, "tpl: " },
	/* a read that fails with EIO: the file may be fine the next time */
	{ "read-error", BAD_READ_ERROR, MM_BOUNCE_WARNING, MM_ERROR_TEMPORARY, "Input/output error" },
};

static void
test_bad_template(Fixture *f, gconstpointer data)
{
	const BadTemplateCase *c = data;
	g_autoptr(MmMessage) msg = test_message("<sender@example.net>", ORIGINAL_BODY);
	g_autoptr(MmMessage) notice = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(f->dir, "bad.tpl", NULL);

	switch (c->what) {
	case BAD_READ_ERROR:
		/* a regular file whose first page is never mapped */
		g_free(path);
		path = g_strdup("/proc/self/mem");
		break;
	case BAD_MISSING:
		break;
	case BAD_UNREADABLE:
		if (geteuid() == 0) {
			g_test_skip("root reads files whatever their mode");
			return;
		}
		g_assert_true(g_file_set_contents(path, "Subject: x\n\nx\n", -1, NULL));
		g_assert_cmpint(g_chmod(path, 0), ==, 0);
		break;
	case BAD_DIRECTORY:
		g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
		break;
	case BAD_TOO_LONG: {
		g_autofree char *text = g_strnfill(MM_TEMPLATE_FILE_MAX + 1, 'x');
		g_assert_true(g_file_set_contents(path, text, -1, NULL));
		break;
	}
	case BAD_UNTERMINATED:
		g_assert_true(g_file_set_contents(path, "Subject: x\n\n${uid\n", -1, NULL));
		break;
	case BAD_HEADER: {
		g_autoptr(GString) text = g_string_new(NULL);
		for (guint i = 0; i <= MM_HEADERS_COUNT_MAX; i++)
			g_string_append(text, "X-Field: ${uid}\n");
		g_string_append(text, "\nbody\n");
		g_assert_true(g_file_set_contents(path, text->str, -1, NULL));
		break;
	}
	}
	if (c->kind == MM_BOUNCE_FAILURE) {
		g_free(f->conf->errmsg_file);
		f->conf->errmsg_file = g_strdup(path);
		notice = mm_bounce_new_failure(f->conf, msg, f->r.failed, 1, &error);
	} else {
		g_free(f->conf->warnmsg_file);
		f->conf->warnmsg_file = g_strdup(path);
		notice = mm_bounce_new_warning(f->conf, msg, f->r.delayed, 1, &error);
	}
	g_assert_null(notice);
	g_assert_error(error, MM_ERROR, c->code);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, path));
	g_assert_nonnull(strstr(error->message, c->message_part));
}

/* A template that is exactly as long as allowed is taken. */
static void
test_template_file_at_limit(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(f->dir, "big.tpl", NULL);
	g_autofree char *text = g_strnfill(MM_TEMPLATE_FILE_MAX, 'x');
	g_autoptr(GBytes) read = NULL;

	(void)data;
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	read = mm_template_read(path, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_bytes_get_size(read), ==, MM_TEMPLATE_FILE_MAX);
}

/* ---- when to warn, when to give up ---- */

typedef struct {
	const char *label;
	const char *intervals; /* NULL: the default 1h;4h;8h;1d;2d;3d */
	gint64 max_defer;      /* -1: the default 4d */
	gint64 received, warned, now;
	MmDeferAction expected;
} DeferCase;

static const DeferCase defer_cases[] = {
	{ "unknown-receive-time", NULL, -1, 0, 0, TR, MM_DEFER_WAIT },
	{ "clock-went-back", NULL, -1, TR, 0, TR - 10, MM_DEFER_WAIT },
	{ "just-received", NULL, -1, TR, 0, TR, MM_DEFER_WAIT },
	{ "1h-not-yet", NULL, -1, TR, 0, TR + HOUR, MM_DEFER_WAIT },
	{ "1h-passed", NULL, -1, TR, 0, TR + HOUR + 1, MM_DEFER_WARN },
	{ "1h-warned", NULL, -1, TR, TR + HOUR + 1, TR + HOUR + 2, MM_DEFER_WAIT },
	{ "4h-not-yet", NULL, -1, TR, TR + HOUR + 1, TR + 4 * HOUR, MM_DEFER_WAIT },
	{ "4h-passed", NULL, -1, TR, TR + HOUR + 1, TR + 4 * HOUR + 1, MM_DEFER_WARN },
	{ "4h-warned-on-the-edge", NULL, -1, TR, TR + 4 * HOUR, TR + 4 * HOUR + 1, MM_DEFER_WAIT },
	{ "4h-warned", NULL, -1, TR, TR + 4 * HOUR + 1, TR + 5 * HOUR, MM_DEFER_WAIT },
	{ "8h-passed", NULL, -1, TR, TR + 4 * HOUR + 1, TR + 8 * HOUR + 1, MM_DEFER_WARN },
	{ "1d-not-yet", NULL, -1, TR, TR + 8 * HOUR + 1, TR + DAY, MM_DEFER_WAIT },
	{ "1d-passed", NULL, -1, TR, TR + 8 * HOUR + 1, TR + DAY + 1, MM_DEFER_WARN },
	{ "2d-passed", NULL, -1, TR, TR + DAY + 1, TR + 2 * DAY + 1, MM_DEFER_WARN },
	{ "3d-not-yet", NULL, -1, TR, TR + 2 * DAY + 1, TR + 3 * DAY, MM_DEFER_WAIT },
	{ "3d-passed", NULL, -1, TR, TR + 2 * DAY + 1, TR + 3 * DAY + 1, MM_DEFER_WARN },
	{ "3d-warned", NULL, -1, TR, TR + 3 * DAY + 1, TR + 3 * DAY + 2 * HOUR, MM_DEFER_WAIT },
	{ "max-defer-not-yet", NULL, -1, TR, TR + 3 * DAY + 1, TR + 4 * DAY - 1, MM_DEFER_WAIT },
	{ "max-defer-reached", NULL, -1, TR, TR + 3 * DAY + 1, TR + 4 * DAY, MM_DEFER_FAIL },
	{ "max-defer-passed-never-warned", NULL, -1, TR, 0, TR + 4 * DAY + 1, MM_DEFER_FAIL },
	{ "long-silence-one-warning", NULL, -1, TR, 0, TR + 10 * HOUR, MM_DEFER_WARN },
	{ "long-silence-then-quiet", NULL, -1, TR, TR + 10 * HOUR, TR + 11 * HOUR, MM_DEFER_WAIT },
	{ "no-intervals", "", -1, TR, 0, TR + 3 * DAY, MM_DEFER_WAIT },
	{ "no-intervals-fail", "", -1, TR, 0, TR + 4 * DAY, MM_DEFER_FAIL },
	{ "max-defer-zero", NULL, 0, TR, 0, TR, MM_DEFER_FAIL },
	{ "max-defer-1h", "30m", HOUR, TR, TR + 31 * 60, TR + HOUR, MM_DEFER_FAIL },
	{ "unsorted-intervals-warn", "8h;1h", -1, TR, 0, TR + 2 * HOUR, MM_DEFER_WARN },
	{ "unsorted-intervals-wait", "8h;1h", -1, TR, TR + HOUR + 1, TR + 2 * HOUR, MM_DEFER_WAIT },
	{ "unsorted-intervals-8h", "8h;1h", -1, TR, TR + HOUR + 1, TR + 8 * HOUR + 1, MM_DEFER_WARN },
};

static void
test_defer(gconstpointer data)
{
	const DeferCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strdup_printf("host_name = mx.example.org\n%s%s%s",
	                                        c->intervals ? "warn_intervals = \"" : "",
	                                        c->intervals ? c->intervals : "",
	                                        c->intervals ? "\"\n" : "");
	g_autoptr(MmConf) conf = mm_conf_load_data(text, strlen(text), "test.conf", &error);

	g_assert_no_error(error);
	if (c->max_defer >= 0)
		conf->max_defer_time = c->max_defer;
	g_assert_cmpint(mm_bounce_defer_action(conf, c->received, c->warned, c->now), ==,
	                c->expected);
}

/* The defaults this table was written for are the configuration's. */
static void
test_defer_defaults(void)
{
	static const char text[] = "host_name = mx.example.org\n";
	static const gint64 expected[] = { HOUR, 4 * HOUR, 8 * HOUR, DAY, 2 * DAY, 3 * DAY };
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load_data(text, strlen(text), "test.conf", &error);

	g_assert_no_error(error);
	g_assert_cmpint(conf->max_defer_time, ==, 4 * DAY);
	g_assert_cmpuint(conf->warn_intervals->len, ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
		g_assert_cmpint(g_array_index(conf->warn_intervals, gint64, i), ==, expected[i]);
}

int
main(int argc, char **argv)
{
	/* Dates in the fixtures are UTC. */
	g_setenv("TZ", "UTC", TRUE);
	tzset();
	g_test_init(&argc, &argv, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(template_cases); i++) {
		g_autofree char *path = g_strdup_printf("/bounce/template/%s", template_cases[i].label);
		g_test_add_data_func(path, &template_cases[i], test_template);
	}
	for (guint i = 0; i < G_N_ELEMENTS(template_error_cases); i++) {
		g_autofree char *path =
			g_strdup_printf("/bounce/template/error/%s", template_error_cases[i].label);
		g_test_add_data_func(path, &template_error_cases[i], test_template_error);
	}
	g_test_add_func("/bounce/template/error/line-limit", test_template_line_limit);
	for (guint i = 0; i < G_N_ELEMENTS(list_cases); i++) {
		g_autofree char *path = g_strdup_printf("/bounce/list/%s", list_cases[i].label);
		g_test_add_data_func(path, &list_cases[i], test_list);
	}
	g_test_add_func("/bounce/list/hostile-reply", test_list_hostile_reply);
	for (guint i = 0; i < G_N_ELEMENTS(status_cases); i++) {
		g_autofree char *path = g_strdup_printf("/bounce/status/%s", status_cases[i].label);
		g_test_add_data_func(path, &status_cases[i], test_status);
	}
	for (guint i = 0; i < G_N_ELEMENTS(fixture_cases); i++) {
		g_autofree char *path = g_strdup_printf("/bounce/fixture/%s", fixture_cases[i].label);
		g_test_add_data_func(path, &fixture_cases[i], test_fixture);
	}
	g_test_add("/bounce/dsn/failure", Fixture, NULL, fixture_setup, test_dsn_failure,
	           fixture_teardown);
	g_test_add("/bounce/dsn/warning", Fixture, NULL, fixture_setup, test_dsn_warning,
	           fixture_teardown);
	g_test_add("/bounce/dsn/large-body", Fixture, NULL, fixture_setup, test_dsn_large_body,
	           fixture_teardown);
	g_test_add("/bounce/dsn/boundary-in-body", Fixture, NULL, fixture_setup,
	           test_dsn_boundary_in_body, fixture_teardown);
	g_test_add("/bounce/body-from-spool", Fixture, NULL, fixture_setup, test_body_from_spool,
	           fixture_teardown);
	g_test_add("/bounce/no-bounce-of-bounce", Fixture, NULL, fixture_setup,
	           test_no_bounce_of_bounce, fixture_teardown);
	for (guint i = 0; i < G_N_ELEMENTS(bad_template_cases); i++) {
		g_autofree char *path =
			g_strdup_printf("/bounce/bad-template/%s", bad_template_cases[i].label);
		g_test_add(path, Fixture, &bad_template_cases[i], fixture_setup, test_bad_template,
		           fixture_teardown);
	}
	g_test_add("/bounce/bad-template/at-limit", Fixture, NULL, fixture_setup,
	           test_template_file_at_limit, fixture_teardown);
	for (guint i = 0; i < G_N_ELEMENTS(defer_cases); i++) {
		g_autofree char *path = g_strdup_printf("/bounce/defer/%s", defer_cases[i].label);
		g_test_add_data_func(path, &defer_cases[i], test_defer);
	}
	g_test_add_func("/bounce/defer/defaults", test_defer_defaults);
	return g_test_run();
}
