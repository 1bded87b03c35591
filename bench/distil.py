#!/usr/bin/env python
"""Cross-validation of a distilled student (issue 30): each fold's student learns from the labels and from a teacher that never saw that fold.

    python bench/distil.py NAME FOLDS SEED TEACHER [key=value ...]   # e.g. kd-a05 3 0 pcam_nb/shipped/lite0-kaggle4k-cv3 distil=0.5 stain=0.3
    python bench/distil.py NAME resume [SEED]                       # continue an interrupted one (its settings are in its folder; SEED: which)
    python bench/distil.py NAME FOLDS SEED TEACHER only=K [...]     # fold K alone (several side by side, one per core), taught by TEACHER/fold-K
                                                                    # as soon as that fold of the teacher's own CV is done; `NAME resume SEED` then
                                                                    # gathers the finished folds into the run (out-of-fold AUC, calibration)

TEACHER is a model folder: a cross-validated ensemble (`train_cv`) or one model. `train_cv(..., teacher=TEACHER)` teaches fold k with the
members that held out every patch of fold k (`train.distil_teacher`), so the out-of-fold numbers stay honest; a fold that every member
saw is refused. Every key=value is an option of `train` (`distil=W`: the weight of the teacher's P in the loss, default 0.5).
The first two runs of issue 30 (kd-a05, kd-a05-st15) ran an earlier copy of this script with the same loss as a callback of its own.
Writes $PCAM_CV_OUT/NAME-sSEED (default /tmp/pcam_cv) and appends one JSON line to $PCAM_CV_OUT/results.jsonl.
"""
import json, os, sys, time, contextlib
from pathlib import Path
import torch
torch.set_num_threads(int(os.environ.get('PCAM_THREADS', os.cpu_count())))   # PCAM_THREADS=1: two runs side by side on 2 cores
from pcam_nb.core import atomic_path, sample_path
from pcam_nb.train import train
from pcam_nb.cv import CV_RUN, train_cv

def _value(v):
    for f in (int, float):
        try: return f(v)
        except ValueError: pass
    return v

def one_fold(name:str, folds:int, seed:int, teacher:str, k:int, kw:dict)->None:
    "Fold `k` alone, as train_cv trains it (its last epoch), taught by the teacher's fold-k model (the member that held fold k out)"
    folder = out/f'{name}-s{seed}'; folder.mkdir(exist_ok=True)
    if not (folder/CV_RUN).is_file():   # what `resume` reads: the record train_cv writes when it starts (written whole, so folds starting together agree)
        with atomic_path(folder/CV_RUN) as p: p.write_text(json.dumps(dict(data=str(sample_path()), folds=folds, seed=seed, kwargs=dict(kw, tta=True, teacher=teacher)), indent=1))
    with open(out/f'{name}-s{seed}-fold{k}.log', 'w') as log, contextlib.redirect_stdout(log):
        m = train(sample_path(), folder/f'fold-{k}', fold=(k - 1, folds), seed=seed, keep_best=False, force=True, verify=False, show=False, tta=True,
                  teacher=str(Path(teacher)/f'fold-{k}'), **kw)
    print(name, seed, f"fold {k}: valid roc_auc {m['roc_auc']:.4f} in {round(time.time() - t)} s (when every fold is done: bench/distil.py {name} resume {seed})", flush=True)

out = Path(os.environ.get('PCAM_CV_OUT', '/tmp/pcam_cv')); out.mkdir(parents=True, exist_ok=True)
t = time.time()
if sys.argv[2] == 'resume':
    live = [f for f in out.glob(f'{sys.argv[1]}-s{sys.argv[3] if len(sys.argv) > 3 else "*"}') if (f/CV_RUN).is_file()]   # the interrupted one (a finished run has no cv_run.json)
    if len(live) != 1: sys.exit(f"{sys.argv[1]}: {len(live)} interrupted runs in {out} ({', '.join(f.name for f in live)}): resume needs exactly one")
    folder = live[0]
    with open(out/f'{folder.name}.log', 'a') as log, contextlib.redirect_stdout(log): cv = train_cv(None, folder, resume=True, show=False)
    r = dict(cv, name=sys.argv[1], resumed=True)
else:
    name, folds, seed, teacher = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), str(Path(sys.argv[4]).absolute())
    kw = {k: _value(v) for k, v in (a.split('=', 1) for a in sys.argv[5:])}
    if 'only' in kw: one_fold(name, folds, seed, teacher, kw.pop('only'), kw); sys.exit(0)
    with open(out/f'{name}-s{seed}.log', 'w') as log, contextlib.redirect_stdout(log):
        cv = train_cv(sample_path(), out/f'{name}-s{seed}', folds=folds, seed=seed, show=False, verify=False, force=True, tta=True, teacher=teacher, **kw)
    r = dict(cv, name=name, kw=kw, teacher=teacher)
r['seconds'] = round(time.time() - t)
with open(out/'results.jsonl', 'a') as f: f.write(json.dumps(r) + '\n')
print(r['name'], f"oof {cv['oof_auc']:.4f} tta {cv.get('oof_auc_tta', float('nan')):.4f} in {r['seconds']} s", flush=True)
