#!/usr/bin/env python
"""Build pcam_nb's documentation site from the notebooks, offline.

    python tools/docs.py                # the site into _docs/ (git-ignored); open _docs/index.html
    python tools/docs.py --out DIR      # the site into DIR (the browser test builds into a temporary folder)

Why mkdocs-material: nbdev's own `nbdev_docs` renders through Quarto, whose PyPI package downloads its
binary at install time (impossible offline), and jupyter-book 2 fetches its theme at build time.
mkdocs-material installs from PyPI, builds offline, ships its own search (a prebuilt index, no server)
and renders Markdown tables and code as nbdev's docs do. The notebooks are turned into Markdown here
with nbdev's rules rather than by mkdocs-jupyter, which shows every cell as it is (`#| export` sources,
`#| hide` cells, directive lines) and loads require.js from a CDN: here `#| hide` and `#| export`
cells are left out, `show_doc` cells show only their output (the signature with its docments), cells that
test (`test_eq`, `assert`, ...) show only their outputs (the tests stay in the notebooks), code wraps,
directive lines are stripped, and the saved outputs (text, tables, pictures) are kept, as on an nbdev site.

The home page is nbs/index.ipynb (the README's source) followed by the module table, which is generated
from the notebooks themselves (each notebook's `default_exp` and its title's blockquote), so it cannot drift.
"""
import argparse, base64, configparser, json, re, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme import _directives   # the same directive parsing as README.md's renderer

_cfg = configparser.ConfigParser(); _cfg.read(ROOT/'settings.ini')
CFG = _cfg['DEFAULT']
NBS = ROOT/CFG.get('nbs_path', 'nbs')
GIT = f"https://github.com/{CFG['user']}/{CFG['repo']}/blob/{CFG.get('branch', 'main')}/"
HIDE = {'hide', 'export', 'exporti', 'default_exp'}   # cells that nbdev's docs leave out (`exports` shows its source)

def page_name(nb:Path)->str:
    "The page a notebook becomes, as nbdev names it: the number prefix dropped (`01a_data.readers.ipynb` -> `data.readers.md`)"
    return 'index.md' if nb.name == CFG.get('readme_nb', 'index.ipynb') else re.sub(r'^\d+[a-z]?_', '', nb.stem) + '.md'

def notebooks()->list:
    "The notebooks of the site, in reading order (names starting with `_` or `.` are skipped, as nbdev skips them)"
    return sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith(('_', '.')))

def _load(nb:Path)->dict: return json.loads(nb.read_text(encoding='utf-8'))

def title_of(nb:Path)->tuple:
    "(title, blockquote) from a notebook's first markdown cell"
    md = next((''.join(c['source']) for c in _load(nb)['cells'] if c['cell_type'] == 'markdown'), '')
    t = re.search(r'^#\s+(.+)$', md, re.M); q = re.search(r'^>\s*(.+)$', md, re.M)
    return (t.group(1).strip() if t else nb.stem), (q.group(1).strip() if q else '')

def module_of(nb:Path)->str|None:
    "The module a notebook exports to (`#| default_exp`), or None for a narrative or benchmark notebook"
    for c in _load(nb)['cells']:
        if c['cell_type'] == 'code':
            m = re.search(r'^#\|\s*default_exp\s+(\S+)', ''.join(c['source']), re.M)
            if m: return f"{CFG['lib_name']}.{m.group(1)}"
    return None

def _links(md:str, pages:dict)->str:
    "Re-point relative links: a notebook to its page, a file of the repository to GitHub; web links and anchors stay"
    def fix(m):
        text, url = m.group(1), m.group(2)
        if re.match(r'^(https?:|mailto:|#|/)', url): return m.group(0)
        path, _, anchor = url.partition('#')
        p = (NBS/path).resolve()
        if p.suffix == '.ipynb' and p.name in pages: return f"{text}({pages[p.name]}{'#' + anchor if anchor else ''})"
        if p.parent == NBS/'images' and p.is_file(): return m.group(0)   # pictures are copied with the pages
        try: rel = p.relative_to(ROOT).as_posix()
        except ValueError: return m.group(0)
        return f"{text}({GIT}{rel}{'#' + anchor if anchor else ''})"
    return re.sub(r'(!?\[[^\]]*\])\(([^)\s]+)\)', fix, md)

def _outputs(cell:dict, stem:str, out:Path, n:list)->list:
    "A code cell's saved outputs as Markdown: text in code blocks, markdown and HTML as they are, pictures as files beside the page"
    res = []
    for o in cell.get('outputs', []):
        if o['output_type'] == 'stream':
            if o.get('name') != 'stderr' and ''.join(o['text']).strip(): res.append('```\n' + ''.join(o['text']).rstrip('\n') + '\n```')
            continue
        if o['output_type'] not in ('execute_result', 'display_data'): continue
        d = o.get('data', {})
        img = next((k for k in ('image/png', 'image/jpeg', 'image/svg+xml') if k in d), None)
        if img:
            n[0] += 1; ext = {'image/png': 'png', 'image/jpeg': 'jpg', 'image/svg+xml': 'svg'}[img]
            fn = f"{stem}_{n[0]}.{ext}"; data = ''.join(d[img]) if isinstance(d[img], list) else d[img]
            (out/'img'/fn).write_bytes(data.encode() if ext == 'svg' else base64.b64decode(data))
            res.append(f"![output {n[0]} of {stem}](img/{fn})")
        elif 'text/markdown' in d: res.append(''.join(d['text/markdown']).strip())
        elif 'text/html' in d: res.append('<div class="nb-output" markdown="0">\n' + ''.join(d['text/html']).strip() + '\n</div>')
        elif ''.join(d.get('text/plain', '')).strip(): res.append('```\n' + ''.join(d['text/plain']).rstrip('\n') + '\n```')
    return res

def is_test(code:str)->bool:
    "A cell that tests (fastcore's `test_*` calls, `assert`): it stays in the notebook, its code is left off the site (its outputs stay)"
    return bool(re.search(r'\btest_\w+\(|^\s*assert\b', code, re.M))

def render(nb:Path, out:Path, pages:dict)->str:
    "One notebook as a Markdown page, by nbdev's rules (see the module docstring)"
    parts, n, stem = [], [0], page_name(nb)[:-3]
    for c in _load(nb)['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': parts.append(_links(src.strip(), pages)); continue
        if c['cell_type'] != 'code': continue
        ds, code = _directives(src)
        if HIDE & set(ds): continue
        if code and 'echo' not in ds and not re.match(r'^show_doc\(', code) and not is_test(code): parts.append('```python\n' + code + '\n```')
        if 'output' not in ds: parts += _outputs(c, stem, out, n)
    src = f"{GIT}{nb.relative_to(ROOT).as_posix()}"
    return '\n\n'.join(p for p in parts if p) + f"\n\n---\n\n*This page is [{nb.name}]({src}), with its saved outputs.*\n"

def module_table(nbs:list)->str:
    "The table of modules and notebooks, from the notebooks themselves"
    rows = ['| module | page | what it gives you |', '|---|---|---|']
    for nb in nbs:
        if page_name(nb) == 'index.md': continue
        t, q = title_of(nb); m = module_of(nb)
        rows.append(f"| {'`' + m + '`' if m else ''} | [{t}]({page_name(nb)}) | {q} |")
    return '\n'.join(rows)

def mkdocs_yml(proc:Path, site:Path, nbs:list)->dict:
    "The mkdocs configuration: material theme with no web fonts (offline), its search, a navigation in notebook order"
    mods = [{title_of(nb)[0]: page_name(nb)} for nb in nbs if module_of(nb)]
    other = [{title_of(nb)[0]: page_name(nb)} for nb in nbs if not module_of(nb) and page_name(nb) != 'index.md']
    return dict(site_name=CFG['lib_name'], site_description=CFG['description'],   # no repo_url: its facts are fetched from GitHub's API at page load
                docs_dir=str(proc), site_dir=str(site), use_directory_urls=False,
                theme=dict(name='material', font=False, features=['navigation.sections', 'navigation.top', 'search.highlight', 'content.code.copy']),
                plugins=['search'], markdown_extensions=['tables', 'attr_list', 'md_in_html', 'admonition', dict(toc=dict(permalink=True)),
                                                         'pymdownx.superfences', dict(**{'pymdownx.highlight': dict(use_pygments=True)})],
                extra_css=['pcam.css'], nav=[{'Home': 'index.md'}] + other + [{'Modules': mods}])

CSS = """.nb-output { overflow-x: auto; }
.md-typeset pre > code { white-space: pre-wrap; overflow-wrap: anywhere; }
.nb-output table { font-size: .7rem; }
.md-typeset img { max-width: 100%; }
"""

def build(site:Path)->Path:
    "Render every notebook into Markdown in a temporary folder and build the site into `site` with mkdocs (strict: a broken link fails)"
    nbs = notebooks(); pages = {nb.name: page_name(nb) for nb in nbs}
    with tempfile.TemporaryDirectory() as tmp:
        proc = Path(tmp)/'md'; (proc/'img').mkdir(parents=True)
        if (NBS/'images').is_dir(): shutil.copytree(NBS/'images', proc/'images')
        for nb in nbs:
            md = render(nb, proc, pages)
            if pages[nb.name] == 'index.md': md += '\n\n## Modules and notebooks\n\n' + module_table(nbs) + '\n'
            (proc/pages[nb.name]).write_text(md, encoding='utf-8')
        (proc/'pcam.css').write_text(CSS)
        cfg = Path(tmp)/'mkdocs.yml'; cfg.write_text(json.dumps(mkdocs_yml(proc, site.absolute(), nbs), indent=1))   # JSON is YAML
        r = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--strict', '--clean', '-q', '-f', str(cfg)], capture_output=True, text=True)
        if r.returncode: sys.exit(f"mkdocs build failed:\n{r.stdout}{r.stderr}")
    return site

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=str(ROOT/CFG.get('doc_path', '_docs')), help='folder for the site (default: _docs)')
    a = ap.parse_args()
    site = build(Path(a.out))
    print(f"docs: {len(list(site.glob('*.html')))} pages in {site}/ (open {site/'index.html'})")
