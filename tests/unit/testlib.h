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

/* A new temporary directory named after @prefix ("mm-conf" ...); the
 * caller removes it with mm_test_remove_tree() and frees the name. */
char *mm_test_make_dir(const char *prefix);

/* Writes @content to @dir/@name and returns the path (caller frees). */
char *mm_test_write_file(const char *dir, const char *name, const char *content);

#include "deliver/deliver.h"

/* Queues a message from @from to the space-separated @rcpts with the
 * body @body into @spool, as the command line would (addresses
 * qualified with @host). Returns its uid (caller frees). */
char *mm_test_queue_message(const char *spool, const char *host, const char *from, const char *rcpts,
                            const char *body);

/* Locks, reads and delivers message @uid from @spool with @run, as a
 * queue run would. */
void mm_test_deliver_uid(const char *spool, MmDeliverRun *run, const char *uid, MmDeliverReport *report);
