#!/usr/bin/env python
"""The slide call measured on slides (issue 31): which slide score, which slide threshold, and what they give.

    python bench/slide_call.py score --out DIR [--model CV]   # mosaic SVS slides from half B, each scored by the fold model that never saw its patches
    python bench/slide_call.py report --out DIR    # slide AUC, sensitivity/specificity at the presets, FROC (`evaluate_slides`)
    python bench/slide_call.py ship [--model NAME]  # writes the slide call's null and lesion samples (slide.slide_call_card) into a shipped model's model.json

The 4,000 patches of $PCAM_SAMPLE are split once (seed 31) into half A, which chooses the score and the slide thresholds
(mosaics simulated from the patches' out-of-fold P, each window one patch), and half B, which chose nothing: B's
simulated mosaics, and Aperio SVS files at 40x built from B's patches (tissue blocks with glass between; lesions of
2x2 to 5x5 label-1 patches in label-0 tissue), scored through `score_slide` at stride 96 and 32 by the fold model of
the shipped cross-validation that never saw them (calibrated as the ensemble is). Mosaics are not real slides.
Writes only under --out (and prints JSON). Name the CPU with the timing (lscpu).
"""
import argparse, json, os, sys, time
from pathlib import Path
import numpy as np, pandas as pd, torch
from sklearn.metrics import roc_auc_score
from pcam_nb.metrics import calibrate
from pcam_nb.modelfile import shipped_model, load_model
from pcam_nb.slideio import write_slide, PCAM_MPP
from pcam_nb.core import PATCH_SZ
from pcam_nb.slidecall import MOSAIC_SIZE, oof_p, mosaic_layout, mosaic_scores
from pcam_nb.slide import score_slide
sys.path.insert(0, str(Path(__file__).parent))
from stain_shift import held_out_folds

SPLIT_SEED, N_SIM = 31, 3000

def halves():
    "Out-of-fold P of the shipped model's cross-validation, calibrated, with each patch's half (A chooses, B reports)"
    oof = oof_p(shipped_model()); oof['pc'] = oof.p
    oof['half'] = np.where(np.random.default_rng(SPLIT_SEED).random(len(oof)) < 0.5, 'A', 'B')
    return oof

def at(ms, t): return dict(sensitivity=float((ms.score[ms.label == 1] >= t).mean()), specificity=float((ms.score[ms.label == 0] < t).mean()))

def ship(name=None):
    "A shipped model's slide call (slide.slide_call_card): the nulls and lesion samples from its recipe's out-of-fold P (all 4,000 patches; 03c checks it half against half)"
    from pcam_nb.modelfile import ModelCard, update_card
    from pcam_nb.slidecall import slide_call_card
    d = Path(shipped_model(name)) if name else shipped_model()
    card = update_card(d, slide_call=slide_call_card(oof_p(d), ModelCard.read(d)))
    print(json.dumps(card.slide_call['null'], indent=1))

def mosaic_image(G, patches, seed):
    "The 10x image of a layout: patches where G >= 0, faintly noisy glass elsewhere"
    R, C = G.shape
    img = np.random.default_rng(seed).integers(236, 242, (R*PATCH_SZ, C*PATCH_SZ, 1), dtype=np.uint8).repeat(3, 2)
    for r, c in zip(*np.nonzero(G >= 0)): img[r*PATCH_SZ:(r + 1)*PATCH_SZ, c*PATCH_SZ:(c + 1)*PATCH_SZ] = patches(G[r, c])
    return img

def score(out, per_fold=4, strides=(96, 32), model=None):
    torch.set_num_threads(int(os.environ.get('PCAM_THREADS', 2)))
    out = Path(out); oof = halves().set_index('id'); t0 = time.time()
    (out/'annotations').mkdir(parents=True, exist_ok=True); (out/'slides').mkdir(exist_ok=True)
    for f, eng, info, src in held_out_folds(model):
        rng = np.random.default_rng(100 + f)
        inB = np.array([oof.half[i] == 'B' for i in src.ids]); lab = src.labels
        neg, pos = np.flatnonzero(inB & (lab == 0)), np.flatnonzero(inB & (lab == 1))
        for j in range(2*per_fold):
            name = f"f{f}-{'pos' if j % 2 else 'neg'}-{j//2}"
            while True:   # a fold's half B holds about 390 label-0 patches: a slide too large for it is drawn again
                try: G, les = mosaic_layout(neg, pos if j % 2 else None, rng); break
                except ValueError: continue
            svs = out/'slides'/f'{name}.svs'
            if not svs.is_file():
                img = mosaic_image(G, lambda i: src[i], seed=f*100 + j)
                write_slide(svs, img.repeat(4, 0).repeat(4, 1), compression='jpeg')
                k = 4   # level-0 pixels per PCam pixel at 40x
                gj = dict(type='FeatureCollection', features=[dict(type='Feature', properties=dict(name=f'lesion {n + 1}', classification=dict(name='Tumor')),
                          geometry=dict(type='Polygon', coordinates=[[[x*k, y*k] for x, y in ((c0, r0), (c0 + a, r0), (c0 + a, r0 + a), (c0, r0 + a), (c0, r0))]]))
                          for n, (r0, c0, a) in enumerate((r*PATCH_SZ, c*PATCH_SZ, a*PATCH_SZ) for r, c, a in les)])
                (out/'annotations'/f'{name}.geojson').write_text(json.dumps(gj))
            for s in strides:
                d = out/f'runs{s}'/name
                if not (d/'summary.json').is_file(): score_slide(eng, svs, d, stride=s, show=False)
            print(f"{name}: {(G >= 0).sum()} patches, {len(les)} lesions; {time.time() - t0:.0f} s", file=sys.stderr, flush=True)

def report(out):
    from pcam_nb.evaluate import evaluate_slides
    out, res = Path(out), {}
    pr = json.loads(os.environ['PRESETS']) if 'PRESETS' in os.environ else None
    for s in (96, 32):
        if (out/f'runs{s}').is_dir(): res[s] = evaluate_slides(out/f'runs{s}', out/'annotations', thresholds=pr)[0]
    print(json.dumps(res, indent=1, default=float))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('step', choices=['score', 'report', 'ship']); ap.add_argument('--out', default='/tmp/slide_call')
    ap.add_argument('--per-fold', type=int, default=4)
    ap.add_argument('--model', help="score: the cross-validation whose fold models score the slides (default: the shipped model's folder; for a student, its recipe's CV)")
    a = ap.parse_args()
    if a.step == 'score': score(a.out, a.per_fold, model=a.model)
    elif a.step == 'ship': ship(a.model)
    else: report(a.out)
