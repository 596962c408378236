"""Web pages for link-preview tests: a local threaded HTTP server whose paths answer what a test sets.

`PageServer.page(path, body, content_type, status, headers)` serves one answer at path; `redirect(path, to)`
a 302; `trickle(path)` sends a page one byte at a time for ever. `hits` lists the paths requested, in order, so a
test sees what the server fetched (or that it fetched nothing). The `page_server` fixture closes it afterwards.
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


class PageServer:
    """A local web server; `url` is its base (http://127.0.0.1:<port>)."""

    def __init__(self):
        self.routes, self.hits = {}, []
        self.closed = threading.Event()
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (http.server's naming)
                pages.hits.append(self.path)
                status, headers, body = pages.routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"no"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if callable(body):
                    self.end_headers()
                    body(self.wfile, pages.closed)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path, body, content_type="text/html; charset=utf-8", status=200, headers=None):
        """Serve body (str or bytes) at path; returns its full URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, {"Content-Type": content_type, **(headers or {})}, data)
        return self.url + path

    def redirect(self, path, to, status=302):
        self.routes[path] = (status, {"Location": to}, b"")
        return self.url + path

    def trickle(self, path):
        """A page that never ends: a byte every 0.2 s (until the test closes the server)."""
        def body(out, closed):
            try:
                out.write(b"<html><head><title>slow")
                while not closed.wait(0.2):
                    out.write(b"x")
                    out.flush()
            except OSError:
                return
        self.routes[path] = (200, {"Content-Type": "text/html"}, body)
        return self.url + path

    def close(self):
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def page_server():
    server = PageServer()
    yield server
    server.close()

