#!/usr/bin/env bash
# Installs the Debian packages casecoord needs. Idempotent: installs only what is missing,
# and uses sudo only when not already root.
set -euo pipefail

packages=(
  g++ cmake make pkg-config git openssl ca-certificates curl
  protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev
  librocksdb-dev libssl-dev libgtest-dev libgmock-dev
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libicu-dev libxlsxwriter-dev libzip-dev libexpat1-dev
  libjemalloc-dev ccache
  # Browser sign-in (issue 17): argon2id passwords, TOTP codes, enrolment QR codes.
  libargon2-dev liboath-dev libqrencode-dev
  # `make fuzz`: clang, and libFuzzer with the sanitizer runtimes (Debian 12: libclang-rt-14-dev).
  clang libclang-rt-dev
  # `make lint`: clang-tidy and run-clang-tidy.
  clang-tidy
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
