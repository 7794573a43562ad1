import pytest

from model.atomic import atomic_path, atomic_write_bytes


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "weights.keras"
    target.write_bytes(b"good")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["weights.keras"]


def test_successful_write_replaces_and_keeps_the_suffix(tmp_path):
    target = tmp_path / "out.png"
    with atomic_path(target) as tmp:
        assert tmp.suffix == ".png" and tmp.parent == tmp_path
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    atomic_write_bytes(target, b"newer")
    assert target.read_bytes() == b"newer"


def test_a_folder_is_built_whole_beside_any_of_the_same_name_or_not_at_all(tmp_path):
    from model.atomic import build_folder

    def write(folder):
        (folder / "a.txt").write_text("a")
        (folder / "b.txt").write_text("b")

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("the user's")
    made = build_folder(tmp_path, "out", write)
    assert made == tmp_path / "out-2" and sorted(p.name for p in made.iterdir()) == ["a.txt", "b.txt"]
    assert (tmp_path / "out" / "mine.txt").read_text() == "the user's"  # nothing replaced

    def half(folder):
        (folder / "a.txt").write_text("a")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        build_folder(tmp_path, "out", half)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out-2"]  # no third, no partial
