"""benchmark.hashing against coreutils' sha256sum: files across read-chunk edges, and values as the
canonical JSON text that published recipe hashes and result keys were made of."""
import subprocess

import numpy as np

from benchmark.hashing import file_sha256, json_sha256


def _sha256sum(path) -> str:
    return subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]


def test_file_sha256_is_sha256sum_of_the_files_concatenated(tmp_path):
    rng = np.random.default_rng(0)
    parts = [rng.bytes(n) for n in (0, 1, (1 << 20) - 1, (1 << 20) + 3, 3 << 20)]
    paths = []
    for i, data in enumerate(parts):
        paths.append(tmp_path / f"part{i}.bin")
        paths[-1].write_bytes(data)
    (tmp_path / "all.bin").write_bytes(b"".join(parts))
    for path in paths:
        assert file_sha256(path) == _sha256sum(path)
    assert file_sha256(*paths) == _sha256sum(tmp_path / "all.bin")
    assert file_sha256(*reversed(paths)) != file_sha256(*paths)


def test_json_sha256_hashes_the_canonical_text_whatever_the_key_order(tmp_path):
    text = tmp_path / "canonical.json"
    text.write_bytes(b'{"a": [1, 2.5, "x"], "b": {"c": null, "d": true}}')  # sorted keys, json.dumps' separators
    assert json_sha256({"b": {"d": True, "c": None}, "a": [1, 2.5, "x"]}) == _sha256sum(text)
    assert json_sha256([1, 2]) != json_sha256([2, 1])
