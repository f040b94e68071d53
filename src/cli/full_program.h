/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The sendmail program (sendmail.c) runs the full masqmail program for
 * everything it does not do itself. It is found next to the running
 * program (both are in sbindir when installed, and in the build
 * directory), or, when the program runs set-id, only in the configured
 * sbindir: the directory of a set-id program's own path is not the
 * caller's to choose (a hard link elsewhere would otherwise pick it).
 */
#pragma once

#include <glib.h>

/* The full program's path: "masqmail" in the directory of @self_exe
 * (the running program's absolute path, /proc/self/exe), or in
 * MM_SBINDIR when @secure (AT_SECURE: set-id) or when @self_exe is
 * NULL or not absolute. Newly allocated. */
char *mm_full_program_path(const char *self_exe, gboolean secure);

/* execv()s the full program with @argv (argv[0] kept, so that it sees
 * the same invocation name). Returns only on failure, printing why,
 * with EX_OSERR. */
int mm_full_program_exec(char **argv);
