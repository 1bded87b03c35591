#!/usr/bin/env python
"""The browser test of the docs site: build it (tools/docs.py) into a temporary folder, serve it on 127.0.0.1 and
open every page in headless Chromium.

    python tools/docs_test.py                      # the test (tools/test.sh runs it)
    python tools/docs_test.py --screenshot F.png   # also save a screenshot of the home page

Checks, on every page of the site (the sitemap's list, and every page a link reaches): the page loads (HTTP 200),
no console error and no uncaught script error, every picture loaded (naturalWidth > 0), every link inside the
site reaches a page that exists (and its #anchor, when it names one), the module table lists every notebook,
and the site's search finds a function by name. The browser is Debian's Chromium (/usr/bin/chromium, or
$PCAM_CHROMIUM: on GitHub's runners the preinstalled Chrome), driven by playwright-python; never `playwright install`.
"""
import argparse, functools, http.server, os, shutil, sys, tempfile, threading, time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin, urldefrag, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import docs

ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync']


def chromium()->str:
    "Debian's Chromium, else $PCAM_CHROMIUM, else a Chrome or Chromium found on PATH"
    for c in [os.environ.get('PCAM_CHROMIUM'), '/usr/bin/chromium', shutil.which('google-chrome'), shutil.which('chromium-browser'), shutil.which('chrome')]:
        if c and Path(c).exists(): return c
    raise SystemExit("docs_test: FAIL: no Chromium found: apt-get install chromium (Debian's package), or set PCAM_CHROMIUM")


def serve(site:Path):
    "A static file server for `site` on a free port of 127.0.0.1, in a thread"
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}/"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--screenshot', help='save a PNG of the home page here')
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright
    t0, problems = time.time(), []
    with tempfile.TemporaryDirectory() as tmp:
        site = docs.build(Path(tmp)/'site')
        srv, base = serve(site)
        sitemap = [urlparse(e.text).path.lstrip('/') for e in ET.parse(site/'sitemap.xml').getroot().iter() if e.tag.endswith('loc')]
        pages = sorted(p.name for p in site.glob('*.html') if p.name != '404.html')
        with sync_playwright() as pw:
            br = pw.chromium.launch(executable_path=chromium(), headless=True, args=ARGS)
            page = br.new_page(viewport={'width': 1280, 'height': 900})
            errors = []
            page.on('console', lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == 'error' else None)
            page.on('pageerror', lambda e: errors.append(f"script error: {e}"))
            page.on('requestfailed', lambda r: errors.append(f"request failed: {r.url} ({r.failure})"))
            todo, seen, links = list(pages), set(), {}
            while todo:
                name = todo.pop(0)
                if name in seen: continue
                seen.add(name); errors.clear()
                r = page.goto(base + name, wait_until='networkidle')
                if not r or r.status != 200: problems.append(f"{name}: HTTP {r.status if r else 'no answer'}"); continue
                imgs = page.eval_on_selector_all('img', "xs => xs.map(x => [x.getAttribute('src'), x.complete && x.naturalWidth > 0])")
                problems += [f"{name}: picture {src} did not load" for src, ok in imgs if not ok]
                ids = set(page.eval_on_selector_all('[id]', 'xs => xs.map(x => x.id)'))
                for href in page.eval_on_selector_all('a[href]', 'xs => xs.map(x => x.getAttribute("href"))'):
                    u, frag = urldefrag(urljoin(base + name, href))
                    if not u.startswith(base): continue   # the web: not this site's to check offline
                    target = u[len(base):] or 'index.html'
                    if target.endswith('/'): target += 'index.html'
                    links.setdefault((target, frag), name)
                    if target.endswith('.html') and target not in seen: todo.append(target)
                    if frag and target == name and frag not in ids: problems.append(f"{name}: link to #{frag}, no such anchor")
                problems += [f"{name}: {e}" for e in errors]
            for (target, frag), src in links.items():
                f = site/target
                if not f.is_file(): problems.append(f"{src}: link to {target}, no such file"); continue
                if frag and target.endswith('.html') and target != src and f'id="{frag}"' not in f.read_text(encoding='utf-8'):
                    problems.append(f"{src}: link to {target}#{frag}, no such anchor")
            # the module table on the home page lists every notebook's page
            page.goto(base + 'index.html', wait_until='networkidle')
            listed = set(page.eval_on_selector_all('table a[href]', 'xs => xs.map(x => x.getAttribute("href"))'))
            missing = {docs.page_name(nb)[:-3] + '.html' for nb in docs.notebooks()} - listed - {'index.html'}
            if missing: problems.append(f"index.html: the module table misses {sorted(missing)}")
            if a.screenshot: page.screenshot(path=a.screenshot, full_page=False)
            # module pages open with prose, no test code is shown, and code wraps instead of running off the page
            for nb in docs.notebooks():
                if not docs.module_of(nb): continue
                name = docs.page_name(nb)[:-3] + '.html'; page.goto(base + name, wait_until='networkidle')
                first = page.eval_on_selector('article.md-content__inner', "a => { const h = a.querySelector('h1'); let e = h && h.nextElementSibling;"
                                              " while (e && (e.tagName == 'A' || e.classList.contains('headerlink'))) e = e.nextElementSibling; return e ? e.tagName : '' }")
                if first not in ('P', 'BLOCKQUOTE'): problems.append(f"{name}: opens with <{first.lower()}>, not prose")
                if 'test_eq(' in page.eval_on_selector('article.md-content__inner', 'a => a.textContent'): problems.append(f"{name}: shows test code")
                wide = page.eval_on_selector_all('pre > code', "cs => cs.filter(c => getComputedStyle(c).whiteSpace != 'pre-wrap').length")
                if wide: problems.append(f"{name}: {wide} code blocks do not wrap")
            # search, from the site's own index: a function's name finds its page
            page.locator('input.md-search__input').click()
            page.keyboard.type('pick_threshold')
            try: page.wait_for_selector('.md-search-result__item a[href*="metrics.html"]', timeout=20_000)
            except Exception: problems.append("search: 'pick_threshold' did not find metrics.html")
            br.close()
        srv.shutdown()
    missed = set(pages) - seen
    if missed: problems.append(f"pages no link reaches: {sorted(missed)}")
    if not set(sitemap) <= seen | {''}: problems.append(f"sitemap pages not opened: {sorted(set(sitemap) - seen)}")
    for p in problems: print('docs_test: FAIL:', p)
    print(f"docs_test: {len(seen)} pages, {len(links)} internal links, {'FAILED' if problems else 'passed'} ({time.time() - t0:.0f} s)")
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
