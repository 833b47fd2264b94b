"""Compute Site Explorer: planned AI data centres in Xinjiang and Qinghai and their GPUs."""

from pathlib import Path

__version__ = "0.1.0"

#: The installed package: the bundled data and the map page's own files live inside it,
#: so a wheel installed anywhere carries its map and its demo.
PACKAGE_DIR = Path(__file__).resolve().parent
GEODATA = PACKAGE_DIR / "geodata"
RESOURCES = PACKAGE_DIR / "resources"
DEMO_SITES = GEODATA / "demo_sites.geojson"

__all__ = ["PACKAGE_DIR", "GEODATA", "RESOURCES", "DEMO_SITES", "__version__"]
