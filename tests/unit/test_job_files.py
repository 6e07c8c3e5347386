"""Where job files are kept: a folder, or an S3-compatible bucket (a real moto server over
HTTP). Both keep keys inside ``jobs/``, take a finished file from disk (S3: a multipart upload
past 8 MB), read it back a chunk at a time, and delete a job's files by prefix."""

from __future__ import annotations

import hashlib
import os

import pytest

from webapp.jobs.files import CHUNK, LocalFiles, S3Files, build_store, check_key, s3_client


@pytest.fixture(params=["folder", "s3"])
def store(request, tmp_path):
    if request.param == "folder":
        return LocalFiles(str(tmp_path / "files"))
    server = request.getfixturevalue("s3")
    bucket = server.new_bucket()
    return S3Files(bucket, s3_client(server.settings(bucket)))


def big_file(tmp_path, megabytes: int) -> tuple[str, str]:
    path = tmp_path / "big.zip"
    with path.open("wb") as handle:
        for n in range(megabytes):
            handle.write(hashlib.sha256(str(n).encode()).digest() * (1024 * 1024 // 32))
    return str(path), hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_put_from_disk_reads_back_the_same_a_chunk_at_a_time(store, tmp_path):
    path, digest = big_file(tmp_path, 9)  # past boto3's 8 MB: a multipart upload
    size = store.put_path("jobs/7/team_a/OCD180312QX5_2026-10.zip", path)
    assert size == os.path.getsize(path)
    chunks = list(store.read("jobs/7/team_a/OCD180312QX5_2026-10.zip"))
    assert len(chunks) > 1 and max(len(c) for c in chunks) <= CHUNK
    assert hashlib.sha256(b"".join(chunks)).hexdigest() == digest


def test_a_jobs_files_go_by_prefix_and_no_others(store):
    for key in ("jobs/3/staging/A.xml", "jobs/3/staging/A.pdf", "jobs/3/t/x.zip", "jobs/4/t/y.zip"):
        store.put_bytes(key, b"<xml/>")
    assert store.delete_prefix("jobs/3/") == 3
    assert b"".join(store.read("jobs/4/t/y.zip")) == b"<xml/>"
    store.delete("jobs/4/t/y.zip")
    with pytest.raises(Exception):  # noqa: B017 - FileNotFoundError or botocore's NoSuchKey
        b"".join(store.read("jobs/4/t/y.zip"))


@pytest.mark.parametrize("key", ["../etc/passwd", "jobs/../x", "jobs//x", "other/x", "/jobs/1"])
def test_keys_stay_inside_jobs(key):
    with pytest.raises(ValueError):
        check_key(key)


def test_the_bucket_is_used_when_set_else_the_instance_folder(s3, tmp_path):
    bucket = s3.new_bucket()
    assert isinstance(build_store(s3.settings(bucket), str(tmp_path)), S3Files)
    local = build_store({}, str(tmp_path))
    assert isinstance(local, LocalFiles) and str(local.root) == str(tmp_path / "job-files")
