"""Read speed and memory of a patch source (nbs/01d_bench_data.ipynb): imported there and by its fresh single-threaded processes."""
import resource, time
import numpy as np, torch
from pcam_nb.data.block import pcam_dls

def _peak_mb()->float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024

def bench_source(
    src,              # a labelled patch source (`read_kaggle`, `read_h5`, ...)
    n:int=4000,       # patches to read in each measurement
    bs:int=64,        # batch size of the DataLoader measurement
    seed:int=0,       # order of the random reads
)->dict:              # patches/s of each access path, and memory in MB
    "Patches per second of `src` read one at a time in random order, in batches, and through `pcam_dls` with augmentation"
    n = min(n, len(src))
    rss0 = _peak_mb()
    idx = np.random.default_rng(seed).permutation(len(src))[:n]
    t = time.perf_counter()
    for i in idx: src[int(i)]
    res = dict(n_source=len(src), n=n, threads=torch.get_num_threads(), random_per_s=n/(time.perf_counter() - t))
    if hasattr(src, 'get_many'):
        t = time.perf_counter()
        for s in range(0, n, 256): src.get_many(idx[s:s+256])
        res['batched_per_s'] = n/(time.perf_counter() - t)
    dls = pcam_dls(src, bs=bs, seed=seed)
    t, k = time.perf_counter(), 0
    for xb, _ in dls.train:
        k += len(xb)
        if k >= n: break
    res['loader_per_s'] = k/(time.perf_counter() - t)
    res.update(rss_before_mb=rss0, rss_peak_mb=_peak_mb(), rss_growth_mb=_peak_mb() - rss0)
    return res
