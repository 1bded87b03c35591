#!/usr/bin/env python
"""How a cross-validated model holds up under stain and compression shifts, measured honestly (issue 24).

    python bench/stain_shift.py [--model DIR] [--tta]

DIR is a cross-validation's ensemble folder (`pcam_train --folds K --tta`, `bench/cv.py`); default: the shipped model.
Every patch of $PCAM_SAMPLE (the 4,000 its cross-validation used) is scored by the fold model that never saw it (as its
out-of-fold AUC is), unchanged and under each of `evaluate.STAIN_SHIFTS`; the fold models' P are calibrated by the
ensemble's temperature. Prints the table (AUC, its drop, |dP| 95th percentile and largest, calls changed at the
shipped threshold) and the worst drop. Writes nothing. Name the CPU with the timing (lscpu).
"""
import argparse, os, sys, time
from pathlib import Path
import numpy as np, pandas as pd, torch
from pcam_nb.core import sample_path
from pcam_nb.data.readers import read_kaggle, FilePatches
from pcam_nb.evaluate import STAIN_SHIFTS, stain_report
from pcam_nb.modelfile import load_model, onnx_model, shipped_model


def held_out_folds(model=None):
    "(fold, engine, model.json, patches): each fold model of a cross-validation (calibrated as its ensemble is), with the patches it never saw"
    ship = Path(model) if model else shipped_model(); top = load_model(ship).info
    oof = pd.read_csv(ship/'oof_predictions.csv', dtype={'id': str})
    kg = read_kaggle(sample_path()); files = dict(zip(kg.ids, kg.files))
    for f in sorted(oof.fold.unique()):
        m = load_model(ship/f'fold-{f}', fuse=True); info = m.info
        info = info | dict(calibration=top.get('calibration'), threshold=top['threshold'])
        part = oof[oof.fold == f]
        yield f, onnx_model(m) or m, info, FilePatches([files[i] for i in part.id], part.label.values, list(part.id))

def main(model=None, tta=False):
    torch.set_num_threads(int(os.environ.get('PCAM_THREADS', 2)))
    t, parts = time.time(), []
    for f, eng, info, src in held_out_folds(model):
        parts.append(stain_report(eng, src, tta=tta).assign(fold=f))
        print(f"fold {f}: {len(src)} patches, {time.time() - t:.0f} s", file=sys.stderr, flush=True)
    # the per-fold tables pooled: AUC per fold averaged by size would differ from the pooled AUC; report both
    tab = pd.concat(parts)
    g = tab.groupby('shift', sort=False)
    out = pd.DataFrame(dict(auc_drop_mean=g.auc_drop.mean(), auc_drop_max_fold=g.auc_drop.max(), dp_p95=g.dp_p95.mean(), dp_max=g.dp_max.max(),
                            calls_changed=g.calls_changed.sum()))
    print(out.to_string(float_format=lambda v: f'{v:.4f}'))
    print(f"worst mean AUC drop {out.auc_drop_mean.max():.4f} ({out.auc_drop_mean.idxmax()}); {time.time() - t:.0f} s in all{' with TTA' if tta else ''}")


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--model', help="a cross-validation's ensemble folder (default: the shipped model)")
    ap.add_argument('--tta', action='store_true', help='the 8 dihedral views averaged')
    a = ap.parse_args(); main(a.model, a.tta)
