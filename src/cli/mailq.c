/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * mailq.c: listing the queue (-bp) and removing messages (-Mrm). Who may
 * remove what is decided here: root, the mail user and the mail group
 * may remove any message; others only those they submitted locally.
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/privileges.h"
#include "cli/commands.h"
#include "queue/queue.h"

int
mm_cmd_exit_status(const GError *error)
{
	if (error->domain != MM_ERROR)
		return EX_SOFTWARE;
	switch (error->code) {
	case MM_ERROR_TEMPORARY:
	case MM_ERROR_LOCKED:
		return EX_TEMPFAIL;
	case MM_ERROR_PARSE:
		return EX_DATAERR;
	case MM_ERROR_LIMIT:
		return EX_DATAERR;
	case MM_ERROR_CONFIG:
		return EX_CONFIG;
	case MM_ERROR_NOT_FOUND:
		return EX_NOINPUT;
	case MM_ERROR_PERMISSION:
		return EX_NOPERM;
	case MM_ERROR_CORRUPT:
		return EX_DATAERR;
	default:
		return EX_SOFTWARE;
	}
}

int
mm_cmd_list_queue(const MmConf *conf)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;

	if (!mm_queue_print(conf->spool_dir, out, &error)) {
		fprintf(stderr, "masqmail: cannot list the queue: %s\n", error->message);
		return mm_cmd_exit_status(error);
	}
	fputs(out->str, stdout);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

int
mm_cmd_remove(const MmConf *conf, const char *const *uids)
{
	g_autofree char *owner = NULL;
	int status = EX_OK;

	if (!mm_priv_caller_is_trusted(MM_USER, MM_GROUP)) {
		struct passwd *pw = getpwuid(getuid());
		if (!pw) {
			fprintf(stderr, "masqmail: who are you? (no user name for uid %u)\n", (unsigned)getuid());
			return EX_NOUSER;
		}
		owner = g_strdup(pw->pw_name);
	}
	for (; uids && *uids; uids++) {
		g_autoptr(GError) error = NULL;
		if (!mm_queue_remove(conf->spool_dir, *uids, owner, &error)) {
			fprintf(stderr, "masqmail: %s not removed: %s\n", *uids, error->message);
			if (status == EX_OK)
				status = mm_cmd_exit_status(error);
			continue;
		}
		mm_log(LOG_NOTICE, "%s removed by uid=%u", *uids, (unsigned)getuid());
	}
	return status;
}
