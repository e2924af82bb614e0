#!/usr/bin/env bash
# Installs the Debian packages the project uses when they are missing:
#   chromium (browser tests), fonts-dejavu-core (handout PDFs), poppler-utils (PDF -> PNG in tests),
#   postgresql (the PostgreSQL variants of the storage, service and page tests; tests/pgserver.py).
# Never downloads a browser build of its own. Without root or apt it says what is missing and goes on;
# the tests that need a missing piece are then skipped with that reason.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
pg_bin=$(pg_config --bindir 2>/dev/null || true)
[ -x /usr/lib/postgresql/15/bin/postgres ] || { [ -n "$pg_bin" ] && [ -x "$pg_bin/postgres" ]; } || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || echo "warning: could not install ${need[*]}; tests that need them will be skipped" >&2
else
  echo "warning: missing ${need[*]} (run as root with apt to install); tests that need them will be skipped" >&2
fi
exit 0
