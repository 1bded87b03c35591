#!/usr/bin/env python
"""Run notebooks through the installed Jupyter kernel, as Jupyter itself would (nbclient), not through nbdev_test.

    python tools/kernel_test.py [nbs/06_walkthrough.ipynb ...]   # default: the walkthrough

nbdev_test executes cells in an IPython shell inside its own process and skips `#| slow` cells; a student's Jupyter
runs every cell in a kernel process started from the environment's kernelspec (`python3`). A notebook that works only
under nbdev_test (a magic the kernel lacks, a module only nbdev imports, a kernelspec missing from the environment)
fails here. The notebook runs from its own folder and is never written back; prints the time and exits 1 on an error.
"""
import sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

def run(fn, timeout=900):
    "Execute `fn` top to bottom in a fresh `python3` kernel; the seconds it took"
    nb, t = nbformat.read(fn, as_version=4), time.time()
    NotebookClient(nb, kernel_name='python3', timeout=timeout, resources={'metadata': {'path': str(Path(fn).parent)}}).execute()
    return time.time() - t

if __name__ == '__main__':
    ok = True
    for fn in sys.argv[1:] or ['nbs/06_walkthrough.ipynb']:
        try: print(f"kernel run: {fn}: {run(fn):.0f} s")
        except CellExecutionError as e: ok = False; print(f"kernel run: {fn}: FAILED\n{str(e)[-3000:]}", file=sys.stderr)
    sys.exit(0 if ok else 1)
