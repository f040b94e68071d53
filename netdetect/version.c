/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The libnl version libnetdetect was built with, for masqmail -bV.
 */
#include "config.h"

#include <netlink/version.h>

#include "netdetect/netdetect.h"

const char *
netdetect_libnl_version(void)
{
	return LIBNL_STRING;
}
