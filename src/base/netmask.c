/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * netmask.c: parsing of address/prefix text for relay_networks.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/netmask.h"

/* Longer than any IPv6 prefix length: "128" */
#define PREFIX_DIGITS_MAX 3

GInetAddressMask *
mm_netmask_parse(const char *text)
{
	const char *slash = strchr(text, '/');

	if (slash != NULL) {
		const char *digits = slash + 1;
		gsize n = strspn(digits, "0123456789");

		if (n == 0 || n > PREFIX_DIGITS_MAX || digits[n] != '\0' || atoi(digits) > 128)
			return NULL;
	}
	return g_inet_address_mask_new_from_string(text, NULL);
}
