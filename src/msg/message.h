/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A message as the queue holds it: the envelope (return path,
 * recipients with their delivery state, where and when it came from),
 * the header fields and the body. The spool (queue/spool.c) reads and
 * writes exactly this.
 */
#pragma once

#include <glib.h>

#include "msg/address.h"
#include "msg/header.h"

/* The character after "RT:" in the spool. */
typedef enum {
	MM_RCPT_PENDING = ' ',
	MM_RCPT_DELIVERED = 'X',
	MM_RCPT_FAILED = 'F',
} MmRcptState;

typedef struct {
	MmAddress *address; /* NULL for a pipe recipient */
	char *pipe;         /* "|command ...", NULL for an address */
	MmRcptState state;
} MmRecipient;

MmRecipient *mm_recipient_new(const MmAddress *address); /* copies @address */
MmRecipient *mm_recipient_new_pipe(const char *pipe);    /* pipe starts with '|' */
void mm_recipient_free(MmRecipient *rcpt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmRecipient, mm_recipient_free)

typedef struct {
	char *uid;
	MmAddress *return_path;  /* the null path for bounces */
	GPtrArray *rcpts;        /* MmRecipient*, owned */
	char *protocol;          /* PR: local, bsmtp, smtp, esmtp, ... */
	char *received_host;     /* RH:, NULL when local */
	char *ident;             /* ID:, NULL when unknown */
	gint64 data_size;        /* DS:, -1 when unknown */
	gint64 received_time;    /* TR:, epoch seconds, 0 when unknown */
	gint64 warned_time;      /* TW:, epoch seconds, 0 when never warned */
	GPtrArray *extra;        /* envelope lines we do not know ("XY:..."), kept verbatim */
	GPtrArray *headers;      /* MmHeader*, owned */
	GBytes *body;            /* LF line ends; NULL until loaded */
} MmMessage;

MmMessage *mm_message_new(void);
void mm_message_free(MmMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MmMessage, mm_message_free)

/* Recipients whose state is MM_RCPT_PENDING. */
guint mm_message_count_pending(const MmMessage *msg);
