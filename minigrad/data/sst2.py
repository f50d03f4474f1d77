"""GLUE SST-2: the Stanford Sentiment Treebank, binary version (movie-review sentences, 0 = negative, 1 = positive).

The GLUE release is a zip with ``SST-2/train.tsv`` (67,349 sentences),
``SST-2/dev.tsv`` (872) and ``SST-2/test.tsv`` (1,821, no labels).  The labelled
files look like this (tab-separated, sentences already tokenized PTB-style and
ending in a space)::

    sentence<TAB>label
    hide new secretions from the parental units <TAB>0

minigrad never downloads anything by itself.  ``download_sst2`` is an explicit,
opt-in helper; it verifies what it fetched before using it.
"""
from __future__ import annotations

import hashlib
import os
import urllib.request
import zipfile
from pathlib import Path

from .errors import DataError
from .files import read_lines

GLUE_SST2_URL = "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip"

# SHA-256 of the zip at GLUE_SST2_URL.  This value is the one pinned by a public
# third-party project; minigrad's authors had no network access to re-download the
# zip and confirm it.  The zip's *contents* are checked independently below with
# GLUE_SST2_MEMBER_SHA256, which were computed from copies of the TSV files that
# match the GLUE release byte for byte.
GLUE_SST2_SHA256 = "d67e16fb55739c1b32cdce9877596db1c127dc322d93c082281f64057c16deaa"

# SHA-256 of each file inside the GLUE SST-2 zip.
GLUE_SST2_MEMBER_SHA256 = {
    "train.tsv": "48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1",
    "dev.tsv": "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0",
    "test.tsv": "69a938605609b3e6663b4487918fe1565eb293734e6e520d0366d1d412fd2a13",
}

SST2_HEADER = "sentence\tlabel"
_SPLITS = ("train", "dev")
_MEMBERS = ("train.tsv", "dev.tsv", "test.tsv")
_REQUIRED_MEMBERS = ("train.tsv", "dev.tsv")
_MAX_MEMBER_BYTES = 50_000_000  # the real train.tsv is 3.8 MB; refuse anything absurd (zip bombs)


def _how_to_get_data(folder: Path) -> str:
    return (
        f"Get GLUE SST-2 with minigrad.data.download_sst2({str(folder)!r}) (downloads {GLUE_SST2_URL} and "
        "checks its SHA-256), or download that zip yourself and run "
        f"download_sst2({str(folder)!r}, archive_path='SST-2.zip'), or put train.tsv and dev.tsv "
        f"from the zip's SST-2 folder into {folder}."
    )


def load_glue_sst2(folder: str | Path, split: str = "train") -> list[tuple[str, int]]:
    """Read ``folder/{split}.tsv`` into a list of ``(sentence, label)`` pairs.

    ``split`` is ``"train"`` or ``"dev"`` (GLUE keeps the test labels secret).
    Sentences lose their trailing space; labels are the ints 0 and 1.
    """
    folder = Path(folder)
    if split not in _SPLITS:
        raise ValueError(
            f"load_glue_sst2: split must be one of {_SPLITS}, got {split!r} "
            "(GLUE's test.tsv has no labels, so it cannot be used for evaluation)"
        )
    if not folder.is_dir():
        raise FileNotFoundError(f"SST-2 folder {folder} does not exist. {_how_to_get_data(folder)}")
    path = folder / f"{split}.tsv"
    if not path.is_file():
        raise FileNotFoundError(f"SST-2 file {path} does not exist. {_how_to_get_data(folder)}")

    lines = read_lines(path, "SST-2 file")
    if not lines:
        raise DataError(path, "is empty.", fix=f"re-extract it from the GLUE zip. {_how_to_get_data(folder)}")
    if lines[0] != SST2_HEADER:
        raise DataError(
            path, f"the header is {lines[0]!r}, expected {SST2_HEADER!r}.", line=1,
            fix="use the train.tsv/dev.tsv files of the GLUE SST-2 release.",
        )
    examples = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise DataError(
                path, f"expected 2 tab-separated columns (sentence, label) but found {len(fields)}.",
                line=number, fix="remove the stray tab characters from this row.",
            )
        sentence, label = fields[0].strip(), fields[1].strip()
        if label not in ("0", "1"):
            raise DataError(path, f"the label is {label!r}; SST-2 labels are 0 or 1.", line=number)
        if not sentence:
            raise DataError(path, "the sentence is empty.", line=number)
        examples.append((sentence, int(label)))
    return examples


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url: str, target: Path) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
    except OSError as error:  # URLError and socket errors are OSErrors
        target.unlink(missing_ok=True)
        raise OSError(
            f"download_sst2: could not download {url} ({error}). Download the zip by any other means and "
            "call download_sst2(dest_folder, archive_path='path/to/SST-2.zip')."
        ) from None


def download_sst2(
    dest_folder: str | Path,
    url: str = GLUE_SST2_URL,
    sha256: str = GLUE_SST2_SHA256,
    archive_path: str | Path | None = None,
    member_sha256: dict[str, str] | None = GLUE_SST2_MEMBER_SHA256,
) -> Path:
    """Fetch (or take the local ``archive_path``), verify and unpack the GLUE SST-2 zip into ``dest_folder``.

    Verification is not optional:

    1. the archive's SHA-256 must equal ``sha256``; otherwise the function raises
       ``DataError`` and, if it downloaded the archive itself, deletes it
       (a file you passed as ``archive_path`` is never deleted);
    2. each extracted file listed in ``member_sha256`` must have that digest
       (pass ``member_sha256=None`` only for a zip you built yourself).

    Only ``train.tsv``, ``dev.tsv`` and ``test.tsv`` are taken (at the top of the
    zip or in its ``SST-2/`` folder); they are written under names chosen here,
    never under a path taken from the zip, so a hostile zip cannot write outside
    ``dest_folder``.  Returns ``dest_folder``.
    """
    if not (isinstance(sha256, str) and len(sha256) == 64):
        raise ValueError(f"download_sst2: sha256 must be a 64-character hex digest, got {sha256!r}")
    dest = Path(dest_folder)
    dest.mkdir(parents=True, exist_ok=True)

    downloaded = archive_path is None
    archive = dest / "SST-2.zip.download" if downloaded else Path(archive_path)
    if downloaded:
        _fetch(url, archive)
    elif not archive.is_file():
        raise FileNotFoundError(f"download_sst2: archive_path {archive} does not exist")

    actual = file_sha256(archive)
    if actual != sha256.lower():
        if downloaded:
            archive.unlink()
        raise DataError(
            archive,
            f"SHA-256 is {actual}, expected {sha256.lower()}; the archive was refused"
            + (" and deleted." if downloaded else "."),
            fix="download it again from the official source; if you have confirmed the new digest "
            "yourself, pass it as sha256=.",
        )

    try:
        contents = _read_members(archive, member_sha256)
    finally:
        if downloaded:
            archive.unlink(missing_ok=True)
    for name, data in contents.items():
        partial = dest / (name + ".part")
        partial.write_bytes(data)
        os.replace(partial, dest / name)
    return dest


def _read_members(archive: Path, member_sha256: dict[str, str] | None) -> dict[str, bytes]:
    """The verified bytes of train/dev/test.tsv from the zip; nothing is written to disk here."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            infos = {info.filename: info for info in zipped.infolist()}
            contents = {}
            for name in _MEMBERS:
                info = infos.get(f"SST-2/{name}") or infos.get(name)
                if info is None:
                    continue
                if info.file_size > _MAX_MEMBER_BYTES:
                    raise DataError(archive, f"member {info.filename} claims {info.file_size} bytes; refused.")
                data = zipped.read(info)
                if len(data) > _MAX_MEMBER_BYTES:
                    raise DataError(archive, f"member {info.filename} unpacks to more than {_MAX_MEMBER_BYTES} bytes.")
                contents[name] = data
    except zipfile.BadZipFile as error:
        raise DataError(archive, f"is not a valid zip file ({error}).") from None
    missing = [name for name in _REQUIRED_MEMBERS if name not in contents]
    if missing:
        raise DataError(archive, f"has no {' or '.join(missing)} (looked at the top level and in SST-2/).")
    if member_sha256:
        for name, data in contents.items():
            expected = member_sha256.get(name)
            actual = hashlib.sha256(data).hexdigest()
            if expected is not None and actual != expected:
                raise DataError(
                    archive, f"its {name} has SHA-256 {actual}, expected {expected}; nothing was extracted.",
                    fix="get the official GLUE SST-2 zip.",
                )
    return contents
