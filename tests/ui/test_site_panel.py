"""SitePanel both ways: store/selection → fields; typing in fields → commands, undo, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QUndoStack
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from explorer.core.chips import ChipCatalogue
from explorer.core.commands import DeleteSites, EditSite
from explorer.core.schema import HardwareLine, Site, Source
from explorer.core.selection import Selection
from explorer.core.store import SiteStore
from explorer.geo.admin import AdminArea, AdminAreas
from explorer.geo.regions import rectangle
from explorer.session.session import Session
from explorer.ui.site_panel import ILLUSTRATIVE_BANNER, SitePanel
from explorer.ui.undo import QtHistory, push

MakePanel = Callable[..., SitePanel]


@pytest.fixture
def make_panel(qtbot: QtBot, session: Session) -> MakePanel:
    def make(target: Session = session) -> SitePanel:
        panel = SitePanel(target)
        qtbot.addWidget(panel)
        panel.resize(700, 900)
        panel.show()
        qtbot.waitExposed(panel)
        return panel

    return make


@pytest.fixture
def panel(make_panel: MakePanel, selection: Selection) -> SitePanel:
    selection.set("nyocor-1")
    return make_panel()


def line(panel: SitePanel, name: str) -> QLineEdit:
    w = panel.field_widget(name)
    assert isinstance(w, QLineEdit)
    return w


def combo(panel: SitePanel, name: str) -> QComboBox:
    w = panel.field_widget(name)
    assert isinstance(w, QComboBox)
    return w


def retype(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    """Select all, type ``text`` and press Return, as a user would."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    if text:
        qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def error_label(panel: SitePanel, name: str) -> QLabel:
    label = panel.findChild(QLabel, f"error_{name}")
    assert label is not None
    return label


# ---------------------------------------------------------------------------- showing
def test_shows_every_attribute(panel: SitePanel) -> None:
    assert line(panel, "name").text() == "Nyocor Hami phase 1"
    assert line(panel, "operator").text() == "Nyocor"
    assert line(panel, "tenant").text() == "Infinigence AI"
    assert combo(panel, "province").currentText() == "Xinjiang"
    assert line(panel, "prefecture").text() == "Hami"
    assert line(panel, "lon").text() == "93.51235"  # 5 decimals
    assert line(panel, "lat").text() == "42.83457"
    assert combo(panel, "status").currentText() == "planned"
    assert combo(panel, "confidence").currentText() == "high"
    assert line(panel, "power_mw").text() == "12.5"
    notes = panel.field_widget("notes")
    assert isinstance(notes, QPlainTextEdit) and notes.toPlainText() == "Servers rented to tenants"
    assert combo(panel, "hardware[0].chip_model").currentText() == "H100"
    assert line(panel, "hardware[0].chips").text() == "2000"
    assert line(panel, "hardware[0].servers").text() == "250"
    assert line(panel, "hardware[0].gpus_per_server").text() == "8"
    assert line(panel, "hardware[0].phase").text() == "1"
    assert line(panel, "sources[0].title").text() == "Bloomberg report"
    assert line(panel, "sources[0].url").text() == "https://www.bloomberg.com/x"
    assert line(panel, "sources[0].date").text() == "2025-11"
    for key, text in (
        ("id", "nyocor-1"),
        ("chips", "2,000"),
        ("updated_at", "2025-11-01T00:00:00Z"),
    ):
        label = panel.field_widget(key)
        assert isinstance(label, QLabel) and label.text() == text
    assert panel.banner.isHidden()


def test_field_widgets_have_object_names(panel: SitePanel) -> None:
    assert panel.findChild(QLineEdit, "field_name") is panel.field_widget("name")
    assert panel.findChild(QLineEdit, "field_hardware[0].chips") is panel.field_widget(
        "hardware[0].chips"
    )
    assert panel.findChild(QLineEdit, "field_sources[0].url") is panel.field_widget(
        "sources[0].url"
    )
    with pytest.raises(KeyError):
        panel.field_widget("hardware[5].chips")


def test_labels_never_render_user_text_as_html(panel: SitePanel) -> None:
    for label in panel.findChildren(QLabel):
        if label.objectName().startswith(("field_", "error_", "illustrative", "empty")):
            assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()


def test_no_selection_shows_empty_state(panel: SitePanel, selection: Selection) -> None:
    selection.set(None)
    assert panel.site is None
    assert not panel.empty_label.isHidden()
    assert not panel.form.isEnabled()
    selection.set("golmud-1")
    assert panel.empty_label.isHidden()
    assert line(panel, "name").text() == "Golmud solar DC"
    assert line(panel, "power_mw").text() == "150"
    assert line(panel, "hardware[0].servers").text() == ""


def test_illustrative_banner(panel: SitePanel, selection: Selection) -> None:
    selection.set("yiwu-1")
    assert not panel.banner.isHidden()
    assert panel.banner.text() == ILLUSTRATIVE_BANNER
    assert panel.banner.isVisible()
    selection.set("golmud-1")
    assert panel.banner.isHidden()


def test_store_change_updates_panel(
    panel: SitePanel, store: SiteStore, undo_stack: QUndoStack
) -> None:
    old = store.get("nyocor-1")
    new = old.with_changes(name="Renamed", hardware=(HardwareLine("H200", 40),) * 2)
    push(undo_stack, EditSite(store, old, new))
    assert line(panel, "name").text() == "Renamed"
    assert combo(panel, "hardware[1].chip_model").currentText() == "H200"
    assert panel.field_widget("chips").text() == "80"  # type: ignore[attr-defined]
    undo_stack.undo()
    assert line(panel, "name").text() == "Nyocor Hami phase 1"
    with pytest.raises(KeyError):
        panel.field_widget("hardware[1].chips")


def test_change_to_other_site_is_ignored(panel: SitePanel, store: SiteStore) -> None:
    line(panel, "name").setText("typing in progress")
    old = store.get("golmud-1")
    store.replace(old.with_changes(name="Other"))
    assert line(panel, "name").text() == "typing in progress"


def test_delete_and_undo_delete_of_selected_site(
    panel: SitePanel, store: SiteStore, undo_stack: QUndoStack
) -> None:
    push(undo_stack, DeleteSites(store, ["nyocor-1"]))
    assert panel.site is None
    undo_stack.undo()
    assert panel.site == store.get("nyocor-1")
    assert line(panel, "name").text() == "Nyocor Hami phase 1"


def test_reset_reloads(panel: SitePanel, store: SiteStore, sites: list[Site]) -> None:
    store.reset([sites[0].with_changes(name="From file")])
    assert line(panel, "name").text() == "From file"
    store.reset(sites[1:])
    assert panel.site is None


def test_loading_never_pushes(
    panel: SitePanel, selection: Selection, undo_stack: QUndoStack
) -> None:
    for sid in ("yiwu-1", "golmud-1", "karamay-1", "nyocor-1", None, "yiwu-1"):
        selection.set(sid)
    assert undo_stack.count() == 0


# ---------------------------------------------------------------------------- editing
def test_edit_name_pushes_and_undo_restores(
    qtbot: QtBot, panel: SitePanel, store: SiteStore, undo_stack: QUndoStack
) -> None:
    before = store.get("nyocor-1")
    retype(qtbot, line(panel, "name"), "Nyocor Hami I")
    after = store.get("nyocor-1")
    assert after.name == "Nyocor Hami I"
    assert after.updated_at != before.updated_at
    assert after.lon == before.lon and after.lat == before.lat  # not rounded to 5 places
    assert after.power_mw == 12.5
    assert undo_stack.count() == 1
    assert "name" in undo_stack.undoText()
    undo_stack.undo()
    assert store.get("nyocor-1") == before
    assert line(panel, "name").text() == "Nyocor Hami phase 1"
    undo_stack.redo()
    assert line(panel, "name").text() == "Nyocor Hami I"


def test_enter_without_change_pushes_nothing(
    qtbot: QtBot, panel: SitePanel, undo_stack: QUndoStack
) -> None:
    edit = line(panel, "lat")
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    retype(qtbot, line(panel, "operator"), "Nyocor")
    assert undo_stack.count() == 0


def test_edit_hardware_chips(
    qtbot: QtBot, panel: SitePanel, store: SiteStore, undo_stack: QUndoStack
) -> None:
    retype(qtbot, line(panel, "hardware[0].chips"), "3000")
    assert store.get("nyocor-1").hardware[0].chips == 3000
    assert panel.field_widget("chips").text() == "3,000"  # type: ignore[attr-defined]
    assert undo_stack.count() == 1
    undo_stack.undo()
    assert line(panel, "hardware[0].chips").text() == "2000"


def test_edit_status_with_keyboard(
    qtbot: QtBot, panel: SitePanel, store: SiteStore, undo_stack: QUndoStack
) -> None:
    status = combo(panel, "status")
    status.setFocus()
    qtbot.keyClick(status, Qt.Key.Key_Down)  # planned → under construction, emits activated
    assert store.get("nyocor-1").status == "under construction"
    assert undo_stack.count() == 1


def test_confidence_illustrative_shows_banner(panel: SitePanel, store: SiteStore) -> None:
    conf = combo(panel, "confidence")
    i = conf.findData("illustrative")
    conf.setCurrentIndex(i)
    conf.activated.emit(i)
    assert store.get("nyocor-1").is_illustrative
    assert panel.banner.isVisible()


def test_chip_model_combo(panel: SitePanel, store: SiteStore) -> None:
    model = combo(panel, "hardware[0].chip_model")
    assert [model.itemText(i) for i in range(model.count())] == [
        "H100",
        "H200",
        "H20",
        "Ascend 910C",
    ]
    model.setCurrentIndex(3)
    model.activated.emit(3)
    assert store.get("nyocor-1").hardware[0].chip_model == "Ascend 910C"


def test_blank_power_is_allowed(qtbot: QtBot, panel: SitePanel, store: SiteStore) -> None:
    retype(qtbot, line(panel, "power_mw"), "")
    assert store.get("nyocor-1").power_mw is None
    retype(qtbot, line(panel, "power_mw"), "80")
    assert store.get("nyocor-1").power_mw == 80.0


def test_province_editable(qtbot: QtBot, panel: SitePanel, store: SiteStore) -> None:
    province = combo(panel, "province")
    edit = province.lineEdit()
    assert edit is not None
    retype(qtbot, edit, "Gansu")
    assert store.get("nyocor-1").province == "Gansu"


def test_notes_commit_on_ctrl_return(qtbot: QtBot, panel: SitePanel, store: SiteStore) -> None:
    notes = panel.field_widget("notes")
    assert isinstance(notes, QPlainTextEdit)
    notes.setFocus()
    notes.selectAll()
    qtbot.keyClicks(notes, "line one")
    qtbot.keyClick(notes, Qt.Key.Key_Return)  # a newline, not a commit
    qtbot.keyClicks(notes, "line two")
    assert store.get("nyocor-1").notes == "Servers rented to tenants"
    qtbot.keyClick(notes, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert store.get("nyocor-1").notes == "line one\nline two"


def test_notes_commit_on_focus_out(qtbot: QtBot, panel: SitePanel, store: SiteStore) -> None:
    panel.activateWindow()
    notes = panel.field_widget("notes")
    assert isinstance(notes, QPlainTextEdit)
    notes.setFocus()
    qtbot.waitUntil(notes.hasFocus, timeout=10_000)
    notes.setPlainText("new notes")
    line(panel, "name").setFocus()
    qtbot.waitUntil(lambda: store.get("nyocor-1").notes == "new notes", timeout=10_000)


def test_edit_location_follows_the_province_boundaries(
    qtbot: QtBot,
    make_panel: MakePanel,
    sites: list[Site],
    catalogue: ChipCatalogue,
    undo_stack: QUndoStack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Hand-drawn boundaries: "Qinghai" south of 39 N over this longitude band.
    box = rectangle("Qinghai", 80, 30, 100, 39)
    areas = AdminAreas([AdminArea("Qinghai", "青海", "China", True, True, box)])
    session = Session(catalogue, history=QtHistory(undo_stack), admin_areas=areas)
    session.sites.reset(sites)
    session.selection.set("nyocor-1")
    panel = make_panel(session)
    store = session.sites
    retype(qtbot, line(panel, "lat"), "36.5")
    site = store.get("nyocor-1")
    assert (site.lat, site.province) == (36.5, "Qinghai")
    assert combo(panel, "province").currentText() == "Qinghai"
    assert undo_stack.count() == 1  # one command for location and province
    undo_stack.undo()
    site = store.get("nyocor-1")
    assert (site.lat, site.province) == (42.834567891, "Xinjiang")
    # Outside every area: the province is left as it is.
    retype(qtbot, line(panel, "lat"), "41")
    assert store.get("nyocor-1").province == "Xinjiang"
    # Name edits do not consult the boundaries.
    monkeypatch.setattr(session, "province_at", lambda lon, lat: pytest.fail("lookup called"))
    retype(qtbot, line(panel, "name"), "N")
    assert store.get("nyocor-1").name == "N"


def test_an_edit_is_validated_once(
    qtbot: QtBot, panel: SitePanel, store: SiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form is parsed (and validated) by the store's door; the value it returns is
    stored without a second check."""
    import explorer.core.store as store_module

    checks: list[str] = []
    real_check = store_module.check_site

    def counting_check(site: Site, catalogue: ChipCatalogue) -> Site:
        checks.append(site.id)
        return real_check(site, catalogue)

    monkeypatch.setattr(store_module, "check_site", counting_check)
    retype(qtbot, line(panel, "operator"), "Someone else")
    assert store.get("nyocor-1").operator == "Someone else"
    assert checks == []
    # A value built elsewhere is checked by the store, once.
    store.replace(store.get("nyocor-1").with_changes(operator="Other"))
    assert checks == ["nyocor-1"]


# ---------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("hardware[0].chips", "12.5", "chips must be a whole number >= 0, got '12.5'"),
        ("hardware[0].chips", "-3", "chips must be a whole number >= 0, got '-3'"),
        ("hardware[0].chips", "", "chips is required"),
        ("hardware[0].servers", "2.5", "servers must be a whole number >= 0, got '2.5'"),
        ("lat", "95", "lat must be between -90 and 90, got '95'"),
        ("lon", "east", "lon must be a number, got 'east'"),
        ("power_mw", "-1", "power_mw must be between 0 and 100000, got '-1'"),
        ("name", "", "name must not be empty"),
        ("sources[0].url", "javascript:alert(1)", "source url must start with http:// or https://"),
        ("sources[0].date", "Nov 2025", "source date must be YYYY, YYYY-MM or YYYY-MM-DD"),
        ("sources[0].title", "", "source title must not be empty"),
    ],
)
def test_invalid_input_is_refused_beside_the_field(
    qtbot: QtBot,
    panel: SitePanel,
    store: SiteStore,
    undo_stack: QUndoStack,
    field: str,
    text: str,
    message: str,
) -> None:
    before = store.get("nyocor-1")
    problems: list[object] = []
    panel.problemsChanged.connect(problems.append)
    edit = line(panel, field)
    retype(qtbot, edit, text)

    assert store.get("nyocor-1") == before
    assert undo_stack.count() == 0
    assert message in panel.error_text(field)
    assert edit.text() == text  # the bad text stays to be fixed
    assert edit.property("invalid") is True
    # A hardware line's messages sit in its card; a source's under the sources table.
    if field.startswith("hardware"):
        label_name = field.rsplit(".", 1)[0]
    else:
        label_name = field.split("[", 1)[0] if "[" in field else field
    label = error_label(panel, label_name)
    assert label.isVisible() and message in label.text()
    assert problems and problems[-1]

    # Fixing the field clears the message and commits.
    good = {
        "hardware[0].chips": "2001",
        "hardware[0].servers": "251",
        "lat": "42.5",
        "lon": "93.5",
        "power_mw": "13",
        "name": "Fixed",
        "sources[0].url": "https://x.org/a",
        "sources[0].date": "2025",
        "sources[0].title": "Fixed",
    }[field]
    retype(qtbot, edit, good)
    assert panel.error_text(field) == ""
    assert edit.property("invalid") is False
    assert label.isHidden()
    assert undo_stack.count() == 1
    assert problems[-1] == []


def test_other_field_edit_refused_while_a_field_is_bad(
    qtbot: QtBot, panel: SitePanel, store: SiteStore, undo_stack: QUndoStack
) -> None:
    retype(qtbot, line(panel, "lat"), "95")
    retype(qtbot, line(panel, "name"), "New name")
    assert store.get("nyocor-1").name == "Nyocor Hami phase 1"
    assert undo_stack.count() == 0
    assert "lat" in panel.error_text("lat")
    assert line(panel, "lat").text() == "95"
    assert line(panel, "name").text() == "New name"


def test_error_messages_are_plain_text(qtbot: QtBot, panel: SitePanel) -> None:
    retype(qtbot, line(panel, "sources[0].date"), "<b>x</b>")
    label = error_label(panel, "sources")
    assert "'<b>x</b>'" in label.text()
    assert label.textFormat() == Qt.TextFormat.PlainText


def test_selection_change_clears_errors(
    qtbot: QtBot, panel: SitePanel, selection: Selection
) -> None:
    retype(qtbot, line(panel, "lat"), "95")
    selection.set("golmud-1")
    assert panel.error_text("lat") == ""
    assert line(panel, "lat").property("invalid") is False
    assert error_label(panel, "lat").isHidden()


# ---------------------------------------------------------------------------- line editing
def test_add_and_remove_hardware_line(
    qtbot: QtBot, panel: SitePanel, store: SiteStore, undo_stack: QUndoStack
) -> None:
    add = panel.findChild(QPushButton, "add_hardware_line")
    assert add is not None
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    assert undo_stack.count() == 0  # nothing stored until the line is valid
    chips = line(panel, "hardware[1].chips")
    assert chips.text() == ""
    model = combo(panel, "hardware[1].chip_model")
    model.setCurrentText("H200")
    retype(qtbot, chips, "500")
    site = store.get("nyocor-1")
    assert site.hardware[1] == HardwareLine("H200", 500, None, None, "")
    assert site.chips == 2500
    assert undo_stack.count() == 1

    remove = panel.findChild(QPushButton, "remove_hardware[0]")
    assert remove is not None
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    assert store.get("nyocor-1").hardware == (HardwareLine("H200", 500),)
    assert line(panel, "hardware[0].chips").text() == "500"
    assert undo_stack.count() == 2
    undo_stack.undo()
    assert store.get("nyocor-1").chips == 2500
    assert line(panel, "hardware[0].chips").text() == "2000"
    assert line(panel, "hardware[1].chips").text() == "500"


def test_added_line_without_chips_is_refused(
    qtbot: QtBot, panel: SitePanel, undo_stack: QUndoStack
) -> None:
    panel.add_hardware_line()
    retype(qtbot, line(panel, "hardware[1].chips"), "")
    assert panel.error_text("hardware[1].chips") == "chips is required"
    assert "chips is required" in error_label(panel, "hardware[1]").text()
    assert error_label(panel, "hardware[0]").isHidden()
    assert undo_stack.count() == 0


def test_add_source_and_open_it(
    qtbot: QtBot, panel: SitePanel, store: SiteStore, url_handler: list[QUrl]
) -> None:
    panel.add_source()
    open_button = panel.findChild(QPushButton, "open_sources[1]")
    assert open_button is not None and not open_button.isEnabled()
    retype(qtbot, line(panel, "sources[1].title"), "Local notice")
    assert panel.error_text("sources[1].title") == ""
    assert store.get("nyocor-1").sources[1] == Source("Local notice")
    retype(qtbot, line(panel, "sources[1].url"), "https://example.org/notice?id=1")
    assert store.get("nyocor-1").sources[1].url == "https://example.org/notice?id=1"
    assert open_button.isEnabled()
    qtbot.mouseClick(open_button, Qt.MouseButton.LeftButton)
    assert url_handler == [QUrl("https://example.org/notice?id=1")]
    qtbot.mouseClick(panel.findChild(QPushButton, "remove_sources[0]"), Qt.MouseButton.LeftButton)
    assert [s.title for s in store.get("nyocor-1").sources] == ["Local notice"]


def test_only_http_links_open(panel: SitePanel, url_handler: list[QUrl]) -> None:
    edit = line(panel, "sources[0].url")
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "https://", "ftp://x.org/a"):
        edit.setText(bad)
        assert not panel.open_source_url(0)
        assert not panel.findChild(QPushButton, "open_sources[0]").isEnabled()  # type: ignore[union-attr]
    assert url_handler == []


class _UrlSink(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def url_handler() -> Iterator[list[QUrl]]:
    """Catch QDesktopServices.openUrl instead of launching a browser."""
    sink = _UrlSink()
    for scheme in ("http", "https"):
        QDesktopServices.setUrlHandler(scheme, sink, "handle")  # type: ignore[arg-type]
    yield sink.urls
    for scheme in ("http", "https"):
        QDesktopServices.unsetUrlHandler(scheme)


def test_deleted_panel_unsubscribes(
    qtbot: QtBot, session: Session, store: SiteStore, selection: Selection
) -> None:
    before = (len(store.changed), len(selection.changed))
    panel = SitePanel(session)
    panel.deleteLater()
    qtbot.waitUntil(lambda: len(store.changed) == before[0], timeout=10_000)
    assert len(selection.changed) == before[1]
    selection.set("golmud-1")


def test_field_widget_types(panel: SitePanel) -> None:
    for name in ("status", "confidence", "province", "hardware[0].chip_model"):
        assert isinstance(panel.field_widget(name), QComboBox)
    assert isinstance(panel.field_widget("id"), QLabel)
    assert isinstance(panel.field_widget("notes"), QWidget)
