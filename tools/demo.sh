#!/usr/bin/env bash
# pcam_nb's main job, the README's demo command:
#   bash tools/demo.sh                 # synthetic PCam-like data, ResNet-18 from scratch, about 3 minutes on 2 cores
#   bash tools/demo.sh --data PATH     # the same on real data (Kaggle layout, official HDF5 files, or 0/ 1/ folders)
# Creates .venv from requirements/lock.txt first if it is missing or stale. Other options: pcam_demo --help.
set -euo pipefail
# results go to ./pcam_demo/run-<time>/ under the folder you run this from
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/env.sh"
exec pcam_demo "$@"
