"""Turn a page's main content into ordered lines: headings, text lines, and label/value rows."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import cast
from urllib.parse import urljoin

from bs4 import BeautifulSoup, NavigableString, Tag, XMLParsedAsHTMLWarning

from indexer.text.normalize import normalize_text

# Never content: scripts and the site's chrome.
_DROP_TAGS = {
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "svg",
    "canvas",
    "button",
    "select",
    "input",
    "textarea",
    "nav",
    "aside",
    "footer",
    "object",
    "embed",
}
_CHROME = re.compile(
    r"breadcrumb|pankuzu|topicpath|topic-path|(^|[-_])g?nav|navi|menu|sidebar|side[-_]?col|"
    r"(^|[-_])side($|[-_])|footer|contact|inquiry|toiawase|enquete|questionnaire|survey|sns|"
    r"share|pagetop|page-top|skip|related|banner",
    re.I,
)
_MAIN_SELECTORS = (
    "main",
    "[role=main]",
    "#main",
    "#contents",
    "#content",
    "#main-contents",
    "#mainContents",
    "#main_contents",
    "#main-content",
    ".main",
    "article",
)
_BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "blockquote",
    "pre",
    "hr",
    "header",
    "center",
    "address",
    "figure",
    "caption",
    "td",
    "th",
    "body",
    "html",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Lines that mark the end of the content even when the site does not mark its footer.
STOP_LINE = re.compile(
    r"^(このページ(に関する|の)?(お問(い)?合(わ)?せ|情報は役に立ちましたか)|お問(い)?合(わ)?せ(先)?$|"
    r"アンケート|PDF(形式の)?ファイルを(ご覧|閲覧)|Adobe (Acrobat )?Reader|ページの先頭へ|"
    r"このページの先頭へ)"
)


@dataclass
class Line:
    """One visible line of content: kind is "heading", "text" or "row" (a label cell and a value)."""

    kind: str
    text: str
    label: str | None = None


def parse_soup(html: str) -> BeautifulSoup:
    """Parse HTML leniently (lxml copes with unclosed tags and broken nesting)."""
    # NUL characters make lxml drop the rest of a text node; feeds and XML are parsed as HTML too.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(html.replace("\x00", ""), "lxml")


def canonical_url(soup: BeautifulSoup, base_url: str | None) -> str | None:
    """Return the page's canonical link resolved against base_url, or base_url."""
    for link in soup.find_all("link", href=True):
        rel: str | list[str] = link.get("rel") or []
        rel = rel if isinstance(rel, list) else [rel]
        if "canonical" in (r.lower() for r in rel):
            canonical = urljoin(base_url or "", cast(str, link["href"]).strip())  # href is single-valued
            if canonical.lower().startswith(("http://", "https://")):
                return canonical
    return base_url


def page_title(soup: BeautifulSoup, main: Tag) -> str:
    """Return the page's title: the main content's h1, any h1, else <title> without the site name."""
    for scope in (main, soup):
        h1 = scope.find("h1")
        if h1 and h1.get_text(strip=True):
            return normalize_text(h1.get_text(" ", strip=True)).replace("\n", " ")
    if soup.title and soup.title.string:
        title = normalize_text(soup.title.string)
        return re.split(r"\s*[|｜]\s*|\s+[-–―]\s+", title)[0].strip()
    return ""


def _is_chrome(tag: Tag) -> bool:
    if tag.name in _DROP_TAGS:
        return True
    attrs = getattr(tag, "attrs", None) or {}
    names = " ".join([attrs.get("id") or ""] + list(attrs.get("class") or []))
    return bool(names.strip()) and bool(_CHROME.search(names))


def main_content(soup: BeautifulSoup) -> Tag:
    """Return the element holding the page's main content, chrome removed."""
    root = soup.body or soup
    for selector in _MAIN_SELECTORS:
        found = root.select_one(selector)
        if found is not None and len(found.get_text(strip=True)) > 40:
            root = found
            break
    for tag in list(root.find_all(True)):
        if tag.decomposed:
            continue
        if _is_chrome(tag) and tag is not root:
            tag.decompose()
    return root


def _cells(row: Tag) -> list[Tag]:
    return list(row.find_all(["td", "th"], recursive=False))


def _is_field_row(cells: list[Tag]) -> bool:
    if len(cells) < 2:
        return False
    first = cells[0]
    if first.find(["table", "p", "div", "h1", "h2", "h3", "h4"]) is not None:
        return False
    label = first.get_text(strip=True)
    return 0 < len(label) <= 30


def content_lines(root: Tag) -> list[Line]:
    """Flatten the content into lines in reading order (iteratively, so deep nesting is safe)."""
    lines: list[Line] = []
    buffer: list[str] = []
    heading = 0
    preformatted = 0

    def flush():
        if buffer:
            text = normalize_text("".join(buffer))
            buffer.clear()
            for part in text.split("\n"):
                if part:
                    lines.append(Line("heading" if heading else "text", part))

    # The stack holds nodes to visit and ("exit", tag) markers for leaving block elements.
    stack: list = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            _, tag = node
            flush()
            if tag.name in _HEADINGS:
                heading -= 1
            if tag.name == "pre":
                preformatted -= 1
            continue
        if isinstance(node, NavigableString):
            if type(node) is NavigableString:
                text = str(node)
                buffer.append(text if preformatted else re.sub(r"\s+", " ", text))
            continue
        if not isinstance(node, Tag) or node.name in _DROP_TAGS:
            continue
        if node.name == "br":
            buffer.append("\n")
            continue
        if node.name == "img" and node.get("alt"):
            continue
        if node.name == "tr":
            cells = _cells(node)
            if _is_field_row(cells):
                flush()
                label = normalize_text(cells[0].get_text(" ", strip=True)).replace("\n", " ")
                value_lines = [ln.text for cell in cells[1:] for ln in content_lines(cell)]
                lines.append(Line("row", "\n".join(value_lines), label=label))
                continue
        if node.name in _BLOCK_TAGS:
            flush()
            if node.name in _HEADINGS:
                heading += 1
            if node.name == "pre":
                preformatted += 1
            stack.append(("exit", node))
        stack.extend(reversed(node.contents))
    flush()
    return lines
