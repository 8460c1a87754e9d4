"""The HTML report of the example run renders in headless Chromium: no broken images, no console errors; a run
with a design space adds its section (counts from design/summary.json, captioned figures)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, TEST_CONFIG, write_config

from radiovector.cli import main

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    return _run_report(tmp, write_config(tmp, TEST_CONFIG))  # workdir tmp/work, so reports land in tmp/reports


def _run_report(tmp: Path, config: Path) -> Path:
    """Run the workflow on ``config`` into ``tmp/store``; the report it wrote."""
    try:
        main(["run", "--config", str(config), "--store", str(tmp / "store"), "--json"])
    except SystemExit as exc:
        assert not exc.code
    reports = sorted((tmp / "reports").glob("*.html"))
    assert reports, "the run wrote no report"
    return reports[-1]


@pytest.fixture(scope="module")
def design_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(report, work directory) of a candidates-only run with a design space: the example building blocks plus a
    second vector with KuE's structure, so that some conjugates are merged within a chunk and some are duplicates
    across chunks (27 conjugates in chunks of 10)."""
    tmp = tmp_path_factory.mktemp("design_report")
    blocks = pd.read_csv(REPO / "resources" / "example" / "building_blocks.csv")
    copy = blocks[blocks["id"] == "KuE"].assign(id="KuE-copy", note="same structure as KuE")
    blocks = pd.concat([blocks.iloc[:2], copy, blocks.iloc[2:]], ignore_index=True)
    blocks.to_csv(tmp / "blocks.csv", index=False)
    config = write_config(
        tmp,
        inputs={"candidates": str(REPO / "resources" / "example" / "candidates.csv")},
        design={"building_blocks": str(tmp / "blocks.csv"), "nuclides": ["Lu-177", "Ac-225"], "chunk_size": 10,
                "top_n": 5, "alerts": False, "selection": "exhaustive"},
    )
    return _run_report(tmp, config), tmp / "work"


def _section(page: str, heading: str) -> str:
    start = page.index(f"<h2>{heading}</h2>")
    end = page.find("<h2>", start + 1)
    return page[start:end if end > 0 else None]


def test_report_has_every_section_and_captions(report_path: Path) -> None:
    page = report_path.read_text()
    for heading in ("Top findings", "Inputs", "Rejected rows", "Targets", "Candidates", "Pharmacokinetics",
                    "Provenance"):
        assert f"<h2>{heading}</h2>" in page, heading
    assert page.count("<img") == page.count("<figcaption>") > 0
    assert "<h2>Design space</h2>" not in page and "design_" not in page  # no design space in the example config


def test_design_space_section_has_the_summary_counts_and_captioned_figures(design_run: tuple[Path, Path]) -> None:
    from radiovector.report.captions import FIGURE_CAPTIONS

    report, work = design_run
    page = report.read_text()
    headings = [h for h in ("Candidates", "Design space", "Provenance") if f"<h2>{h}</h2>" in page]
    assert headings == ["Candidates", "Design space", "Provenance"]
    assert page.index("<h2>Candidates</h2>") < page.index("<h2>Design space</h2>")
    section = _section(page, "Design space")
    summary = json.loads((work / "design" / "summary.json").read_text())
    rows = {html.unescape(k): html.unescape(v)
            for k, v in re.findall(r"<tr><td>(.*?)</td><td[^>]*>(.*?)</td></tr>", section)}
    count = {key: int(rows[label]) for key, label in [
        ("enumerated", "enumerated conjugates"), ("rejected", "rejected (see Rejected rows)"),
        ("merged", "merged: same structure within a chunk"), ("scored", "scored: distinct structures per chunk"),
        ("kept", "kept in design_space: top 5 by score plus the Pareto front"),
        ("front", "of which on the Pareto front"),
        ("not_kept", "not kept: below the top N and off the front, or a duplicate across chunks")]}
    assert count["enumerated"] == summary["conjugates"] == 27
    assert count["rejected"] == summary["rejects"]
    assert count["scored"] == summary["unique_per_chunk"]
    assert count["kept"] == summary["rows_in_table"] == len(pd.read_parquet(work / "design" / "design_space.parquet"))
    assert count["front"] == summary["pareto_front"] >= 1
    assert count["merged"] >= 1 and count["not_kept"] >= 1  # KuE-copy: within and across chunks
    assert count["enumerated"] == count["rejected"] + count["merged"] + count["kept"] + count["not_kept"]
    assert rows["chunks (conjugates per chunk)"] == f"{summary['chunks']} (10)" == "3 (10)"
    assert rows["building blocks"] == "3 vector, 3 linker, 3 chelator, 1 albumin binder"
    assert summary["building_blocks_per_role"] == {"vector": 3, "linker": 3, "chelator": 3, "albumin_binder": 1}
    figures = sorted(p.name for p in (work / "design" / "figures").glob("*.png"))
    assert figures == ["design_pareto.png", "design_properties.png", "design_top_structures.png"]
    assert section.count("<img") == section.count("<figcaption>") == 3
    captions = dict(FIGURE_CAPTIONS)
    for stem in ("design_properties", "design_pareto", "design_top_structures"):
        assert html.escape(captions[stem]) in section, stem
    assert page.count("<img") == page.count("<figcaption>")


def _render_in_headless_chromium(path: Path) -> None:
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
        driver.get(path.as_uri())
        images = driver.execute_script("return Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        assert images, "the report has no figures"
        assert all(complete and width > 0 for complete, width in images), f"broken images: {images}"
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, json.dumps(errors, indent=1)
        assert driver.title
    finally:
        driver.quit()


def test_report_renders_in_headless_chromium(report_path: Path) -> None:
    _render_in_headless_chromium(report_path)


def test_design_space_report_renders_in_headless_chromium(design_run: tuple[Path, Path]) -> None:
    _render_in_headless_chromium(design_run[0])
