"""axe-core, from the project's own node_modules, run in a Playwright page.

The script is read from disk, never from a CDN: the machines that run the tests have no
network, and the version checked is the one package-lock.json pins."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).parent.parent.parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 levels A and AA: what the project promises.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Impacts that fail a test; "minor" and "moderate" ones are reported only.
BLOCKING = ("serious", "critical")
# How many failing elements a report names per rule (the rest are counted).
SHOWN_NODES = 5


@dataclass(frozen=True)
class Violation:
    """One axe rule broken on a page, with the elements that break it."""

    rule: str
    impact: str
    help: str
    help_url: str
    targets: list[str]
    summaries: list[str]

    @property
    def blocking(self) -> bool:
        return self.impact in BLOCKING

    def describe(self) -> str:
        """A few lines that say what to fix and where."""
        lines = [f"[{self.impact}] {self.rule}: {self.help} ({self.help_url})"]
        for target, summary in list(zip(self.targets, self.summaries, strict=True))[:SHOWN_NODES]:
            lines.append(f"    {target}")
            if summary:
                lines.append("        " + summary.replace("\n", "\n        "))
        hidden = len(self.targets) - SHOWN_NODES
        if hidden > 0:
            lines.append(f"    … and {hidden} more")
        return "\n".join(lines)


def _violation(raw: dict[str, Any]) -> Violation:
    nodes = raw["nodes"]
    return Violation(
        rule=raw["id"],
        impact=raw.get("impact") or "minor",
        help=raw["help"],
        help_url=raw["helpUrl"].split("?")[0],
        targets=[" ".join(map(_selector, node["target"])) for node in nodes],
        summaries=[_short(node.get("failureSummary") or "") for node in nodes],
    )


def _selector(part: Any) -> str:
    # A target inside a shadow root or frame is a list of selectors; join them.
    return " >> ".join(part) if isinstance(part, list) else str(part)


def _short(summary: str) -> str:
    """axe's "Fix any of the following:" text, minus the boilerplate line."""
    lines = [line.strip() for line in summary.splitlines() if line.strip()]
    return "\n".join(line for line in lines if not line.startswith("Fix "))


def check(page: Page) -> list[Violation]:
    """Run axe's WCAG 2.1 A/AA rules on what the page shows now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=AXE_SCRIPT)
    raw = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags}})
             .then(results => results.violations)""",
        WCAG_TAGS,
    )
    return [_violation(item) for item in raw]


def report(where: str, violations: list[Violation]) -> str:
    """What a failing test prints: the page, then each broken rule."""
    if not violations:
        return f"{where}: no violations"
    return f"{where}:\n" + "\n".join(violation.describe() for violation in violations)
