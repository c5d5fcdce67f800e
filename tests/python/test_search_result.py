"""SearchResult: attributes plus 3-tuple behaviour (D16)."""

from __future__ import annotations

import pytest

import herondb


@pytest.fixture
def hit(make_db):
    db = make_db(dim=2, metric="euclidean")
    db.add("doc-1", [3.0, 4.0], {"title": "Hello", "n": [1, 2]})
    (r,) = db.search([0.0, 0.0], k=1)
    return r


@pytest.fixture
def bare_hit(make_db):
    db = make_db(dim=2, metric="euclidean")
    db.add("plain", [1.0, 0.0])
    (r,) = db.search([0.0, 0.0], k=1)
    return r


def test_search_returns_list_of_search_result_instances(hit):
    assert isinstance(hit, herondb.SearchResult)


def test_search_result_attributes(hit):
    assert hit.id == "doc-1"
    assert hit.distance == pytest.approx(5.0)
    assert type(hit.distance) is float
    assert hit.metadata == {"title": "Hello", "n": [1, 2]}


def test_search_result_metadata_is_none_when_vector_has_none(bare_hit):
    assert bare_hit.metadata is None
    assert bare_hit[2] is None


def test_search_result_positive_indexing(hit):
    assert hit[0] == "doc-1"
    assert hit[1] == pytest.approx(5.0)
    assert hit[2] == {"title": "Hello", "n": [1, 2]}


def test_search_result_negative_indexing(hit):
    assert hit[-1] == hit[2] == hit.metadata
    assert hit[-2] == hit[1] == hit.distance
    assert hit[-3] == hit[0] == hit.id


def test_search_result_len_is_three(hit):
    assert len(hit) == 3


def test_search_result_unpacks_into_id_distance_metadata(hit):
    id_, dist, meta = hit
    assert id_ == "doc-1"
    assert dist == pytest.approx(5.0)
    assert meta == {"title": "Hello", "n": [1, 2]}


def test_search_result_converts_to_tuple_and_list(hit):
    assert tuple(hit) == (hit.id, hit.distance, hit.metadata)
    assert list(hit) == [hit.id, hit.distance, hit.metadata]


def test_unpacking_into_wrong_number_of_names_raises_value_error(hit):
    with pytest.raises(ValueError):
        a, b = hit  # noqa: F841
    with pytest.raises(ValueError):
        a, b, c, d = hit  # noqa: F841


@pytest.mark.parametrize("index", [3, 4, 100, -4, -100])
def test_search_result_index_out_of_range_raises_index_error(hit, index):
    with pytest.raises(IndexError):
        hit[index]


def test_search_result_repr_shows_id_distance_and_metadata(hit):
    text = repr(hit)
    assert "doc-1" in text
    assert "5.0" in text
    assert "Hello" in text and "title" in text


def test_search_result_repr_shows_none_metadata(bare_hit):
    text = repr(bare_hit)
    assert "plain" in text and "1.0" in text and "None" in text


def test_search_result_attributes_are_read_only(hit):
    with pytest.raises(AttributeError):
        hit.id = "other"
    with pytest.raises(AttributeError):
        hit.distance = 0.0


def test_search_results_from_search_many_behave_the_same(make_db):
    db = make_db(dim=2, metric="euclidean")
    db.add("x", [1.0, 1.0], {"k": "v"})
    ((r,),) = db.search_many([[1.0, 1.0]], k=1)
    assert isinstance(r, herondb.SearchResult)
    id_, dist, meta = r
    assert (id_, meta) == ("x", {"k": "v"})
    assert dist == pytest.approx(0.0, abs=1e-6)
    assert len(r) == 3


def test_each_search_result_has_its_own_metadata_object(make_db):
    db = make_db(dim=2, metric="euclidean")
    db.add("x", [1.0, 1.0], {"tags": ["a"]})
    first = db.search([1.0, 1.0], k=1)[0]
    first.metadata["tags"].append("mutated")
    second = db.search([1.0, 1.0], k=1)[0]
    assert second.metadata == {"tags": ["a"]}
    assert db.get("x")[1] == {"tags": ["a"]}


@pytest.mark.parametrize("which", ["hit", "bare_hit"])
def test_search_result_pickles_and_copies_to_an_equal_result(which, request):
    import copy
    import pickle

    r = request.getfixturevalue(which)
    for other in (pickle.loads(pickle.dumps(r)), copy.copy(r), copy.deepcopy(r)):
        assert type(other) is herondb.SearchResult
        assert other == r
        assert (other.id, other.distance, other.metadata) == (r.id, r.distance, r.metadata)
    assert repr(pickle.loads(pickle.dumps(r))) == repr(r)
