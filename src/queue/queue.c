/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The queue listing (-bp, mailq), removal (-Mrm, mailrm) and the
 * collection of what interrupted writes leave; see queue.h. The listing keeps 1.0's line format, so that scripts that
 * read mailq's output keep working; unlike 1.0 it also shows recipients
 * that are already done, with 1.0's markers for them.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "queue/queue.h"
#include "queue/spool.h"

/* 1.0 indents recipients under the "UID <= " of their message */
#define RCPT_INDENT "              "

char *
mm_queue_format_age(gint64 seconds)
{
	static const struct {
		gint64 above;
		double unit;
		char suffix;
	} units[] = {
		{ 86400, 86400.0, 'd' },
		{ 3600, 3600.0, 'h' },
		{ 60, 60.0, 'm' },
	};
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
		if (seconds > units[i].above) {
			g_ascii_formatd(buf, sizeof buf, "%.1f", (double)seconds / units[i].unit);
			return g_strdup_printf("%s%c", buf, units[i].suffix);
		}
	}
	return g_strdup_printf("%" G_GINT64_FORMAT "s", seconds);
}

static const char *
rcpt_marker(MmRcptState state)
{
	switch (state) {
	case MM_RCPT_DELIVERED:
		return "=>";
	case MM_RCPT_FAILED:
		return "!=";
	case MM_RCPT_PENDING:
	default:
		return "==";
	}
}

void
mm_queue_format_message(const MmMessage *msg, gint64 now, GString *out)
{
	g_autofree char *rp = mm_address_to_path(msg->return_path);

	g_string_append_printf(out, "%s <= %s", msg->uid, rp);
	if (msg->data_size >= 0)
		g_string_append_printf(out, " size=%" G_GINT64_FORMAT, msg->data_size);
	if (msg->received_time > 0) {
		g_autofree char *age = mm_queue_format_age(now - msg->received_time);

		g_string_append_printf(out, " age=%s", age);
	}
	if (msg->received_host != NULL)
		g_string_append_printf(out, " host=%s", msg->received_host);
	if (msg->ident != NULL)
		g_string_append_printf(out, " ident=%s", msg->ident);
	g_string_append_c(out, '\n');

	for (guint i = 0; i < msg->rcpts->len; i++) {
		const MmRecipient *rcpt = g_ptr_array_index(msg->rcpts, i);
		g_autofree char *path = NULL;

		if (rcpt->pipe == NULL)
			path = mm_address_to_path(rcpt->address);
		g_string_append_printf(out, RCPT_INDENT "%s %s\n", rcpt_marker(rcpt->state),
		                       rcpt->pipe != NULL ? rcpt->pipe : path);
	}
}

gboolean
mm_queue_list(const char *spool_dir, gint64 now, GString *out, GString *problems, GError **error)
{
	g_autoptr(GPtrArray) uids = NULL;
	guint listed = 0, damaged = 0;

	uids = mm_spool_list_uids(spool_dir, error);
	if (uids == NULL)
		return FALSE;

	for (guint i = 0; i < uids->len; i++) {
		const char *uid = g_ptr_array_index(uids, i);
		g_autoptr(GError) local = NULL;
		g_autoptr(MmMessage) msg = mm_spool_read(spool_dir, uid, FALSE, &local);

		if (msg == NULL) {
			/* delivered and removed since we listed the directory */
			if (g_error_matches(local, MM_ERROR, MM_ERROR_NOT_FOUND))
				continue;
			damaged++;
			if (problems != NULL)
				g_string_append_printf(problems, "%s: damaged spool entry, skipped: %s\n", uid,
				                       local->message);
			continue;
		}
		mm_queue_format_message(msg, now, out);
		listed++;
	}
	if (listed == 0 && damaged == 0)
		g_string_append(out, "mail queue is empty.\n");
	return TRUE;
}

gboolean
mm_queue_print(const char *spool_dir, GString *out, GError **error)
{
	g_autoptr(GString) problems = g_string_new(NULL);
	gboolean ok;

	ok = mm_queue_list(spool_dir, g_get_real_time() / G_USEC_PER_SEC, out, problems, error);
	if (problems->len > 0) {
		fputs(problems->str, stderr);
		fflush(stderr);
	}
	return ok;
}

/* 1.0: a user may remove what he sent from this host, nothing else. */
static gboolean
check_owner(const MmMessage *msg, const char *owner, GError **error)
{
	if (msg->ident == NULL || strcmp(msg->ident, owner) != 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_PERMISSION, "message %s: not yours", msg->uid);
		return FALSE;
	}
	if (msg->received_host != NULL ||
	    (msg->protocol != NULL && g_ascii_strcasecmp(msg->protocol, "local") != 0)) {
		g_set_error(error, MM_ERROR, MM_ERROR_PERMISSION,
		            "message %s: not submitted locally", msg->uid);
		return FALSE;
	}
	return TRUE;
}

gboolean
mm_queue_remove(const char *spool_dir, const char *uid, const char *owner, GError **error)
{
	g_autoptr(MmSpoolLock) lock = NULL;
	g_autoptr(GError) local = NULL;

	lock = mm_spool_lock(spool_dir, uid, &local);
	if (lock == NULL) {
		/* An -H without its -D cannot be locked; a privileged caller
		 * may still clear it away. */
		if (owner != NULL || !g_error_matches(local, MM_ERROR, MM_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		return mm_spool_remove_whole(spool_dir, uid, error);
	}
	if (owner != NULL) {
		g_autoptr(MmMessage) msg = mm_spool_read(spool_dir, uid, FALSE, error);

		if (msg == NULL || !check_owner(msg, owner, error))
			return FALSE;
	}
	return mm_spool_remove_whole(spool_dir, uid, error);
}

guint
mm_queue_collect_orphans(const char *spool_dir, gint64 now)
{
	g_autoptr(GPtrArray) uids = NULL;
	g_autoptr(GError) error = NULL;
	guint n = 0;

	uids = mm_spool_list_leftovers(spool_dir, &error);
	if (uids == NULL) {
		mm_log(LOG_ERR, "cannot look for leftovers in the queue: %s", error->message);
		return 0;
	}
	for (guint i = 0; i < uids->len; i++) {
		const char *uid = g_ptr_array_index(uids, i);
		guint removed = 0;

		g_clear_error(&error);
		if (!mm_spool_remove_orphan(spool_dir, uid, MM_QUEUE_ORPHAN_GRACE_SECS, now, &removed,
		                            &error)) {
			/* held: being written or worked on, so not a leftover */
			if (!g_error_matches(error, MM_ERROR, MM_ERROR_LOCKED))
				mm_log(LOG_ERR, "%s: cannot remove leftovers: %s", uid, error->message);
			continue;
		}
		if (removed & MM_SPOOL_LEFTOVER_TEMP) {
			mm_log(LOG_NOTICE, "%s-H.tmp removed: left by an interrupted write", uid);
			n++;
		}
		if (removed & MM_SPOOL_LEFTOVER_DATA) {
			mm_log(LOG_NOTICE, "%s-D removed: data without envelope, left by an interrupted write or removal",
			       uid);
			n++;
		}
	}
	return n;
}
