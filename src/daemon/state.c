/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "daemon/state.h"

MmProfileState *
mm_profile_state_new(const char *name)
{
	MmProfileState *p = g_new0(MmProfileState, 1);
	p->name = g_strdup(name);
	return p;
}

void
mm_profile_state_free(MmProfileState *p)
{
	if (!p)
		return;
	g_free(p->name);
	g_free(p->link);
	g_free(p->reason);
	g_free(p->last_error);
	g_free(p);
}

MmDaemonState *
mm_daemon_state_new(void)
{
	MmDaemonState *s = g_new0(MmDaemonState, 1);
	s->netlink = TRUE;
	s->profiles = g_ptr_array_new_with_free_func((GDestroyNotify)mm_profile_state_free);
	return s;
}

void
mm_daemon_state_free(MmDaemonState *s)
{
	if (!s)
		return;
	g_clear_pointer(&s->snapshot, nd_snapshot_unref);
	g_ptr_array_unref(s->profiles);
	g_free(s);
}
