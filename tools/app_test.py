#!/usr/bin/env python
"""The browser test of `pcam_app` (issue 10): a real server (Solara, one process), a real headless Chromium.

    python tools/app_test.py                       # the test (tools/test.sh runs it after the notebooks)
    python tools/app_test.py --screenshot F.png    # also save a screenshot of the panel with results (docs)
    python tools/app_test.py --bench               # also time a 1024x1024 region heatmap at stride 32

It starts `pcam_app` (Solara's server, one process) with no --model (so the model that ships with pcam_nb), opens the page in Debian's
Chromium (/usr/bin/chromium, driven by playwright-python; never `playwright install`), uploads three real
Kaggle test patches in one go and checks each P(tumour) in the table against `pcam_predict --precision fp32`
(to 1e-4), uploads a file that is not an image and sees its error row, uploads a good file again and sees
it scored, moves the threshold slider and sees the calls change, and uploads a region and sees its
heatmap, and a 12.6 MB region file (above a websocket's usual 10 MB message limit) with 96 px squares. Real patches: $PCAM_TEST_SAMPLE, else ../shared/data/pcam-kaggle-test-sample beside the clone;
where neither is there (GitHub's runners) synthetic patches written as TIFF files stand in for them. The browser is
$PCAM_CHROMIUM when set (GitHub's runners: their Chrome).
Everything it writes goes into a temporary folder (or the --screenshot file). Exit status 0: passed.
"""
import argparse, os, re, shutil, socket, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get('PCAM_CHROMIUM', '/usr/bin/chromium')
ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync']   # the network here is closed: no calls home


def log(*a): print('app_test:', *a, flush=True)


def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def start_app(model, port, tmp, extra=()):
    "Start pcam_app (`model` None: with no --model, the shipped model; `extra`: more options); return (process, url, seconds until it printed its address)"
    t = time.time()
    exe = Path(os.environ.get('PCAM_APP_BIN') or Path(sys.executable).parent/'pcam_app')   # PCAM_APP_BIN: another install's (the light one)
    out = open(tmp/'pcam_app.out', 'w+')
    opt = ['--model', model.name] if model else []
    p = subprocess.Popen([str(exe), *opt, *extra, '--port', str(port), '--no-browser'], cwd=model.parent if model else tmp, stdout=out, stderr=subprocess.STDOUT)
    while time.time() - t < 240:
        out.seek(0); txt = out.read()
        m = re.search(r'serving .* at (http://\S+)', txt)
        if m: return p, m.group(1), time.time() - t
        if p.poll() is not None: raise SystemExit(f"app_test: FAIL: pcam_app exited ({p.returncode}):\n{txt}")
        time.sleep(0.2)
    p.terminate(); raise SystemExit("app_test: FAIL: pcam_app did not print its address within 240 s")


def descendants(pid):
    "Ids of the processes started by `pid` and by those (Linux /proc)"
    kids = {}
    for d in Path('/proc').glob('[0-9]*'):
        try: kids.setdefault(int((d/'stat').read_text().rsplit(')', 1)[1].split()[1]), []).append(int(d.name))
        except (OSError, ValueError, IndexError): pass
    out, todo = [], [pid]
    while todo:
        for c in kids.get(todo.pop(), []): out.append(c); todo.append(c)
    return out


def stop_cleanly(app)->int:
    "Stop pcam_app with SIGTERM (as a service manager does): it ends within a minute and leaves no process behind; how many processes it had"
    kids = descendants(app.pid)
    app.terminate(); app.wait(60); time.sleep(1)
    alive = [k for k in kids if Path(f'/proc/{k}').exists() and 'zombie' not in Path(f'/proc/{k}/status').read_text().lower()]
    assert app.returncode is not None and not alive, f"pcam_app left {len(alive)} of its {len(kids)} processes running: {alive}"
    return 1 + len(kids)


def kill(app):
    "Make sure pcam_app is gone (a failed test's clean-up)"
    if app is not None and app.poll() is None:
        app.terminate()
        try: app.wait(15)
        except subprocess.TimeoutExpired: app.kill()


def rows(page):
    "The results table as a list of dicts (cells by class)"
    return page.eval_on_selector_all('table.pcam-results tbody tr', """trs => trs.map(tr => Object.fromEntries(
        Array.from(tr.querySelectorAll('td')).map(td => [td.className, td.textContent])))""")


def wait_rows(page, n, timeout=120_000):
    page.wait_for_function(f"document.querySelectorAll('table.pcam-results tbody tr').length >= {n}", timeout=timeout)
    return rows(page)


def upload(page, files):
    "Choose `files` in the panel's uploader, as a user does through the file dialog"
    with page.expect_file_chooser() as fc: page.locator('.pcam-panel .widget-upload').first.click()
    fc.value.set_files([str(f) for f in files])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--screenshot', help='save a PNG of the panel with results here')
    ap.add_argument('--bench', action='store_true', help='also time a 1024x1024 region at stride 32')
    a = ap.parse_args()
    if not Path(CHROMIUM).exists(): raise SystemExit(f"app_test: FAIL: {CHROMIUM} not found: apt-get install chromium (Debian's package)")
    sample = Path(os.environ.get('PCAM_TEST_SAMPLE', ROOT.parent/'shared'/'data'/'pcam-kaggle-test-sample'))
    from playwright.sync_api import sync_playwright
    from pcam_nb.data.synth import synth_pcam, save_kaggle
    tmp = Path(tempfile.mkdtemp(prefix='pcam_app_test_'))
    app = None
    try:
        tifs = sorted((sample/'test').glob('*.tif'))
        if len(tifs) < 20:
            log(f"{sample} does not hold the real Kaggle test patches (set PCAM_TEST_SAMPLE): synthetic patches stand in for them")
            tifs = sorted((save_kaggle(tmp/'synth', synth_pcam(24, seed=5), 'test')/'test').glob('*.tif'))
        three = tifs[:3]
        # the reference: pcam_predict with no --model (the shipped model), at full precision
        subprocess.run([str(Path(sys.executable).parent/'pcam_predict'), '--images', *map(str, three),
                        '--out', str(tmp/'ref.csv'), '--precision', 'fp32', '--quiet'], check=True, capture_output=True)
        ref = pd.read_csv(tmp/'ref.csv', dtype={'id': str}).set_index('id').label
        app, url, t_ready = start_app(None, free_port(), tmp)
        log(f"pcam_app answered at {url} {t_ready:.1f} s after it started (model loaded)")
        with sync_playwright() as pw:
            br = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = br.new_page(viewport=dict(width=1100, height=1400))
            console = []; page.on('console', lambda m: console.append(f"{m.type}: {m.text}"))
            t = time.time(); page.goto(url); page.wait_for_selector('.pcam-panel .widget-upload', timeout=120_000)
            log(f"first page with the panel in the browser: {time.time() - t:.1f} s")
            card = page.locator('.pcam-card').first.text_content()
            assert 'the shipped model' in card and 'not for diagnosis' in card, card   # what it is, and what it is not for
            log(f"  model card: {card[:120]}...")
            # 1. three real patches in one go
            t = time.time(); upload(page, three); r = wait_rows(page, 3)
            log(f"3 patches: file chooser to 3 rows in the table: {time.time() - t:.2f} s")
            got = {o['name'][:-4]: float(o['p']) for o in r}
            for f in three:
                d = abs(got[f.stem] - ref[f.stem])
                log(f"  {f.name}: table {got[f.stem]:.4f}, pcam_predict --precision fp32 {ref[f.stem]:.6f} (diff {d:.1e})")
                assert d <= 1e-4, f"{f.name}: the panel says {got[f.stem]}, pcam_predict {ref[f.stem]}"
            assert all(len(o['p'].split('.')[1]) == 4 for o in r), [o['p'] for o in r]   # 4 decimals
            assert [o['name'] for o in r] == [f.name for f in three], r   # upload order
            # the patch view (the last upload is selected): the patch with its centre box and its P bar, a picture that loaded (light install too)
            page.wait_for_function("Array.from(document.querySelectorAll('.pcam-panel img:not(.pcam-slides img):not(.pcam-thumb)')).some(i => i.complete && i.naturalWidth > 200)", timeout=60_000)
            log("  the patch view shows the selected patch (its picture loaded)")
            # 2. a file that is not an image
            (tmp/'notes.tif').write_text('these are my notes, not an image')
            upload(page, [tmp/'notes.tif']); r = wait_rows(page, 4)
            assert r[3]['name'] == 'notes.tif' and r[3]['status'].startswith('error: notes.tif: cannot be read as an image'), r[3]
            log(f"  not an image: {r[3]['status'][:80]}")
            # 3. a good file again: scored, the error changed nothing
            t = time.time(); upload(page, [three[0]]); r = wait_rows(page, 5)
            log(f"1 patch: file chooser to its row: {time.time() - t:.2f} s")
            assert r[4]['name'] == three[0].name and r[4]['p'] == r[0]['p'] and r[4]['status'] == 'ok', r[4]
            # 4. a region: its heatmap
            tiles = [np.asarray(Image.open(f).convert('RGB')) for f in tifs[3:19]]
            region = np.concatenate([np.concatenate(tiles[i*4:i*4 + 4], 1) for i in range(4)], 0)   # 384x384 of real tissue
            Image.fromarray(region).save(tmp/'region.png')
            t = time.time(); upload(page, [tmp/'region.png']); r = wait_rows(page, 6)
            page.wait_for_function("document.querySelector('.pcam-panel').textContent.includes('144 squares of 32x32 px')", timeout=120_000)
            log(f"384x384 region: file chooser to heatmap shown: {time.time() - t:.2f} s; row: {r[5]}")
            assert r[5]['size'] == '384x384' and r[5]['status'] == 'ok', r[5]
            img = page.locator('.pcam-panel img:not(.pcam-slides img)').last
            assert img.is_visible() and img.bounding_box()['width'] > 200
            # 4b. a region file larger than the usual websocket limit (10 MB), scored with 96 px squares
            page.locator('.pcam-panel .widget-dropdown:has(label:text-is("square (px)")) select').select_option('96')
            Image.fromarray(np.tile(region, (6, 6, 1))[:2048, :2048]).save(tmp/'big.tif')   # uncompressed: 12.6 MB
            t = time.time(); upload(page, [tmp/'big.tif']); r = wait_rows(page, 7)
            page.wait_for_function("document.querySelector('.pcam-panel').textContent.includes('484 squares of 96x96 px')", timeout=180_000)
            log(f"2048x2048 region, a {(tmp/'big.tif').stat().st_size/2**20:.1f} MB file, 96 px squares: file chooser to heatmap shown: {time.time() - t:.2f} s")
            assert r[6]['size'] == '2048x2048' and r[6]['status'] == 'ok', r[6]
            page.locator('.pcam-panel .widget-dropdown:has(label:text-is("show")) select').select_option(label='6. region.png')
            page.locator('.pcam-panel .widget-dropdown:has(label:text-is("square (px)")) select').select_option('32')
            page.wait_for_function("document.querySelector('.pcam-panel').textContent.includes('144 squares of 32x32 px')", timeout=120_000)
            if a.screenshot:   # the panel as a user sees it now: five patches and a region, the region's heatmap shown
                page.locator('.pcam-panel').screenshot(path=str(tmp/'shot.png'))
                im = Image.open(tmp/'shot.png').convert('RGB'); im.thumbnail((760, 2000))
                from PIL.PngImagePlugin import PngInfo
                from pcam_nb.core import file_hash
                from pcam_nb.modelfile import SHIPPED, shipped_model
                stamp = PngInfo(); stamp.add_text('pcam_nb_model', f"{SHIPPED} {file_hash(shipped_model()/'model.json')[:16]}")   # 04_panel checks it against the shipped model
                im.quantize(128).save(a.screenshot, optimize=True, pnginfo=stamp)
                log(f"screenshot: {a.screenshot} ({Path(a.screenshot).stat().st_size/1e3:.0f} kB)")
            # 5. the threshold slider re-labels the rows
            calls0 = [o['call'] for o in r]
            h = page.locator('.pcam-panel .widget-slider .noUi-handle').first
            track = page.locator('.pcam-panel .widget-slider .noUi-target').first.bounding_box()
            for end, want in ((1, 'normal'), (0, 'tumour')):   # drag the handle to the right end (1), then to the left (0)
                hb = h.bounding_box()
                page.mouse.move(hb['x'] + hb['width']/2, hb['y'] + hb['height']/2); page.mouse.down()
                page.mouse.move(track['x'] + end*track['width'] + (40 if end else -40), hb['y'] + hb['height']/2, steps=8); page.mouse.up()
                page.wait_for_function(f"""Array.from(document.querySelectorAll('table.pcam-results tbody tr'))
                    .filter(tr => tr.querySelector('td.call').textContent)
                    .every(tr => tr.querySelector('td.call').textContent == '{want}' || tr.querySelector('td.p').textContent == '1.0000')""", timeout=60_000)
            log(f"  threshold slider: calls {calls0} at the model's threshold; all 'normal' dragged to 1 (but a P of 1.0000), all 'tumour' dragged to 0")
            # 6. "try the examples": the 12 patches that ship with pcam_nb, each with its thumbnail, and the count beside the uploader
            n0 = len(rows(page)); t = time.time()
            page.locator('.pcam-panel button:has-text("try the examples")').click(); r = wait_rows(page, n0 + 12)
            page.wait_for_function(f"document.querySelector('.pcam-count').textContent == '{n0 + 12} files scored'", timeout=60_000)
            thumbs = page.locator('table.pcam-results img.pcam-thumb').count()
            assert thumbs == sum(1 for o in r if o['status'] == 'ok'), (thumbs, r)
            line = page.locator('.pcam-card-line').first.text_content(); title = page.locator('.pcam-title').first.text_content()
            assert 'not for diagnosis' in line and 'AUC' in line and title, (line, title)
            log(f"  try the examples: {len(r) - n0} rows in {time.time() - t:.2f} s, {thumbs} thumbnails; title {title!r}; card line {line!r}")
            if a.bench:
                big = np.tile(region, (3, 3, 1))[:1024, :1024]
                Image.fromarray(big).save(tmp/'region1024.png')
                t = time.time(); upload(page, [tmp/'region1024.png']); wait_rows(page, 8)
                page.wait_for_function("document.querySelector('.pcam-panel').textContent.includes('1024 squares of 32x32 px')", timeout=600_000)
                log(f"1024x1024 region at stride 32 (1,024 windows): file chooser to heatmap shown: {time.time() - t:.1f} s")
            br.close()
            bad = [m for m in console if 'Unsatisfied version' in m or m.startswith('error')]
            assert not bad, f"the browser console has warnings or errors: {bad[:5]}"
            log(f"  browser console: {len(console)} messages, no version warnings or errors")
        # 7. stopping pcam_app (SIGTERM, as a service manager does): it ends, nothing is left running
        n = stop_cleanly(app)
        log(f"pcam_app stopped with SIGTERM: its {n} process(es) all ended")
        log("PASSED")
    finally:
        kill(app); shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__': main()
