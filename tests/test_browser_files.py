"""Attachments in the web client, between two people in real Chromium (see tests/test_browser.py for the set-up):
a real image and a real PDF picked with the attach button (upload progress in the tray), an image dropped on
the conversation and one pasted into the message box; the other side sees the image previews (a click opens
the full image) and a file card with name, size and a download link that downloads the very bytes."""
import io
import re
from pathlib import Path

import pytest
import test_browser as web
from PIL import Image, ImageDraw

pytestmark = pytest.mark.live
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server
screenshot = web.screenshot


def picture(width=800, height=600):
    """A real photo-like PNG: a gradient with shapes (so the thumbnail has something to show)."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        draw.line([(0, y), (width, y)], fill=(40 + y * 150 // height, 90, 200 - y * 150 // height))
    draw.ellipse([width // 4, height // 4, width * 3 // 4, height * 3 // 4], fill=(250, 200, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def small_png(color):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "PNG")
    return out.getvalue()


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/MediaBox[0 0 200 200]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture(scope="module")
def pair(playwright_api, browser, web_server, smtp):
    """Alice and Bob, signed up, confirmed and signed in, each in their own browser context."""
    yield from web.signed_in(playwright_api, browser, web_server, smtp)


def loaded(locator):
    """Whether an <img> has loaded real pixels."""
    return locator.evaluate("img => img.complete && img.naturalWidth > 0")


def test_an_image_and_a_pdf_go_from_alice_to_bob(playwright_api, pair, tmp_path):
    expect = playwright_api.expect
    alice, bob = pair
    a, b = alice.page, bob.page
    alice.start_chat(expect, bob, "Here are the photo and the report")

    # Alice picks two files with the attach button: the tray shows them, uploaded, with their sizes.
    photo, report = tmp_path / "holiday.png", tmp_path / "report.pdf"
    photo.write_bytes(picture())
    report.write_bytes(PDF)
    a.set_input_files("#attach-input", [str(photo), str(report)])
    tray = a.locator("#attachment-tray li")
    expect(tray).to_have_count(2)
    expect(a.locator("#attachment-tray li.done")).to_have_count(2)
    expect(tray.first.locator(".upload-name")).to_have_text("holiday.png")
    a.click("#send")  # no text: the files alone
    expect(a.locator("#attachment-tray")).to_be_hidden()

    # Bob sees the preview of the image and the PDF's card, live.
    last = b.locator("#message-list .msg").last
    preview = last.locator(".attachment.image img")
    expect(preview).to_be_visible()
    b.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=preview.element_handle())
    assert preview.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [320, 240]
    card = last.locator(".attachment.file")
    expect(card.locator(".file-name")).to_have_text("report.pdf")
    expect(card.locator(".file-size")).to_have_text(f"{len(PDF)} B")
    expect(a.locator("#message-list .msg").last.locator(".attachment.image img")).to_be_visible()
    expect(bob.entry(alice.username)).to_contain_text("📎 holiday.png, report.pdf")

    # The download link downloads the very bytes; a click on the preview opens the full image.
    with b.expect_download() as download:
        card.locator(".file-download").click()
    assert download.value.suggested_filename == "report.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    preview.click()
    viewer = b.locator("#image-viewer")
    expect(viewer).to_be_visible()
    full = b.locator("#image-viewer-img")
    b.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=full.element_handle())
    assert full.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [800, 600]
    expect(b.locator("#image-viewer-name")).to_contain_text("holiday.png")
    screenshot(b, "attachments-viewer")
    b.click("#image-viewer-close")
    expect(viewer).to_be_hidden()
    b.mouse.move(600, 400)
    screenshot(b, "attachments")

    # Bob drops an image on the conversation, and pastes another into the message box, with a caption.
    for how, color in (("drop", (200, 40, 40)), ("paste", (40, 160, 60))):
        b.evaluate("""([how, bytes]) => {
            const file = new File([new Uint8Array(bytes)], how === "drop" ? "dropped.png" : "image.png",
                                  { type: "image/png" });
            const data = new DataTransfer();
            data.items.add(file);
            if (how === "drop") {
                const zone = document.querySelector("#messages");
                zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
                zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
            } else {
                document.querySelector("#composer-input").dispatchEvent(
                    new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
            }
        }""", [how, list(small_png(color))])
    expect(b.locator("#attachment-tray li.done")).to_have_count(2)
    expect(b.locator("#attachment-tray li").first.locator(".upload-name")).to_have_text("dropped.png")
    expect(b.locator("#attachment-tray li").last.locator(".upload-name")).to_have_text(
        re.compile(r"^pasted-.*\.png$"))
    bob.send("Two more")
    sent = alice.message("Two more")
    expect(sent.locator(".attachment.image img")).to_have_count(2)
    for image in sent.locator(".attachment.image img").all():
        a.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def test_a_refused_file_shows_why_and_is_not_sent(playwright_api, pair, tmp_path):
    expect = playwright_api.expect
    alice, _bob = pair
    a = alice.page
    page = tmp_path / "page.png"
    page.write_bytes(b"<html><script>alert(1)</script></html>")
    a.set_input_files("#attach-input", [str(page)])
    failed = a.locator("#attachment-tray li.failed")
    expect(failed).to_contain_text("HTML, SVG and XML are not accepted.")
    failed.get_by_role("button", name="Remove page.png").click()
    expect(a.locator("#attachment-tray")).to_be_hidden()
