"""Link previews: a page's Open Graph / HTML metadata fetched by the server from a real local web server
(tests/page_server.py, allowed with WEBHOOK_ALLOW_INSECURE_LOCAL), the signed image proxy, the limits (1 MiB,
5 s, image size and type), the cache, bad input (422, nothing changed), and the outbound address rules with every
address form the push tests use, directly and behind a redirect (null fields, and no request made)."""
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import test_notify
import test_public_address
from page_server import PNG

from conftest import bearer, error_code, unchanged

OG_PAGE = """<!doctype html><html><head><title>Plain title</title>
<meta property="og:title" content="  The  OG title ">
<meta property="og:description" content="What it is about">
<meta property="og:site_name" content="Example Site">
<meta property="og:image" content="/img/cover.png">
</head><body><p>body</p></body></html>"""
NULLS = {"Title": None, "Description": None, "SiteName": None, "ImageUrl": None}


@pytest.fixture
def local_app(make_app):
    return make_app(WEBHOOK_ALLOW_INSECURE_LOCAL=True)


@pytest.fixture
def reader(local_app, smtp):
    from conftest import Accounts
    return Accounts(local_app.test_client(), smtp).user()


def preview(app, user, url):
    return app.test_client().get("/link-preview", query_string={"url": url}, headers=bearer(user["access"]))


def test_open_graph_fields_and_the_image_through_the_signed_proxy(local_app, reader, page_server):
    url = page_server.page("/article", OG_PAGE)
    page_server.page("/img/cover.png", PNG, "image/png")
    answer = preview(local_app, reader, url)
    assert answer.status_code == 200
    body = answer.get_json()
    image_url = body.pop("ImageUrl")
    assert body == {"Url": url, "Title": "The OG title", "Description": "What it is about",
                    "SiteName": "Example Site"}
    assert image_url.startswith("http://chat.test/link-preview/image?")  # the server's own proxy, not the site
    query = parse_qs(urlsplit(image_url).query)
    assert query["url"] == [page_server.url + "/img/cover.png"]
    image = local_app.test_client().get(urlsplit(image_url).path + "?" + urlsplit(image_url).query)  # no token
    assert image.status_code == 200 and image.data == PNG and image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    # Not an open proxy: another URL, or a forged signature, is refused without fetching anything.
    hits = len(page_server.hits)
    for forged in ({"url": page_server.url + "/img/other.png", "sig": query["sig"][0]},
                   {"url": query["url"][0], "sig": "0" * 64}):
        refused = local_app.test_client().get("/link-preview/image", query_string=forged)
        assert refused.status_code == 404 and error_code(refused) == "not_found"
    assert len(page_server.hits) == hits


def test_html_title_and_meta_description_when_there_is_no_open_graph(local_app, reader, page_server):
    url = page_server.page("/plain", "<html><head><title> Hello &amp; welcome </title>"
                                     "<meta name='description' content='A plain page'></head><body></body></html>")
    assert preview(local_app, reader, url).get_json() == {
        "Url": url, "Title": "Hello & welcome", "Description": "A plain page", "SiteName": None, "ImageUrl": None}


def test_previews_are_cached(local_app, reader, page_server):
    url = page_server.page("/cached", OG_PAGE)
    first = preview(local_app, reader, url).get_json()
    assert preview(local_app, reader, url).get_json() == first
    assert page_server.hits.count("/cached") == 1


def test_redirects_are_followed_and_checked(local_app, reader, page_server):
    target = page_server.page("/final", "<title>Arrived</title>")
    url = page_server.redirect("/start", target)
    assert preview(local_app, reader, url).get_json()["Title"] == "Arrived"
    for forbidden in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::ffff:10.0.0.1]/",
                      "http://[fd12:3456::1]/", "file:///etc/passwd", "gopher://127.0.0.1/"):
        url = page_server.redirect(f"/to-{len(page_server.routes)}", forbidden)
        assert preview(local_app, reader, url).get_json() == {"Url": url, **NULLS}, forbidden


@pytest.mark.parametrize("case", ["not_html", "status", "too_late", "slow"])
def test_pages_that_cannot_be_previewed_answer_null_fields(local_app, reader, page_server, case):
    if case == "not_html":
        url = page_server.page("/x", '{"title": "json"}', "application/json")
    elif case == "status":
        url = page_server.page("/x", "<title>gone</title>", status=410)
    elif case == "too_late":  # the title only after the first MiB: never read
        url = page_server.page("/x", "<html><head><!--" + "x" * (1024 * 1024) + "--><title>late</title></head>")
    else:
        url = page_server.trickle("/x")
    started = time.monotonic()
    answer = preview(local_app, reader, url)
    assert answer.status_code == 200 and answer.get_json() == {"Url": url, **NULLS}
    assert time.monotonic() - started < 6.5  # at most 5 s of fetching


@pytest.mark.parametrize("case", ["svg", "lying", "too_large", "not_found"])
def test_the_image_proxy_passes_only_small_real_images(make_app, smtp, page_server, case):
    from conftest import Accounts
    app = make_app(WEBHOOK_ALLOW_INSECURE_LOCAL=True, PREVIEW_IMAGE_MAX_BYTES=4096)
    user = Accounts(app.test_client(), smtp).user()
    if case == "svg":
        page_server.page("/i", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
                         "image/svg+xml")
    elif case == "lying":
        page_server.page("/i", b"<html>not a png</html>", "image/png")
    elif case == "too_large":
        page_server.page("/i", PNG + b"\0" * 5000, "image/png")
    url = page_server.page("/p", '<meta property="og:image" content="/i">')
    image_url = preview(app, user, url).get_json()["ImageUrl"]
    parts = urlsplit(image_url)
    answer = app.test_client().get(parts.path + "?" + parts.query)
    assert answer.status_code == 404 and error_code(answer) == "not_found"


@pytest.mark.parametrize("query", [
    {}, {"url": ""}, {"url": "ftp://example.com/x"}, {"url": "javascript:alert(1)"}, {"url": "example.com"},
    {"url": "http://"}, {"url": "https://example.com/" + "a" * 2100}, {"url": "http://exa mple.com/"},
    {"url": "http://example.com:99999/"}, {"url": "https://exämple.com/"},
])
def test_bad_input_is_422_and_changes_nothing(local_app, reader, page_server, query):
    db = local_app.extensions["chat.store"].db
    with unchanged(db, "link_previews"):
        answer = local_app.test_client().get("/link-preview", query_string=query, headers=bearer(reader["access"]))
    assert answer.status_code == 422 and error_code(answer) == "validation_error", answer.get_json()


def test_a_token_is_required(local_app):
    answer = local_app.test_client().get("/link-preview", query_string={"url": "https://example.com/"})
    assert answer.status_code == 401


# The outbound rules with the test setting off: every address form of the push tests.
HOSTS = list(dict.fromkeys(test_public_address.NOT_PUBLIC + ["localhost", "127.8.9.10", "2130706433", "0x7f.1",
                                                             "no-such-host.invalid"]))
URLS = [f"{scheme}://[{h}]/x" if ":" in h else f"{scheme}://{h}/x" for h in HOSTS for scheme in ("http", "https")]
URLS += [u.replace("/push", "/page") for u in test_notify.REFUSED if u.startswith("https://")]


@pytest.mark.parametrize("url", URLS)
def test_non_public_addresses_are_never_fetched(make_app, smtp, url):
    from conftest import Accounts
    app = make_app()  # WEBHOOK_ALLOW_INSECURE_LOCAL off
    user = Accounts(app.test_client(), smtp).user()
    answer = preview(app, user, url)
    assert answer.status_code == 200 and answer.get_json() == {"Url": url, **NULLS}


def test_a_local_page_is_not_even_contacted_without_the_test_setting(make_app, smtp, page_server):
    from conftest import Accounts
    app = make_app()
    user = Accounts(app.test_client(), smtp).user()
    url = page_server.page("/secret", OG_PAGE)
    assert preview(app, user, url).get_json() == {"Url": url, **NULLS}
    assert page_server.hits == []
