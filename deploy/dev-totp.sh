#!/usr/bin/env bash
# The current sign-in code (TOTP, RFC 6238: HMAC-SHA1, 30 s, 6 digits) of a `make run` demo user,
# whose development secret is derived from its id (services/server/sign_in_setup.cc). Development
# only: real users' secrets are random and live only in their authenticator app and the database.
# Usage: deploy/dev-totp.sh USER   (e.g. coordinator). Needs only openssl and coreutils.
set -euo pipefail
user=${1:?usage: deploy/dev-totp.sh USER}
key=$(printf '%s' "casecoord-development-totp:$user" | openssl dgst -sha256 -binary | head -c 20 |
  od -An -tx1 | tr -d ' \n')
step=$(($(date +%s) / 30))
counter=$(printf '%016x' "$step" | sed 's/../\\x&/g')
mac=$(printf '%b' "$counter" | openssl dgst -sha1 -mac HMAC -macopt "hexkey:$key" -hex |
  sed 's/^.*= //')
offset=$((16#${mac:39:1}))
word=$((16#${mac:$((offset * 2)):8} & 0x7fffffff))
printf '%06d\n' $((word % 1000000))
