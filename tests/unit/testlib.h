/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What the unit test programs share.
 */
#pragma once

#include <glib.h>

/* Removes @path and everything below it, as far as it can: symbolic
 * links are removed, not followed, and directories a test made
 * unreadable are made readable first. Missing paths are fine. */
void mm_test_remove_tree(const char *path);
