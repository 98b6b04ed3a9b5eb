"""bench/moonshot.py's merge: two tagged PDFs rendered apart become one with one structure tree."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pikepdf = pytest.importorskip("pikepdf")
weasyprint = pytest.importorskip("weasyprint")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import moonshot  # noqa: E402

PAGE = """<html lang="en"><head><title>Two halves</title>
<style>@page {{ size: A6 }} h1 {{ bookmark-level: 1 }}</style></head><body>{body}</body></html>"""
TABLE = "<table><tr><th>Year</th><th>Bid</th></tr><tr><td>1954</td><td>{what}</td></tr></table>"
HALVES = [
    ('<h1 id="alpha">Alpha</h1><p>First half; see <a href="#beta">the second</a>.</p>'
     + TABLE.format(what="first"), {"alpha"}),
    ('<h1 id="beta">Beta</h1><p>Second half; back to <a href="#alpha">the first</a>.</p>'
     + TABLE.format(what="second"), {"beta"}),
]


def render_half(body: str, owned: set[str], out: Path) -> None:
    document = weasyprint.HTML(string=PAGE.format(body=body)).render()
    page = document.pages[0]
    for kind, target, _, _ in page.links:  # as the workers do: a stand-in keeps the link
        if kind == "internal" and target not in owned:
            page.anchors[target] = (0, 0, 0, 0)
    document.write_pdf(out, pdf_variant="pdf/ua-1")


@pytest.fixture
def merged(tmp_path: Path) -> Path:
    parts = []
    for k, (body, owned) in enumerate(HALVES):
        parts.append(tmp_path / f"part{k}.pdf")
        render_half(body, owned, parts[-1])
    out = tmp_path / "merged.pdf"
    moonshot.merge([str(p) for p in parts], str(out), [owned for _, owned in HALVES])
    return out


@pytest.mark.filterwarnings("ignore::pikepdf.PageCopyWarning")
def test_a_plain_page_merge_drops_the_structure_tree(tmp_path: Path) -> None:
    """What the issue measured, so that the merge below is worth its code."""
    parts = []
    for k, (body, owned) in enumerate(HALVES):
        parts.append(tmp_path / f"p{k}.pdf")
        render_half(body, owned, parts[-1])
    plain = pikepdf.new()
    for part in parts:
        plain.pages.extend(pikepdf.open(part).pages)
    plain.save(tmp_path / "plain.pdf")
    assert "/StructTreeRoot" not in pikepdf.open(tmp_path / "plain.pdf").Root


def test_one_structure_tree_with_every_page_and_link_in_it(merged: Path) -> None:
    report = moonshot.structure_report(str(merged))
    assert report["problems"] == []
    assert report["pages"] == 2
    pdf = pikepdf.open(merged)
    tree = pdf.Root.StructTreeRoot
    assert len(tree.K) == 1 and tree.K[0].S == "/Document"
    # Both halves' marked content and both links reach the one tree.
    assert report["mcids"] > 0 and report["links"] >= 2  # a link broken over lines has one annotation a line
    assert int(tree.ParentTreeNextKey) == len(tree.ParentTree.Nums) // 2
    # Each link goes to the other half's page: the stand-ins are gone.
    assert report["link_targets"] == {"beta": 1, "alpha": 0}
    assert report["outline"] == [(0, "Alpha", 0), (0, "Beta", 1)]


def test_the_tree_reads_in_order_and_table_headers_stay_unique(merged: Path) -> None:
    if not shutil.which("pdfinfo"):
        pytest.skip("poppler-utils not installed")
    tree = subprocess.run(["pdfinfo", "-struct-text", str(merged)], capture_output=True,
                          text=True, check=True).stdout
    assert tree.startswith("Document")
    assert tree.index('"Alpha"') < tree.index('"Beta"')
    pdf = pikepdf.open(merged)
    ids, headers = [], []
    stack = [pdf.Root.StructTreeRoot.K]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
        elif isinstance(node, pikepdf.Dictionary):
            if "/ID" in node:
                ids.append(str(node.ID))
            attrs = node.get("/A")
            if isinstance(attrs, pikepdf.Dictionary) and "/Headers" in attrs:
                headers.extend(str(h) for h in attrs.Headers)
            if "/K" in node:
                stack.append(node.K)
    assert len(ids) == 4 and len(set(ids)) == 4  # two headers a half, renamed in the second
    assert headers and set(headers) <= set(ids)


def test_each_halfs_font_subsets_keep_a_tag_of_their_own(merged: Path) -> None:
    if not shutil.which("pdffonts"):
        pytest.skip("poppler-utils not installed")
    fonts = subprocess.run(["pdffonts", str(merged)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    names = [line.split()[0] for line in fonts]
    assert len(names) >= 2 and len(set(names)) == len(names)
    assert all(re.match(r"[A-Z]{6}\+", name) for name in names)
