#!/usr/bin/env bash
# First-start set-up for `make run`: a local PKI, a development key-encryption key and audit key.
# Usage: deploy/dev-setup.sh DEV_DIR CASESERVER_BINARY. Idempotent.
set -euo pipefail
dev_dir=$1
caseserver=$2
here=$(cd "$(dirname "$0")" && pwd)

"$here/dev-pki.sh" "$dev_dir/pki"
mkdir -p "$dev_dir/keys" "$dev_dir/data"
chmod 700 "$dev_dir/keys" "$dev_dir/data"
for key in kek audit; do
  if [ ! -f "$dev_dir/keys/$key" ]; then
    "$caseserver" keygen --out "$dev_dir/keys/$key"
  fi
done
echo "dev-setup: casectl --ca $dev_dir/pki/ca.crt --cert $dev_dir/pki/users/admin.crt --key $dev_dir/pki/users/admin.key info" >&2
