/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * memory-floor.c is the floor that memory.sh sets the daemon's idle RSS
 * against: a process that maps what masqmail's daemon maps and does
 * nothing but wait in a GLib main loop. Built three ways by memory.sh:
 * GLib alone; with a netlink route socket (libnl), as the link watcher
 * has; and with GIO linked and one GSocket made before the fork, as the
 * listeners are. It forks once and the child reports, as the daemon
 * started with -bd detaches: the page table entries that the dynamic
 * loader and the libraries' constructors filled do not go to a forked
 * child, which counts only the pages it touches itself. Prints
 * "FORKED_RSS_KB FORKED_PSS_KB START_RSS_KB", the last being the process
 * before the fork. Not part of the suite.
 */
#include <glib.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef FLOOR_NETLINK
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#endif
#ifdef FLOOR_GIO
#include <gio/gio.h>
#endif

static long
field_kb(const char *file, const char *name)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, name, strlen(name)) == 0) {
			kb = strtol(line + strlen(name), NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

static G_GNUC_UNUSED gboolean
on_fd(int fd, GIOCondition cond, gpointer data)
{
	return G_SOURCE_CONTINUE;
}

static gboolean
report(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int
main(void)
{
	long start_rss = field_kb("/proc/self/status", "VmRSS:");
	GMainLoop *loop;
	pid_t pid;
	int ws;
#ifdef FLOOR_GIO
	GSocket *gs = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	int gs_fd = gs ? g_socket_get_fd(gs) : -1;

	if (gs_fd < 0)
		return 1;
#endif

	pid = fork();
	if (pid < 0)
		return 1;
	if (pid > 0)
		return waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) ? WEXITSTATUS(ws) : 1;
	loop = g_main_loop_new(NULL, FALSE);
#ifdef FLOOR_NETLINK
	{
		struct nl_sock *s = nl_socket_alloc();
		if (!s || nl_connect(s, NETLINK_ROUTE) < 0 || nl_socket_add_membership(s, RTNLGRP_LINK) < 0)
			return 1;
		g_unix_fd_add(nl_socket_get_fd(s), G_IO_IN, on_fd, NULL);
	}
#endif
#ifdef FLOOR_GIO
	g_unix_fd_add(gs_fd, G_IO_IN, on_fd, NULL);
#endif
	g_timeout_add(500, report, loop);
	g_main_loop_run(loop);
	printf("%ld %ld %ld\n", field_kb("/proc/self/status", "VmRSS:"), field_kb("/proc/self/smaps_rollup", "Pss:"),
	       start_rss);
	return 0;
}
