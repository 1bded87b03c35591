#!/usr/bin/env python
"""How the house is kept (issue 22): module sizes, the longest functions, big cells, and what `import pcam_nb.predict` costs.

    python bench/house.py            # a Markdown report on this checkout
    python bench/house.py --json     # the same numbers as JSON

Reads `pcam_nb/**/*.py` with `ast` and `nbs/*.ipynb` as JSON; times the import in a fresh interpreter (three runs, the
median), with its peak RSS and the modules it loads.
"""
import ast, json, re, statistics, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ('pcam_nb.recipe', 'pcam_nb.train', 'pcam_nb.cv', 'pcam_nb.train_cli', 'pcam_nb.checkpoint', 'pcam_nb.distributed', 'fastai.distributed', 'accelerate', 'fastai.vision.all')

def modules():
    "Lines per exported module"
    return {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in sorted((ROOT/'pcam_nb').rglob('*.py'))
            if p.name != '_modidx.py'}

def functions():
    "Every function and method: (body lines, parameter count, qualified name)"
    out = []
    for p in sorted((ROOT/'pcam_nb').rglob('*.py')):
        if p.name == '_modidx.py': continue
        mod = p.relative_to(ROOT).with_suffix('').as_posix().replace('/', '.')
        def walk(node, prefix):
            for n in ast.iter_child_nodes(node):
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    a = n.args
                    k = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
                    body = n.body[1:] if ast.get_docstring(n) and len(n.body) > 1 else n.body
                    out.append((body[-1].end_lineno - body[0].lineno + 1, k, f'{mod}.{prefix}{n.name}'))
                    walk(n, f'{prefix}{n.name}.')
                elif isinstance(n, ast.ClassDef): walk(n, f'{prefix}{n.name}.')
        walk(ast.parse(p.read_text()), '')
    return sorted(out, reverse=True)

def _is_import(stmt): return isinstance(stmt, (ast.Import, ast.ImportFrom))

def cells():
    "Exported cells by length, and unexported code cells that mix imports with other code"
    big, n_exp, mixed = [], 0, []
    for nb in sorted((ROOT/'nbs').glob('*.ipynb')):
        for c in json.loads(nb.read_text())['cells']:
            if c['cell_type'] != 'code': continue
            src = ''.join(c['source'])
            lines = [l for l in src.splitlines() if not l.startswith('#|')]
            if re.match(r'#\|\s*export', src):
                n_exp += 1
                if len(lines) > 20: big.append((len(lines), nb.name, lines[0][:60]))
            else:
                if 'nbdev_export()' in src: continue   # nbdev's closing cell (`import nbdev; nbdev.nbdev_export()`), which nbdev_test skips
                try: body = ast.parse(src).body
                except SyntaxError: continue   # IPython magics
                if any(map(_is_import, body)) and not all(map(_is_import, body)): mixed.append((nb.name, lines[0][:60]))
    return n_exp, sorted(big, reverse=True), mixed

PROBE = r'''
import resource, sys, time
t = time.perf_counter(); import pcam_nb.predict; dt = time.perf_counter() - t
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, len(sys.modules), *[m for m in HEAVY if m in sys.modules])
'''
def import_cost(runs=3):
    "Median seconds, peak RSS (MB) and module count of `import pcam_nb.predict` in a fresh interpreter; heavy modules it loads"
    res = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, '-c', f'HEAVY={HEAVY!r}' + PROBE], capture_output=True, text=True, check=True, cwd='/')
        dt, rss, n, *heavy = out.stdout.split()
        res.append((float(dt), float(rss), int(n), heavy))
    return dict(seconds=statistics.median(r[0] for r in res), rss_mb=statistics.median(r[1] for r in res),
                modules=res[0][2], heavy_loaded=res[0][3])

def report(top=12):
    n_exp, big, mixed = cells(); fns = functions(); imp = import_cost(); mods = modules()
    d = dict(modules=mods, functions=[dict(lines=l, params=k, name=n) for l, k, n in fns[:top]],
             over_40=sum(l > 40 for l, _, _ in fns), exported_cells=n_exp,
             cells_over_20=[dict(lines=l, notebook=nb, first=f) for l, nb, f in big],
             mixed_import_cells=len(mixed), import_predict=imp)
    return d

if __name__ == '__main__':
    d = report()
    if '--json' in sys.argv: print(json.dumps(d, indent=1)); sys.exit()
    print('| module | lines |\n|---|---|'); [print(f'| {k} | {v} |') for k, v in d['modules'].items()]
    print(f"| total | {sum(d['modules'].values())} |\n")
    print(f"Functions with a body over 40 lines: {d['over_40']}\n\n| function | body lines | parameters |\n|---|---|---|")
    [print(f"| {f['name']} | {f['lines']} | {f['params']} |") for f in d['functions']]
    c = d['cells_over_20']
    print(f"\nExported cells over 20 lines: {len(c)} of {d['exported_cells']}" + (f" (longest {', '.join(str(o['lines']) + ' ' + o['notebook'] for o in c[:5])})" if c else ''))
    print(f"Unexported code cells mixing imports with other code: {d['mixed_import_cells']}")
    i = d['import_predict']
    print(f"`import pcam_nb.predict`: {i['seconds']:.2f} s, peak RSS {i['rss_mb']:.0f} MB, {i['modules']} modules; "
          f"loads {', '.join(i['heavy_loaded']) or 'none of ' + ', '.join(HEAVY)}")
