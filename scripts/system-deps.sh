#!/usr/bin/env bash
# System packages the test suite needs: PostgreSQL's server binaries, and for WeasyPrint (the PDF
# export) Pango, HarfBuzz's subsetter (a warning, so a test error, without it) and a font with accents;
# for the browser journeys (tests/e2e) Debian's Chromium, Node.js and npm, and then axe-core from npm;
# wrk for the benchmarks' smoke run.
# As root (CI, a fresh container) they are installed; otherwise we say exactly what to install.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ldconfig -p | grep 'libpangoft2-1.0.so.0' >/dev/null || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p | grep 'libharfbuzz-subset.so.0' >/dev/null || need+=(libharfbuzz-subset0)
ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || need+=(fonts-dejavu-core)
# Playwright drives this Chromium (executable_path); `playwright install` cannot download a browser here.
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v npm >/dev/null || need+=(nodejs npm)
# The benchmarks' smoke run (tests/test_bench_smoke.py) drives the HTTP figure with wrk.
command -v wrk >/dev/null || need+=(wrk)

# axe-core for the accessibility checks, pinned by tests/e2e/package-lock.json.
install_axe() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/e2e"
  if [ -f "$dir/node_modules/axe-core/axe.min.js" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null; then return 0; fi
  echo "Installing axe-core into tests/e2e/node_modules"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
}

if [ ${#need[@]} -eq 0 ]; then
  install_axe
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
install_axe
