"""Scraped news text -> articles, on the real seeds and on small made-up cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curate.ingest.scraped import read_scraped
from curate.ingest.textfile import read_lines
from curate.records import Document

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TITLES = [
    "Khamenei: Void Left by Soleimani Filled in Many Instances",
    "Japan Scraps US Meeting after Washington Demands More Defense Spending, FT Reports",
    "Soleimani Warns against Sectarian Sedition in Iran",
    "Rubio to Make First Asia Trip as Trump Unveils Tariffs on Host and Allies",
    "",  # 002 has no headline; we do not invent one (see README)
    'Iran Supreme Leader: Saying "Military Options are on the Table" is Meaningless',
    "Japan Expresses Concern to China over Russia-North Korea Ties",
    "Ayatollah Khamenei Hints Iran Yet to Strike ‘Reciprocal Blow’ Against US Over Soleimani "
    "Killing",
]


def _seed_articles() -> list[tuple[Path, Document]]:
    return [
        (path, doc) for path in sorted(SEEDS.glob("*.txt")) for doc in read_scraped(path, path.name)
    ]


def test_the_seeds_give_exactly_eight_articles_with_their_titles() -> None:
    assert [doc.title for _, doc in _seed_articles()] == TITLES


def test_glued_articles_are_split() -> None:
    per_file = [path.name[:3] for path, _ in _seed_articles()]
    assert per_file == ["000", "000", "001", "001", "002", "003", "003", "004"]


def test_header_clutter_is_dropped_and_the_caption_kept_once_as_metadata() -> None:
    for _, doc in _seed_articles():
        lines = doc.text.split("\n")
        assert "TT" not in lines and "20" not in lines
        assert doc.title == "" or doc.title not in lines
        caption = doc.metadata.get("caption")
        if caption:
            assert caption not in doc.text
    first = _seed_articles()[0][1]
    assert first.metadata["caption"].startswith("Iranian Supreme Leader Ali Khamenei meets")
    assert first.text.startswith("On the eve of the\xa0third anniversary")


def test_the_blog_footer_is_dropped_but_the_article_footnote_kept() -> None:
    last = _seed_articles()[-1][1]
    assert "No comments" not in last.text and "Post a Comment" not in last.text
    assert last.text.endswith("* A terrorist group outlawed in Russia and many other countries.")


def test_body_characters_are_kept_exactly() -> None:
    texts = "\n".join(doc.text for _, doc in _seed_articles())
    for kept in ["’", "“", "”", "‘", "–", "Kata’ib Hezbollah", "Shi’ite"]:
        assert kept in texts
    assert all(line == line.rstrip() for line in texts.split("\n"))


def test_provenance_points_at_the_article_in_its_file() -> None:
    for path, doc in _seed_articles():
        raw = path.read_text(encoding="utf-8-sig")
        assert doc.provenance is not None and doc.provenance.source == path.name
        region = raw[doc.provenance.char_start : doc.provenance.char_end]
        assert region.startswith(doc.title or doc.text[:40])
        for line in doc.text.split("\n"):
            assert line in region


def _write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "news.txt"
    path.write_bytes(content)
    return path


def test_crlf_and_bom_give_the_same_article_as_lf(tmp_path: Path) -> None:
    body = "Headline here\n\nCaption.\nCaption.\nTT\n20\n\nHeadline here\n\nCaption.\nCaption.\n\n"
    body += "First “paragraph”.  \n\nSecond paragraph.\n"
    plain = list(read_scraped(_write(tmp_path, body.encode()), "a"))
    windows = list(
        read_scraped(_write(tmp_path, b"\xef\xbb\xbf" + body.replace("\n", "\r\n").encode()), "a")
    )
    assert (
        [d.text for d in plain]
        == [d.text for d in windows]
        == ["First “paragraph”.\n\nSecond paragraph."]
    )
    assert plain[0].title == windows[0].title == "Headline here"
    assert plain[0].metadata == {"caption": "Caption."}


@given(
    st.lists(
        st.text(
            alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00\ufeff"),
            max_size=30,
        ),
        max_size=12,
    ),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_line_offsets_slice_the_decoded_file(lines: list[str], newline: str) -> None:
    import tempfile

    content = newline.join(lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.txt"
        path.write_bytes(content.encode("utf-8"))
        if not content:
            return
        for line in read_lines(path, "utf-8"):
            assert content[line.start : line.end] == line.text
            assert line.text == line.text.rstrip()


@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_offsets_survive_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr("curate.ingest.textfile.CHUNK_BYTES", chunk)
    content = "é🇮🇷\r\nab\rc\n\nlast"
    path = _write(tmp_path, content.encode("utf-8"))
    got = [(line.text, content[line.start : line.end]) for line in read_lines(path, "utf-8")]
    assert got == [("é🇮🇷", "é🇮🇷"), ("ab", "ab"), ("c", "c"), ("", ""), ("last", "last")]
