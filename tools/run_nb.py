#!/usr/bin/env python
"""Execute notebooks in place, saving their outputs (for docs and README), then clean them.

    python tools/run_nb.py nbs/index.ipynb [more.ipynb ...]

Runs each notebook top to bottom from its own folder with execnb, as nbdev_test does
(skipping the closing `nbdev_export()` cell, but running #| slow and #| sample cells),
and stops at the first failing cell. Outputs that teach are kept, stderr (warnings) is dropped; run nbdev_clean after.
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
        sh.run_all(nb, exc_stop=True, preproc=lambda c: c.cell_type == 'code' and 'nbdev_export' + '(' in c.source)
    for c in nb.cells:
        if c.cell_type == 'code':
            c.execution_count = None
            # warnings (stderr) carry absolute paths and teach nothing: keep them out of docs
            c.outputs = [o for o in c.get('outputs', []) if not (o.get('output_type') == 'stream' and o.get('name') == 'stderr')]
    write_nb(nb, fn)
    print('ran', fn.name)
