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
  # The console's files are gzip-compressed once at start-up (services/http/console_files).
  zlib1g-dev
  # Browser sign-in (issue 17): argon2id passwords, TOTP codes, enrolment QR codes.
  libargon2-dev liboath-dev libqrencode-dev
  # `make fuzz`: clang, and libFuzzer with the sanitizer runtimes (Debian 12: libclang-rt-14-dev).
  clang libclang-rt-dev
  # `make lint`: clang-tidy and run-clang-tidy.
  clang-tidy
  # The web console (clients/web, built with npm) and its browser tests (headless Chromium;
  # a Japanese font so screenshots show the text).
  chromium fonts-ipafont-gothic
  # Operations (issue 19): sd_notify and systemd-analyze for the unit, libcurl for off-site copies,
  # promtool to check /metrics, Python with YAML to check the rendered Kubernetes manifests.
  libsystemd-dev systemd libcurl4-openssl-dev prometheus python3 python3-yaml
)
# Node.js and npm: Debian's packages, unless a node with npm is already installed (another
# distribution of Node ships its own npm, which Debian's npm package would conflict with).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

# kubectl renders the Kubernetes overlays in the tests: Debian's kubernetes-client, unless a
# kubectl is already installed (a cloud SDK's, which would conflict with it).
if ! command -v kubectl >/dev/null; then
  packages+=(kubernetes-client)
fi

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
