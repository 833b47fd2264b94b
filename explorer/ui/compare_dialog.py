"""File → Compare With File…: what differs between the open catalogue and a file.

Shows a :class:`~explorer.session.diff.Diff` with the file as the baseline: sites only in
the catalogue (added since the file), only in the file (removed), and changed, each
changed field with its value in the file and in the catalogue; then each region's totals
in the file, in the catalogue and the change (``all`` first, then the open regions), as
of the window's date.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.session.diff import Diff
from explorer.ui.change_text import field_title, value_text
from explorer.ui.date_text import as_of_words

#: Columns of the sites tree.
SITE_COLUMNS: tuple[str, ...] = ("Site / field", "In the file", "In the catalogue")
#: Columns of the regions table.
REGION_COLUMNS: tuple[str, ...] = (
    "Region",
    "Sites (file → catalogue)",
    "Chips in the file",
    "Chips in the catalogue",
    "Change",
    "Restricted change",
    "H100e change",
)


RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _signed(value: float, spec: str = ",d") -> str:
    if value == 0:
        return "0"
    text = format(round(value) if spec == ",d" else value, spec)
    return f"+{text}" if value > 0 else text.replace("-", "−")


def _plain(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


class CompareDialog(QDialog):
    """The differences between a file (the baseline) and the open catalogue.

    Parameters
    ----------
    diff : Diff
        ``diff_projects(file, catalogue, ...)``.
    file_name, catalogue_name : str
        What to call the two sides.
    parent : QWidget, optional
    """

    def __init__(
        self, diff: Diff, file_name: str, catalogue_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("compare_dialog")
        self.setWindowTitle(f"Compare {catalogue_name} with {file_name}")
        self.diff = diff
        n_add, n_rem, n_chg = len(diff.added), len(diff.removed), len(diff.changed)
        when = as_of_words(diff.regions[0].after.as_of) if diff.regions else ""
        summary = (
            "The sites are the same."
            if diff.same_sites
            else f"{n_add} site(s) added, {n_rem} removed and {n_chg} changed in "
            f"{catalogue_name} since {file_name}."
        )
        self.summary = _plain(f"{summary} Region totals: {when}.", self)
        self.summary.setObjectName("compare_summary")

        self.sites = QTreeWidget(self)
        self.sites.setObjectName("compare_sites")
        self.sites.setHeaderLabels(list(SITE_COLUMNS))
        self.sites.setUniformRowHeights(False)
        self.sites.setWordWrap(True)
        self.sites.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self._fill_sites(diff)

        self.regions = QTableWidget(len(diff.regions), len(REGION_COLUMNS), self)
        self.regions.setObjectName("compare_regions")
        self.regions.setHorizontalHeaderLabels(list(REGION_COLUMNS))
        self.regions.verticalHeader().hide()
        self.regions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for r, change in enumerate(diff.regions):
            b, a = change.before, change.after
            cells = (
                change.name,
                f"{b.site_count:,} → {a.site_count:,}",
                f"{b.chips:,}",
                f"{a.chips:,}",
                _signed(change.chips),
                _signed(change.restricted_chips),
                _signed(change.h100e, ",.1f"),
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.regions.setItem(r, c, item)
        self.regions.resizeColumnsToContents()

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.sites)
        split.addWidget(self.regions)
        split.setSizes([360, 160])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self.resize(900, 620)

    def _fill_sites(self, diff: Diff) -> None:
        def group(title: str, count: int) -> QTreeWidgetItem:
            item = QTreeWidgetItem([f"{title} ({count})", "", ""])
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            self.sites.addTopLevelItem(item)
            return item

        added = group("Added: only in the catalogue", len(diff.added))
        for s in diff.added:
            QTreeWidgetItem(added, [f"{s.name} ({s.id})", "—", f"{s.chips:,} chips"])
        removed = group("Removed: only in the file", len(diff.removed))
        for s in diff.removed:
            QTreeWidgetItem(removed, [f"{s.name} ({s.id})", f"{s.chips:,} chips", "—"])
        changed = group("Changed", len(diff.changed))
        for c in diff.changed:
            site = QTreeWidgetItem(changed, [f"{c.name} ({c.id})", "", ""])
            for f in c.fields:
                before, after = value_text(f.field, f.before), value_text(f.field, f.after)
                row = QTreeWidgetItem(site, [field_title(f.field), before, after])
                row.setToolTip(1, before)
                row.setToolTip(2, after)
        self.sites.expandAll()

    def site_rows(self) -> list[tuple[int, str, str, str]]:
        """The sites tree as shown: ``(depth, site or field, in the file, in the
        catalogue)`` in display order."""
        out: list[tuple[int, str, str, str]] = []

        def walk(item: QTreeWidgetItem | None, depth: int) -> None:
            if item is None:
                return
            out.append((depth, item.text(0), item.text(1), item.text(2)))
            for i in range(item.childCount()):
                walk(item.child(i), depth + 1)

        for i in range(self.sites.topLevelItemCount()):
            walk(self.sites.topLevelItem(i), 0)
        return out

    def region_rows(self) -> list[tuple[str, ...]]:
        """The regions table as shown, one tuple of :data:`REGION_COLUMNS` per row."""
        out = []
        for r in range(self.regions.rowCount()):
            cells = [self.regions.item(r, c) for c in range(len(REGION_COLUMNS))]
            out.append(tuple(c.text() if c is not None else "" for c in cells))
        return out


__all__ = ["REGION_COLUMNS", "SITE_COLUMNS", "CompareDialog"]
