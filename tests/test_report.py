"""The HTML report of the example run renders in headless Chromium: no broken images, no console errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import write_config

from radiovector.cli import main

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    config = write_config(tmp)  # workdir tmp/work, so reports land in tmp/reports
    try:
        main(["run", "--config", str(config), "--store", str(tmp / "store"), "--json"])
    except SystemExit as exc:
        assert not exc.code
    reports = sorted((tmp / "reports").glob("*.html"))
    assert reports, "the run wrote no report"
    return reports[-1]


def test_report_has_every_section_and_captions(report_path: Path) -> None:
    page = report_path.read_text()
    for heading in ("Top findings", "Inputs", "Rejected rows", "Targets", "Candidates", "Pharmacokinetics",
                    "Provenance"):
        assert f"<h2>{heading}</h2>" in page, heading
    assert page.count("<img") == page.count("<figcaption>") > 0


def test_report_renders_in_headless_chromium(report_path: Path) -> None:
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("RADIOVECTOR_REQUIRE_BROWSER"):
            pytest.fail("chromium and chromedriver are required (install Debian's chromium chromium-driver)")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(report_path.as_uri())
        images = driver.execute_script("return Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        assert images, "the report has no figures"
        assert all(complete and width > 0 for complete, width in images), f"broken images: {images}"
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, json.dumps(errors, indent=1)
        assert driver.title
    finally:
        driver.quit()
