/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The spool file reader (mm_spool_parse_envelope()) on the text of an
 * -H file, which it must treat as hostile. What it accepts must also be
 * writable again: a queue run rewrites the -H file of every message it
 * delivers (recipient states, TW:), so an entry that reads but does not
 * write would be delivered again and again. So every accepted envelope
 * is formatted (mm_spool_format_envelope()), read back, and formatted
 * once more, which must give the same text.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "queue/spool.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static GBytes *body;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mm_fuzz_init();
	body = g_bytes_new_static("first line\n\nlast line\n", 22);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) envelope = g_bytes_new(data, size);
	g_autoptr(MmMessage) msg = mm_spool_parse_envelope(envelope, body, "fuzz-H", &error);

	mm_fuzz_check((msg == NULL) == (error != NULL), "result and error disagree");
	if (!msg)
		return 0;
	mm_fuzz_check(msg->uid && msg->return_path && msg->rcpts && msg->headers, "a message with holes");
	(void)mm_message_count_pending(msg);

	/* Known and open (README): the reader keeps a bare CR inside a line
	 * (a header, a pipe recipient), which the writer refuses. */
	for (size_t i = 0; i < size; i++)
		if (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'))
			return 0;
	g_autoptr(GBytes) text = mm_spool_format_envelope(msg, &error);
	if (!text)
		g_printerr("%s\n", error->message);
	mm_fuzz_check(text != NULL, "an envelope that reads but cannot be written back");
	g_autoptr(MmMessage) back = mm_spool_parse_envelope(text, body, "fuzz-H2", &error);
	if (!back)
		g_printerr("%s\n", error->message);
	mm_fuzz_check(back != NULL, "the spool cannot read what it wrote");
	mm_fuzz_check(back->rcpts->len == msg->rcpts->len, "recipients lost");
	mm_fuzz_check(back->headers->len == msg->headers->len, "headers lost");
	mm_fuzz_check(mm_address_equal(back->return_path, msg->return_path, FALSE), "return path changed");
	g_autoptr(GBytes) again = mm_spool_format_envelope(back, &error);
	mm_fuzz_check(again != NULL && g_bytes_equal(text, again), "spool text not stable");
	return 0;
}
