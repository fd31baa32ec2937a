"""metasim: the Meta webhook simulator, fake Graph API, acceptance suite and reference gateway."""

from pathlib import Path

# The repository keeps its parts as top-level folders (simulator/, gateway/, steps/, reports/,
# payloads/, features/, examples/); the wheel installs them under this package (pyproject's
# package-dir), so no generic top-level name is ever installed. In a checkout, the folders
# beside this one are the package's parts: extend the search path to them. The marker file
# keeps an installed copy from ever reaching into site-packages.
_CHECKOUT = Path(__file__).resolve().parent.parent
if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "simulator" / "__init__.py").is_file():
    __path__.append(str(_CHECKOUT))
