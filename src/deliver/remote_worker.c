/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * remote_worker.c owns the worker process of remote deliveries (see
 * remote_worker.h): its start and its end, what it keeps of its
 * parent, and both ends of the wire. The worker does nothing but hand
 * requests to remote.c; the parent decides nothing here but which
 * results it believes.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "base/error.h"
#include "base/fs.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/privileges.h"
#include "conf/route.h"
#include "deliver/remote_worker.h"
#include "queue/spool.h"

struct MmRemoteWorker {
	pid_t pid;         /* 0: reaped */
	int fd;            /* the parent's end; -1 when closed */
	guint32 seq;       /* of the last request */
	GPtrArray *routes; /* MmRoute*: the names a result may give */
	GHashTable *hosts; /* the hosts results gave, owned, borrowed by the results */
	char *broken;      /* why it is not used any more */
};

/* Set by mm_remote_worker_link_down(), from a signal handler: the
 * process makes no more transfers. live_pid is the worker it kills,
 * set as soon as the worker exists and cleared before it is reaped, so
 * that the handler never signals a pid that may have been reused. */
G_STATIC_ASSERT(sizeof(pid_t) <= sizeof(sig_atomic_t));
static volatile sig_atomic_t link_down;
static volatile sig_atomic_t live_pid;

static const char *const status_names[] = {
	[MM_REMOTE_WAITING] = "WAITING",
	[MM_REMOTE_DELIVERED] = "DELIVERED",
	[MM_REMOTE_DEFERRED] = "DEFERRED",
	[MM_REMOTE_FAILED] = "FAILED",
};

/* ---- a bounded, timed reader and writer for the socket ---- */

typedef struct {
	int fd;
	gint64 deadline; /* monotonic microseconds; 0: wait for ever */
	const char *peer; /* "the worker" or "the parent", for errors */
	gsize pos, len;
	char buf[4096];
} Wire;

static void
wire_init(Wire *w, int fd, gint64 deadline, const char *peer)
{
	w->fd = fd;
	w->deadline = deadline;
	w->peer = peer;
	w->pos = w->len = 0;
}

/* Trouble on the channel is always "try again later" for the mail. */
static void
set_io_error(GError **error, int errnum, const char *what, const char *peer)
{
	g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s %s: %s", what, peer, g_strerror(errnum));
}

/* Waits until @fd is ready for @events or the deadline passes. */
static gboolean
wait_ready(int fd, short events, gint64 deadline, const char *peer, GError **error)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int timeout = -1;
		int r;

		if (deadline > 0) {
			gint64 left = deadline - g_get_monotonic_time();
			if (left <= 0) {
				g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s did not answer in time", peer);
				return FALSE;
			}
			timeout = (int)MIN((left + 999) / 1000, G_MAXINT);
		}
		r = poll(&p, 1, timeout);
		if (r > 0)
			return TRUE;
		if (r < 0 && errno != EINTR) {
			set_io_error(error, errno, "waiting for", peer);
			return FALSE;
		}
	}
}

/* More bytes into the buffer: 1, 0 at the end of the channel, -1 with
 * an error. */
static int
wire_fill(Wire *w, GError **error)
{
	ssize_t n;

	if (!wait_ready(w->fd, POLLIN, w->deadline, w->peer, error))
		return -1;
	do {
		n = read(w->fd, w->buf, sizeof w->buf);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			return wire_fill(w, error);
		set_io_error(error, errno, "read from", w->peer);
		return -1;
	}
	w->pos = 0;
	w->len = (gsize)n;
	return n > 0;
}

static void
set_closed(GError **error, const Wire *w, const char *where)
{
	g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s closed the channel %s", w->peer, where);
}

/* One line without its LF into @line, at most @max bytes with the LF.
 * 1 for a line, 0 at the end of the channel before any byte, -1 with
 * an error: MM_ERROR_CORRUPT for a line too long or with a NUL byte,
 * MM_ERROR_TEMPORARY for an end in the middle or the time limit. */
static int
wire_line(Wire *w, gsize max, GString *line, GError **error)
{
	g_string_truncate(line, 0);
	for (;;) {
		const char *start, *nl;
		gsize take;

		if (w->pos == w->len) {
			int r = wire_fill(w, error);
			if (r < 0)
				return -1;
			if (r == 0) {
				if (line->len == 0)
					return 0;
				set_closed(error, w, "in the middle of a line");
				return -1;
			}
		}
		start = w->buf + w->pos;
		nl = memchr(start, '\n', w->len - w->pos);
		take = nl ? (gsize)(nl - start) : w->len - w->pos;
		if (line->len + take + 1 > max) {
			g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "%s sent a line longer than %" G_GSIZE_FORMAT " bytes",
			            w->peer, max);
			return -1;
		}
		if (memchr(start, '\0', take) != NULL) {
			g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "%s sent a NUL byte", w->peer);
			return -1;
		}
		g_string_append_len(line, start, (gssize)take);
		w->pos += take;
		if (nl != NULL) {
			w->pos++;
			return 1;
		}
	}
}

/* Exactly @len bytes into @dest. */
static gboolean
wire_exact(Wire *w, void *dest, gsize len, GError **error)
{
	char *out = dest;

	while (len > 0) {
		gsize take;

		if (w->pos == w->len) {
			if (len >= sizeof w->buf) {
				/* large parts (a body) go straight to their place */
				ssize_t n;
				if (!wait_ready(w->fd, POLLIN, w->deadline, w->peer, error))
					return FALSE;
				do {
					n = read(w->fd, out, len);
				} while (n < 0 && errno == EINTR);
				if (n < 0 && errno == EAGAIN)
					continue;
				if (n < 0) {
					set_io_error(error, errno, "read from", w->peer);
					return FALSE;
				}
				if (n == 0) {
					set_closed(error, w, "in the middle of a field");
					return FALSE;
				}
				out += n;
				len -= (gsize)n;
				continue;
			}
			int r = wire_fill(w, error);
			if (r < 0)
				return FALSE;
			if (r == 0) {
				set_closed(error, w, "in the middle of a field");
				return FALSE;
			}
		}
		take = MIN(len, w->len - w->pos);
		memcpy(out, w->buf + w->pos, take);
		w->pos += take;
		out += take;
		len -= take;
	}
	return TRUE;
}

/* Writes all of @data; never raises SIGPIPE. */
static gboolean
wire_write(int fd, const void *data, gsize len, gint64 deadline, const char *peer, GError **error)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_ready(fd, POLLOUT, deadline, peer, error))
				return FALSE;
			continue;
		}
		if (n < 0) {
			set_io_error(error, errno, "write to", peer);
			return FALSE;
		}
		p += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* A number of a header line: decimal, no sign, within @max. */
static gboolean
parse_count(const char *text, guint64 max, guint64 *out)
{
	if (text[0] == '\0' || !g_ascii_isdigit(text[0]))
		return FALSE;
	return g_ascii_string_to_unsigned(text, 10, 0, max, out, NULL);
}

/* ---- requests ---- */

/* The header line and envelope of a request. */
static GBytes *
request_head(guint32 seq, const MmMessage *msg, const MmAddress *const *rcpts, guint n, GError **error)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func((GDestroyNotify)mm_recipient_free);
	g_autoptr(GBytes) envelope = NULL;
	MmMessage copy = *msg;
	gsize env_len = 0;
	const void *env;
	GString *out;

	for (guint i = 0; i < n; i++)
		g_ptr_array_add(list, mm_recipient_new(rcpts[i]));
	copy.rcpts = list;
	envelope = mm_spool_format_envelope(&copy, error);
	if (envelope == NULL)
		return NULL;
	env = g_bytes_get_data(envelope, &env_len);
	out = g_string_sized_new(env_len + 64);
	g_string_append_printf(out, "M %u %" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT "\n", seq, env_len,
	                       msg->body ? g_bytes_get_size(msg->body) : 0);
	g_string_append_len(out, env, (gssize)env_len);
	return g_string_free_to_bytes(out);
}

GBytes *
mm_remote_worker_encode_request(guint32 seq, const MmMessage *msg, const MmAddress *const *rcpts, guint n,
                                GError **error)
{
	g_autoptr(GBytes) head = request_head(seq, msg, rcpts, n, error);
	GByteArray *all;
	gsize len;
	const guint8 *data;

	if (head == NULL)
		return NULL;
	data = g_bytes_get_data(head, &len);
	all = g_byte_array_sized_new((guint)len);
	g_byte_array_append(all, data, (guint)len);
	if (msg->body != NULL) {
		data = g_bytes_get_data(msg->body, &len);
		g_byte_array_append(all, data, (guint)len);
	}
	return g_byte_array_free_to_bytes(all);
}

/* The request that @line (read from @w) starts. */
static MmMessage *
read_request_wire(Wire *w, const char *line, guint32 *seq, GError **error)
{
	g_auto(GStrv) words = NULL;
	g_autoptr(MmMessage) msg = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *env = NULL, *body = NULL;
	g_autoptr(GBytes) env_bytes = NULL, body_bytes = NULL;
	guint64 s, env_len, body_len;

	words = g_strsplit(line, " ", -1);
	if (g_strv_length(words) != 4 || strcmp(words[0], "M") != 0 ||
	    !parse_count(words[1], G_MAXUINT32, &s) || !parse_count(words[2], MM_SPOOL_DATA_MAX, &env_len) ||
	    !parse_count(words[3], MM_SPOOL_DATA_MAX, &body_len)) {
		g_autofree char *shown = g_strescape(line, NULL);
		g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "not a request: \"%.80s\"", shown);
		return NULL;
	}
	env = g_malloc(env_len + 1);
	body = g_malloc(body_len + 1);
	if (!wire_exact(w, env, env_len, &local) || !wire_exact(w, body, body_len, &local)) {
		g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "bad request: %s", local->message);
		return NULL;
	}
	env_bytes = g_bytes_new_take(g_steal_pointer(&env), env_len);
	body_bytes = g_bytes_new_take(g_steal_pointer(&body), body_len);
	msg = mm_spool_parse_envelope(env_bytes, body_bytes, "request", error);
	if (msg == NULL)
		return NULL;
	if (msg->rcpts->len == 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "request %u without recipients", (guint)s);
		return NULL;
	}
	for (guint i = 0; i < msg->rcpts->len; i++) {
		const MmRecipient *rcpt = msg->rcpts->pdata[i];
		if (rcpt->address == NULL) {
			g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "request %u: a pipe is no remote recipient",
			            (guint)s);
			return NULL;
		}
	}
	*seq = (guint32)s;
	return g_steal_pointer(&msg);
}

MmMessage *
mm_remote_worker_read_request(int fd, guint32 *seq, GError **error)
{
	g_autoptr(GString) line = g_string_new(NULL);
	g_autoptr(GError) local = NULL;
	g_autoptr(MmMessage) msg = NULL;
	Wire w;
	int r;

	wire_init(&w, fd, 0, "the parent");
	r = wire_line(&w, MM_REMOTE_WORKER_LINE_MAX, line, &local);
	if (r == 0)
		return NULL;
	if (r < 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "bad request: %s", local->message);
		return NULL;
	}
	msg = read_request_wire(&w, line->str, seq, error);
	if (msg == NULL)
		return NULL;
	if (w.pos != w.len) {
		g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "more than one request at once");
		return NULL;
	}
	return g_steal_pointer(&msg);
}

gboolean
mm_remote_worker_read_batch(int fd, GPtrArray *msgs, GArray *seqs, GError **error)
{
	g_autoptr(GString) line = g_string_new(NULL);
	g_autoptr(GError) local = NULL;
	guint64 count = 1;
	Wire w;
	int r;

	wire_init(&w, fd, 0, "the parent");
	r = wire_line(&w, MM_REMOTE_WORKER_LINE_MAX, line, &local);
	if (r == 0)
		return FALSE;
	if (r < 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "bad request: %s", local->message);
		return FALSE;
	}
	if (line->str[0] == 'B') {
		if (line->str[1] != ' ' || !parse_count(line->str + 2, MM_QUEUE_BATCH_MAX, &count) || count == 0) {
			g_autofree char *shown = g_strescape(line->str, NULL);
			g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "not a batch: \"%.80s\"", shown);
			return FALSE;
		}
		r = wire_line(&w, MM_REMOTE_WORKER_LINE_MAX, line, &local);
		if (r <= 0) {
			g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "batch of %u without its requests",
			            (guint)count);
			return FALSE;
		}
	}
	for (guint64 i = 0; i < count; i++) {
		guint32 seq = 0;
		MmMessage *msg;

		if (i > 0 && wire_line(&w, MM_REMOTE_WORKER_LINE_MAX, line, &local) <= 0) {
			g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "batch of %u ends after %u requests",
			            (guint)count, (guint)i);
			return FALSE;
		}
		msg = read_request_wire(&w, line->str, &seq, error);
		if (msg == NULL)
			return FALSE;
		g_ptr_array_add(msgs, msg);
		g_array_append_val(seqs, seq);
	}
	if (w.pos != w.len) {
		g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "more than one batch at once");
		return FALSE;
	}
	return TRUE;
}

/* ---- results ---- */

static void
append_field(GString *line, GString *fields, const char *text)
{
	gsize len = text ? strlen(text) : 0;

	len = MIN(len, MM_REMOTE_WORKER_FIELD_MAX);
	g_string_append_printf(line, " %" G_GSIZE_FORMAT, len);
	g_string_append_len(fields, text ? text : "", (gssize)len);
}

void
mm_remote_worker_encode_results(GString *out, guint32 seq, const MmRemoteRcpt *rcpts, guint n)
{
	for (guint i = 0; i < n; i++) {
		const MmRemoteRcpt *r = &rcpts[i];
		g_autoptr(GString) line = g_string_new(NULL);
		g_autoptr(GString) fields = g_string_new(NULL);
		g_autofree char *host = g_strdup(r->host);
		MmRemoteStatus status = r->status;

		if ((guint)status >= G_N_ELEMENTS(status_names))
			status = MM_REMOTE_DEFERRED;
		/* a host is a name and an address: nothing else goes in a log line */
		for (char *p = host; p && *p; p++)
			if ((guchar)*p < 0x20 || *p == 0x7f)
				*p = '?';
		g_string_append_printf(line, "R %u %u %s", seq, i, status_names[status]);
		append_field(line, fields, r->route);
		append_field(line, fields, host);
		append_field(line, fields, r->reason);
		g_string_append_c(line, '\n');
		g_string_append_len(out, line->str, (gssize)line->len);
		g_string_append_len(out, fields->str, (gssize)fields->len);
	}
}

static gboolean
status_from_name(const char *name, MmRemoteStatus *out)
{
	for (guint i = 0; i < G_N_ELEMENTS(status_names); i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (MmRemoteStatus)i;
			return TRUE;
		}
	}
	return FALSE;
}

static const char *
known_route(GPtrArray *routes, const char *name)
{
	for (guint i = 0; routes != NULL && i < routes->len; i++) {
		const MmRoute *route = routes->pdata[i];
		if (strcmp(route->name, name) == 0)
			return route->name;
	}
	return NULL;
}

static gboolean
has_control(const char *text)
{
	for (const char *p = text; *p; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			return TRUE;
	return FALSE;
}

/* One field of @len bytes, NULL for none; no NUL byte inside. */
static gboolean
read_field(Wire *w, gsize len, char **out, GError **error)
{
	g_autofree char *text = NULL;

	*out = NULL;
	if (len == 0)
		return TRUE;
	text = g_malloc(len + 1);
	if (!wire_exact(w, text, len, error))
		return FALSE;
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "%s sent a NUL byte in a result", w->peer);
		return FALSE;
	}
	*out = g_steal_pointer(&text);
	return TRUE;
}

gboolean
mm_remote_worker_read_results(int fd, guint32 seq, GPtrArray *routes, GHashTable *hosts, MmRemoteRcpt *rcpts,
                              gboolean *have, guint n, gint64 deadline, GError **error)
{
	g_autofree gboolean *scratch = have == NULL ? g_new0(gboolean, n) : NULL;

	if (have == NULL)
		have = scratch;
	else
		memset(have, 0, n * sizeof *have);
	return mm_remote_worker_read_batch_results(fd, seq, 1, routes, hosts, &rcpts, &have, &n, deadline,
	                                           error);
}

gboolean
mm_remote_worker_read_batch_results(int fd, guint32 first_seq, guint n_msgs, GPtrArray *routes,
                                    GHashTable *hosts, MmRemoteRcpt *const *rcpts_of,
                                    gboolean *const *have_of, const guint *n_of, gint64 deadline,
                                    GError **error)
{
	return mm_remote_worker_read_batch_results_notify(fd, first_seq, n_msgs, routes, hosts, rcpts_of,
	                                                  have_of, n_of, deadline, NULL, NULL, error);
}

gboolean
mm_remote_worker_read_batch_results_notify(int fd, guint32 first_seq, guint n_msgs, GPtrArray *routes,
                                           GHashTable *hosts, MmRemoteRcpt *const *rcpts_of,
                                           gboolean *const *have_of, const guint *n_of, gint64 deadline,
                                           MmRemoteDoneFunc done, gpointer done_data, GError **error)
{
	g_autoptr(GString) line = g_string_new(NULL);
	g_autofree guint *left = g_new0(guint, MAX(n_msgs, 1));
	guint got = 0, total = 0;
	Wire w;

	for (guint m = 0; m < n_msgs; m++) {
		for (guint i = 0; i < n_of[m]; i++)
			left[m] += have_of[m][i] ? 0 : 1;
		total += left[m];
	}
	wire_init(&w, fd, deadline, "the worker");
	while (got < total) {
		g_auto(GStrv) words = NULL;
		g_autofree char *route = NULL, *host = NULL, *reason = NULL;
		guint64 s, idx, route_len, host_len, reason_len;
		MmRemoteStatus status;
		const char *route_name = NULL;
		const char *host_name = NULL;
		int r = wire_line(&w, MM_REMOTE_WORKER_LINE_MAX, line, error);

		if (r < 0)
			return FALSE;
		if (r == 0) {
			set_closed(error, &w, "before all results came");
			return FALSE;
		}
		words = g_strsplit(line->str, " ", -1);
		if (g_strv_length(words) != 7 || strcmp(words[0], "R") != 0 ||
		    !parse_count(words[1], G_MAXUINT32, &s) || !parse_count(words[2], G_MAXUINT, &idx) ||
		    !status_from_name(words[3], &status) ||
		    !parse_count(words[4], MM_REMOTE_WORKER_FIELD_MAX, &route_len) ||
		    !parse_count(words[5], MM_REMOTE_WORKER_FIELD_MAX, &host_len) ||
		    !parse_count(words[6], MM_REMOTE_WORKER_FIELD_MAX, &reason_len)) {
			g_autofree char *shown = g_strescape(line->str, NULL);
			g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "the worker sent no result: \"%.80s\"", shown);
			return FALSE;
		}
		if (s < first_seq || s - first_seq >= n_msgs) {
			g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT,
			            "the worker answered request %u, not one of %u to %u", (guint)s, first_seq,
			            first_seq + n_msgs - 1);
			return FALSE;
		}
		MmRemoteRcpt *rcpts = rcpts_of[s - first_seq];
		gboolean *seen = have_of[s - first_seq];
		guint n = n_of[s - first_seq];
		if (idx >= n || seen[idx]) {
			g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "the worker sent a result for recipient %u of %u%s",
			            (guint)idx, n, idx < n ? " twice" : "");
			return FALSE;
		}
		if (!read_field(&w, route_len, &route, error) || !read_field(&w, host_len, &host, error) ||
		    !read_field(&w, reason_len, &reason, error))
			return FALSE;
		if (route != NULL) {
			route_name = known_route(routes, route);
			if (route_name == NULL || has_control(route)) {
				g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "the worker named no route of the run");
				return FALSE;
			}
		} else if (status != MM_REMOTE_WAITING) {
			g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "the worker sent a result without its route");
			return FALSE;
		}
		if (host != NULL) {
			if (has_control(host)) {
				g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "the worker sent a host with control characters");
				return FALSE;
			}
			host_name = g_hash_table_lookup(hosts, host);
			if (host_name == NULL) {
				host_name = host;
				g_hash_table_add(hosts, g_steal_pointer(&host));
			}
		}

		MmRemoteRcpt *rc = &rcpts[idx];
		g_free(rc->reason);
		rc->reason = g_steal_pointer(&reason);
		rc->status = status;
		rc->route = route_name;
		rc->host = host_name;
		seen[idx] = TRUE;
		got++;
		if (--left[s - first_seq] == 0 && done != NULL)
			done((guint)(s - first_seq), done_data);
	}
	if (w.pos != w.len) {
		g_set_error(error, MM_ERROR, MM_ERROR_CORRUPT, "the worker sent more than the results");
		return FALSE;
	}
	return TRUE;
}

/* ---- the worker process ---- */

/* Whether the worker must not keep inherited descriptor @fd. It goes
 * when it can hold something of the parent's: a regular file other
 * than a log (the spool's -D files carry the message locks, and an
 * open file description keeps its lock as long as any process has it
 * open), a directory, a pipe (the parent's children report through
 * them and wait for their end), a stream socket (listeners, SMTP
 * sessions, control sockets). It stays when it is a log file (opened
 * for appending), a datagram socket (syslog), or something of GLib's
 * or libc's own (eventfds, devices), which they would miss. */
static gboolean
fd_must_go(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return FALSE;
	if (S_ISREG(st.st_mode)) {
		int flags = fcntl(fd, F_GETFL);
		return flags < 0 || !(flags & O_APPEND);
	}
	if (S_ISDIR(st.st_mode) || S_ISFIFO(st.st_mode))
		return TRUE;
	if (S_ISSOCK(st.st_mode)) {
		int type = 0;
		socklen_t len = sizeof type;
		return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM;
	}
	return FALSE;
}

static void
close_inherited(int keep)
{
	g_autoptr(GArray) fds = g_array_new(FALSE, FALSE, sizeof(int));
	DIR *dir = opendir("/proc/self/fd");

	if (dir != NULL) {
		struct dirent *e;
		int own = dirfd(dir);
		while ((e = readdir(dir)) != NULL) {
			guint64 v;
			if (!g_ascii_string_to_unsigned(e->d_name, 10, 3, G_MAXINT, &v, NULL) || (int)v == own)
				continue;
			int fd = (int)v;
			g_array_append_val(fds, fd);
		}
		closedir(dir);
	} else {
		long max = sysconf(_SC_OPEN_MAX);
		for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				g_array_append_val(fds, fd);
	}
	for (guint i = 0; i < fds->len; i++) {
		int fd = g_array_index(fds, int, i);
		if (fd != keep && fd_must_go(fd))
			close(fd);
	}
}

/* What the worker takes from its parent besides memory: stdin and
 * stdout become /dev/null (it reads and writes neither; a caller that
 * waits for the end of our output must not wait for the worker),
 * stderr stays (its lines belong in the same place as the parent's),
 * the signals are the defaults again, with none blocked. */
static void
worker_reset_process(int keep)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM };
	sigset_t none;

	for (guint i = 0; i < G_N_ELEMENTS(sigs); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	mm_fs_stdio_to_null(FALSE);
	close_inherited(keep);
}

/* A route's secret may be readable by root alone: read while still
 * root, so that the worker keeps it in memory (its copy of the routes;
 * the parent's stay as they were). A file that cannot be read is left
 * named, and its error comes where it always does, at the session. */
static void
worker_read_secrets(GPtrArray *routes)
{
	for (guint i = 0; i < routes->len; i++) {
		MmRoute *route = routes->pdata[i];
		char *secret = NULL;

		if (route->auth_secret != NULL || route->auth_secret_file == NULL)
			continue;
		if (!mm_route_read_auth_secret(route, &secret, NULL) || secret == NULL)
			continue;
		route->auth_secret = secret;
		g_clear_pointer(&route->auth_secret_file, g_free);
	}
}

static void G_GNUC_NORETURN
worker_fail(int fd, const char *reason)
{
	g_autofree char *head = g_strdup_printf("X %" G_GSIZE_FORMAT "\n", strlen(reason));

	if (wire_write(fd, head, strlen(head), 0, "the parent", NULL))
		wire_write(fd, reason, strlen(reason), 0, "the parent", NULL);
	_exit(EX_OSERR);
}

/* The worker's side of a batch: where its results go. */
typedef struct {
	int fd;
	GArray *seqs;
	GPtrArray *rcpts;
	GArray *counts;
	GError *error;
	gboolean *sent;
} Streaming;

/* Writes the results of message @m of the batch, once. */
static void
stream_results(guint m, gpointer data)
{
	Streaming *st = data;
	g_autoptr(GString) out = g_string_new(NULL);

	if (st->sent[m] || st->error != NULL)
		return;
	st->sent[m] = TRUE;
	mm_remote_worker_encode_results(out, g_array_index(st->seqs, guint32, m), st->rcpts->pdata[m],
	                                g_array_index(st->counts, guint, m));
	wire_write(st->fd, out->str, out->len, 0, "the parent", &st->error);
}

static void G_GNUC_NORETURN
worker_main(const MmConf *conf, GPtrArray *routes, const MmRemoteWorkerIds *ids, int fd, pid_t parent)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *hello = NULL;
	MmRemoteRun *remote;

	worker_reset_process(fd);
	worker_read_secrets(routes);
	if (ids != NULL && !mm_priv_become(ids->uid, ids->gid, ids->user, &error))
		worker_fail(fd, error->message);
#ifdef __linux__
	/* After the change of ids, which clears it: a worker whose parent
	 * is gone has nobody to tell what it delivered. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	if (getppid() != parent)
		_exit(EX_OSERR);
	hello = g_strdup_printf("W %d\n", (int)getpid());
	if (!wire_write(fd, hello, strlen(hello), 0, "the parent", NULL))
		_exit(EX_OSERR);

	remote = mm_remote_run_new(conf, routes);
	for (;;) {
		g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func((GDestroyNotify)mm_message_free);
		g_autoptr(GArray) seqs = g_array_new(FALSE, FALSE, sizeof(guint32));
		g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func(g_free);
		g_autoptr(GArray) counts = g_array_new(FALSE, FALSE, sizeof(guint));

		if (!mm_remote_worker_read_batch(fd, msgs, seqs, &error))
			break;
		for (guint m = 0; m < msgs->len; m++) {
			const MmMessage *msg = msgs->pdata[m];
			guint n = msg->rcpts->len;
			MmRemoteRcpt *r = g_new0(MmRemoteRcpt, n);
			for (guint i = 0; i < n; i++)
				r[i].address = ((MmRecipient *)msg->rcpts->pdata[i])->address;
			g_ptr_array_add(rcpts, r);
			g_array_append_val(counts, n);
		}
		/* the messages of a batch share their sessions (remote.h);
		 * each message's results go to the parent as soon as they
		 * are final, so that it marks what the relay took while the
		 * session goes on */
		Streaming st = { .fd = fd, .seqs = seqs, .rcpts = rcpts, .counts = counts };
		st.sent = g_new0(gboolean, msgs->len);
		mm_remote_deliver_notify(remote, (MmMessage *const *)msgs->pdata, msgs->len,
		                         (MmRemoteRcpt *const *)rcpts->pdata, (const guint *)counts->data,
		                         stream_results, &st);
		for (guint m = 0; m < msgs->len && st.error == NULL; m++)
			stream_results(m, &st);
		g_free(st.sent);
		for (guint m = 0; m < msgs->len; m++) {
			MmRemoteRcpt *r = rcpts->pdata[m];
			for (guint i = 0; i < g_array_index(counts, guint, m); i++)
				mm_remote_rcpt_clear(&r[i]);
		}
		if (st.error != NULL) {
			g_propagate_error(&error, st.error);
			break;
		}
	}
	if (error != NULL)
		mm_log(LOG_ERR, "remote worker: %s", error->message);
	mm_remote_run_free(remote);
	_exit(error != NULL ? EX_SOFTWARE : EX_OK);
}

/* Waits for @pid up to @secs, then kills it. Returns its wait status. */
static int
reap(pid_t pid, guint secs)
{
	gint64 end = g_get_monotonic_time() + (gint64)secs * G_USEC_PER_SEC;
	gulong nap = 1000;
	int status = 0;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return status;
		if (r == 0 && g_get_monotonic_time() >= end)
			break;
		g_usleep(nap);
		nap = MIN(nap * 2, G_USEC_PER_SEC / 10);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static char *
describe_status(int status)
{
	if (WIFEXITED(status))
		return g_strdup_printf("exit status %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return g_strdup_printf("killed by signal %d", WTERMSIG(status));
	return g_strdup("gone");
}

/* Before the worker is reaped: from then on its pid may be another
 * process's. */
static void
forget_live(pid_t pid)
{
	if (live_pid == pid)
		live_pid = 0;
}

static void
worker_clear(MmRemoteWorker *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	if (w->pid > 0) {
		forget_live(w->pid);
		reap(w->pid, 0);
		w->pid = 0;
	}
}

/* Reads the worker's first words. */
static gboolean
await_hello(MmRemoteWorker *w, GError **error)
{
	g_autoptr(GString) line = g_string_new(NULL);
	g_autofree char *expected = g_strdup_printf("W %d", (int)w->pid);
	Wire wire;
	guint64 len;
	int r;

	wire_init(&wire, w->fd, g_get_monotonic_time() + MM_REMOTE_WORKER_START_SECS * G_USEC_PER_SEC,
	          "the worker");
	r = wire_line(&wire, MM_REMOTE_WORKER_LINE_MAX, line, error);
	if (r == 0)
		set_closed(error, &wire, "at its start");
	if (r <= 0)
		return FALSE;
	if (strcmp(line->str, expected) == 0 && wire.pos == wire.len)
		return TRUE;
	if (line->len > 2 && strncmp(line->str, "X ", 2) == 0 &&
	    parse_count(line->str + 2, MM_REMOTE_WORKER_FIELD_MAX, &len) && len > 0) {
		g_autofree char *reason = g_malloc0(len + 1);
		if (!wire_exact(&wire, reason, len, error))
			return FALSE;
		g_strdelimit(reason, "\r\n", ' ');
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s", reason);
		return FALSE;
	}
	g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "the worker did not start as it should");
	return FALSE;
}

MmRemoteWorker *
mm_remote_worker_start(const MmConf *conf, GPtrArray *routes, const MmRemoteWorkerIds *ids, GError **error)
{
	g_autoptr(MmRemoteWorker) w = NULL;
	g_autoptr(GError) local = NULL;
	int sv[2];
	pid_t parent = getpid();

	g_return_val_if_fail(conf != NULL && routes != NULL, NULL);
	if (link_down) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "%s", MM_REMOTE_WORKER_LINK_DOWN);
		return NULL;
	}
	if (ids != NULL && ids->uid == 0) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY,
		            "remote delivery worker not started: its user would be root");
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		set_io_error(error, errno, "remote delivery worker not started:", "socketpair");
		return NULL;
	}
	w = g_new0(MmRemoteWorker, 1);
	w->fd = sv[0];
	w->routes = g_ptr_array_ref(routes);
	w->hosts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	w->pid = fork();
	if (w->pid < 0) {
		w->pid = 0;
		close(sv[1]);
		set_io_error(error, errno, "remote delivery worker not started:", "fork");
		return NULL;
	}
	if (w->pid == 0) {
		close(sv[0]);
		worker_main(conf, routes, ids, sv[1], parent);
	}
	close(sv[1]);
	live_pid = w->pid;
	if (fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK) != 0)
		set_io_error(&local, errno, "setting up the channel to", "the worker");
	/* the link may have gone down while we forked: then the handler
	 * found no worker to kill, or has killed this one */
	if (local == NULL && link_down)
		g_set_error(&local, MM_ERROR, MM_ERROR_TEMPORARY, "%s", MM_REMOTE_WORKER_LINK_DOWN);
	if (local != NULL || !await_hello(w, &local)) {
		/* whatever it is doing, it will not do it for us */
		kill(w->pid, SIGKILL);
		w->broken = g_strdup(local->message);
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "remote delivery worker did not start: %s",
		            local->message);
		return NULL;
	}
	mm_log(LOG_INFO, "remote worker pid=%d started uid=%u", (int)w->pid,
	       (unsigned)(ids != NULL ? ids->uid : geteuid()));
	return g_steal_pointer(&w);
}

void
mm_remote_worker_free(MmRemoteWorker *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	if (w->pid > 0) {
		int status;

		forget_live(w->pid);
		status = reap(w->pid, MM_REMOTE_WORKER_EXIT_SECS);
		if (w->broken == NULL && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			g_autofree char *how = describe_status(status);
			mm_log(LOG_WARNING, "remote worker pid=%d ended: %s", (int)w->pid, how);
		}
		w->pid = 0;
	}
	g_ptr_array_unref(w->routes);
	g_hash_table_destroy(w->hosts);
	g_free(w->broken);
	g_free(w);
}

pid_t
mm_remote_worker_pid(const MmRemoteWorker *w)
{
	return w->pid;
}

const char *
mm_remote_worker_broken(const MmRemoteWorker *w)
{
	return w->broken;
}

/* Gives up on the worker for the rest of the run. */
static void
worker_break(MmRemoteWorker *w, const char *uid, const GError *why)
{
	pid_t pid = w->pid;
	g_autofree char *how = NULL;

	if (w->pid > 0) {
		forget_live(w->pid);
		kill(w->pid, SIGKILL);
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
		w->pid = 0;
	}
	worker_clear(w);
	if (link_down) {
		/* whatever the channel said, the kill was ours: not a fault */
		w->broken = g_strdup(MM_REMOTE_WORKER_LINK_DOWN);
		mm_log(LOG_NOTICE, "%s: remote worker pid=%d stopped: %s; remote recipients wait for the next run",
		       uid, (int)pid, w->broken);
		return;
	}
	w->broken = g_strdup(why->message);
	mm_log(LOG_ERR, "%s: remote worker pid=%d stopped: %s; remote recipients wait for the next run",
	       uid, (int)pid, why->message);
}

gboolean
mm_remote_worker_deliver(MmRemoteWorker *w, const MmMessage *msg, MmRemoteRcpt *rcpts, guint n,
                         GError **error)
{
	MmMessage *m = (MmMessage *)msg;

	return mm_remote_worker_deliver_batch(w, &m, 1, &rcpts, &n, NULL, NULL, error);
}

/* The index of a request in the batch as the caller's index. */
typedef struct {
	const guint *index;
	MmRemoteDoneFunc done;
	gpointer data;
} Relay;

static void
relay_done(guint i, gpointer data)
{
	Relay *r = data;

	r->done(r->index[i], r->data);
}

gboolean
mm_remote_worker_deliver_batch(MmRemoteWorker *w, MmMessage *const *msgs, guint n_msgs,
                               MmRemoteRcpt *const *rcpts, const guint *n, MmRemoteDoneFunc done,
                               gpointer done_data, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GPtrArray) have = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) sent = g_ptr_array_new();     /* MmMessage*: those in the request */
	g_autoptr(GPtrArray) sent_rcpts = g_ptr_array_new();
	g_autoptr(GPtrArray) sent_have = g_ptr_array_new();
	g_autoptr(GArray) sent_n = g_array_new(FALSE, FALSE, sizeof(guint));
	g_autoptr(GArray) sent_index = g_array_new(FALSE, FALSE, sizeof(guint)); /* in @msgs */
	g_autoptr(GByteArray) request = NULL;
	g_autofree char *batch = NULL;
	const char *uid = n_msgs > 0 ? msgs[0]->uid : "-";
	guint32 first_seq;
	gint64 deadline;
	gboolean ok;

	g_return_val_if_fail(w != NULL && (msgs != NULL || n_msgs == 0), FALSE);
	for (guint m = 0; m < n_msgs; m++) {
		g_return_val_if_fail(msgs[m]->body != NULL, FALSE);
		g_ptr_array_add(have, g_new0(gboolean, MAX(n[m], 1)));
	}
	if (w->broken != NULL) {
		g_set_error(&local, MM_ERROR, MM_ERROR_TEMPORARY, "%s", w->broken);
		goto fail;
	}
	if (link_down) {
		/* its sessions went over the link that is gone */
		g_set_error(&local, MM_ERROR, MM_ERROR_TEMPORARY, "%s", MM_REMOTE_WORKER_LINK_DOWN);
		worker_break(w, uid, local);
		goto fail;
	}

	/* one write: "B count", then each message's request */
	request = g_byte_array_new();
	first_seq = w->seq + 1;
	for (guint m = 0; m < n_msgs; m++) {
		g_autofree const MmAddress **addrs = NULL;
		g_autoptr(GBytes) head = NULL;
		g_autoptr(GError) bad = NULL;
		gsize len;
		const guint8 *data;

		if (n[m] == 0)
			continue;
		addrs = g_new0(const MmAddress *, n[m]);
		for (guint i = 0; i < n[m]; i++)
			addrs[i] = rcpts[m][i].address;
		head = request_head(w->seq + 1, msgs[m], addrs, n[m], &bad);
		if (head == NULL) {
			/* the message, not the worker, is at fault */
			gboolean *h = have->pdata[m];
			for (guint i = 0; i < n[m]; i++) {
				mm_remote_rcpt_clear(&rcpts[m][i]);
				rcpts[m][i].status = MM_REMOTE_DEFERRED;
				rcpts[m][i].reason = g_strdup_printf("cannot hand the message to the remote worker: %s",
				                                     bad->message);
				h[i] = TRUE;
			}
			if (local == NULL)
				g_propagate_error(&local, g_steal_pointer(&bad));
			continue;
		}
		w->seq++;
		data = g_bytes_get_data(head, &len);
		g_byte_array_append(request, data, (guint)len);
		data = g_bytes_get_data(msgs[m]->body, &len);
		g_byte_array_append(request, data, (guint)len);
		g_ptr_array_add(sent, msgs[m]);
		g_ptr_array_add(sent_rcpts, rcpts[m]);
		g_ptr_array_add(sent_have, have->pdata[m]);
		g_array_append_val(sent_n, n[m]);
		g_array_append_val(sent_index, m);
	}
	if (sent->len == 0) {
		if (local != NULL) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		return TRUE;
	}
	batch = g_strdup_printf("B %u\n", sent->len);
	/* the client's limits bound each message of the batch */
	deadline = g_get_monotonic_time() +
	           (gint64)MM_REMOTE_WORKER_REQUEST_SECS * G_USEC_PER_SEC * (gint64)sent->len;
	Relay relay = { (const guint *)sent_index->data, done, done_data };
	ok = wire_write(w->fd, batch, strlen(batch), deadline, "the worker", &local) &&
	     wire_write(w->fd, request->data, request->len, deadline, "the worker", &local) &&
	     mm_remote_worker_read_batch_results_notify(w->fd, first_seq, sent->len, w->routes, w->hosts,
	                                                (MmRemoteRcpt *const *)sent_rcpts->pdata,
	                                                (gboolean *const *)sent_have->pdata,
	                                                (const guint *)sent_n->data, deadline,
	                                                done != NULL ? relay_done : NULL, &relay, &local);
	if (ok) {
		if (local != NULL) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		return TRUE;
	}
	worker_break(w, uid, local);

fail:
	for (guint m = 0; m < n_msgs; m++) {
		gboolean *h = have->pdata[m];
		for (guint i = 0; i < n[m]; i++) {
			if (h[i])
				continue;
			mm_remote_rcpt_clear(&rcpts[m][i]);
			rcpts[m][i].status = MM_REMOTE_DEFERRED;
			if (link_down)
				rcpts[m][i].reason = g_strdup(MM_REMOTE_WORKER_LINK_DOWN);
			else
				rcpts[m][i].reason = g_strdup_printf("remote delivery worker failed: %s", local->message);
		}
	}
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

void
mm_remote_worker_link_down(void)
{
	int saved = errno;
	pid_t pid = (pid_t)live_pid;

	link_down = 1;
	if (pid > 0)
		kill(pid, SIGKILL);
	errno = saved;
}

gboolean
mm_remote_worker_is_link_down(void)
{
	return link_down != 0;
}
