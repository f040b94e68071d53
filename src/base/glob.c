/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <fnmatch.h>

#include "base/glob.h"

gboolean
mm_glob_match(const char *pattern, const char *text)
{
	return fnmatch(pattern, text, 0) == 0;
}
