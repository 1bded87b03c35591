#!/usr/bin/env python
"""Cross-validation of a distilled student (issue 30): each fold's student learns from the labels and from a teacher that never saw that fold.

    python bench/distil.py NAME FOLDS SEED TEACHER [key=value ...]   # e.g. kd-a05 3 0 pcam_nb/shipped/lite0-kaggle4k-cv3 alpha=0.5 stain=0.3
    python bench/distil.py NAME FOLDS SEED TEACHER resume [key=value ...]   # continue an interrupted one (same keys again)

TEACHER is a model folder: a cross-validated ensemble (`train_cv`) or one model. The teacher of fold k is the ensemble's members whose
held-out patches are exactly fold k's (`valid_sha256` in their model.json): trained on the student's training part only, so the fold's
out-of-fold numbers stay honest. A fold that no member held out is an error (its patches were seen by every member).

Distillation keys (the rest are options of `train`, as in `cv.py`):
  alpha=A   weight of the teacher's soft targets: loss = A * KD + (1 - A) * cross-entropy on the labels (default 0.5)
  T=T       temperature of both soft distributions (default 1; the KD term is scaled by T^2)
  mix=M     function matching (Beyer et al. 2022): mix each training batch with a shuffled copy of itself (weight ~ Beta(M, M));
            teacher and student see the same mixed view; the label term uses both labels with the same weights (default 0: off)
Teacher and student see the same augmented batch (stain jitter, D4): the "consistent" teacher.
Writes $PCAM_CV_OUT/NAME-sSEED (default /tmp/pcam_cv) and appends one JSON line to $PCAM_CV_OUT/results.jsonl.
"""
import json, os, sys, time, contextlib
from pathlib import Path
import torch, torch.nn.functional as F
torch.set_num_threads(int(os.environ.get('PCAM_THREADS', os.cpu_count())))
from fastai.callback.core import Callback
from pcam_nb.core import sample_path
from pcam_nb.modelfile import load_model, Ensemble
from pcam_nb.train import train_cv

def teacher_members(folder:Path)->list:
    "(member folder, model.json) of a model folder: its members for an ensemble, else itself"
    info = json.loads((folder/'model.json').read_text())
    if 'members' not in info: return [(folder, info)]
    return [(folder/m['folder'], json.loads((folder/m['folder']/'model.json').read_text())) for m in info['members']]

class Distil(Callback):
    "Soft targets from the members of `teacher` that held out this run's validation patches, on the same (mixed) augmented batch"
    order = 95   # after fastai's own batch hooks, before `D4View` (100)
    def __init__(self, teacher, alpha=0.5, T=1.0, mix=0.0): self.folder, self.alpha, self.T, self.mix = Path(teacher), alpha, T, mix
    def before_fit(self):
        sha, ms = self.dls.pcam_data['valid_sha256'], teacher_members(self.folder)
        keep = [f for f, i in ms if i.get('data', {}).get('valid_sha256') == sha]
        if not keep: raise ValueError(f"{self.folder}: no member held out exactly this run's validation patches: its teacher would have seen them")
        dev = next(self.learn.model.parameters()).device
        self.teacher = Ensemble([load_model(f, dev).net for f in keep]).eval()
        self.kept = [f.name for f in keep]
    def before_batch(self):
        if not self.training: return
        x, y = self.xb[0], self.yb[0]
        if self.mix:
            lam = torch.distributions.Beta(self.mix, self.mix).sample((len(x),)).to(x.device)
            lam = torch.maximum(lam, 1 - lam)   # the patch's own label dominates (as fastai's MixUp)
            perm = torch.randperm(len(x), device=x.device)
            x = torch.lerp(x[perm], x, lam.view(-1, 1, 1, 1).to(x.dtype))
            self.learn.xb = (x,) + tuple(self.xb[1:])
            self.mixed = (y[perm], lam)
        with torch.no_grad(): self.logp_t = self.teacher(x).float()   # log of the members' mean probability
    def after_loss(self):
        if not self.training: return
        logp = F.log_softmax(self.pred.float()/self.T, 1)
        pt = F.softmax(self.logp_t/self.T, 1)
        kd = -(pt*logp).sum(1).mean()*self.T**2   # cross-entropy to the soft targets (KL + a constant)
        ce = F.cross_entropy(self.pred.float(), self.yb[0], reduction='none')
        if self.mix:
            y2, lam = self.mixed
            ce = lam*ce + (1 - lam)*F.cross_entropy(self.pred.float(), y2, reduction='none')
        self.learn.loss_grad = self.alpha*kd + (1 - self.alpha)*ce.mean()
        self.learn.loss = self.learn.loss_grad.detach().clone()

def _value(v):
    for f in (int, float):
        try: return f(v)
        except ValueError: pass
    return v

if __name__ == '__main__':
    name, folds, seed, teacher = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]).absolute()
    rest = sys.argv[5:]; resume = bool(rest) and rest[0] == 'resume'; rest = rest[1:] if resume else rest
    kw = {k: _value(v) for k, v in (a.split('=', 1) for a in rest)}
    dk = {k: kw.pop(k) for k in ('alpha', 'T', 'mix') if k in kw}
    cb = Distil(teacher, **dk)
    out = Path(os.environ.get('PCAM_CV_OUT', '/tmp/pcam_cv')); out.mkdir(parents=True, exist_ok=True)
    t = time.time()
    with open(out/f'{name}-s{seed}.log', 'a' if resume else 'w') as log, contextlib.redirect_stdout(log):
        if resume: cv = train_cv(None, out/f'{name}-s{seed}', resume=True, show=False, cbs=[cb])
        else: cv = train_cv(sample_path(), out/f'{name}-s{seed}', folds=folds, seed=seed, show=False, verify=False, force=True, tta=True, cbs=[cb], **kw)
    r = dict(cv, name=name, kw=kw | dk, teacher=str(teacher), seconds=round(time.time() - t), resumed=resume)
    with open(out/'results.jsonl', 'a') as f: f.write(json.dumps(r) + '\n')
    print(name, seed, f"oof {cv['oof_auc']:.4f} tta {cv.get('oof_auc_tta', float('nan')):.4f} in {r['seconds']} s", flush=True)
