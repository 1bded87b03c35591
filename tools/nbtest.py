#!/usr/bin/env python
"""Run every notebook's tests as `nbdev_test` does, and count the results from its own per-notebook outcome.

    python tools/nbtest.py [--flags "slow sample"] [--n_workers 2] [--skip 06_walkthrough.ipynb ...]

nbdev's `test_nb` runs each notebook top to bottom in a fresh shell (skipping cells whose flags are not
given); this script collects its pass/fail result per notebook, prints each notebook's time, and ends
with one line `notebooks: N passed, M failed` (exit 1 when M > 0).
"""
import argparse, sys, time
from fastcore.parallel import parallel
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.doclinks import nbglob
from nbdev.test import test_nb

p = argparse.ArgumentParser()
p.add_argument('--flags', default='')
p.add_argument('--n_workers', type=int, default=2)
p.add_argument('--skip', nargs='*', default=[], help='notebooks left out (by file name)')
a = p.parse_args()
cfg = get_config()
LONGEST = ('06_walkthrough', '02f_train', '02h_train_cli', '02g_cv', '03a_evaluate', '03_predict', '02a_learner', '01_data.synth', '03d_slide', '03c_slidecall', '04_panel')   # started first
files = sorted((f.absolute() for f in nbglob(as_path=True) if f.name not in a.skip),
               key=lambda f: (LONGEST.index(f.stem) if f.stem in LONGEST else len(LONGEST), f.name))
if a.skip: print(f"== left out: {', '.join(a.skip)}")
t0 = time.time()
with working_directory(cfg.nbs_path):
    res = parallel(test_nb, files, skip_flags=cfg.tst_flags.split(), force_flags=a.flags.split(), n_workers=a.n_workers,
                   basepath=cfg.config_path, pause=0.01)
failed = [f.name for (ok, _), f in zip(res, files) if not ok]   # (parallel keeps the order of `files`)
for (ok, t), f in sorted(zip(res, files), key=lambda o: -o[0][1]): print(f"{f.name}: {t:.0f} s{'' if ok else '  FAILED'}")
print(f"== {time.time() - t0:.0f} s")
if failed: print("failed: " + ', '.join(failed), file=sys.stderr)
print(f"notebooks: {len(files) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
