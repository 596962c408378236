"""Security headers on every response; HTML pages get a Content-Security-Policy of their own.

The web client's page sets a stricter policy itself (chat/web.py); these are the defaults for the
rest: the /verify page and any error page, and `nosniff` everywhere.
"""
HTML_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")


def register_security_headers(app):
    """Add the headers after every request (without replacing what a view set on purpose)."""

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", HTML_CSP)
            headers.setdefault("X-Frame-Options", "DENY")
            headers.setdefault("Referrer-Policy", "no-referrer")
            headers.setdefault("Cache-Control", "no-store")
        return response
