#!/usr/bin/env python
"""The browser test of `pcam_app --slides` (issue 23): a real server (Solara, one process), a real headless Chromium, a real slide file.

    python tools/slide_app_test.py                      # the test (tools/test.sh runs it after app_test.py)
    python tools/slide_app_test.py --screenshot F.png   # also save a screenshot of the slide view (docs)

It writes a 40x Aperio SVS slide (tifffile: tiled, pyramidal, MPP in its description) of 24 real Kaggle patches
($PCAM_SAMPLE, else ../shared/data/pcam-kaggle-4k beside the clone; synthetic patches where neither is there) laid out
with glass around and between them, and a file called .svs that is not a slide, scores the slide with `pcam_slide
--stride 96` as the reference, then starts `pcam_app --slides DIR --out OUT` (the shipped model) and, in Debian's
Chromium (/usr/bin/chromium or $PCAM_CHROMIUM, driven by playwright-python; never `playwright install`):
the panel opens in its "whole slides" mode listing both files; opening the bad one shows its error; opening the slide
shows its picture and a summary whose windows, largest P, score and call match `pcam_slide`'s; a click on the picture over the
hottest window opens that place at 10x with that window's P (to 1e-4 of `pcam_slide`'s tiles.csv); a new visit opens
the slide again from its saved results (nothing scored). Everything it writes goes into a temporary folder.
Exit status 0: passed.
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_test import ARGS, CHROMIUM, ROOT, free_port, kill, start_app, stop_cleanly

def log(*a): print('slide_app_test:', *a, flush=True)


def make_slides(d:Path)->np.ndarray:
    "case.svs (24 real patches, or synthetic ones, with glass between) and notes.svs (not a slide) in `d`"
    from pcam_nb.slideio import patch_slide, write_slide
    sample = Path(os.environ.get('PCAM_SAMPLE', ROOT.parent/'shared'/'data'/'pcam-kaggle-4k'))
    if (sample/'train_labels.csv').is_file():
        from pcam_nb.data.readers import read_kaggle
        kg = read_kaggle(sample); X = np.stack([kg[i] for i in range(24)])
    else:
        log(f"{sample} does not hold the real Kaggle sample (set PCAM_SAMPLE): synthetic patches stand in for it")
        from pcam_nb.data.synth import synth_pcam
        X = np.stack(synth_pcam(24, seed=7).x.values)
    d.mkdir(parents=True)
    write_slide(d/'case.svs', patch_slide(X, cols=6)[0])
    (d/'notes.svs').write_text('my notes about the case, not a slide')
    return X


def summary(page)->str:
    return page.locator('.pcam-slide-summary').first.text_content()


def open_slide(page, label, wait_for, timeout=300_000)->float:
    "Pick a slide in the list, press 'open slide', wait until the page's text holds `wait_for`; seconds taken"
    sel = page.locator('.pcam-slides .widget-dropdown:has(label:text-is("slide")) select')
    t, opts = time.time(), []
    while time.time() - t < 60:   # a new page draws the list's options a moment after the select itself
        opts = [o for o in sel.locator('option').all_text_contents() if o.replace('\xa0', ' ').split(' (')[0] == label]   # 'case.svs' or 'case.svs (scored: ...)', drawn with no-break spaces
        if opts: break
        time.sleep(0.2)
    assert opts, f"{label} not in the slide list: {sel.locator('option').all_text_contents()}"
    sel.select_option(label=opts[0])
    t = time.time(); page.locator('.pcam-slides button:has-text("open slide")').click()
    page.wait_for_function(f"document.querySelector('.pcam-slides').textContent.includes({json.dumps(wait_for)})", timeout=timeout)
    return time.time() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--screenshot', help='save a PNG of the slide view with a place opened here')
    a = ap.parse_args()
    if not Path(CHROMIUM).exists(): raise SystemExit(f"slide_app_test: FAIL: {CHROMIUM} not found: apt-get install chromium (Debian's package)")
    from playwright.sync_api import sync_playwright
    tmp = Path(tempfile.mkdtemp(prefix='pcam_slide_app_test_'))
    app = None
    try:
        make_slides(tmp/'slides')
        exe = Path(sys.executable).parent
        t = time.time()
        subprocess.run([str(exe/'pcam_slide'), '--slide', str(tmp/'slides'/'case.svs'), '--out', str(tmp/'ref'), '--stride', '96', '--quiet'],
                       check=True, capture_output=True)
        ref, tiles = json.loads((tmp/'ref'/'summary.json').read_text()), pd.read_csv(tmp/'ref'/'tiles.csv')
        log(f"reference: pcam_slide --stride 96: {ref['windows_scored']} windows, largest P {ref['max_p']:.4f} ({time.time() - t:.1f} s with start-up)")
        app, url, t_ready = start_app(None, free_port(), tmp, ['--slides', str(tmp/'slides'), '--out', str(tmp/'out')])
        log(f"pcam_app --slides answered at {url} {t_ready:.1f} s after it started")
        with sync_playwright() as pw:
            br = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = br.new_page(viewport=dict(width=1100, height=1600))
            page.goto(url); page.wait_for_selector('.pcam-slides select', timeout=120_000)
            assert page.locator('.pcam-slides input[type=text]').first.is_disabled(), 'the slide folder can be changed from the page'   # it serves only --slides
            assert page.locator('.pcam-slides').is_visible() and not page.locator('.pcam-panel .widget-upload').first.is_visible()   # whole-slides mode
            opts, t = [], time.time()
            while len(opts) < 2 and time.time() - t < 60:   # the list's options are drawn a moment after the select
                opts = page.locator('.pcam-slides .widget-dropdown:has(label:text-is("slide")) option').all_text_contents(); time.sleep(0.2)
            assert opts == ['case.svs', 'notes.svs'], opts
            # 1. a file that is not a slide: its error, naming it
            open_slide(page, 'notes.svs', 'not a slide', 60_000)
            err = page.locator('.pcam-slides .pcam-error').first.text_content()
            assert 'notes.svs: not a slide' in err, err
            log(f"  notes.svs: {err[err.index('notes.svs'):][:90]}")
            # 2. the slide: scored, its picture and summary (windows and largest P as pcam_slide's)
            s = open_slide(page, 'case.svs', 'windows scored')
            sm = summary(page)
            log(f"case.svs opened (scored) in {s:.1f} s: {sm[:160]}")
            assert f"{ref['windows_scored']} windows scored at stride 96 px" in sm, sm
            got = float(re.search(r'largest P\(tumour\) ([0-9]+\.[0-9]+)', sm).group(1))
            assert abs(got - ref['max_p']) <= 1e-4, (got, ref['max_p'])
            assert f"Slide score {ref['score']:.4f}: call {ref['call']} at the slide threshold {ref['slide_threshold']:.4f}" in sm, sm   # the slide call, as pcam_slide made it
            assert 'nothing scored' not in page.locator('.pcam-slides').text_content()
            # 3. a click on the picture over the hottest window opens that place at 10x with that window's P
            hot = tiles.sort_values('p').iloc[-1]
            img = page.locator('.pcam-slides img').first
            nat = img.evaluate('e => [e.naturalWidth, e.naturalHeight]'); bb = img.bounding_box()
            D = ref['level0_size'][0]/nat[0]   # level-0 pixels per picture pixel
            cx, cy = (hot.x + hot.w/2)/D*bb['width']/nat[0], (hot.y + hot.h/2)/D*bb['height']/nat[1]
            t = time.time(); img.click(position=dict(x=cx, y=cy))
            page.wait_for_selector('.pcam-slides .pcam-place .p', timeout=120_000)
            pl = page.locator('.pcam-slides .pcam-place').first.text_content()
            p = float(page.locator('.pcam-slides .pcam-place .p').first.text_content())
            log(f"click on the hottest window: place at 10x shown in {time.time() - t:.1f} s: {pl[:150]}")
            assert f"window row {int(hot.row)}, col {int(hot.col)}" in pl, (pl, hot.row, hot.col)
            assert abs(p - hot.p) <= 1e-4, (p, hot.p)
            place = page.locator('.pcam-slides img').nth(1)
            assert place.is_visible() and place.bounding_box()['width'] > 300
            if a.screenshot:
                from PIL import Image
                page.evaluate("""t => { const r = document.querySelector('.pcam-slides');   // the temporary folder's name, as a user's folder would read
                    r.querySelectorAll('input').forEach(i => i.value = i.value.replace(t, '~/cases'));
                    const w = document.createTreeWalker(r, NodeFilter.SHOW_TEXT); while (w.nextNode()) w.currentNode.nodeValue = w.currentNode.nodeValue.replace(t, '~/cases'); }""", str(tmp))
                page.locator('.pcam-slides').screenshot(path=str(tmp/'shot.png'))
                im = Image.open(tmp/'shot.png').convert('RGB'); im.thumbnail((760, 2400))
                im.quantize(128).save(a.screenshot, optimize=True)
                log(f"screenshot: {a.screenshot} ({Path(a.screenshot).stat().st_size/1e3:.0f} kB)")
            # 4. a new visit (a new kernel): the slide opens from its saved results, nothing scored
            page.goto(url); page.wait_for_selector('.pcam-slides select', timeout=180_000)
            s2 = open_slide(page, 'case.svs', 'nothing scored', 120_000)
            assert f"{ref['windows_scored']} windows scored" in summary(page)
            log(f"a new visit: case.svs opened from its saved results in {s2:.2f} s (first time {s:.1f} s)")
            br.close()
        log(f"pcam_app stopped with SIGTERM: its {stop_cleanly(app)} processes all ended")
        log("PASSED")
    finally:
        kill(app); shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__': main()
