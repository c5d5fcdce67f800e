// Text indexes and text / hybrid search on _core._Database (the methods the
// Python Database class wraps: _create_text_index, _drop_text_index,
// _text_indexes, _search_text, _hybrid_search, _hybrid_search_many).
#pragma once

#include <nanobind/nanobind.h>

#include <memory>
#include <vector>

#include "herondb/db/database.h"
#include "herondb/meta/filter.h"

namespace herondb::py {

// What module.cc lends the text methods: the database behind a _Database
// handle (a ValueError when closed; the pointer admits one call on the
// handle, so close() waits until it is dropped), a where_filter compiled,
// and hits turned into a list of SearchResult.
struct TextIndexHooks {
  std::shared_ptr<Database> (*db)(nanobind::handle self);
  std::shared_ptr<const Filter> (*filter)(const Database& db, nanobind::handle where_filter);
  nanobind::list (*hits)(std::vector<SearchHit>& hits);
};

// Adds the methods to the class `cls`.
void RegisterTextIndex(nanobind::handle cls, const TextIndexHooks& hooks);

}  // namespace herondb::py
