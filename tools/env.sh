# Source this file: it makes sure a virtual environment with pcam_nb's locked
# requirements exists and activates it. Used by tools/test.sh, tools/demo.sh and .ci/run.
#   PCAM_VENV        where the environment lives (default: .venv in the repository root)
#   PCAM_VENV_CACHE  if set instead, a folder outside the clone holding one environment per
#                    requirements hash (venv-<hash>): CI reuses it across clean clones
#   PCAM_INSTALL     'light': the light install for predicting (requirements/light.txt, versions from the
#                    lock; ONNX Runtime, no torch, torchvision, fastai or developers' tools) in .venv-light
# The environment is rebuilt when requirements/lock.txt or settings.ini change
# (their hash is stored in the environment), and never half-built: a build that
# dies leaves no ".pcam_ready" marker, so the next run starts it again.
set -euo pipefail
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_ENV_REV=1   # bump when the way the environment is built changes
_light=; [ "${PCAM_INSTALL:-full}" = light ] && _light=-light
[ "${PCAM_INSTALL:-full}" = full ] || [ -n "$_light" ] || { echo "PCAM_INSTALL must be full or light, not ${PCAM_INSTALL}" >&2; return 1; }
_key=$( { echo "$_ENV_REV$_light"; cat "$_root/requirements/lock.txt" "$_root/settings.ini"; [ -z "$_light" ] || cat "$_root/requirements/light.txt"; } | sha256sum | cut -c1-16)
if [ -n "${PCAM_VENV_CACHE:-}" ]; then mkdir -p "$PCAM_VENV_CACHE"; PCAM_VENV=$PCAM_VENV_CACHE/venv$_light-$_key; fi
PCAM_VENV=${PCAM_VENV:-$_root/.venv$_light}

_pick_python() {
  for p in python3.11 python3 python; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; sys.exit(not (3,10) <= sys.version_info[:2] < (3,13))'; then
      echo "$p"; return 0; fi
  done
  echo "pcam_nb needs Python 3.10-3.12 (tested with 3.11); none found on PATH" >&2; return 1
}

if [ ! -f "$PCAM_VENV/.pcam_ready" ] || [ "$(cat "$PCAM_VENV/.pcam_ready")" != "$_key" ]; then
  _py=$(_pick_python)
  echo "== pcam_nb: building the environment in $PCAM_VENV (key $_key); a first build takes a few minutes" >&2
  rm -rf "$PCAM_VENV"
  # in a shared cache (each environment is several GB) the two most recently used other environments stay,
  # so checkouts with different lock files do not delete each other's; older ones go
  if [ -n "${PCAM_VENV_CACHE:-}" ]; then
    { ls -1dt "$PCAM_VENV_CACHE"/venv$_light-* 2>/dev/null || true; } | { grep -v "/venv$_light-$_key\$" || true; } | { [ -n "$_light" ] && cat || grep -v /venv-light- || true; } | tail -n +3 \
      | while read -r _old; do rm -rf "$_old"; done
  fi
  "$_py" -m venv "$PCAM_VENV"
  if [ -n "$_light" ]; then _reqs=(-r "$_root/requirements/light.txt" -c "$_root/requirements/lock.txt")
  else _reqs=(-r "$_root/requirements/lock.txt"); fi
  "$PCAM_VENV/bin/python" -m pip install -q --disable-pip-version-check "${_reqs[@]}" 2> >(grep -v "is ignored: it is neither" >&2)
  "$PCAM_VENV/bin/python" -m pip check >&2
  echo "$_key" > "$PCAM_VENV/.pcam_ready"
fi
touch "$PCAM_VENV"   # most recently used: what the cache keeps
# shellcheck disable=SC1091
source "$PCAM_VENV/bin/activate"
# pcam_nb itself: an editable install of *this* checkout (cheap; redone when the venv served another clone)
# (asked from / so that a pcam_nb/ folder in the working directory cannot answer for the install:
#  an editable install left pointing at a deleted clone broke the console scripts in CI)
if [ "$(cd / && python -c 'import pcam_nb,os;print(os.path.dirname(os.path.dirname(os.path.abspath(pcam_nb.__file__))))' 2>/dev/null)" != "$_root" ] \
   || ! cmp -s "$_root/settings.ini" "$PCAM_VENV/.pcam_settings"; then
  # (compat mode: a path entry, so that the package wins over a folder named pcam_nb in the working directory, e.g. the clone from its parent)
  python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation --config-settings editable_mode=compat -e "$_root" >&2
  cp "$_root/settings.ini" "$PCAM_VENV/.pcam_settings"
fi
set +euo pipefail
