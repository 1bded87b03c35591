#!/usr/bin/env python
"""Where a notebook's test time goes: run it cell by cell as nbdev_test does and list the slowest cells.

    OMP_NUM_THREADS=1 PCAM_SAMPLE=... python tools/celltime.py nbs/02f_train.ipynb [--flags "sample long"] [--top 12]

Cells flagged with a directive of settings.ini's tst_flags run only when --flags names it (as in nbdev_test);
the closing `nbdev_export()` cell is left out. Stops at the first failing cell and says which.
"""
import argparse, os, re, sys, time
from pathlib import Path
from execnb.nbio import read_nb
from execnb.shell import CaptureShell
from nbdev.config import get_config

p = argparse.ArgumentParser()
p.add_argument('notebook'); p.add_argument('--flags', default='sample'); p.add_argument('--top', type=int, default=12)
a = p.parse_args()
skip = set(get_config().tst_flags.split()) - set(a.flags.split())
nb_path = Path(a.notebook).absolute(); os.chdir(nb_path.parent)
sh, rows = CaptureShell(), []
for i, c in enumerate(read_nb(nb_path.name).cells):
    if c.cell_type != 'code' or 'nbdev.nbdev_export()' in c.source: continue
    if skip & set(re.findall(r'^#\|\s*(\w+)', c.source, re.M)): continue
    t = time.time(); sh.run(c.source); dt = time.time() - t
    if sh.exc: sys.exit(f"celltime: cell {i} failed: {sh.exc!r}")
    rows.append((dt, i, c.source[:90].replace('\n', ' | ')))
for dt, i, s in sorted(rows, reverse=True)[:a.top]: print(f"{dt:6.1f} s  cell {i}: {s}")
print(f"{nb_path.name}: {sum(r[0] for r in rows):.0f} s in {len(rows)} cells")
