#!/usr/bin/env python
"""Cross-validation of one recipe on the CPU: how the 2-core numbers in nbs/02i_bench_train.ipynb were made.

    python bench/cv.py NAME FOLDS SEED [key=value ...]     # e.g. eff0-e20 3 0 arch=efficientnet_lite0 pretrained=yes epochs=20
    python bench/cv.py NAME resume                         # continue an interrupted one (its settings are in its folder; give mixup/smooth/wd again)

Every key=value is an option of `train` except three candidates tried only here (as fastai callbacks passed in `cbs`):
`mixup=ALPHA` (fastai's `MixUp`), `smooth=EPS` (training loss `LabelSmoothingCrossEntropyFlat(eps)`; validation unchanged)
and `wd=WD` (the optimiser's decoupled weight decay; fastai's Adam default is 0.01).

Runs `train.train_cv` on $PCAM_SAMPLE (the 4,000 real Kaggle patches) with D4-TTA out-of-fold predictions, writes the
ensemble folder and its log to $PCAM_CV_OUT/NAME-sSEED (default /tmp/pcam_cv) and appends one JSON line (cv.json plus the
wall time) to $PCAM_CV_OUT/results.jsonl. One run at a time on an otherwise idle machine when the times matter (PCAM_THREADS=1 runs two side by side, each on one core).
"""
import json, os, sys, time, contextlib
from pathlib import Path
import torch
torch.set_num_threads(int(os.environ.get('PCAM_THREADS', os.cpu_count())))   # PCAM_THREADS=1: two runs side by side on 2 cores
from pcam_nb.core import sample_path
from pcam_nb.cv import train_cv
from fastai.callback.core import Callback
from fastai.callback.mixup import MixUp
from fastai.losses import LabelSmoothingCrossEntropyFlat

class SmoothTrain(Callback):
    "Label smoothing `eps` for the training loss only (the validation loss, and so the epochs' reports, stay plain cross-entropy)"
    order = MixUp.order - 1   # before MixUp, which wraps whatever training loss it finds
    def __init__(self, eps): self.eps = eps
    def before_train(self): self.old, self.learn.loss_func = self.learn.loss_func, LabelSmoothingCrossEntropyFlat(eps=self.eps)
    def before_validate(self): self.learn.loss_func = self.old   # after every after_train (MixUp's restores the loss it wrapped: this one)
    def after_fit(self): self.learn.loss_func = getattr(self, 'old', self.learn.loss_func)

class WeightDecay(Callback):
    "The optimiser's (decoupled) weight decay for the whole fit"
    def __init__(self, wd): self.wd = wd
    def before_fit(self): self.learn.opt.set_hypers(wd=self.wd)

def _value(v):
    for f in (int, float):
        try: return f(v)
        except ValueError: pass
    return v

out = Path(os.environ.get('PCAM_CV_OUT', '/tmp/pcam_cv')); out.mkdir(parents=True, exist_ok=True)
resume = sys.argv[2] == 'resume'
name, rest = sys.argv[1], sys.argv[3 if resume else 4:]
kw = {k: _value(v) for k, v in (a.split('=', 1) for a in rest)}
cbs = ([SmoothTrain(kw['smooth'])] if 'smooth' in kw else []) + ([MixUp(kw['mixup'])] if 'mixup' in kw else []) + ([WeightDecay(kw['wd'])] if 'wd' in kw else [])
more = {'cbs': cbs} if cbs else {}
t = time.time()
if resume:
    live = [f for f in out.glob(f'{name}-s*') if (f/'cv_run.json').is_file()]   # the interrupted one (a finished run has no cv_run.json)
    if len(live) != 1: sys.exit(f"{name}: {len(live)} interrupted runs in {out} ({', '.join(f.name for f in live)}): resume needs exactly one")
    folder = live[0]
    with open(out/f'{folder.name}.log', 'a') as log, contextlib.redirect_stdout(log): cv = train_cv(None, folder, resume=True, show=False, **more)
    seed = cv['seed']
else:
    folds, seed = int(sys.argv[2]), int(sys.argv[3])
    with open(out/f'{name}-s{seed}.log', 'w') as log, contextlib.redirect_stdout(log):
        cv = train_cv(sample_path(), out/f'{name}-s{seed}', folds=folds, seed=seed, show=False, verify=False, force=True, tta=True, **{k: v for k, v in kw.items() if k not in ('mixup', 'smooth', 'wd')}, **more)
r = dict(cv, name=name, kw=kw, seconds=round(time.time() - t), resumed=resume)
with open(out/'results.jsonl', 'a') as f: f.write(json.dumps(r) + '\n')
print(name, seed, f"oof {cv['oof_auc']:.4f} tta {cv.get('oof_auc_tta', float('nan')):.4f} in {r['seconds']} s", flush=True)
