#!/usr/bin/env python
"""Start JupyterLab as README says (`bash tools/lab.sh PORT`) and check, over HTTP, what a student would need from it.

    python tools/lab_test.py

Waits for the address it prints (http://127.0.0.1:PORT/lab?token=...), then asks the server with that token for the
JupyterLab page, the `python3` kernelspec and the walkthrough notebook; starts a kernel and deletes it again. Stops the
server (and everything it started) at the end, prints the time and exits 1 when anything is missing.
"""
import json, os, re, signal, socket, subprocess, sys, threading, time, urllib.error, urllib.request
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def get(url, method='GET'):
    with urllib.request.urlopen(urllib.request.Request(url, method=method, data=b'{}' if method == 'POST' else None), timeout=30) as r:
        return r.status, r.read()

def main()->int:
    t0, port = time.time(), free_port()
    proc = subprocess.Popen(['bash', str(root/'tools'/'lab.sh'), str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    log, url = [], None
    guard = threading.Timer(240, lambda: os.killpg(proc.pid, signal.SIGKILL)); guard.start()   # a server that hangs fails the test
    try:
        deadline = time.time() + 180
        while url is None and time.time() < deadline and proc.poll() is None:
            line = proc.stdout.readline(); log.append(line)
            m = re.search(rf'(http://127\.0\.0\.1:{port}/lab\?token=\w+)', line)
            if m: url = m.group(1)
        if url is None: print('lab_test: no address printed\n' + ''.join(log[-30:]), file=sys.stderr); return 1
        base, tok = url.split('/lab?token=')
        q = f'?token={tok}'
        for _ in range(60):   # the address is logged a moment before the port answers on a busy machine
            try: st, page = get(url); break
            except urllib.error.URLError as e:
                if 'refused' not in str(e): raise
                time.sleep(0.5)
        else: print('lab_test: the printed address never answered\n' + ''.join(log[-30:]), file=sys.stderr); return 1
        assert st == 200 and b'JupyterLab' in page, 'the JupyterLab page'
        specs = json.loads(get(f'{base}/api/kernelspecs{q}')[1])
        assert 'python3' in specs['kernelspecs'], f"no python3 kernel: {list(specs['kernelspecs'])}"
        wt = json.loads(get(f'{base}/api/contents/06_walkthrough.ipynb{q}')[1])
        assert wt['type'] == 'notebook' and wt['content']['cells'], 'the walkthrough'
        k = json.loads(get(f'{base}/api/kernels{q}', 'POST')[1])
        get(f"{base}/api/kernels/{k['id']}{q}", 'DELETE')
        print(f"lab_test: JupyterLab on 127.0.0.1:{port} serves nbs/, the walkthrough and a python3 kernel ({time.time() - t0:.0f} s)")
        return 0
    except AssertionError as e: print(f'lab_test: FAILED: {e}', file=sys.stderr); return 1
    finally:
        guard.cancel()
        try: os.killpg(proc.pid, signal.SIGTERM); proc.wait(30)
        except ProcessLookupError: pass
        except subprocess.TimeoutExpired: os.killpg(proc.pid, signal.SIGKILL)

if __name__ == '__main__': sys.exit(main())
