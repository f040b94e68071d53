/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include <string.h>

#include "queue/accept.h"
#include "queue/spool.h"
#include "testlib.h"

void
mm_test_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		GDir *dir;
		const char *name;

		g_chmod(path, 0700);
		dir = g_dir_open(path, 0, NULL);
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			mm_test_remove_tree(child);
		}
		if (dir != NULL)
			g_dir_close(dir);
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

char *
mm_test_make_dir(const char *prefix)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *template = g_strdup_printf("%s-XXXXXX", prefix);
	char *dir = g_dir_make_tmp(template, &error);

	g_assert_no_error(error);
	return dir;
}

char *
mm_test_write_file(const char *dir, const char *name, const char *content)
{
	char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, content, -1, &error);
	g_assert_no_error(error);
	return path;
}

char *
mm_test_queue_message(const char *spool, const char *host, const char *from, const char *rcpts,
                      const char *body)
{
	g_autoptr(MmMessage) msg = mm_message_new();
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) words = g_strsplit(rcpts, " ", -1);
	g_autofree char *text = g_strdup_printf("Subject: test\n\n%s", body);
	MmAcceptContext ctx = { .host_name = host };

	msg->return_path = mm_address_parse_path(from, host, TRUE, &error);
	g_assert_no_error(error);
	for (guint i = 0; words[i]; i++) {
		g_autoptr(MmAddress) addr = mm_address_parse_path(words[i], host, FALSE, &error);
		g_assert_no_error(error);
		g_ptr_array_add(msg->rcpts, mm_recipient_new(addr));
	}
	msg->protocol = g_strdup("local");
	g_assert_true(mm_accept_parse_text(msg, text, strlen(text), &error));
	g_assert_true(mm_accept_prepare(msg, &ctx, &error));
	g_assert_no_error(error);
	g_assert_true(mm_spool_write(spool, msg, &error));
	g_assert_no_error(error);
	return g_strdup(msg->uid);
}

void
mm_test_deliver_uid(const char *spool, MmDeliverRun *run, const char *uid, MmDeliverReport *report)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmSpoolLock) lock = mm_spool_lock(spool, uid, &error);
	g_autoptr(MmMessage) msg = NULL;

	g_assert_no_error(error);
	msg = mm_spool_read(spool, uid, TRUE, &error);
	g_assert_no_error(error);
	g_assert_true(mm_deliver_message(run, msg, report, &error));
	g_assert_no_error(error);
}
