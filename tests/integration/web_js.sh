#!/usr/bin/env bash
# web_js.sh <bitflow-cli> <scratch>: the web page's parsers (the SSE stream reader and the
# .torrent reader of src/daemon/web/app.js) under node, fed their input split at every byte.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
init "$1" "$2"
require_tool node
node "$HERE/web_js_test.js" "$HERE/../../src/daemon/web/app.js" || die "the web page's parsers failed"
