/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * deliver.c owns the fate of a queued message's recipients: it decides
 * per recipient, calls local delivery, marks the states, asks for
 * notices and writes the result back to the spool (through spool.c,
 * holding the caller's lock). It makes no delivery itself (local_rcpt.c
 * and below) and has exactly one place where remote recipients are
 * handed to the routes: deliver_remote(). The run owns the remote
 * delivery run (remote.h) and with it the SMTP sessions, from the first
 * remote recipient to mm_deliver_run_free(): in this process, or, when
 * this process is root, in a worker process that is not
 * (remote_worker.h). Both give the same MmRemoteRcpt results, which
 * deliver_remote() turns into outcomes the same way.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "deliver/alias.h"
#include "deliver/bounce.h"
#include "deliver/deliver.h"
#include "deliver/local_rcpt.h"
#include "deliver/remote.h"
#include "deliver/remote_worker.h"
#include "queue/spool.h"

/* A notice is delivered at once by the run that made it; a notice
 * never makes another one, and this keeps it so whatever bounce.c
 * decides. */
#define NOTICE_NESTING_MAX 1

struct MmDeliverRun {
	const MmConf *conf;
	gint64 now;              /* 0: the clock */
	guint nesting;           /* notices being delivered inside a delivery */
	gboolean no_local;       /* local results are not tried (-qo) */
	GPtrArray *routes;       /* MmRoute*; NULL: not looked up yet */
	MmRemoteRun *remote;     /* the sessions; NULL until the first remote recipient */
	MmDeliverWorker worker_mode;
	MmSpoolRemover *remover; /* borrowed; NULL: removals in place */
	MmRemoteWorker *worker;  /* the sessions, when a worker has them */
	char *worker_failure;    /* why no worker could be started in this run */
	gboolean remote_said;    /* the log knows remote recipients wait */
	gboolean log_user_said;  /* the log knows log_user is unusable */
};

typedef enum {
	OUTCOME_NONE,
	OUTCOME_DELIVERED,
	OUTCOME_FAILED,
	OUTCOME_DEFERRED, /* tried, try again later */
	OUTCOME_WAITING,  /* not tried: no route took it */
} Outcome;

/* An original recipient: a pending RT: line, or log_user's copy. */
typedef struct {
	MmRecipient *rcpt;     /* in the message (borrowed), or log_user (owned) */
	gboolean is_log_user;
	GError *own_failure;   /* its expansion failed, or it could not be expanded */
	GString *reasons;      /* why it is in the failure notice; NULL: it is not */
	guint n_reasons;
	const char *status;    /* RFC 3463 code for the notice; NULL: from the reply */
	char *remote_reply;    /* the only reason is this reply of a relay */
	char *remote_mta;      /* ... from this host */
	Outcome outcome;
} Origin;

/* A result of alias expansion and what became of it. */
typedef struct {
	MmAliasResult *result; /* borrowed from the expansion */
	Outcome outcome;
	char *reason;
	const char *status;    /* RFC 3463 code when failed; NULL: from the reply */
	const char *method;    /* how it was delivered (local) */
	const char *route;     /* the route that tried it last (remote; borrowed from the run) */
	const char *host;      /* the host that answered, or NULL (borrowed from the run) */
	gboolean is_reply;     /* reason is the relay's reply */
} Target;

/* A notice queued (and locked) by this delivery, to deliver after it. */
typedef struct {
	MmMessage *msg;
	MmSpoolLock *lock;
} Notice;

/* One message between its local deliveries and its remote results:
 * mm_deliver_messages() hands the remote recipients of a whole batch
 * over at once and finishes each message after. */
typedef struct {
	MmMessage *msg;
	MmSpoolLock **lock;      /* the caller's lock, for the remover; NULL: not given */
	MmDeliverReport *report;
	gint64 now;
	gboolean settled;        /* finished: nothing was pending, or completed */
	gboolean ok;             /* when settled: what finish() said */
	GError **error;          /* where its error goes */
	GPtrArray *notices;      /* Notice*: queued, delivered after the batch */
	GPtrArray *origins;      /* Origin* */
	GPtrArray *inputs;       /* MmRecipient*, borrowed */
	GArray *input_origin;    /* guint: the origin of each input */
	GPtrArray *done;         /* MmRecipient*, borrowed */
	GPtrArray *targets;      /* Target* */
	GPtrArray *remote;       /* Target*, borrowed */
	MmAliasTable *aliases;
	MmAliasTable *globaliases;
	GError *alias_error;
	MmAliasExpansion *exp;
	char *before;            /* envelope_state() as read */
} Delivery;

static void
origin_free(Origin *o)
{
	if (o->is_log_user)
		mm_recipient_free(o->rcpt);
	g_clear_error(&o->own_failure);
	if (o->reasons)
		g_string_free(o->reasons, TRUE);
	g_free(o->remote_reply);
	g_free(o->remote_mta);
	g_free(o);
}

static void
target_free(Target *t)
{
	g_free(t->reason);
	g_free(t);
}

static void
notice_free(Notice *n)
{
	mm_spool_unlock(n->lock);
	mm_message_free(n->msg);
	g_free(n);
}

MmDeliverRun *
mm_deliver_run_new(const MmConf *conf)
{
	MmDeliverRun *run = g_new0(MmDeliverRun, 1);

	g_return_val_if_fail(conf != NULL, NULL);
	run->conf = conf;
	return run;
}

void
mm_deliver_run_free(MmDeliverRun *run)
{
	if (run == NULL)
		return;
	mm_remote_worker_free(run->worker);
	mm_remote_run_free(run->remote);
	if (run->routes)
		g_ptr_array_unref(run->routes);
	g_free(run->worker_failure);
	g_free(run);
}

void
mm_deliver_run_set_remover(MmDeliverRun *run, MmSpoolRemover *remover)
{
	g_return_if_fail(run != NULL);
	run->remover = remover;
}

void
mm_deliver_run_set_routes(MmDeliverRun *run, GPtrArray *routes)
{
	g_return_if_fail(run != NULL && routes != NULL);
	g_clear_pointer(&run->remote, mm_remote_run_free);
	g_clear_pointer(&run->worker, mm_remote_worker_free);
	g_clear_pointer(&run->worker_failure, g_free);
	g_ptr_array_ref(routes);
	if (run->routes)
		g_ptr_array_unref(run->routes);
	run->routes = routes;
}

gboolean
mm_deliver_run_use_online(MmDeliverRun *run, const MmOnlineRequest *req, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GPtrArray) routes = NULL;

	g_return_val_if_fail(run != NULL, FALSE);
	routes = mm_online_routes(run->conf, req, &local);
	if (routes == NULL && g_error_matches(local, MM_ERROR, MM_ERROR_TEMPORARY)) {
		/* only online_query fails this way; an empty list says
		 * that no connection is online */
		static const char *const none[] = { NULL };
		MmOnlineRequest offline = { .only = req ? req->only : NULL, .online = none };

		mm_log(LOG_WARNING, "%s: no connection counts as online", local->message);
		g_clear_error(&local);
		routes = mm_online_routes(run->conf, &offline, &local);
	}
	if (routes == NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	mm_deliver_run_set_routes(run, routes);
	return TRUE;
}

void
mm_deliver_run_set_worker(MmDeliverRun *run, MmDeliverWorker mode)
{
	g_return_if_fail(run != NULL);
	run->worker_mode = mode;
}

void
mm_deliver_run_set_local(MmDeliverRun *run, gboolean deliver_local)
{
	run->no_local = !deliver_local;
}

const MmConf *
mm_deliver_run_conf(const MmDeliverRun *run)
{
	return run->conf;
}

void
mm_deliver_run_set_now(MmDeliverRun *run, gint64 now)
{
	run->now = now;
}

static gint64
run_now(const MmDeliverRun *run)
{
	return run->now ? run->now : g_get_real_time() / G_USEC_PER_SEC;
}

/* "local@domain" or "|command" for the log and the notices. */
static char *
rcpt_text(const MmRecipient *rcpt)
{
	if (rcpt->pipe)
		return g_strdup(rcpt->pipe);
	return mm_address_to_string(rcpt->address);
}

static gboolean
rcpt_equal(const MmRecipient *a, const MmRecipient *b, gboolean caseless)
{
	if (a->pipe || b->pipe)
		return a->pipe && b->pipe && strcmp(a->pipe, b->pipe) == 0;
	return mm_address_equal(a->address, b->address, caseless);
}

/* Reads one alias file; a missing file means no aliases (1.0). */
static gboolean
read_alias_table(const char *path, MmAliasTableKind kind, MmAliasTable **out, GError **error)
{
	g_autoptr(GError) local_error = NULL;

	*out = NULL;
	if (path == NULL)
		return TRUE;
	*out = mm_alias_table_read(path, kind, &local_error);
	if (*out != NULL)
		return TRUE;
	if (g_error_matches(local_error, MM_ERROR, MM_ERROR_NOT_FOUND)) {
		mm_debug(2, "alias file %s does not exist: no aliases", path);
		return TRUE;
	}
	g_propagate_prefixed_error(error, g_steal_pointer(&local_error), "cannot read aliases: ");
	return FALSE;
}

/* RFC 3463 codes for the reasons an expansion fails (alias.h). */
static const char *
alias_failure_status(const GError *error)
{
	if (g_error_matches(error, MM_ERROR, MM_ERROR_PARSE))
		return "5.1.3"; /* bad destination address syntax */
	if (g_error_matches(error, MM_ERROR, MM_ERROR_CONFIG))
		return "5.3.5"; /* system incorrectly configured */
	return "5.4.6";         /* routing loop (a loop, or too deep) */
}

static const MmAddress *
origin_address(GPtrArray *origins, GArray *input_origin, const MmAliasResult *result)
{
	guint first = g_array_index(result->origins, guint, 0);
	const Origin *o = origins->pdata[g_array_index(input_origin, guint, first)];

	return o->rcpt->address; /* NULL for a pipe that was an original itself */
}

static void
deliver_local_target(MmDeliverRun *run, const MmMessage *msg, Target *t, const MmAddress *original)
{
	g_autoptr(GError) error = NULL;
	const MmRecipient *rcpt = t->result->rcpt;
	gboolean ok;

	if (run->no_local) {
		t->outcome = OUTCOME_WAITING;
		return;
	}
	if (t->result->kind == MM_ALIAS_RESULT_PIPE) {
		ok = mm_local_rcpt_deliver_pipe(run->conf, msg, rcpt->pipe, original, &error);
		t->method = "pipe";
	} else {
		MmLocalMethod method = MM_LOCAL_METHOD_MBOX;
		ok = mm_local_rcpt_deliver(run->conf, msg, rcpt->address, original, &method, &error);
		t->method = mm_local_method_name(method);
	}
	if (ok) {
		t->outcome = OUTCOME_DELIVERED;
		return;
	}
	t->reason = g_strdup(error->message);
	if (mm_local_rcpt_error_is_temporary(error)) {
		t->outcome = OUTCOME_DEFERRED;
	} else {
		t->outcome = OUTCOME_FAILED;
		t->status = g_error_matches(error, MM_ERROR, MM_ERROR_NOT_FOUND) ? "5.1.1" : "5.0.0";
	}
}

/* The routes of the run, looked up at the first remote recipient;
 * FALSE when there is none to try. */
static gboolean
run_has_routes(MmDeliverRun *run)
{
	if (run->routes == NULL) {
		g_autoptr(GError) error = NULL;
		if (!mm_deliver_run_use_online(run, NULL, &error)) {
			mm_log(LOG_ERR, "remote recipients stay queued: %s", error->message);
			run->remote_said = TRUE;
			run->routes = g_ptr_array_new();
		}
	}
	if (run->routes->len == 0) {
		if (!run->remote_said)
			mm_log(LOG_NOTICE, "remote recipients stay queued: no online route");
		run->remote_said = TRUE;
		return FALSE;
	}
	return TRUE;
}

/* Whether the run's remote deliveries belong in a worker: the code
 * that reads the relays' replies must not run as root. */
static gboolean
run_wants_worker(const MmDeliverRun *run)
{
	switch (run->worker_mode) {
	case MM_DELIVER_WORKER_OFF:
		return FALSE;
	case MM_DELIVER_WORKER_ON:
	case MM_DELIVER_WORKER_SAME_IDS:
		return TRUE;
	case MM_DELIVER_WORKER_AUTO:
	default:
		return geteuid() == 0 && !run->conf->run_as_user;
	}
}

/* The worker of the run, started at the first remote recipient; NULL
 * when it could not be (logged once; the run does not try again). */
static MmRemoteWorker *
run_worker(MmDeliverRun *run)
{
	g_autoptr(GError) error = NULL;

	if (run->worker != NULL || run->worker_failure != NULL)
		return run->worker;
	if (run->worker_mode == MM_DELIVER_WORKER_SAME_IDS) {
		run->worker = mm_remote_worker_start(run->conf, run->routes, NULL, &error);
	} else {
		struct passwd *pw = getpwnam(MM_USER);
		struct group *gr = getgrnam(MM_GROUP);
		if (pw == NULL || gr == NULL) {
			g_set_error(&error, MM_ERROR, MM_ERROR_CONFIG,
			            "remote delivery worker not started: no user %s or group %s", MM_USER,
			            MM_GROUP);
		} else {
			MmRemoteWorkerIds ids = { .uid = pw->pw_uid, .gid = gr->gr_gid, .user = MM_USER };
			run->worker = mm_remote_worker_start(run->conf, run->routes, &ids, &error);
		}
	}
	if (run->worker == NULL) {
		run->worker_failure = g_strdup(error->message);
		/* a link that went down is no fault to report */
		mm_log(mm_remote_worker_is_link_down() ? LOG_NOTICE : LOG_ERR,
		       "%s; remote recipients wait for the next run", error->message);
	}
	return run->worker;
}

/* Fills @rcpts[i] (@n_rcpts[i] of them) for each of @msgs (@n_msgs):
 * through the run's worker, or in this process with the run's own
 * sessions. */
static void
remote_hand_over(MmDeliverRun *run, MmMessage *const *msgs, guint n_msgs, MmRemoteRcpt *const *rcpts,
                 const guint *n_rcpts, MmRemoteDoneFunc done, gpointer done_data)
{
	MmRemoteWorker *worker;
	const char *why = NULL;

	/* after a link went down (remote_worker.h) nothing is tried: the
	 * routes were chosen while it was up */
	if (mm_remote_worker_is_link_down()) {
		why = MM_REMOTE_WORKER_LINK_DOWN;
	} else if (!run_wants_worker(run)) {
		if (run->remote == NULL)
			run->remote = mm_remote_run_new(run->conf, run->routes);
		mm_remote_deliver_notify(run->remote, msgs, n_msgs, rcpts, n_rcpts, done, done_data);
		return;
	} else {
		worker = run_worker(run);
		if (worker != NULL) {
			/* a worker that fails is logged and given up by the
			 * call itself; its recipients come back deferred */
			mm_remote_worker_deliver_batch(worker, msgs, n_msgs, rcpts, n_rcpts, done, done_data,
			                               NULL);
			return;
		}
		/* fail closed: never as root instead */
		why = mm_remote_worker_is_link_down() ? MM_REMOTE_WORKER_LINK_DOWN : run->worker_failure;
	}
	for (guint m = 0; m < n_msgs; m++) {
		mm_debug(1, "%s: %u remote recipient(s) not tried: %s", msgs[m]->uid, n_rcpts[m], why);
		for (guint i = 0; i < n_rcpts[m]; i++) {
			rcpts[m][i].status = MM_REMOTE_DEFERRED;
			rcpts[m][i].reason = g_strdup(why);
		}
	}
}

/* TRUE when @text is an SMTP reply ("550 5.1.1 ...") rather than an
 * error of our own (a refused connection, a pipe's exit status). */
static gboolean
is_smtp_reply(const char *text)
{
	return text != NULL && g_ascii_isdigit(text[0]) && g_ascii_isdigit(text[1]) &&
	       g_ascii_isdigit(text[2]) && (text[3] == ' ' || text[3] == '-' || text[3] == '\0');
}

/* Turns the result @r of a remote target into its outcome. */
static void
take_remote_result(Target *t, MmRemoteRcpt *r)
{
	t->route = r->route;
	t->host = r->host;
	switch (r->status) {
	case MM_REMOTE_DELIVERED:
		t->outcome = OUTCOME_DELIVERED;
		break;
	case MM_REMOTE_FAILED:
		t->outcome = OUTCOME_FAILED;
		t->reason = g_strdup(r->reason ? r->reason : "refused");
		t->is_reply = t->host != NULL && is_smtp_reply(r->reason);
		/* with a reply the notice takes its code from it */
		t->status = t->is_reply ? NULL : "5.0.0";
		break;
	case MM_REMOTE_DEFERRED:
		t->outcome = OUTCOME_DEFERRED;
		t->reason = g_strdup(r->reason ? r->reason : "try again later");
		t->is_reply = t->host != NULL && is_smtp_reply(r->reason);
		break;
	case MM_REMOTE_WAITING:
	default:
		t->outcome = OUTCOME_WAITING;
		break;
	}
	mm_remote_rcpt_clear(r);
}

static gboolean delivery_complete(MmDeliverRun *run, Delivery *d, GError **error);

/* The remote part of a batch while it is handed over. */
typedef struct {
	MmDeliverRun *run;
	GPtrArray *which;  /* Delivery*, those with remote targets */
	GPtrArray *rcpts;  /* MmRemoteRcpt[], one array per Delivery */
} Handing;

/* Message @m of the hand-over has its final remote results: its
 * outcomes, and the rest of its delivery at once, so that what the
 * relay took is marked before the session goes on. */
static void
remote_done(guint m, gpointer data)
{
	Handing *h = data;
	Delivery *d = h->which->pdata[m];
	MmRemoteRcpt *r = h->rcpts->pdata[m];

	if (d->settled)
		return;
	for (guint i = 0; i < d->remote->len; i++)
		take_remote_result(d->remote->pdata[i], &r[i]);
	d->ok = delivery_complete(h->run, d, d->error);
	d->settled = TRUE;
}

/* The hand-over point for remote recipients: the run's routes take
 * those of all @n messages together (remote.h: the messages that go
 * the same way share a pipelined session); each message gets its
 * outcomes and is finished (delivery_complete()) as soon as its own
 * results are final. The client marks a recipient delivered only
 * after the relay's 2xx to that message's end, so DELIVERED here is
 * safe to write as RT:X. */
static void
deliver_remote(MmDeliverRun *run, Delivery *const *ds, guint n)
{
	g_autoptr(GPtrArray) msgs = g_ptr_array_new();
	g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) n_rcpts = g_array_new(FALSE, FALSE, sizeof(guint));
	g_autoptr(GPtrArray) which = g_ptr_array_new();
	guint total = 0;

	for (guint m = 0; m < n; m++)
		total += ds[m]->remote->len;
	if (total == 0)
		return;
	if (!run_has_routes(run)) {
		for (guint m = 0; m < n; m++) {
			GPtrArray *targets = ds[m]->remote;
			for (guint i = 0; i < targets->len; i++)
				((Target *)targets->pdata[i])->outcome = OUTCOME_WAITING;
			if (targets->len > 0)
				mm_debug(1, "%s: %u remote recipient(s) wait for a route", ds[m]->msg->uid,
				         targets->len);
		}
		return;
	}

	for (guint m = 0; m < n; m++) {
		GPtrArray *targets = ds[m]->remote;
		if (targets->len == 0)
			continue;
		MmRemoteRcpt *r = g_new0(MmRemoteRcpt, targets->len);
		for (guint i = 0; i < targets->len; i++)
			r[i].address = ((Target *)targets->pdata[i])->result->rcpt->address;
		g_ptr_array_add(msgs, ds[m]->msg);
		g_ptr_array_add(rcpts, r);
		g_array_append_val(n_rcpts, targets->len);
		g_ptr_array_add(which, ds[m]);
	}
	Handing h = { run, which, rcpts };
	remote_hand_over(run, (MmMessage *const *)msgs->pdata, msgs->len, (MmRemoteRcpt *const *)rcpts->pdata,
	                 (const guint *)n_rcpts->data, remote_done, &h);
	/* those it did not tell of have their final results now */
	for (guint m = 0; m < which->len; m++)
		remote_done(m, &h);
}

/* How a result went out, for the delivered line: " with METHOD", or
 * " route=NAME host=HOST" for a remote one. */
static char *
log_how(const Target *t)
{
	if (t == NULL || t->route == NULL)
		return g_strdup_printf(" with %s", t && t->method ? t->method : "?");
	if (t->host == NULL)
		return g_strdup_printf(" route=%s", t->route);
	return g_strdup_printf(" route=%s host=%s", t->route, t->host);
}

static void
log_outcome(const MmMessage *msg, const MmRecipient *rcpt, const MmAddress *original,
            Outcome outcome, const Target *t, const char *reason)
{
	g_autofree char *shown = rcpt_text(rcpt);
	g_autofree char *via = NULL;
	g_autofree char *how = NULL;
	/* a relay's reply may have several lines; a log line has one */
	g_autofree char *why = g_strdup(reason ? reason : "");

	g_strdelimit(why, "\r\n", ' ');
	if (original && (rcpt->address == NULL || !mm_address_equal(rcpt->address, original, FALSE))) {
		g_autofree char *o = mm_address_to_string(original);
		via = g_strdup_printf(" <%s>", o);
	}
	switch (outcome) {
	case OUTCOME_DELIVERED:
		how = log_how(t);
		mm_log(LOG_NOTICE, "%s => %s%s%s", msg->uid, shown, via ? via : "", how);
		break;
	case OUTCOME_DEFERRED:
		mm_log(LOG_NOTICE, "%s == %s%s deferred: %s", msg->uid, shown, via ? via : "", g_strchomp(why));
		break;
	case OUTCOME_FAILED:
		mm_log(LOG_NOTICE, "%s !! %s%s failed: %s", msg->uid, shown, via ? via : "", g_strchomp(why));
		break;
	case OUTCOME_WAITING:
	case OUTCOME_NONE:
	default:
		break;
	}
}

/* Adds a reason to what the notice says about @o. @reply and @mta:
 * the reason is that host's reply; when it stays the only reason of
 * an origin that is itself the recipient, the notice gives it as the
 * relay's reply (RFC 3464 Remote-MTA, Diagnostic-Code). */
static void
origin_add_reason(Origin *o, const char *what, const char *reason, const char *status,
                  gboolean reply, const char *mta)
{
	if (o->is_log_user)
		return; /* the sender does not know of log_user: nothing to tell */
	if (o->reasons == NULL) {
		o->reasons = g_string_new(NULL);
		o->status = status;
		if (reply && what == NULL) {
			/* RFC 3464 2.3.5 wants a host name: the peer as the
			 * log shows it ("name[address]:port") is cut there */
			o->remote_reply = g_strdup(reason);
			gsize len = mta ? strcspn(mta, "[") : 0;
			o->remote_mta = len > 0 ? g_strndup(mta, len) : g_strdup(mta);
		}
	} else {
		g_string_append(o->reasons, "; ");
	}
	o->n_reasons++;
	if (what)
		g_string_append_printf(o->reasons, "%s: ", what);
	if (reply && mta)
		g_string_append_printf(o->reasons, "%s said: ", mta);
	g_string_append(o->reasons, reason);
}

static void
origin_clear_reasons(Origin *o)
{
	if (o->reasons) {
		g_string_free(o->reasons, TRUE);
		o->reasons = NULL;
	}
	g_clear_pointer(&o->remote_reply, g_free);
	g_clear_pointer(&o->remote_mta, g_free);
	o->n_reasons = 0;
	o->status = NULL;
}

/* Queues a failure notice (@warning FALSE) or a warning about the
 * origins that have reasons. The notice is locked until delivered.
 * Returns TRUE when it is in the spool, when there was nothing to say
 * or when nothing may be said (the message is a notice itself:
 * logged); *@told says whether the sender was dealt with. FALSE when
 * it could not be queued, so that nothing may be marked as told. */
static gboolean
queue_notice(MmDeliverRun *run, const MmMessage *msg, GPtrArray *origins, gboolean warning,
             GPtrArray *notices, gboolean *told)
{
	g_autoptr(GArray) entries = g_array_new(FALSE, TRUE, sizeof(MmBounceRcpt));
	g_autoptr(GError) error = NULL;
	g_autoptr(MmMessage) notice = NULL;
	MmSpoolLock *lock = NULL;
	const char *what = warning ? "warning" : "failure notice";

	for (guint i = 0; i < origins->len; i++) {
		const Origin *o = origins->pdata[i];
		if (o->reasons == NULL)
			continue;
		MmBounceRcpt entry = {
			.rcpt = o->rcpt,
			.reason = o->reasons->str,
			.status = o->status,
		};
		if (o->remote_reply != NULL && o->n_reasons == 1) {
			entry.reason = NULL; /* the reply says it all */
			entry.remote_reply = o->remote_reply;
			entry.remote_mta = o->remote_mta;
		}
		g_array_append_val(entries, entry);
	}
	*told = FALSE;
	if (entries->len == 0)
		return TRUE;

	if (warning)
		notice = mm_bounce_new_warning(run->conf, msg, (const MmBounceRcpt *)entries->data,
		                               entries->len, &error);
	else
		notice = mm_bounce_new_failure(run->conf, msg, (const MmBounceRcpt *)entries->data,
		                               entries->len, &error);
	if (notice == NULL) {
		if (g_error_matches(error, MM_ERROR, MM_ERROR_FAILED)) {
			/* a notice about a notice would go nowhere or loop */
			mm_log(LOG_NOTICE, "%s: no %s sent: %s", msg->uid, what, error->message);
			*told = TRUE;
			return TRUE;
		}
		mm_log(LOG_ERR, "%s: cannot make a %s: %s", msg->uid, what, error->message);
		return FALSE;
	}
	if (!mm_spool_write_locked(run->conf->spool_dir, notice, &lock, &error)) {
		mm_log(LOG_ERR, "%s: cannot queue a %s: %s", msg->uid, what, error->message);
		return FALSE;
	}
	mm_log(LOG_NOTICE, "%s: %s %s queued for %u recipient(s)", msg->uid, what, notice->uid,
	       entries->len);
	Notice *n = g_new0(Notice, 1);
	n->msg = g_steal_pointer(&notice);
	n->lock = lock;
	g_ptr_array_add(notices, n);
	*told = TRUE;
	return TRUE;
}

static void
deliver_notices(MmDeliverRun *run, GPtrArray *notices)
{
	for (guint i = 0; i < notices->len; i++) {
		Notice *n = notices->pdata[i];
		g_autoptr(GError) error = NULL;

		if (run->nesting >= NOTICE_NESTING_MAX)
			continue; /* the next queue run takes it */
		run->nesting++;
		if (!mm_deliver_message(run, n->msg, NULL, &error))
			mm_log(LOG_ERR, "%s: %s", n->msg->uid, error->message);
		run->nesting--;
	}
}

/* Records results that are finished for good beside their originals,
 * as 1.0 does, unless an RT: line already says the same. */
static void
record_result(MmMessage *msg, const MmRecipient *rcpt, MmRcptState state, gboolean caseless)
{
	MmRecipient *copy;

	for (guint i = 0; i < msg->rcpts->len; i++) {
		if (rcpt_equal(msg->rcpts->pdata[i], rcpt, caseless))
			return;
	}
	copy = rcpt->pipe ? mm_recipient_new_pipe(rcpt->pipe) : mm_recipient_new(rcpt->address);
	copy->state = state;
	g_ptr_array_add(msg->rcpts, copy);
}

/* What the -H file says that delivery can change: recipients and
 * their states, TR: and TW:. */
static char *
envelope_state(const MmMessage *msg)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %u ",
	                       msg->received_time, msg->warned_time, msg->rcpts->len);
	for (guint i = 0; i < msg->rcpts->len; i++)
		g_string_append_c(s, (char)((const MmRecipient *)msg->rcpts->pdata[i])->state);
	return g_string_free(s, FALSE);
}

/* Removes the message when nothing is pending, else writes the -H
 * file back unless it would say what it says already (@before: its
 * envelope_state() when read; NULL: write), which spares a sync per
 * waiting message in every queue run while offline. */
static gboolean
finish(MmDeliverRun *run, MmMessage *msg, MmSpoolLock **lock, const char *before,
       MmDeliverReport *report, GError **error)
{
	if (mm_message_count_pending(msg) == 0) {
		if (run->remover != NULL && lock != NULL && *lock != NULL) {
			/* the -H goes now; the rest beside the session */
			if (!mm_spool_remover_remove(run->remover, lock, error))
				return FALSE;
		} else if (!mm_spool_remove_whole(run->conf->spool_dir, msg->uid, error)) {
			return FALSE;
		}
		report->removed = TRUE;
		mm_log(LOG_NOTICE, "%s completed", msg->uid);
		return TRUE;
	}
	if (before != NULL) {
		g_autofree char *after = envelope_state(msg);
		if (strcmp(before, after) == 0)
			return TRUE;
	}
	return mm_spool_write_header(run->conf->spool_dir, msg, error);
}

static void
delivery_free(Delivery *d)
{
	if (d->targets)
		g_ptr_array_unref(d->targets);
	if (d->remote)
		g_ptr_array_unref(d->remote);
	g_clear_pointer(&d->exp, mm_alias_expansion_free);
	if (d->origins)
		g_ptr_array_unref(d->origins);
	if (d->inputs)
		g_ptr_array_unref(d->inputs);
	if (d->input_origin)
		g_array_unref(d->input_origin);
	if (d->done)
		g_ptr_array_unref(d->done);
	g_clear_pointer(&d->aliases, mm_alias_table_free);
	g_clear_pointer(&d->globaliases, mm_alias_table_free);
	g_clear_error(&d->alias_error);
	g_free(d->before);
	if (d->notices)
		g_ptr_array_unref(d->notices);
	g_free(d);
}

/* The first half of a delivery: expansion and the local results; the
 * remote targets are left in @d->remote for deliver_remote(). When
 * nothing is pending the message is finished here (@d->settled). */
static void
delivery_prepare(MmDeliverRun *run, Delivery *d, GError **error)
{
	const MmConf *conf = run->conf;
	MmMessage *msg = d->msg;
	MmDeliverReport *report = d->report;
	const gint64 now = d->now;
	MmLocality loc;
	GPtrArray *origins, *inputs, *done, *targets, *remote;
	GArray *input_origin;
	MmAliasExpansion *exp;

	origins = d->origins = g_ptr_array_new_with_free_func((GDestroyNotify)origin_free);
	inputs = d->inputs = g_ptr_array_new();
	input_origin = d->input_origin = g_array_new(FALSE, FALSE, sizeof(guint));
	done = d->done = g_ptr_array_new();
	targets = d->targets = g_ptr_array_new_with_free_func((GDestroyNotify)target_free);
	remote = d->remote = g_ptr_array_new();

	memset(report, 0, sizeof *report);
	mm_conf_locality(conf, &loc);
	d->before = envelope_state(msg);

	for (guint i = 0; i < msg->rcpts->len; i++) {
		MmRecipient *rcpt = msg->rcpts->pdata[i];
		if (rcpt->state == MM_RCPT_PENDING) {
			Origin *o = g_new0(Origin, 1);
			o->rcpt = rcpt;
			g_ptr_array_add(origins, o);
		} else {
			g_ptr_array_add(done, rcpt);
		}
	}
	if (origins->len == 0) {
		d->settled = TRUE;
		d->ok = finish(run, msg, d->lock, NULL, report, error);
		return;
	}
	/* the clock for warnings starts now for a message that does not
	 * say when it came; written back with the rest */
	if (msg->received_time <= 0)
		msg->received_time = now;

	if (conf->log_user) {
		g_autoptr(GError) parse_error = NULL;
		g_autoptr(MmAddress) addr =
			mm_address_parse_path(conf->log_user, conf->host_name, FALSE, &parse_error);
		if (addr) {
			Origin *o = g_new0(Origin, 1);
			o->rcpt = mm_recipient_new(addr);
			o->is_log_user = TRUE;
			g_ptr_array_add(origins, o);
		} else if (!run->log_user_said) {
			mm_log(LOG_ERR, "log_user %s ignored: %s", conf->log_user, parse_error->message);
			run->log_user_said = TRUE;
		}
	}

	/* Both tables are read for every message, so an edit takes effect
	 * at the next delivery; an unreadable one holds back the local
	 * recipients rather than deliver them unaliased. */
	if (!read_alias_table(conf->alias_file, MM_ALIAS_TABLE_LOCAL_PART, &d->aliases, &d->alias_error))
		mm_log(LOG_ERR, "%s: %s", msg->uid, d->alias_error->message);
	else if (!read_alias_table(conf->globalias_file, MM_ALIAS_TABLE_GLOB, &d->globaliases,
	                           &d->alias_error))
		mm_log(LOG_ERR, "%s: %s", msg->uid, d->alias_error->message);

	for (guint i = 0; i < origins->len; i++) {
		Origin *o = origins->pdata[i];
		if (d->alias_error && o->rcpt->address && mm_address_is_local(o->rcpt->address, &loc)) {
			o->own_failure = g_error_copy(d->alias_error);
			continue;
		}
		g_ptr_array_add(inputs, o->rcpt);
		g_array_append_val(input_origin, i);
	}

	MmAliasContext actx = {
		.aliases = d->alias_error ? NULL : d->aliases,
		.globaliases = d->alias_error ? NULL : d->globaliases,
		.locality = &loc,
	};
	exp = d->exp = mm_alias_expand(&actx, inputs, done);

	for (guint i = 0; i < exp->failures->len; i++) {
		MmAliasFailure *f = exp->failures->pdata[i];
		Origin *o = origins->pdata[g_array_index(input_origin, guint, f->origin)];
		g_autofree char *shown = rcpt_text(o->rcpt);

		o->own_failure = g_error_copy(f->error);
		o->outcome = OUTCOME_FAILED;
		origin_add_reason(o, NULL, f->error->message, alias_failure_status(f->error), FALSE, NULL);
		report->failed++;
		if (o->is_log_user)
			mm_log(LOG_ERR, "%s !! %s failed (log_user copy): %s", msg->uid, shown,
			       f->error->message);
		else
			mm_log(LOG_NOTICE, "%s !! %s failed: %s", msg->uid, shown, f->error->message);
	}

	/* the deliveries */
	for (guint i = 0; i < exp->results->len; i++) {
		Target *t = g_new0(Target, 1);
		t->result = exp->results->pdata[i];
		g_ptr_array_add(targets, t);
		if (t->result->kind == MM_ALIAS_RESULT_REMOTE)
			g_ptr_array_add(remote, t);
		else
			deliver_local_target(run, msg, t, origin_address(origins, input_origin, t->result));
	}
}

/* The second half: deferrals, notices, the new states and the spool. */
static gboolean
delivery_complete(MmDeliverRun *run, Delivery *d, GError **error)
{
	const MmConf *conf = run->conf;
	MmMessage *msg = d->msg;
	MmDeliverReport *report = d->report;
	const gint64 now = d->now;
	GPtrArray *origins = d->origins, *targets = d->targets;
	GArray *input_origin = d->input_origin;
	GPtrArray *notices = d->notices;
	gboolean hold_failures = FALSE;
	gboolean told = FALSE;
	gboolean any_deferred = FALSE;
	gboolean ok;


	/* Deferred for too long: fail. Time for a warning: collect. */
	for (guint i = 0; i < targets->len && !any_deferred; i++)
		any_deferred = ((Target *)targets->pdata[i])->outcome == OUTCOME_DEFERRED;
	for (guint i = 0; i < origins->len && !any_deferred; i++) {
		Origin *o = origins->pdata[i];
		any_deferred = o->own_failure && o->outcome != OUTCOME_FAILED;
	}
	MmDeferAction action = MM_DEFER_WAIT;
	if (any_deferred)
		action = mm_bounce_defer_action(conf, msg->received_time, msg->warned_time, now);

	for (guint i = 0; i < targets->len; i++) {
		Target *t = targets->pdata[i];
		if (t->outcome == OUTCOME_DEFERRED && action == MM_DEFER_FAIL) {
			char *reason = g_strdup_printf("%s (retried for longer than max_defer_time)",
			                               t->reason);
			g_free(t->reason);
			t->reason = reason;
			t->outcome = OUTCOME_FAILED;
			t->status = "5.4.7"; /* delivery time expired: given up for good */
			t->is_reply = FALSE;
		}
		log_outcome(msg, t->result->rcpt, origin_address(origins, input_origin, t->result),
		            t->outcome, t, t->reason);
	}
	for (guint i = 0; i < origins->len; i++) {
		Origin *o = origins->pdata[i];
		if (o->own_failure == NULL || o->outcome == OUTCOME_FAILED)
			continue;
		/* not expanded: the alias files could not be read */
		if (action == MM_DEFER_FAIL) {
			o->outcome = OUTCOME_FAILED;
			origin_add_reason(o, NULL, o->own_failure->message, "5.4.7", FALSE, NULL);
			report->failed++;
		} else {
			o->outcome = OUTCOME_DEFERRED;
			report->deferred++;
		}
		log_outcome(msg, o->rcpt, NULL, o->outcome, NULL, o->own_failure->message);
	}

	/* what each original recipient becomes */
	for (guint i = 0; i < targets->len; i++) {
		Target *t = targets->pdata[i];
		GArray *from = t->result->origins;

		switch (t->outcome) {
		case OUTCOME_DELIVERED:
			report->delivered++;
			break;
		case OUTCOME_FAILED:
			report->failed++;
			break;
		case OUTCOME_DEFERRED:
			report->deferred++;
			break;
		default:
			report->waiting++;
			break;
		}
		for (guint j = 0; j < from->len; j++) {
			Origin *o = origins->pdata[g_array_index(input_origin, guint,
			                                         g_array_index(from, guint, j))];
			g_autofree char *shown = rcpt_text(t->result->rcpt);
			const gboolean same = rcpt_equal(t->result->rcpt, o->rcpt, conf->caseless_matching);

			if (t->outcome == OUTCOME_FAILED)
				origin_add_reason(o, same ? NULL : shown, t->reason, t->status, t->is_reply,
				                  t->host);
			if (t->outcome == OUTCOME_DEFERRED || t->outcome == OUTCOME_WAITING)
				o->outcome = OUTCOME_DEFERRED;
			else if (t->outcome == OUTCOME_FAILED && o->outcome != OUTCOME_DEFERRED)
				o->outcome = OUTCOME_FAILED;
		}
	}
	for (guint i = 0; i < origins->len; i++) {
		Origin *o = origins->pdata[i];
		/* no result left at all: everything was done by earlier runs */
		if (o->outcome == OUTCOME_NONE)
			o->outcome = OUTCOME_DELIVERED;
	}

	/* Notices first: a failure is only written to the spool once the
	 * sender's notice is safely queued. */
	if (!queue_notice(run, msg, origins, FALSE, notices, &told))
		hold_failures = TRUE;
	report->bounced = notices->len > 0;
	if (action == MM_DEFER_WARN) {
		g_autoptr(GPtrArray) warn = g_ptr_array_new();
		/* the reasons now are those of the waiting recipients */
		for (guint i = 0; i < origins->len; i++)
			origin_clear_reasons(origins->pdata[i]);
		for (guint i = 0; i < targets->len; i++) {
			Target *t = targets->pdata[i];
			GArray *from = t->result->origins;
			if (t->outcome != OUTCOME_DEFERRED)
				continue;
			for (guint j = 0; j < from->len; j++) {
				Origin *o = origins->pdata[g_array_index(input_origin, guint,
				                                         g_array_index(from, guint, j))];
				g_autofree char *shown = rcpt_text(t->result->rcpt);
				const gboolean same =
					rcpt_equal(t->result->rcpt, o->rcpt, conf->caseless_matching);
				/* a relay's 4xx gives its own code */
				origin_add_reason(o, same ? NULL : shown, t->reason,
				                  t->is_reply ? NULL : "4.0.0", t->is_reply, t->host);
			}
		}
		for (guint i = 0; i < origins->len; i++) {
			Origin *o = origins->pdata[i];
			if (o->own_failure && o->outcome == OUTCOME_DEFERRED)
				origin_add_reason(o, NULL, o->own_failure->message, "4.3.5", FALSE, NULL);
		}
		guint queued = notices->len;
		if (queue_notice(run, msg, origins, TRUE, notices, &told) && told) {
			msg->warned_time = now;
			report->warned = notices->len > queued;
		}
	}

	/* the new states */
	for (guint i = 0; i < origins->len; i++) {
		Origin *o = origins->pdata[i];
		if (o->is_log_user)
			continue;
		if (o->outcome == OUTCOME_DELIVERED)
			o->rcpt->state = MM_RCPT_DELIVERED;
		else if (o->outcome == OUTCOME_FAILED && !hold_failures)
			o->rcpt->state = MM_RCPT_FAILED;
	}
	for (guint i = 0; i < targets->len; i++) {
		Target *t = targets->pdata[i];
		if (t->outcome == OUTCOME_DELIVERED)
			record_result(msg, t->result->rcpt, MM_RCPT_DELIVERED, conf->caseless_matching);
		else if (t->outcome == OUTCOME_FAILED && !hold_failures)
			record_result(msg, t->result->rcpt, MM_RCPT_FAILED, conf->caseless_matching);
	}

	ok = finish(run, msg, d->lock, d->before, report, error);
	if (!ok)
		g_prefix_error(error, "%s: spool not updated (deliveries will be repeated): ", msg->uid);
	/* the notices go out after the batch (deliver_notices()): this
	 * may run while the batch's sessions are busy */
	return ok;
}

guint
mm_deliver_messages(MmDeliverRun *run, MmMessage *const *msgs, MmSpoolLock **locks, guint n,
                    MmDeliverReport *reports, GError **errors)
{
	g_autofree Delivery **ds = NULL;
	g_autofree MmDeliverReport *scratch = NULL;
	g_autoptr(GPtrArray) pending = g_ptr_array_new();
	guint failed = 0;

	g_return_val_if_fail(run != NULL && (msgs != NULL || n == 0), 0);
	if (reports == NULL)
		reports = scratch = g_new0(MmDeliverReport, n);
	ds = g_new0(Delivery *, n);
	for (guint i = 0; i < n; i++) {
		g_return_val_if_fail(msgs[i]->uid != NULL && msgs[i]->body != NULL, 0);
		ds[i] = g_new0(Delivery, 1);
		ds[i]->msg = msgs[i];
		ds[i]->lock = locks != NULL ? &locks[i] : NULL;
		ds[i]->report = &reports[i];
		ds[i]->now = run_now(run);
		ds[i]->error = errors != NULL ? &errors[i] : NULL;
		ds[i]->notices = g_ptr_array_new_with_free_func((GDestroyNotify)notice_free);
		delivery_prepare(run, ds[i], ds[i]->error);
		if (!ds[i]->settled)
			g_ptr_array_add(pending, ds[i]);
	}
	deliver_remote(run, (Delivery *const *)pending->pdata, pending->len);
	for (guint i = 0; i < n; i++) {
		if (!ds[i]->settled) {
			ds[i]->ok = delivery_complete(run, ds[i], ds[i]->error);
			ds[i]->settled = TRUE;
		}
		if (!ds[i]->ok)
			failed++;
	}
	/* the batch's notices, now that its sessions are free */
	for (guint i = 0; i < n; i++) {
		deliver_notices(run, ds[i]->notices);
		delivery_free(ds[i]);
	}
	return failed;
}

gboolean
mm_deliver_message(MmDeliverRun *run, MmMessage *msg, MmDeliverReport *report, GError **error)
{
	g_autoptr(GError) local = NULL;
	guint failed;

	g_return_val_if_fail(run != NULL && msg != NULL && msg->uid != NULL, FALSE);
	g_return_val_if_fail(msg->body != NULL, FALSE);
	failed = mm_deliver_messages(run, &msg, NULL, 1, report, &local);
	if (failed == 0)
		return TRUE;
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}
