#!/usr/bin/env python
"""Peak memory of `pcam_slide` on slides of growing size (nbs/03d_slide.ipynb, "Speed and memory").

    python bench/slide_memory.py OUT [SIDE ...]     # e.g. /tmp/slides 10000 20000 40000 (level-0 pixels, 40x)

Writes each slide tile by tile (never whole in memory): 40x, 0.243 um/px, levels 1, 4, 16, 64, zlib tiles; glass with a
block of real patches ($PCAM_SAMPLE, repeated) in its middle tenth of the area, or `--dense` for tissue everywhere. Then runs
`pcam_slide --stride 96` on it in a fresh process and reports its peak RSS (the children's ru_maxrss), windows and seconds.
"""
import argparse, json, subprocess, sys, time
from pathlib import Path
import numpy as np
from PIL import Image

def canvas(patches, side10:int, dense:bool):
    "A function (y, x, h, w) -> the 10x (PCam scale) RGB region: glass, and a grid of patches (in the middle, or everywhere)"
    n = len(patches); lo, hi = (0, side10) if dense else (int(side10*0.35), int(side10*0.65))
    def region(y, x, h, w):
        out = np.full((h, w, 3), 238, np.uint8)
        for py in range(max(lo, y - y % 96), min(hi, y + h), 96):
            for px in range(max(lo, x - x % 96), min(hi, x + w), 96):
                if py + 96 > hi or px + 96 > hi: continue
                p = patches[(py//96*7919 + px//96) % n]
                ys, xs = max(py, y), max(px, x); ye, xe = min(py + 96, y + h), min(px + 96, x + w)
                if ye > ys and xe > xs: out[ys - y:ye - y, xs - x:xe - x] = p[ys - py:ye - py, xs - px:xe - px]
        return out
    return region

def tiles(region, side0:int, down:int, tile:int=256):
    "The tiles of one level (level-0 pixels per pixel: `down`), from the 10x canvas (level 0 = 10x repeated 4 times)"
    n = side0//down
    for ty in range(0, n, tile):
        for tx in range(0, n, tile):
            h, w = min(tile, n - ty), min(tile, n - tx)
            if down <= 4:   # finer than or at 10x: repeat the 10x pixels
                r = 4//down; y10, x10 = ty//r, tx//r
                a = region(y10, x10, -(-h//r) + 1, -(-w//r) + 1).repeat(r, 0).repeat(r, 1)[ty % r:ty % r + h, tx % r:tx % r + w]
            else:           # coarser: box-average the 10x pixels
                r = down//4; a = region(ty*r, tx*r, h*r, w*r)
                a = np.asarray(Image.fromarray(a).resize((w, h), Image.BOX))
            t = np.full((tile, tile, 3), 238, np.uint8); t[:h, :w] = a
            yield t

def write(path:Path, side0:int, patches, dense:bool):
    import tifffile
    region = canvas(patches, side0//4, dense)
    with tifffile.TiffWriter(path, bigtiff=True) as tif:
        for i, d in enumerate((1, 4, 16, 64)):
            n = side0//d
            desc = f"Aperio Image Library v12.0.0 \n{side0}x{side0} [0,0 {side0}x{side0}] (256x256) RGB|AppMag = 40|MPP = 0.2430" if i == 0 else ''
            tif.write(tiles(region, side0, d), shape=(n, n, 3), dtype='uint8', tile=(256, 256), photometric='rgb', compression='zlib', description=desc, metadata=None)
            if i == 0: tif.write(np.full((64, 64, 3), 238, np.uint8), photometric='rgb', metadata=None, description='thumbnail')

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('out'); ap.add_argument('sides', nargs='*', type=int, default=[10000, 20000, 40000]); ap.add_argument('--dense', action='store_true')
    a = ap.parse_args(); out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    from pcam_nb.core import sample_path
    from pcam_nb.data.readers import read_kaggle
    src = read_kaggle(sample_path()); patches = np.stack([src[i] for i in range(512)])
    for side in a.sides:
        side -= side % 1024
        f = out/f"slide-{side}{'-dense' if a.dense else ''}.svs"
        t = time.time(); write(f, side, patches, a.dense); wt = time.time() - t
        t = time.time()   # pcam_slide under a fresh wrapper process, whose children's peak RSS is then pcam_slide's own
        probe = "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"
        r = subprocess.run([sys.executable, '-c', probe, str(Path(sys.executable).parent/'pcam_slide'), '--slide', str(f), '--out', str(out/f.stem), '--quiet'], capture_output=True, text=True)
        if r.returncode: sys.exit(r.stderr)
        peak = int(r.stdout.strip().splitlines()[-1])
        s = json.loads((out/f.stem/'summary.json').read_text())
        print(json.dumps(dict(side=side, dense=a.dense, file_mb=round(f.stat().st_size/1e6), write_s=round(wt), windows_in_grid=s['windows_in_grid'], windows_scored=s['windows_scored'],
                              seconds=round(time.time() - t, 1), windows_per_s=s['windows_per_s'], peak_rss_mb=round(peak/1024))), flush=True)
