/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * server.c owns the SMTP connections: sockets, TLS sessions, buffers
 * and timers. It never interprets a byte of input: that is session.c.
 * No callback blocks. Accepted messages are committed in groups: the
 * messages whose DATA ended in the same main loop iteration, or while
 * the worker threads were busy, are written to the spool together by
 * a worker thread (mm_spool_write_batch(): their fsyncs
 * share the journal commits, one fsync of the directory for all), and
 * each session gets its 250 (or 452) when its group is on disk. The
 * main loop meanwhile goes on reading the other sessions.
 *
 * The client's name comes from GResolver, asynchronously, in the
 * server's main context. The server gets its resolver only when the
 * first client connects: in the daemon that is in the SMTP child, so
 * the resolver's threads are started after the fork, never before.
 */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "queue/spool.h"
#include "smtp/server.h"

#define READ_CHUNK 4096
/* Batches written at the same time. More than one, because creating a
 * file costs time in the file system (ext4 without a journal searches
 * its inode bitmap past every inode freed in the last minute) that one
 * thread would serialise; with a journal their fsyncs still meet in
 * the same commits. tests/bench/README has the figures. */
#define COMMIT_THREADS 4

typedef struct _Batch Batch;

struct _MmSmtpServer {
	MmSmtpServerConfig cfg;
	GPtrArray *listen_ids;    /* guint source ids, as pointers */
	GHashTable *conns;        /* Conn* set */
	GHashTable *per_address;  /* address text -> count */
	guint counter;
	int pid;                  /* for session ids: the process serving them */
	gboolean stopping;
	guint grace_id;
	GSourceFunc done;
	gpointer done_data;
	GResolver *resolver;      /* NULL until the first lookup */
	GPtrArray *commit_queue;  /* Commit*, for the next batch */
	GPtrArray *batches;       /* Batch*, being written */
	GThreadPool *committer;   /* made at the first batch */
	GMutex batch_lock;        /* the batches' done_source */
	guint commit_idle_id;
};

typedef struct _Conn Conn;

/* A message on its way to the spool, and the connection that waits for
 * it (NULL once that is gone: the message is committed all the same). */
typedef struct {
	Conn *c;
	MmMessage *msg;
} Commit;

/* The messages the worker writes together. */
struct _Batch {
	MmSmtpServer *srv;
	GPtrArray *commits;       /* Commit* */
	MmSpoolBatchItem *items;  /* one per commit, filled by the worker */
	GSource *done_source;     /* attached by the worker when it is done */
};

/* One client's name lookup. The resolver's callbacks own it; a
 * connection that is done with it first only cuts it loose (c = NULL)
 * and cancels it. */
typedef struct {
	Conn *c;
	GResolver *resolver;
	GInetAddress *address;    /* the client's */
	GCancellable *cancel;
	char *name;               /* from the reverse lookup, to be confirmed */
} NameLookup;

struct _Conn {
	MmSmtpServer *srv;
	int fd;
	char *address;
	char *name;               /* confirmed host name, or NULL */
	gboolean may_relay;
	gboolean connect_logged;
	NameLookup *lookup;       /* while the name is looked up */
	guint lookup_timer_id;
	MmSmtpSession *session;
	MmTls *tls;
	gboolean handshaking;
	MmTlsStatus tls_want;     /* during the handshake: what it waits for */
	GByteArray *out;          /* replies not yet written */
	gsize out_pos;
	GSource *watch;           /* the socket, for the whole connection */
	gpointer watch_tag;
	GIOCondition watch_cond;
	guint timer_id;
	guint delay_id;           /* after a failed AUTH: neither read nor write */
	guint greet_id;
	gboolean closing;         /* write what is left, then close */
	Commit *commit;           /* its message waits in a batch */
};

static void conn_update(Conn *c);
static void conn_close(Conn *c);
static gboolean on_io(int fd, GIOCondition cond, gpointer data);

/* The socket's source lives as long as the connection and only the
 * events it waits for change: adding and removing a descriptor to the
 * main context wakes its poll each time, and re-making the source at
 * every event cost some twenty wake-ups per message. */
typedef struct {
	GSource source;
	Conn *c;
} ConnSource;

static gboolean
conn_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	ConnSource *cs = (ConnSource *)source;
	Conn *c = cs->c;

	/* on_io may close the connection, and with it this source */
	on_io(c->fd, g_source_query_unix_fd(source, c->watch_tag), c);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs conn_source_funcs = { .dispatch = conn_source_dispatch };

/* Waits for @cond on the connection's socket (0: for nothing). */
static void
conn_watch(Conn *c, GIOCondition cond)
{
	if (c->watch == NULL) {
		if (cond == 0)
			return;
		c->watch = g_source_new(&conn_source_funcs, sizeof(ConnSource));
		((ConnSource *)c->watch)->c = c;
		/* A blocked source's descriptor leaves the poll set during its
		 * dispatch and comes back after it, two more wake-ups per
		 * event; on_io never iterates the context itself. */
		g_source_set_can_recurse(c->watch, TRUE);
		c->watch_tag = g_source_add_unix_fd(c->watch, c->fd, cond);
		g_source_attach(c->watch, c->srv->cfg.context);
	} else if (cond != c->watch_cond) {
		g_source_modify_unix_fd(c->watch, c->watch_tag, cond);
	}
	c->watch_cond = cond;
}

/* Sources go to the server's context: the daemon's SMTP child runs its
 * own, apart from whatever its parent left in the default one. */
static guint
attach(MmSmtpServer *srv, GSource *src, GSourceFunc fn, gpointer data)
{
	guint id;
	g_source_set_callback(src, fn, data, NULL);
	id = g_source_attach(src, srv->cfg.context);
	g_source_unref(src);
	return id;
}

static guint
add_fd(MmSmtpServer *srv, int fd, GIOCondition cond, GUnixFDSourceFunc fn, gpointer data)
{
	return attach(srv, g_unix_fd_source_new(fd, cond), (GSourceFunc)(void (*)(void))fn, data);
}

static guint
add_timeout_ms(MmSmtpServer *srv, guint ms, GSourceFunc fn, gpointer data)
{
	return attach(srv, g_timeout_source_new(ms), fn, data);
}

static guint
add_timeout_s(MmSmtpServer *srv, guint secs, GSourceFunc fn, gpointer data)
{
	return attach(srv, g_timeout_source_new_seconds(secs), fn, data);
}

static void
clear_source(MmSmtpServer *srv, guint *id)
{
	if (*id) {
		GSource *src = g_main_context_find_source_by_id(srv->cfg.context, *id);
		if (src)
			g_source_destroy(src);
		*id = 0;
	}
}

static gboolean
on_delay_over(gpointer data)
{
	Conn *c = data;
	c->delay_id = 0;
	conn_update(c);
	return G_SOURCE_REMOVE;
}

/* ---- peers ----------------------------------------------------------- */

/* The peer's address as text, IPv4-mapped IPv6 written as IPv4. */
static char *
peer_address(int fd, gboolean *loopback)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	g_autoptr(GSocketAddress) sa = NULL;
	GInetAddress *ia;
	char *text;

	*loopback = FALSE;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return NULL;
	sa = g_socket_address_new_from_native(&ss, len);
	if (!sa || !G_IS_INET_SOCKET_ADDRESS(sa))
		return NULL;
	ia = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa));
	text = g_inet_address_to_string(ia);
	if (g_str_has_prefix(text, "::ffff:") && strchr(text, '.')) {
		char *v4 = g_strdup(text + 7);
		g_free(text);
		text = v4;
	}
	{
		g_autoptr(GInetAddress) plain = g_inet_address_new_from_string(text);
		*loopback = plain && g_inet_address_get_is_loopback(plain);
	}
	return text;
}

/* ---- connections --------------------------------------------------- */

static void
conn_take_output(Conn *c)
{
	GString *o = mm_smtp_session_take_output(c->session);
	guint delay = mm_smtp_session_take_delay(c->session);

	if (o->len > 0)
		g_byte_array_append(c->out, (const guint8 *)o->str, o->len);
	g_string_free(o, TRUE);
	if (mm_smtp_session_want_close(c->session))
		c->closing = TRUE;
	/* after a failed AUTH: the answer waits, and so does the input */
	if (delay > 0 && c->delay_id == 0) {
		conn_watch(c, 0);
		c->delay_id = add_timeout_ms(c->srv, delay, on_delay_over, c);
	}
}

static gboolean
on_timeout(gpointer data)
{
	Conn *c = data;
	c->timer_id = 0;
	mm_log(LOG_NOTICE, "%s: timeout client=%s", mm_smtp_session_id(c->session), c->address);
	if (c->handshaking) {
		conn_close(c);
		return G_SOURCE_REMOVE;
	}
	mm_smtp_session_abort(c->session, "4.4.2", "timeout");
	conn_take_output(c);
	conn_update(c);
	return G_SOURCE_REMOVE;
}

static void
conn_restart_timer(Conn *c)
{
	const MmConf *conf = c->srv->cfg.conf;
	gint64 secs;

	clear_source(c->srv, &c->timer_id);
	if (c->handshaking)
		secs = MM_SMTP_TLS_HANDSHAKE_SECS;
	else if (mm_smtp_session_waiting_for(c->session) == MM_SMTP_WAIT_DATA)
		secs = conf->smtp_data_timeout;
	else
		secs = conf->smtp_command_timeout;
	c->timer_id = add_timeout_s(c->srv, (guint)secs, on_timeout, c);
}

/* Writes pending output. FALSE when the connection is gone. */
static gboolean
conn_write(Conn *c)
{
	while (c->out_pos < c->out->len) {
		const guint8 *p = c->out->data + c->out_pos;
		gsize n = c->out->len - c->out_pos;
		gsize written = 0;

		if (c->tls) {
			g_autoptr(GError) error = NULL;
			MmTlsStatus st = mm_tls_write(c->tls, p, n, &written, &error);
			if (st == MM_TLS_WANT_WRITE || st == MM_TLS_WANT_READ)
				return TRUE;
			if (st != MM_TLS_OK) {
				mm_debug(3, "%s: write failed: %s", mm_smtp_session_id(c->session),
				         error ? error->message : "closed");
				return FALSE;
			}
		} else {
			ssize_t r = write(c->fd, p, n);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				return TRUE;
			if (r < 0)
				return FALSE;
			written = (gsize)r;
		}
		c->out_pos += written;
	}
	g_byte_array_set_size(c->out, 0);
	c->out_pos = 0;
	return TRUE;
}

static gboolean
output_pending(const Conn *c)
{
	return c->out_pos < c->out->len;
}

static void
start_tls(Conn *c)
{
	g_autoptr(GError) error = NULL;

	c->tls = mm_tls_new_server(c->srv->cfg.tls_creds, c->fd, &error);
	if (!c->tls) {
		mm_log(LOG_ERR, "%s: cannot start TLS: %s", mm_smtp_session_id(c->session), error->message);
		conn_close(c);
		return;
	}
	c->handshaking = TRUE;
	c->tls_want = MM_TLS_WANT_READ;
	conn_restart_timer(c);
}

static void
continue_handshake(Conn *c)
{
	g_autoptr(GError) error = NULL;
	MmTlsStatus st = mm_tls_handshake(c->tls, &error);
	g_autofree char *desc = NULL;

	if (st == MM_TLS_WANT_READ || st == MM_TLS_WANT_WRITE) {
		c->tls_want = st;
		return;
	}
	if (st != MM_TLS_OK) {
		mm_log(LOG_NOTICE, "%s: TLS handshake failed client=%s: %s", mm_smtp_session_id(c->session),
		       c->address, error ? error->message : "closed");
		conn_close(c);
		return;
	}
	c->handshaking = FALSE;
	desc = mm_tls_describe(c->tls);
	mm_log(LOG_INFO, "%s: tls=%s", mm_smtp_session_id(c->session), desc);
	mm_smtp_session_tls_started(c->session, desc);
	conn_restart_timer(c);
}

/* Reads what is there and feeds it to the session. FALSE when the
 * connection is gone. */
static gboolean
conn_read(Conn *c)
{
	char buf[READ_CHUNK];

	for (;;) {
		gsize got = 0;

		if (c->closing || c->delay_id || mm_smtp_session_want_starttls(c->session) ||
		    mm_smtp_session_paused(c->session) || c->out->len >= MM_SMTP_OUTPUT_MAX)
			return TRUE;
		if (c->tls) {
			g_autoptr(GError) error = NULL;
			MmTlsStatus st = mm_tls_read(c->tls, buf, sizeof buf, &got, &error);
			if (st == MM_TLS_WANT_READ || st == MM_TLS_WANT_WRITE)
				return TRUE;
			if (st != MM_TLS_OK) {
				mm_smtp_session_eof(c->session);
				return FALSE;
			}
		} else {
			ssize_t r = read(c->fd, buf, sizeof buf);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				return TRUE;
			if (r <= 0) {
				mm_smtp_session_eof(c->session);
				return FALSE;
			}
			got = (gsize)r;
		}
		if (c->greet_id) {
			/* talked before the greeting */
			clear_source(c->srv, &c->greet_id);
		}
		mm_smtp_session_feed(c->session, buf, got);
		conn_take_output(c);
		if (c->srv->stopping && !mm_smtp_session_in_transaction(c->session))
			mm_smtp_session_abort(c->session, "4.3.2", "service shutting down");
		conn_take_output(c);
		conn_restart_timer(c);
	}
}

static gboolean
on_io(int fd, GIOCondition cond, gpointer data)
{
	Conn *c = data;

	MmSmtpServer *srv = c->srv;

	if (c->handshaking) {
		continue_handshake(c);
		if (g_hash_table_contains(srv->conns, c))
			conn_update(c);
		return G_SOURCE_REMOVE;
	}
	if ((cond & G_IO_OUT) && !conn_write(c)) {
		conn_close(c);
		return G_SOURCE_REMOVE;
	}
	if ((cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && !conn_read(c)) {
		/* write what the session still has to say, if the peer listens */
		conn_write(c);
		conn_close(c);
		return G_SOURCE_REMOVE;
	}
	conn_update(c);
	return G_SOURCE_REMOVE;
}

/* Decides what to wait for next, after every event. */
static void
conn_update(Conn *c)
{
	GIOCondition cond = 0;

	if (c->delay_id)
		return;
	if (c->handshaking) {
		cond = c->tls_want == MM_TLS_WANT_WRITE ? G_IO_OUT : G_IO_IN;
	} else {
		if (output_pending(c)) {
			/* try at once: mostly the socket takes it all */
			if (!conn_write(c)) {
				conn_close(c);
				return;
			}
		}
		if (output_pending(c)) {
			cond |= G_IO_OUT;
		} else if (c->closing) {
			conn_close(c);
			return;
		} else if (mm_smtp_session_want_starttls(c->session)) {
			MmSmtpServer *srv = c->srv;
			start_tls(c);
			if (!g_hash_table_contains(srv->conns, c))
				return;
			continue_handshake(c);
			if (!g_hash_table_contains(srv->conns, c))
				return;
			conn_update(c);
			return;
		}
		if (!c->closing && c->out->len < MM_SMTP_OUTPUT_MAX && !mm_smtp_session_paused(c->session))
			cond |= G_IO_IN;
		/* decrypted data may wait in the TLS session, not the socket */
		if (c->tls && (cond & G_IO_IN) && mm_tls_pending(c->tls)) {
			if (!conn_read(c)) {
				conn_write(c);
				conn_close(c);
				return;
			}
			conn_update(c);
			return;
		}
	}
	conn_watch(c, cond);
}

static void
check_done(MmSmtpServer *srv)
{
	/* a batch in flight is finished first, even if its clients left */
	if (srv->stopping && g_hash_table_size(srv->conns) == 0 && srv->done && srv->batches->len == 0 &&
	    srv->commit_queue->len == 0) {
		GSourceFunc done = srv->done;
		srv->done = NULL;
		clear_source(srv, &srv->grace_id);
		done(srv->done_data);
	}
}

static void
lookup_free(NameLookup *l)
{
	g_object_unref(l->resolver);
	g_object_unref(l->address);
	g_object_unref(l->cancel);
	g_free(l->name);
	g_free(l);
}

/* Lets the lookup run out on its own: its callback frees it. */
static void
conn_drop_lookup(Conn *c)
{
	NameLookup *l = c->lookup;
	g_autoptr(GCancellable) cancel = NULL;

	clear_source(c->srv, &c->lookup_timer_id);
	if (!l)
		return;
	c->lookup = NULL;
	l->c = NULL;
	cancel = g_object_ref(l->cancel);
	g_cancellable_cancel(cancel);
}

static void
conn_log_connect(Conn *c)
{
	if (c->connect_logged)
		return;
	c->connect_logged = TRUE;
	mm_log(LOG_INFO, "%s: connect client=%s name=%s relay=%s", mm_smtp_session_id(c->session), c->address,
	       c->name ? c->name : "unknown", c->may_relay ? "yes" : "no");
}

static void
conn_free(Conn *c)
{
	if (c->commit)
		c->commit->c = NULL;
	conn_drop_lookup(c);
	if (c->watch) {
		g_source_destroy(c->watch);
		g_clear_pointer(&c->watch, g_source_unref);
	}
	clear_source(c->srv, &c->timer_id);
	clear_source(c->srv, &c->delay_id);
	clear_source(c->srv, &c->greet_id);
	if (c->tls && !c->handshaking)
		mm_tls_bye(c->tls, NULL);
	g_clear_pointer(&c->tls, mm_tls_free);
	if (c->fd >= 0)
		close(c->fd);
	mm_smtp_session_free(c->session);
	g_byte_array_unref(c->out);
	g_free(c->address);
	g_free(c->name);
	g_free(c);
}

static void
conn_close(Conn *c)
{
	MmSmtpServer *srv = c->srv;
	guint n;

	if (!g_hash_table_steal(srv->conns, c))
		return;
	conn_log_connect(c);
	mm_log(LOG_INFO, "%s: disconnect client=%s", mm_smtp_session_id(c->session), c->address);
	n = GPOINTER_TO_UINT(g_hash_table_lookup(srv->per_address, c->address));
	if (n <= 1)
		g_hash_table_remove(srv->per_address, c->address);
	else
		g_hash_table_insert(srv->per_address, g_strdup(c->address), GUINT_TO_POINTER(n - 1));
	conn_free(c);
	check_done(srv);
}

static gboolean
on_greet(gpointer data)
{
	Conn *c = data;
	c->greet_id = 0;
	mm_smtp_session_greet(c->session);
	conn_take_output(c);
	conn_update(c);
	return G_SOURCE_REMOVE;
}

/* ---- the client's name ----------------------------------------------- */

/* A name worth a forward lookup: letters, digits and hyphens in dotted
 * labels (RFC 1123 2.1), and not an address in disguise, which would
 * "resolve" to itself and so confirm anything. */
static gboolean
plausible_host_name(const char *name)
{
	gsize len = strlen(name);

	if (len == 0 || len > MM_DOMAIN_MAX || g_hostname_is_ip_address(name))
		return FALSE;
	for (const char *label = name; *label;) {
		gsize n = strcspn(label, ".");
		/* RFC 1035 2.3.4: labels of 63 octets at most */
		if (n == 0 || n > 63 || label[0] == '-' || label[n - 1] == '-')
			return FALSE;
		for (gsize i = 0; i < n; i++)
			if (!g_ascii_isalnum(label[i]) && label[i] != '-')
				return FALSE;
		label += n;
		if (*label == '.')
			label++;
	}
	return TRUE;
}

/* The name is known (or known to be unknown): the session may go on. */
static void
conn_settle_name(Conn *c, const char *name, const char *why)
{
	conn_drop_lookup(c);
	g_free(c->name);
	c->name = g_strdup(name);
	if (!name)
		mm_debug(3, "%s: no name for client=%s: %s", mm_smtp_session_id(c->session), c->address, why);
	conn_log_connect(c);
	mm_smtp_session_set_peer_name(c->session, name);
	conn_take_output(c);
	if (c->srv->stopping && !mm_smtp_session_in_transaction(c->session))
		mm_smtp_session_abort(c->session, "4.3.2", "service shutting down");
	conn_take_output(c);
	conn_update(c);
}

static gboolean
on_name_timeout(gpointer data)
{
	Conn *c = data;

	c->lookup_timer_id = 0;
	conn_settle_name(c, NULL, "no answer in time");
	return G_SOURCE_REMOVE;
}

static void
on_forward_lookup(GObject *src, GAsyncResult *res, gpointer data)
{
	NameLookup *l = data;
	g_autoptr(GError) error = NULL;
	GList *addrs = g_resolver_lookup_by_name_finish(G_RESOLVER(src), res, &error);
	gboolean confirmed = FALSE;

	for (GList *a = addrs; a && !confirmed; a = a->next)
		confirmed = g_inet_address_equal(a->data, l->address);
	g_resolver_free_addresses(addrs);
	if (l->c)
		conn_settle_name(l->c, confirmed ? l->name : NULL,
		                 error ? error->message : "the name does not lead back to the address");
	lookup_free(l);
}

static void
on_reverse_lookup(GObject *src, GAsyncResult *res, gpointer data)
{
	NameLookup *l = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *name = g_resolver_lookup_by_address_finish(G_RESOLVER(src), res, &error);
	GMainContext *ctx;

	if (!l->c || !name || !plausible_host_name(name)) {
		if (l->c)
			conn_settle_name(l->c, NULL, error ? error->message : "the reverse lookup gave no host name");
		lookup_free(l);
		return;
	}
	/* Forward-confirmed, as Postfix does: anyone who controls the
	 * reverse zone of an address can name it anything. */
	l->name = g_steal_pointer(&name);
	ctx = l->c->srv->cfg.context;
	g_main_context_push_thread_default(ctx);
	g_resolver_lookup_by_name_async(l->resolver, l->name, l->cancel, on_forward_lookup, l);
	g_main_context_pop_thread_default(ctx);
}

/* Starts looking up the name of @c's client at @address; the answer,
 * or MM_SMTP_CLIENT_NAME_MS without one, settles it. */
static void
conn_start_name_lookup(Conn *c, GInetAddress *address)
{
	MmSmtpServer *srv = c->srv;
	NameLookup *l = g_new0(NameLookup, 1);
	guint ms = srv->cfg.name_lookup_ms ? srv->cfg.name_lookup_ms : MM_SMTP_CLIENT_NAME_MS;

	if (!srv->resolver)
		srv->resolver = srv->cfg.resolver ? g_object_ref(srv->cfg.resolver) : g_resolver_get_default();
	l->c = c;
	l->resolver = g_object_ref(srv->resolver);
	l->address = g_object_ref(address);
	l->cancel = g_cancellable_new();
	c->lookup = l;
	c->lookup_timer_id = add_timeout_ms(srv, ms, on_name_timeout, c);
	/* The answer is delivered in the context that is the thread's
	 * default when the lookup starts. */
	g_main_context_push_thread_default(srv->cfg.context);
	g_resolver_lookup_by_address_async(l->resolver, address, l->cancel, on_reverse_lookup, l);
	g_main_context_pop_thread_default(srv->cfg.context);
}

/* Best effort: a one-line refusal on a socket we then close. */
static void
refuse(int fd, const char *line)
{
	ssize_t r = write(fd, line, strlen(line));
	(void)r;
	close(fd);
}

/* ---- group commit -------------------------------------------------- */

static void batch_start(MmSmtpServer *srv);

static void
commit_free(Commit *cm)
{
	mm_message_free(cm->msg);
	g_free(cm);
}

static void
batch_free(Batch *b)
{
	for (guint i = 0; i < b->commits->len; i++) {
		mm_spool_unlock(b->items[i].lock);
		g_clear_error(&b->items[i].error);
	}
	g_ptr_array_unref(b->commits);
	g_free(b->items);
	if (b->done_source)
		g_source_unref(b->done_source);
	g_free(b);
}

/* Answers each session of @b, and starts the next batch with what
 * came in meanwhile. */
static gboolean
on_batch_done(gpointer data)
{
	Batch *b = data;
	MmSmtpServer *srv = b->srv;

	g_ptr_array_remove_fast(srv->batches, b);
	for (guint i = 0; i < b->commits->len; i++) {
		Commit *cm = b->commits->pdata[i];
		Conn *c = cm->c;

		if (!c) {
			if (b->items[i].error == NULL)
				mm_log(LOG_NOTICE, "%s: queued after the client left", cm->msg->uid);
			continue;
		}
		c->commit = NULL;
		mm_smtp_session_commit_done(c->session, cm->msg, b->items[i].error);
		if (srv->stopping && !mm_smtp_session_in_transaction(c->session))
			mm_smtp_session_abort(c->session, "4.3.2", "service shutting down");
		conn_take_output(c);
		conn_restart_timer(c);
		conn_update(c);
	}
	batch_free(b);
	if (srv->commit_queue->len > 0 && srv->batches->len < COMMIT_THREADS)
		batch_start(srv);
	check_done(srv);
	return G_SOURCE_REMOVE;
}

/* In the worker thread: writes the batch, then wakes the main loop. */
static void
batch_write(gpointer data, gpointer user_data)
{
	Batch *b = data;
	MmSmtpServer *srv = user_data;
	GSource *src;

	mm_spool_write_batch(srv->cfg.conf->spool_dir, b->items, b->commits->len);
	src = g_idle_source_new();
	g_source_set_priority(src, G_PRIORITY_DEFAULT);
	g_source_set_callback(src, on_batch_done, b, NULL);
	g_mutex_lock(&srv->batch_lock);
	b->done_source = src;
	g_source_attach(src, srv->cfg.context);
	g_mutex_unlock(&srv->batch_lock);
}

static void
batch_start(MmSmtpServer *srv)
{
	Batch *b = g_new0(Batch, 1);
	g_autoptr(GError) error = NULL;

	b->srv = srv;
	b->commits = g_steal_pointer(&srv->commit_queue);
	g_ptr_array_set_free_func(b->commits, (GDestroyNotify)commit_free);
	srv->commit_queue = g_ptr_array_new();
	b->items = g_new0(MmSpoolBatchItem, b->commits->len);
	for (guint i = 0; i < b->commits->len; i++)
		b->items[i].msg = ((Commit *)b->commits->pdata[i])->msg;
	g_ptr_array_add(srv->batches, b);
	/* Made at the first message, not before: in the daemon that is in
	 * the SMTP child, after the fork. */
	if (!srv->committer)
		srv->committer = g_thread_pool_new(batch_write, srv, COMMIT_THREADS, FALSE, &error);
	if (!srv->committer || !g_thread_pool_push(srv->committer, b, &error)) {
		mm_log(LOG_WARNING, "smtp: no commit thread, writing in the main loop: %s",
		       error ? error->message : "?");
		mm_spool_write_batch(srv->cfg.conf->spool_dir, b->items, b->commits->len);
		on_batch_done(b);
	}
}

static gboolean
on_commit_idle(gpointer data)
{
	MmSmtpServer *srv = data;

	srv->commit_idle_id = 0;
	if (srv->commit_queue->len > 0 && srv->batches->len < COMMIT_THREADS)
		batch_start(srv);
	return G_SOURCE_REMOVE;
}

/* The session's commit_start: the message joins the next batch, which
 * starts once the main loop has dealt with what else is ready (other
 * sessions ending their DATA now join it), or when the batch being
 * written is done. */
static void
conn_commit_start(MmSmtpSession *session, MmMessage *msg, gpointer data)
{
	Conn *c = data;
	MmSmtpServer *srv = c->srv;
	Commit *cm = g_new0(Commit, 1);

	cm->c = c;
	cm->msg = msg;
	c->commit = cm;
	g_ptr_array_add(srv->commit_queue, cm);
	if (srv->batches->len < COMMIT_THREADS && !srv->commit_idle_id) {
		GSource *src = g_idle_source_new();

		g_source_set_priority(src, G_PRIORITY_DEFAULT);
		srv->commit_idle_id = attach(srv, src, on_commit_idle, srv);
	}
}

/* The session's on_queued, with the connection as its data. */
static void
conn_on_queued(const char *uid, gpointer data)
{
	Conn *c = data;

	if (c->srv->cfg.on_queued)
		c->srv->cfg.on_queued(uid, c->srv->cfg.user_data);
}

/* Waits for the batch being written (server teardown) and forgets it:
 * its messages are on disk or not, their sessions are gone. */
static void
committer_stop(MmSmtpServer *srv)
{
	clear_source(srv, &srv->commit_idle_id);
	if (srv->committer)
		g_thread_pool_free(g_steal_pointer(&srv->committer), FALSE, TRUE);
	for (guint i = 0; i < srv->batches->len; i++) {
		Batch *b = srv->batches->pdata[i];

		g_mutex_lock(&srv->batch_lock);
		if (b->done_source)
			g_source_destroy(b->done_source);
		g_mutex_unlock(&srv->batch_lock);
		batch_free(b);
	}
	g_clear_pointer(&srv->batches, g_ptr_array_unref);
	/* not written: their clients had no 250 */
	g_ptr_array_set_free_func(srv->commit_queue, (GDestroyNotify)commit_free);
	g_clear_pointer(&srv->commit_queue, g_ptr_array_unref);
}

void
mm_smtp_server_add_connection(MmSmtpServer *srv, int fd)
{
	const MmConf *conf = srv->cfg.conf;
	gboolean loopback = FALSE;
	g_autofree char *address = peer_address(fd, &loopback);
	MmSmtpPeer peer = { 0 };
	MmSmtpSessionConfig scfg = {
		.conf = conf,
		.secrets = srv->cfg.secrets,
		.tls_offered = srv->cfg.tls_creds != NULL,
		.commit_start = conn_commit_start,
		.on_queued = conn_on_queued,
	};
	g_autofree char *id = NULL;
	g_autoptr(GInetAddress) inet = address ? g_inet_address_new_from_string(address) : NULL;
	guint per;
	Conn *c;

	if (!address)
		address = g_strdup("unknown");
	g_unix_set_fd_nonblocking(fd, TRUE, NULL);
	if (srv->stopping) {
		refuse(fd, "421 4.3.2 service shutting down\r\n");
		return;
	}
	if (g_hash_table_size(srv->conns) >= (guint)conf->smtp_max_sessions) {
		g_autofree char *line = g_strdup_printf("421 4.3.2 %s too many sessions, try again later\r\n",
		                                        conf->host_name);
		mm_log(LOG_NOTICE, "refused client=%s: %u sessions", address, g_hash_table_size(srv->conns));
		refuse(fd, line);
		return;
	}
	per = GPOINTER_TO_UINT(g_hash_table_lookup(srv->per_address, address));
	if (per >= (guint)conf->smtp_max_sessions_per_client) {
		g_autofree char *line = g_strdup_printf(
			"421 4.7.0 %s too many sessions from your address, try again later\r\n", conf->host_name);
		mm_log(LOG_NOTICE, "refused client=%s: %u sessions from it", address, per);
		refuse(fd, line);
		return;
	}
	g_hash_table_insert(srv->per_address, g_strdup(address), GUINT_TO_POINTER(per + 1));

	id = g_strdup_printf("smtp%d.%u", srv->pid, ++srv->counter);
	scfg.id = id;
	peer.address = address;
	peer.loopback = loopback;
	peer.may_relay = srv->cfg.relay_nets && mm_relay_nets_contains(srv->cfg.relay_nets, address);
	peer.name_pending = inet != NULL;

	c = g_new0(Conn, 1);
	c->srv = srv;
	c->fd = fd;
	c->address = g_steal_pointer(&address);
	c->may_relay = peer.may_relay;
	c->out = g_byte_array_new();
	scfg.user_data = c;
	c->session = mm_smtp_session_new(&scfg, &peer);
	g_hash_table_add(srv->conns, c);
	/* the connect line waits for the name, which rarely takes long */
	if (inet)
		conn_start_name_lookup(c, inet);
	else
		conn_log_connect(c);
	conn_restart_timer(c);
	if (conf->smtp_greeting_delay > 0) {
		c->greet_id = add_timeout_s(srv, (guint)conf->smtp_greeting_delay, on_greet, c);
		conn_update(c);
	} else {
		on_greet(c);
	}
}

static gboolean
on_listener(int fd, GIOCondition cond, gpointer data)
{
	MmSmtpServer *srv = data;

	/* a few at a time, so that one busy listener cannot starve the rest */
	for (int i = 0; i < 16; i++) {
		int client = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (client < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				mm_log(LOG_WARNING, "accept: %s", g_strerror(errno));
			break;
		}
		mm_smtp_server_add_connection(srv, client);
	}
	return G_SOURCE_CONTINUE;
}

MmSmtpServer *
mm_smtp_server_new(const MmSmtpServerConfig *cfg)
{
	MmSmtpServer *srv = g_new0(MmSmtpServer, 1);

	srv->cfg = *cfg;
	srv->pid = (int)getpid();
	srv->listen_ids = g_ptr_array_new();
	srv->conns = g_hash_table_new(NULL, NULL);
	srv->per_address = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	srv->commit_queue = g_ptr_array_new();
	srv->batches = g_ptr_array_new();
	g_mutex_init(&srv->batch_lock);
	return srv;
}

void
mm_smtp_server_add_listener(MmSmtpServer *srv, int fd)
{
	g_unix_set_fd_nonblocking(fd, TRUE, NULL);
	g_ptr_array_add(srv->listen_ids, GUINT_TO_POINTER(add_fd(srv, fd, G_IO_IN, on_listener, srv)));
}

static void
stop_listening(MmSmtpServer *srv)
{
	for (guint i = 0; i < srv->listen_ids->len; i++) {
		guint id = GPOINTER_TO_UINT(srv->listen_ids->pdata[i]);
		clear_source(srv, &id);
	}
	g_ptr_array_set_size(srv->listen_ids, 0);
}

static gboolean
on_grace_over(gpointer data)
{
	MmSmtpServer *srv = data;
	g_autoptr(GList) conns = g_hash_table_get_keys(srv->conns);

	srv->grace_id = 0;
	for (GList *l = conns; l; l = l->next) {
		Conn *c = l->data;
		mm_smtp_session_abort(c->session, "4.3.2", "service shutting down");
		conn_take_output(c);
		conn_write(c);
		conn_close(c);
	}
	return G_SOURCE_REMOVE;
}

void
mm_smtp_server_shutdown(MmSmtpServer *srv, GSourceFunc done, gpointer done_data)
{
	g_autoptr(GList) conns = g_hash_table_get_keys(srv->conns);

	srv->stopping = TRUE;
	srv->done = done;
	srv->done_data = done_data;
	stop_listening(srv);
	for (GList *l = conns; l; l = l->next) {
		Conn *c = l->data;
		if (mm_smtp_session_in_transaction(c->session) || c->handshaking)
			continue;
		mm_smtp_session_abort(c->session, "4.3.2", "service shutting down");
		conn_take_output(c);
		conn_update(c);
	}
	if (g_hash_table_size(srv->conns) > 0)
		srv->grace_id = add_timeout_s(srv, MM_SMTP_SHUTDOWN_GRACE_SECS, on_grace_over, srv);
	check_done(srv);
}

guint
mm_smtp_server_n_sessions(const MmSmtpServer *srv)
{
	return g_hash_table_size(srv->conns);
}

void
mm_smtp_server_free(MmSmtpServer *srv)
{
	g_autoptr(GList) conns = NULL;

	if (!srv)
		return;
	stop_listening(srv);
	srv->done = NULL;
	conns = g_hash_table_get_keys(srv->conns);
	for (GList *l = conns; l; l = l->next) {
		Conn *c = l->data;
		mm_smtp_session_abort(c->session, "4.3.2", "service shutting down");
		conn_take_output(c);
		conn_write(c);
		conn_close(c);
	}
	clear_source(srv, &srv->grace_id);
	committer_stop(srv);
	g_mutex_clear(&srv->batch_lock);
	g_ptr_array_unref(srv->listen_ids);
	g_hash_table_unref(srv->conns);
	g_hash_table_unref(srv->per_address);
	g_clear_object(&srv->resolver);
	g_free(srv);
}

void
mm_smtp_server_resources_clear(MmSmtpServerResources *res)
{
	g_clear_pointer(&res->relay_nets, mm_relay_nets_free);
	g_clear_pointer(&res->tls_creds, mm_tls_creds_free);
	g_clear_pointer(&res->secrets, mm_sasl_secrets_free);
}

gboolean
mm_smtp_server_load(const MmConf *conf, MmSmtpServerResources *res, GError **error)
{
	memset(res, 0, sizeof *res);
	if (conf->relay_networks[0]) {
		res->relay_nets = mm_relay_nets_new((const char *const *)conf->relay_networks, error);
		if (!res->relay_nets)
			goto fail;
	} else {
		res->relay_nets = mm_relay_nets_new_default();
	}
	if (conf->tls_cert_file) {
		res->tls_creds = mm_tls_creds_new_server(conf->tls_cert_file, conf->tls_key_file, conf->tls_ca_file,
		                                         conf->tls_priority, error);
		if (!res->tls_creds)
			goto fail;
	}
	if (conf->auth_secrets_file) {
		res->secrets = mm_sasl_secrets_read(conf->auth_secrets_file, error);
		if (!res->secrets)
			goto fail;
	}
	{
		g_autofree char *nets = mm_relay_nets_to_string(res->relay_nets);
		mm_debug(1, "smtp server: relay_networks=%s tls=%s auth=%s", nets, res->tls_creds ? "yes" : "no",
		         res->secrets ? "yes" : "no");
	}
	return TRUE;
fail:
	mm_smtp_server_resources_clear(res);
	return FALSE;
}

/* ---- -bs: one blocking session on stdin/stdout ----------------------- */

typedef struct {
	int in_fd, out_fd;
	MmTls *tls;
} Stdio;

static gboolean
stdio_write(Stdio *io, const char *p, gsize n)
{
	while (n > 0) {
		gsize written = 0;
		if (io->tls) {
			MmTlsStatus st = mm_tls_write(io->tls, p, n, &written, NULL);
			if (st != MM_TLS_OK)
				return FALSE;
		} else {
			ssize_t r = write(io->out_fd, p, n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return FALSE;
			written = (gsize)r;
		}
		p += written;
		n -= written;
	}
	return TRUE;
}

/* Bytes read into @buf; 0 at the end of input or on an error; -1 when
 * @timeout_s passed without input. */
static gssize
stdio_read(Stdio *io, char *buf, gsize len, gint64 timeout_s)
{
	struct pollfd pfd = { .fd = io->in_fd, .events = POLLIN };
	int r;

	if (!(io->tls && mm_tls_pending(io->tls))) {
		do
			r = poll(&pfd, 1, (int)MIN(timeout_s * 1000, G_MAXINT));
		while (r < 0 && errno == EINTR);
		if (r == 0)
			return -1;
		if (r < 0)
			return 0;
	}
	if (io->tls) {
		gsize got = 0;
		MmTlsStatus st = mm_tls_read(io->tls, buf, len, &got, NULL);
		return st == MM_TLS_OK ? (gssize)got : 0;
	}
	do
		r = read(io->in_fd, buf, len);
	while (r < 0 && errno == EINTR);
	return r > 0 ? r : 0;
}

static gboolean
stdio_flush(Stdio *io, MmSmtpSession *s)
{
	g_autoptr(GString) o = mm_smtp_session_take_output(s);
	guint delay = mm_smtp_session_take_delay(s);

	if (delay)
		g_usleep((gulong)delay * 1000);
	return o->len == 0 || stdio_write(io, o->str, o->len);
}

int
mm_smtp_server_run_stdio(const MmSmtpServerConfig *cfg, int in_fd, int out_fd)
{
	MmSmtpPeer peer = { .loopback = TRUE, .may_relay = TRUE };
	MmSmtpSessionConfig scfg = {
		.conf = cfg->conf,
		.secrets = cfg->secrets,
		.tls_offered = cfg->tls_creds != NULL,
		.on_queued = cfg->on_queued,
		.user_data = cfg->user_data,
	};
	g_autoptr(MmSmtpSession) s = mm_smtp_session_new(&scfg, &peer);
	Stdio io = { .in_fd = in_fd, .out_fd = out_fd };
	char buf[READ_CHUNK];
	int status = EX_OK;

	mm_log(LOG_INFO, "%s: smtp on standard input uid=%u", mm_smtp_session_id(s), (unsigned)getuid());
	mm_smtp_session_greet(s);
	while (TRUE) {
		gssize got;
		gint64 timeout;

		if (!stdio_flush(&io, s)) {
			status = EX_IOERR;
			break;
		}
		if (mm_smtp_session_want_close(s))
			break;
		if (mm_smtp_session_want_starttls(s)) {
			g_autoptr(GError) error = NULL;
			g_autofree char *desc = NULL;
			io.tls = mm_tls_new_server_fds(cfg->tls_creds, in_fd, out_fd, &error);
			if (!io.tls || mm_tls_handshake(io.tls, &error) != MM_TLS_OK) {
				mm_log(LOG_NOTICE, "%s: TLS handshake failed: %s", mm_smtp_session_id(s),
				       error ? error->message : "closed");
				break;
			}
			desc = mm_tls_describe(io.tls);
			mm_smtp_session_tls_started(s, desc);
			continue;
		}
		timeout = mm_smtp_session_waiting_for(s) == MM_SMTP_WAIT_DATA ? cfg->conf->smtp_data_timeout
		                                                               : cfg->conf->smtp_command_timeout;
		got = stdio_read(&io, buf, sizeof buf, timeout);
		if (got < 0) {
			mm_smtp_session_abort(s, "4.4.2", "timeout");
			continue;
		}
		if (got == 0) {
			mm_smtp_session_eof(s);
			break;
		}
		mm_smtp_session_feed(s, buf, (gsize)got);
	}
	if (io.tls) {
		mm_tls_bye(io.tls, NULL);
		mm_tls_free(io.tls);
	}
	return status;
}
