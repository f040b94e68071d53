/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * netmask.c: the check of address/prefix text for relay_networks,
 * with the C library's inet_pton() only.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "base/netmask.h"

/* Longer than any IPv6 prefix length: "128" */
#define PREFIX_DIGITS_MAX 3

gboolean
mm_netmask_check(const char *text)
{
	const char *slash = strchr(text, '/');
	g_autofree char *address = slash ? g_strndup(text, (gsize)(slash - text)) : g_strdup(text);
	guint8 bytes[16];
	guint bits;
	guint prefix;

	if (inet_pton(AF_INET, address, bytes) == 1)
		bits = 32;
	else if (inet_pton(AF_INET6, address, bytes) == 1)
		bits = 128;
	else
		return FALSE;
	if (!slash)
		return TRUE;

	const char *digits = slash + 1;
	gsize n = strspn(digits, "0123456789");
	if (n == 0 || n > PREFIX_DIGITS_MAX || digits[n] != '\0')
		return FALSE;
	prefix = (guint)g_ascii_strtoull(digits, NULL, 10);
	if (prefix > bits)
		return FALSE;
	/* a mask names a network: no host bits beyond the prefix */
	for (guint b = prefix; b < bits; b++) {
		if (bytes[b / 8] & (0x80u >> (b % 8)))
			return FALSE;
	}
	return TRUE;
}
