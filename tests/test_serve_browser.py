"""The `serve` page in a real headless browser: Debian's Chromium driven by Playwright.

Type a sentence, submit, read the prediction, check the words and the three explanations, check
that the attention heatmap is drawn (canvas pixels) and redraws for another head, that a sentence
holding HTML stays text, and that the page loads nothing from anywhere else.  A screenshot is
written to the test's tmp folder (and copied to $MINIGRAD_SCREENSHOT when that is set).

Skipped, saying why, when Playwright (pip: playwright, in the dev extra) or Chromium
(Debian: apt-get install chromium) is missing; `.ci/run` installs both.  Playwright's own browser
download (`playwright install`) is never used: it drives the system Chromium by its path.
"""
import os
import shutil
from pathlib import Path

import pytest

from serve_helpers import request, running_server, train_tiny_run

sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright (pip install playwright, in the "
                                                             "dev extra) to drive the browser")
CHROMIUM = os.environ.get("MINIGRAD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).is_file():
    pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium, or set MINIGRAD_CHROMIUM)",
                allow_module_level=True)

# a closed network: nothing in the background, no QUIC, no first-run or sync machinery; no GPU, no sandbox (root in CI)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]          # a container's small /dev/shm must not crash the renderer
TEXT = "the film was not good"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# JavaScript run in the page: what the heatmap canvas shows
CANVAS_PIXELS = """() => {
  const canvas = document.getElementById("attention");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let coloured = 0, hash = 0;
  const colours = new Set();
  for (let k = 0; k < data.length; k += 4) {
    if (data[k] < 250 || data[k + 1] < 250 || data[k + 2] < 250) coloured++;
    colours.add((data[k] << 16) | (data[k + 1] << 8) | data[k + 2]);
    hash = (hash * 31 + data[k] + 7 * data[k + 1] + 13 * data[k + 2]) % 1000000007;
  }
  return {coloured, total: data.length / 4, colours: colours.size, hash, cells: Number(canvas.dataset.cells),
          head: canvas.dataset.head};
}"""
CELL_BRIGHTNESS = """([i, j]) => {
  const {margin, cell} = geometry;
  const [r, g, b] = document.getElementById("attention").getContext("2d")
    .getImageData(margin + (j + 0.5) * cell, margin + (i + 0.5) * cell, 1, 1).data;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    run = train_tiny_run(tmp_path_factory.mktemp("runs") / "tiny")
    with running_server(run) as server:
        yield server


def test_the_page_explains_a_typed_sentence(server, tmp_path):
    base = server.url
    requested, problems = [], []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1100, "height": 900}, timeout=30_000)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.on("request", lambda r: requested.append(r.url))
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
            page.goto(base + "/")
            sync_api.expect(page.locator("#run")).to_contain_text("classes negative, positive")

            page.fill("#text", TEXT)
            page.click("#submit")
            page.wait_for_selector("body[data-state=done]")

            # the prediction is the model's (as /predict gives it)
            expected = request(base + "/predict", {"texts": [TEXT]})[1]["results"][0]
            assert page.text_content("#prediction") == expected["label"]
            assert page.text_content("#probability") == f"{expected['probability']:.3f}"

            # the words, coloured by saliency, and the three methods
            words = page.locator("#words .token")
            assert words.all_text_contents() == TEXT.split()
            assert all(float(s) == float(s) for s in words.evaluate_all("spans => spans.map(s => s.dataset.score)"))
            rows = page.locator("#methods tbody tr")
            assert rows.evaluate_all("rows => rows.map(r => r.dataset.method)") == ["saliency", "occlusion", "lime"]
            for index in range(3):
                assert rows.nth(index).locator(".token").count() == len(TEXT.split())
            assert "Spearman" in page.text_content("#agreement")

            # the heatmap: 6 x 6 cells drawn, brighter where the weight is larger, redrawn for another head
            explained = request(base + "/explain", {"text": TEXT})[1]
            first = page.evaluate(CANVAS_PIXELS)
            assert first["cells"] == 36 and first["head"] == "0"
            assert first["coloured"] > 0.3 * first["total"] and first["colours"] > 20
            weights = explained["attention"][0][0]
            cells = [(i, j) for i in range(6) for j in range(6)]
            brightest, darkest = max(cells, key=lambda c: weights[c[0]][c[1]]), min(cells, key=lambda c: weights[c[0]][c[1]])
            assert page.evaluate(CELL_BRIGHTNESS, list(brightest)) > page.evaluate(CELL_BRIGHTNESS, list(darkest))
            assert page.locator("#head option").count() == 3                   # 2 heads and their mean
            page.select_option("#head", "1")
            second = page.evaluate(CANVAS_PIXELS)
            assert second["head"] == "1" and second["cells"] == 36 and second["hash"] != first["hash"]
            page.select_option("#head", "mean")
            assert page.evaluate(CANVAS_PIXELS)["head"] == "mean"
            page.select_option("#head", "0")

            screenshot = tmp_path / "serve_page.png"
            page.screenshot(path=str(screenshot), full_page=True)
            assert screenshot.read_bytes()[:8] == PNG_MAGIC and screenshot.stat().st_size > 20_000
            if os.environ.get("MINIGRAD_SCREENSHOT"):
                shutil.copyfile(screenshot, os.environ["MINIGRAD_SCREENSHOT"])

            # a sentence holding HTML is shown as text, never run
            page.fill("#text", '<img src=x onerror="window.ran = 1"> fine')
            page.click("#submit")
            page.wait_for_selector("body[data-state=done]")
            assert page.locator("#words img, #methods img").count() == 0
            assert page.evaluate("window.ran") is None
            assert "fine" in page.locator("#words .token").all_text_contents()

            # an empty sentence is refused with a message
            page.fill("#text", "   ")
            page.click("#submit")
            sync_api.expect(page.locator("#error")).to_have_text("Type a sentence first.")
        finally:
            browser.close()
    assert not problems, problems
    outside = [url for url in requested if not url.startswith(base + "/")]
    assert not outside, f"the page asked for something outside the server: {outside}"
