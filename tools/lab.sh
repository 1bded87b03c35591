#!/usr/bin/env bash
# Open pcam_nb's notebooks in JupyterLab, from the environment README's commands build (tools/env.sh):
#   bash tools/lab.sh            # serves nbs/ on http://127.0.0.1:8888 (the next free port if taken) and prints the address to open
#   bash tools/lab.sh 9000       # another port
# Listens on 127.0.0.1 only (this machine), with Jupyter's login token in the printed address. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/env.sh
set -euo pipefail
root=(); [ "$(id -u)" = 0 ] && root=(--allow-root)   # Jupyter refuses root unless told (containers, CI)
exec jupyter lab "${root[@]}" --no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port="${1:-8888}" --ServerApp.root_dir=nbs
