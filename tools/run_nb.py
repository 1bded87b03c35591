#!/usr/bin/env python
"""Execute notebooks in place, saving their outputs (for docs and README), then clean them.

    python tools/run_nb.py [--skip slow] nbs/index.ipynb [more.ipynb ...]

Runs each notebook top to bottom from its own folder with execnb, as nbdev_test does (skipping the closing
`nbdev_export()` cell; #| slow and #| sample cells run unless named by --skip, whose cells then keep the outputs of their last run),
and stops at the first failing cell. Outputs that teach are kept; stderr (warnings) and live widget views (which a
saved notebook cannot show: use a screenshot) are dropped, and every PNG is re-encoded with a 256-colour palette when
that makes it smaller, or as a JPEG when that halves it (pictures of patches). Run nbdev_clean after.
"""
import argparse, base64, copy, io, re
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from PIL import Image

WIDGET = 'application/vnd.jupyter.widget-view+json'

def flags(src:str)->set:
    "The directive words of a cell (`#| slow` -> {'slow'})"
    out = set()
    for line in src.splitlines():
        m = re.match(r'\s*#\|\s*(.*)', line)
        if not m:
            if line.strip(): break
            continue
        out |= set(m.group(1).split())
    return out

def small_image(b64:str)->tuple:
    "The smallest faithful encoding of a PNG figure: (mime type, base64): a palette PNG for plots, a JPEG (quality 85) for pictures of patches"
    raw = base64.b64decode(b64)
    im = Image.open(io.BytesIO(raw)).convert('RGB')
    png, jpg = io.BytesIO(), io.BytesIO()
    im.quantize(256, method=Image.Quantize.MEDIANCUT).save(png, 'PNG', optimize=True)
    im.save(jpg, 'JPEG', quality=85, optimize=True)
    best = min((len(raw), 'image/png', raw), (png.tell(), 'image/png', png.getvalue()), (2*jpg.tell(), 'image/jpeg', jpg.getvalue()))   # JPEG only when it halves the size
    return best[1], base64.b64encode(best[2]).decode() + '\n'

def keep(o)->bool:
    "Does an output teach? (not stderr, not a widget view)"
    if o.get('output_type') == 'stream' and o.get('name') == 'stderr': return False
    return WIDGET not in o.get('data', {})

def run(fn:Path, skip:set):
    nb = read_nb(fn)
    skipped = lambda c: c.cell_type == 'code' and ('nbdev_export' + '(' in c.source or bool(flags(c.source) & skip))
    saved = [copy.deepcopy(c.get('outputs', [])) for c in nb.cells]   # a skipped cell keeps the outputs of its last real run
    with working_directory(fn.parent):
        CaptureShell().run_all(nb, exc_stop=True, preproc=skipped)
    for c, old in zip(nb.cells, saved):
        if c.cell_type != 'code': continue
        c.execution_count = None
        c.outputs = old if skipped(c) else [o for o in c.get('outputs', []) if keep(o)]
        for o in c.outputs:
            if 'image/png' in o.get('data', {}):
                mime, b64 = small_image(o['data'].pop('image/png'))
                o['data'][mime] = b64
    nb.metadata.pop('widgets', None)
    write_nb(nb, fn)
    print('ran', fn.name)

if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('--skip', default='', help='directive flags whose cells are not run, e.g. "slow"')
    p.add_argument('notebooks', nargs='+')
    a = p.parse_args()
    for f in a.notebooks: run(Path(f).resolve(), set(a.skip.split()))
