#!/usr/bin/env sh
# The browser tests drive Debian's Chromium (Playwright's own download cannot work offline).
# Install it when it is missing and apt-get can; otherwise say so and let the tests decide:
# they skip locally and fail under CI=true.
set -eu
browser=${SLIPSTREAM_CHROMIUM:-/usr/bin/chromium}
[ -x "$browser" ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null && exit 0
fi
echo "note: no browser at $browser (apt-get install -y chromium); browser tests will not run" >&2
