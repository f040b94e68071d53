/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of deliver/expand.c: the ${var} language of templates and the
 * splitting and expansion of MDA and pipe commands, above all that no
 * value from an envelope can add words, run anything or become an
 * option.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "base/limits.h"
#include "deliver/expand.h"

static GHashTable *
test_vars(const char *rcpt_local)
{
	GHashTable *vars = mm_expand_vars_new();
	g_autoptr(MmMessage) msg = mm_message_new();
	g_autoptr(MmAddress) rcpt = mm_address_new(rcpt_local, "example.org", NULL);

	msg->uid = g_strdup("1aBcD2-00");
	msg->return_path = mm_address_new("sender", "example.net", NULL);
	msg->received_host = g_strdup("client.example.net");
	mm_expand_vars_add_message(vars, msg);
	mm_expand_vars_add_rcpt(vars, rcpt);
	mm_expand_vars_add_conf(vars, "mx.example.org");
	return vars;
}

static void
test_vars_values(void)
{
	g_autoptr(GHashTable) vars = test_vars("bob");
	static const struct {
		const char *name, *value;
	} cases[] = {
		{ "uid", "1aBcD2-00" },
		{ "received_host", "client.example.net" },
		{ "ident", "" },
		{ "return_path", "sender@example.net" },
		{ "return_path_local", "sender" },
		{ "return_path_domain", "example.net" },
		{ "rcpt", "bob@example.org" },
		{ "rcpt_local", "bob" },
		{ "rcpt_domain", "example.org" },
		{ "host_name", "mx.example.org" },
		{ "package", PACKAGE },
		{ "version", VERSION },
	};

	g_assert_cmpuint(g_hash_table_size(vars), ==, G_N_ELEMENTS(cases));
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpstr(g_hash_table_lookup(vars, cases[i].name), ==, cases[i].value);
}

static void
test_vars_null_sender(void)
{
	g_autoptr(GHashTable) vars = mm_expand_vars_new();
	g_autoptr(MmMessage) msg = mm_message_new();

	msg->uid = g_strdup("x");
	msg->return_path = mm_address_new("", "", NULL);
	mm_expand_vars_add_message(vars, msg);
	g_assert_cmpstr(g_hash_table_lookup(vars, "return_path"), ==, "");
	g_assert_cmpstr(g_hash_table_lookup(vars, "return_path_local"), ==, "");
}

static void
test_text(void)
{
	static const struct {
		const char *label, *text, *expected;
	} cases[] = {
		{ "plain", "no variables here", "no variables here" },
		{ "braces", "to ${rcpt} from ${return_path}", "to bob@example.org from sender@example.net" },
		{ "bare", "$rcpt_local at $rcpt_domain.", "bob at example.org." },
		{ "dash-in-name", "$rcpt_local-x", "" },
		{ "unknown-is-empty", "[${nosuch}]", "[]" },
		{ "backslash", "\\$rcpt and \\\\", "$rcpt and \\" },
		{ "lone-dollar", "costs $ 5, $", "costs $ 5, $" },
		{ "adjacent", "${rcpt_local}${rcpt_local}", "bobbob" },
		{ "value-not-reexpanded", "${uid}", "1aBcD2-00" },
	};
	g_autoptr(GHashTable) vars = test_vars("bob");

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *out = mm_expand_text(cases[i].text, vars, &error);
		g_test_message("%s", cases[i].label);
		g_assert_no_error(error);
		g_assert_cmpstr(out, ==, cases[i].expected);
	}
}

static void
test_text_errors(void)
{
	g_autoptr(GHashTable) vars = test_vars("bob");
	g_autofree char *long_name = g_strdup_printf("${%0*d}", MM_EXPAND_NAME_MAX + 1, 0);
	g_autofree char *big = g_strnfill(MM_EXPAND_RESULT_MAX / 2 + 1, 'x');
	static const struct {
		const char *label;
		const char *text;
		int code;
	} cases[] = {
		{ "unterminated", "abc ${rcpt", MM_ERROR_PARSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *out = mm_expand_text(cases[i].text, vars, &error);
		g_test_message("%s", cases[i].label);
		g_assert_null(out);
		g_assert_error(error, MM_ERROR, cases[i].code);
	}

	{
		g_autoptr(GError) error = NULL;
		g_autofree char *out = mm_expand_text(long_name, vars, &error);
		g_assert_null(out);
		g_assert_error(error, MM_ERROR, MM_ERROR_PARSE);
	}
	{
		g_autoptr(GError) error = NULL;
		g_autofree char *out = NULL;
		g_hash_table_replace(vars, g_strdup("big"), g_strdup(big));
		out = mm_expand_text("${big}${big}", vars, &error);
		g_assert_null(out);
		g_assert_error(error, MM_ERROR, MM_ERROR_LIMIT);
	}
}

static void
assert_argv(char **argv, const char *expected)
{
	g_autofree char *joined = g_strjoinv("|", argv);
	g_assert_cmpstr(joined, ==, expected);
}

static void
test_argv(void)
{
	static const struct {
		const char *label, *command, *expected; /* words joined by '|' */
	} cases[] = {
		{ "procmail", "/usr/bin/procmail -d ${rcpt_local}", "/usr/bin/procmail|-d|bob" },
		{ "bare-name", "procmail -d $rcpt_local", "procmail|-d|bob" },
		{ "double-quotes", "/bin/x \"a ${rcpt}\"", "/bin/x|a bob@example.org" },
		{ "single-quotes-literal", "/bin/x '${rcpt}'", "/bin/x|${rcpt}" },
		{ "backslash-dollar", "/bin/x \\$HOME", "/bin/x|$HOME" },
		{ "backslash-dollar-dq", "/bin/x \"\\${rcpt}\"", "/bin/x|${rcpt}" },
		{ "escaped-quote-dq", "/bin/x \"a\\\"${rcpt_local}\"", "/bin/x|a\"bob" },
		{ "backslash-backslash", "/bin/x \\\\${rcpt_local}", "/bin/x|\\bob" },
		{ "option-template", "/bin/x -f${return_path} --to=${rcpt}",
		  "/bin/x|-fsender@example.net|--to=bob@example.org" },
		{ "empty-value-stays-a-word", "/bin/x ${ident} end", "/bin/x||end" },
		{ "lone-dollar", "/bin/x $ a$", "/bin/x|$|a$" },
		{ "spaces", "  /bin/x\t  a   b  ", "/bin/x|a|b" },
	};
	g_autoptr(GHashTable) vars = test_vars("bob");

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_auto(GStrv) argv = mm_expand_argv(cases[i].command, vars, &error);
		g_test_message("%s", cases[i].label);
		g_assert_no_error(error);
		assert_argv(argv, cases[i].expected);
	}
}

static void
test_argv_errors(void)
{
	static const struct {
		const char *label, *command;
		int code;
	} cases[] = {
		{ "empty", "", MM_ERROR_CONFIG },
		{ "blank", "   ", MM_ERROR_CONFIG },
		{ "unbalanced", "/bin/x 'abc", MM_ERROR_CONFIG },
		{ "program-from-variable", "${rcpt_local} x", MM_ERROR_CONFIG },
		{ "program-part-variable", "/home/${rcpt_local}/bin/x", MM_ERROR_CONFIG },
		{ "unknown-variable", "/bin/x ${nosuch}", MM_ERROR_CONFIG },
		{ "unterminated", "/bin/x ${rcpt", MM_ERROR_CONFIG },
		{ "control-character", "/bin/x \001", MM_ERROR_CONFIG },
	};
	g_autoptr(GHashTable) vars = test_vars("bob");

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_auto(GStrv) argv = mm_expand_argv(cases[i].command, vars, &error);
		g_test_message("%s", cases[i].label);
		g_assert_null(argv);
		g_assert_error(error, MM_ERROR, cases[i].code);
	}
}

/* Local parts an attacker may choose. None may add a word, and one
 * that starts with '-' must not become an option. */
static const char *const hostile[] = {
	"a;touch /tmp/pwned",
	"$(touch /tmp/pwned)",
	"`touch /tmp/pwned`",
	"a b c",
	"a\nb",
	"a\tb",
	"'quoted'",
	"\"dq\"",
	"${uid}",
	"$rcpt",
	"\\$x",
	"a|b&c>d<e",
	"*",
	"~root",
	"-oQ/tmp",
	"--help",
	"-",
};

static void
test_argv_hostile(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(hostile); i++) {
		g_autoptr(GHashTable) vars = test_vars(hostile[i]);
		g_autoptr(GError) error = NULL;
		g_auto(GStrv) argv = mm_expand_argv("/bin/x -d ${rcpt_local}", vars, &error);
		g_auto(GStrv) inner = NULL;
		g_autofree char *wrapped = g_strconcat("x", hostile[i], NULL);

		g_test_message("local part [%s]", hostile[i]);
		if (hostile[i][0] == '-') {
			g_assert_null(argv);
			g_assert_error(error, MM_ERROR, MM_ERROR_FAILED);
		} else {
			g_assert_no_error(error);
			g_assert_cmpuint(g_strv_length(argv), ==, 3);
			g_assert_cmpstr(argv[2], ==, hostile[i]);
		}

		/* Inside a word the value is just text, '-' or not. */
		inner = mm_expand_argv("/bin/x x${rcpt_local}", vars, NULL);
		g_assert_nonnull(inner);
		g_assert_cmpuint(g_strv_length(inner), ==, 2);
		g_assert_cmpstr(inner[1], ==, wrapped);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/expand/vars/values", test_vars_values);
	g_test_add_func("/expand/vars/null-sender", test_vars_null_sender);
	g_test_add_func("/expand/text/cases", test_text);
	g_test_add_func("/expand/text/errors", test_text_errors);
	g_test_add_func("/expand/argv/cases", test_argv);
	g_test_add_func("/expand/argv/errors", test_argv_errors);
	g_test_add_func("/expand/argv/hostile", test_argv_hostile);
	return g_test_run();
}
