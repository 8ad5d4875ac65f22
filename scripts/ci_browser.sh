#!/usr/bin/env bash
# Headless Chromium for the browser tests (tests/e2e/test_dashboard_browser.py).
#
# Installs Debian's `chromium` and `chromium-driver` packages with apt-get when /usr/bin/chromium
# or /usr/bin/chromedriver is missing (never a browser download of its own), then prints their
# versions. Exits non-zero when they cannot be installed, so CI stops with a clear message
# instead of failing later inside the tests.
set -euo pipefail

chromium=/usr/bin/chromium
driver=/usr/bin/chromedriver

if [[ ! -x "${chromium}" || ! -x "${driver}" ]]; then
  echo "ci_browser: installing chromium and chromium-driver with apt-get"
  as_root=()
  if [[ "$(id -u)" != "0" ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "ci_browser: need root (or sudo) to apt-get install chromium chromium-driver" >&2
      exit 1
    fi
    as_root=(sudo)
  fi
  if ! "${as_root[@]}" apt-get update -qq; then
    echo "ci_browser: apt-get update failed" >&2
    exit 1
  fi
  if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq chromium chromium-driver; then
    echo "ci_browser: apt-get install chromium chromium-driver failed" >&2
    exit 1
  fi
fi

for binary in "${chromium}" "${driver}"; do
  if [[ ! -x "${binary}" ]]; then
    echo "ci_browser: ${binary} is still missing after the install" >&2
    exit 1
  fi
done

echo "ci_browser: $("${chromium}" --version 2>/dev/null || echo "chromium (version unknown)")"
echo "ci_browser: $("${driver}" --version 2>/dev/null || echo "chromedriver (version unknown)")"
