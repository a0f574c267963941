#!/usr/bin/env bash
# Creates a throwaway PKI for running casecoord locally with mutual TLS.
#
# Usage: deploy/dev-pki.sh OUT_DIR
#
# Writes into OUT_DIR (mode 0700):
#   ca.key, ca.crt                  development CA; clients and the server trust only this root
#   server.key, server.crt          server certificate for localhost / 127.0.0.1 / ::1
#   users/<user_id>.key, .crt       one client certificate per sample user
#
# User identity scheme: the server identifies the caller by the subjectAltName URI
# "urn:casecoord:user:<user_id>" of the verified client certificate, not by the CN. The CN
# repeats the user id only so that people reading certificates can tell them apart; a URI SAN
# has a single, unambiguous encoding, whereas a subject DN can be spelled many ways.
#
# These keys are for development only: they are unencrypted and the CA key sits next to the
# certificates it signed. Never use them for real case data.
#
# Idempotent: if OUT_DIR/ca.crt already exists nothing is changed, so re-running never
# invalidates certificates that clients have already been given. Everything is generated in a
# staging directory and ca.crt is moved into place last, so an interrupted run is simply
# redone by the next one.
set -euo pipefail

readonly USER_IDS=(admin coordinator agency-staff adviser planner auditor)
readonly CA_DAYS=3650
# 825 days is the longest leaf lifetime that Apple platforms and browsers accept.
readonly LEAF_DAYS=825

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
out="$1"

if [ -e "$out/ca.crt" ]; then
  echo "dev-pki: $out/ca.crt already exists; leaving $out unchanged" >&2
  exit 0
fi

command -v openssl >/dev/null || { echo "dev-pki: openssl not found" >&2; exit 1; }

# Keys must never be readable by others, even for the instant between creation and chmod.
umask 077
mkdir -p "$out"
chmod 0700 "$out"

# Staging inside OUT_DIR keeps the final mv on one filesystem, hence atomic per file.
stage="$(mktemp -d "$out/.dev-pki.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/users"

# openssl x509 -req reports every successful signature on stderr; show its output only when
# something went wrong so that the list of written files stays readable.
quiet() {
  local log
  if ! log="$("$@" 2>&1)"; then
    printf '%s\n' "$log" >&2
    echo "dev-pki: failed: $*" >&2
    return 1
  fi
}

new_key() {
  openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -pkeyopt ec_param_enc:named_curve -out "$1"
  chmod 0600 "$1"
}

# Random 128-bit serials avoid collisions between certificates from repeated runs, which
# would otherwise confuse clients that cache certificates by issuer and serial.
new_serial() {
  echo "0x$(openssl rand -hex 16)"
}

# sign KEY CN DAYS EXTFILE OUT_CRT [CA_CRT CA_KEY]; self-signs when no CA is given.
sign() {
  local key="$1" cn="$2" days="$3" ext="$4" crt="$5" ca_crt="${6:-}" ca_key="${7:-}"
  local csr="$stage/req.csr"
  openssl req -new -key "$key" -subj "/CN=$cn" -out "$csr"
  if [ -z "$ca_crt" ]; then
    quiet openssl x509 -req -in "$csr" -signkey "$key" -sha256 -days "$days" \
      -set_serial "$(new_serial)" -extfile "$ext" -out "$crt"
  else
    quiet openssl x509 -req -in "$csr" -CA "$ca_crt" -CAkey "$ca_key" -sha256 -days "$days" \
      -set_serial "$(new_serial)" -extfile "$ext" -out "$crt"
  fi
  chmod 0644 "$crt"
  rm -f "$csr" "$ext"
}

# --- CA ---
new_key "$stage/ca.key"
cat >"$stage/ca.ext" <<'EOF'
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
sign "$stage/ca.key" "casecoord development CA" "$CA_DAYS" "$stage/ca.ext" "$stage/ca.crt"

# --- server ---
new_key "$stage/server.key"
cat >"$stage/server.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
sign "$stage/server.key" "localhost" "$LEAF_DAYS" "$stage/server.ext" "$stage/server.crt" \
  "$stage/ca.crt" "$stage/ca.key"

# --- users ---
for id in "${USER_IDS[@]}"; do
  new_key "$stage/users/$id.key"
  cat >"$stage/users/$id.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:urn:casecoord:user:$id
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  sign "$stage/users/$id.key" "$id" "$LEAF_DAYS" "$stage/users/$id.ext" \
    "$stage/users/$id.crt" "$stage/ca.crt" "$stage/ca.key"
done

# --- install; ca.crt goes last because its presence marks a complete run ---
mkdir -p "$out/users"
chmod 0700 "$out/users"
written=()
for id in "${USER_IDS[@]}"; do
  for f in "users/$id.key" "users/$id.crt"; do
    mv -f "$stage/$f" "$out/$f"
    written+=("$out/$f")
  done
done
for f in server.key server.crt ca.key ca.crt; do
  mv -f "$stage/$f" "$out/$f"
  written+=("$out/$f")
done

for f in "${written[@]}"; do
  echo "dev-pki: wrote $f" >&2
done
