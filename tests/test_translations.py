"""The Chinese edition keeps step with the English files it translates.

For each pair (README.md → README.zh-CN.md, tutorials/README.md → tutorials/README.zh-CN.md) the translation
must have

- the same code blocks — fenced ones, and blocks indented by four spaces after a blank line — in the same
  order, byte for byte (commands, Python and program output are not translated; a fenced block the
  translation adds on purpose is marked by the line ``<!-- zh-CN only ... -->`` right above it and is left
  out of the comparison);
- the same number of headings at each level;
- the same images (same paths, same order) and every link the original has to another file;
- links and image paths that resolve: relative files exist on disk, and ``#anchors`` name a heading of the
  file they point into, computed as GitHub computes them (lowercase, spaces to '-', punctuation dropped, CJK
  kept).

The English files may change (a paragraph added or reworded) after a translation is written; these checks are
what tells the translator which block or section to bring over, in the failure message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAIRS = [(ROOT / "README.md", ROOT / "README.zh-CN.md"),
         (ROOT / "tutorials" / "README.md", ROOT / "tutorials" / "README.zh-CN.md")]
PAIR_IDS = [original.relative_to(ROOT).as_posix() for original, _ in PAIRS]
TRANSLATION_ONLY_MARK = "<!-- zh-CN only"

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"(!?)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# GitHub keeps "word" characters (letters, marks, decimal and letter numbers, connector punctuation), '-' and ' '.
ANCHOR_KEEPS = {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "Pc"}


@dataclass(frozen=True)
class CodeBlock:
    text: str                 # the whole block, fences included
    line: int                 # 1-based line of the opening fence
    translation_only: bool    # marked <!-- zh-CN only ... --> on the line above


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int


@dataclass(frozen=True)
class Link:
    target: str
    line: int
    image: bool


@dataclass(frozen=True)
class Document:
    """The parts of a Markdown file that a translation must keep: code blocks, headings, links."""

    name: str
    code_blocks: list[CodeBlock]
    headings: list[Heading]
    links: list[Link]

    def compared_blocks(self) -> list[CodeBlock]:
        return [block for block in self.code_blocks if not block.translation_only]

    def anchors(self) -> set[str]:
        return heading_anchors(heading.text for heading in self.headings)


def github_anchor(heading_text: str) -> str:
    """The anchor GitHub gives a heading: code spans keep their text, lowercase, punctuation dropped, ' ' → '-'."""
    text = CODE_SPAN.sub(lambda match: match.group(2), heading_text).strip().lower()
    kept = "".join(ch for ch in text if ch in "- " or unicodedata.category(ch) in ANCHOR_KEEPS)
    return kept.replace(" ", "-")


def heading_anchors(texts) -> set[str]:
    """Every heading's anchor; a repeated one gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    anchors = set()
    for text in texts:
        anchor = github_anchor(text)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        anchors.add(anchor if count == 0 else f"{anchor}-{count}")
    return anchors


def parse(text: str, name: str) -> Document:
    """Split Markdown into its fenced code blocks, its headings and its links (outside code)."""
    blocks: list[CodeBlock] = []
    headings: list[Heading] = []
    links: list[Link] = []
    lines = text.splitlines(keepends=True)
    fence: str | None = None
    block_lines: list[str] = []
    block_start = 0
    indented_start = 0            # first line of an open indented code block; 0 when none is open
    for number, line in enumerate(lines, start=1):
        bare = line.rstrip("\r\n")
        if indented_start and bare.startswith("    "):
            block_lines.append(line)
            continue
        if indented_start:
            blocks.append(CodeBlock("".join(block_lines), indented_start, False))
            indented_start = 0
        if fence is None and bare.startswith("    ") and number >= 2 and not lines[number - 2].strip():
            indented_start, block_lines = number, [line]
            continue
        if fence is not None:
            block_lines.append(line)
            if bare.strip() and bare.lstrip(" ").startswith(fence) and not bare.strip().strip(fence[0]):
                marked = block_start >= 2 and lines[block_start - 2].startswith(TRANSLATION_ONLY_MARK)
                blocks.append(CodeBlock("".join(block_lines), block_start, marked))
                fence = None
            continue
        opening = FENCE.match(bare)
        if opening:
            fence, block_lines, block_start = opening.group(1), [line], number
            continue
        heading = HEADING.match(bare)
        if heading:
            headings.append(Heading(len(heading.group(1)), heading.group(2), number))
        outside_code = CODE_SPAN.sub("code", bare)
        links += [Link(m.group(2), number, m.group(1) == "!") for m in LINK.finditer(outside_code)]
    if fence is not None or indented_start:   # a block open at the end of the file is compared as it is
        blocks.append(CodeBlock("".join(block_lines), block_start if fence is not None else indented_start, False))
    return Document(name, blocks, headings, links)


def read(path: Path) -> Document:
    return parse(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())


def first_line(block: CodeBlock) -> str:
    """The block's first line of code (after its opening fence, if it has one)."""
    body = block.text.splitlines()
    return body[1] if len(body) > 1 and FENCE.match(body[0]) else body[0]


def first_difference(block: CodeBlock, copy: CodeBlock) -> str:
    """The first line where two blocks differ, as 'line k: <original> vs <copy>'."""
    ours, theirs = block.text.splitlines(keepends=True), copy.text.splitlines(keepends=True)
    for k, (a, b) in enumerate(zip(ours, theirs, strict=False), start=1):
        if a != b:
            return f"line {k} of the block: {a!r} vs {b!r}"
    return f"the blocks have {len(ours)} and {len(theirs)} lines"


def _same(blocks: list[CodeBlock], index: int, other: CodeBlock) -> bool:
    return index < len(blocks) and blocks[index].text == other.text


def code_block_problems(original: Document, translation: Document) -> list[str]:
    """Where the translation's fenced code blocks differ from the original's (the first difference only)."""
    theirs, ours = original.compared_blocks(), translation.compared_blocks()
    for i in range(max(len(theirs), len(ours))):
        if i < len(theirs) and i < len(ours) and theirs[i].text == ours[i].text:
            continue
        if i >= len(ours) or (i < len(theirs) and _same(theirs, i + 1, ours[i])):
            missing = theirs[i]
            where = f"before {translation.name} line {ours[i].line}" if i < len(ours) else "after the last one"
            return [f"code block {i + 1} of {original.name} (line {missing.line}, {first_line(missing)!r}) is "
                    f"missing from {translation.name}: translate the paragraph around it and insert the block, "
                    f"byte for byte, {where}"]
        if i >= len(theirs) or _same(ours, i + 1, theirs[i]):
            extra = ours[i]
            return [f"code block {i + 1} of {translation.name} (line {extra.line}, {first_line(extra)!r}) is not "
                    f"in {original.name}: remove it, or mark it with a line '{TRANSLATION_ONLY_MARK} ... -->' "
                    "right above it if it belongs to the translation only"]
        return [f"code block {i + 1} differs: {original.name} line {theirs[i].line} vs {translation.name} line "
                f"{ours[i].line}, {first_difference(theirs[i], ours[i])}; copy the block from {original.name} "
                "byte for byte (commands, code and program output stay in English)"]
    return []


def heading_problems(original: Document, translation: Document) -> list[str]:
    """Where the number of headings at some level differs (the first such level only)."""
    for level in range(1, 7):
        theirs = [h for h in original.headings if h.level == level]
        ours = [h for h in translation.headings if h.level == level]
        if len(theirs) != len(ours):
            listing = "; ".join(f"line {h.line}: {h.text}" for h in theirs)
            translated = "; ".join(f"line {h.line}: {h.text}" for h in ours)
            return [f"{original.name} has {len(theirs)} level-{level} headings ({'#' * level}), "
                    f"{translation.name} has {len(ours)}: add, remove or translate sections so that they match "
                    f"one to one. {original.name}: {listing}. {translation.name}: {translated or 'none'}"]
    return []


def image_problems(original: Document, translation: Document) -> list[str]:
    theirs = [link.target for link in original.links if link.image]
    ours = [link.target for link in translation.links if link.image]
    if theirs != ours:
        return [f"{translation.name} shows the figures {ours}, {original.name} shows {theirs}: "
                "show the same figures, with the same paths, in the same order"]
    return []


def is_relative(target: str) -> bool:
    return not (SCHEME.match(target) or target.startswith("//"))


def missing_link_problems(original: Document, translation: Document) -> list[str]:
    """Every link of the original to another file (other than the translation itself) is in the translation."""
    other_name = Path(translation.name).name
    theirs = {link.target for link in original.links
              if not link.image and not link.target.startswith("#") and link.target != other_name}
    ours = {link.target for link in translation.links}
    missing = sorted(theirs - ours)
    if missing:
        where = {link.target: link.line for link in original.links}
        first = missing[0]
        return [f"{translation.name} lacks the link {first!r} that {original.name} has (line {where[first]}); "
                f"translate that paragraph with its link (all missing: {missing})"]
    return []


def broken_link_problems(document: Document, folder: Path) -> list[str]:
    """Links and image paths of one file that do not resolve: a missing file or an unknown anchor."""
    problems = []
    for link in document.links:
        if not is_relative(link.target):
            continue
        path_part, _, anchor = link.target.partition("#")
        target = folder / path_part
        if path_part and not target.exists():
            problems.append(f"{document.name} line {link.line}: {link.target!r} — {path_part} does not exist")
            continue
        if anchor and (not path_part or target.suffix == ".md"):
            anchors = read_anchors(target) if path_part else document.anchors()
            if anchor not in anchors:
                name = target.name if path_part else Path(document.name).name
                problems.append(f"{document.name} line {link.line}: {link.target!r} — no heading of "
                                f"{name} has the anchor #{anchor} (it has: {sorted(anchors)})")
    return problems


def read_anchors(path: Path) -> set[str]:
    return parse(path.read_text(encoding="utf-8"), path.name).anchors()


def translation_problems(original: Document, translation: Document, folder: Path) -> list[str]:
    """Everything that keeps ``translation`` from matching ``original``; [] when they match."""
    return (code_block_problems(original, translation) + heading_problems(original, translation)
            + image_problems(original, translation) + missing_link_problems(original, translation)
            + broken_link_problems(translation, folder))


# --- the real files -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("original", "translation"), PAIRS, ids=PAIR_IDS)
def test_translation_has_the_originals_code_blocks(original, translation):
    assert not code_block_problems(read(original), read(translation)), \
        code_block_problems(read(original), read(translation))[0]


@pytest.mark.parametrize(("original", "translation"), PAIRS, ids=PAIR_IDS)
def test_translation_has_as_many_headings_at_each_level(original, translation):
    problems = heading_problems(read(original), read(translation))
    assert not problems, problems[0]


@pytest.mark.parametrize(("original", "translation"), PAIRS, ids=PAIR_IDS)
def test_translation_shows_the_same_figures_and_keeps_every_link(original, translation):
    problems = image_problems(read(original), read(translation)) + missing_link_problems(read(original),
                                                                                         read(translation))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", [p for pair in PAIRS for p in pair], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_and_anchor_resolves(path):
    problems = broken_link_problems(read(path), path.parent)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("original", "translation"), PAIRS, ids=PAIR_IDS)
def test_each_file_links_to_the_other_at_its_top(original, translation):
    assert f"]({translation.name})" in "".join(original.read_text(encoding="utf-8").splitlines(True)[:25])
    top = translation.read_text(encoding="utf-8").splitlines()[:3]
    assert any(f"]({original.name})" in line for line in top), f"{translation.name} must link {original.name} first"


@pytest.mark.parametrize(("original", "translation"), PAIRS, ids=PAIR_IDS)
def test_translation_is_chinese(original, translation):
    prose = translation.read_text(encoding="utf-8")
    chinese = len(re.findall(r"[\u4e00-\u9fff]", prose))
    assert chinese > 0.1 * len(prose), f"{translation.name} holds only {chinese} Chinese characters"


def test_readme_tells_how_to_show_chinese_in_figures():
    text = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    for needle in ('plt.rcParams["font.sans-serif"]', 'plt.rcParams["axes.unicode_minus"] = False',
                   "Noto Sans CJK", "SimHei", "Microsoft YaHei"):
        assert needle in text, f"README.zh-CN.md does not mention {needle}"
    marked = [block for block in read(ROOT / "README.zh-CN.md").code_blocks if block.translation_only]
    assert len(marked) == 1 and "axes.unicode_minus" in marked[0].text


def test_the_chinese_font_settings_run():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    block = next(b for b in read(ROOT / "README.zh-CN.md").code_blocks if b.translation_only)
    code = "".join(block.text.splitlines(keepends=True)[1:-1])
    with matplotlib.rc_context():
        exec(compile(code, "README.zh-CN.md, the font block", "exec"), {})
        assert matplotlib.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"
        assert matplotlib.rcParams["axes.unicode_minus"] is False


# --- the checks themselves fail on a tampered copy ------------------------------------------------------------

ORIGINAL = """# Title

Intro, see [the guide](guide.md) and [below](#usage-notes).

## Usage notes

```bash
run --fast
```

![A figure](fig.png)

    indented --code

### Details

```python
print("x → y")
```
"""

TRANSLATION = """# 标题

[English](original.md)

简介，见[指南](guide.md)和[下文](#用法说明)。

## 用法说明

```bash
run --fast
```

<!-- zh-CN only: an extra example -->
```python
print("仅中文版")
```

![A figure](fig.png)

    indented --code

### 细节

```python
print("x → y")
```
"""


@pytest.fixture
def folder(tmp_path):
    for name in ("guide.md", "fig.png", "original.md"):
        (tmp_path / name).write_text("# Guide\n", encoding="utf-8")
    return tmp_path


def check(translation: str, folder: Path, original: str = ORIGINAL) -> list[str]:
    return translation_problems(parse(original, "original.md"), parse(translation, "translation.md"), folder)


def test_a_faithful_translation_passes(folder):
    assert check(TRANSLATION, folder) == []


def test_a_changed_code_block_is_named(folder):
    problems = check(TRANSLATION.replace("run --fast", "run --fast  # 快速"), folder)
    assert problems == ["code block 1 differs: original.md line 7 vs translation.md line 9, line 2 of the block: "
                        "'run --fast\\n' vs 'run --fast  # 快速\\n'; copy the block from original.md byte for byte "
                        "(commands, code and program output stay in English)"]


def test_a_changed_indented_block_is_named(folder):
    problems = check(TRANSLATION.replace("    indented --code", "    缩进 --code"), folder)
    assert problems[0].startswith("code block 2 differs: original.md line 13 vs translation.md line 20, line 1 of "
                                  "the block: '    indented --code\\n' vs '    缩进 --code\\n'")


def test_a_missing_and_an_unmarked_extra_block_are_named(folder):
    missing = check(TRANSLATION.replace('```python\nprint("x → y")\n```\n', ""), folder)
    assert missing == ["code block 3 of original.md (line 17, 'print(\"x → y\")') is missing from translation.md: "
                       "translate the paragraph around it and insert the block, byte for byte, after the last one"]
    unmarked = check(TRANSLATION.replace("<!-- zh-CN only: an extra example -->\n", ""), folder)
    assert unmarked[0].startswith("code block 2 of translation.md (line 13, 'print(\"仅中文版\")') is not in "
                                  "original.md: remove it, or mark it")
    extra = check(TRANSLATION + '\n```text\nmore\n```\n', folder)
    assert extra[0].startswith("code block 4 of translation.md (line 28, 'more') is not in original.md")


def test_a_changed_original_tells_what_to_update(folder):
    grown = ORIGINAL.replace("### Details", "## New section\n\nSee [the API](api.md).\n\n```bash\nrun --slow\n```"
                             "\n\n### Details")
    problems = check(TRANSLATION, folder, original=grown)
    assert problems[0] == ("code block 3 of original.md (line 19, 'run --slow') is missing from translation.md: "
                           "translate the paragraph around it and insert the block, byte for byte, before "
                           "translation.md line 24")
    assert problems[1].startswith("original.md has 2 level-2 headings (##), translation.md has 1: ")
    assert "original.md: line 5: Usage notes; line 15: New section. translation.md: line 7: 用法说明" in problems[1]
    assert problems[2].startswith("translation.md lacks the link 'api.md' that original.md has (line 17)")


def test_a_missing_heading_or_figure_is_named(folder):
    problems = check(TRANSLATION.replace("### 细节", "细节"), folder)
    assert problems == ["original.md has 1 level-3 headings (###), translation.md has 0: add, remove or translate "
                        "sections so that they match one to one. original.md: line 15: Details. translation.md: none"]
    problems = check(TRANSLATION.replace("(fig.png)", "(figure.png)"), folder)
    assert any("shows the figures ['figure.png']" in p for p in problems)
    assert any("'figure.png' — figure.png does not exist" in p for p in problems)


def test_broken_links_and_anchors_are_named(folder):
    problems = check(TRANSLATION.replace("(#用法说明)", "(#usage-notes)"), folder)
    assert problems == ["translation.md line 5: '#usage-notes' — no heading of translation.md has the anchor "
                        "#usage-notes (it has: ['标题', '用法说明', '细节'])"]
    problems = check(TRANSLATION.replace("(guide.md)", "(guide.md#missing)"), folder)
    assert any("no heading of guide.md has the anchor #missing" in p for p in problems)


@pytest.mark.parametrize(("heading", "anchor"), [
    ("API reference", "api-reference"),
    ("API 参考", "api-参考"),
    ("Comparing activations: `minnet compare`", "comparing-activations-minnet-compare"),
    ("比较激活函数：`minnet compare`", "比较激活函数minnet-compare"),
    ("Training by hand: forward → loss → backward → step", "training-by-hand-forward--loss--backward--step"),
    ("1. The activation zoo — `01_activation_zoo.py`", "1-the-activation-zoo--01_activation_zoopy"),
])
def test_anchors_follow_github(heading, anchor):
    assert github_anchor(heading) == anchor
    assert heading_anchors([heading, heading]) == {anchor, f"{anchor}-1"}
