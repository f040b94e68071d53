/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Address/prefix text ("192.168.1.0/24", "::1") to a GInetAddressMask.
 * GLib's own parser hands an out-of-range prefix length to a GObject
 * property, which warns (and aborts under G_DEBUG=fatal-warnings)
 * instead of failing; this checks the length first.
 */
#pragma once

#include <gio/gio.h>

/* NULL when @text is not an address or address/prefix. */
GInetAddressMask *mm_netmask_parse(const char *text);
