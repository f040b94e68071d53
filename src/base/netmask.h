/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Address/prefix text ("192.168.1.0/24", "::1") as relay_networks
 * holds it. The configuration only checks the text (it is loaded by
 * programs that do not link GIO, such as the sendmail command line);
 * the SMTP server (smtp/relay.c) turns checked text into masks.
 */
#pragma once

#include <glib.h>

/* TRUE when @text is an IPv4 or IPv6 address, optionally followed by
 * "/" and a prefix length of one to three digits that is at most the
 * address's length in bits, with no bit of the address set beyond the
 * prefix: exactly the text that GInetAddressMask accepts (GLib's
 * parser hands an out-of-range prefix length to a GObject property,
 * which warns instead of failing; this never gets that far). */
gboolean mm_netmask_check(const char *text);
