#!/usr/bin/env bash
# Install pcam_nb from this clone: a virtual environment in .venv with the locked requirements
# (requirements/lock.txt: Linux x86-64, CPython 3.10-3.12) and pcam_nb itself (editable).
#   bash tools/install.sh
# A few minutes the first time; run again, it does nothing unless the lock changed. The other tools
# (test, demo, lab, docs) use the same .venv. Then, in each new shell: . .venv/bin/activate
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/env.sh
set -euo pipefail
python -c "import pcam_nb; from pcam_nb.modelfile import shipped_model; print('pcam_nb', pcam_nb.__version__, 'installed in', '$PCAM_VENV'); print('shipped model:', shipped_model().name)"
echo "Now run:  . $PCAM_VENV/bin/activate   (puts pcam_app, pcam_predict, pcam_evaluate, pcam_train on your PATH)"
