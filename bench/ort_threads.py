#!/usr/bin/env python
"""ONNX Runtime's thread spinning on a small CPU (issue 30): `pcam_predict` end to end with the intra-op threads allowed to spin or not.

    python bench/ort_threads.py DATA_FOLDER [REPEATS]      # e.g. $PCAM_SAMPLE (4,000 patches)

Each setting runs `pcam_predict --quiet` on DATA_FOLDER with the shipped model in a fresh process (so start-up counts, as for a user),
alternating, REPEATS times; prints wall, user and system seconds and images/s. The setting is applied by the environment variable
`PCAM_ORT_SPIN` (0 or 1), which `modelfile.OnnxModel` reads.
"""
import os, resource, subprocess, sys, tempfile, time
from pathlib import Path

data, reps = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2
exe = Path(sys.executable).parent/'pcam_predict'
n = sum(1 for _ in (data/'train').glob('*.tif')) if (data/'train').is_dir() else None
rows = []
with tempfile.TemporaryDirectory() as tmp:
    for r in range(reps):
        for spin in ('1', '0'):
            before = resource.getrusage(resource.RUSAGE_CHILDREN); t = time.time()
            p = subprocess.run([exe, '--images', data/'train', '--out', Path(tmp)/f'{spin}-{r}.csv', '--quiet'], capture_output=True, text=True,
                               env=dict(os.environ, PCAM_ORT_SPIN=spin))
            wall, after = time.time() - t, resource.getrusage(resource.RUSAGE_CHILDREN)
            if p.returncode: sys.exit(p.stderr)
            rows.append((spin, wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime))
            print(f"spin={spin} run {r + 1}: wall {wall:.1f} s, user {rows[-1][2]:.1f} s, sys {rows[-1][3]:.1f} s"
                  + (f", {n/wall:.0f} images/s" if n else ''), flush=True)
for spin in ('1', '0'):
    w = sorted(x[1] for x in rows if x[0] == spin)[0]
    print(f"spin={spin}: best wall {w:.1f} s" + (f" ({n/w:.0f} images/s)" if n else ''))
