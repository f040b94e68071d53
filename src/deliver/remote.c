/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Remote delivery through routes: resolution of destinations, the
 * sessions of a run, wrapper commands and route pipes. It decides
 * nothing about the spool; the caller marks recipients from the
 * results. The SMTP conversation itself is the client's (smtp/).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "deliver/pipe.h"
#include "deliver/remote.h"
#include "deliver/render.h"
#include "deliver/rewrite.h"
#include "deliver/route_select.h"

/* How long a wrapper command gets to exit after its session ended. */
#define WRAPPER_EXIT_WAIT_SECS 10

/* A destination of one route in one run: its session, or why there is
 * none. */
typedef struct {
	MmSmtpClient *client;  /* NULL: could not be opened (see failure) */
	char *failure;
	char *peer;            /* for results; stays valid for the run */
	guint carried;         /* messages the session took to the end */
	GPid wrapper_pid;      /* 0: no wrapper */
	int wrapper_stderr;    /* an unlinked file with the wrapper's stderr, or -1 */
} Conn;

/* The hosts a domain resolved to, or why it did not. */
typedef struct {
	char **hosts;
	char *error;
	gboolean permanent;    /* the domain accepts no mail (null MX) */
} Resolved;

struct MmRemoteRun {
	const MmConf *conf;
	GPtrArray *routes;
	GHashTable *conns;     /* "route\nkey" -> Conn* */
	GHashTable *resolved;  /* "route\ndomain" -> Resolved* */
	GPtrArray *peers;      /* char*, names handed out in results */
	MmLocality locality;
};

static const char *
keep_peer(MmRemoteRun *run, const char *peer)
{
	if (peer == NULL)
		return NULL;
	for (guint i = 0; i < run->peers->len; i++) {
		if (strcmp(run->peers->pdata[i], peer) == 0)
			return run->peers->pdata[i];
	}
	g_ptr_array_add(run->peers, g_strdup(peer));
	return run->peers->pdata[run->peers->len - 1];
}

static void
wrapper_reap(Conn *c)
{
	if (c->wrapper_pid <= 0)
		return;
	int status = 0;
	pid_t r = 0;
	for (int i = 0; i < WRAPPER_EXIT_WAIT_SECS * 10; i++) {
		r = waitpid(c->wrapper_pid, &status, WNOHANG);
		if (r != 0 && !(r < 0 && errno == EINTR))
			break;
		g_usleep(G_USEC_PER_SEC / 10);
	}
	if (r == 0) {
		kill(c->wrapper_pid, SIGKILL);
		waitpid(c->wrapper_pid, &status, 0);
	}
	c->wrapper_pid = 0;
	if (c->wrapper_stderr >= 0) {
		char buf[MM_PIPE_OUTPUT_MAX + 1];
		ssize_t n = pread(c->wrapper_stderr, buf, MM_PIPE_OUTPUT_MAX, 0);
		if (n > 0) {
			buf[n] = '\0';
			g_strdelimit(buf, "\r\n", ' ');
			mm_log(LOG_NOTICE, "wrapper peer=%s stderr: %s", c->peer, g_strstrip(buf));
		}
		close(c->wrapper_stderr);
		c->wrapper_stderr = -1;
	}
}

static void
conn_free(Conn *c)
{
	mm_smtp_client_close(c->client);
	wrapper_reap(c);
	g_free(c->failure);
	g_free(c->peer);
	g_free(c);
}

static void
resolved_free(Resolved *r)
{
	g_strfreev(r->hosts);
	g_free(r->error);
	g_free(r);
}

MmRemoteRun *
mm_remote_run_new(const MmConf *conf, GPtrArray *routes)
{
	MmRemoteRun *run = g_new0(MmRemoteRun, 1);
	run->conf = conf;
	run->routes = g_ptr_array_ref(routes);
	run->conns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)conn_free);
	run->resolved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)resolved_free);
	run->peers = g_ptr_array_new_with_free_func(g_free);
	mm_conf_locality(conf, &run->locality);
	return run;
}

void
mm_remote_run_free(MmRemoteRun *run)
{
	if (run == NULL)
		return;
	g_hash_table_destroy(run->conns);
	g_hash_table_destroy(run->resolved);
	g_ptr_array_unref(run->routes);
	g_ptr_array_unref(run->peers);
	g_free(run);
}

GPtrArray *
mm_remote_run_routes(const MmRemoteRun *run)
{
	return run->routes;
}

void
mm_remote_rcpt_clear(MmRemoteRcpt *r)
{
	g_clear_pointer(&r->reason, g_free);
	r->status = MM_REMOTE_WAITING;
	r->route = NULL;
	r->host = NULL;
}

gboolean
mm_remote_client_options(const MmConf *conf, const MmRoute *route, MmSmtpClientOptions *opts,
                         char **secret_store, GError **error)
{
	mm_smtp_client_options_init(opts);
	*secret_store = NULL;
	opts->helo_name = route->helo_name != NULL ? route->helo_name : conf->host_name;
	opts->correct_helo = route->do_correct_helo;
	opts->instant_helo = route->instant_helo;
	opts->pipelining = route->do_pipelining;
	/* route.c accepts only what the client knows; a failure here would
	 * be a table out of step, and the default is the safe one */
	if (route->tls != NULL && !mm_smtp_tls_mode_from_string(route->tls, &opts->tls))
		opts->tls = MM_SMTP_TLS_REQUIRED;
	/* Opportunistic TLS is encryption without authentication (RFC 7435):
	 * checking the certificate there would only make mail to servers
	 * with self-made certificates wait for ever. Credentials, though,
	 * go only to a server whose certificate passed. */
	opts->tls_verify = route->tls_verify &&
	                   (opts->tls != MM_SMTP_TLS_OPPORTUNISTIC || route->auth_name != NULL);
	opts->tls_ca_file = route->tls_ca_file;
	opts->tls_cert_file = route->tls_cert_file;
	opts->tls_key_file = route->tls_key_file;
	opts->tls_priority = route->tls_priority;
	opts->auth_allow_plaintext = route->auth_allow_plaintext;

	MmSmtpAuthMech mech = MM_SMTP_AUTH_NONE;
	if (route->auth_name == NULL || route->auth_login == NULL ||
	    !mm_smtp_auth_mech_from_string(route->auth_name, &mech) || mech == MM_SMTP_AUTH_NONE)
		return TRUE;
	if (!mm_route_read_auth_secret(route, secret_store, error))
		return FALSE;
	if (*secret_store == NULL)
		return TRUE; /* 1.0 logs in only with name, login and secret */
	opts->auth = mech;
	opts->auth_login = route->auth_login;
	opts->auth_secret = *secret_store;
	return TRUE;
}

/* ---- destinations ---- */

char **
mm_remote_order_mx(const MmRemoteMx *records, guint n, GRand *rand)
{
	g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func(g_free);
	if (n == 1 && (strcmp(records[0].host, ".") == 0 || records[0].host[0] == '\0')) {
		g_ptr_array_add(hosts, NULL);
		return (char **)g_ptr_array_free(g_steal_pointer(&hosts), FALSE);
	}
	g_autofree guint *order = g_new(guint, n);
	for (guint i = 0; i < n; i++)
		order[i] = i;
	/* a random permutation first, then a stable sort by preference:
	 * equal preferences end up in random order */
	for (guint i = n; i > 1; i--) {
		guint j = (guint)(rand != NULL ? g_rand_int_range(rand, 0, (gint32)i) : g_random_int_range(0, (gint32)i));
		guint t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	for (guint i = 1; i < n; i++) {
		guint v = order[i], j = i;
		while (j > 0 && records[order[j - 1]].preference > records[v].preference) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	for (guint i = 0; i < n; i++) {
		const char *h = records[order[i]].host;
		gsize len = strlen(h);
		g_autofree char *name = g_strndup(h, len > 0 && h[len - 1] == '.' ? len - 1 : len);
		if (name[0] == '\0')
			continue;
		gboolean seen = FALSE;
		for (guint k = 0; k < hosts->len && !seen; k++)
			seen = g_ascii_strcasecmp(hosts->pdata[k], name) == 0;
		if (!seen)
			g_ptr_array_add(hosts, g_steal_pointer(&name));
	}
	g_ptr_array_add(hosts, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&hosts), FALSE);
}

/* MX lookup of @domain. TRUE with @hosts set (maybe the domain itself
 * when it has no MX), FALSE with @error for a lookup that did not work
 * (try the next method) or @permanent for a null MX. */
static gboolean
lookup_mx(const char *domain, char ***hosts, gboolean *permanent, GError **error)
{
	g_autoptr(GResolver) resolver = g_resolver_get_default();
	g_autoptr(GError) local = NULL;
	GList *records = g_resolver_lookup_records(resolver, domain, G_RESOLVER_RECORD_MX, NULL, &local);
	*permanent = FALSE;
	if (records == NULL) {
		if (g_error_matches(local, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND)) {
			/* RFC 5321 5.1: no MX, so the domain is its own mail host */
			*hosts = g_new0(char *, 2);
			(*hosts)[0] = g_strdup(domain);
			return TRUE;
		}
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "MX lookup of %s: %s", domain, local->message);
		return FALSE;
	}
	guint n = g_list_length(records);
	g_autofree MmRemoteMx *mx = g_new0(MmRemoteMx, n);
	guint i = 0;
	for (GList *l = records; l != NULL; l = l->next, i++)
		g_variant_get(l->data, "(q&s)", &mx[i].preference, &mx[i].host);
	*hosts = mm_remote_order_mx(mx, n, NULL);
	g_list_free_full(records, (GDestroyNotify)g_variant_unref);
	if ((*hosts)[0] == NULL) {
		g_clear_pointer(hosts, g_strfreev);
		*permanent = TRUE;
		g_set_error(error, MM_ERROR, MM_ERROR_FAILED, "%s accepts no mail (null MX, RFC 7505)", domain);
		return FALSE;
	}
	return TRUE;
}

/* An address literal "[192.0.2.1]" or "[IPv6:2001:db8::1]" as a host
 * to connect to, or NULL. */
static char *
address_literal(const char *domain)
{
	gsize len = strlen(domain);
	if (len < 3 || domain[0] != '[' || domain[len - 1] != ']')
		return NULL;
	const char *in = domain + 1;
	gsize n = len - 2;
	if (n > 5 && g_ascii_strncasecmp(in, "IPv6:", 5) == 0) {
		in += 5;
		n -= 5;
	}
	return g_strndup(in, n);
}

/* The hosts for @domain by the route's resolve_list, cached per run. */
static const Resolved *
resolve(MmRemoteRun *run, const MmRoute *route, const char *domain)
{
	g_autofree char *lower = g_ascii_strdown(domain, -1);
	g_autofree char *key = g_strconcat(route->name, "\n", lower, NULL);
	Resolved *r = g_hash_table_lookup(run->resolved, key);
	if (r != NULL)
		return r;
	r = g_new0(Resolved, 1);
	g_hash_table_insert(run->resolved, g_steal_pointer(&key), r);

	char *literal = address_literal(domain);
	if (literal != NULL) {
		r->hosts = g_new0(char *, 2);
		r->hosts[0] = literal;
		return r;
	}
	g_autoptr(GError) last = NULL;
	for (char **m = route->resolve_list; *m != NULL; m++) {
		g_clear_error(&last);
		if (strcmp(*m, "dns_mx") == 0) {
			if (lookup_mx(domain, &r->hosts, &r->permanent, &last))
				return r;
			if (r->permanent)
				break;
		} else {
			/* byname and dns_a: the client looks the name up
			 * (getaddrinfo, A and AAAA) when it connects */
			r->hosts = g_new0(char *, 2);
			r->hosts[0] = g_strdup(domain);
			return r;
		}
	}
	r->error = last != NULL ? g_strdup(last->message) : g_strdup_printf("resolve_list is empty for %s", domain);
	return r;
}

/* ---- sessions ---- */

static int
open_wrapper(const MmRoute *route, GPid *pid, int *stderr_fd, GError **error)
{
	g_auto(GStrv) argv = NULL;
	g_autoptr(GError) local = NULL;
	if (!g_shell_parse_argv(route->wrapper, NULL, &argv, &local)) {
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "wrapper \"%s\" is not a command: %s", route->wrapper,
		            local->message);
		return -1;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		mm_error_set_errno(error, errno, "socketpair for wrapper");
		return -1;
	}
	/* stderr goes to a file that nobody else can open; it is logged
	 * when the session ends */
	int err_fd = open(g_get_tmp_dir(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	const char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	gboolean ok = g_spawn_async_with_fds(NULL, argv, (char **)envp,
	                                     G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH_FROM_ENVP |
	                                         (err_fd < 0 ? G_SPAWN_STDERR_TO_DEV_NULL : 0),
	                                     NULL, NULL, pid, sv[1], sv[1], err_fd, &local);
	close(sv[1]);
	if (!ok) {
		close(sv[0]);
		if (err_fd >= 0)
			close(err_fd);
		g_set_error(error, MM_ERROR, MM_ERROR_TEMPORARY, "wrapper \"%s\" cannot be started: %s", argv[0],
		            local->message);
		return -1;
	}
	*stderr_fd = err_fd;
	return sv[0];
}

/* The session of @route to @hosts (tried in order) in this run: kept
 * open for later messages, and a failure is remembered so that the
 * next messages do not wait for it again. */
static Conn *
get_conn(MmRemoteRun *run, const MmRoute *route, const char *key, const char *const *hosts, guint16 port)
{
	g_autofree char *ckey = g_strconcat(route->name, "\n", key, NULL);
	Conn *c = g_hash_table_lookup(run->conns, ckey);
	if (c != NULL)
		return c;
	c = g_new0(Conn, 1);
	c->wrapper_stderr = -1;
	g_hash_table_insert(run->conns, g_strdup(ckey), c);

	MmSmtpClientOptions opts;
	g_autofree char *secret = NULL;
	g_autoptr(GError) error = NULL;
	if (!mm_remote_client_options(run->conf, route, &opts, &secret, &error)) {
		c->failure = g_strdup(error->message);
		c->peer = g_strdup(hosts[0]);
		mm_log(LOG_WARNING, "route=%s cannot log in: %s", route->name, error->message);
		return c;
	}
	if (route->wrapper != NULL) {
		c->peer = g_strdup_printf("wrapper:%s", route->name);
		int fd = open_wrapper(route, &c->wrapper_pid, &c->wrapper_stderr, &error);
		/* the wrapper is a local program that carries the connection
		 * (a TLS tunnel, as in 1.0): like loopback for credentials */
		if (fd >= 0)
			c->client = mm_smtp_client_open_fd(fd, hosts[0] != NULL ? hosts[0] : c->peer, TRUE, &opts,
			                                   &error);
	} else {
		GString *errors = g_string_new(NULL);
		for (const char *const *h = hosts; *h != NULL && c->client == NULL; h++) {
			g_clear_error(&error);
			c->client = mm_smtp_client_open(*h, port, &opts, &error);
			if (c->client == NULL)
				g_string_append_printf(errors, "%s%s", errors->len ? "; " : "", error->message);
		}
		if (c->client == NULL) {
			g_clear_error(&error);
			g_set_error(&error, MM_ERROR, MM_ERROR_TEMPORARY, "%s", errors->str);
		}
		g_string_free(errors, TRUE);
	}
	if (c->client == NULL) {
		c->failure = g_strdup(error != NULL ? error->message : "cannot connect");
		if (c->peer == NULL)
			c->peer = g_strdup(hosts[0]);
		mm_log(LOG_NOTICE, "route=%s host=%s not reached: %s", route->name, c->peer, c->failure);
		wrapper_reap(c);
		return c;
	}
	g_free(c->peer);
	c->peer = g_strdup(mm_smtp_client_peer(c->client));
	const char *tls = mm_smtp_client_tls_info(c->client);
	mm_log(LOG_INFO, "route=%s host=%s connected protocol=%s tls=%s", route->name, c->peer,
	       mm_smtp_client_is_esmtp(c->client) ? "esmtp" : "smtp", tls != NULL ? tls : "none");
	return c;
}

/* ---- the messages of a batch through one route ---- */

/* One message of the batch in the route at hand. */
typedef struct {
	const MmMessage *msg;
	guint index;             /* in the batch */
	MmMessage out;           /* the message as it leaves (rewritten) */
	GPtrArray *headers;      /* owned rewrites, or NULL */
	MmAddress *return_path;
	GBytes *data;            /* rendered once, for every session */
	MmRemoteRcpt *rcpts;
} Job;

/* The recipients of several jobs that go through one session: a
 * destination of the route. */
typedef struct {
	char *key;
	const char *const *hosts; /* borrowed from the run's resolutions, or from hosts_own */
	char *hosts_own[2];
	guint16 port;
	GPtrArray *jobs;          /* Job*, borrowed, in the order of the batch */
	GPtrArray *idx;           /* GArray* of guint, the recipients of each job */
} Group;

static void
job_free(Job *job)
{
	if (job->headers != NULL)
		g_ptr_array_unref(job->headers);
	mm_address_free(job->return_path);
	if (job->data != NULL)
		g_bytes_unref(job->data);
	g_free(job);
}

static void
group_free(Group *g)
{
	g_free(g->key);
	g_free(g->hosts_own[0]);
	g_ptr_array_unref(g->jobs);
	g_ptr_array_unref(g->idx);
	g_free(g);
}

static void
set_result(MmRemoteRcpt *r, const MmRoute *route, MmRemoteStatus status, const char *reason, const char *host)
{
	g_free(r->reason);
	r->reason = g_strdup(reason);
	r->status = status;
	r->route = route->name;
	r->host = host;
}

/* The group for @key in @groups (first-seen order kept), made when
 * new; the job is added to it when it is not its last one already. */
static GArray *
group_add(GPtrArray *groups, const char *key, const char *const *hosts, const char *own_host, guint16 port,
          Job *job, guint *groups_of_job)
{
	Group *g = NULL;
	for (guint i = 0; i < groups->len && g == NULL; i++) {
		if (strcmp(((Group *)groups->pdata[i])->key, key) == 0)
			g = groups->pdata[i];
	}
	if (g == NULL) {
		g = g_new0(Group, 1);
		g->key = g_strdup(key);
		if (hosts == NULL) {
			g->hosts_own[0] = g_strdup(own_host);
			hosts = (const char *const *)g->hosts_own;
		}
		g->hosts = hosts;
		g->port = port;
		g->jobs = g_ptr_array_new();
		g->idx = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
		g_ptr_array_add(groups, g);
	}
	if (g->jobs->len == 0 || g->jobs->pdata[g->jobs->len - 1] != job) {
		*groups_of_job += 1;
		g_ptr_array_add(g->jobs, job);
		g_ptr_array_add(g->idx, g_array_new(FALSE, FALSE, sizeof(guint)));
	}
	return g->idx->pdata[g->idx->len - 1];
}

/* Per message of a batch: which recipients a last_route took, and
 * whether the caller was told that its results are final. */
typedef struct {
	gboolean *held;
	gboolean *eligible;
	MmRouteVerdict *verdicts;
	const MmAddress **addrs;
	guint *taken;
	guint groups;            /* groups of the current route still to answer */
	gboolean told;
} Sel;

/* A batch on its way through the routes. */
typedef struct {
	MmRemoteRun *run;
	MmMessage *const *msgs;
	guint n_msgs;
	MmRemoteRcpt *const *rcpts;
	const guint *n_rcpts;
	Sel *sel;
	guint route;             /* the index of the route at work */
	MmRemoteDoneFunc done;
	gpointer done_data;
} Batch;

/* Whether a route after the current one takes some recipient of
 * message @m as things stand. Selection depends only on the message,
 * the recipients still open and last_route, so this is what the loop
 * in mm_remote_deliver_notify() will find. */
static gboolean
later_route_takes(Batch *b, guint m)
{
	const MmMessage *msg = b->msgs[m];
	MmRemoteRcpt *rc = b->rcpts[m];
	guint n = b->n_rcpts[m];
	Sel *s = &b->sel[m];

	for (guint r = b->route + 1; r < b->run->routes->len; r++) {
		const MmRoute *route = b->run->routes->pdata[r];
		gboolean any = FALSE;
		for (guint i = 0; i < n; i++) {
			s->eligible[i] = !s->held[i] &&
			                 (rc[i].status == MM_REMOTE_WAITING || rc[i].status == MM_REMOTE_DEFERRED);
			any = any || s->eligible[i];
		}
		if (!any)
			return FALSE;
		if (mm_route_select(route, msg->return_path, msg->headers, s->addrs, s->eligible, n,
		                    b->run->conf->host_name, b->run->conf->caseless_matching, s->verdicts) > 0)
			return TRUE;
	}
	return FALSE;
}

/* Tells the caller that message @m has its final results, when no
 * group of the current route and no later route is left for it. */
static void
maybe_done(Batch *b, guint m)
{
	Sel *s = &b->sel[m];

	if (b->done == NULL || s->told || s->groups > 0 || later_route_takes(b, m))
		return;
	for (guint i = 0; i < b->n_rcpts[m]; i++) {
		MmRemoteRcpt *rc = &b->rcpts[m][i];
		if (rc->status == MM_REMOTE_WAITING && rc->reason == NULL)
			rc->reason = g_strdup("no online route takes it");
	}
	s->told = TRUE;
	b->done(m, b->done_data);
}

/* What send_group() needs while the client works. */
typedef struct {
	Batch *b;
	const MmRoute *route;
	Group *g;
	MmSmtpClientMessage *msgs;
	const char *peer;
	gboolean *taken;         /* per job: its results are taken over */
	Conn *c;
} Sending;

/* The results of job @j of the group as the client gave them. */
static void
take_results(Sending *x, guint j)
{
	Job *job = x->g->jobs->pdata[j];
	GArray *idx = x->g->idx->pdata[j];
	gboolean carried = FALSE;

	if (x->taken[j])
		return;
	x->taken[j] = TRUE;
	for (guint i = 0; i < idx->len; i++) {
		MmSmtpRcptResult *res = &x->msgs[j].results[i];
		MmRemoteStatus st = res->status == MM_SMTP_RCPT_DELIVERED ? MM_REMOTE_DELIVERED
		                    : res->status == MM_SMTP_RCPT_FAILED  ? MM_REMOTE_FAILED
		                                                          : MM_REMOTE_DEFERRED;
		set_result(&job->rcpts[g_array_index(idx, guint, i)], x->route, st, res->reply, x->peer);
		carried = carried || st == MM_REMOTE_DELIVERED;
		mm_smtp_rcpt_result_clear(res);
	}
	if (carried)
		x->c->carried++;
	x->b->sel[job->index].groups--;
	maybe_done(x->b, job->index);
}

static void
on_client_done(guint index, gpointer data)
{
	take_results(data, index);
}

/* Sends the messages of @g through one session, pipelined behind
 * each other (mm_smtp_client_send_many_notify()); each message is
 * handed back as soon as its results are final. */
static void
send_group(Batch *b, const MmRoute *route, Group *g)
{
	MmRemoteRun *run = b->run;
	Conn *c = get_conn(run, route, g->key, g->hosts, g->port);
	const char *peer = keep_peer(run, c->peer);
	guint n_msgs = g->jobs->len;

	if (c->client == NULL) {
		MmRemoteStatus st = route->connect_error_fail ? MM_REMOTE_FAILED : MM_REMOTE_DEFERRED;
		for (guint j = 0; j < n_msgs; j++) {
			Job *job = g->jobs->pdata[j];
			GArray *idx = g->idx->pdata[j];
			for (guint i = 0; i < idx->len; i++)
				set_result(&job->rcpts[g_array_index(idx, guint, i)], route, st, c->failure, peer);
			b->sel[job->index].groups--;
			maybe_done(b, job->index);
		}
		return;
	}

	g_autofree MmSmtpClientMessage *msgs = g_new0(MmSmtpClientMessage, n_msgs);
	g_autofree gboolean *taken = g_new0(gboolean, n_msgs);
	g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	for (guint j = 0; j < n_msgs; j++) {
		Job *job = g->jobs->pdata[j];
		GArray *idx = g->idx->pdata[j];
		GPtrArray *rcpts = g_ptr_array_new_with_free_func((GDestroyNotify)mm_recipient_free);
		for (guint i = 0; i < idx->len; i++)
			g_ptr_array_add(rcpts, mm_recipient_new(job->rcpts[g_array_index(idx, guint, i)].address));
		g_ptr_array_add(keep, rcpts);
		msgs[j].return_path = job->out.return_path;
		msgs[j].rcpts = (const MmRecipient *const *)rcpts->pdata;
		msgs[j].n = idx->len;
		msgs[j].message = job->data;
		msgs[j].results = g_new0(MmSmtpRcptResult, idx->len);
	}
	Sending x = { b, route, g, msgs, peer, taken, c };
	g_autoptr(GError) error = NULL;
	gboolean usable = mm_smtp_client_send_many_notify(c->client, msgs, n_msgs, on_client_done, &x, &error);
	const char *last_uid = NULL;
	for (guint j = 0; j < n_msgs; j++) {
		Job *job = g->jobs->pdata[j];
		GArray *idx = g->idx->pdata[j];
		for (guint i = 0; i < idx->len && last_uid == NULL; i++)
			if (job->rcpts[g_array_index(idx, guint, i)].status == MM_REMOTE_DELIVERED)
				last_uid = job->msg->uid;
	}
	for (guint j = 0; j < n_msgs; j++) {
		take_results(&x, j);
		g_free(msgs[j].results);
	}
	if (usable)
		return;
	mm_log(LOG_NOTICE, "%s: route=%s host=%s session ended: %s",
	       last_uid != NULL ? last_uid : ((Job *)g->jobs->pdata[0])->msg->uid, route->name, peer,
	       error != NULL ? error->message : "?");
	mm_smtp_client_close(g_steal_pointer(&c->client));
	wrapper_reap(c);
	g_free(c->failure);
	c->failure = g_strdup(error != NULL ? error->message : "connection lost");
	if (c->carried > 0) {
		/* it worked before: the next messages may open a new one */
		g_autofree char *ckey = g_strconcat(route->name, "\n", g->key, NULL);
		g_hash_table_remove(run->conns, ckey);
	}
}

/* Sorts the recipients @taken of @job into @groups by session. */
static void
group_smtp(MmRemoteRun *run, const MmRoute *route, Job *job, const guint *taken, guint n_taken, GPtrArray *groups,
           guint *groups_of_job)
{
	guint16 port = (guint16)route->smtp_port;

	if (route->mail_host != NULL || route->wrapper != NULL) {
		g_autofree char *host = NULL;
		if (route->mail_host != NULL) {
			g_autoptr(GError) error = NULL;
			if (!mm_conf_split_host_port(route->mail_host, port, &host, &port, &error)) {
				for (guint i = 0; i < n_taken; i++)
					set_result(&job->rcpts[taken[i]], route, MM_REMOTE_DEFERRED, error->message, NULL);
				return;
			}
		}
		/* The relay is used by name; 1.0 sent even a relay's name
		 * through dns_mx, which can only surprise: byname it is. */
		GArray *idx = group_add(groups, host != NULL ? host : "wrapper", NULL, host, port, job, groups_of_job);
		g_array_append_vals(idx, taken, n_taken);
		return;
	}

	/* Direct: recipients by the hosts their domains resolve to, so that
	 * domains with the same mail servers share a session. */
	for (guint i = 0; i < n_taken; i++) {
		MmRemoteRcpt *r = &job->rcpts[taken[i]];
		const Resolved *res = resolve(run, route, r->address->domain);
		if (res->hosts == NULL) {
			MmRemoteStatus s = res->permanent || route->connect_error_fail ? MM_REMOTE_FAILED : MM_REMOTE_DEFERRED;
			set_result(r, route, s, res->error, NULL);
			continue;
		}
		g_autofree char *joined = g_strjoinv(",", res->hosts);
		g_autofree char *key = g_ascii_strdown(joined, -1);
		GArray *idx = group_add(groups, key, (const char *const *)res->hosts, NULL, port, job, groups_of_job);
		g_array_append_val(idx, taken[i]);
	}
}

static void
deliver_pipe(MmRemoteRun *run, const MmRoute *route, Job *job, const guint *taken, guint n_taken)
{
	MmPipeOptions opts = { 0 };
	opts.render.flags = (route->pipe_fromline ? MM_RENDER_FROM_LINE : 0) |
	                    (route->pipe_fromhack ? MM_RENDER_FROM_HACK : 0);
	opts.expand = TRUE;
	for (guint i = 0; i < n_taken; i++) {
		MmRemoteRcpt *r = &job->rcpts[taken[i]];
		MmPipeContext ctx = {
			.msg = &job->out,
			.rcpt = r->address,
			.qualify_domain = run->conf->host_name,
		};
		g_autoptr(GError) error = NULL;
		if (mm_pipe_deliver(route->pipe, &ctx, &opts, &error)) {
			set_result(r, route, MM_REMOTE_DELIVERED, "pipe command exited 0", NULL);
			continue;
		}
		/* 1.0: with connect_error_fail any failure of the pipe fails */
		gboolean temporary = mm_error_is_temporary(error) && !route->connect_error_fail;
		set_result(r, route, temporary ? MM_REMOTE_DEFERRED : MM_REMOTE_FAILED, error->message, NULL);
	}
}

/* @msg as it leaves through @route. */
static Job *
job_new(MmRemoteRun *run, const MmRoute *route, const MmMessage *msg, MmRemoteRcpt *rcpts)
{
	Job *job = g_new0(Job, 1);
	job->msg = msg;
	job->rcpts = rcpts;
	job->headers = mm_rewrite_headers(route, msg->headers, &run->locality);
	job->return_path = mm_rewrite_return_path(route, msg->return_path, &run->locality);
	job->out = *msg;
	if (job->headers != NULL)
		job->out.headers = job->headers;
	if (job->return_path != NULL)
		job->out.return_path = job->return_path;
	return job;
}

void
mm_remote_deliver_message(MmRemoteRun *run, const MmMessage *msg, MmRemoteRcpt *rcpts, guint n)
{
	MmMessage *m = (MmMessage *)msg;

	mm_remote_deliver(run, &m, 1, &rcpts, &n);
}

void
mm_remote_deliver(MmRemoteRun *run, MmMessage *const *msgs, guint n_msgs, MmRemoteRcpt *const *rcpts,
                  const guint *n_rcpts)
{
	mm_remote_deliver_notify(run, msgs, n_msgs, rcpts, n_rcpts, NULL, NULL);
}

void
mm_remote_deliver_notify(MmRemoteRun *run, MmMessage *const *msgs, guint n_msgs, MmRemoteRcpt *const *rcpts,
                         const guint *n_rcpts, MmRemoteDoneFunc done, gpointer done_data)
{
	if (n_msgs == 0)
		return;
	g_autofree Sel *sel = g_new0(Sel, n_msgs);
	Batch b = { run, msgs, n_msgs, rcpts, n_rcpts, sel, 0, done, done_data };
	for (guint m = 0; m < n_msgs; m++) {
		guint n = n_rcpts[m];
		sel[m].held = g_new0(gboolean, n);
		sel[m].eligible = g_new0(gboolean, n);
		sel[m].verdicts = g_new0(MmRouteVerdict, n);
		sel[m].addrs = g_new0(const MmAddress *, n);
		sel[m].taken = g_new0(guint, n);
		for (guint i = 0; i < n; i++)
			sel[m].addrs[i] = rcpts[m][i].address;
	}

	/* Route by route over the whole batch: a later route sees what an
	 * earlier one left deferred, as when the messages go one by one;
	 * within a route, the messages that share a destination share one
	 * pipelined exchange. */
	for (guint r = 0; r < run->routes->len; r++) {
		const MmRoute *route = run->routes->pdata[r];
		g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func((GDestroyNotify)job_free);
		g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func((GDestroyNotify)group_free);
		MmRenderOptions ropts = { 0 };

		b.route = r;
		for (guint m = 0; m < n_msgs; m++) {
			const MmMessage *msg = msgs[m];
			MmRemoteRcpt *rc = rcpts[m];
			guint n = n_rcpts[m];
			Sel *s = &sel[m];
			if (s->told)
				continue;
			for (guint i = 0; i < n; i++)
				s->eligible[i] = !s->held[i] &&
				                 (rc[i].status == MM_REMOTE_WAITING || rc[i].status == MM_REMOTE_DEFERRED);
			guint n_taken = mm_route_select(route, msg->return_path, msg->headers, s->addrs, s->eligible, n,
			                                run->conf->host_name, run->conf->caseless_matching, s->verdicts);
			if (n_taken == 0)
				continue;
			guint k = 0;
			for (guint i = 0; i < n; i++) {
				if (s->verdicts[i] != MM_ROUTE_TAKEN)
					continue;
				s->taken[k++] = i;
				if (mm_route_holds(route))
					s->held[i] = TRUE;
			}
			mm_log(LOG_INFO, "%s: route=%s recipients=%u", msg->uid, route->name, n_taken);
			Job *job = job_new(run, route, msg, rc);
			job->index = m;
			g_ptr_array_add(jobs, job);
			if (route->pipe != NULL) {
				deliver_pipe(run, route, job, s->taken, n_taken);
				continue;
			}
			job->data = mm_render_to_bytes(&job->out, &ropts);
			group_smtp(run, route, job, s->taken, n_taken, groups, &s->groups);
		}
		/* what is final before anything goes out (a pipe route, a
		 * destination that does not resolve) is told first */
		for (guint m = 0; m < n_msgs; m++)
			maybe_done(&b, m);
		for (guint g = 0; g < groups->len; g++)
			send_group(&b, route, groups->pdata[g]);
	}

	for (guint m = 0; m < n_msgs; m++) {
		/* a message told of is the caller's again: leave it alone */
		for (guint i = 0; i < n_rcpts[m] && !sel[m].told; i++) {
			MmRemoteRcpt *rc = &rcpts[m][i];
			if (rc->status == MM_REMOTE_WAITING && rc->reason == NULL)
				rc->reason = g_strdup("no online route takes it");
		}
		g_free(sel[m].held);
		g_free(sel[m].eligible);
		g_free(sel[m].verdicts);
		g_free(sel[m].addrs);
		g_free(sel[m].taken);
	}
}
