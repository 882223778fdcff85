"""Build hook: ship the model zoo inside the wheel as ``lazycheck/zoo/``.

models/, specs/ and the docs a report cites stay where they are in the
repository; ``build_py`` copies them into the built package so that
``lazycheck verify arm64-nested`` works after ``pip install`` in any
directory (``lazycheck.targets.zoo_root``).  All other metadata is in
pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
ZOO = (("models", ("*.lazy", "*.md")), ("specs", ("*.toml",)), ("docs", ("*.md",)))


class BuildWithZoo(build_py):
    """build_py that also copies the zoo into ``<build>/lazycheck/zoo``."""

    def run(self) -> None:
        super().run()
        dest = Path(self.build_lib) / "lazycheck" / "zoo"
        for top, patterns in ZOO:
            for pattern in patterns:
                for src in sorted((HERE / top).rglob(pattern)):
                    out = dest / src.relative_to(HERE)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, out)


setup(cmdclass={"build_py": BuildWithZoo})
