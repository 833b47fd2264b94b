"""Compute Site Explorer: planned AI data centres in Xinjiang and Qinghai and their GPUs."""

from pathlib import Path

__version__ = "0.1.0"

#: Repository root when running from a checkout (editable install).
ROOT = Path(__file__).resolve().parent.parent
GEODATA = ROOT / "geodata"
RESOURCES = ROOT / "resources"
DEMO_SITES = GEODATA / "demo_sites.geojson"

__all__ = ["ROOT", "GEODATA", "RESOURCES", "DEMO_SITES", "__version__"]
