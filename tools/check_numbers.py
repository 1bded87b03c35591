#!/usr/bin/env python
"""One source per number (issue 42): every number written in a notebook's prose must be produced by something in the repository.

    python tools/check_numbers.py [--self-test] [NOTEBOOK ...]   # default: every notebook in nbs/ (README.md is rendered from nbs/index.ipynb)

The rules. A *checked number* is one written in a markdown cell (prose or a typed table) with a decimal point (0.9703, 1.28,
as written) or an integer of 100 or more (4,000, 12288); left out are integers under 100 (3 seeds, 96x96 px, 7 %),
years (1900-2099) and dates, and anything inside `inline code` or a link's target (commands, file names). Each checked number
must appear, exactly or as its rounding to the digits written (4,400 is rounded to hundreds; 99.8 % may be 0.998), in one of
its *sources*:
- the notebook's own code cells and their saved outputs (text, tables rendered as markdown or HTML);
- the result files the notebook names by path: `bench/results/*.json` (measurements kept as data; tables rendered from them
  by `core.ResultTable`), and the shipped models' cards (`pcam_nb/shipped/*/model.json`, read by every notebook that loads them);
- the package's source (`pcam_nb/*.py`: constants such as PCam's 262,144 training patches);
- for `index.ipynb` (README), also the saved outputs of every other notebook: README summarises them.
A number that none of these produces is reported with its notebook and cell; the exit status is 1 if any is found.
Typing a measured table into markdown fails the check: keep it in bench/results and render it (`ResultTable`).
"""
import argparse, functools, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUM = re.compile(r'(?<![\w.\-/#^])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d{3,})(?![\w]|\.\d)')
SRC_NUM = re.compile(r'(?<![\w.])\d[\d_,]*(?:\.\d+)?(?:e-?\d+)?')
RESULTS = re.compile(r'bench/results/[\w.\-]+\.json')

def prose_numbers(md:str):
    "The checked numbers of one markdown cell, as written, each with whether it is a percentage"
    md = re.sub(r'```.*?```', ' ', md, flags=re.S)                      # code blocks
    md = re.sub(r'`[^`]*`', ' ', md)                                     # inline code
    md = re.sub(r'\]\([^)]*\)', ']', md); md = re.sub(r'<[^>]+>', ' ', md)   # link targets, HTML tags (image sizes)
    md = re.sub(r'\d{4}-\d{2}-\d{2}', ' ', md)                          # dates
    for m in NUM.finditer(md):
        t = m.group(1); v = float(t.replace(',', ''))
        if '.' not in t and (v < 100 or 1900 <= v <= 2099): continue
        yield t, md[m.end():m.end() + 2].lstrip().startswith('%')

def texts(c):
    "A code cell's source and the text of its saved outputs"
    yield ''.join(c['source'])
    for o in c.get('outputs', []):
        if 'text' in o: yield ''.join(o['text'])
        for k, v in o.get('data', {}).items():
            if k.startswith('text/'): yield ''.join(v) if isinstance(v, list) else str(v)

def values(text:str)->set:
    "Every number in `text`, as floats (thousands separators and underscores dropped)"
    out = set()
    for t in SRC_NUM.findall(text):
        try: out.add(float(t.replace(',', '').replace('_', '')))
        except ValueError: pass
    return out

def found(t:str, pool:set, pct:bool=False)->bool:
    "Whether the written number `t` is in `pool`, exactly or rounded to the digits written (a percentage: also as a fraction)"
    v = float(t.replace(',', '')); d = len(t.split('.')[1]) if '.' in t else 0
    if d == 0:   # an integer's trailing zeros are rounding (4,400: to hundreds), keeping two significant digits
        digits = t.replace(',', ''); d = -min(len(digits) - len(digits.rstrip('0')), max(len(digits) - 2, 0))
    cands = [x for x in pool] + ([x*100 for x in pool if x <= 1] if pct else [])
    return any(abs(round(x, d) - v) < 10**-(max(d, 0) + 3) for x in cands if abs(x - v) <= 10**-d)

def notebook_pool(nb, others:str='')->set:
    "The sources of one notebook (see the module's docstring)"
    code = '\n'.join(t for c in nb['cells'] if c['cell_type'] == 'code' for t in texts(c))
    allsrc = '\n'.join(''.join(c['source']) for c in nb['cells'])
    files = sorted(set(RESULTS.findall(allsrc)))
    missing = [f for f in files if not (ROOT/f).exists()]
    if missing: raise SystemExit(f"check_numbers: a notebook names result files that do not exist: {missing}")
    return values(code + '\n'.join((ROOT/f).read_text() for f in files) + others) | common_pool()

@functools.cache
def common_pool()->set:
    "The sources every notebook shares: the shipped models' cards and the package source (read once)"
    cards = '\n'.join(p.read_text() for p in sorted((ROOT/'pcam_nb'/'shipped').glob('*/model.json')))
    return values(cards + '\n'.join(p.read_text() for p in sorted((ROOT/'pcam_nb').rglob('*.py')) if p.name != '_modidx.py'))

def outputs_of(nbs)->str:
    "The saved outputs of these notebooks, as text"
    return '\n'.join(t for nb in nbs for c in nb['cells'] if c['cell_type'] == 'code' for t in list(texts(c))[1:])

def check(fn:Path, others:str='')->list:
    "(cell id, number) for every checked number of notebook `fn` that nothing produces"
    nb = json.loads(fn.read_text(encoding='utf-8')); pool = notebook_pool(nb, others)
    return [(c.get('id'), t) for c in nb['cells'] if c['cell_type'] == 'markdown'
            for t, pct in prose_numbers(''.join(c['source'])) if not found(t, pool, pct)]

def self_test():
    "The rules on a made-up notebook: what must pass passes, what must fail fails"
    import tempfile
    md = ("AUC 0.9703 (0.97031 below), 4,400/s (4,376 below), 99.8 % (0.998 below), 3 seeds, 96x96, 2026-12-07, `--bs 128`, "
          "a slide's 0.243 um/px (in pcam_nb's source); typed: 0.9123 and 7,777")
    nb = {'cells': [{'cell_type': 'markdown', 'id': 'm', 'source': [md]},
                    {'cell_type': 'code', 'id': 'c', 'source': ['x'], 'outputs': [{'output_type': 'stream', 'text': ['0.97031 4376 0.998']}]}]}
    with tempfile.TemporaryDirectory() as d:
        fn = Path(d)/'t.ipynb'; fn.write_text(json.dumps(nb))
        got = [t for _, t in check(fn)]
    assert got == ['0.9123', '7,777'], got
    print("check_numbers: self-test passed (typed numbers are caught, produced ones pass)", file=sys.stderr)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0]); p.add_argument('notebooks', nargs='*')
    p.add_argument('--self-test', action='store_true', help='check the rules on a made-up notebook first')
    a = p.parse_args(argv)
    if a.self_test: self_test()
    fns = [Path(f) for f in a.notebooks] or sorted((ROOT/'nbs').glob('*.ipynb'))
    every = [json.loads(f.read_text(encoding='utf-8')) for f in sorted((ROOT/'nbs').glob('*.ipynb')) if f.name != 'index.ipynb']
    bad, n = 0, 0
    for fn in fns:
        hits = check(fn, outputs_of(every) if fn.name == 'index.ipynb' else '')
        n += 1; bad += len(hits)
        for cid, t in hits: print(f"{fn.name} cell {cid}: {t} is written in prose but produced by no cell, result file or source")
    print(f"check_numbers: {n} notebooks, {bad} numbers without a source", file=sys.stderr)
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main())
