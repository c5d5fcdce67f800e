// The English stop-word list of language "english".
//
// Contract: IsEnglishStopWord(term) is true for exactly the 33 words of the
// classic short English list that Lucene's EnglishAnalyzer uses: a an and
// are as at be but by for if in into is it no not of on or such that the
// their then there these they this to was will with.
// Terms are compared after case folding and before stemming.
#pragma once

#include <string_view>

namespace herondb::text {

bool IsEnglishStopWord(std::string_view term);

}  // namespace herondb::text
