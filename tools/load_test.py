#!/usr/bin/env python
"""A class on one machine (issue 43): N browser sessions open pcam_app together, each uploads the 12 example patches and reads its P.

    python tools/load_test.py [--sessions 30] [--after 120] [--json F]   # tools/test.sh full runs it with 8 sessions
    PCAM_APP_BIN=.venv-light/bin/pcam_app python tools/load_test.py      # the light install's app

It starts `pcam_app` (the shipped model), measures the memory (RSS) of the app's whole process tree every 0.5 s,
opens N Chromium contexts at once (one browser; Debian's /usr/bin/chromium or $PCAM_CHROMIUM, driven by
playwright-python, never `playwright install`), and in each: waits for the panel, uploads the 12 examples
(`pcam_nb.core.example_patches`) through the file chooser, waits for 12 rows and checks every P against
`pcam_predict --precision fp32` (1e-4); each must show exactly its own 12 rows (none of another session's). Then every context
closes and the memory is followed for --after seconds. It fails (exit 1) when a page is not ready within
--ready-s of opening, a P differs, the tree's peak passes --max-mb, or the memory --after seconds after the last page
closed is more than 1.2x the idle app's. Writes only into a temporary folder (and --json).
"""
import argparse, asyncio, json, os, platform, re, shutil, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path
import pandas as pd, psutil

sys.path.insert(0, str(Path(__file__).parent))
from app_test import ARGS, CHROMIUM, free_port, kill, start_app


def log(*a): print('load_test:', *a, flush=True)


class Memory(threading.Thread):
    "RSS of a process and its descendants, every `dt` seconds: [(t, MB)]"
    def __init__(self, pid, dt=0.5):
        super().__init__(daemon=True); self.p, self.dt, self.trace, self.stop = psutil.Process(pid), dt, [], False
    def mb(self):
        try: ps = [self.p] + self.p.children(recursive=True)
        except psutil.NoSuchProcess: return 0.0
        tot = 0
        for q in ps:
            try: tot += q.memory_info().rss
            except psutil.NoSuchProcess: pass
        return tot/2**20
    def run(self):
        t0 = time.time()
        while not self.stop: self.trace.append((round(time.time() - t0, 1), round(self.mb()))); time.sleep(self.dt)


async def session(br, url, files, ref, i, out):
    "One student: open the page, upload the 12 examples, read the table"
    ctx = await br.new_context(viewport=dict(width=1100, height=1200)); page = await ctx.new_page()
    t = time.time()
    await page.goto(url, timeout=300_000); await page.wait_for_selector('.pcam-panel .widget-upload', timeout=300_000)
    ready = time.time() - t
    async with page.expect_file_chooser() as fc: await page.locator('.pcam-panel .widget-upload').first.click()
    await (await fc.value).set_files([str(f) for f in files])
    await page.wait_for_function("document.querySelectorAll('table.pcam-results tbody tr').length >= 12", timeout=300_000)
    rows = await page.eval_on_selector_all('table.pcam-results tbody tr', """trs => trs.map(tr => Object.fromEntries(
        Array.from(tr.querySelectorAll('td')).map(td => [td.className, td.textContent])))""")
    done = time.time() - t
    d = max(abs(float(r['p']) - ref[r['name'][:-4]]) for r in rows)
    out[i] = dict(ready_s=round(ready, 2), results_s=round(done, 2), rows=len(rows), max_dP=d)
    return ctx


async def run_sessions(n, url, files, ref):
    from playwright.async_api import async_playwright
    out = {}
    async with async_playwright() as pw:
        br = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        t = time.time()
        ctxs = await asyncio.gather(*[session(br, url, files, ref, i, out) for i in range(n)])
        wall = time.time() - t
        for c in ctxs: await c.close()   # every student closes the tab
        await br.close()
    return out, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sessions', type=int, default=30); ap.add_argument('--after', type=float, default=120)
    ap.add_argument('--ready-s', type=float, default=15); ap.add_argument('--max-mb', type=float, default=3000)
    ap.add_argument('--json', help='write the measurements here')
    a = ap.parse_args()
    from pcam_nb.core import example_patches
    tmp = Path(tempfile.mkdtemp(prefix='pcam_load_')); app = None
    try:
        files = sorted(example_patches().glob('*.tif'))
        subprocess.run([str(Path(sys.executable).parent/'pcam_predict'), '--images', str(example_patches()), '--out', str(tmp/'ref.csv'), '--precision', 'fp32',
                        '--quiet'], check=True, capture_output=True)
        ref = pd.read_csv(tmp/'ref.csv', dtype={'id': str}).set_index('id').label.to_dict()
        app, url, t_ready = start_app(None, free_port(), tmp)
        mem = Memory(app.pid); mem.start(); time.sleep(3)
        idle = mem.mb()
        log(f"pcam_app ({os.environ.get('PCAM_APP_BIN') or 'this install'}) answered at {url} after {t_ready:.1f} s; idle: {idle:.0f} MB")
        t0 = mem.trace[-1][0]
        res, wall = asyncio.run(run_sessions(a.sessions, url, files, ref))
        t_closed = mem.trace[-1][0]
        peak = max(m for t, m in mem.trace if t >= t0)
        log(f"{a.sessions} sessions opened together: all done in {wall:.1f} s; peak {peak:.0f} MB; every context closed")
        time.sleep(a.after)
        after = mem.mb(); mem.stop = True
        ready = [r['ready_s'] for r in res.values()]; dP = max(r['max_dP'] for r in res.values())
        rep = dict(sessions=a.sessions, install=('light' if 'light' in (os.environ.get('PCAM_APP_BIN') or '') else 'full'), cpu=platform.processor() or '',
                   cores=os.cpu_count(), date=time.strftime('%Y-%m-%d'), idle_mb=round(idle), peak_mb=round(peak), after_s=a.after, after_mb=round(after),
                   ready_median_s=round(statistics.median(ready), 2), ready_max_s=max(ready),
                   results_median_s=round(statistics.median(r['results_s'] for r in res.values()), 2), results_max_s=max(r['results_s'] for r in res.values()),
                   rows_ok=sum(r['rows'] == 12 for r in res.values()), max_dP=dP, wall_s=round(wall, 1), closed_at_s=t_closed,
                   trace=mem.trace[::4])
        try: rep['cpu'] = next(l.split(':', 1)[1].strip() for l in subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines() if l.startswith('Model name'))
        except Exception: pass
        log(f"pages ready after a median {rep['ready_median_s']} s (worst {rep['ready_max_s']} s); 12 rows in {rep['rows_ok']}/{a.sessions}, "
            f"results after a median {rep['results_median_s']} s (worst {rep['results_max_s']} s); P within {dP:.1e} of pcam_predict")
        log(f"memory: idle {idle:.0f} MB, peak {peak:.0f} MB, {a.after:.0f} s after every page closed {after:.0f} MB ({after/idle:.2f}x idle)")
        if a.json: Path(a.json).write_text(json.dumps(rep, indent=1) + '\n')
        bad = []
        if rep['ready_max_s'] > a.ready_s: bad.append(f"a page took {rep['ready_max_s']} s to be ready (goal {a.ready_s} s)")
        if rep['rows_ok'] < a.sessions or dP > 1e-4: bad.append(f"{a.sessions - rep['rows_ok']} sessions without their 12 rows, or P off by {dP}")
        if peak > a.max_mb: bad.append(f"peak {peak:.0f} MB over {a.max_mb:.0f} MB")
        if after > 1.2*idle: bad.append(f"{after:.0f} MB {a.after:.0f} s after the pages closed: over 1.2x the idle {idle:.0f} MB")
        if bad: raise SystemExit("load_test: FAIL: " + '; '.join(bad))
        log("PASSED")
    finally:
        kill(app); shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__': main()
