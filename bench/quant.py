#!/usr/bin/env python
"""int8 for the shipped model (issue 23): is ONNX Runtime's static int8 quantisation fast enough, and close enough?

    python bench/quant.py [N_CALIB] [BATCH]

For each fold model of the shipped ensemble: its float32 ONNX graph (`modelfile.onnx_model`, as pcam_predict runs it)
and an int8 one (ONNX Runtime `quantize_static`: QDQ, per-channel signed int8 weights, uint8 activations, MinMax
calibration on N_CALIB patches of that fold's own training part, so the held-out third chose nothing). Measured:
images/s of each (2 threads, batch BATCH), the largest and the 99th-percentile |P int8 - P float32| and the
out-of-fold AUC of each (every patch of $PCAM_SAMPLE scored by the fold model that never saw it, as in model.json).
Writes nothing but a temporary folder. Name the CPU with the numbers (lscpu).
"""
import os, sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd, torch
from sklearn.metrics import roc_auc_score


def main(n_calib=256, batch=128):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from pcam_nb.core import sample_path
    from pcam_nb.data.readers import read_kaggle
    from pcam_nb.modelfile import OnnxModel, load_model, onnx_model, shipped_model
    from pcam_nb.predict import _prep
    torch.set_num_threads(2)
    tmp = Path(tempfile.mkdtemp(prefix='pcam_quant_'))
    ship = shipped_model()
    oof = pd.read_csv(ship/'oof_predictions.csv', dtype={'id': str})
    kg = read_kaggle(sample_path())
    X = np.stack([kg[i] for i in range(len(kg))]); pos = {k: i for i, k in enumerate(kg.ids)}
    rows = []
    P32, P8 = np.full(len(oof), np.nan), np.full(len(oof), np.nan)
    for fold in sorted(oof.fold.unique()):
        m = load_model(ship/f'fold-{fold}', fuse=True); info = m.info
        f32 = onnx_model(m, cache=tmp)
        held = oof.index[oof.fold == fold].values; train = oof.index[oof.fold != fold].values
        xi = lambda idx: _prep(X[[pos[oof.id[j]] for j in idx]], info).numpy()
        rng = np.random.default_rng(fold)
        calib = xi(rng.choice(train, n_calib, replace=False))
        class Reader(CalibrationDataReader):
            def __init__(self): self.it = iter(calib[i:i + 32] for i in range(0, len(calib), 32))
            def get_next(self):
                b = next(self.it, None); return None if b is None else {'x': b}
        pre, q = tmp/f'pre{fold}.onnx', tmp/f'int8-{fold}.onnx'
        quant_pre_process(str(f32.net.path), str(pre))
        quantize_static(str(pre), str(q), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        i8 = OnnxModel(q)
        xs = torch.from_numpy(xi(held))
        def probs(f): return np.concatenate([f(xs[i:i + batch]).softmax(1)[:, 1].numpy() for i in range(0, len(xs), batch)])
        def rate(f, n=4):
            b = xs[:batch]; f(b); t = time.perf_counter()
            for _ in range(n): f(b)
            return n*batch/(time.perf_counter() - t)
        P32[held], P8[held] = probs(f32), probs(i8)
        d = np.abs(P8[held] - P32[held])
        rows.append(dict(fold=fold, fp32_img_s=round(rate(f32)), int8_img_s=round(rate(i8)), max_dp=d.max(), p99_dp=np.quantile(d, .99),
                         mean_dp=d.mean(), auc_fp32=roc_auc_score(oof.label[held], P32[held]), auc_int8=roc_auc_score(oof.label[held], P8[held])))
        print(rows[-1], flush=True)
    t = pd.DataFrame(rows)
    print(t.to_string(index=False))
    print(f"out-of-fold AUC: float32 {roc_auc_score(oof.label, P32):.4f}, int8 {roc_auc_score(oof.label, P8):.4f}; "
          f"|dP| max {np.abs(P8 - P32).max():.4f}, 99th pct {np.quantile(np.abs(P8 - P32), .99):.4f}, "
          f"calls changed at {0.4409}: {int(((P8 >= .4409) != (P32 >= .4409)).sum())} of {len(oof)}")


if __name__ == '__main__': main(*map(int, sys.argv[1:]))
