"""A bare gevent WSGI server moving files: the transport's ceiling for the attachments benchmark (bench/files.py).

    python bench/baselines/bare_files.py PORT

`POST /files` reads the request body a 64 KiB block at a time and drops it (no multipart parsing, no type
check, no database); `GET /files/<n>` streams n bytes from memory in 255 KiB pieces (GridFS's chunk size);
`GET /health` answers ok. The same server (gevent's pywsgi) and the same client as the real server's runs,
so the ratio real / bare is what Flask, werkzeug's multipart parser, Pillow's check and GridFS cost.
"""
from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

from gevent import pywsgi  # noqa: E402

PIECE = 255 * 1024
DATA = bytes(range(256)) * (PIECE // 256)


def app(environ, start_response):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    if method == "POST" and path == "/files":
        stream, left = environ["wsgi.input"], int(environ.get("CONTENT_LENGTH") or 0)
        while left > 0:
            block = stream.read(min(65536, left))
            if not block:
                break
            left -= len(block)
        body = b'{"File": {"FileId": "x"}}'
        start_response("201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    if method == "GET" and path.startswith("/files/"):
        size = int(path.rsplit("/", 1)[1])
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(size))])
        return (DATA[:min(PIECE, size - sent)] for sent in range(0, size, PIECE))
    body = b'{"status": "ok"}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


if __name__ == "__main__":
    pywsgi.WSGIServer(("127.0.0.1", int(sys.argv[1])), app, log=None, backlog=1024).serve_forever()
