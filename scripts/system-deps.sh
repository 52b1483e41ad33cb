#!/usr/bin/env bash
# Installs the Debian packages the app and its tests need beyond pip: pango for
# WeasyPrint and HarfBuzz's subsetter (without it WeasyPrint falls back to a much slower
# font subsetting in Python), chromium for the browser tests, poppler-utils for reading PDFs
# back, and Debian's Noto CJK fonts, the source scripts/build_fonts.py builds the shipped
# PDF fonts from (and what chromium draws Chinese with in screenshots). Does nothing (and prints nothing) when
# everything is already there, so `make` can call it every time.
#
# Usage: scripts/system-deps.sh [--runtime]
#   --runtime   only what serving the app needs (no test tools)
set -euo pipefail

runtime=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
testing=(chromium poppler-utils fonts-noto-cjk)

case "${1:-}" in
    --runtime) wanted=("${runtime[@]}") ;;
    "") wanted=("${runtime[@]}" "${testing[@]}") ;;
    *) echo "usage: $0 [--runtime]" >&2; exit 2 ;;
esac

installed() {
    # dpkg -s also succeeds for removed-but-not-purged packages, so check the status line.
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

missing=()
for pkg in "${wanted[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done

# python3-venv only matters if `python3 -m venv` (as the Makefile runs it, with pip) fails:
# python3 may not be Debian's. The real probe takes seconds, so skip it when the package is
# there anyway.
if ! installed python3-venv; then
    probe_dir=$(mktemp -d)
    trap 'rm -rf "$probe_dir"' EXIT
    python3 -m venv "$probe_dir/venv" >/dev/null 2>&1 || missing+=(python3-venv)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Install them as root, e.g.:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "Installing system packages: ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
