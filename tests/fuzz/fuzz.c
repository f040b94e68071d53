/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The shared part of the fuzz harnesses (see fuzz.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "tests/fuzz/fuzz.h"

void
mm_fuzz_init(void)
{
	/* Nothing to stderr (libFuzzer's own report must stay readable and
	 * the writes would dominate the run time), but every debug line is
	 * still built. */
	mm_log_init("masqmail-fuzz");
	mm_log_set_stderr(FALSE);
	mm_log_set_debug_level(9);
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

void
mm_fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: oracle failed: %s\n", file, line, what);
	abort();
}

guint8
mm_fuzz_take_byte(MmFuzzInput *in)
{
	if (in->len == 0)
		return 0;
	guint8 b = in->data[0];
	in->data++;
	in->len--;
	return b;
}

const char *
mm_fuzz_take(MmFuzzInput *in, size_t n, size_t *got)
{
	const char *p = (const char *)in->data;
	if (n > in->len)
		n = in->len;
	in->data += n;
	in->len -= n;
	*got = n;
	return p;
}
