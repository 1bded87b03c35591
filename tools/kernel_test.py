#!/usr/bin/env python
"""Run notebooks through the installed Jupyter kernel, as Jupyter itself would (nbclient), not through nbdev_test.

    python tools/kernel_test.py [--flags "slow"] [nbs/06_walkthrough.ipynb ...]   # default: the walkthrough

nbdev_test executes cells in an IPython shell inside its own process and skips `#| slow` cells; a student's Jupyter
runs every cell in a kernel process started from the environment's kernelspec (`python3`). A notebook that works only
under nbdev_test (a magic the kernel lacks, a module only nbdev imports, a kernelspec missing from the environment)
fails here. As in nbdev_test, cells flagged with a directive of settings.ini's tst_flags (`#| slow`) are left out unless
--flags names it. The notebook runs from its own folder and is never written back; prints the time and exits 1 on an error.
"""
import argparse, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from nbdev.config import get_config
from run_nb import flags   # the directive words of a cell: one definition for both tools (tools/ is on sys.path when run as a script)
SKIP = set(get_config().tst_flags.split())   # settings.ini's tst_flags (slow, sample): cells that run only when asked for

def run(fn, timeout=900, force=()):
    "Execute `fn` top to bottom in a fresh `python3` kernel (without the cells of flags not in `force`); the seconds it took"
    nb, t = nbformat.read(fn, as_version=4), time.time()
    nb.cells = [c for c in nb.cells if c.cell_type != 'code' or not (flags(c.source) & (SKIP - set(force)))]
    NotebookClient(nb, kernel_name='python3', timeout=timeout, resources={'metadata': {'path': str(Path(fn).parent)}}).execute()
    return time.time() - t

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--flags', default=''); p.add_argument('notebooks', nargs='*')
    a, ok = p.parse_args(), True
    for fn in a.notebooks or ['nbs/06_walkthrough.ipynb']:
        try: print(f"kernel run: {fn}: {run(fn, force=a.flags.split()):.0f} s")
        except CellExecutionError as e: ok = False; print(f"kernel run: {fn}: FAILED\n{str(e)[-3000:]}", file=sys.stderr)
    sys.exit(0 if ok else 1)
