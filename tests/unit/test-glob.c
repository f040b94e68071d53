/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Glob matching of configuration patterns: fnmatch(3) semantics over
 * bytes, including patterns and text that are not UTF-8 (GPatternSpec
 * aborted on those: found by the route fuzzer).
 */
#include "config.h"

#include "base/glob.h"
#include "deliver/alias.h"
#include "netdetect/netdetect.h"

static const struct {
	const char *pattern;
	const char *text;
	gboolean match;
} cases[] = {
	{ "*", "anything", TRUE },
	{ "*.example", "host.example", TRUE },
	{ "*.example", "host.example.org", FALSE },
	{ "h?st", "host", TRUE },
	{ "h?st", "hoost", FALSE },
	{ "[ab]*", "alice", TRUE },
	{ "[ab]*", "carol", FALSE },
	{ "user@*", "user@host", TRUE },
	{ "\xff*", "\xff\xfe", TRUE },
	{ "\xff*", "abc", FALSE },
	{ "*", "\xc3\x28", TRUE },
	{ "a\xe9*", "a\xe9t\xe9", TRUE },
	{ "", "", TRUE },
	{ "", "x", FALSE },
};

static void
test_glob_cases(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("case %zu", i);
		g_assert_cmpint(mm_glob_match(cases[i].pattern, cases[i].text), ==, cases[i].match);
	}
}

/* The places that still use GPatternSpec refuse invalid UTF-8 up front. */
static void
test_glob_alias_key_not_utf8(void)
{
	static const char text[] = "\xff*@host.example: root\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAliasTable) table =
		mm_alias_table_parse(text, sizeof text - 1, "globaliases", MM_ALIAS_TABLE_GLOB, &error);

	g_assert_no_error(error);
	g_assert_nonnull(table);
	g_assert_false(mm_alias_table_check(table, &error));
	g_assert_nonnull(strstr(error->message, "UTF-8"));
}

static void
test_glob_interfaces_not_utf8(void)
{
	const char *globs[] = { "ppp\xff*", NULL };
	g_autoptr(GError) error = NULL;
	NdProfile *profile = nd_profile_new("isp");

	g_assert_false(nd_profile_set_interfaces(profile, globs, &error));
	g_assert_nonnull(error);
	nd_profile_free(profile);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/glob/cases", test_glob_cases);
	g_test_add_func("/glob/alias-key-not-utf8", test_glob_alias_key_not_utf8);
	g_test_add_func("/glob/interfaces-not-utf8", test_glob_interfaces_not_utf8);
	return g_test_run();
}
