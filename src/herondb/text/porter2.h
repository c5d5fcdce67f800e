// The Porter2 (Snowball English) stemmer, written from the algorithm's
// published description (snowballstem.org, "The English (Porter2) stemming
// algorithm", as revised in Snowball 3.0 and 3.1: -ogist, the region-R1
// prefixes past/univers/later/emerg/organ/inter, no undoubling after exactly
// a/e/o, the -eed and -ing exception lists, the skis exception).
//
// Contract: Porter2Stem rewrites *word, a case-folded word (lowercase ASCII
// letters, digits, "'" and any other bytes), into its stem. Only the ASCII
// letters a-z and "'" take part in the rules; every other character is a
// non-vowel letter that the rules never remove, so a UTF-8 word stays valid
// UTF-8. Lengths in the rules count characters, not bytes (a multi-byte
// character counts once), as in the Snowball implementation. The result
// equals Snowball's english stemmer (PyStemmer 3.1) on every word the tests
// compare. Reuses *scratch's capacity; allocation-free once warm.
#pragma once

#include <string>

namespace herondb::text {

void Porter2Stem(std::string* word, std::string* scratch);

// Convenience for tests: the stem of `word`.
std::string Porter2Stem(std::string word);

}  // namespace herondb::text
