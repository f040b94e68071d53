/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A small driver of the spool for the shell scenarios: writes one
 * message and then says "committed" with a write(2) of its own, so that
 * a tracer can check that every fsync happened before that; or lists
 * the queue. Exit codes as the command line's: 0, 75 (EX_TEMPFAIL) for
 * a temporary failure, 1 otherwise.
 *
 *   spool-tool write SPOOL_DIR
 *   spool-tool list SPOOL_DIR
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "queue/queue.h"
#include "queue/spool.h"

static int
exit_code(const GError *error)
{
	return mm_error_is_temporary(error) ? EX_TEMPFAIL : 1;
}

static int
do_write(const char *spool_dir)
{
	g_autoptr(MmMessage) msg = mm_message_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *done = NULL;
	static const char body[] = "Hello,\n\nthis message is durable.\n";

	msg->uid = mm_spool_new_uid();
	msg->return_path = mm_address_new("sender", "example.org", NULL);
	g_ptr_array_add(msg->rcpts, mm_recipient_new(msg->return_path));
	msg->protocol = g_strdup("local");
	msg->ident = g_strdup("sender");
	msg->data_size = sizeof body - 1;
	msg->received_time = g_get_real_time() / G_USEC_PER_SEC;
	g_ptr_array_add(msg->headers, mm_header_new("Subject", "durability"));
	msg->body = g_bytes_new_static(body, sizeof body - 1);

	if (!mm_spool_write(spool_dir, msg, &error)) {
		fprintf(stderr, "spool-tool: %s (%s)\n", error->message,
		        mm_error_is_temporary(error) ? "temporary" : "permanent");
		return exit_code(error);
	}
	done = g_strdup_printf("committed %s\n", msg->uid);
	if (write(STDOUT_FILENO, done, strlen(done)) < 0)
		return 1;
	return 0;
}

static int
do_list(const char *spool_dir)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;

	if (!mm_queue_print(spool_dir, out, &error)) {
		fprintf(stderr, "spool-tool: %s\n", error->message);
		return exit_code(error);
	}
	fputs(out->str, stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "write") == 0)
		return do_write(argv[2]);
	if (argc == 3 && strcmp(argv[1], "list") == 0)
		return do_list(argv[2]);
	fprintf(stderr, "usage: spool-tool write|list SPOOL_DIR\n");
	return EX_USAGE;
}
