"""The raw-socket baseline without Node: the same HTTP request written to the sink by a plain
Python socket loop (readinto a reused 1 MiB buffer, sendall), no HTTP client, so the loop costs
little more than its syscalls. Run by bench/run.js when python3 is present; takes the same argv
as the Node runners (single mode only) and prints one JSON line like them."""
import json, os, resource, secrets, socket, sys, time
from urllib.parse import urlsplit

CHUNK = 1 << 20


def main(mode, url, path, *_):
    assert mode == 'single', 'raw_socket.py supports single mode only'
    u = urlsplit(url)
    size = os.stat(path).st_size
    boundary = '----bench' + secrets.token_hex(12)
    pre = (f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nupload-task benchmark\r\n'
           f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{os.path.basename(path)}"\r\n'
           'Content-Type: application/octet-stream\r\n\r\n').encode()
    post = f'\r\n--{boundary}--\r\n'.encode()
    head = (f'POST {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n'
            f'Content-Type: multipart/form-data; boundary={boundary}\r\n'
            f'Content-Length: {len(pre) + size + len(post)}\r\nConnection: close\r\n\r\n').encode()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    with socket.create_connection((u.hostname, u.port)) as s, open(path, 'rb', buffering=0) as f:
        s.sendall(head + pre)
        while True:
            n = f.readinto(buf)
            if not n:
                break
            s.sendall(view[:n])
        s.sendall(post)
        response = b''
        while chunk := s.recv(65536):
            response += chunk
    wall = (time.perf_counter() - t0) * 1000
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    body = json.loads(response.split(b'\r\n\r\n', 1)[1])
    if body.get('error') or body['bytes'] <= size:
        raise SystemExit(f'sink: {body}')
    print(json.dumps({
        'client': 'raw socket (python)', 'mode': mode, 'wallMs': wall,
        'cpuMs': (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000,
        'maxRssKiB': r1.ru_maxrss, 'bytes': body['bytes'], 'chunked': False,
        'sinkCpuMs': body['sinkCpuMs'], 'progressEvents': None,
    }))


main(*sys.argv[1:])
