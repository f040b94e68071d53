/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The log file's lines: "YYYY-MM-DD HH:MM:SS ident[pid]: text", the
 * stamp in local time, one line per call.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "testlib.h"

static void
test_log_line_format(void)
{
	g_autofree char *dir = mm_test_make_dir("log");
	g_autofree char *path = g_build_filename(dir, "masqmail.log", NULL);
	g_autofree char *text = NULL;
	g_autofree char *expect = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = NULL;

	mm_log_init("logtest");
	g_assert_true(mm_log_open(FALSE, dir, 0, &error));
	g_assert_no_error(error);
	mm_log(LOG_NOTICE, "first %d", 1);
	mm_log(LOG_WARNING, "second");
	mm_log_close();

	g_assert_true(g_file_get_contents(path, &text, NULL, &error));
	lines = g_strsplit(text, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 3);
	g_assert_cmpstr(lines[2], ==, "");
	g_assert_true(g_regex_match_simple("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} ", lines[0], 0, 0));
	expect = g_strdup_printf(" logtest[%d]: first 1", (int)getpid());
	g_assert_cmpstr(lines[0] + 19, ==, expect);
	g_free(expect);
	expect = g_strdup_printf(" logtest[%d]: second", (int)getpid());
	g_assert_cmpstr(lines[1] + 19, ==, expect);
	/* local time, as GLib has it: the day before or after the calls
	 * (they may run over midnight) */
	{
		g_autoptr(GDateTime) later = g_date_time_new_now_local();
		g_autofree char *before = g_date_time_format(now, "%Y-%m-%d");
		g_autofree char *after = g_date_time_format(later, "%Y-%m-%d");
		g_autofree char *day = g_strndup(lines[0], 10);

		if (g_strcmp0(day, before) != 0)
			g_assert_cmpstr(day, ==, after);
	}
	mm_test_remove_tree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/log/line-format", test_log_line_format);
	return g_test_run();
}
