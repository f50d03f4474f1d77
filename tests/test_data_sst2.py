"""GLUE SST-2 loader (on the real files) and the verified, offline-tested download helper."""
import hashlib
import zipfile

import pytest

from minigrad.data import DataError, download_sst2, file_sha256, load_glue_sst2

@pytest.fixture(scope="module")
def train(sst2_dir):
    return load_glue_sst2(sst2_dir, "train")


def test_real_train_and_dev(train, sst2_dir):
    dev = load_glue_sst2(sst2_dir, "dev")
    assert len(train) == 67349 and len(dev) == 872
    for split in (train, dev):
        assert {label for _, label in split} == {0, 1}
        assert all(sentence == sentence.strip() and sentence for sentence, _ in split)
    assert train[0] == ("hide new secretions from the parental units", 0)
    assert sum(label for _, label in train) == 37569  # positives in GLUE SST-2 train


def test_bad_split_and_missing_data(tmp_path):
    with pytest.raises(ValueError, match="no labels"):
        load_glue_sst2(tmp_path, "test")
    with pytest.raises(FileNotFoundError) as info:
        load_glue_sst2(tmp_path / "nope")
    assert "nope" in str(info.value) and "download_sst2" in str(info.value)
    with pytest.raises(FileNotFoundError, match="dev.tsv.*download_sst2"):
        load_glue_sst2(tmp_path, "dev")


@pytest.mark.parametrize(
    "content, message",
    [
        ("sentence\tlabel\ngood \t1\nbad\t0\textra\n", "dev.tsv, line 3: expected 2 tab-separated columns"),
        ("sentence\tlabel\ngood \t1\nbad\t2\n", "dev.tsv, line 3: the label is '2'"),
        ("sentence\tlabel\n \t1\n", "dev.tsv, line 2: the sentence is empty"),
        ("text\tlabel\ngood\t1\n", "dev.tsv, line 1: the header is"),
        ("", "dev.tsv: is empty"),
    ],
)
def test_malformed_rows(tmp_path, content, message):
    (tmp_path / "dev.tsv").write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_glue_sst2(tmp_path, "dev")


# ----------------------------------------------------------------------------- download_sst2, offline
def _zip(path, members):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture(scope="module")
def glue_like_zip(tmp_path_factory, sst2_dir):
    """A zip laid out like the GLUE one, holding the real TSV files (so the member digests match)."""
    members = {f"SST-2/{n}": (sst2_dir / n).read_bytes() for n in ("train.tsv", "dev.tsv", "test.tsv")}
    return _zip(tmp_path_factory.mktemp("zips") / "SST-2.zip", members)


def test_local_archive_with_the_right_digest_is_extracted(tmp_path, glue_like_zip, sst2_dir):
    dest = download_sst2(tmp_path / "sst2", sha256=file_sha256(glue_like_zip), archive_path=glue_like_zip)
    for name in ("train.tsv", "dev.tsv", "test.tsv"):
        assert (dest / name).read_bytes() == (sst2_dir / name).read_bytes()
    assert len(load_glue_sst2(dest, "dev")) == 872
    assert glue_like_zip.exists()


def test_file_url_download_is_verified_then_removed(tmp_path, glue_like_zip):
    dest = tmp_path / "sst2"
    download_sst2(dest, url=glue_like_zip.as_uri(), sha256=file_sha256(glue_like_zip))
    assert sorted(p.name for p in dest.iterdir()) == ["dev.tsv", "test.tsv", "train.tsv"]


def test_tampered_download_is_refused_and_deleted(tmp_path, glue_like_zip):
    good_digest = file_sha256(glue_like_zip)
    tampered = tmp_path / "tampered.zip"
    data = bytearray(glue_like_zip.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    dest = tmp_path / "sst2"
    with pytest.raises(DataError, match="SHA-256 is .* refused and deleted"):
        download_sst2(dest, url=tampered.as_uri(), sha256=good_digest)
    assert list(dest.iterdir()) == []  # the download was deleted, nothing extracted
    with pytest.raises(DataError, match="tampered.zip: SHA-256"):
        download_sst2(dest, sha256=good_digest, archive_path=tampered)
    assert tampered.exists() and list(dest.iterdir()) == []  # a user's own file is never deleted


def test_the_default_digest_refuses_an_archive_that_is_not_the_official_one(tmp_path, glue_like_zip):
    with pytest.raises(DataError, match="refused"):
        download_sst2(tmp_path / "sst2", archive_path=glue_like_zip)


def test_modified_member_is_refused_even_with_a_matching_archive_digest(tmp_path, sst2_dir):
    train = (sst2_dir / "train.tsv").read_bytes().replace(b"\t0\n", b"\t1\n", 1)
    archive = _zip(tmp_path / "edited.zip", {"SST-2/train.tsv": train, "SST-2/dev.tsv": (sst2_dir / "dev.tsv").read_bytes()})
    dest = tmp_path / "sst2"
    with pytest.raises(DataError, match="its train.tsv has SHA-256"):
        download_sst2(dest, sha256=file_sha256(archive), archive_path=archive)
    assert not (dest / "train.tsv").exists() and not (dest / "dev.tsv").exists()


def test_only_the_three_tsv_files_are_written_and_paths_in_the_zip_are_ignored(tmp_path):
    members = {
        "train.tsv": b"sentence\tlabel\ngood \t1\n",
        "dev.tsv": b"sentence\tlabel\nbad \t0\n",
        "../escaped.tsv": b"evil",
        "SST-2/../../train.tsv": b"evil",
        "/abs/dev.tsv": b"evil",
        "SST-2/original/notes.txt": b"extra",
    }
    archive = _zip(tmp_path / "own.zip", members)
    dest = tmp_path / "deep" / "sst2"
    download_sst2(dest, sha256=hashlib.sha256(archive.read_bytes()).hexdigest(), archive_path=archive,
                  member_sha256=None)
    assert sorted(p.name for p in dest.iterdir()) == ["dev.tsv", "train.tsv"]
    assert load_glue_sst2(dest, "train") == [("good", 1)]
    assert not (tmp_path / "deep" / "escaped.tsv").exists() and not (tmp_path / "escaped.tsv").exists()


def test_archive_without_the_files_or_not_a_zip(tmp_path):
    archive = _zip(tmp_path / "empty.zip", {"readme.txt": b"hi"})
    with pytest.raises(DataError, match="has no train.tsv or dev.tsv"):
        download_sst2(tmp_path / "d", sha256=file_sha256(archive), archive_path=archive, member_sha256=None)
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a valid zip"):
        download_sst2(tmp_path / "d", sha256=file_sha256(junk), archive_path=junk)


def test_digest_argument_is_required_to_be_a_digest(tmp_path, glue_like_zip):
    with pytest.raises(ValueError, match="64-character"):
        download_sst2(tmp_path / "d", sha256=None, archive_path=glue_like_zip)


def test_network_failure_message_offers_archive_path(tmp_path):
    with pytest.raises(OSError, match="archive_path="):
        download_sst2(tmp_path / "d", url=(tmp_path / "absent.zip").as_uri(), sha256="0" * 64)
