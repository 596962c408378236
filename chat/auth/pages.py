"""The small pages browsers get from mailed links: `/verify`, `/reset-password` and `/cancel-email-change` (no web
client needed).

A page carries its link's token in its address, so it tells the browser to send no Referer anywhere and
allows nothing but its own inline style and a form posting back to this server.
"""
from flask import current_app, render_template_string, request

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}.ok{color:#17693a}.bad{color:#a4262c}label{display:block;margin:1rem 0}
input{display:block;width:100%;padding:.5rem;margin-top:.3rem;font:inherit;box-sizing:border-box}
button{padding:.5rem 1rem;font:inherit}</style></head>
<body><h1 class="{{ css }}">{{ title }}</h1><p>{{ text }}</p>
{% if form %}<form method="post" action="{{ form.action }}">
<input type="hidden" name="token" value="{{ form.token }}">
{% if form.button %}<button type="submit">{{ form.button }}</button>{% else %}
<label>New password <input type="password" name="password" autocomplete="new-password" minlength="8"
 maxlength="128" required autofocus></label>
<button type="submit">Set the new password</button>{% endif %}</form>{% endif %}
{% if client_url %}<p><a href="{{ client_url }}">Open the chat</a></p>{% endif %}</body></html>"""

HEADERS = {"Content-Type": "text/html; charset=utf-8", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
           "X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}


def wants_html():
    """True when the client prefers HTML to JSON (a browser following a mailed link)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]


def page(status, title, text, css, form=None, link_to_client=True):
    """An HTML answer: a heading (css "ok" or "bad"), a sentence, an optional form posting the token ({"action",
    "token"}: a new password; with "button": that button alone) and a link to the web client."""
    client_url = (current_app.config["CLIENT_URL"] or current_app.config["PUBLIC_URL"]) if link_to_client else None
    html = render_template_string(PAGE, title=title, text=text, css=css, form=form, client_url=client_url)
    return html, status, HEADERS
