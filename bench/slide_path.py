#!/usr/bin/env python
"""What the way a 40x slide stores a patch costs a cross-validated model, measured out-of-fold (issue 24).

    python bench/slide_path.py [DIR]      # DIR: a cross-validation's ensemble folder (default: the shipped model)

`pcam_slide` reads a 40x slide's 10x level. A patch that reached it through a slide was upsampled 4x (here bicubic),
perhaps JPEG-compressed at 40x, box-averaged back to 10x (how a pyramid level is made), perhaps compressed again
there. Every patch of $PCAM_SAMPLE is scored by the fold model that never saw it, unchanged and along each path;
prints the AUC drop (mean over the folds, and the worst fold) and the 95th percentile of |dP|. Writes nothing.
PCAM_THREADS sets torch's threads (default 2). Name the CPU with any timing (lscpu).
"""
import io, os, sys
import numpy as np, pandas as pd, torch
from PIL import Image
from sklearn.metrics import roc_auc_score
from pcam_nb.evaluate import read_batch, view_probs, model_p
from stain_shift import held_out_folds   # this folder's: the fold models and the patches each never saw

PATHS = {   # name: (JPEG quality or 0, where: '40x', '40x+10x' or '10x'); None: the patch as it is
    'none': None, '40x and back, no JPEG': (0, '40x'), 'JPEG 90 at 40x': (90, '40x'), 'JPEG 70 at 40x': (70, '40x'),
    'JPEG 90 at 40x and 10x': (90, '40x+10x'), 'JPEG 70 at 40x and 10x': (70, '40x+10x'), 'JPEG 70 at 10x only': (70, '10x')}

def jpeg(a, q):
    b = io.BytesIO(); Image.fromarray(a).save(b, format='JPEG', quality=q); return np.asarray(Image.open(b).convert('RGB'))

def via_slide(a, q, where):
    "One 96x96 patch along a slide's path"
    if where == '10x': return jpeg(a, q)
    up = np.asarray(Image.fromarray(a).resize((4*a.shape[1], 4*a.shape[0]), Image.BICUBIC))
    if q: up = jpeg(up, q)
    d = np.asarray(Image.fromarray(up).resize((a.shape[1], a.shape[0]), Image.BOX))
    return jpeg(d, q) if q and where == '40x+10x' else d

def main(model=None):
    torch.set_num_threads(int(os.environ.get('PCAM_THREADS', 2)))
    rows = []
    for f, eng, info, src in held_out_folds(model):
        P = {k: [] for k in PATHS}
        for s in range(0, len(src), 256):
            x, _ = read_batch(src, list(range(s, min(s + 256, len(src)))))
            for k, v in PATHS.items():
                P[k].append(model_p(view_probs(eng, x if v is None else np.stack([via_slide(a, *v) for a in x]), False), info))
        P = {k: np.concatenate(v) for k, v in P.items()}; y = np.asarray(src.labels); a0 = roc_auc_score(y, P['none'])
        rows += [dict(fold=f, path=k, auc_drop=a0 - roc_auc_score(y, P[k]), dp_p95=np.quantile(abs(P[k] - P['none']), .95)) for k in PATHS]
        print(f"fold {f} done", file=sys.stderr, flush=True)
    g = pd.DataFrame(rows).groupby('path', sort=False)
    print(pd.DataFrame(dict(auc_drop_mean=g.auc_drop.mean(), auc_drop_max_fold=g.auc_drop.max(), dp_p95=g.dp_p95.mean())).to_string(float_format=lambda v: f'{v:.4f}'))

if __name__ == '__main__': main(*sys.argv[1:2])
