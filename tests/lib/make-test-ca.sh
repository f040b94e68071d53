#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Makes a throwaway certificate authority and certificates signed by it
# for the TLS tests, with certtool (Debian's gnutls-bin), into DIR:
#
#   ca.pem, ca-key.pem              the test CA
#   server.pem, server-key.pem      CN=localhost, for localhost, 127.0.0.1, ::1
#   client.pem, client-key.pem      CN=client.test, for TLS client authentication
#   expired.pem, expired-key.pem    like server.pem, but expired in 2001
#   other-ca.pem, other-ca-key.pem  a second CA that signed none of them
#
# Keys are ECDSA P-256 (MM_TEST_CA_KEY_TYPE=rsa for RSA 2048): quick to
# make, and every TLS client of the tests speaks it. Nothing here is
# secret; never use these files outside tests.
#
# Usage: make-test-ca.sh DIR       (exit 77 when certtool is missing)
set -eu

dir=${1:?usage: make-test-ca.sh DIR}
command -v certtool >/dev/null 2>&1 || { echo "make-test-ca.sh: needs certtool (gnutls-bin)" >&2; exit 77; }
mkdir -p "$dir"
cd "$dir"

case "${MM_TEST_CA_KEY_TYPE:-ecdsa}" in
rsa) keyopts="--key-type=rsa --bits=2048" ;;
*) keyopts="--key-type=ecdsa --curve=secp256r1" ;;
esac

key() {
	# shellcheck disable=SC2086
	certtool --generate-privkey $keyopts --no-text --outfile "$1" 2>/dev/null
	chmod 600 "$1"
}

cert() {
	# cert NAME TEMPLATE [CA]
	name=$1 tmpl=$2
	key "$name-key.pem"
	printf '%s\n' "$tmpl" >"$name.tmpl"
	if [ $# -ge 3 ]; then
		certtool --generate-certificate --load-privkey "$name-key.pem" \
			--load-ca-certificate "$3.pem" --load-ca-privkey "$3-key.pem" \
			--template "$name.tmpl" --no-text --outfile "$name.pem" 2>/dev/null
	else
		certtool --generate-self-signed --load-privkey "$name-key.pem" \
			--template "$name.tmpl" --no-text --outfile "$name.pem" 2>/dev/null
	fi
	rm -f "$name.tmpl"
}

ca_tmpl='cn = "masqmail test CA"
organization = "masqmail tests"
serial = 1
expiration_days = 3650
ca
cert_signing_key
crl_signing_key'

server_tmpl='cn = "localhost"
organization = "masqmail tests"
dns_name = "localhost"
ip_address = "127.0.0.1"
ip_address = "::1"
expiration_days = 3650
tls_www_server
signing_key
encryption_key'

cert ca "$ca_tmpl"
cert other-ca "$(printf '%s\n' "$ca_tmpl" | sed 's/test CA/other test CA/')"
cert server "$server_tmpl
serial = 2" ca
cert client 'cn = "client.test"
organization = "masqmail tests"
email = "client@client.test"
serial = 3
expiration_days = 3650
tls_www_client
signing_key
encryption_key' ca
cert expired "$(printf '%s\n' "$server_tmpl" | grep -v expiration_days)
serial = 4
activation_date = \"2000-01-01 00:00:00 UTC\"
expiration_date = \"2001-01-01 00:00:00 UTC\"" ca
