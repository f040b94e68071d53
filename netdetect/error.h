/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The error domain of libnetdetect. The library does not use masqmail's
 * MM_ERROR domain (it does not depend on src/); callers that need
 * MM_ERROR wrap these errors where they decide what to do with them.
 */
#pragma once

#include <glib.h>

#define ND_ERROR (nd_error_quark())

typedef enum {
	/* a profile rule that does not parse (CIDR, glob, name) */
	ND_ERROR_INVALID,
	/* talking to the kernel failed (socket, dump, cache manager) */
	ND_ERROR_NETLINK,
	/* an input exceeded one of the limits in netdetect/limits.h */
	ND_ERROR_LIMIT,
} NdError;

GQuark nd_error_quark(void);
