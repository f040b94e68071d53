/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * libnetdetect: the link watcher and the provider matcher. It does not
 * depend on anything in src/.
 */
#pragma once

const char *netdetect_libnl_version(void);
