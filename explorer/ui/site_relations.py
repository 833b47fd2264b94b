"""A site's ``part_of`` and ``supersedes`` in words, and the references the panel refuses.

Qt-free. The note says what counts (see :mod:`explorer.geo.capacity`): a superseded
record never counts; a campus and its parts never count more than the larger of the
two per chip model, the campus counting only its remainder; a reference that the
totals ignore is named as such. The checks refuse, when an edit *changes* a
reference, what the totals would ignore or what would make a cycle: a site that is
not in the data, a campus that is itself a part (parts are one level deep), making a
campus a part, and a chain of ``supersedes`` leading back to the site.
"""

from __future__ import annotations

from explorer.core.errors import Problem
from explorer.core.schema import Site
from explorer.session.session import Session
from explorer.ui.region_format import by_model_text


def _label(session: Session, sid: str) -> str:
    store = session.sites
    return f"'{store.get(sid).name}' ({sid})" if sid in store else f"'{sid}'"


def _in_store_order(session: Session, ids: set[str]) -> list[str]:
    if len(ids) < 2:
        return list(ids)
    order = {sid: i for i, sid in enumerate(session.sites.ids())}
    return sorted(ids, key=order.__getitem__)


def _superseders(session: Session, sid: str) -> list[Site]:
    # Asked of the ledger, which holds every site that names another: searching the
    # store would build every site of a file held as rows.
    found = session.live_totals.ledger.naming(sid, "supersedes")
    return [session.sites.get(x) for x in _in_store_order(session, found)]


def relation_note(session: Session, site: Site) -> str:
    """What ``site``'s relations mean for the totals, in a few sentences (``""`` when it
    has none)."""
    store = session.sites
    ledger = session.live_totals.ledger
    notes: list[str] = []
    later = _superseders(session, site.id)
    if later:
        names = ", ".join(_label(session, s.id) for s in later)
        notes.append(f"Superseded by {names}: kept for history, never counted.")
    if site.supersedes:
        if site.supersedes in store:
            notes.append(
                f"Replaces the earlier record {_label(session, site.supersedes)}, "
                "which is no longer counted."
            )
        else:
            notes.append(f"Supersedes '{site.supersedes}', which is not in the data.")
    if site.id in store and not later:
        parts = ledger.parts_of(site.id)
        if parts:
            order = {sid: i for i, sid in enumerate(store.ids())}
            parts.sort(key=lambda p: order.get(p.id, len(order)))
            remainder = ledger.contribution(site.id).undated
            counted = by_model_text((m, b[1]) for m, b in remainder.items()) or "nothing"
            n = len(parts)
            notes.append(
                f"Campus of {n} part{'s' * (n != 1)} "
                f"({', '.join(_label(session, p.id) for p in parts)}). Per chip model, "
                "campus and parts count the larger of the two: each part where it "
                f"stands, the campus only what its parts do not hold (all planned: {counted})."
            )
        if site.part_of:
            campus = ledger.campus_of(site)
            if campus is not None:
                notes.append(
                    f"Part of the campus {_label(session, campus)}: counts where it "
                    "stands; the campus counts only what its parts do not hold."
                )
            else:
                notes.append(
                    f"part_of names {_label(session, site.part_of)}, which the totals "
                    f"ignore ({_why_not_campus(session, site)}): this site counts on its own."
                )
    return " ".join(notes)


def _why_not_campus(session: Session, site: Site) -> str:
    store = session.sites
    cid = site.part_of
    if cid not in store:
        return "not in the data"
    campus = store.get(cid)
    if campus.part_of and campus.part_of in store:
        return "it is itself a part"
    if _superseders(session, cid):
        return "it is superseded"
    if _superseders(session, site.id):
        return "this record is superseded"
    return "see explorer validate"


def relation_problems(session: Session, old: Site, new: Site) -> list[Problem]:
    """Problems with the references an edit from ``old`` to ``new`` changes.

    Each :class:`Problem` names the field (``part_of`` or ``supersedes``) and quotes
    the value. References the edit leaves as they were are not checked (a file may
    hold a reference the totals ignore; it is shown in the note, and editing another
    field stays possible).
    """
    store = session.sites
    out: list[Problem] = []
    if new.part_of and new.part_of != old.part_of:
        ref = new.part_of
        if ref not in store:
            out.append(Problem("part_of", ref, f"part_of: no site has the id or name '{ref}'"))
        elif store.get(ref).part_of:
            out.append(
                Problem(
                    "part_of",
                    ref,
                    f"{_label(session, ref)} is itself part of "
                    f"{_label(session, store.get(ref).part_of)}: parts are one level deep",
                )
            )
        else:
            parts = _in_store_order(session, session.live_totals.ledger.naming(new.id, "part_of"))
            if parts:
                out.append(
                    Problem(
                        "part_of",
                        ref,
                        f"this site is the campus of {len(parts)} part"
                        f"{'s' * (len(parts) != 1)}: a campus cannot be a part",
                    )
                )
    if new.supersedes and new.supersedes != old.supersedes:
        ref = new.supersedes
        if ref not in store:
            out.append(
                Problem("supersedes", ref, f"supersedes: no site has the id or name '{ref}'")
            )
        else:
            seen = {new.id}
            cur = ref
            while cur and cur in store and cur not in seen:
                seen.add(cur)
                cur = store.get(cur).supersedes
            if cur == new.id:
                out.append(
                    Problem(
                        "supersedes",
                        ref,
                        f"{_label(session, ref)} already leads back to this site through "
                        "supersedes: that would be a cycle",
                    )
                )
    return out


__all__ = ["relation_note", "relation_problems"]
