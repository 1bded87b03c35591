#!/usr/bin/env python
"""One slide in every format pcam_slide reads (issue 44): the same window P, and the time and peak memory of each.

    python bench/slide_formats.py --out DIR [--side 20000] [--save]   # --save: bench/results/slide_formats.json (01f_slideio shows it)

The slide is a square of real tissue at 40x (0.243 um/px), --side pixels across: the Kaggle sample's patches
(PCAM_SAMPLE, default ../shared/data/pcam-kaggle-4k) laid edge to edge, each pixel repeated 4x4 (slideio.patch_slide
with no glass). It is written losslessly as an Aperio SVS (zlib tiles), a pyramidal OME-TIFF, a flat TIFF (raw, one
strip: the worst case, and zlib strips), an OME-Zarr (NGFF 0.4) and a DICOM WSI folder (uncompressed, wsidicomizer),
then scored by `pcam_slide` (the shipped model, its defaults) under GNU time: wall time, peak RSS, and the largest
difference of any window's P from the SVS's. Writes only under --out. Name the CPU with the timing (lscpu).
"""
import argparse, json, os, platform, subprocess, sys, time
from pathlib import Path
import numpy as np, pandas as pd
from PIL import Image
from pcam_nb.slideio import patch_slide, write_slide, write_ome_tiff, write_flat_tiff, write_ome_zarr, write_dicom, PCAM_MPP

def tissue(side, sample):
    "A side x side 40x image of real patches edge to edge (white beyond the last whole patch)"
    fs = sorted((Path(sample)/'train').glob('*.tif'))
    n = side//(4*96); k = n*n
    X = np.stack([np.asarray(Image.open(f).convert('RGB')) for f in fs[:k]])
    img, _ = patch_slide(X, cols=n, gap=0, scale=4)
    out = np.full((side, side, 3), 255, np.uint8); out[:img.shape[0], :img.shape[1]] = img
    return out

def cpu():
    try: return next(l.split(':', 1)[1].strip() for l in subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines() if l.startswith('Model name'))
    except Exception: return platform.processor()

def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0]); a.add_argument('--out', required=True); a.add_argument('--side', type=int, default=20_000)
    a.add_argument('--sample', default=os.environ.get('PCAM_SAMPLE', str(Path(__file__).resolve().parents[2]/'shared'/'data'/'pcam-kaggle-4k')))
    a.add_argument('--save', action='store_true'); args = a.parse_args()
    out = Path(args.out); (out/'slides').mkdir(parents=True, exist_ok=True); d = out/'slides'
    img = tissue(args.side, args.sample)
    t = time.time()
    fs = {'SVS': write_slide(d/'s.svs', img), 'OME-TIFF': write_ome_tiff(d/'s.ome.tif', img), 'flat TIFF, raw': write_flat_tiff(d/'flat.tif', img),
          'flat TIFF, zlib strips': write_flat_tiff(d/'flatz.tif', img, compression='zlib', rowsperstrip=64), 'OME-Zarr': write_ome_zarr(d/'s.ome.zarr', img)}
    fs['DICOM folder'] = write_dicom(d/'s_dicom', fs['SVS'])
    fs['DICOM file'] = max(fs['DICOM folder'].iterdir(), key=lambda f: f.stat().st_size)
    del img; print(f"written in {time.time() - t:.0f} s", file=sys.stderr)
    exe, rows = Path(sys.executable).parent/'pcam_slide', []
    for k, f in fs.items():
        r_out = out/'runs'/k.replace(' ', '_').replace(',', '')
        t = time.time(); r = subprocess.run(['/usr/bin/time', '-v', str(exe), '--slide', str(f), '--out', str(r_out), '--quiet'], capture_output=True, text=True)
        wall = time.time() - t
        if r.returncode: print(r.stdout, r.stderr, file=sys.stderr); raise SystemExit(f"{k}: pcam_slide failed")
        rss = [int(l.split()[-1]) for l in r.stderr.splitlines() if 'Maximum resident set size' in l]
        sm = json.loads((r_out/'summary.json').read_text()); tl = pd.read_csv(r_out/'tiles.csv')
        if k == 'SVS': p0 = tl.p.values
        rows.append(dict(format=k, reader=sm['backend'], mpp_from=sm['mpp_from'], windows=sm['windows_scored'], wall_s=round(wall, 1),
                         windows_per_s=round(sm['windows_scored']/wall, 1), peak_rss_mb=round(rss[0]/1024) if rss else None,
                         max_dP=float(np.abs(tl.p.values - p0).max()) if len(tl) == len(p0) else None, call=sm['call']))
        print(rows[-1], file=sys.stderr)
    res = dict(side_px=args.side, mpp=0.243, cpu=cpu(), cores=os.cpu_count(), date=time.strftime('%Y-%m-%d'),
               file_mb={k: round(sum(p.stat().st_size for p in ([f] if f.is_file() else f.rglob('*')) if p.is_file())/2**20) for k, f in fs.items()}, runs=rows)
    print(json.dumps(res, indent=1))
    if args.save:
        dst = Path(__file__).parent/'results'/'slide_formats.json'; tmp = dst.with_suffix('.part')
        tmp.write_text(json.dumps(res, indent=1) + '\n'); tmp.replace(dst)

if __name__ == '__main__': main()
