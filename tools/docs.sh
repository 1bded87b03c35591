#!/usr/bin/env bash
# Build the documentation site from the notebooks, offline (mkdocs-material; see tools/docs.py for why):
#   bash tools/docs.sh              # into _docs/ (git-ignored): open _docs/index.html, or serve it with
#                                   #   python -m http.server -d _docs 8000   (then http://127.0.0.1:8000/; search needs a server)
#   bash tools/docs.sh --out DIR    # elsewhere
# Creates .venv from requirements/lock.txt first if it is missing or stale (tools/env.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/env.sh
set -euo pipefail
exec python tools/docs.py "$@"
