/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * local_rcpt.c decides how and as whom one local recipient is
 * delivered (see local_rcpt.h) and hands the work to mbox.c,
 * maildir.c or pipe.c. It never changes its own ids: those modules do
 * it in children.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "deliver/local_rcpt.h"
#include "deliver/maildir.h"
#include "deliver/mbox.h"
#include "deliver/pipe.h"

/* Who a delivery is for, as far as the password database knows. */
typedef struct {
	char *name;   /* the user name the delivery is for */
	char *home;   /* NULL when unknown */
	uid_t uid;    /* (uid_t)-1 when no such user */
	gid_t gid;
} LocalUser;

static void
local_user_clear(LocalUser *u)
{
	g_clear_pointer(&u->name, g_free);
	g_clear_pointer(&u->home, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(LocalUser, local_user_clear)

/* Fills @out; FALSE (temporary) when the password database could not
 * be read, which is no answer: "no such user" would bounce the mail. */
static gboolean
local_user_lookup(const char *name, LocalUser *out, GError **error)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	out->name = g_strdup(name);
	out->home = pw ? g_strdup(pw->pw_dir) : NULL;
	out->uid = pw ? pw->pw_uid : (uid_t)-1;
	out->gid = pw ? pw->pw_gid : (gid_t)-1;
	if (pw == NULL && errno != 0 && errno != ENOENT && errno != ESRCH) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "cannot look up user %s: %s", name,
		            g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

const char *
mm_local_method_name(MmLocalMethod method)
{
	switch (method) {
	case MM_LOCAL_METHOD_MBOX:
		return "mbox";
	case MM_LOCAL_METHOD_MAILDIR:
		return "maildir";
	case MM_LOCAL_METHOD_MDA:
		return "mda";
	default:
		return "?";
	}
}

static gboolean
user_listed(char *const *list, const char *user)
{
	for (; list && *list; list++) {
		if (g_ascii_strcasecmp(*list, user) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean
mm_local_rcpt_method(const MmConf *conf, const char *user, MmLocalMethod *method, GError **error)
{
	const char *name = conf->mbox_default ? conf->mbox_default : "mbox";

	g_return_val_if_fail(user != NULL && method != NULL, FALSE);

	/* 1.0 looks at mbox_users first: a user in both lists gets an mbox */
	if (user_listed(conf->mbox_users, user))
		name = "mbox";
	else if (user_listed(conf->mda_users, user))
		name = "mda";
	else if (user_listed(conf->maildir_users, user))
		name = "maildir";

	if (strcmp(name, "mbox") == 0) {
		*method = MM_LOCAL_METHOD_MBOX;
	} else if (strcmp(name, "maildir") == 0) {
		*method = MM_LOCAL_METHOD_MAILDIR;
	} else if (strcmp(name, "mda") == 0) {
		if (conf->mda == NULL || conf->mda[0] == '\0') {
			g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
			            "delivery to %s is by MDA, but mda is not set", user);
			return FALSE;
		}
		*method = MM_LOCAL_METHOD_MDA;
	} else {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG, "unknown mbox_default \"%s\"", name);
		return FALSE;
	}
	return TRUE;
}

MmLocalIds
mm_local_rcpt_ids(uid_t euid, uid_t target, gboolean run_as_user)
{
	if (euid == 0)
		return MM_LOCAL_IDS_SWITCH;
	if (target != (uid_t)-1 && target == euid)
		return MM_LOCAL_IDS_CURRENT;
	return run_as_user ? MM_LOCAL_IDS_CURRENT : MM_LOCAL_IDS_REFUSE;
}

gid_t
mm_local_rcpt_mailbox_gid(const struct stat *mail_dir, gid_t user_gid)
{
	/* A directory only a group may write to is how a system lets
	 * deliveries make mailboxes without root: they need that group.
	 * Root's group never counts, so nothing runs as gid 0. */
	if (mail_dir != NULL && S_ISDIR(mail_dir->st_mode) && (mail_dir->st_mode & S_IWGRP) &&
	    !(mail_dir->st_mode & S_IWOTH) && mail_dir->st_gid != 0)
		return mail_dir->st_gid;
	return user_gid;
}

/* Fills @who for @user, or says why the delivery cannot happen. Sets
 * *@switch_ids to whether @who applies. */
static gboolean
decide_ids(const MmConf *conf, const LocalUser *user, gboolean for_mailbox, MmRunAs *who,
           gboolean *switch_ids, GError **error)
{
	switch (mm_local_rcpt_ids(geteuid(), user->uid, conf->run_as_user)) {
	case MM_LOCAL_IDS_SWITCH:
		if (user->uid == (uid_t)-1) {
			g_set_error(error, MM_ERROR, MM_ERROR_NOT_FOUND, "no such user %s", user->name);
			return FALSE;
		}
		who->uid = user->uid;
		who->gid = user->gid;
		who->user = user->name;
		if (for_mailbox) {
			struct stat st;
			if (stat(conf->mail_dir, &st) == 0)
				who->gid = mm_local_rcpt_mailbox_gid(&st, user->gid);
		}
		*switch_ids = TRUE;
		return TRUE;
	case MM_LOCAL_IDS_CURRENT:
		*switch_ids = FALSE;
		return TRUE;
	case MM_LOCAL_IDS_REFUSE:
	default:
		g_set_error(error, MM_ERROR, MM_ERROR_PERMISSION,
		            "local delivery to %s needs root (or run_as_user)", user->name);
		return FALSE;
	}
}

gboolean
mm_local_rcpt_deliver(const MmConf *conf, const MmMessage *msg, const MmAddress *rcpt,
                      const MmAddress *original, MmLocalMethod *method_out, GError **error)
{
	g_auto(LocalUser) user = { 0 };
	g_autofree char *path = NULL;
	MmLocalMethod method;
	MmRunAs who = { 0 };
	gboolean switch_ids = FALSE;
	gboolean ok = FALSE;

	g_return_val_if_fail(conf != NULL && msg != NULL && rcpt != NULL, FALSE);
	if (original == NULL)
		original = rcpt;

	/* the local part is the user name, as in 1.0; refuse what cannot
	 * name a file before anything else looks at it */
	path = mm_mbox_path(conf->mail_dir, rcpt->local_part, error);
	if (path == NULL)
		return FALSE;
	if (!mm_local_rcpt_method(conf, rcpt->local_part, &method, error))
		return FALSE;
	if (!local_user_lookup(rcpt->local_part, &user, error))
		return FALSE;
	if (!decide_ids(conf, &user, method != MM_LOCAL_METHOD_MDA, &who, &switch_ids, error))
		return FALSE;

	switch (method) {
	case MM_LOCAL_METHOD_MBOX: {
		MmMboxOptions opts = { .envelope_to = original };
		ok = mm_mbox_deliver_as(switch_ids ? &who : NULL, path, msg, &opts, error);
		break;
	}
	case MM_LOCAL_METHOD_MAILDIR:
		ok = mm_maildir_deliver_as(switch_ids ? &who : NULL, path, msg, original, error);
		break;
	case MM_LOCAL_METHOD_MDA: {
		MmPipeContext ctx = {
			.msg = msg,
			.rcpt = rcpt,
			.original = original,
			.qualify_domain = conf->host_name,
			.home = user.home,
		};
		MmPipeOptions opts = {
			.render = {
				.flags = MM_RENDER_RETURN_PATH | (conf->mda_fromline ? MM_RENDER_FROM_LINE : 0) |
				         (conf->mda_fromhack ? MM_RENDER_FROM_HACK : 0),
				.envelope_to = original,
			},
			.expand = TRUE,
			.run_as = switch_ids ? &who : NULL,
		};
		ok = mm_pipe_deliver(conf->mda, &ctx, &opts, error);
		break;
	}
	}
	if (ok && method_out)
		*method_out = method;
	return ok;
}

gboolean
mm_local_rcpt_deliver_pipe(const MmConf *conf, const MmMessage *msg, const char *pipe,
                           const MmAddress *original, GError **error)
{
	g_auto(LocalUser) user = { 0 };
	g_autoptr(GError) local_error = NULL;
	MmRunAs who = { 0 };
	gboolean switch_ids = FALSE;

	g_return_val_if_fail(conf != NULL && msg != NULL && pipe != NULL, FALSE);

	/* never root: a pipe from an alias file runs as the mail user */
	if (!local_user_lookup(MM_USER, &user, &local_error)) {
		g_propagate_prefixed_error(error, g_steal_pointer(&local_error), "pipe %s: ", pipe);
		return FALSE;
	}
	if (geteuid() == 0 && (user.uid == (uid_t)-1 || user.uid == 0)) {
		g_set_error(error, MM_ERROR, MM_ERROR_CONFIG,
		            "pipe %s not run: the mail user %s is missing or is root", pipe, MM_USER);
		return FALSE;
	}
	if (!decide_ids(conf, &user, FALSE, &who, &switch_ids, &local_error)) {
		g_propagate_prefixed_error(error, g_steal_pointer(&local_error), "pipe %s: ", pipe);
		return FALSE;
	}

	MmPipeContext ctx = {
		.msg = msg,
		.original = original,
		.qualify_domain = conf->host_name,
	};
	MmPipeOptions opts = {
		.render = {
			.flags = MM_RENDER_RETURN_PATH | (conf->pipe_fromline ? MM_RENDER_FROM_LINE : 0) |
			         (conf->pipe_fromhack ? MM_RENDER_FROM_HACK : 0),
			.envelope_to = original,
		},
		/* 1.0 splits pipe items but expands no variables in them */
		.expand = FALSE,
		.run_as = switch_ids ? &who : NULL,
	};
	return mm_pipe_deliver(pipe, &ctx, &opts, error);
}

gboolean
mm_local_rcpt_error_is_temporary(const GError *error)
{
	return error == NULL || !(g_error_matches(error, MM_ERROR, MM_ERROR_FAILED) ||
	                          g_error_matches(error, MM_ERROR, MM_ERROR_NOT_FOUND));
}
