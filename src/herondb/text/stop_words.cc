#include "herondb/text/stop_words.h"

namespace herondb::text {

bool IsEnglishStopWord(std::string_view t) {
  // Grouped by length, so a term is compared with a handful of words at most.
  switch (t.size()) {
    case 1:
      return t[0] == 'a';
    case 2:
      switch (t[0]) {
        case 'a':
          return t[1] == 'n' || t[1] == 's' || t[1] == 't';
        case 'b':
          return t[1] == 'e' || t[1] == 'y';
        case 'i':
          return t[1] == 'f' || t[1] == 'n' || t[1] == 's' || t[1] == 't';
        case 'n':
          return t[1] == 'o';
        case 'o':
          return t[1] == 'f' || t[1] == 'n' || t[1] == 'r';
        case 't':
          return t[1] == 'o';
        default:
          return false;
      }
    case 3:
      return t == "and" || t == "are" || t == "but" || t == "for" || t == "not" || t == "the" ||
             t == "was";
    case 4:
      return t == "into" || t == "such" || t == "that" || t == "then" || t == "they" ||
             t == "this" || t == "will" || t == "with";
    case 5:
      return t == "their" || t == "there" || t == "these";
    default:
      return false;
  }
}

}  // namespace herondb::text
