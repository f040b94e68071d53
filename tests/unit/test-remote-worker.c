/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Tests of deliver/remote_worker.c: the wire both ways (requests in the
 * spool's format, results), the parent's reading of a worker that
 * lies, stops or says nothing (tables of raw worker output), what a
 * worker keeps of its parent (no spool lock), a worker that cannot give
 * up root, and whole deliveries through deliver.c with and without a
 * worker, which must come out the same; a worker killed in the middle
 * of a message loses nothing and is not used again.
 *
 * A pipe route stands in for the relay here (the integration scenarios
 * use real relays). As root the worker becomes the mail user, so the
 * directory the route writes to is world-writable; as anyone else the
 * worker keeps the ids of the test.
 */
#include "config.h"

#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/limits.h"
#include "base/privileges.h"
#include "conf/conf.h"
#include "conf/route.h"
#include "deliver/deliver.h"
#include "deliver/remote_worker.h"
#include "queue/accept.h"
#include "queue/spool.h"

#define HOST "test.example"
#define NOBODY 65534

static const char *
top_srcdir(void)
{
	const char *top = g_getenv("MM_TOP_SRCDIR");
	return top != NULL ? top : MM_TEST_TOP_SRCDIR;
}

static void
make_pair(int sv[2])
{
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
}

static void
write_bytes(int fd, const void *data, gsize len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		g_assert_cmpint(n, >, 0);
		p += n;
		len -= (gsize)n;
	}
}

static MmAddress *
addr(const char *text)
{
	g_autoptr(GError) error = NULL;
	MmAddress *a = mm_address_parse_path(text, HOST, TRUE, &error);

	g_assert_no_error(error);
	return a;
}

/* ---- requests ---- */

static MmMessage *
sample_message(void)
{
	MmMessage *msg = mm_message_new();
	g_autoptr(GError) error = NULL;
	static const char body[] = "line one\nodd \r\r\nno end";

	msg->uid = mm_spool_new_uid();
	msg->return_path = addr("<sender@remote.example>");
	msg->protocol = g_strdup("esmtp");
	msg->received_host = g_strdup("lan.example");
	msg->received_time = 1700000000;
	g_ptr_array_add(msg->headers, mm_header_parse("Subject: over\n the wire\n", 24, &error));
	g_assert_no_error(error);
	g_ptr_array_add(msg->headers, mm_header_parse("From: a@test.example\n", 21, &error));
	g_assert_no_error(error);
	msg->body = g_bytes_new_static(body, sizeof body - 1);
	return msg;
}

/* A request goes through as the worker reads it: the message as it
 * is (a body with odd line ends stays as it was) and exactly the
 * recipients of the request. */
static void
test_request_round_trip(void)
{
	g_autoptr(MmMessage) msg = sample_message();
	g_autoptr(MmAddress) a = addr("<one@far.example>");
	g_autoptr(MmAddress) b = addr("<\"two words\"@far.example>");
	const MmAddress *rcpts[] = { a, b };
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) req = mm_remote_worker_encode_request(7, msg, rcpts, 2, &error);
	g_autoptr(MmMessage) got = NULL;
	guint32 seq = 0;
	int sv[2];

	g_assert_no_error(error);
	g_assert_nonnull(req);
	make_pair(sv);
	write_bytes(sv[0], g_bytes_get_data(req, NULL), g_bytes_get_size(req));
	got = mm_remote_worker_read_request(sv[1], &seq, &error);
	g_assert_no_error(error);
	g_assert_nonnull(got);
	g_assert_cmpuint(seq, ==, 7);
	g_assert_cmpstr(got->uid, ==, msg->uid);
	g_assert_true(mm_address_equal(got->return_path, msg->return_path, FALSE));
	g_assert_cmpstr(got->protocol, ==, "esmtp");
	g_assert_cmpstr(got->received_host, ==, "lan.example");
	g_assert_cmpint(got->received_time, ==, 1700000000);
	g_assert_cmpuint(got->headers->len, ==, 2);
	g_assert_cmpstr(((MmHeader *)got->headers->pdata[0])->text, ==, "Subject: over\n the wire\n");
	g_assert_true(g_bytes_equal(got->body, msg->body));
	g_assert_cmpuint(got->rcpts->len, ==, 2);
	g_assert_true(mm_address_equal(((MmRecipient *)got->rcpts->pdata[0])->address, a, FALSE));
	g_assert_true(mm_address_equal(((MmRecipient *)got->rcpts->pdata[1])->address, b, FALSE));

	/* the end of the channel is the end of the run, not an error */
	close(sv[0]);
	g_clear_pointer(&got, mm_message_free);
	got = mm_remote_worker_read_request(sv[1], &seq, &error);
	g_assert_null(got);
	g_assert_no_error(error);
	close(sv[1]);
}

typedef struct {
	const char *label;
	const char *input;  /* @ENV@: a valid envelope; @LEN@: its length */
	gboolean eof_only;  /* NULL without an error */
} BadRequestCase;

static const BadRequestCase bad_request_cases[] = {
	{ "empty", "", TRUE },
	{ "not-a-request", "X 1 2 3\n", FALSE },
	{ "missing-field", "M 1 2\n", FALSE },
	{ "negative", "M 1 -2 0\n", FALSE },
	{ "env-over-limit", "M 1 99999999999 0\n", FALSE },
	{ "long-line", "M 1 0000000000000000000000000000000000000000000000000000000000000000000000000000"
	               "000000000000000000000000000000000000000000000000000000000000000000001 0\n",
	  FALSE },
	{ "truncated-envelope", "M 1 100 0\nabc", FALSE },
	{ "truncated-body", "M 1 @LEN@ 10\n@ENV@abc", FALSE },
	{ "not-an-envelope", "M 1 6 0\nhello\n", FALSE },
	{ "no-recipients", "M 1 @LEN@ 0\n@ENV@", FALSE },
	{ "two-at-once", "M 1 @LEN@ 0\n@ENV@M 2", FALSE },
};

static void
test_request_bad(gconstpointer data)
{
	const BadRequestCase *c = data;
	g_autoptr(MmMessage) msg = sample_message();
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) env = NULL;
	g_autofree char *len = NULL, *env_text = NULL, *input = NULL;
	g_autoptr(MmMessage) got = NULL;
	guint32 seq = 0;
	int sv[2];

	/* with its recipients, "no-recipients" strips them */
	if (strcmp(c->label, "no-recipients") != 0)
		g_ptr_array_add(msg->rcpts, mm_recipient_new(msg->return_path));
	env = mm_spool_format_envelope(msg, &error);
	g_assert_no_error(error);
	env_text = g_strndup(g_bytes_get_data(env, NULL), g_bytes_get_size(env));
	len = g_strdup_printf("%" G_GSIZE_FORMAT, g_bytes_get_size(env));
	{
		g_auto(GStrv) a = g_strsplit(c->input, "@ENV@", -1);
		g_autofree char *t = g_strjoinv(env_text, a);
		g_auto(GStrv) b = g_strsplit(t, "@LEN@", -1);
		input = g_strjoinv(len, b);
	}
	make_pair(sv);
	write_bytes(sv[0], input, strlen(input));
	close(sv[0]);
	got = mm_remote_worker_read_request(sv[1], &seq, &error);
	close(sv[1]);
	g_assert_null(got);
	if (c->eof_only)
		g_assert_no_error(error);
	else
		g_assert_error(error, MM_ERROR, MM_ERROR_CORRUPT);
}

/* ---- results ---- */

static GPtrArray *
sample_routes(void)
{
	GPtrArray *routes = g_ptr_array_new_with_free_func((GDestroyNotify)mm_route_free);

	g_ptr_array_add(routes, mm_route_new_default("smart", "smart.route"));
	g_ptr_array_add(routes, mm_route_new_default("direct", "direct.route"));
	return routes;
}

static GHashTable *
new_hosts(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

/* Every status, a missing host, a multi-line reply: the parent reads
 * what the worker wrote. */
static void
test_results_round_trip(void)
{
	g_autoptr(GPtrArray) routes = sample_routes();
	g_autoptr(GHashTable) hosts = new_hosts();
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	MmRemoteRcpt sent[4] = {
		{ .status = MM_REMOTE_DELIVERED, .reason = "250 2.0.0 queued", .route = "smart",
		  .host = "relay.example[192.0.2.1]:25" },
		{ .status = MM_REMOTE_FAILED, .reason = "550-5.1.1 no such user\n550 5.1.1 really",
		  .route = "smart", .host = "relay.example[192.0.2.1]:25" },
		{ .status = MM_REMOTE_DEFERRED, .reason = "connection refused", .route = "direct" },
		{ .status = MM_REMOTE_WAITING, .reason = "no online route takes it" },
	};
	MmRemoteRcpt got[4] = { { 0 } };
	gboolean have[4] = { FALSE };
	int sv[2];

	mm_remote_worker_encode_results(out, 3, sent, 4);
	make_pair(sv);
	write_bytes(sv[0], out->str, out->len);
	g_assert_true(mm_remote_worker_read_results(sv[1], 3, routes, hosts, got, have, 4,
	                                            g_get_monotonic_time() + 5 * G_USEC_PER_SEC, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < 4; i++) {
		g_assert_true(have[i]);
		g_assert_cmpint(got[i].status, ==, sent[i].status);
		g_assert_cmpstr(got[i].reason, ==, sent[i].reason);
		g_assert_cmpstr(got[i].route, ==, sent[i].route);
		g_assert_cmpstr(got[i].host, ==, sent[i].host);
		mm_remote_rcpt_clear(&got[i]);
	}
	/* the route is the run's own string, the host kept for the run */
	g_assert_cmpuint(g_hash_table_size(hosts), ==, 1);
	close(sv[0]);
	close(sv[1]);
}

/* A batch: "B 3" and three requests written at once are read as one,
 * and the results of all three, in any order, each go to their own
 * message's recipients. */
static void
test_batch_round_trip(void)
{
	g_autoptr(GPtrArray) routes = sample_routes();
	g_autoptr(GHashTable) hosts = new_hosts();
	g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func((GDestroyNotify)mm_message_free);
	g_autoptr(GArray) seqs = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autoptr(GString) wire = g_string_new("B 3\n");
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAddress) a = addr("<one@far.example>");
	g_autoptr(MmAddress) b = addr("<two@far.example>");
	const MmAddress *rcpts[] = { a, b };
	MmRemoteRcpt got[3][2] = { { { 0 } } };
	gboolean have[3][2] = { { FALSE } };
	MmRemoteRcpt *got_of[] = { got[0], got[1], got[2] };
	gboolean *have_of[] = { have[0], have[1], have[2] };
	const guint n_of[] = { 1, 2, 1 };
	int sv[2];

	for (guint i = 0; i < 3; i++) {
		g_autoptr(MmMessage) msg = sample_message();
		g_autoptr(GBytes) req = mm_remote_worker_encode_request(4 + i, msg, rcpts, n_of[i], &error);
		g_assert_no_error(error);
		g_string_append_len(wire, g_bytes_get_data(req, NULL), (gssize)g_bytes_get_size(req));
	}
	make_pair(sv);
	write_bytes(sv[0], wire->str, wire->len);
	g_assert_true(mm_remote_worker_read_batch(sv[1], msgs, seqs, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(msgs->len, ==, 3);
	for (guint i = 0; i < 3; i++) {
		g_assert_cmpuint(g_array_index(seqs, guint32, i), ==, 4 + i);
		g_assert_cmpuint(((MmMessage *)msgs->pdata[i])->rcpts->len, ==, n_of[i]);
	}

	/* the worker answers the last first */
	MmRemoteRcpt r6[] = { { .status = MM_REMOTE_FAILED, .reason = "550 no", .route = "smart" } };
	MmRemoteRcpt r4[] = { { .status = MM_REMOTE_DELIVERED, .reason = "250 ok", .route = "smart" } };
	MmRemoteRcpt r5[] = { { .status = MM_REMOTE_DEFERRED, .reason = "451 later", .route = "smart" },
		              { .status = MM_REMOTE_DELIVERED, .reason = "250 fine", .route = "direct" } };
	mm_remote_worker_encode_results(out, 6, r6, 1);
	mm_remote_worker_encode_results(out, 4, r4, 1);
	mm_remote_worker_encode_results(out, 5, r5, 2);
	write_bytes(sv[0], out->str, out->len);
	g_assert_true(mm_remote_worker_read_batch_results(sv[1], 4, 3, routes, hosts, got_of, have_of, n_of,
	                                                  g_get_monotonic_time() + 5 * G_USEC_PER_SEC, &error));
	g_assert_no_error(error);
	g_assert_cmpint(got[0][0].status, ==, MM_REMOTE_DELIVERED);
	g_assert_cmpstr(got[0][0].reason, ==, "250 ok");
	g_assert_cmpint(got[1][0].status, ==, MM_REMOTE_DEFERRED);
	g_assert_cmpint(got[1][1].status, ==, MM_REMOTE_DELIVERED);
	g_assert_cmpstr(got[1][1].route, ==, "direct");
	g_assert_cmpint(got[2][0].status, ==, MM_REMOTE_FAILED);
	for (guint i = 0; i < 3; i++) {
		for (guint j = 0; j < n_of[i]; j++) {
			g_assert_true(have[i][j]);
			mm_remote_rcpt_clear(&got[i][j]);
		}
	}

	/* the end of the channel is the end of the run */
	close(sv[0]);
	g_ptr_array_set_size(msgs, 0);
	g_assert_false(mm_remote_worker_read_batch(sv[1], msgs, seqs, &error));
	g_assert_no_error(error);
	close(sv[1]);
}

typedef struct {
	const char *label;
	const char *head;   /* before the requests */
	guint requests;     /* valid requests after it */
} BadBatchCase;

static const BadBatchCase bad_batch_cases[] = {
	{ "zero", "B 0\n", 1 },
	{ "over-limit", "B 101\n", 1 },
	{ "not-a-count", "B x\n", 1 },
	{ "no-space", "B1\n", 1 },
	{ "fewer", "B 3\n", 2 },
	{ "more", "B 1\n", 2 },
	{ "nothing-after", "B 2\n", 0 },
};

/* A batch that breaks the rules is refused, never half taken. */
static void
test_batch_bad(gconstpointer data)
{
	const BadBatchCase *c = data;
	g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func((GDestroyNotify)mm_message_free);
	g_autoptr(GArray) seqs = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autoptr(GString) wire = g_string_new(c->head);
	g_autoptr(GError) error = NULL;
	g_autoptr(MmAddress) a = addr("<one@far.example>");
	const MmAddress *rcpts[] = { a };
	int sv[2];

	for (guint i = 0; i < c->requests; i++) {
		g_autoptr(MmMessage) msg = sample_message();
		g_autoptr(GBytes) req = mm_remote_worker_encode_request(1 + i, msg, rcpts, 1, &error);
		g_assert_no_error(error);
		g_string_append_len(wire, g_bytes_get_data(req, NULL), (gssize)g_bytes_get_size(req));
	}
	make_pair(sv);
	write_bytes(sv[0], wire->str, wire->len);
	close(sv[0]);
	g_assert_false(mm_remote_worker_read_batch(sv[1], msgs, seqs, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_CORRUPT);
	close(sv[1]);
}

/* Results for a request that is not in the batch are hostile. */
static void
test_batch_results_outside(void)
{
	g_autoptr(GPtrArray) routes = sample_routes();
	g_autoptr(GHashTable) hosts = new_hosts();
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	MmRemoteRcpt sent[] = { { .status = MM_REMOTE_DELIVERED, .reason = "250 ok", .route = "smart" } };
	MmRemoteRcpt got[2] = { { 0 } };
	gboolean have[2] = { FALSE };
	MmRemoteRcpt *got_of[] = { &got[0], &got[1] };
	gboolean *have_of[] = { &have[0], &have[1] };
	const guint n_of[] = { 1, 1 };
	int sv[2];

	mm_remote_worker_encode_results(out, 10, sent, 1);
	mm_remote_worker_encode_results(out, 12, sent, 1);
	make_pair(sv);
	write_bytes(sv[0], out->str, out->len);
	g_assert_false(mm_remote_worker_read_batch_results(sv[1], 10, 2, routes, hosts, got_of, have_of, n_of,
	                                                   g_get_monotonic_time() + 5 * G_USEC_PER_SEC, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_CORRUPT);
	g_assert_true(have[0]);
	g_assert_false(have[1]);
	mm_remote_rcpt_clear(&got[0]);
	close(sv[0]);
	close(sv[1]);
}

/* A field longer than the parent takes is cut by the worker, so that
 * an honest worker never looks like a hostile one. */
static void
test_results_long_reason(void)
{
	g_autoptr(GPtrArray) routes = sample_routes();
	g_autoptr(GHashTable) hosts = new_hosts();
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *reason = g_strnfill(MM_REMOTE_WORKER_FIELD_MAX + 10, 'x');
	MmRemoteRcpt sent = { .status = MM_REMOTE_DEFERRED, .reason = reason, .route = "smart" };
	MmRemoteRcpt got = { 0 };
	int sv[2];

	mm_remote_worker_encode_results(out, 1, &sent, 1);
	make_pair(sv);
	write_bytes(sv[0], out->str, out->len);
	g_assert_true(mm_remote_worker_read_results(sv[1], 1, routes, hosts, &got, NULL, 1,
	                                            g_get_monotonic_time() + 5 * G_USEC_PER_SEC, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(strlen(got.reason), ==, MM_REMOTE_WORKER_FIELD_MAX);
	mm_remote_rcpt_clear(&got);
	close(sv[0]);
	close(sv[1]);
}

typedef struct {
	const char *label;
	const char *input;  /* what the worker says */
	gsize len;          /* of input; 0: strlen */
	guint n;            /* recipients of the request (seq 1) */
	gboolean keep_open; /* the worker then says nothing more */
	int code;           /* MM_ERROR code, or -1 for success */
	const char *have;   /* which recipients got a result: "1" or "0" each */
} HostileCase;

#define OK_0 "R 1 0 DELIVERED 5 5 6\nsmartrelay250 ok"
#define OK_1 "R 1 1 FAILED 5 0 7\nsmart550 no!"

static const HostileCase hostile_cases[] = {
	{ "both-any-order", OK_1 OK_0, 0, 2, FALSE, -1, "11" },
	{ "waiting-without-route", "R 1 0 WAITING 0 0 0\n", 0, 1, FALSE, -1, "1" },
	{ "eof-at-once", "", 0, 2, FALSE, MM_ERROR_TEMPORARY, "00" },
	{ "eof-mid-line", "R 1 0 DELIV", 0, 2, FALSE, MM_ERROR_TEMPORARY, "00" },
	{ "eof-mid-field", "R 1 0 DELIVERED 5 5 6\nsmartrel", 0, 2, FALSE, MM_ERROR_TEMPORARY, "00" },
	{ "eof-after-one", OK_0, 0, 2, FALSE, MM_ERROR_TEMPORARY, "10" },
	{ "silent", "", 0, 2, TRUE, MM_ERROR_TEMPORARY, "00" },
	{ "silent-after-one", OK_0, 0, 2, TRUE, MM_ERROR_TEMPORARY, "10" },
	{ "silent-mid-field", "R 1 0 DELIVERED 5 5 6\nsmart", 0, 1, TRUE, MM_ERROR_TEMPORARY, "0" },
	{ "overlong-line",
	  "R 1 0 DELIVERED 5 5 6 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	  0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "overlong-field", "R 1 0 DELIVERED 5 5 65537\nsmartrelay", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "index-out-of-range", "R 1 2 DELIVERED 5 5 6\nsmartrelay250 ok", 0, 2, FALSE, MM_ERROR_CORRUPT,
	  "00" },
	{ "index-huge", "R 1 99999999999999999999 DELIVERED 5 5 6\nsmartrelay250 ok", 0, 2, FALSE,
	  MM_ERROR_CORRUPT, "00" },
	{ "index-twice", OK_0 OK_0, 0, 2, FALSE, MM_ERROR_CORRUPT, "10" },
	{ "other-request", "R 2 0 DELIVERED 5 5 6\nsmartrelay250 ok", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "unknown-status", "R 1 0 SENT 5 5 6\nsmartrelay250 ok", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "lower-case-status", "R 1 0 delivered 5 5 6\nsmartrelay250 ok", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "garbage", "hello, parent\n", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "binary", "\x01\x02\x03\xff\n", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "negative-length", "R 1 0 DELIVERED -5 5 6\n", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "plus-sign", "R 1 +0 DELIVERED 5 5 6\nsmartrelay250 ok", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "two-spaces", "R 1  0 DELIVERED 5 5 6\nsmartrelay250 ok", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "crlf", "R 1 0 DELIVERED 5 5 6\r\nsmartrelay250 ok", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "missing-field", "R 1 0 DELIVERED 5 5\nsmartrelay", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "extra-field", "R 1 0 DELIVERED 5 5 6 0\nsmartrelay250 ok", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "unknown-route", "R 1 0 DELIVERED 5 0 6\nother250 ok", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "delivered-without-route", "R 1 0 DELIVERED 0 0 6\n250 ok", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "host-with-newline", "R 1 0 DELIVERED 5 5 6\nsmartre\nay250 ok", 0, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "nul-in-reason", "R 1 0 DELIVERED 5 5 6\nsmartrelay250\0ok", 38, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "nul-in-line", "R 1 0\0DELIVERED 5 5 6\nsmartrelay250 ok", 38, 1, FALSE, MM_ERROR_CORRUPT, "0" },
	{ "more-than-asked", OK_0 OK_1, 0, 1, FALSE, MM_ERROR_CORRUPT, "1" },
};

static void
test_results_hostile(gconstpointer data)
{
	const HostileCase *c = data;
	g_autoptr(GPtrArray) routes = sample_routes();
	g_autoptr(GHashTable) hosts = new_hosts();
	g_autoptr(GError) error = NULL;
	g_autofree MmRemoteRcpt *got = g_new0(MmRemoteRcpt, c->n);
	g_autofree gboolean *have = g_new0(gboolean, c->n);
	/* long enough for a slow machine, short for the silent cases */
	gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC / 5;
	gboolean ok;
	int sv[2];

	make_pair(sv);
	write_bytes(sv[0], c->input, c->len ? c->len : strlen(c->input));
	if (!c->keep_open)
		shutdown(sv[0], SHUT_WR);
	ok = mm_remote_worker_read_results(sv[1], 1, routes, hosts, got, have, c->n, deadline, &error);
	if (c->code < 0) {
		g_assert_no_error(error);
		g_assert_true(ok);
	} else {
		g_assert_error(error, MM_ERROR, c->code);
		g_assert_false(ok);
	}
	for (guint i = 0; i < c->n; i++) {
		g_assert_cmpint(have[i], ==, c->have[i] == '1');
		if (!have[i]) {
			/* left alone: the caller defers them */
			g_assert_cmpint(got[i].status, ==, MM_REMOTE_WAITING);
			g_assert_null(got[i].reason);
		}
		mm_remote_rcpt_clear(&got[i]);
	}
	close(sv[0]);
	close(sv[1]);
}

/* ---- whole deliveries ---- */

typedef struct {
	char *dir, *spool, *mail, *out, *user, *mailbox;
	MmConf *conf;
	MmDeliverRun *run;
} Fixture;

static void
write_file(const char *dir, const char *name, const char *text, int mode)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

static char *
read_text(const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	return text;
}


static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->dir = g_dir_make_tmp("test-remote-worker-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(fx->dir, 0755), ==, 0);
	fx->spool = g_build_filename(fx->dir, "spool", NULL);
	fx->mail = g_build_filename(fx->dir, "mail", NULL);
	fx->out = g_build_filename(fx->dir, "out", NULL);
	g_assert_cmpint(g_mkdir(fx->spool, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(fx->mail, 0755), ==, 0);
	g_assert_cmpint(g_mkdir(fx->out, 0777), ==, 0);
	g_assert_cmpint(g_chmod(fx->out, 0777), ==, 0);
	fx->user = g_strdup(g_get_user_name());
	fx->mailbox = g_build_filename(fx->mail, fx->user, NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_pointer(&fx->run, mm_deliver_run_free);
	g_clear_pointer(&fx->conf, mm_conf_free);
	mm_test_remove_tree(fx->dir);
	g_free(fx->dir);
	g_free(fx->spool);
	g_free(fx->mail);
	g_free(fx->out);
	g_free(fx->user);
	g_free(fx->mailbox);
}

/* The worker as the tests want it: the real one (the mail user) as
 * root, one with our ids otherwise. */
static MmDeliverWorker
test_worker_mode(void)
{
	return geteuid() == 0 ? MM_DELIVER_WORKER_ON : MM_DELIVER_WORKER_SAME_IDS;
}

/* A run over the fixture's configuration, with the uucp route as its
 * permanent route; local deliveries as the user of the test. */
static void
fixture_run(Fixture *fx, MmDeliverWorker mode)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strdup_printf(
		"host_name = \"" HOST "\"\n"
		"local_hosts = \"localhost;" HOST "\"\n"
		"spool_dir = \"%s\"\nmail_dir = \"%s\"\nrun_as_user = true\n"
		"errmsg_file = \"%s/conf/tpl/failmsg.tpl\"\n"
		"warnmsg_file = \"%s/conf/tpl/warnmsg.tpl\"\n"
		"permanent_routes = \"%s/uucp.route\"\n",
		fx->spool, fx->mail, top_srcdir(), top_srcdir(), fx->dir);

	g_clear_pointer(&fx->run, mm_deliver_run_free);
	g_clear_pointer(&fx->conf, mm_conf_free);
	fx->conf = mm_conf_load_data(text, strlen(text), "test.conf", &error);
	g_assert_no_error(error);
	fx->run = mm_deliver_run_new(fx->conf);
	mm_deliver_run_set_worker(fx->run, mode);
}

/* A pipe route for *@uucp.example: the command records its uid in
 * out/uid, appends the message to out/uucp and exits with the number
 * in out/code (0 without it). With out/kill there, it first kills its
 * parent (the worker, when there is one) and stops. */
static void
write_uucp_route(Fixture *fx)
{
	g_autofree char *script = g_strdup_printf(
		"#!/bin/sh\n"
		"id -u >%s/uid\n"
		"if [ -e %s/kill ]; then rm -f %s/kill; kill -KILL $PPID; exit 0; fi\n"
		"cat >>%s/uucp\n"
		"[ -e %s/code ] && exit $(cat %s/code)\nexit 0\n",
		fx->out, fx->out, fx->out, fx->out, fx->out, fx->out);
	g_autofree char *route = g_strdup_printf("pipe = \"%s/gateway.sh\"\n"
	                                         "allowed_recipients = \"*@uucp.example\"\n",
	                                         fx->out);

	write_file(fx->out, "gateway.sh", script, 0755);
	write_file(fx->dir, "uucp.route", route, 0644);
	/* written by root in this process, by the mail user in a worker */
	write_file(fx->out, "uid", "", 0666);
	write_file(fx->out, "uucp", "", 0666);
}

static char *
queue(Fixture *fx, const char *rcpts, const char *body)
{
	return mm_test_queue_message(fx->spool, HOST, "sender@remote.example", rcpts, body);
}

static void
deliver(Fixture *fx, const char *uid, MmDeliverReport *report)
{
	mm_test_deliver_uid(fx->spool, fx->run, uid, report);
}

/* "X" delivered, "F" failed, " " pending, "-" gone with the message. */
static char
rcpt_state(Fixture *fx, const char *uid, const char *rcpt)
{
	g_autofree char *path = g_strdup_printf("%s/input/%s-H", fx->spool, uid);
	g_autofree char *text = read_text(path);
	g_autofree char *needle = g_strdup_printf("<%s>\n", rcpt);
	const char *p = strstr(text, needle);

	if (text[0] == '\0')
		return '-';
	g_assert_nonnull(p);
	g_assert_true(p - text >= 4 && strncmp(p - 4, "RT:", 3) == 0);
	return p[-1];
}

static guint
uucp_count(Fixture *fx)
{
	g_autofree char *path = g_build_filename(fx->out, "uucp", NULL);
	g_autofree char *text = read_text(path);
	guint n = 0;

	for (const char *p = text; (p = strstr(p, "\nSubject: test\n")) != NULL; p++)
		n++;
	return n;
}

typedef struct {
	const char *label;
	int code;    /* the pipe's exit status */
	char state;  /* of the remote recipient afterwards */
	guint delivered, failed, deferred;
	gboolean bounced;
} OutcomeCase;

static const OutcomeCase outcome_cases[] = {
	{ "delivered", 0, 'X', 2, 0, 0, FALSE },
	{ "failed", 67, 'F', 1, 1, 0, TRUE },
	{ "deferred", 75, ' ', 1, 0, 1, FALSE },
};

/* The same message, once in this process and once through the worker:
 * the same report and the same states. The route runs as the mail user
 * in the worker when we are root, as ourselves in this process. */
static void
test_deliver_same(Fixture *fx, gconstpointer data)
{
	const OutcomeCase *c = data;
	static const MmDeliverWorker modes[] = { MM_DELIVER_WORKER_OFF, 0 };
	g_autofree char *rcpts = g_strdup_printf("far@uucp.example %s@localhost", fx->user);
	g_autofree char *code = g_strdup_printf("%d\n", c->code);
	struct passwd *mail = getpwnam(MM_USER);

	write_uucp_route(fx);
	write_file(fx->out, "code", code, 0644);
	for (guint m = 0; m < G_N_ELEMENTS(modes); m++) {
		MmDeliverWorker mode = m == 0 ? modes[0] : test_worker_mode();
		g_autofree char *uid = NULL, *uid_path = NULL, *ran_as = NULL;
		MmDeliverReport report;
		uid_t expected;

		fixture_run(fx, mode);
		uid = queue(fx, rcpts, "over the wire\n");
		deliver(fx, uid, &report);
		g_assert_cmpuint(report.delivered, ==, c->delivered);
		g_assert_cmpuint(report.failed, ==, c->failed);
		g_assert_cmpuint(report.deferred, ==, c->deferred);
		g_assert_cmpuint(report.waiting, ==, 0);
		g_assert_cmpint(report.bounced, ==, c->bounced);
		g_assert_cmpuint(uucp_count(fx), ==, m + 1);
		if (c->state == ' ')
			g_assert_cmpint(rcpt_state(fx, uid, "far@uucp.example"), ==, ' ');
		else
			g_assert_true(report.removed);

		uid_path = g_build_filename(fx->out, "uid", NULL);
		ran_as = g_strchomp(read_text(uid_path));
		expected = mode == MM_DELIVER_WORKER_ON && mail != NULL ? mail->pw_uid : geteuid();
		g_assert_cmpuint((guint)g_ascii_strtoull(ran_as, NULL, 10), ==, (guint)expected);
		if (c->bounced) {
			/* the notice for the remote sender waits; out of the way */
			g_autoptr(GPtrArray) all = mm_spool_list_uids(fx->spool, NULL);
			for (guint i = 0; i < all->len; i++) {
				g_autoptr(MmSpoolLock) lock = mm_spool_lock(fx->spool, all->pdata[i], NULL);
				g_assert_true(mm_spool_remove(fx->spool, all->pdata[i], NULL));
			}
		}
	}
}

/* The worker dies in the middle of a message: that message's remote
 * recipient is deferred although the route took it (the worker never
 * said so), its local one is delivered, and the next message does not
 * go to the dead worker: deferred too, the route not run. A new run
 * delivers both, with a new worker. */
static void
test_deliver_killed(Fixture *fx, gconstpointer data)
{
	g_autofree char *rcpts = g_strdup_printf("far@uucp.example %s@localhost", fx->user);
	g_autofree char *one = NULL, *two = NULL;
	g_autofree char *local = g_strdup_printf("%s@localhost", fx->user);
	MmDeliverReport report;

	write_uucp_route(fx);
	write_file(fx->out, "kill", "", 0666);
	fixture_run(fx, test_worker_mode());
	one = queue(fx, rcpts, "first\n");
	two = queue(fx, "far@uucp.example", "second\n");

	deliver(fx, one, &report);
	g_assert_cmpuint(report.delivered, ==, 1);
	g_assert_cmpuint(report.deferred, ==, 1);
	g_assert_false(report.removed);
	g_assert_cmpint(rcpt_state(fx, one, "far@uucp.example"), ==, ' ');
	g_assert_cmpint(rcpt_state(fx, one, local), ==, 'X');

	deliver(fx, two, &report);
	g_assert_cmpuint(report.deferred, ==, 1);
	g_assert_cmpuint(report.delivered, ==, 0);
	g_assert_cmpint(rcpt_state(fx, two, "far@uucp.example"), ==, ' ');
	g_assert_cmpuint(uucp_count(fx), ==, 0);

	fixture_run(fx, test_worker_mode());
	deliver(fx, one, &report);
	g_assert_true(report.removed);
	deliver(fx, two, &report);
	g_assert_true(report.removed);
	g_assert_cmpuint(uucp_count(fx), ==, 2);
}

/* A message larger than any socket buffer goes to the worker and
 * through the route whole. */
static void
test_deliver_large(Fixture *fx, gconstpointer data)
{
	g_autoptr(GString) body = g_string_new(NULL);
	g_autofree char *uid = NULL, *path = g_build_filename(fx->out, "uucp", NULL), *text = NULL;
	MmDeliverReport report;

	for (guint i = 0; i < 50000; i++)
		g_string_append_printf(body, "line %06u of a message that does not fit in one buffer\n", i);
	write_uucp_route(fx);
	fixture_run(fx, test_worker_mode());
	uid = queue(fx, "far@uucp.example", body->str);
	deliver(fx, uid, &report);
	g_assert_true(report.removed);
	text = read_text(path);
	g_assert_nonnull(strstr(text, "line 000000 of"));
	g_assert_nonnull(strstr(text, "line 049999 of a message that does not fit in one buffer\n"));
	g_assert_cmpuint(strlen(text), >, body->len);
}

/* As root without run_as_user the run picks the worker by itself. */
static void
test_deliver_auto(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL, *uid = NULL, *uid_path = NULL, *ran_as = NULL;
	struct passwd *mail = getpwnam(MM_USER);
	MmDeliverReport report;

	if (geteuid() != 0 || mail == NULL) {
		g_test_skip("needs root and the mail user");
		return;
	}
	write_uucp_route(fx);
	text = g_strdup_printf("host_name = \"" HOST "\"\nspool_dir = \"%s\"\nmail_dir = \"%s\"\n"
	                       "permanent_routes = \"%s/uucp.route\"\n",
	                       fx->spool, fx->mail, fx->dir);
	fx->conf = mm_conf_load_data(text, strlen(text), "test.conf", &error);
	g_assert_no_error(error);
	fx->run = mm_deliver_run_new(fx->conf);
	uid = queue(fx, "far@uucp.example", "automatic\n");
	deliver(fx, uid, &report);
	g_assert_true(report.removed);
	uid_path = g_build_filename(fx->out, "uid", NULL);
	ran_as = g_strchomp(read_text(uid_path));
	g_assert_cmpuint((guint)g_ascii_strtoull(ran_as, NULL, 10), ==, (guint)mail->pw_uid);
}

/* ---- what the worker keeps ---- */

static char *
fd_target(pid_t pid, int fd)
{
	g_autofree char *link = g_strdup_printf("/proc/%d/fd/%d", (int)pid, fd);
	return g_file_read_link(link, NULL);
}

/* The parent holds a message's lock (an OFD lock on its -D file) when
 * the worker starts: once the parent lets go, the lock is free, as the
 * worker holds no descriptor of the spool. A log file (opened for
 * appending) stays with the worker; a pipe does not. */
static void
test_locks_released(Fixture *fx, gconstpointer data)
{
	g_autoptr(MmMessage) msg = mm_message_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) routes = sample_routes();
	g_autoptr(MmRemoteWorker) worker = NULL;
	g_autofree char *log_path = g_build_filename(fx->dir, "masqmail.log", NULL);
	MmSpoolLock *lock = NULL;
	gboolean saw_log = FALSE;
	int log_fd, pipe_fds[2];
	pid_t pid;

	fixture_run(fx, MM_DELIVER_WORKER_SAME_IDS);
	msg->return_path = addr("<sender@remote.example>");
	g_ptr_array_add(msg->rcpts, mm_recipient_new(msg->return_path));
	msg->uid = mm_spool_new_uid();
	msg->body = g_bytes_new_static("body\n", 5);
	g_assert_true(mm_spool_write_locked(fx->spool, msg, &lock, &error));
	g_assert_no_error(error);
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	g_assert_cmpint(log_fd, >=, 0);
	g_assert_cmpint(pipe(pipe_fds), ==, 0);

	worker = mm_remote_worker_start(fx->conf, routes, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(worker);
	pid = mm_remote_worker_pid(worker);
	g_assert_cmpint(pid, >, 0);

	mm_spool_unlock(lock);
	g_assert_false(mm_spool_is_locked(fx->spool, msg->uid));

	{
		g_autofree char *fd_dir = g_strdup_printf("/proc/%d/fd", (int)pid);
		g_autofree char *our_pipe = fd_target(getpid(), pipe_fds[0]);
		g_autoptr(GDir) dir = g_dir_open(fd_dir, 0, &error);
		const char *name;

		g_assert_no_error(error);
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *target = fd_target(pid, atoi(name));
			if (target == NULL)
				continue;
			g_assert_false(g_str_has_prefix(target, fx->spool));
			g_assert_cmpstr(target, !=, our_pipe);
			if (strcmp(target, log_path) == 0)
				saw_log = TRUE;
		}
	}
	g_assert_true(saw_log);
	close(log_fd);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

/* Fail closed: a worker that cannot become the mail user says why and
 * is gone; nothing is delivered by anyone. Run where giving up ids
 * cannot work: as nobody (root first becomes nobody, in a child). */
static void
test_start_cannot_drop(void)
{
	struct passwd *mail = getpwnam(MM_USER);
	struct group *grp = getgrnam(MM_GROUP);

	if (mail == NULL || grp == NULL || mail->pw_uid == 0) {
		g_test_skip("needs the mail user and group");
		return;
	}
	if (geteuid() == 0 && !g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}
	if (geteuid() == 0) {
		g_autoptr(GError) error = NULL;
		g_assert_true(mm_priv_become(NOBODY, NOBODY, NULL, &error));
		g_assert_no_error(error);
	}
	if (geteuid() == mail->pw_uid) {
		g_test_skip("runs as the mail user already");
		return;
	}

	g_autofree char *text = g_strdup("host_name = \"" HOST "\"\n");
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load_data(text, strlen(text), "test.conf", &error);
	g_autoptr(GPtrArray) routes = sample_routes();
	MmRemoteWorkerIds ids = { .uid = mail->pw_uid, .gid = grp->gr_gid, .user = MM_USER };
	g_autoptr(MmRemoteWorker) worker = NULL;

	g_assert_no_error(error);
	worker = mm_remote_worker_start(conf, routes, &ids, &error);
	g_assert_null(worker);
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
	g_assert_nonnull(strstr(error->message, "did not start"));
	g_assert_nonnull(strstr(error->message, "cannot set"));
	/* no child is left behind */
	g_assert_cmpint(waitpid(-1, NULL, WNOHANG), ==, -1);
	g_assert_cmpint(errno, ==, ECHILD);
}

/* Root as the mail user is no drop at all: refused. */
static void
test_start_root_refused(void)
{
	g_autofree char *text = g_strdup("host_name = \"" HOST "\"\n");
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load_data(text, strlen(text), "test.conf", &error);
	g_autoptr(GPtrArray) routes = sample_routes();
	MmRemoteWorkerIds ids = { .uid = 0, .gid = 0, .user = "root" };

	g_assert_null(mm_remote_worker_start(conf, routes, &ids, &error));
	g_assert_error(error, MM_ERROR, MM_ERROR_TEMPORARY);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* a worker that dies must not take the test with it */
	signal(SIGPIPE, SIG_IGN);

	g_test_add_func("/remote-worker/request/round-trip", test_request_round_trip);
	for (gsize i = 0; i < G_N_ELEMENTS(bad_request_cases); i++) {
		g_autofree char *path = g_strdup_printf("/remote-worker/request/bad/%s", bad_request_cases[i].label);
		g_test_add_data_func(path, &bad_request_cases[i], test_request_bad);
	}
	g_test_add_func("/remote-worker/results/round-trip", test_results_round_trip);
	g_test_add_func("/remote-worker/batch/round-trip", test_batch_round_trip);
	for (gsize i = 0; i < G_N_ELEMENTS(bad_batch_cases); i++) {
		g_autofree char *path = g_strdup_printf("/remote-worker/batch/bad/%s", bad_batch_cases[i].label);
		g_test_add_data_func(path, &bad_batch_cases[i], test_batch_bad);
	}
	g_test_add_func("/remote-worker/batch/results-outside", test_batch_results_outside);
	g_test_add_func("/remote-worker/results/long-reason", test_results_long_reason);
	for (gsize i = 0; i < G_N_ELEMENTS(hostile_cases); i++) {
		g_autofree char *path = g_strdup_printf("/remote-worker/results/hostile/%s", hostile_cases[i].label);
		g_test_add_data_func(path, &hostile_cases[i], test_results_hostile);
	}
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	for (gsize i = 0; i < G_N_ELEMENTS(outcome_cases); i++) {
		g_autofree char *path = g_strdup_printf("/remote-worker/deliver/same/%s", outcome_cases[i].label);
		g_test_add(path, Fixture, &outcome_cases[i], fixture_setup, test_deliver_same, fixture_teardown);
	}
	ADD("/remote-worker/deliver/killed", test_deliver_killed);
	ADD("/remote-worker/deliver/large", test_deliver_large);
	ADD("/remote-worker/deliver/auto-as-root", test_deliver_auto);
	ADD("/remote-worker/start/locks-released", test_locks_released);
	g_test_add_func("/remote-worker/start/cannot-drop", test_start_cannot_drop);
	g_test_add_func("/remote-worker/start/root-refused", test_start_root_refused);
	return g_test_run();
}
