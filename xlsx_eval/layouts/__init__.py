"""The layouts xlsx-eval reads, as data: which labels or headers a form holds, their variants as units write
them, which are required, and what each maps to in the model (``model``).

The reader finds things by these descriptions (``read``); for our own workbook the template is written from the
same description (``write.template``), so the two cannot drift apart. ``workbook`` is template.md's workbook;
``national`` the national 项目支出绩效自评表 of national-form.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..values import label_key


@dataclass(frozen=True)
class Label:
    """A label or column header: ``name`` as our own outputs write it, ``variants`` as other forms do.

    ``field`` is the model attribute it fills, ``kind`` how its value is read ("text", "year", "amount",
    "number").
    """

    name: str
    field: str
    variants: tuple[str, ...] = ()
    required: bool = False
    kind: str = "text"

    def keys(self, key: Callable[[object], str] = label_key) -> tuple[str, ...]:
        """The normalised spellings that mean this label (by ``key``, default values.label_key)."""
        return tuple(dict.fromkeys(key(s) for s in (self.name, *self.variants)))


def lookup(labels: Iterable[Label], key: Callable[[object], str] = label_key) -> dict[str, Label]:
    """Normalised spelling → label; the first label to claim a spelling keeps it."""
    found: dict[str, Label] = {}
    for label in labels:
        for spelling in label.keys(key):
            found.setdefault(spelling, label)
    return found
