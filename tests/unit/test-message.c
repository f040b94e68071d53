/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of msg/message.c: construction and release of messages and
 * recipients (run under ASan, a leak or double free fails), and counting
 * the recipients still pending.
 */
#include "config.h"

#include <string.h>

#include "msg/message.h"

static void
test_new_defaults(void)
{
	g_autoptr(MmMessage) msg = mm_message_new();

	g_assert_null(msg->uid);
	g_assert_null(msg->return_path);
	g_assert_nonnull(msg->rcpts);
	g_assert_cmpuint(msg->rcpts->len, ==, 0);
	g_assert_null(msg->protocol);
	g_assert_null(msg->received_host);
	g_assert_null(msg->ident);
	g_assert_cmpint(msg->data_size, ==, -1);
	g_assert_cmpint(msg->received_time, ==, 0);
	g_assert_cmpint(msg->warned_time, ==, 0);
	g_assert_nonnull(msg->extra);
	g_assert_cmpuint(msg->extra->len, ==, 0);
	g_assert_nonnull(msg->headers);
	g_assert_cmpuint(msg->headers->len, ==, 0);
	g_assert_null(msg->body);
	g_assert_cmpuint(mm_message_count_pending(msg), ==, 0);
}

/* Everything a message can own, then one free. */
static void
test_free_full(void)
{
	MmMessage *msg = mm_message_new();
	g_autoptr(MmAddress) rcpt = mm_address_new("b", "y.org", NULL);
	static const char body[] = "hello\n";

	msg->uid = g_strdup("1abcde-000001-AB");
	msg->return_path = mm_address_new("a", "x.org", NULL);
	g_ptr_array_add(msg->rcpts, mm_recipient_new(rcpt));
	g_ptr_array_add(msg->rcpts, mm_recipient_new_pipe("|/usr/bin/true"));
	msg->protocol = g_strdup("esmtp");
	msg->received_host = g_strdup("host.example");
	msg->ident = g_strdup("user");
	g_ptr_array_add(msg->extra, g_strdup("XY:unknown key"));
	g_ptr_array_add(msg->headers, mm_header_new("Subject", "test"));
	msg->body = g_bytes_new_static(body, strlen(body));
	g_assert_cmpuint(mm_message_count_pending(msg), ==, 2);
	mm_message_free(msg);
	mm_message_free(NULL);
}

static void
test_recipient_address(void)
{
	g_autoptr(MmAddress) addr = mm_address_new("user", "x.org", "User");
	g_autoptr(MmRecipient) rcpt = mm_recipient_new(addr);

	g_assert_nonnull(rcpt->address);
	/* a copy: the recipient outlives the address it was made from */
	g_assert_true(rcpt->address != addr);
	g_assert_true(mm_address_equal(rcpt->address, addr, FALSE));
	g_assert_null(rcpt->pipe);
	g_assert_cmpint(rcpt->state, ==, MM_RCPT_PENDING);
	mm_recipient_free(NULL);
}

static void
test_recipient_pipe(void)
{
	g_autoptr(MmRecipient) rcpt = mm_recipient_new_pipe("|/usr/bin/procmail -d user");

	g_assert_null(rcpt->address);
	g_assert_cmpstr(rcpt->pipe, ==, "|/usr/bin/procmail -d user");
	g_assert_cmpint(rcpt->state, ==, MM_RCPT_PENDING);
}

/* The spool writes the state as the character after "RT:". */
static void
test_state_characters(void)
{
	g_assert_cmpint(MM_RCPT_PENDING, ==, ' ');
	g_assert_cmpint(MM_RCPT_DELIVERED, ==, 'X');
	g_assert_cmpint(MM_RCPT_FAILED, ==, 'F');
}

typedef struct {
	const char *label;
	const char *states; /* one character per recipient: ' ', 'X' or 'F' */
	guint pending;
} PendingCase;

static const PendingCase pending_cases[] = {
	{ "none", "", 0 },
	{ "one-pending", " ", 1 },
	{ "one-delivered", "X", 0 },
	{ "one-failed", "F", 0 },
	{ "all-pending", "    ", 4 },
	{ "mixed", " XF X", 2 },
	{ "all-done", "XFXF", 0 },
	{ "last-pending", "XXXX ", 1 },
};

static void
check_pending_case(gconstpointer data)
{
	const PendingCase *c = data;
	g_autoptr(MmMessage) msg = mm_message_new();

	for (const char *s = c->states; *s != '\0'; s++) {
		g_autoptr(MmAddress) addr = mm_address_new("u", "x.org", NULL);
		MmRecipient *rcpt = (s - c->states) % 2 ? mm_recipient_new_pipe("|cat") : mm_recipient_new(addr);

		rcpt->state = (MmRcptState)*s;
		g_ptr_array_add(msg->rcpts, rcpt);
	}
	g_assert_cmpuint(mm_message_count_pending(msg), ==, c->pending);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/message/new/defaults", test_new_defaults);
	g_test_add_func("/message/free/full", test_free_full);
	g_test_add_func("/message/recipient/address", test_recipient_address);
	g_test_add_func("/message/recipient/pipe", test_recipient_pipe);
	g_test_add_func("/message/recipient/state-characters", test_state_characters);
	for (gsize i = 0; i < G_N_ELEMENTS(pending_cases); i++) {
		g_autofree char *name = g_strconcat("/message/count-pending/", pending_cases[i].label, NULL);

		g_test_add_data_func(name, &pending_cases[i], check_pending_case);
	}
	return g_test_run();
}
