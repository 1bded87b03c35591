#!/usr/bin/env python
"""Refuse saved notebook outputs that hold a machine path or widget state (issue 11: the notebooks are the docs).

    python tools/check_outputs.py [NOTEBOOK_OR_FOLDER ...]   # default: nbs/

Every text output (streams, text/plain, text/html, text/markdown, errors) of every code cell is searched for absolute
paths (/root/, /home/, /tmp/, /work/, /Users/, /var/, /mnt/, /opt/, C:\\ ...); a widget view or saved widget state is
refused too (a live panel cannot be saved: show a screenshot). Prints each hit with notebook, cell id and text; exit 1 if any.
It also prints the total size of the saved outputs.
"""
import json, re, sys
from pathlib import Path

ABS = re.compile(r'(?<![\w.~-])(/(?:root|home|tmp|work|Users|var|mnt|opt|private|srv)/[^\s\'"]*|[A-Za-z]:\\\\?[^\s\'"]+)')
WIDGET = 'application/vnd.jupyter.widget-view+json'

def texts(o):
    "The text of one output, whatever its kind"
    if o.get('output_type') == 'stream': yield ''.join(o.get('text', ''))
    elif o.get('output_type') == 'error': yield '\n'.join(o.get('traceback', []))
    for k, v in o.get('data', {}).items():
        if k.startswith('text/'): yield ''.join(v) if isinstance(v, list) else str(v)

def check(fn):
    "Hits in one notebook: (cell id, what) pairs; and the size of its outputs in bytes"
    nb, hits, size = json.loads(Path(fn).read_text(encoding='utf-8')), [], 0
    if 'widgets' in nb.get('metadata', {}): hits.append(('metadata', 'saved widget state'))
    for c in nb['cells']:
        for o in c.get('outputs', []):
            size += len(json.dumps(o))
            if WIDGET in o.get('data', {}): hits.append((c.get('id'), 'a widget view (save a screenshot instead)'))
            for t in texts(o):
                hits += [(c.get('id'), f'absolute path {m.group(0)[:80]!r}') for m in ABS.finditer(t)]
    return hits, size

def main(args):
    fns = [f for a in (args or ['nbs']) for f in (sorted(Path(a).rglob('*.ipynb')) if Path(a).is_dir() else [Path(a)])]
    fns = [f for f in fns if '.ipynb_checkpoints' not in f.parts]
    bad, total = 0, 0
    for fn in fns:
        hits, size = check(fn); total += size
        for cid, what in hits: print(f"{fn}: cell {cid}: {what}", file=sys.stderr); bad += 1
    print(f"saved outputs: {len(fns)} notebooks, {total/1024:.0f} KiB in all, {bad} problem(s)")
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
