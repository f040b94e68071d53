/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of deliver/pipe.c: the environment of MDAs and pipes, argument
 * safety end to end (nothing an address holds runs a command), the
 * mapping of exit statuses, the time limit, the captured output, the
 * descriptors a command gets, and running as another user.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/error.h"
#include "base/limits.h"
#include "deliver/expand.h"
#include "deliver/pipe.h"
#include "deliver/render.h"

/* nobody on Debian; any uid without a passwd entry works as well */
#define OTHER_ID 65534

typedef struct {
	char *dir;
	MmMessage *msg;
	MmAddress *rcpt;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	GError *error = NULL;

	f->dir = g_dir_make_tmp("mm-pipe-XXXXXX", &error);
	g_assert_no_error(error);
	f->msg = mm_message_new();
	f->msg->uid = g_strdup("1aBcD2-00");
	f->msg->return_path = mm_address_new("sender", "example.net", NULL);
	f->msg->received_host = g_strdup("client.example.net");
	g_ptr_array_add(f->msg->headers, mm_header_new("Subject", "hello"));
	f->msg->body = g_bytes_new_static("line one\nFrom here\n", 19);
	f->rcpt = mm_address_new("bob", "example.org", NULL);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
	mm_message_free(f->msg);
	mm_address_free(f->rcpt);
}

static MmPipeContext
context(Fixture *f)
{
	return (MmPipeContext){
		.msg = f->msg, .rcpt = f->rcpt, .qualify_domain = "mx.example.org",
	};
}

/* Runs @argv with the pipe environment of @f and returns the output. */
static char *
run_capture(Fixture *f, const char *const *argv, int *status)
{
	MmPipeContext ctx = context(f);
	g_auto(GStrv) envp = mm_pipe_environment(&ctx);
	g_autoptr(GError) error = NULL;
	MmPipeResult result = { 0 };
	char *out;

	g_assert_true(mm_pipe_run(argv, (const char *const *)envp, NULL, 10, NULL, &result, &error));
	g_assert_no_error(error);
	if (status != NULL)
		*status = result.wait_status;
	out = g_steal_pointer(&result.output);
	mm_pipe_result_clear(&result);
	return out;
}

static void
test_env_exact(Fixture *f, gconstpointer data)
{
	const char *const argv[] = { "/usr/bin/env", NULL };
	g_autofree char *out = NULL;
	MmAddress orig = { .local_part = "Original", .domain = "example.com" };
	MmPipeContext ctx = context(f);
	g_auto(GStrv) envp = NULL;
	g_autoptr(GError) error = NULL;
	MmPipeResult result = { 0 };

	/* Nothing of ours may reach the command. */
	g_setenv("MM_TEST_SECRET", "leaked", TRUE);
	g_setenv("LD_PRELOAD", "", TRUE);
	ctx.original = &orig;
	ctx.home = "/home/bob";
	envp = mm_pipe_environment(&ctx);
	g_assert_true(mm_pipe_run(argv, (const char *const *)envp, NULL, 10, NULL, &result, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(result.output, ==,
	                "SENDER=sender@example.net\n"
	                "RETURN_PATH=sender@example.net\n"
	                "SENDER_DOMAIN=example.net\n"
	                "SENDER_LOCAL=sender\n"
	                "RECEIVED_HOST=client.example.net\n"
	                "DOMAIN=example.com\n"
	                "LOCAL_PART=Original\n"
	                "USER=Original\n"
	                "LOGNAME=Original\n"
	                "MESSAGE_ID=1aBcD2-00\n"
	                "QUALIFY_DOMAIN=mx.example.org\n"
	                "PATH=/usr/bin:/bin\n"
	                "HOME=/home/bob\n");
	mm_pipe_result_clear(&result);
	g_unsetenv("MM_TEST_SECRET");
	g_unsetenv("LD_PRELOAD");
}

static void
test_env_defaults(Fixture *f, gconstpointer data)
{
	MmPipeContext ctx = context(f);
	g_auto(GStrv) envp = NULL;

	mm_address_free(f->msg->return_path);
	f->msg->return_path = mm_address_new("", "", NULL);
	g_clear_pointer(&f->msg->received_host, g_free);
	envp = mm_pipe_environment(&ctx);
	g_assert_cmpuint(g_strv_length(envp), ==, 12);
	g_assert_cmpstr(envp[0], ==, "SENDER=");
	g_assert_cmpstr(envp[4], ==, "RECEIVED_HOST=");
	g_assert_cmpstr(envp[6], ==, "LOCAL_PART=bob");
	g_assert_cmpstr(envp[5], ==, "DOMAIN=example.org");
}

/* The MDA gets the message on stdin and the environment; written out
 * by the command itself into a file, as a real MDA would. */
static void
test_deliver_mda(Fixture *f, gconstpointer data)
{
	g_autofree char *out = g_build_filename(f->dir, "out", NULL);
	g_autofree char *env = g_build_filename(f->dir, "env", NULL);
	g_autofree char *cmd = g_strdup_printf(
	        "/bin/sh -c 'cat > \"$1\"; env | sort > \"$2\"' sh %s %s", out, env);
	g_autofree char *got = NULL, *got_env = NULL;
	MmPipeContext ctx = context(f);
	MmPipeOptions opts = {
		.render = { .flags = MM_RENDER_FROM_LINE | MM_RENDER_FROM_HACK | MM_RENDER_RETURN_PATH,
		            .envelope_to = f->rcpt, .from_time = 1 },
		.expand = TRUE,
	};
	g_autoptr(GError) error = NULL;
	g_autofree char *from = mm_render_from_line(f->msg->return_path, 1);
	g_autofree char *expected = g_strconcat(from,
	                                        "Return-path: <sender@example.net>\n"
	                                        "Envelope-to: <bob@example.org>\n"
	                                        "Subject: hello\n\n"
	                                        "line one\n>From here\n",
	                                        NULL);

	g_assert_true(mm_pipe_deliver(cmd, &ctx, &opts, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(out, &got, NULL, NULL));
	g_assert_cmpstr(got, ==, expected);
	g_assert_true(g_file_get_contents(env, &got_env, NULL, NULL));
	g_assert_nonnull(strstr(got_env, "LOCAL_PART=bob\n"));
	g_assert_null(strstr(got_env, "MM_TEST"));
}

/* Without fromline/fromhack the message goes out unchanged, as 1.0
 * pipes do by default. */
static void
test_deliver_plain(Fixture *f, gconstpointer data)
{
	g_autofree char *out = g_build_filename(f->dir, "out", NULL);
	g_autofree char *cmd = g_strdup_printf("|/usr/bin/tee %s", out);
	g_autofree char *got = NULL;
	MmPipeContext ctx = context(f);
	MmPipeOptions opts = { 0 };
	g_autoptr(GError) error = NULL;

	g_assert_true(mm_pipe_deliver(cmd, &ctx, &opts, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(out, &got, NULL, NULL));
	g_assert_cmpstr(got, ==, "Subject: hello\n\nline one\nFrom here\n");
}

/* An address can never run a command or become an option, whether the
 * command is an MDA with variables or the value reaches an argument. */
static void
test_hostile_addresses(Fixture *f, gconstpointer data)
{
	static const char *const locals[] = {
		"a;touch CANARY",  "$(touch CANARY)", "`touch CANARY`", "a b touch CANARY",
		"x\ntouch CANARY", "a|touch CANARY",  "a&&touch CANARY", "'; touch CANARY; '",
		"-oQ/tmp",         "--version",
	};
	g_autofree char *canary = g_build_filename(f->dir, "CANARY", NULL);

	g_assert_cmpint(chdir(f->dir), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(locals); i++) {
		g_autoptr(MmAddress) rcpt = mm_address_new(locals[i], "example.org", NULL);
		g_autoptr(GHashTable) vars = mm_expand_vars_new();
		g_autoptr(GError) error = NULL;
		g_auto(GStrv) argv = NULL;
		g_autofree char *out = NULL, *expected = NULL;

		g_test_message("local part [%s]", locals[i]);
		mm_expand_vars_add_rcpt(vars, rcpt);
		argv = mm_expand_argv("/usr/bin/printf [%s] ${rcpt_local}", vars, &error);
		if (locals[i][0] == '-') {
			g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
			continue;
		}
		g_assert_no_error(error);
		out = run_capture(f, (const char *const *)argv, NULL);
		expected = g_strdup_printf("[%s]", locals[i]);
		g_assert_cmpstr(out, ==, expected);
		g_assert_false(g_file_test(canary, G_FILE_TEST_EXISTS));

		/* The same through the whole delivery, with a shell as the MDA
		 * that only ever sees the value as $1. */
		{
			MmPipeContext ctx = context(f);
			MmPipeOptions opts = { .expand = TRUE };
			ctx.rcpt = rcpt;
			g_assert_true(mm_pipe_deliver("/bin/sh -c 'cat >/dev/null; test -n \"$1\"' sh "
			                              "${rcpt_local}",
			                              &ctx, &opts, &error));
			g_assert_no_error(error);
			g_assert_false(g_file_test(canary, G_FILE_TEST_EXISTS));
		}
	}
	{
		/* A value that would be an option fails for good, before
		 * anything runs. */
		g_autoptr(MmAddress) rcpt = mm_address_new("-oQ/tmp", "example.org", NULL);
		MmPipeContext ctx = context(f);
		MmPipeOptions opts = { .expand = TRUE };
		g_autoptr(GError) error = NULL;
		g_autofree char *cmd = g_strdup_printf("/usr/bin/touch %s ${rcpt_local}", canary);
		ctx.rcpt = rcpt;
		g_assert_false(mm_pipe_deliver(cmd, &ctx, &opts, &error));
		g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
		g_assert_false(g_file_test(canary, G_FILE_TEST_EXISTS));
	}
	g_assert_cmpint(chdir("/"), ==, 0);
}

static void
test_status_mapping(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *label, *command;
		int code; /* -1: delivered */
		const char *reason;
	} cases[] = {
		{ "exit-0", "/bin/sh -c 'exit 0'", -1, NULL },
		{ "tempfail", "/bin/sh -c 'echo try later; exit 75'", MM_ERROR_TEMPORARY,
		  "status 75 (EX_TEMPFAIL): try later" },
		{ "nouser", "/bin/sh -c 'echo no such user >&2; exit 67'", MM_ERROR_FAILED,
		  "status 67 (EX_NOUSER): no such user" },
		{ "exit-1", "/bin/false", MM_ERROR_FAILED, "status 1" },
		{ "exit-100", "/bin/sh -c 'exit 100'", MM_ERROR_FAILED, "status 100" },
		{ "signal", "/bin/sh -c 'kill -TERM $$'", MM_ERROR_TEMPORARY, "signal 15" },
		{ "missing-program", "/nonexistent/mda", MM_ERROR_TEMPORARY, "/nonexistent/mda" },
		{ "not-found-in-path", "no-such-mda-anywhere", MM_ERROR_TEMPORARY, "cannot find" },
		{ "bad-quoting", "/bin/true 'x", MM_ERROR_TEMPORARY, "cannot split" },
		{ "unknown-variable", "/bin/true ${nosuch}", MM_ERROR_TEMPORARY, "unknown variable" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		MmPipeContext ctx = context(f);
		MmPipeOptions opts = { .expand = TRUE };
		g_autoptr(GError) error = NULL;
		gboolean ok;

		g_test_message("%s", cases[i].label);
		ok = mm_pipe_deliver(cases[i].command, &ctx, &opts, &error);
		if (cases[i].code < 0) {
			g_assert_no_error(error);
			g_assert_true(ok);
			continue;
		}
		g_assert_false(ok);
		g_assert_error(error, MM_ERROR, cases[i].code);
		g_assert_nonnull(strstr(error->message, cases[i].reason));
	}
}

static void
test_timeout(Fixture *f, gconstpointer data)
{
	static const char *const commands[] = {
		"/bin/sleep 30",
		/* what the command starts is killed with it */
		"/bin/sh -c '/bin/sleep 30 & /bin/sleep 30'",
		/* ignoring SIGTERM does not help: the time limit uses SIGKILL */
		"/bin/sh -c 'trap \"\" TERM; /bin/sleep 30'",
	};

	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		MmPipeContext ctx = context(f);
		MmPipeOptions opts = { .timeout_secs = 1 };
		g_autoptr(GError) error = NULL;
		gint64 start = g_get_monotonic_time();

		g_test_message("%s", commands[i]);
		g_assert_false(mm_pipe_deliver(commands[i], &ctx, &opts, &error));
		g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
		g_assert_nonnull(strstr(error->message, "time limit"));
		g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
	}
}

static void
test_output(Fixture *f, gconstpointer data)
{
	const char *const both[] = { "/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3",
		                     NULL };
	const char *const flood[] = { "/bin/sh", "-c", "yes | head -c 1000000", NULL };
	MmPipeContext ctx = context(f);
	g_auto(GStrv) envp = mm_pipe_environment(&ctx);
	g_autoptr(GError) error = NULL;
	MmPipeResult result = { 0 };

	g_assert_true(mm_pipe_run(both, (const char *const *)envp, NULL, 10, NULL, &result, &error));
	g_assert_cmpstr(result.output, ==, "to-stdout\nto-stderr\n");
	g_assert_false(mm_pipe_result_check(&result, "the mda", &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
	g_assert_cmpstr(error->message, ==, "the mda exited with status 3: to-stdout | to-stderr");
	mm_pipe_result_clear(&result);
	g_clear_error(&error);

	/* The output is read to its end (the command is not blocked) but
	 * only MM_PIPE_OUTPUT_MAX bytes are kept. */
	g_assert_true(mm_pipe_run(flood, (const char *const *)envp, NULL, 10, NULL, &result, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(strlen(result.output), ==, MM_PIPE_OUTPUT_MAX);
	g_assert_true(result.output_truncated);
	g_assert_true(WIFEXITED(result.wait_status) && WEXITSTATUS(result.wait_status) == 0);
	mm_pipe_result_clear(&result);
}

/* A big message to a command that reads nothing: no SIGPIPE, no hang,
 * the exit status decides. */
static void
test_input_unread(Fixture *f, gconstpointer data)
{
	const char *const argv[] = { "/bin/true", NULL };
	MmPipeContext ctx = context(f);
	g_auto(GStrv) envp = mm_pipe_environment(&ctx);
	g_autoptr(GError) error = NULL;
	g_autofree char *big = g_strnfill(4 * 1024 * 1024, 'x');
	g_autoptr(GBytes) input = g_bytes_new_static(big, 4 * 1024 * 1024);
	MmPipeResult result = { 0 };

	g_assert_true(mm_pipe_run(argv, (const char *const *)envp, input, 10, NULL, &result, &error));
	g_assert_true(mm_pipe_result_check(&result, "true", &error));
	g_assert_no_error(error);
	mm_pipe_result_clear(&result);
}

/* A command gets fds 0-2 and nothing else, whatever the caller has
 * open without close-on-exec. */
static void
test_only_std_fds(Fixture *f, gconstpointer data)
{
	const char *const argv[] = { "/bin/sh", "-c", "ls /proc/$$/fd", NULL };
	g_autofree char *out = NULL;
	int leak = open("/dev/null", O_RDONLY); /* deliberately inheritable */

	g_assert_cmpint(leak, >=, 0);
	if (!g_file_test("/proc/self/fd", G_FILE_TEST_IS_DIR)) {
		close(leak);
		g_test_skip("needs /proc");
		return;
	}
	out = run_capture(f, argv, NULL);
	close(leak);
	/* ls looks at the shell's descriptors, which are the command's */
	g_assert_cmpstr(out, ==, "0\n1\n2\n");
}

static void
test_as_other_user(Fixture *f, gconstpointer data)
{
	const char *const argv[] = { "/bin/sh", "-c", "id -u; id -g; id -G", NULL };
	MmRunAs who = { .uid = OTHER_ID, .gid = OTHER_ID, .user = NULL };
	MmPipeContext ctx = context(f);
	g_auto(GStrv) envp = mm_pipe_environment(&ctx);
	g_autoptr(GError) error = NULL;
	MmPipeResult result = { 0 };
	g_autofree char *expected = g_strdup_printf("%d\n%d\n%d\n", OTHER_ID, OTHER_ID, OTHER_ID);

	if (geteuid() != 0) {
		g_test_skip("needs root to change ids");
		return;
	}
	g_assert_true(mm_pipe_run(argv, (const char *const *)envp, NULL, 10, &who, &result, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(result.output, ==, expected);
	mm_pipe_result_clear(&result);
}

static gboolean
child_fails(gpointer data, GError **error)
{
	g_set_error(error, MM_ERROR, GPOINTER_TO_INT(data), "reason from the child, code %d",
	            GPOINTER_TO_INT(data));
	return FALSE;
}

static gboolean
child_succeeds(gpointer data, GError **error)
{
	return TRUE;
}

static gboolean
child_dies(gpointer data, GError **error)
{
	raise(SIGKILL);
	return TRUE;
}

static gboolean
child_reports_ids(gpointer data, GError **error)
{
	if (geteuid() == OTHER_ID && getuid() == OTHER_ID && getegid() == OTHER_ID)
		return TRUE;
	g_set_error(error, MM_ERROR, MM_ERROR_FAILED, "running as %u/%u", geteuid(), getegid());
	return FALSE;
}

static void
test_call_as(Fixture *f, gconstpointer data)
{
	static const int codes[] = { MM_ERROR_FAILED, MM_ERROR_TEMPORARY, MM_ERROR_LOCKED,
		                     MM_ERROR_PERMISSION };
	g_autoptr(GError) error = NULL;

	g_assert_true(mm_pipe_call_as(NULL, child_succeeds, NULL, &error));
	g_assert_no_error(error);

	for (guint i = 0; i < G_N_ELEMENTS(codes); i++) {
		g_autofree char *msg = g_strdup_printf("reason from the child, code %d", codes[i]);
		g_assert_false(mm_pipe_call_as(NULL, child_fails, GINT_TO_POINTER(codes[i]), &error));
		g_assert_error(error, MM_ERROR, codes[i]);
		g_assert_cmpstr(error->message, ==, msg);
		g_clear_error(&error);
	}

	g_assert_false(mm_pipe_call_as(NULL, child_dies, NULL, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_assert_nonnull(strstr(error->message, "signal 9"));
}

static void
test_call_as_root(Fixture *f, gconstpointer data)
{
	MmRunAs who = { .uid = OTHER_ID, .gid = OTHER_ID, .user = NULL };
	g_autoptr(GError) error = NULL;

	if (geteuid() != 0) {
		g_test_skip("needs root to change ids");
		return;
	}
	g_assert_true(mm_pipe_call_as(&who, child_reports_ids, NULL, &error));
	g_assert_no_error(error);
	/* and the parent is still root */
	g_assert_cmpuint(geteuid(), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
	ADD("/pipe/env/exact", test_env_exact);
	ADD("/pipe/env/defaults", test_env_defaults);
	ADD("/pipe/deliver/mda", test_deliver_mda);
	ADD("/pipe/deliver/plain", test_deliver_plain);
	ADD("/pipe/safety/hostile-addresses", test_hostile_addresses);
	ADD("/pipe/safety/only-std-fds", test_only_std_fds);
	ADD("/pipe/status/mapping", test_status_mapping);
	ADD("/pipe/limit/timeout", test_timeout);
	ADD("/pipe/limit/output", test_output);
	ADD("/pipe/input/unread", test_input_unread);
	ADD("/pipe/user/run-as", test_as_other_user);
	ADD("/pipe/user/call-as", test_call_as);
	ADD("/pipe/user/call-as-root", test_call_as_root);
#undef ADD
	return g_test_run();
}
