"""The map's modes and marker colourings: names only, importable without the session
(the map page's protocol reads them before the window is built)."""

#: The map modes, one at a time: ``browse`` or ``place`` for sites, or a drawing tool.
MODES: tuple[str, ...] = ("browse", "place", "polygon", "rectangle", "circle", "pick")
#: The modes that draw or pick a region.
DRAW_TOOLS: tuple[str, ...] = ("polygon", "rectangle", "circle", "pick")
#: What marker colours mean.
COLOR_MODES: tuple[str, ...] = ("export", "model")

__all__ = ["COLOR_MODES", "DRAW_TOOLS", "MODES"]
