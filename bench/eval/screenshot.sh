#!/bin/sh
# Renders an HTML report with headless Chromium (apt-get install -y chromium) to a PNG, to check what a reader
# sees: bench/eval/screenshot.sh report.html out.png [WIDTHxHEIGHT]
set -eu
HTML=$(realpath "$1")
PNG=$(realpath -m "$2")
SIZE=${3:-1200,1600}
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$PNG" --window-size="$SIZE" \
    "file://$HTML" 2>/dev/null
ls -l "$PNG"
