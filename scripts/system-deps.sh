#!/usr/bin/env bash
# System packages the test suite needs: PostgreSQL's server binaries, and for WeasyPrint (the PDF
# export) Pango, HarfBuzz's subsetter (a warning, so a test error, without it) and a font with accents.
# As root (CI, a fresh container) they are installed; otherwise we say exactly what to install.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ldconfig -p | grep 'libpangoft2-1.0.so.0' >/dev/null || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p | grep 'libharfbuzz-subset.so.0' >/dev/null || need+=(libharfbuzz-subset0)
ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || need+=(fonts-dejavu-core)

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
