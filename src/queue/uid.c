/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Message ids (see uid.h). 1.0 wrote the process id modulo 62^3 and a
 * per-process counter modulo 62^2, so two processes whose ids differ by
 * a multiple of 238328 (Linux allows ids up to 2^22) could name two
 * messages alike in the same second, and so could one process making
 * more than 3844 a second. Here the process id has four digits, enough
 * for every Linux pid, and the counter three, enough for any rate a
 * daemon reaches; a process that used them up waits for the next second.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "base/limits.h"
#include "queue/uid.h"

#define BASE62_PID_SPAN (62 * 62 * 62 * 62) /* values of the 4-digit pid field */
#define PID_LIMIT (4 * 1024 * 1024)         /* Linux PID_MAX_LIMIT on 64-bit */

G_STATIC_ASSERT(PID_LIMIT <= BASE62_PID_SPAN);
G_STATIC_ASSERT(MM_UID_PER_SECOND == 62 * 62 * 62);

#define BASE62_DIGITS "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
static const char base62[] = BASE62_DIGITS;

static void
put_base62(char *out, guint64 value, int digits)
{
	for (int i = digits - 1; i >= 0; i--) {
		out[i] = base62[value % 62];
		value /= 62;
	}
}

char *
mm_uid_format(gint64 epoch, guint pid, guint seq)
{
	char buf[MM_UID_LEN + 1];

	g_return_val_if_fail(seq < MM_UID_PER_SECOND, NULL);

	put_base62(buf, (guint64)MAX(epoch, 0), 6);
	buf[6] = '-';
	put_base62(buf + 7, pid % BASE62_PID_SPAN, 4);
	buf[11] = '-';
	put_base62(buf + 12, seq, 3);
	buf[MM_UID_LEN] = '\0';
	return g_strdup(buf);
}

G_LOCK_DEFINE_STATIC(uid_state);
static pid_t state_pid;     /* the process the state below belongs to (fork) */
static gint64 state_second; /* second of the last id made */
static guint state_seq;     /* ids made in that second */

char *
mm_uid_new(void)
{
	pid_t pid = getpid();
	gint64 now;
	guint seq;

	G_LOCK(uid_state);
	if (pid != state_pid) {
		state_pid = pid;
		state_second = 0;
		state_seq = 0;
	}
	for (;;) {
		now = g_get_real_time() / G_USEC_PER_SEC;
		if (now > state_second) {
			state_second = now;
			state_seq = 0;
			break;
		}
		if (state_seq < MM_UID_PER_SECOND) {
			/* same second, or the clock went back: carry on from the
			 * last second used so that no id repeats */
			break;
		}
		if (now < state_second) {
			/* clock went back and this second is used up: run ahead
			 * rather than wait for as long as the clock jumped */
			state_second++;
			state_seq = 0;
			break;
		}
		g_usleep(G_USEC_PER_SEC - (guint64)(g_get_real_time() % G_USEC_PER_SEC));
	}
	seq = state_seq++;
	now = state_second;
	G_UNLOCK(uid_state);

	return mm_uid_format(now, (guint)pid, seq);
}

gboolean
mm_uid_is_valid(const char *uid)
{
	gsize len;

	if (uid == NULL || uid[0] == '\0' || uid[0] == '-')
		return FALSE;
	len = strspn(uid, BASE62_DIGITS "-");
	return uid[len] == '\0' && len <= MM_SPOOL_UID_MAX;
}
