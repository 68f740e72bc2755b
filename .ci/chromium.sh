#!/usr/bin/env bash
# Installs Debian's Chromium (when missing) for the page's browser tests; Playwright drives this
# system browser and never downloads one.
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    # The package lists may be missing or old on a new machine.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || {
        $sudo apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    }
fi
