"""What an output folder's store holds, for `xlsx-eval status`: each input's result, whether its files are
still as written, whether its input has changed since, and to whom its files went."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..files import digest
from . import manifest
from .store import DB_NAME, Entry, Store

#: An input's state, and how it is named to the people who read the status.
STATES = {"scored": "已评分", "not_scored": "未能评分", "unreadable": "无法读取", "retry": "上次未完成，待重试"}


@dataclass
class InputStatus:
    file: str  # the input as given to convert
    stem: str  # what its outputs are named by
    state: str  # a key of STATES
    total: float | None
    grade: str | None
    errors: int
    input_changed: bool  # the input's bytes differ from those scored (or it is gone)
    outputs: dict[str, str] = field(default_factory=dict)  # file name → "ok", "missing" or "changed"
    sent_to: list[str] = field(default_factory=list)  # recipients the server accepted its current files for
    uncertain: list[str] = field(default_factory=list)  # sends begun whose end was never recorded

    @property
    def stale(self) -> bool:
        return any(v != "ok" for v in self.outputs.values())


@dataclass
class FolderStatus:
    outdir: str
    store: str
    inputs: list[InputStatus]

    def count(self, state: str) -> int:
        return sum(i.state == state for i in self.inputs)

    @property
    def counts(self) -> dict[str, int]:
        scored = [i for i in self.inputs if i.state == "scored"]
        sendable = [i for i in scored if any(name.endswith((".xlsx", ".xlsm")) for name in i.outputs)]
        return {
            "inputs": len(self.inputs),
            **{state: self.count(state) for state in STATES},
            "with_errors": sum(1 for i in scored if i.errors),
            "sent": sum(1 for i in sendable if i.sent_to),
            "not_sent": sum(1 for i in sendable if not i.sent_to and not i.uncertain),
            "uncertain": sum(1 for i in self.inputs if i.uncertain),
            "stale_outputs": sum(i.stale for i in self.inputs),
            "inputs_changed": sum(i.input_changed for i in self.inputs),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "outdir": self.outdir,
            "store": self.store,
            "counts": self.counts,
            "inputs": [asdict(i) for i in self.inputs],
        }


def folder_status(outdir: Path | str) -> FolderStatus:
    """The status of ``outdir``'s store, read without waiting for a convert or email that may be running.
    A folder an earlier version made (manifest.json, no store) is taken over first. Raises StoreError."""
    outdir = Path(outdir)
    if not outdir.is_dir():
        raise StoreError(f"找不到输出文件夹 {outdir}；请先运行 xlsx-eval convert 输入文件 -o {outdir}")
    store = Store.peek(outdir)
    if store is None:
        if not (outdir / manifest.NAME).is_file():
            raise StoreError(
                f"{outdir} 里没有 xlsx-eval 的记录（{DB_NAME}），不是 xlsx-eval convert 的输出文件夹；"
                f"请先运行 xlsx-eval convert 输入文件 -o {outdir}"
            )
        Store.open(outdir, "status").close()  # an earlier version's folder: taken over, then read
        store = Store.peek(outdir)
        assert store is not None
    with store:
        sent, sending = store.sent_rows("sent"), store.sent_rows("sending")
        return FolderStatus(str(outdir), str(store.path), [_input(store, e, sent, sending) for e in store.entries()])


def _input(store: Store, e: Entry, sent: list[dict[str, Any]], sending: list[dict[str, Any]]) -> InputStatus:
    result = e.result or {}
    unreadable = any(f.get("code") == "UNREADABLE_FILE" for f in result.get("findings", []))
    state = (
        "retry" if e.transient else "scored" if result.get("scored") else "unreadable" if unreadable else "not_scored"
    )
    outputs = {}
    for o in e.outputs.values():
        outputs[o.name] = "ok" if store.intact(o) else "changed" if (store.outdir / o.name).exists() else "missing"
    sent_to: list[str] = []
    uncertain: list[str] = []
    scored, report = e.outputs.get("scored"), e.outputs.get("report")
    if scored is not None:
        for row in sent:
            if row["sha256"] == scored.sha256 and row["report_sha256"] == (report.sha256 if report else None):
                sent_to.append(row["to"])
        uncertain = [row["to"] for row in sending if row["sha256"] == scored.sha256]
    return InputStatus(
        file=str(result.get("file") or e.path),
        stem=e.stem,
        state=state,
        total=result.get("total"),
        grade=result.get("grade"),
        errors=sum(f.get("severity") == "error" for f in result.get("findings", [])),
        input_changed=bool(e.digest) and digest(Path(e.path)) != e.digest,
        outputs=outputs,
        sent_to=list(dict.fromkeys(sent_to)),
        uncertain=list(dict.fromkeys(uncertain)),
    )
