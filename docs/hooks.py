"""A build hook of the docs site (mkdocs.yml's ``hooks:``).

The English pages shown in the Chinese site (docs/zh/ has no translation of them yet)
keep their raw HTML as written, so an ``<iframe src="../stepper/...">`` there looks for
zh/stepper/. The language plugin fixes the paths of Markdown images and links, not of
raw HTML; this copies the stand-alone stepper pages next to the Chinese site too.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any


def on_post_build(config: Any, **_: Any) -> None:
    """Copy site/stepper/ to site/zh/stepper/ after the build."""
    site = Path(config["site_dir"])
    steppers, chinese = site / "stepper", site / "zh"
    if steppers.is_dir() and chinese.is_dir():
        shutil.copytree(steppers, chinese / "stepper", dirs_exist_ok=True)
