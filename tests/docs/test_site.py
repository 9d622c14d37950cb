"""The documentation site (issue 18 item 8): `make docs` builds it offline with mkdocs
--strict (warnings fail), and its notebook pages work in a real browser.

The build reuses the notebook runs of this session (tests/conftest.py), so `make test`
executes each notebook once. The browser is Debian's headless chromium driven by
selenium through Debian's chromedriver (scripts/install-chromium.sh, called by `make
test`); nothing is downloaded when the tests run.
"""

from __future__ import annotations

import base64
import re
import shutil
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1280,1000"]
SVG_IMAGE = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')
# Notebook pages whose outputs include graph pictures (viz figures or exercise verdicts).
GRAPH_PAGES = ["notebooks/01_neuron_and_scalar_autograd.html",
               "notebooks/02_computation_graph_and_backprop.html",
               "notebooks/05_activations_and_vanishing_gradients.html"]


@pytest.fixture(scope="module")
def site(executed_notebook, build_site_module, tmp_path_factory):
    """The site, built strict into a temporary folder from this session's notebook runs."""
    executed = {}
    for path in build_site_module.NOTEBOOKS:
        notebook, _, error = executed_notebook(path)
        if error is not None:
            pytest.fail(f"site: {path.name} fails, so its page cannot be built:\n{error}",
                        pytrace=False)
        executed[path] = notebook
    start = time.perf_counter()
    site_dir = build_site_module.build(executed, strict=True,
                                       site_dir=tmp_path_factory.mktemp("site"))
    print(f"site built in {time.perf_counter() - start:.1f} s (notebooks already executed)")
    return site_dir


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromedriver are not installed "
                    "(bash scripts/install-chromium.sh, which make test runs)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_site_has_the_readme_docs_api_reference_and_every_notebook(site, build_site_module):
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    for page in ["index.html", "docs/design.html", "docs/reliability.html",
                 "notebooks/index.html", "notebooks/exercises/index.html"]:
        assert page in pages, f"site: no {page} in {sorted(pages)}"
    for path in build_site_module.NOTEBOOKS:
        page = path.relative_to(ROOT).with_suffix(".html").as_posix()
        assert page in pages, f"site: no page for {path.name}"
    # The API reference comes from the docstrings.
    api = {name: (site / "api" / f"{name}.html").read_text(encoding="utf-8")
           for name in ["autograd", "testing", "viz", "nn", "optim"]}
    assert "check_exercise" in api["testing"] and "ExerciseVerdict" in api["testing"]
    assert "fit_restarts" in api["nn"] and "backward_steps" in api["viz"]
    assert "Adam" in api["optim"] and "gradcheck" in api["autograd"]
    # An exercise page as handed out: the check cell's verdict says what to do.
    exercise = (site / "notebooks" / "exercises" / "01_tanh.html").read_text("utf-8")
    assert "Not done yet: my_tanh: fill in backward" in exercise
    # Executed notebooks: a plot as an image, a graph picture as inline SVG.
    page_03 = (site / "notebooks" / "03_gradient_descent_variants.html").read_text("utf-8")
    assert "data:image/png;base64," in page_03
    page_01 = (site / GRAPH_PAGES[0]).read_text(encoding="utf-8")
    pictures = [base64.b64decode(data).decode("utf-8") for data in SVG_IMAGE.findall(page_01)]
    assert len(pictures) == 3 and all('class="node ' in svg for svg in pictures)


def _graph_pictures(browser):
    """The page's graph pictures as the browser shows them: inline SVGs (the player's
    frames) and SVG images (a Figure's output), each with its node count."""
    inline = [(svg, len(svg.find_elements(By.CSS_SELECTOR, "g.node")))
              for svg in browser.find_elements(By.CSS_SELECTOR, "svg")
              if svg.find_elements(By.CSS_SELECTOR, "g.node")]
    images = []
    for image in browser.find_elements(By.CSS_SELECTOR, 'img[src^="data:image/svg+xml"]'):
        svg = base64.b64decode(image.get_attribute("src").split(",", 1)[1]).decode("utf-8")
        images.append((image, svg.count('class="node ')))  # Graphviz: "node variable ..."
    return inline + images


@pytest.mark.parametrize("page", GRAPH_PAGES)
def test_site_notebook_page_renders_graph_pictures_in_a_browser(site, browser, page):
    browser.get((site / page).as_uri())
    pictures = _graph_pictures(browser)
    assert pictures, f"{page}: no graph picture on the page"
    for element, nodes in pictures:
        assert nodes > 0, f"{page}: a graph picture without nodes"
        if element.tag_name == "img":  # decoded and laid out by the browser
            width = browser.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth", element)
            assert width > 0, f"{page}: an SVG picture the browser could not draw"
    shown = [e for e, _ in pictures if e.is_displayed() and e.size["width"] > 0]
    assert shown, f"{page}: no graph picture is visible"


def test_site_backward_steps_player_next_button_changes_the_frame(site, browser):
    browser.get((site / GRAPH_PAGES[1]).as_uri())
    player = browser.find_element(By.CSS_SELECTOR, ".tg-steps")
    counter = player.find_element(By.CSS_SELECTOR, ".tg-count")
    frames = player.find_elements(By.CSS_SELECTOR, ".tg-frame")

    def shown():
        return [i for i, frame in enumerate(frames) if frame.is_displayed()]

    assert counter.text == f"step 0 of {len(frames) - 1}" and shown() == [0]
    button = player.find_element(By.CSS_SELECTOR, "[data-act=next]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    assert counter.text == f"step 1 of {len(frames) - 1}" and shown() == [1]
    assert frames[1].find_elements(By.CSS_SELECTOR, "g.node")


def test_site_typesets_the_notebooks_formulas_offline(site, browser):
    # MathJax comes with the site (jupyter-server-mathjax), not from a CDN.
    browser.get((site / GRAPH_PAGES[1]).as_uri())
    typeset = WebDriverWait(browser, 30).until(
        lambda b: b.execute_script("return document.querySelectorAll('.MathJax').length"))
    assert typeset > 20, f"only {typeset} formulas typeset on notebook 02's page"
