/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The route file parser (mm_route_load_data()): any text loads or fails
 * with MM_ERROR_CONFIG, a loaded route prints option by option, and
 * its address maps are then applied to a fixed set of headers and
 * return paths (mm_rewrite_headers(), mm_rewrite_return_path()), so
 * the fuzzer also writes the rewriting rules.
 */
#include "config.h"

#include <string.h>

#include "base/error.h"
#include "conf/route.h"
#include "deliver/rewrite.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char header_block[] =
	"From: alice@lan.example, \"Bob B.\" <bob@lan.example>, carol (Carol C.)\n"
	"Sender: <dave@laptop.lan.example>\n"
	"Reply-To: team: erin@lan.example, frank;\n"
	"Mail-Followup-To: \"g h\"@lan.example,\n\tother@elsewhere.example\n"
	"To: someone@elsewhere.example\n"
	"Subject: rewriting\n";
static const char *const paths[] = { "<alice@lan.example>", "bob", "<>", "<x@elsewhere.example>" };

static const char *const local_hosts[] = { "localhost", "lan.example", "*.lan.example", NULL };
static const char *const none[] = { NULL };
static const MmLocality locality = {
	.host_name = "lan.example",
	.local_hosts = local_hosts,
	.local_addresses = none,
	.not_local_addresses = none,
};

static GPtrArray *headers;
static MmAddress *return_paths[G_N_ELEMENTS(paths)];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_autoptr(GError) error = NULL;

	mm_fuzz_init();
	headers = mm_header_parse_block(header_block, strlen(header_block), &error);
	if (!headers)
		g_error("%s", error->message);
	for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
		return_paths[i] = mm_address_parse_path(paths[i], "lan.example", TRUE, &error);
		if (!return_paths[i])
			g_error("%s: %s", paths[i], error->message);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmRoute) route = mm_route_load_data((const char *)data, size, "fuzz.route", &error);

	if (!route) {
		mm_fuzz_check(error != NULL, "no route and no error");
		mm_fuzz_check(g_error_matches(error, MM_ERROR, MM_ERROR_CONFIG), "not a configuration error");
		return 0;
	}
	mm_fuzz_check(error == NULL, "a route and an error");

	gsize n;
	const MmConfKeyword *kws = mm_route_keywords(&n);
	for (gsize i = 0; i < n; i++) {
		g_autofree char *value = mm_conf_format_value(&kws[i], route);
		mm_fuzz_check(value != NULL, "an option without a printed value");
	}

	g_autoptr(GPtrArray) out = mm_rewrite_headers(route, headers, &locality);
	for (guint i = 0; out && i < out->len; i++) {
		const MmHeader *h = out->pdata[i];
		g_autoptr(GError) local = NULL;
		g_autoptr(MmHeader) again = mm_header_parse(h->text, strlen(h->text), &local);
		mm_fuzz_check(again != NULL, "a rewritten header does not parse");
	}
	for (gsize i = 0; i < G_N_ELEMENTS(return_paths); i++) {
		g_autoptr(MmAddress) rp = mm_rewrite_return_path(route, return_paths[i], &locality);
		if (rp) {
			g_autofree char *path = mm_address_to_path(rp);
			g_autoptr(GError) local = NULL;
			g_autoptr(MmAddress) back = mm_address_parse_path(path, NULL, TRUE, &local);
			mm_fuzz_check(back != NULL, "a rewritten return path does not parse");
		}
	}
	return 0;
}
