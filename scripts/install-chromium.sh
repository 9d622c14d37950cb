#!/usr/bin/env bash
# Make sure Debian's headless-capable `chromium` and its matching `chromedriver` are on PATH:
# the site test (tests/docs/test_site.py) opens the built notebook pages in a real browser.
# Both come from the system's package manager, so nothing is downloaded when the tests run.
set -u
have() { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; }
have && exit 0
echo "chromium or chromedriver not found; trying to install them" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo -n"
if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
        || { $sudo apt-get update -qq >/dev/null 2>&1 \
             && $sudo apt-get install -y -qq chromium chromium-driver >/dev/null; }
fi
if ! have; then
    echo "Could not install chromium and chromedriver (Debian: apt-get install chromium" \
         "chromium-driver). The site's browser test skips without them." >&2
    exit 1
fi
