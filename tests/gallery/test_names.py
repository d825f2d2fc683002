"""Identity names that look like other names are folded or refused, the same for CLI and service."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.errors import InputError
from faceprint.gallery.store import MAX_NAME, check_name


@pytest.mark.parametrize("name", ["Ada\u202eevil", "A\u200bda", "Ada\u200d", "Ada\x00", "Ada\n", " Ada", "",
                                  "x" * (MAX_NAME + 1), 5, None])
def test_refused(name):
    with pytest.raises(InputError):
        check_name(name)


def test_full_width_and_compatibility_forms_fold_to_one_name():
    assert check_name("\uff21\uff44\uff41") == "Ada"  # full-width Ａｄａ
    assert check_name("\ufb01ona") == "fiona"  # the 'fi' ligature
    assert check_name("Zoë") == check_name("Zoe\u0308")  # composed and decomposed
    assert check_name("x" * MAX_NAME) == "x" * MAX_NAME


def test_gallery_stores_the_folded_name_and_finds_it_either_way(tmp_path):
    from faceprint.errors import DuplicateError
    from faceprint.gallery import open_gallery

    v = np.eye(128, dtype=np.float32)[:1]
    with open_gallery(str(tmp_path / "g.db"), create=True) as g:
        g.enroll_vectors("\uff21\uff44\uff41", v, model="test-model")
        assert [i.name for i in g.identities()] == ["Ada"]
        assert g.show("\uff21\uff44\uff41").name == "Ada"
        with pytest.raises(DuplicateError):
            g.enroll_vectors("Ada", v, model="test-model")  # the same person, not a second one
        g.remove("\uff21\uff44\uff41")
        assert g.identities() == []
