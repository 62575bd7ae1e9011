"""The shared notes as HTML, Markdown or plain text.

The browser's editor (Tiptap, through y-prosemirror) keeps the notes in the XML fragment
`default`: one element per block (`paragraph`, `heading` with `level`, `bulletList`,
`orderedList`, `listItem`, `blockquote`, `codeBlock`, `horizontalRule`, `hardBreak`), text
carrying its marks as attributes (`bold`, `italic`, `strike`, `code`, `link` with `href`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

FIELD = "default"
SAFE_LINK = re.compile(r"^(https?:|mailto:)", re.IGNORECASE)
# Characters Markdown would take for formatting.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#<>|])")


def fragment(doc: Doc[Any]) -> XmlFragment:
    found: XmlFragment = doc.get(FIELD, type=XmlFragment)
    return found


def _runs(text: XmlText) -> list[tuple[str, dict[str, Any]]]:
    return [
        (value, attrs or {}) for value, attrs in text.diff() if isinstance(value, str) and value
    ]


def _link(attrs: dict[str, Any]) -> str | None:
    link = attrs.get("link")
    href = link.get("href") if isinstance(link, dict) else None
    return href if isinstance(href, str) and SAFE_LINK.match(href) else None


def _level(element: XmlElement) -> int:
    try:
        return min(6, max(1, int(element.attributes.get("level") or 1)))
    except (TypeError, ValueError):
        return 1


# HTML


def to_html(doc: Doc[Any], *, title: str) -> str:
    body = "".join(_html_block(node) for node in fragment(doc).children)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}</body></html>\n"
    )


def _html_inline(node: Any) -> str:
    if isinstance(node, XmlText):
        parts = []
        for value, attrs in _runs(node):
            piece = html.escape(value)
            if attrs.get("code") is not None:
                piece = f"<code>{piece}</code>"
            if attrs.get("bold") is not None:
                piece = f"<strong>{piece}</strong>"
            if attrs.get("italic") is not None:
                piece = f"<em>{piece}</em>"
            if attrs.get("strike") is not None:
                piece = f"<s>{piece}</s>"
            if (href := _link(attrs)) is not None:
                piece = f'<a href="{html.escape(href)}">{piece}</a>'
            parts.append(piece)
        return "".join(parts)
    if isinstance(node, XmlElement) and node.tag == "hardBreak":
        return "<br>"
    if isinstance(node, XmlElement):
        return "".join(_html_inline(child) for child in node.children)
    return ""


def _html_block(node: Any) -> str:
    if not isinstance(node, XmlElement):
        return _html_inline(node)
    tag = node.tag
    inner: Callable[[], str] = lambda: "".join(_html_inline(c) for c in node.children)  # noqa: E731
    blocks: Callable[[], str] = lambda: "".join(_html_block(c) for c in node.children)  # noqa: E731
    if tag == "paragraph":
        return f"<p>{inner()}</p>\n"
    if tag == "heading":
        level = _level(node)
        return f"<h{level}>{inner()}</h{level}>\n"
    if tag == "bulletList":
        return f"<ul>\n{blocks()}</ul>\n"
    if tag == "orderedList":
        return f"<ol>\n{blocks()}</ol>\n"
    if tag == "listItem":
        return f"<li>{blocks().strip()}</li>\n"
    if tag == "blockquote":
        return f"<blockquote>\n{blocks()}</blockquote>\n"
    if tag == "codeBlock":
        return f"<pre><code>{inner()}</code></pre>\n"
    if tag == "horizontalRule":
        return "<hr>\n"
    return blocks()


# Markdown


def to_markdown(doc: Doc[Any]) -> str:
    blocks = [_md_block(node, "") for node in fragment(doc).children]
    return "\n\n".join(block for block in blocks if block).rstrip() + "\n"


def _md_inline(node: Any, *, escape: bool = True) -> str:
    if isinstance(node, XmlText):
        parts = []
        for value, attrs in _runs(node):
            if attrs.get("code") is not None:
                piece = f"`{value}`"
            else:
                piece = MARKDOWN_SPECIAL.sub(r"\\\1", value) if escape else value
            if attrs.get("bold") is not None:
                piece = f"**{piece}**"
            if attrs.get("italic") is not None:
                piece = f"*{piece}*"
            if attrs.get("strike") is not None:
                piece = f"~~{piece}~~"
            if (href := _link(attrs)) is not None:
                piece = f"[{piece}](<{href}>)"
            parts.append(piece)
        return "".join(parts)
    if isinstance(node, XmlElement) and node.tag == "hardBreak":
        return "  \n"
    if isinstance(node, XmlElement):
        return "".join(_md_inline(child, escape=escape) for child in node.children)
    return ""


def _md_block(node: Any, indent: str) -> str:
    if not isinstance(node, XmlElement):
        return _md_inline(node)
    tag = node.tag
    if tag == "paragraph":
        return "".join(_md_inline(c) for c in node.children)
    if tag == "heading":
        return "#" * _level(node) + " " + "".join(_md_inline(c) for c in node.children)
    if tag in {"bulletList", "orderedList"}:
        items = []
        for number, item in enumerate(node.children, start=1):
            marker = f"{number}. " if tag == "orderedList" else "- "
            body = _md_item(item, indent + " " * len(marker))
            items.append(f"{indent}{marker}{body}")
        return "\n".join(items)
    if tag == "blockquote":
        inner = "\n\n".join(_md_block(c, "") for c in node.children)
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if tag == "codeBlock":
        code = "".join(_md_inline(c, escape=False) for c in node.children)
        return f"```\n{code}\n```"
    if tag == "horizontalRule":
        return "---"
    return "\n\n".join(_md_block(c, indent) for c in node.children)


def _md_item(item: Any, indent: str) -> str:
    if not isinstance(item, XmlElement):
        return _md_inline(item)
    parts = []
    for index, child in enumerate(item.children):
        if isinstance(child, XmlElement) and child.tag in {"bulletList", "orderedList"}:
            parts.append("\n" + _md_block(child, indent))
        else:
            text = _md_block(child, indent)
            parts.append(text if index == 0 else "\n" + indent + text)
    return "".join(parts)


# Plain text


def to_text(doc: Doc[Any]) -> str:
    lines: list[str] = []
    for node in fragment(doc).children:
        _text_block(node, lines, "")
    return "\n".join(lines).strip("\n") + "\n"


def _plain(node: Any) -> str:
    if isinstance(node, XmlText):
        return "".join(value for value, _ in _runs(node))
    if isinstance(node, XmlElement) and node.tag == "hardBreak":
        return "\n"
    if isinstance(node, XmlElement):
        return "".join(_plain(child) for child in node.children)
    return ""


def _text_block(node: Any, lines: list[str], indent: str) -> None:
    if not isinstance(node, XmlElement):
        lines.append(indent + _plain(node))
        return
    tag = node.tag
    if tag in {"paragraph", "heading", "codeBlock"}:
        lines.append(indent + _plain(node))
        if not indent:
            lines.append("")
    elif tag in {"bulletList", "orderedList"}:
        for number, item in enumerate(node.children, start=1):
            marker = f"{number}. " if tag == "orderedList" else "• "
            sub: list[str] = []
            if isinstance(item, XmlElement):
                for child in item.children:
                    _text_block(child, sub, indent + "   ")
            sub = [line for line in sub if line.strip()]
            if sub:
                lines.append(indent + marker + sub[0].strip())
                lines.extend(sub[1:])
        if not indent:
            lines.append("")
    elif tag == "horizontalRule":
        lines.extend(["----", ""])
    else:
        for child in node.children:
            _text_block(child, lines, indent)
