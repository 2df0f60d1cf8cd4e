"""The networks, accelerators and sweeps that ship with hwsim, found by name.

In a checkout they are the repository's ``networks/``, ``accelerators/`` and ``sweeps/``
folders (the README's commands use those paths); a built wheel carries copies of them as
package data in ``hwsim/_bundled/<kind>/`` (``setup.py`` copies them at build time), so an
installed hwsim finds them away from the repository. The files are discovered, never
listed here: a YAML file added to one of the folders is bundled.

:func:`resolve` turns a command-line argument into a path: an existing file, or anything
with a directory part or a suffix, is taken as a path; a bare name is a bundled file's stem
(``sqnxt23v5`` -> ``networks/sqnxt23v5.yaml``); an unknown bare name is bad input listing
the bundled names, with the closest one suggested.
"""

from __future__ import annotations

from pathlib import Path

from hwsim.errors import InputError, did_you_mean

KINDS = ("networks", "accelerators", "sweeps")
_WHAT = {"networks": "network", "accelerators": "accelerator", "sweeps": "sweep"}
_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(kind: str) -> Path | None:
    """The folder of the bundled files of ``kind``: the package's copy (an installed wheel),
    else the checkout's top-level folder; None if neither exists."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    for folder in (_PACKAGE / "_bundled" / kind, _PACKAGE.parent / kind):
        if folder.is_dir():
            return folder
    return None


def bundled_files(kind: str) -> dict[str, Path]:
    """Stem -> path of every bundled YAML file of ``kind``, sorted by stem."""
    folder = bundled_dir(kind)
    if folder is None:
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml"), key=lambda p: p.stem)}


def is_bare_name(text: str) -> bool:
    """A name without a directory part or a suffix (``sqnxt23v5``; not ``x.yaml``, ``./x``).

    Stems such as ``squeezenet_v1.0`` contain a dot: a name counts as bare when it is a
    bundled stem even so."""
    path = Path(text)
    return path.name == text and not path.suffix


def resolve(kind: str, name: str | Path) -> Path:
    """The file ``name`` stands for: itself when it exists or looks like a path, else the
    bundled file of that stem; InputError for an unknown bare name."""
    path = Path(name)
    text = str(name)
    if path.exists():
        return path
    files = bundled_files(kind)
    if text in files:
        return files[text]
    if not is_bare_name(text):
        return path  # a path: the reader says "file not found" with the path
    what = _WHAT[kind]
    listing = ", ".join(files) if files else "none"
    hint = did_you_mean(text, files, list_choices=False)
    raise InputError(f"no such file, and no bundled {what} of that name{hint}; the bundled "
                     f"{kind} are: {listing} (hwsim list shows them)", file=text)


__all__ = ["KINDS", "bundled_dir", "bundled_files", "resolve", "is_bare_name"]
