"""Label Studio label config and instructions, generated from curate.toml and guidelines.md."""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import quoteattr

from curate.config import Settings, read_text_file
from curate.errors import UsageError
from curate.labelstudio.convert import stance_control

TEXT_NAME, LABELS_NAME = "text", "label"


def label_config(settings: Settings) -> str:
    lines = [
        "<View>",
        '  <Header value="$title"/>',
        f'  <Labels name="{LABELS_NAME}" toName="{TEXT_NAME}">',
    ]
    for label in settings.entity_labels:
        lines.append(
            f"    <Label value={quoteattr(label.name)} hotkey={quoteattr(label.hotkey)} "
            f"background={quoteattr(label.colour)}/>"
        )
    lines += ["  </Labels>", f'  <Text name="{TEXT_NAME}" value="$text"/>']
    for target in settings.stance.targets:
        lines.append(f"  <Header value={quoteattr('Stance toward ' + target.name)}/>")
        lines.append(
            f'  <Choices name={quoteattr(stance_control(target.name))} toName="{TEXT_NAME}" '
            'choice="single" showInline="true">'
        )
        lines += [f"    <Choice value={quoteattr(label)}/>" for label in settings.stance.labels]
        lines.append("  </Choices>")
    lines.append("</View>")
    return "\n".join(lines)


LABEL_VALUE = re.compile(r'<Label value="([^"]*)"')
CHOICE_VALUE = re.compile(r'<Choice value="([^"]*)"')


def labels_in(config: str) -> set[str]:
    return set(LABEL_VALUE.findall(config)) | set(CHOICE_VALUE.findall(config))


def check_change(old_config: str, new_config: str, used: set[str]) -> None:
    """Refuse a new config that would drop labels existing annotations use."""
    orphaned = sorted((labels_in(old_config) - labels_in(new_config)) & used)
    if orphaned:
        raise UsageError(
            f"the new label config drops {', '.join(orphaned)}, which existing annotations use; "
            "keep those labels in curate.toml (or rename them in a new project)"
        )


def instructions(guidelines: Path) -> str:
    """guidelines.md rendered to HTML for the project's instructions."""
    from markdown_it import MarkdownIt

    if not guidelines.is_file():
        raise UsageError(f"{guidelines} not found; write the guidelines or fix project.guidelines")
    return MarkdownIt().render(read_text_file(guidelines))
