"""The session: what the analyst is working on (Qt-free, like napari's viewer model).

One :class:`~explorer.session.session.Session` owns the site and region stores, the chip
catalogue, both selections, the live totals, the boundary layer, the map mode and the
construction of every undoable command. The window, the panels and the map controllers
are views and adapters over it; the CLI, the snapshot and the report open files through
the same door.

Floor: above ``io`` (it opens and saves files), below ``web`` and ``ui``.
"""
