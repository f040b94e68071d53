/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

/* The -bV report: version, compiled-in paths, features and library
 * versions, one "key: value" per line. Caller frees. */
char *mm_version_report(void);
