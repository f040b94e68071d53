/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The header parser (mm_header_parse_block()) and the route rewriter
 * (mm_rewrite_headers()) on a header block: the headers a parser takes
 * must each parse again from their own text, and whatever the rewriter
 * makes of them must be headers that parse too. The route is fixed and
 * rewrites every header it can: From:, Sender:, Reply-To:,
 * Mail-Followup-To: with rules with and without display names, domain
 * only rules, and the general map.
 */
#include "config.h"

#include <string.h>

#include "deliver/rewrite.h"
#include "msg/header.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char route_text[] =
	"map_h_from_addresses = \"alice: Alice Example <alice@isp.example>; a*: team@isp.example\"\n"
	"map_h_sender_addresses = \"bob: bob@isp.example\"\n"
	"map_h_reply_to_addresses = \"carol: \\\"Carol C.\\\" <carol@isp.example>\"\n"
	"map_h_mail_followup_to_addresses = \"dave@localhost: d@isp.example\"\n"
	"map_return_path_addresses = \"alice: alice@isp.example\"\n"
	"map_outgoing_addresses = \"*: *@isp.example\"\n";

static const char *const local_hosts[] = { "localhost", "lan.example", "*.lan.example", NULL };
static const char *const none[] = { NULL };
static const MmLocality locality = {
	.host_name = "lan.example",
	.local_hosts = local_hosts,
	.local_addresses = none,
	.not_local_addresses = none,
};

static MmRoute *route;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_autoptr(GError) error = NULL;

	mm_fuzz_init();
	route = mm_route_load_data(route_text, strlen(route_text), "fuzz.route", &error);
	if (!route)
		g_error("%s", error->message);
	return 0;
}

static void
check_header(const MmHeader *hdr)
{
	g_autoptr(GError) error = NULL;
	gsize len = strlen(hdr->text);

	mm_fuzz_check(len > 0 && hdr->text[len - 1] == '\n', "header text does not end in LF");
	mm_fuzz_check(hdr->name_len > 0 && hdr->value_off > hdr->name_len && hdr->value_off <= len,
	              "header offsets out of the text");
	mm_fuzz_check(hdr->id == mm_header_id_for_name(hdr->text, hdr->name_len), "header id wrong");
	g_autoptr(MmHeader) again = mm_header_parse(hdr->text, len, &error);
	if (!again)
		g_printerr("%s\n", error->message);
	mm_fuzz_check(again != NULL, "a header does not parse from its own text");
	mm_fuzz_check(strcmp(again->text, hdr->text) == 0, "header text changed on parsing again");
	g_autofree char *name = mm_header_name(hdr);
	g_autofree char *value = mm_header_value_unfolded(hdr);
	mm_fuzz_check(mm_header_is(hdr, name), "header is not its own name");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) headers = mm_header_parse_block((const char *)data, size, &error);

	mm_fuzz_check((headers == NULL) == (error != NULL), "result and error disagree");
	if (!headers)
		return 0;
	for (guint i = 0; i < headers->len; i++)
		check_header(headers->pdata[i]);
	(void)mm_header_find(headers, MM_HDR_FROM);

	g_autoptr(GPtrArray) out = mm_rewrite_headers(route, headers, &locality);
	if (out) {
		mm_fuzz_check(out->len == headers->len, "the rewriter lost or added headers");
		for (guint i = 0; i < out->len; i++)
			check_header(out->pdata[i]);
	}
	MmHeader *from = mm_header_find(headers, MM_HDR_FROM);
	if (from) {
		g_autofree char *value = mm_header_value_unfolded(from);
		g_autoptr(GPtrArray) list = mm_address_parse_list(value, "lan.example", NULL);
		for (guint i = 0; list && i < list->len; i++) {
			g_autoptr(MmAddress) rp = mm_rewrite_return_path(route, list->pdata[i], &locality);
			(void)rp;
		}
	}
	return 0;
}
