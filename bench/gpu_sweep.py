#!/usr/bin/env python
"""GPU sweep (the learning-rate and recipe numbers of nbs/02i_bench_train.ipynb): lr_find's valley for ResNet-18 from scratch
over 10 seeds, then 5-fold cross-validation of candidate recipes (out-of-fold AUC, and with D4 TTA), seed-major within a
time budget. Results in $OUT/sweep.json; how it ran on the device machine: bench/README.md.

    python bench/pack_sample.py unpack A B /tmp/pcam4k && python bench/gpu_sweep.py /tmp/pcam4k SECONDS [quick]
"""
import json, time, sys, os, contextlib
from pathlib import Path
import numpy as np, torch
T0 = time.time()
data, budget, out = Path(sys.argv[1]), float(sys.argv[2]), Path(os.environ.get('OUT', '/tmp/out'))
quick = len(sys.argv) > 3   # a CPU dry run on tiny data
from pcam_nb.recipe import train_dls, train_learner, choose_lr, seeded
from pcam_nb.cv import train_cv
from pcam_nb.modelfile import load_model
from pcam_nb.evaluate import held_out_patches
from pcam_nb.predict import stream_views
from pcam_nb.metrics import auc_ci
dev = 'cuda' if torch.cuda.is_available() else 'cpu'
res = dict(device=torch.cuda.get_device_name() if dev == 'cuda' else 'cpu', torch=torch.__version__, lr_find=[], cv=[])
def save(): (out/'sweep.json').write_text(json.dumps(res, indent=1))
log = open(out/'log.txt', 'a')
# 1. lr_find's valley for ResNet-18 from scratch, default split, over seeds
for s in range(0 if os.environ.get('SKIP_LRF') else 3 if quick else 10):
    with seeded(s):
        dls = train_dls(data, seed=s, bs=64 if not quick else 16, verify=False)
        learn = train_learner(dls, 'resnet18', None, None, '/tmp')
    with contextlib.redirect_stdout(log): lr, _ = choose_lr(learn, 'find')   # ('auto' is the measured default, not lr_find)
    res['lr_find'].append(dict(seed=s, valley=lr)); save()
    print('lr_find', s, lr, f'{time.time() - T0:.0f}s', flush=True)
E = 1 if quick else None
configs = [('eff0-e6-lr1e-3 (README recipe)', dict(arch='efficientnet_lite0', pretrained='yes', epochs=E or 6)),
           ('r18-scratch-e14-lr3e-3', dict(arch='resnet18', pretrained='no', epochs=E or 14, lr=3e-3)),
           ('eff0-e10-lr1e-3', dict(arch='efficientnet_lite0', pretrained='yes', epochs=E or 10)),
           ('r18-scratch-e14-lrfind (default)', dict(arch='resnet18', pretrained='no', epochs=E or 14)),
           ('eff0-e10-lr2e-3', dict(arch='efficientnet_lite0', pretrained='yes', epochs=E or 10, lr=2e-3)),
           ('r18-scratch-e14-lr1e-3', dict(arch='resnet18', pretrained='no', epochs=E or 14, lr=1e-3))]
order = [(c, s) for s in (0, 1, 2) for c in configs][:int(os.environ.get('MAXRUNS', 99))]
for (name, kw), s in order:
    if time.time() - T0 > budget: res['stopped'] = f'budget reached before {name} seed {s}'; save(); break
    t, d = time.time(), Path('/tmp/runs')/f"{name.split()[0]}-s{s}"
    with contextlib.redirect_stdout(log): cv = train_cv(data, d, folds=5, seed=s, show=False, verify=False, force=True, bs=64 if not quick else 16, **kw)
    ys, pt, p0 = [], [], []
    for k in range(5):
        m = load_model(d/f'fold-{k + 1}', dev); info = m.info
        ho = held_out_patches(data, info)
        v = stream_views(m, ho, tta=True, show=False)[0]
        ys.append(ho.labels); pt.append(v.mean(1)); p0.append(v[:, 0])
    y, pt, p0 = np.concatenate(ys), np.concatenate(pt), np.concatenate(p0)
    a0, a_tta = auc_ci(y, p0), auc_ci(y, pt)
    res['cv'].append(dict(config=name, seed=s, oof_auc=cv['oof_auc'], oof_ci=[cv['oof_auc_ci_low'], cv['oof_auc_ci_high']],
                          oof_auc_recomputed=a0[0], oof_auc_tta=a_tta[0], oof_tta_ci=list(a_tta[1:]),
                          fold_aucs=[r['roc_auc'] for r in cv['per_fold']], lrs=[r['lr'] for r in cv['per_fold']],
                          best_epochs=[r['best_epoch'] for r in cv['per_fold']], seconds=round(time.time() - t, 1)))
    save(); print(name, s, f"oof {cv['oof_auc']:.4f} tta {a_tta[0]:.4f} in {time.time() - t:.0f}s (total {time.time() - T0:.0f}s)", flush=True)
res['total_seconds'] = round(time.time() - T0, 1); save()
