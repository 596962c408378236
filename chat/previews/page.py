"""Reading a page's preview out of its HTML: Open Graph first (`og:title`, `og:description`, `og:site_name`,
`og:image`), then `<title>` and `<meta name="description">` (and Twitter's cards for the image)."""
from html.parser import HTMLParser
from urllib.parse import urljoin

LIMITS = {"Title": 300, "Description": 1000, "SiteName": 200}


class _Meta(HTMLParser):
    """Collects the meta tags and the first title of a page (stops caring after </head>)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta, self.title, self._in_title, self.done = {}, None, False, False

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        attrs = {name.lower(): (value or "") for name, value in attrs}
        if tag == "meta":
            key = (attrs.get("property") or attrs.get("name") or "").strip().lower()
            if key and "content" in attrs and key not in self.meta:
                self.meta[key] = attrs["content"]
        elif tag == "title" and self.title is None:
            self._in_title, self.title = True, ""
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _clean(text, limit):
    text = " ".join((text or "").split())
    return (text[:limit - 1] + "\u2026" if len(text) > limit else text) or None


def read_preview(html, page_url):
    """{"Title", "Description", "SiteName", "Image"} of an HTML page (str); each None when the page has none.
    Image is an absolute http(s) URL (relative ones are resolved against page_url)."""
    parser = _Meta()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup: keep what it found
        pass
    meta = parser.meta
    image = (meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image") or "").strip()
    image = urljoin(page_url, image) if image else None
    if image and not image.startswith(("http://", "https://")):
        image = None
    return {"Title": _clean(meta.get("og:title") or parser.title, LIMITS["Title"]),
            "Description": _clean(meta.get("og:description") or meta.get("description"), LIMITS["Description"]),
            "SiteName": _clean(meta.get("og:site_name"), LIMITS["SiteName"]),
            "Image": image}


def charset_of(content_type):
    """The charset a Content-Type names, else utf-8."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"
