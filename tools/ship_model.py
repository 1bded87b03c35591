#!/usr/bin/env python
"""Train and pack the model that ships inside pcam_nb (pcam_nb/shipped/NAME/), from the 4,000 real Kaggle patches.

    python tools/ship_model.py --data ../shared/data/pcam-kaggle-4k             # train (3-fold CV, about 40 min on 2 cores) and pack
    python tools/ship_model.py --data ../shared/data/pcam-kaggle-4k --run DIR   # pack a finished `pcam_train --folds 3 --tta --seed 0` run
    python tools/ship_model.py --data ../shared/data/pcam-kaggle-4k --recalibrate   # fit calibration and operating points again
    python tools/ship_model.py --data ../shared/data/pcam-kaggle-4k --student RUN --cv CV [CV ...] --name NAME   # pack a distilled student

A student (issue 30) is one network trained on every patch (`pcam_train --valid-pct 0 --teacher ENSEMBLE`, so nothing of its own
scores it): its threshold, calibration, operating points and referral cut come from the out-of-fold predictions of the same
recipe's cross-validation (`--cv`, the first folder: each patch scored by the fold student that never saw it, each fold taught by
the teacher member that never saw that fold), and its card gives every `--cv` folder's numbers (one per seed of the folds).

The recipe is pcam_nb's default (EfficientNet-Lite0 from ImageNet weights, 20 epochs at 2e-3, batch 32, stain jitter 0.3) trained by
`pcam_train --folds 3 --tta --seed 0`: three fold models, each validated on the third of the patches it never saw, every
fold ending at its last epoch (nothing chosen on those patches), so their out-of-fold AUC is an honest estimate and the
threshold is chosen on those out-of-fold predictions. The three fold models ship as one ensemble (their P averaged).
Packing: the weights are stored in float16 where that is safe (tensors of 100,000+ values; EfficientNet's unused ImageNet classifier zeroed, so that it compresses away in the
wheel and in git) when P stays within 1e-3 of float32 on all 4,000 patches and the
29 Kaggle test patches beside them (checked here; the largest difference goes into the card), model.json gets the card
(what it is, what it learnt from, the cross-validation, the threshold, the intended use) with no machine path, and
reference.csv holds the ensemble's float32 P (before calibration) on the 29 test patches, which the tests compare against.
Calibration (temperature scaling) and the operating points are fitted on the out-of-fold predictions and stored in
model.json (`modelfile.calibrate_model`); `--recalibrate` does only that, on the shipped folder.
"""
import argparse, json, shutil, subprocess, sys, tempfile
from pathlib import Path
import numpy as np, torch

ROOT = Path(__file__).resolve().parents[1]
from pcam_nb.modelfile import load_model, save_ensemble, update_card, SHIPPED
from pcam_nb.core import file_hash, atomic_path
from pcam_nb.data.readers import read_pcam
from pcam_nb.predict import predict_source, predict_images

def about(top:dict, member:dict)->str:
    "The card's `about`, from the run itself (its members' settings and the cross-validation), never typed in"
    from pcam_nb.model import arch_spec
    r, cv = member['run'], top['cv']
    return (f"{arch_spec(member['arch']).name} from ImageNet weights, trained with pcam_nb's default recipe ({r['epochs']} epochs of one-cycle at "
            f"{r['lr']:g}, batch {r['bs']}, flips, rotations and stain jitter of up to {r['stain']:.0%}) on {cv['n']:,} labelled patches of Kaggle's "
            f"Histopathologic Cancer Detection data; {cv['folds']} models of a {cv['folds']}-fold cross-validation (seed {cv['seed']}), each trained "
            f"on {member['data']['n_train']:,} of the patches, averaged.")
USE = "For research and teaching, not for diagnosis. P(tumour) is for the centre 32x32 px of a 96x96 patch at PCam's scale (10x, about 0.97 um/px)."


UNUSED = ('1.m._fc.',)   # EfficientNet's ImageNet classifier: kept in the state dict, never called by the forward pass (`_EffBody`)

FP16_MIN = 100_000   # tensors of at least this many values are stored in float16, smaller ones (BatchNorm, depthwise, early convs) in float32
DTYPE = f'mixed: float16 for tensors of {FP16_MIN:,}+ values, float32 below'
# measured on fold 1's model and 800 of the patches: all float16 moved P by up to 5.3e-3, float32 BatchNorm too 3.3e-3,
# float32 below 20,000 values 1.3e-3, below 100,000 (0.97 M of 6.0 M values) 3.8e-4

def fp16_state(w:Path, dest:Path)->None:
    "Write the weights in `w` to `dest`, large float tensors in float16 (`FP16_MIN`), the unused ones zeroed (they compress away)"
    from safetensors.torch import load_file, save_file
    sd = {k: (torch.zeros_like(v) if k.startswith(UNUSED) else v) for k, v in load_file(str(w)).items()}
    sd = {k: (v.half() if v.is_floating_point() and v.numel() >= FP16_MIN else v).contiguous() for k, v in sd.items()}
    with atomic_path(dest) as p: save_file(sd, str(p))


def float16_check(run:Path, tmp:Path, data:Path, tests:Path, **more)->float:
    "The largest change of P from the float32 weights in `run` to the float16 ones in `tmp` (every patch of the sample and the test patches); refused above 1e-3, recorded in model.json"
    m32, m16 = load_model(run), load_model(tmp)
    src = read_pcam(data)
    d = float(np.abs(predict_source(m16, src, show=False) - predict_source(m32, src, show=False)).max())
    t16, t32 = (predict_images(m, tests, show=False)[0].label.values for m in (m16, m32))
    d = max(d, float(np.abs(t16 - t32).max()))
    print(f"ship_model: float16 weights move P by at most {d:.2e} on {len(src) + len(t16)} patches", file=sys.stderr)
    if d > 1e-3: raise SystemExit(f"ship_model: float16 changes P by {d:.2e} > 1e-3: not shipping float16 weights")
    update_card(tmp, **more, float16_max_abs_p_diff=d)
    return d


def write_reference(folder:Path, tests:Path)->None:
    "reference.csv: the packed model's float32 P on the test patches, before calibration (03_predict compares with them, and calibrates them itself)"
    m = load_model(folder)
    ref, _, _ = predict_images(m, tests, show=False, precision='fp32', raw=True)
    ref_tta, _, _ = predict_images(m, tests, show=False, precision='fp32', tta=True, raw=True)
    ref.assign(p_tta=ref_tta.label.values).rename(columns=dict(label='p')).to_csv(folder/'reference.csv', index=False, float_format='%.7f')


def pack(run:Path, dest:Path, data:Path, tests:Path)->dict:
    "The ensemble folder `run` (from `pcam_train --folds K`) packed into `dest`: float16 weights, a card, reference P"
    cv = json.loads((run/'cv.json').read_text()); top = json.loads((run/'model.json').read_text())
    members = [m['folder'] for m in top['members']]
    tmp = Path(tempfile.mkdtemp(prefix='pcam_ship_'))
    try:
        for m in members:   # each fold: float16 weights, its model.json without machine paths
            (tmp/m).mkdir()
            info = json.loads((run/m/'model.json').read_text())
            fp16_state(run/m/info['weights']['file'], tmp/m/'model.safetensors')
            shutil.copyfile(run/m/'model.json', tmp/m/'model.json')
            update_card(tmp/m, data=dict(info['data'], path=data.name),
                        weights=dict(file='model.safetensors', sha256=file_hash(tmp/m/'model.safetensors'), dtype=DTYPE))
        meta = {k: v for k, v in top.items() if k in ('cv', 'data', 'run', 'pretrained', 'threshold_from')}
        meta['data'] = dict(meta['data'], path=data.name)
        cal = top.get('calibration', {})   # a run calibrated by train_cv: its threshold is on calibrated P; the raw one is packed (and mapped again by `recalibrate`)
        meta['threshold_from'] = cal.get('threshold_from_raw', meta.get('threshold_from'))
        save_ensemble(tmp, members, meta | dict(about=about(top, json.loads((run/members[0]/'model.json').read_text())), intended_use=USE), threshold=cal.get('threshold_raw', top['threshold']))
        float16_check(run, tmp, data, tests, weights_dtype=DTYPE)
        write_reference(tmp, tests)
        shutil.copy(run/'oof_predictions.csv', tmp/'oof_predictions.csv')
        recalibrate(tmp, data)
        if dest.exists(): shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp), str(dest)); tmp = None
    finally:
        if tmp: shutil.rmtree(tmp, ignore_errors=True)
    return cv


def oof_views(dest:Path, data:Path, oof)->np.ndarray:
    "The P of the 8 TTA views of every patch, from the fold model that never saw it: (N, 8) in oof's order"
    from pcam_nb.data.readers import read_kaggle
    from pcam_nb.modelfile import onnx_model
    from pcam_nb.predict import view_probs
    kg = read_kaggle(data); pos = {k: i for i, k in enumerate(kg.ids)}
    V = np.zeros((len(oof), 8), np.float32)
    for f in sorted(oof.fold.unique()):
        m = load_model(dest/f'fold-{f}', fuse=True); info = m.info; om = onnx_model(m) or m
        idx = np.flatnonzero(oof.fold.values == f)
        for s in range(0, len(idx), 256):
            j = idx[s:s + 256]; V[j] = view_probs(om, np.stack([kg[pos[oof.id[k]]] for k in j]), True)
    return V


def recalibrate(dest:Path, data:Path)->dict:
    "Temperature scaling, operating points and the referral cut fitted on the ensemble's out-of-fold predictions (each patch scored by the fold model that never saw it)"
    from pcam_nb.modelfile import calibrate_model
    import pandas as pd
    oof = pd.read_csv(dest/'oof_predictions.csv', dtype={'id': str})
    V = oof_views(dest, data, oof)
    d = max(np.abs(V[:, 0] - oof.p.values).max(), np.abs(V.mean(1) - oof.p_tta.values).max())
    if d > 1e-3: raise SystemExit(f"ship_model: the views' P differ from oof_predictions.csv by {d:.2e}: not the data or the models of that run")
    info = calibrate_model(dest, oof.label.values, oof.p.values, oof.p_tta.values if 'p_tta' in oof else None, oof.fold.values,
                           'out-of-fold predictions of the 3-fold cross-validation (each patch scored by the fold model that never saw it)', views=V)
    u = info['uncertainty']
    print("ship_model: referral cut (sd of the TTA views) " + f"{u['refer_above']:.4f}; AUC kept / at random, referring " +
          ', '.join(f"{o['referred']:.0%}: {o['auc_kept']:.4f} / {o['auc_random']:.4f}" for o in u['risk_coverage']), file=sys.stderr)
    c = info['calibration']
    print(f"ship_model: temperature {c['temperature']:.4f} ({c['temperature_tta']:.4f} with TTA); out-of-fold ECE {c['ece_raw']:.4f} -> {c['ece']:.4f} "
          f"(cross-fitted), Brier {c['brier_raw']:.4f} -> {c['brier']:.4f}; threshold {c['threshold_raw']:.4f} -> {info['threshold']:.4f}", file=sys.stderr)
    return info


def about_student(run:dict, cvs:list)->str:
    "The student's card `about`, from its run and its cross-validations"
    from pcam_nb.model import arch_spec
    r, t = run['run'], run['run']['teacher']
    return (f"{arch_spec(r['arch']).name} from ImageNet weights, distilled ({r['epochs']} epochs of one-cycle at {r['lr']:g}, batch {r['bs']}, flips, rotations "
            f"and stain jitter of up to {r['stain']:.0%}; loss {r['distil']:g} x cross-entropy to the teacher's P on the same augmented batch + "
            f"{1 - r['distil']:g} x the labels') on all {run['data']['n_train']:,} labelled patches of Kaggle's Histopathologic Cancer Detection data. "
            f"Teacher: the {len(t['members'])}-model ensemble {Path(t['folder']).name} (EfficientNet-Lite0, stain jitter 0.3). Its recipe scored by "
            f"{len(cvs)} cross-validation{'s' * (len(cvs) > 1)} of {cvs[0]['folds']} folds (seeds {', '.join(str(c['seed']) for c in cvs)}).")


def cv_summary(cvs:list)->dict:
    "The cross-validations of the student's recipe: the first's numbers (it calibrates), each seed's out-of-fold AUC (and with TTA), their mean and spread"
    rows = [dict(seed=c['seed'], folds=c['folds'], n=c['n'], oof_auc=c['oof_auc'], oof_auc_ci=[c['oof_auc_ci_low'], c['oof_auc_ci_high']],
                 oof_auc_tta=c.get('oof_auc_tta'), fold_aucs=[f['roc_auc'] for f in c['per_fold']]) for c in cvs]
    a, b = np.array([r['oof_auc'] for r in rows]), np.array([r['oof_auc_tta'] for r in rows], dtype=float)
    first = {k: v for k, v in cvs[0].items() if k not in ('per_fold', 'train_seconds')}   # the calibrating seed's numbers, as an ensemble's card has them
    return first | dict(seeds=rows, oof_auc_mean=float(a.mean()), oof_auc_sd=float(a.std(ddof=1)) if len(a) > 1 else None,
                oof_auc_tta_mean=float(b.mean()), oof_auc_tta_sd=float(b.std(ddof=1)) if len(b) > 1 else None,
                note="cross-validation numbers of the recipe (fold students on 2/3 of the patches); the shipped student learnt from all of them, "
                     "from the whole ensemble")


def pack_student(run:Path, cv_dirs:list, dest:Path, data:Path, tests:Path)->dict:
    "A student trained on every patch (`run`, `pcam_train --valid-pct 0 --teacher ...`) packed into `dest`, calibrated on `cv_dirs[0]`'s out-of-fold P"
    import pandas as pd
    from pcam_nb.modelfile import calibrate_model, write_onnx
    from pcam_nb.train import VIEW_COLUMNS
    from pcam_nb.metrics import pick_threshold
    info = json.loads((run/'model.json').read_text())
    if info['data']['n_valid'] != 0 or 'teacher' not in info['run']: raise SystemExit(f"ship_model: {run}: not a student trained on every patch (--valid-pct 0 --teacher)")
    cvs = [json.loads((Path(c)/'cv.json').read_text()) for c in cv_dirs]
    oof = pd.read_csv(Path(cv_dirs[0])/'oof_predictions.csv', dtype={'id': str})
    if not set(VIEW_COLUMNS) <= set(oof): raise SystemExit(f"ship_model: {cv_dirs[0]}: out-of-fold predictions without the 8 TTA views (train with --tta)")
    tmp = Path(tempfile.mkdtemp(prefix='pcam_ship_'))
    try:
        fp16_state(run/info['weights']['file'], tmp/'model.safetensors')
        thr = pick_threshold(oof.label.values, oof.p.values)
        t = info['run']['teacher']
        shutil.copyfile(run/'model.json', tmp/'model.json')
        update_card(tmp, data=dict(info['data'], path=data.name), threshold=float(thr),
                    threshold_from=f"Youden's J on the out-of-fold predictions of the recipe's cross-validation (seed {cvs[0]['seed']}, n={len(oof)})",
                    weights=dict(file='model.safetensors', sha256=file_hash(tmp/'model.safetensors'), dtype=DTYPE),
                    run=dict(info['run'], teacher=dict(t, folder=Path(t['folder']).name)), cv=cv_summary(cvs),
                    about=about_student(info, cvs), intended_use=USE, weights_dtype=DTYPE, metrics=None)
        float16_check(run, tmp, data, tests)
        oof.to_csv(tmp/'oof_predictions.csv', index=False, float_format='%.7f')
        c = calibrate_model(tmp, oof.label.values, oof.p.values, oof.p_tta.values, oof.fold.values,
                            f"out-of-fold predictions of the recipe's {cvs[0]['folds']}-fold cross-validation, seed {cvs[0]['seed']} (each patch scored by the "
                            "fold student that never saw it)", views=oof[list(VIEW_COLUMNS)].values)['calibration']
        print(f"ship_model: temperature {c['temperature']:.4f} ({c['temperature_tta']:.4f} with TTA); out-of-fold ECE {c['ece_raw']:.4f} -> {c['ece']:.4f}", file=sys.stderr)
        write_onnx(tmp)
        write_reference(tmp, tests)
        if dest.exists(): shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp), str(dest)); tmp = None
        dest.chmod(0o755)   # (a temporary folder is private)
    finally:
        if tmp: shutil.rmtree(tmp, ignore_errors=True)
    return info['cv']


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', required=True, help="the 4,000-patch Kaggle sample (train/ + train_labels.csv); its test patches are read from the folder 'pcam-kaggle-test-sample' beside it")
    ap.add_argument('--run', help='a finished `pcam_train --folds 3 --tta --seed 0` output folder to pack (default: train one now)')
    ap.add_argument('--name', default=SHIPPED, help=f'the shipped folder name (default {SHIPPED})')
    ap.add_argument('--recalibrate', action='store_true', help='only fit the calibration, operating points and referral cut of the shipped folder again, from its out-of-fold predictions')
    ap.add_argument('--student', help='a student trained on every patch (`pcam_train --valid-pct 0 --teacher ...`) to pack')
    ap.add_argument('--cv', nargs='+', help="with --student: the recipe's cross-validation folders (bench/distil.py), one per seed; the first calibrates")
    a = ap.parse_args()
    if a.recalibrate:
        recalibrate(ROOT/'pcam_nb'/'shipped'/a.name, Path(a.data).resolve()); print(f"ship_model: model.json sha256 {file_hash(ROOT/'pcam_nb'/'shipped'/a.name/'model.json')}"); return
    data = Path(a.data).resolve(); tests = data.parent/'pcam-kaggle-test-sample'/'test'
    if not tests.is_dir(): raise SystemExit(f"ship_model: {tests}: the 29 Kaggle test patches are needed for the reference predictions")
    if a.student:
        if not a.cv: raise SystemExit("ship_model: --student needs --cv (the recipe's cross-validations)")
        dest = ROOT/'pcam_nb'/'shipped'/a.name
        cv = pack_student(Path(a.student), a.cv, dest, data, tests)
        size = sum(f.stat().st_size for f in dest.rglob('*') if f.is_file())
        print(f"ship_model: {dest.relative_to(ROOT)}: {size/2**20:.1f} MB; out-of-fold AUC {cv['oof_auc_mean']:.4f}, {cv['oof_auc_tta_mean']:.4f} with TTA "
              f"({len(cv['seeds'])} seed(s)); model.json sha256 {file_hash(dest/'model.json')}")
        return
    run = Path(a.run) if a.run else Path(tempfile.mkdtemp(prefix='pcam_ship_run_'))/'cv3'
    if not a.run:
        subprocess.run([str(Path(sys.executable).parent/'pcam_train'), '--data', str(data), '--folds', '3', '--tta', '--seed', '0', '--out', str(run), '--quiet'], check=True)
    dest = ROOT/'pcam_nb'/'shipped'/a.name
    cv = pack(run, dest, data, tests)
    size = sum(f.stat().st_size for f in dest.rglob('*') if f.is_file())
    print(f"ship_model: {dest.relative_to(ROOT)}: {size/2**20:.1f} MB; out-of-fold AUC {cv['oof_auc']:.4f} [{cv['oof_auc_ci_low']:.4f}, {cv['oof_auc_ci_high']:.4f}], "
          f"{cv['oof_auc_tta']:.4f} with TTA; model.json sha256 {file_hash(dest/'model.json')}")
    print("ship_model: before committing it, run the cells that check the shipped model on real patches: PCAM_SAMPLE=... bash tools/test.sh slow")


if __name__ == '__main__':
    main()
