/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * privileges.c is the only code that changes the process's user and
 * group ids. It changes them permanently (setresuid/setresgid), never
 * back and forth, and verifies the result.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "base/error.h"
#include "base/privileges.h"

gboolean
mm_priv_is_setid(void)
{
	return getuid() != geteuid() || getgid() != getegid();
}

static gboolean
caller_in_group(gid_t gid)
{
	int n = getgroups(0, NULL);
	if (getgid() == gid)
		return TRUE;
	if (n <= 0)
		return FALSE;
	g_autofree gid_t *groups = g_new(gid_t, n);
	n = getgroups(n, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return TRUE;
	return FALSE;
}

gboolean
mm_priv_caller_is_trusted(const char *mail_user, const char *mail_group)
{
	uid_t uid = getuid();
	struct passwd *pw;
	struct group *gr;

	if (uid == 0)
		return TRUE;
	pw = mail_user ? getpwnam(mail_user) : NULL;
	if (pw && pw->pw_uid == uid)
		return TRUE;
	gr = mail_group ? getgrnam(mail_group) : NULL;
	return gr && caller_in_group(gr->gr_gid);
}

static gboolean
verify_ids(uid_t uid, gid_t gid, GError **error)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0) {
		mm_error_set_errno(error, errno, "cannot read the process ids");
		return FALSE;
	}
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
		g_set_error(error, MM_ERROR, MM_ERROR_PERMISSION,
		            "privileges were not given up (uid %u/%u/%u gid %u/%u/%u)",
		            ru, eu, su, rg, eg, sg);
		return FALSE;
	}
	return TRUE;
}

gboolean
mm_priv_become(uid_t uid, gid_t gid, const char *user, GError **error)
{
	if (geteuid() == 0) {
		int r = user ? initgroups(user, gid) : setgroups(1, &gid);
		if (r != 0) {
			mm_error_set_errno(error, errno, "cannot set the groups of %s", user ? user : "caller");
			return FALSE;
		}
	}
	if (setresgid(gid, gid, gid) != 0) {
		mm_error_set_errno(error, errno, "cannot set group id %u", (unsigned)gid);
		return FALSE;
	}
	if (setresuid(uid, uid, uid) != 0) {
		mm_error_set_errno(error, errno, "cannot set user id %u", (unsigned)uid);
		return FALSE;
	}
	return verify_ids(uid, gid, error);
}

gboolean
mm_priv_drop_to_caller(GError **error)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct passwd *pw;

	if (!mm_priv_is_setid() && geteuid() != 0)
		return TRUE;
	if (uid == 0 && gid == 0 && geteuid() == 0)
		return TRUE; /* root called us: nothing to give up */
	pw = getpwuid(uid);
	return mm_priv_become(uid, gid, pw ? pw->pw_name : NULL, error);
}
