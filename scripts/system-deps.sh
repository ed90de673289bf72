#!/usr/bin/env bash
# System packages the test suite needs: PostgreSQL's server binaries.
# As root (CI, a fresh container) they are installed; otherwise we say exactly what to install.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "The tests need these system packages: ${need[*]}"
  echo "Install them with: sudo apt-get install ${need[*]}"
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi
