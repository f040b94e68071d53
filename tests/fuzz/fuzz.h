/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What the fuzz harnesses share: quiet logging that still formats every
 * line (so a bad format argument shows), GLib criticals made fatal (a
 * g_return_if_fail reached from input is a bug), and a reader that
 * takes control bytes (chunk sizes, flags) off the front of an input.
 * Nothing here is linked into masqmail.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* Called once from each harness's LLVMFuzzerInitialize(). */
void mm_fuzz_init(void);

/* Aborts with @what when @cond is false: an oracle the harness checks
 * beyond "does not crash". */
#define mm_fuzz_check(cond, what)                                                         \
	do {                                                                                  \
		if (!(cond))                                                                      \
			mm_fuzz_fail(__FILE__, __LINE__, what);                                       \
	} while (0)
G_GNUC_NORETURN void mm_fuzz_fail(const char *file, int line, const char *what);

/* The input as it is consumed. */
typedef struct {
	const uint8_t *data;
	size_t len;
} MmFuzzInput;

/* The next byte, 0 when the input is used up. */
guint8 mm_fuzz_take_byte(MmFuzzInput *in);
/* Up to @n bytes; *@got says how many. */
const char *mm_fuzz_take(MmFuzzInput *in, size_t n, size_t *got);
