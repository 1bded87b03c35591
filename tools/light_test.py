#!/usr/bin/env python
"""The light install's test (issue 33): what `bash tools/install.sh light` gives predicts as the full install does.

    python tools/light_test.py LIGHT_VENV      # run with the full install's python (tools/test.sh does)

In the light environment (ONNX Runtime, no torch): torch is not importable; `pcam_predict --help` answers (its time is
printed); `pcam_predict` on the shared test patches (synthetic TIFFs where they are absent) gives the full install's P
to 1e-5, with and without TTA; `pcam_slide` on an Aperio SVS written here gives the full install's tiles.csv; Grad-CAM
and training say that they need the full install; README's Python example, saved as a file, runs and prints. The browser test of `pcam_app` runs on the light install too
(tools/test.sh: PCAM_APP_BIN). Everything it writes goes into a temporary folder. Exit status 0: passed.
"""
import os, re, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def log(*a): print('light_test:', *a, flush=True)


def fail(msg): raise SystemExit(f"light_test: FAIL: {msg}")


def run(cmd, ok=True, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if ok and r.returncode: fail(f"{' '.join(map(str, cmd))} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r


def patches(tmp):
    "The shared test patches, else 12 synthetic ones written as TIFF files"
    d = Path(os.environ.get('PCAM_TEST_SAMPLE') or ROOT.parent/'shared'/'data'/'pcam-kaggle-test-sample')
    if d.is_dir(): return d
    from pcam_nb.data.synth import synth_pcam
    x, _ = synth_pcam(12, seed=3); d = tmp/'patches'; d.mkdir()
    for i, a in enumerate(x): Image.fromarray(a).save(d/f'p{i:02d}.tif')
    return d


def formats(lb, tmp, img):
    "The light install reads the same slide as OME-TIFF, flat TIFF and DICOM WSI (P equal to its SVS's), and says OME-Zarr needs the full install"
    from pcam_nb.slideio import write_slide, write_ome_tiff, write_flat_tiff, write_ome_zarr, write_dicom
    svs = write_slide(tmp/'z.svs', img)   # lossless, so every format holds the same pixels
    fs = {'SVS': svs, 'OME-TIFF': write_ome_tiff(tmp/'z.ome.tif', img), 'flat TIFF': write_flat_tiff(tmp/'zflat.tif', img), 'DICOM': write_dicom(tmp/'z_dicom', svs)}
    tiles = {}
    for k, f in fs.items():
        run([lb/'pcam_slide', '--slide', f, '--out', tmp/f'fz-{k}', '--quiet'], cwd=tmp)
        tiles[k] = pd.read_csv(tmp/f'fz-{k}'/'tiles.csv')
        d = np.abs(tiles[k].p - tiles['SVS'].p).max() if len(tiles[k]) == len(tiles['SVS']) else np.inf
        same = tiles[k].drop(columns=['p', 'tissue']).equals(tiles['SVS'].drop(columns=['p', 'tissue']))   # tissue: a flat TIFF's thumbnail comes from level 0
        if d > 1e-6 or not same: fail(f"pcam_slide {k} in the light install: tiles.csv differs from the SVS's (P by {d})")
    r = run([lb/'pcam_slide', '--slide', write_ome_zarr(tmp/'z.ome.zarr', img), '--out', tmp/'fz-zarr'], ok=False, cwd=tmp)
    if r.returncode == 0 or 'needs zarr, which the full install has' not in r.stdout + r.stderr: fail(f"OME-Zarr in the light install:\n{r.stdout}{r.stderr}")
    log(f"pcam_slide in the light install: OME-TIFF, flat TIFF and DICOM WSI give the SVS's tiles.csv ({len(tiles['SVS'])} windows); OME-Zarr says it needs zarr")


def main():
    light = Path(sys.argv[1]).absolute(); lb = light/'bin'
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        r = run([lb/'python', '-c', 'import torch'], ok=False, cwd=tmp)
        if r.returncode == 0: fail("torch is importable in the light install")
        log("torch is not importable:", r.stderr.strip().splitlines()[-1])
        t0 = time.time(); run([lb/'pcam_predict', '--help'], cwd=tmp); log(f"pcam_predict --help: {time.time() - t0:.2f} s")
        imgs = patches(tmp)
        for tta in ([], ['--tta']):
            out = {}
            for name, b in (('light', lb), ('full', Path(sys.executable).parent)):
                run([b/'pcam_predict', '--images', imgs, '--out', tmp/f'{name}.csv', '--details', tmp/f'{name}.d.csv', '--quiet', '--force', *tta], cwd=tmp)
                out[name] = pd.read_csv(tmp/f'{name}.d.csv', keep_default_na=False)
            a, b = out['light'], out['full']
            d = float(np.abs(a.p - b.p).max()) if (a.id == b.id).all() and len(a) == len(b) else np.inf
            if d > 1e-5 or (a.flag != b.flag).any(): fail(f"pcam_predict {' '.join(tta)}: the light install's P differs from the full one's by {d}")
            log(f"pcam_predict{' --tta' if tta else ''}: {len(a)} patches, light and full P differ by at most {d:.1e}; the same flags")
        from pcam_nb.slideio import patch_slide, write_slide
        x = np.stack([np.asarray(Image.open(f).convert('RGB')) for f in sorted(imgs.rglob('*.tif'))[:12]])
        img, _ = patch_slide(x, cols=4, gap=96, scale=4); h, w = img.shape[0]//16*16, img.shape[1]//16*16
        write_slide(tmp/'s.svs', np.ascontiguousarray(img[:h, :w]), compression='jpeg')
        for name, b in (('light', lb), ('full', Path(sys.executable).parent)): run([b/'pcam_slide', '--slide', tmp/'s.svs', '--out', tmp/f'run-{name}'], cwd=tmp)
        ta, tb = (pd.read_csv(tmp/f'run-{n}'/'tiles.csv') for n in ('light', 'full'))
        if not ta.drop(columns='p').equals(tb.drop(columns='p')) or np.abs(ta.p - tb.p).max() > 1e-5: fail("pcam_slide: the light install's tiles.csv differs")
        log(f"pcam_slide: {len(ta)} windows, the same tiles.csv as the full install")
        formats(lb, tmp, np.ascontiguousarray(img[:h, :w]))
        r = run([lb/'python', '-c', 'import numpy as np; from pcam_nb.predict import gradcam; from pcam_nb.modelfile import load_model\n'
                 'm = load_model(); gradcam(m, np.zeros((96, 96, 3), np.uint8))'], ok=False, cwd=tmp)
        if 'Grad-CAM needs the full install' not in r.stderr: fail(f"Grad-CAM in the light install:\n{r.stderr}")
        r = run([lb/'pcam_train', '--help'], ok=False, cwd=tmp)
        if r.returncode == 0 or 'needs the full install' not in r.stderr: fail(f"pcam_train in the light install:\n{r.stdout}{r.stderr}")
        log("Grad-CAM and pcam_train say they need the full install:", r.stderr.strip().splitlines()[-1])
        readme_example(lb, tmp)
    log("PASSED")


def readme_example(lb, tmp):
    "README's Python example, saved as a .py file as a newcomer would, runs in the light install and prints its three rows"
    code = re.search(r"```python\n(.*?)```", (ROOT/'README.md').read_text(), re.S).group(1)
    (tmp/'example.py').write_text(code)
    out = run([lb/'python', tmp/'example.py'], cwd=tmp).stdout.strip().splitlines()
    if len(out) != 4 or out[0].split() != ['id', 'label']: fail(f"README's Python example printed:\n{chr(10).join(out)}")
    log(f"README's Python example runs in the light install and prints {len(out) - 1} rows")


if __name__ == '__main__': main()
