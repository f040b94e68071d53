/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The in-memory message: envelope, recipients with their state, header
 * fields and body. Only construction and bookkeeping live here; reading
 * and writing the spool is queue/spool.c's business.
 */
#include "config.h"

#include "msg/message.h"

MmRecipient *
mm_recipient_new(const MmAddress *address)
{
	MmRecipient *rcpt;

	g_return_val_if_fail(address != NULL, NULL);

	rcpt = g_new0(MmRecipient, 1);
	rcpt->address = mm_address_copy(address);
	rcpt->state = MM_RCPT_PENDING;
	return rcpt;
}

MmRecipient *
mm_recipient_new_pipe(const char *pipe)
{
	MmRecipient *rcpt;

	g_return_val_if_fail(pipe != NULL && pipe[0] == '|', NULL);

	rcpt = g_new0(MmRecipient, 1);
	rcpt->pipe = g_strdup(pipe);
	rcpt->state = MM_RCPT_PENDING;
	return rcpt;
}

void
mm_recipient_free(MmRecipient *rcpt)
{
	if (rcpt == NULL)
		return;
	mm_address_free(rcpt->address);
	g_free(rcpt->pipe);
	g_free(rcpt);
}

MmMessage *
mm_message_new(void)
{
	MmMessage *msg = g_new0(MmMessage, 1);

	msg->rcpts = g_ptr_array_new_with_free_func((GDestroyNotify)mm_recipient_free);
	msg->headers = g_ptr_array_new_with_free_func((GDestroyNotify)mm_header_free);
	msg->extra = g_ptr_array_new_with_free_func(g_free);
	msg->data_size = -1;
	return msg;
}

void
mm_message_free(MmMessage *msg)
{
	if (msg == NULL)
		return;
	g_free(msg->uid);
	mm_address_free(msg->return_path);
	g_clear_pointer(&msg->rcpts, g_ptr_array_unref);
	g_free(msg->protocol);
	g_free(msg->received_host);
	g_free(msg->ident);
	g_clear_pointer(&msg->extra, g_ptr_array_unref);
	g_clear_pointer(&msg->headers, g_ptr_array_unref);
	g_clear_pointer(&msg->body, g_bytes_unref);
	g_free(msg);
}

guint
mm_message_count_pending(const MmMessage *msg)
{
	guint n = 0;

	g_return_val_if_fail(msg != NULL, 0);

	for (guint i = 0; i < msg->rcpts->len; i++) {
		const MmRecipient *rcpt = g_ptr_array_index(msg->rcpts, i);

		if (rcpt->state == MM_RCPT_PENDING)
			n++;
	}
	return n;
}
