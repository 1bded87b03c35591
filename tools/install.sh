#!/usr/bin/env bash
# Install pcam_nb from this clone: a virtual environment in .venv with the locked requirements
# (requirements/lock.txt: Linux x86-64, CPython 3.10-3.12) and pcam_nb itself (editable).
#   bash tools/install.sh          # the full install: predicting, training, the notebooks and the developers' tools
#   bash tools/install.sh light    # the light install for predicting (pcam_predict, pcam_slide, pcam_app): ONNX Runtime,
#                                  # no torch, torchvision or fastai (requirements/light.txt), in .venv-light
# A few minutes the first time; run again, it does nothing unless the lock changed. The other tools
# (test, demo, lab, docs) use the same .venv. Then, in each new shell: . .venv/bin/activate
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
case "${1:-full}" in full|light) export PCAM_INSTALL=${1:-full} ;; *) echo "usage: bash tools/install.sh [light]" >&2; exit 2 ;; esac
source tools/env.sh
set -euo pipefail
python -c "import pcam_nb; from pcam_nb.modelfile import shipped_model; print('pcam_nb', pcam_nb.__version__, 'installed in', '$PCAM_VENV'); print('shipped model:', shipped_model().name)"
if [ "$PCAM_INSTALL" = light ]; then echo "Now run:  . $PCAM_VENV/bin/activate   (puts pcam_predict, pcam_slide and pcam_app on your PATH)"
else echo "Now run:  . $PCAM_VENV/bin/activate   (puts pcam_app, pcam_predict, pcam_slide, pcam_evaluate, pcam_train, pcam_demo and pcam_download on your PATH)"; fi
