#!/usr/bin/env python
"""Execute notebooks in place, saving their outputs (for docs and README), then clean them.

    python tools/run_nb.py nbs/index.ipynb [more.ipynb ...]

Runs each notebook top to bottom from its own folder with execnb, as nbdev_test does,
and stops at the first failing cell. Outputs that teach are kept; run nbdev_clean after.
"""
import sys, os
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory

for fn in sys.argv[1:]:
    fn = Path(fn).resolve()
    nb = read_nb(fn)
    with working_directory(fn.parent):
        sh = CaptureShell()
        sh.run_all(nb, exc_stop=True)
    for c in nb.cells:
        if c.cell_type == 'code': c.execution_count = None
    write_nb(nb, fn)
    print('ran', fn.name)
