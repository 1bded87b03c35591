#!/usr/bin/env python
"""Carry the real 4k sample to a device machine (64 MiB per call) and rebuild it there as PCam's HDF5 train split.

    python bench/pack_sample.py pack $PCAM_SAMPLE .bench        # here: two halves, lossless WebP, about 32 MB each
    python bench/pack_sample.py unpack HALF_A HALF_B DEST       # there: DEST/camelyonpatch_level_2_split_train_{x,y}.h5

Lossless: every unpacked pixel equals the TIFF's. The halves go in ignored folders only (never commit the images).
"""
import io, sys
from pathlib import Path
import numpy as np
from PIL import Image

def pack(sample, dest):
    from pcam_nb.data.readers import read_kaggle
    src, dest = read_kaggle(sample), Path(dest); half = len(src)//2
    for part, rng in (('A', range(0, half)), ('B', range(half, len(src)))):
        blobs = []
        for i in rng:
            f = io.BytesIO(); Image.fromarray(src[i]).save(f, 'WEBP', lossless=True, quality=100, method=4); blobs.append(f.getvalue())
        d = dest/f'data{part}'; d.mkdir(parents=True, exist_ok=True)
        (d/'blob.bin').write_bytes(b''.join(blobs)); np.save(d/'off.npy', np.cumsum([0] + [len(b) for b in blobs]))
        np.save(d/'y.npy', src.labels[list(rng)])

def unpack(*args):
    import h5py
    src, dst = [Path(p) for p in args[:-1]], Path(args[-1]); dst.mkdir(parents=True, exist_ok=True)
    xs, ys = [], []
    for d in src:
        b, off = (d/'blob.bin').read_bytes(), np.load(d/'off.npy')
        xs += [np.asarray(Image.open(io.BytesIO(b[off[i]:off[i+1]])).convert('RGB')) for i in range(len(off) - 1)]
        ys.append(np.load(d/'y.npy'))
    x, y = np.stack(xs), np.concatenate(ys)
    with h5py.File(dst/'camelyonpatch_level_2_split_train_x.h5', 'w') as f: f.create_dataset('x', data=x)
    with h5py.File(dst/'camelyonpatch_level_2_split_train_y.h5', 'w') as f: f.create_dataset('y', data=y.reshape(-1, 1, 1, 1).astype(np.uint8))
    print('unpacked', x.shape, round(float(y.mean()), 4))

if __name__ == '__main__': {'pack': pack, 'unpack': unpack}[sys.argv[1]](*sys.argv[2:])
