"""``lazycheck init DIR``: a starter directory of your own models that verifies at once.

It writes ``lazycheck.toml`` (which makes DIR a root: ``lazycheck`` run
inside it finds it), an arch model skeleton with every hook the chosen API
generation calls, a scenario and a target.  The API model itself is the
shipped one, named by its stable path (``api/g3-v6.lazy``).
"""

from __future__ import annotations

import re
import string
import sys
from pathlib import Path

import click

from lazycheck.cli.exitcode import ExitCode
from lazycheck.lang.loader import zoo_models

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "init"

# API generation -> (shipped API model, section enter, section leave, lazy_mmu_task body)
GENERATIONS: dict[str, tuple[str, str, str, str]] = {
    "G0": ("api/g0-stateless.lazy", "arch_enter_lazy_mmu_mode", "arch_leave_lazy_mmu_mode",
           "false"),
    "G1": ("api/g1-2025-docs.lazy", "arch_enter_lazy_mmu_mode", "arch_leave_lazy_mmu_mode",
           "false"),
    "G3": ("api/g3-v6.lazy", "lazy_mmu_mode_enable", "lazy_mmu_mode_disable",
           "__task_lazy_mmu_mode_active(tsk)"),
    "G4": ("api/g4-s390-with-ptes.lazy", "lazy_mmu_mode_enable", "lazy_mmu_mode_disable",
           "__task_lazy_mmu_mode_active(tsk)"),
}
_WEAK = re.compile(r"^__weak\s+(void)\s+(\w+)\s*\(([^)]*)\)", re.M)


def hooks_of(api_text: str) -> str:
    """An empty definition of every arch hook the API model calls (its __weak ones)."""
    out = []
    for ret, name, params in _WEAK.findall(api_text):
        out.append(f"{ret} {name}({params})\t/* called by the API; your arch's code here */"
                   "\n{\n}\n")
    return "\n".join(out)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--api", "generation", type=click.Choice(sorted(GENERATIONS)), default="G3",
              show_default=True, help="The lazy MMU API generation your arch implements.")
@click.option("--arch", "arch", default="my-arch", show_default=True,
              help="Your arch's name (the model and target are named after it).")
def init(directory: Path, generation: str, arch: str) -> None:
    """Write a starter DIRECTORY: an arch model skeleton, a scenario and a target."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", arch):
        click.echo(f"lazycheck: --arch {arch!r}: use lower case letters, digits and '-'",
                   err=True)
        sys.exit(ExitCode.BAD_INPUT)
    api_file, enter, leave, task_state = GENERATIONS[generation]
    name = f"{arch}-{generation.lower()}"
    values = {"arch": arch, "generation": generation, "api_file": api_file, "name": name,
              "enter": enter, "leave": leave, "task_state": task_state,
              "hooks": hooks_of((zoo_models() / api_file).read_text(encoding="utf-8"))}
    files = {"lazycheck.toml": "lazycheck.toml", f"models/arch/{arch}.lazy": "arch.lazy",
             f"models/scenarios/{name}.lazy": "scenario.lazy",
             f"specs/targets/{name}.toml": "target.toml"}
    existing = [rel for rel in files if (directory / rel).exists()]
    if existing:
        click.echo(f"lazycheck: {directory} already has {', '.join(existing)}; "
                   "not overwriting", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    for rel, template in files.items():
        text = string.Template((TEMPLATES / template).read_text(encoding="utf-8"))
        out = directory / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text.substitute(values), encoding="utf-8")
    click.echo(f"wrote {len(files)} files to {directory}; next:\n"
               f"  cd {directory} && lazycheck verify {name}")


def register(group: click.Group) -> None:
    """Add init to the command group."""
    group.add_command(init)
