/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of the command-line parser (src/cli/options.c): every option,
 * invocation name, value form and refusal, as tables of argv and the
 * expected result. A parsed command line is rendered as one line of
 * "key=value" words, so each case states the whole result, not a part.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "cli/options.h"

/* Everything that differs from the defaults, in a fixed order. */
static char *
render(const MmOptions *o)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "mode=%s", mm_options_mode_name(o->mode));
	if (g_strcmp0(o->invoked_as, "masqmail") != 0)
		g_string_append_printf(s, " as=%s", o->invoked_as);
	if (o->listen)
		g_string_append(s, " listen");
	if (o->foreground)
		g_string_append(s, " foreground");
	if (o->queue_interval)
		g_string_append_printf(s, " interval=%u", o->queue_interval);
	if (o->queue_online)
		g_string_append(s, " online");
	if (o->route_name)
		g_string_append_printf(s, " route=%s", o->route_name);
	if (o->queue_id_part)
		g_string_append_printf(s, " ids=%s", o->queue_id_part);
	if (o->conf_file)
		g_string_append_printf(s, " conf=%s", o->conf_file);
	if (o->state_dir)
		g_string_append_printf(s, " state=%s", o->state_dir);
	if (o->debug_level >= 0)
		g_string_append_printf(s, " debug=%d", o->debug_level);
	if (o->return_path)
		g_string_append_printf(s, " from=[%s]", o->return_path);
	if (o->full_name)
		g_string_append_printf(s, " name=[%s]", o->full_name);
	if (o->read_recipients)
		g_string_append(s, " t");
	if (o->ignore_dot)
		g_string_append(s, " i");
	if (o->queue_only)
		g_string_append(s, " odq");
	if (o->background)
		g_string_append(s, " odb");
	if (o->verbose)
		g_string_append(s, " v");
	for (char **a = o->args; *a; a++)
		g_string_append_printf(s, "%s[%s]", a == o->args ? " args=" : ",", *a);
	return g_string_free(s, FALSE);
}

typedef struct {
	const char *label;
	const char *argv[12];  /* NULL-terminated; argv[0] is the program name */
	gboolean ok;
	/* ok: the rendered result; not ok: a part of the error message */
	const char *expect;
} Case;

static void
run_case(gconstpointer data)
{
	const Case *c = data;
	g_auto(MmOptions) opts = { 0 };
	g_autoptr(GError) error = NULL;
	int argc = 0;
	gboolean ok;

	while (c->argv[argc])
		argc++;
	ok = mm_options_parse(argc, (char **)c->argv, &opts, &error);
	if (c->ok) {
		g_assert_no_error(error);
		g_assert_true(ok);
		g_autofree char *got = render(&opts);
		g_assert_cmpstr(got, ==, c->expect);
	} else {
		g_assert_false(ok);
		g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
		g_assert_nonnull(strstr(error->message, c->expect));
		/* one line for the user */
		g_assert_null(strchr(error->message, '\n'));
		/* a failed parse leaves nothing behind */
		g_assert_cmpint(opts.mode, ==, MM_MODE_NONE);
		g_assert_null(opts.conf_file);
		g_assert_null(opts.args);
	}
}

#define M "masqmail"

static const Case cases[] = {
	/* the mode without a mode option, as 1.0 decides it */
	{ "/options/mode/nothing-is-version", { M, NULL }, TRUE, "mode=version" },
	{ "/options/mode/recipient-is-accept", { M, "a@b.example", NULL }, TRUE,
	  "mode=accept args=[a@b.example]" },
	{ "/options/mode/t-is-accept", { M, "-t", NULL }, TRUE, "mode=accept t" },
	{ "/options/mode/t-with-recipients", { M, "-t", "a@b", "c", NULL }, TRUE,
	  "mode=accept t args=[a@b],[c]" },
	{ "/options/mode/options-only-is-version", { M, "-f", "x@y", "-v", NULL }, TRUE,
	  "mode=version from=[x@y] v" },

	/* each mode option */
	{ "/options/mode/bm", { M, "-bm", "a@b", NULL }, TRUE, "mode=accept args=[a@b]" },
	{ "/options/mode/bm-t", { M, "-bm", "-t", NULL }, TRUE, "mode=accept t" },
	{ "/options/mode/bm-without-recipients", { M, "-bm", NULL }, FALSE, "no recipients" },
	{ "/options/mode/bd", { M, "-bd", NULL }, TRUE, "mode=daemon listen" },
	{ "/options/mode/bD", { M, "-bD", NULL }, TRUE, "mode=daemon listen foreground" },
	{ "/options/mode/bd-q30m", { M, "-bd", "-q30m", NULL }, TRUE,
	  "mode=daemon listen interval=1800" },
	{ "/options/mode/q30m-bD", { M, "-q30m", "-bD", NULL }, TRUE,
	  "mode=daemon listen foreground interval=1800" },
	{ "/options/mode/q-interval-only", { M, "-q30m", NULL }, TRUE, "mode=daemon interval=1800" },
	{ "/options/mode/q-interval-separate", { M, "-q", "1h", NULL }, TRUE,
	  "mode=daemon interval=3600" },
	{ "/options/mode/q-interval-combined", { M, "-q1h30m", NULL }, TRUE,
	  "mode=daemon interval=5400" },
	{ "/options/mode/q-once", { M, "-q", NULL }, TRUE, "mode=queue-run" },
	{ "/options/mode/q-once-then-option", { M, "-q", "-v", NULL }, TRUE, "mode=queue-run v" },
	{ "/options/mode/qo-without-name", { M, "-qo", NULL }, TRUE, "mode=queue-run online" },
	{ "/options/mode/qo-name-separate", { M, "-qo", "isp", NULL }, TRUE,
	  "mode=queue-run online route=isp" },
	{ "/options/mode/qo-name-attached", { M, "-qoisp", NULL }, TRUE,
	  "mode=queue-run online route=isp" },
	{ "/options/mode/qo-then-option", { M, "-qo", "-v", NULL }, TRUE,
	  "mode=queue-run online v" },
	{ "/options/mode/qI-attached", { M, "-qI1aBc-x", NULL }, TRUE, "mode=queue-run ids=1aBc-x" },
	{ "/options/mode/qI-separate", { M, "-qI", "1aBc", NULL }, TRUE, "mode=queue-run ids=1aBc" },
	{ "/options/mode/qI-qo", { M, "-qo", "-qIabc", NULL }, TRUE, "mode=queue-run online ids=abc" },
	{ "/options/mode/qI-missing", { M, "-qI", NULL }, FALSE, "-qI needs an argument" },
	{ "/options/mode/qI-path", { M, "-qI../x", NULL }, FALSE, "not (part of) a message id" },
	{ "/options/mode/qI-daemon", { M, "-q30m", "-qIabc", NULL }, FALSE, "cannot be combined" },
	{ "/options/mode/qo-empty-name", { M, "-qo", "", NULL }, FALSE, "route name is empty" },
	{ "/options/mode/bp", { M, "-bp", NULL }, TRUE, "mode=list" },
	{ "/options/mode/bs", { M, "-bs", NULL }, TRUE, "mode=smtp" },
	{ "/options/mode/bi", { M, "-bi", NULL }, TRUE, "mode=aliases" },
	{ "/options/mode/bV", { M, "-bV", NULL }, TRUE, "mode=version" },
	{ "/options/mode/version-long", { M, "--version", NULL }, TRUE, "mode=version" },
	{ "/options/mode/Mrm", { M, "-Mrm", "1AbCdE-000123-Xy", "2x", NULL }, TRUE,
	  "mode=remove args=[1AbCdE-000123-Xy],[2x]" },
	{ "/options/mode/Mrm-without-ids", { M, "-Mrm", NULL }, FALSE, "needs at least one message id" },
	{ "/options/mode/Mrm-path-as-id", { M, "-Mrm", "../../etc/passwd", NULL }, FALSE,
	  "is not a message id" },
	{ "/options/mode/Mrm-slash-in-id", { M, "-Mrm", "abc/def", NULL }, FALSE,
	  "is not a message id" },
	{ "/options/mode/Mrm-dash-first", { M, "-Mrm", "x", "-abc", NULL }, FALSE,
	  "\"-abc\" is not a message id" },
	{ "/options/mode/Mrm-dot-in-id", { M, "-Mrm", "abc.def", NULL }, FALSE,
	  "is not a message id" },
	{ "/options/mode/status", { M, "--status", NULL }, TRUE, "mode=status" },
	{ "/options/mode/help", { M, "--help", NULL }, TRUE, "mode=help" },
	{ "/options/mode/help-wins", { M, "-bd", "--help", NULL }, TRUE, "mode=help listen" },
	{ "/options/mode/status-with-value", { M, "--status=x", NULL }, FALSE, "takes no argument" },

	/* modes that exclude each other */
	{ "/options/conflict/bd-bp", { M, "-bd", "-bp", NULL }, FALSE, "-bp cannot be combined with -bd" },
	{ "/options/conflict/q-bd", { M, "-q", "-bd", NULL }, FALSE, "-bd cannot be combined with -q" },
	{ "/options/conflict/bd-q", { M, "-bd", "-q", NULL }, FALSE, "-q cannot be combined with -bd" },
	{ "/options/conflict/bs-status", { M, "-bs", "--status", NULL }, FALSE, "cannot be combined" },
	{ "/options/conflict/Mrm-bm", { M, "-Mrm", "-bm", "x", NULL }, FALSE, "cannot be combined" },
	{ "/options/conflict/mailq-bs", { "mailq", "-bs", NULL }, FALSE,
	  "-bs cannot be combined with invocation as mailq" },
	{ "/options/conflict/state-dir-and-C", { M, "-C", "/etc/m.conf", "--state-dir=/tmp/s", NULL },
	  FALSE, "-C and --state-dir cannot be combined" },

	/* invocation names: the basename of argv[0] */
	{ "/options/name/sendmail", { "/usr/sbin/sendmail", "-oi", "a@b", NULL }, TRUE,
	  "mode=accept as=sendmail i args=[a@b]" },
	{ "/options/name/sendmail-alone", { "sendmail", NULL }, TRUE, "mode=version as=sendmail" },
	{ "/options/name/mailq", { "/usr/bin/mailq", NULL }, TRUE, "mode=list as=mailq" },
	{ "/options/name/mailq-bp", { "mailq", "-bp", NULL }, TRUE, "mode=list as=mailq" },
	{ "/options/name/runq", { "runq", NULL }, TRUE, "mode=queue-run as=runq" },
	{ "/options/name/runq-v", { "runq", "-v", NULL }, TRUE, "mode=queue-run as=runq v" },
	{ "/options/name/runq-qo", { "runq", "-qo", "isp", NULL }, TRUE,
	  "mode=queue-run as=runq online route=isp" },
	{ "/options/name/mailrm", { "mailrm", "1AbCdE-000123-Xy", NULL }, TRUE,
	  "mode=remove as=mailrm args=[1AbCdE-000123-Xy]" },
	{ "/options/name/mailrm-without-ids", { "mailrm", NULL }, FALSE,
	  "invocation as mailrm needs at least one message id" },
	{ "/options/name/newaliases", { "newaliases", NULL }, TRUE, "mode=aliases as=newaliases" },
	{ "/options/name/smtpd", { "/usr/sbin/smtpd", NULL }, TRUE, "mode=daemon as=smtpd listen" },
	{ "/options/name/smtpd-q", { "smtpd", "-q15m", NULL }, TRUE,
	  "mode=daemon as=smtpd listen interval=900" },
	{ "/options/name/in.smtpd", { "/usr/sbin/in.smtpd", NULL }, TRUE, "mode=smtp as=in.smtpd" },
	{ "/options/name/other-name", { "./mm", "-bp", NULL }, TRUE, "mode=list as=mm" },
	{ "/options/name/trailing-slash", { "/usr/sbin/", NULL }, TRUE, "mode=version" },

	/* values attached and separated */
	{ "/options/value/d-attached", { M, "-d5", "-bp", NULL }, TRUE, "mode=list debug=5" },
	{ "/options/value/d-separate", { M, "-d", "5", "-bp", NULL }, TRUE, "mode=list debug=5" },
	{ "/options/value/d-zero", { M, "-d0", "-bp", NULL }, TRUE, "mode=list debug=0" },
	{ "/options/value/d-missing", { M, "-d", NULL }, FALSE, "-d needs an argument" },
	{ "/options/value/d-option-next", { M, "-d", "-bp", NULL }, FALSE, "-d needs an argument" },
	{ "/options/value/d-not-number", { M, "-d", "five", NULL }, FALSE, "needs a debug level" },
	{ "/options/value/d-plus", { M, "-d+5", NULL }, FALSE, "needs a debug level" },
	{ "/options/value/d-too-high", { M, "-d10", NULL }, FALSE, "from 0 to 9" },
	{ "/options/value/f-separate", { M, "-f", "me@x.example", "a@b", NULL }, TRUE,
	  "mode=accept from=[me@x.example] args=[a@b]" },
	{ "/options/value/f-attached", { M, "-fme@x.example", "a@b", NULL }, TRUE,
	  "mode=accept from=[me@x.example] args=[a@b]" },
	{ "/options/value/f-null-sender", { M, "-f<>", "a@b", NULL }, TRUE,
	  "mode=accept from=[<>] args=[a@b]" },
	{ "/options/value/f-empty", { M, "-f", "", "a@b", NULL }, TRUE,
	  "mode=accept from=[] args=[a@b]" },
	{ "/options/value/f-missing", { M, "-f", NULL }, FALSE, "-f needs an argument" },
	{ "/options/value/f-option-next", { M, "-f", "-t", NULL }, FALSE, "-f needs an argument" },
	{ "/options/value/r-is-not-1.0", { M, "-r", "me@x", "a@b", NULL }, FALSE,
	  "unknown option \"-r\"" },
	{ "/options/value/F-separate", { M, "-F", "Jo Doe", "a@b", NULL }, TRUE,
	  "mode=accept name=[Jo Doe] args=[a@b]" },
	{ "/options/value/F-attached", { M, "-FJo", "a@b", NULL }, TRUE,
	  "mode=accept name=[Jo] args=[a@b]" },
	{ "/options/value/F-missing", { M, "a", "-F", NULL }, TRUE, "mode=accept args=[a],[-F]" },
	{ "/options/value/F-missing-before", { M, "-F", NULL }, FALSE, "-F needs an argument" },
	{ "/options/value/C-separate", { M, "-C", "/etc/mm.conf", "-bp", NULL }, TRUE,
	  "mode=list conf=/etc/mm.conf" },
	{ "/options/value/C-attached", { M, "-C/etc/mm.conf", "-bp", NULL }, TRUE,
	  "mode=list conf=/etc/mm.conf" },
	{ "/options/value/C-cleaned", { M, "-C", "/etc//x/../mm.conf", "-bp", NULL }, TRUE,
	  "mode=list conf=/etc/mm.conf" },
	{ "/options/value/C-missing", { M, "-C", NULL }, FALSE, "-C needs an argument" },
	{ "/options/value/C-empty", { M, "-C", "", NULL }, FALSE, "-C needs a file name" },
	{ "/options/value/state-dir-equals", { M, "--state-dir=/tmp/mm", "-bD", NULL }, TRUE,
	  "mode=daemon listen foreground state=/tmp/mm" },
	{ "/options/value/state-dir-separate", { M, "--state-dir", "/tmp/mm", "-bD", NULL }, TRUE,
	  "mode=daemon listen foreground state=/tmp/mm" },
	{ "/options/value/state-dir-missing", { M, "--state-dir", NULL }, FALSE,
	  "--state-dir needs an argument" },
	{ "/options/value/state-dir-empty", { M, "--state-dir=", NULL }, FALSE,
	  "--state-dir needs a directory" },
	{ "/options/value/B-separate", { M, "-B", "8BITMIME", "a@b", NULL }, TRUE,
	  "mode=accept args=[a@b]" },
	{ "/options/value/B-attached", { M, "-B8BITMIME", "a@b", NULL }, TRUE,
	  "mode=accept args=[a@b]" },
	{ "/options/value/B-without", { M, "-B", "-t", NULL }, TRUE, "mode=accept t" },

	/* flags */
	{ "/options/flag/i", { M, "-i", "a", NULL }, TRUE, "mode=accept i args=[a]" },
	{ "/options/flag/oi", { M, "-oi", "a", NULL }, TRUE, "mode=accept i args=[a]" },
	{ "/options/flag/odq", { M, "-odq", "a", NULL }, TRUE, "mode=accept odq args=[a]" },
	{ "/options/flag/odb", { M, "-odb", "a", NULL }, TRUE, "mode=accept odb args=[a]" },
	{ "/options/flag/o-ignored", { M, "-oem", "-oee", "-om", "-o", "-oQ/x", "a", NULL }, TRUE,
	  "mode=accept args=[a]" },
	{ "/options/flag/m", { M, "-m", "a", NULL }, TRUE, "mode=accept args=[a]" },
	{ "/options/flag/v", { M, "-v", "-bp", NULL }, TRUE, "mode=list v" },
	{ "/options/flag/everything", { M, "-odq", "-oi", "-t", "-v", "-fme", "-FMe", "-d", "3", "a", NULL },
	  TRUE, "mode=accept debug=3 from=[me] name=[Me] t i odq v args=[a]" },

	/* where options end */
	{ "/options/end/double-dash", { M, "--", "-v", "a@b", NULL }, TRUE,
	  "mode=accept args=[-v],[a@b]" },
	{ "/options/end/double-dash-alone", { M, "-i", "--", NULL }, TRUE, "mode=version i" },
	{ "/options/end/first-recipient", { M, "a@b", "-v", "-bp", NULL }, TRUE,
	  "mode=accept args=[a@b],[-v],[-bp]" },
	{ "/options/end/double-dash-twice", { M, "--", "--", NULL }, TRUE, "mode=accept args=[--]" },

	/* unknown options */
	{ "/options/unknown/x", { M, "-x", NULL }, FALSE, "unknown option \"-x\"" },
	{ "/options/unknown/dash", { M, "-", NULL }, FALSE, "unknown option \"-\"" },
	{ "/options/unknown/b-other", { M, "-bt", NULL }, FALSE, "unknown option \"-bt\"" },
	{ "/options/unknown/b-longer", { M, "-bdx", NULL }, FALSE, "unknown option \"-bdx\"" },
	{ "/options/unknown/M-other", { M, "-Mf", "x", NULL }, FALSE, "unknown option \"-Mf\"" },
	{ "/options/unknown/t-longer", { M, "-tv", NULL }, FALSE, "unknown option \"-tv\"" },
	{ "/options/unknown/long", { M, "--verbose", NULL }, FALSE, "unknown option \"--verbose\"" },
	{ "/options/unknown/long-prefix", { M, "--stat", NULL }, FALSE, "unknown option \"--stat\"" },

	/* bad intervals */
	{ "/options/interval/no-unit", { M, "-q30", NULL }, FALSE, "needs a unit" },
	{ "/options/interval/bad-unit", { M, "-q30x", NULL }, FALSE, "unknown unit 'x'" },
	{ "/options/interval/zero", { M, "-q0m", NULL }, FALSE, "at least one second" },
	{ "/options/interval/unit-only", { M, "-qm", NULL }, FALSE, "expected a number" },
	{ "/options/interval/trailing-number", { M, "-q1h30", NULL }, FALSE, "needs a unit" },
	{ "/options/interval/too-long", { M, "-q53w", NULL }, FALSE, "longer than" },
	{ "/options/interval/huge", { M, "-q99999999999999999999s", NULL }, FALSE, "longer than" },
	{ "/options/interval/separate-bad", { M, "-q", "soon", NULL }, FALSE, "bad interval \"soon\"" },

	/* control characters never reach an address, a name or a log */
	{ "/options/control/recipient-newline", { M, "a@b\nBcc: c@d", NULL }, FALSE,
	  "contains a control character" },
	{ "/options/control/recipient-cr", { M, "a@b\r", NULL }, FALSE, "control character" },
	{ "/options/control/recipient-tab", { M, "a@b", "c\t@d", NULL }, FALSE, "control character" },
	{ "/options/control/recipient-del", { M, "a\x7f@b", NULL }, FALSE, "control character" },
	{ "/options/control/after-double-dash", { M, "--", "x\x1b[2J", NULL }, FALSE,
	  "control character" },
	{ "/options/control/F-newline", { M, "-F", "Jo\nBcc: x@y", "a@b", NULL }, FALSE,
	  "control character" },
	{ "/options/control/F-attached", { M, "-FJo\n", "a@b", NULL }, FALSE, "control character" },
	{ "/options/control/f-newline", { M, "-f", "x@y\n", "a@b", NULL }, FALSE, "control character" },
	{ "/options/control/qo-name", { M, "-qo", "isp\n", NULL }, FALSE, "control character" },
	{ "/options/control/q-interval", { M, "-q", "5m\n", NULL }, FALSE,
	  "argument \"5m\\n\" contains a control character" },
	{ "/options/control/d-attached", { M, "-d5\n", NULL }, FALSE, "control character" },
	{ "/options/control/Mrm-id", { M, "-Mrm", "abc\n", NULL }, FALSE, "control character" },
	{ "/options/control/C-path", { M, "-C", "/tmp/a\nb", NULL }, FALSE, "control character" },
	{ "/options/control/shown-escaped", { M, "a\nb", NULL }, FALSE, "\"a\\nb\"" },
	{ "/options/control/utf8-allowed", { M, "-F", "Jörg Ünder", "a@b", NULL }, TRUE,
	  "mode=accept name=[Jörg Ünder] args=[a@b]" },

	/* recipients that are no recipients */
	{ "/options/recipient/pipe", { M, "|/bin/sh -c x", NULL }, FALSE, "a pipe is not allowed" },
	{ "/options/recipient/pipe-after-t", { M, "-t", "a@b", "|x", NULL }, FALSE, "a pipe" },
	{ "/options/recipient/empty", { M, "a@b", "", NULL }, FALSE, "an empty argument" },
};

static void
test_argc_zero(void)
{
	g_auto(MmOptions) opts = { 0 };
	g_autoptr(GError) error = NULL;
	char *argv[] = { NULL };

	g_assert_true(mm_options_parse(0, argv, &opts, &error));
	g_assert_no_error(error);
	g_assert_cmpint(opts.mode, ==, MM_MODE_VERSION);
	g_assert_cmpstr(opts.invoked_as, ==, "masqmail");
}

/* An argument at MM_CLI_ARG_MAX is taken, one octet more is refused. */
static void
test_argument_limit(void)
{
	for (int extra = 0; extra <= 1; extra++) {
		g_auto(MmOptions) opts = { 0 };
		g_autoptr(GError) error = NULL;
		g_autofree char *rcpt = g_strnfill(MM_CLI_ARG_MAX + extra, 'a');
		char *argv[] = { (char *)"masqmail", rcpt, NULL };
		gboolean ok = mm_options_parse(2, argv, &opts, &error);

		if (extra == 0) {
			g_assert_no_error(error);
			g_assert_true(ok);
			g_assert_cmpuint(strlen(opts.args[0]), ==, MM_CLI_ARG_MAX);
		} else {
			g_assert_false(ok);
			g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
			g_assert_nonnull(strstr(error->message, "longer than"));
		}
	}
}

static void
test_message_id_limit(void)
{
	for (int extra = 0; extra <= 1; extra++) {
		g_auto(MmOptions) opts = { 0 };
		g_autoptr(GError) error = NULL;
		g_autofree char *id = g_strnfill(MM_CLI_MSGID_MAX + extra, 'x');
		char *argv[] = { (char *)"mailrm", id, NULL };
		gboolean ok = mm_options_parse(2, argv, &opts, &error);

		g_assert_true(ok == (extra == 0));
		if (!ok)
			g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
	}
}

/* A relative -C or --state-dir is made absolute against the current
 * directory, because the daemon changes its directory later. */
static void
test_relative_paths(void)
{
	g_auto(MmOptions) opts = { 0 };
	g_autoptr(GError) error = NULL;
	g_autofree char *cwd = g_get_current_dir();
	g_autofree char *want = g_build_filename(cwd, "sub", "mm.conf", NULL);
	g_autofree char *want_dir = g_build_filename(cwd, "state", NULL);
	char *argv_c[] = { (char *)"masqmail", (char *)"-C", (char *)"./sub/mm.conf", (char *)"-bp", NULL };
	char *argv_s[] = { (char *)"masqmail", (char *)"--state-dir=state", (char *)"-bp", NULL };

	g_assert_true(mm_options_parse(4, argv_c, &opts, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(opts.conf_file, ==, want);

	/* parsing again overwrites the earlier result without leaking */
	mm_options_clear(&opts);
	g_assert_true(mm_options_parse(3, argv_s, &opts, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(opts.state_dir, ==, want_dir);
	g_assert_null(opts.conf_file);
}

/* The strings of the input are copied: the result outlives argv. */
static void
test_result_owns_strings(void)
{
	g_auto(MmOptions) opts = { 0 };
	g_autoptr(GError) error = NULL;
	g_autofree char *f = g_strdup("-fme@x");
	g_autofree char *rcpt = g_strdup("a@b");
	char *argv[] = { (char *)"masqmail", f, rcpt, NULL };

	g_assert_true(mm_options_parse(3, argv, &opts, &error));
	memset(f, 'z', strlen(f));
	memset(rcpt, 'z', strlen(rcpt));
	g_assert_cmpstr(opts.return_path, ==, "me@x");
	g_assert_cmpstr(opts.args[0], ==, "a@b");
}

typedef struct {
	const char *text;
	guint seconds;  /* 0: refused */
} IntervalCase;

static const IntervalCase interval_cases[] = {
	{ "1s", 1 },
	{ "45s", 45 },
	{ "30m", 1800 },
	{ "2h", 7200 },
	{ "1d", 86400 },
	{ "1w", 604800 },
	{ "1h30m", 5400 },
	{ "1w1d", 691200 },
	{ "1m1m", 120 },
	{ "007m", 420 },
	{ "52w", 52 * 604800 },
	{ "365d", MM_CLI_INTERVAL_MAX },
	{ "366d", 0 },
	{ "31536001s", 0 },
	{ "", 0 },
	{ "m", 0 },
	{ "30", 0 },
	{ "30x", 0 },
	{ "0s", 0 },
	{ "0m0s", 0 },
	{ "-5m", 0 },
	{ "+5m", 0 },
	{ " 5m", 0 },
	{ "5m ", 0 },
	{ "5M", 0 },
	{ "1h-30m", 0 },
	{ "99999999999999999999999s", 0 },
};

static void
test_interval_table(void)
{
	for (size_t k = 0; k < G_N_ELEMENTS(interval_cases); k++) {
		const IntervalCase *c = &interval_cases[k];
		g_autoptr(GError) error = NULL;
		guint seconds = 12345;
		gboolean ok = mm_options_parse_interval(c->text, &seconds, &error);

		g_test_message("interval \"%s\"", c->text);
		if (c->seconds) {
			g_assert_no_error(error);
			g_assert_true(ok);
			g_assert_cmpuint(seconds, ==, c->seconds);
		} else {
			g_assert_false(ok);
			g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
			/* the output is untouched on failure */
			g_assert_cmpuint(seconds, ==, 12345);
		}
	}
}

/* Every option is in the usage text and in masqmail(8). */
static const char *const documented[] = {
	"-bm", "-bd", "-bD", "-bi", "-bp", "-bs", "-bV", "-B", "-C", "-d", "-f", "-F",
	"-i", "-m", "-Mrm", "-odb", "-odq", "-oi", "-o", "-qo", "-qI", "-q", "-t", "-v", "--",
	"--status", "--state-dir", "--help", "--version",
};

static const char *const invocation_names[] = {
	"sendmail", "mailq", "runq", "mailrm", "newaliases", "smtpd", "in.smtpd",
};

static void
test_usage_lists_options(void)
{
	const char *usage = mm_options_usage();

	g_assert_true(g_str_has_suffix(usage, "\n"));
	for (size_t k = 0; k < G_N_ELEMENTS(documented); k++) {
		/* the ignored and the trivial ones are named on one line */
		g_test_message("usage: %s", documented[k]);
		g_assert_nonnull(strstr(usage, documented[k]));
	}
}

static void
test_man_page_lists_options(void)
{
	const char *top = g_getenv("MM_TOP_SRCDIR");
	g_autofree char *path = NULL;
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;

	if (!top) {
		g_test_skip("MM_TOP_SRCDIR is not set (run through make check)");
		return;
	}
	path = g_build_filename(top, "man", "masqmail.8", NULL);
	g_assert_true(g_file_get_contents(path, &text, NULL, &error));
	g_assert_no_error(error);
	for (size_t k = 0; k < G_N_ELEMENTS(documented); k++) {
		/* roff writes a minus sign as \- */
		g_autoptr(GString) roff = g_string_new(NULL);
		for (const char *c = documented[k]; *c; c++) {
			if (*c == '-')
				g_string_append(roff, "\\-");
			else
				g_string_append_c(roff, *c);
		}
		g_test_message("masqmail.8: %s", roff->str);
		g_assert_nonnull(strstr(text, roff->str));
	}
	for (size_t k = 0; k < G_N_ELEMENTS(invocation_names); k++)
		g_assert_nonnull(strstr(text, invocation_names[k]));
}

static void
test_mode_names(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (int m = MM_MODE_NONE; m <= MM_MODE_HELP; m++) {
		const char *name = mm_options_mode_name((MmMode)m);
		g_assert_cmpstr(name, !=, "unknown");
		g_assert_false(g_hash_table_contains(seen, name));
		g_hash_table_add(seen, (gpointer)name);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (size_t k = 0; k < G_N_ELEMENTS(cases); k++)
		g_test_add_data_func(cases[k].label, &cases[k], run_case);
	g_test_add_func("/options/special/argc-zero", test_argc_zero);
	g_test_add_func("/options/limit/argument-length", test_argument_limit);
	g_test_add_func("/options/limit/message-id-length", test_message_id_limit);
	g_test_add_func("/options/value/relative-paths", test_relative_paths);
	g_test_add_func("/options/special/result-owns-strings", test_result_owns_strings);
	g_test_add_func("/options/interval/table", test_interval_table);
	g_test_add_func("/options/doc/usage", test_usage_lists_options);
	g_test_add_func("/options/doc/man-page", test_man_page_lists_options);
	g_test_add_func("/options/doc/mode-names", test_mode_names);

	return g_test_run();
}
