#include "herondb/text/porter2.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace herondb::text {
namespace {

// In the working form of a word every byte is one character: ASCII bytes are
// themselves, and each non-ASCII character is the placeholder byte 0x80, a
// non-vowel that no rule matches.
constexpr char kPlaceholder = static_cast<char>(0x80);

inline bool IsVowel(char c) {
  switch (c) {
    case 'a':
    case 'e':
    case 'i':
    case 'o':
    case 'u':
    case 'y':
      return true;
    default:
      return false;
  }
}

// A non-vowel other than w, x and Y (the last letter of a short syllable).
inline bool IsNonVowelWXY(char c) { return !IsVowel(c) && c != 'w' && c != 'x' && c != 'Y'; }

// Byte comparisons written out: the strings are a few bytes long, and a call
// to memcmp per rule costs more than the comparison itself.
inline bool SameBytes(const char* a, std::string_view b) {
  for (size_t i = b.size(); i-- > 0;) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

inline bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && SameBytes(s.data() + s.size() - suffix.size(), suffix);
}

inline bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() && SameBytes(s.data(), prefix);
}

inline bool Equals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && SameBytes(a.data(), b);
}

// The position just after the first non-vowel that follows a vowel, looking
// from `from`; s.size() when there is none.
size_t AfterVowelNonVowel(const std::string& s, size_t from) {
  const size_t n = s.size();
  size_t i = from;
  while (i < n && !IsVowel(s[i])) ++i;
  if (i == n) return n;
  ++i;
  while (i < n && IsVowel(s[i])) ++i;
  return i == n ? n : i + 1;
}

// Whether s[0, c) ends with a short syllable: non-vowel, vowel, non-vowel
// other than w/x/Y; or a vowel at the start followed by a non-vowel; or "past".
bool EndsWithShortSyllable(const std::string& s, size_t c) {
  if (c >= 3 && IsNonVowelWXY(s[c - 1]) && IsVowel(s[c - 2]) && !IsVowel(s[c - 3])) return true;
  if (c == 2 && !IsVowel(s[1]) && IsVowel(s[0])) return true;
  return c >= 4 && SameBytes(s.data() + c - 4, "past");
}

// Whole words with a fixed stem, checked before anything else. An empty
// stem means "leave the word as it is".
struct Exception {
  std::string_view word, stem;
};
constexpr Exception kExceptions[] = {
    {"skis", "ski"},  {"skies", "sky"},   {"idly", "idl"},  {"gently", "gentl"},
    {"ugly", "ugli"}, {"early", "earli"}, {"only", "onli"}, {"singly", "singl"},
    {"sky", ""},      {"news", ""},       {"howe", ""},     {"atlas", ""},
    {"cosmos", ""},   {"bias", ""},       {"andes", ""},
};

bool ApplyException(std::string& s) {
  if (s.size() < 3 || s.size() > 6) return false;
  for (const Exception& e : kExceptions) {
    if (Equals(s, e.word)) {
      if (!e.stem.empty()) s.assign(e.stem);
      return true;
    }
  }
  return false;
}

// Prefixes after which region R1 starts (instead of the usual rule).
constexpr std::string_view kR1Prefixes[] = {"gener", "commun", "arsen", "past", "univers",
                                            "later", "emerg",  "organ", "inter"};

struct Regions {
  size_t p1, p2;
};

Regions MarkRegions(const std::string& s) {
  size_t p1 = s.size();
  bool prefixed = false;
  for (std::string_view prefix : kR1Prefixes) {
    if (StartsWith(s, prefix)) {
      p1 = prefix.size();
      prefixed = true;
      break;
    }
  }
  if (!prefixed) p1 = AfterVowelNonVowel(s, 0);
  return {p1, AfterVowelNonVowel(s, p1)};
}

void Step1a(std::string& s) {
  if (EndsWith(s, "'s'")) {
    s.erase(s.size() - 3);
  } else if (EndsWith(s, "'s")) {
    s.erase(s.size() - 2);
  } else if (EndsWith(s, "'")) {
    s.erase(s.size() - 1);
  }
  const size_t n = s.size();
  if (EndsWith(s, "sses")) {
    s.erase(n - 2);
  } else if (EndsWith(s, "ied") || EndsWith(s, "ies")) {
    // "i" after more than one letter, else "ie" (ties -> tie, cries -> cri).
    s.erase(n - 3 > 1 ? n - 2 : n - 1);
    if (n - 3 <= 1) s.back() = 'e';
  } else if (EndsWith(s, "us") || EndsWith(s, "ss")) {
    // kept
  } else if (EndsWith(s, "s") && n >= 3) {
    // Delete if a vowel comes before the letter preceding the s.
    if (std::any_of(s.begin(), s.begin() + (n - 2), IsVowel)) s.erase(n - 1);
  }
}

inline bool IsDouble(const std::string& s) {
  const size_t n = s.size();
  if (n < 2 || s[n - 1] != s[n - 2]) return false;
  switch (s[n - 1]) {
    case 'b':
    case 'd':
    case 'f':
    case 'g':
    case 'm':
    case 'n':
    case 'p':
    case 'r':
    case 't':
      return true;
    default:
      return false;
  }
}

// -ed, -edly, -ing, -ingly once any exception is ruled out.
void Step1bRemove(std::string& s, size_t suffix_len, size_t p1) {
  const size_t start = s.size() - suffix_len;
  if (!std::any_of(s.begin(), s.begin() + start, IsVowel)) return;
  s.erase(start);
  if (EndsWith(s, "at") || EndsWith(s, "bl") || EndsWith(s, "iz")) {
    s.push_back('e');
  } else if (IsDouble(s)) {
    // No undoubling when the word is exactly a, e or o plus the double.
    const char first = s[0];
    if (!(s.size() == 3 && (first == 'a' || first == 'e' || first == 'o'))) s.pop_back();
  } else if (p1 == s.size() && EndsWithShortSyllable(s, s.size())) {
    s.push_back('e');
  }
}

void Step1b(std::string& s, size_t p1) {
  const size_t n = s.size();
  const bool eedly = EndsWith(s, "eedly");
  if (eedly || EndsWith(s, "eed")) {
    const size_t start = n - (eedly ? 5 : 3);
    const std::string_view before = std::string_view(s).substr(0, start);
    if (Equals(before, "proc") || Equals(before, "exc") || Equals(before, "succ")) return;
    if (p1 <= start) {
      s.erase(start);
      s.append("ee");
    }
    return;
  }
  if (EndsWith(s, "ingly")) return Step1bRemove(s, 5, p1);
  if (EndsWith(s, "edly")) return Step1bRemove(s, 4, p1);
  if (EndsWith(s, "ing")) {
    const std::string_view before = std::string_view(s).substr(0, n - 3);
    if (before.size() == 2 && before[1] == 'y' && !IsVowel(before[0])) {  // dying -> die
      s.erase(1);
      s.append("ie");
      return;
    }
    if (Equals(before, "inn") || Equals(before, "out") || Equals(before, "cann") ||
        Equals(before, "herr") || Equals(before, "earr") || Equals(before, "even")) {
      return;
    }
    return Step1bRemove(s, 3, p1);
  }
  if (EndsWith(s, "ed")) Step1bRemove(s, 2, p1);
}

void Step1c(std::string& s) {
  const size_t n = s.size();
  if (n >= 3 && (s[n - 1] == 'y' || s[n - 1] == 'Y') && !IsVowel(s[n - 2])) s[n - 1] = 'i';
}

// A suffix rule of steps 2 to 4. `action`: 0 replace by `to`; 1 replace by
// `to` if preceded by 'l' (ogi); 2 delete if preceded by a valid li-ending
// (li); 3 delete if in R2 (ative); 4 delete if preceded by s or t (ion).
struct Rule {
  std::string_view suffix, to;
  int action;
};

// Each table is grouped by the suffixes' last letter (only one group can
// match a word), longest suffix first within a group, so the first rule that
// matches is the longest match.
constexpr Rule kStep2[] = {
    {"biliti", "ble", 0}, {"lessli", "less", 0}, {"entli", "ent", 0},   {"aliti", "al", 0},
    {"ousli", "ous", 0},  {"iviti", "ive", 0},   {"fulli", "ful", 0},   {"enci", "ence", 0},
    {"anci", "ance", 0},  {"abli", "able", 0},   {"alli", "al", 0},     {"bli", "ble", 0},
    {"ogi", "og", 1},     {"li", "", 2},         {"ational", "ate", 0}, {"tional", "tion", 0},
    {"alism", "al", 0},   {"ization", "ize", 0}, {"ation", "ate", 0},   {"izer", "ize", 0},
    {"ator", "ate", 0},   {"fulness", "ful", 0}, {"ousness", "ous", 0}, {"iveness", "ive", 0},
    {"ogist", "og", 0},
};
constexpr Rule kStep3[] = {
    {"alize", "al", 0}, {"icate", "ic", 0},    {"ative", "", 3},
    {"iciti", "ic", 0}, {"ational", "ate", 0}, {"tional", "tion", 0},
    {"ical", "ic", 0},  {"ful", "", 0},        {"ness", "", 0},
};
constexpr Rule kStep4[] = {
    {"ic", "", 0},   {"ance", "", 0}, {"ence", "", 0}, {"able", "", 0}, {"ible", "", 0},
    {"ate", "", 0},  {"ive", "", 0},  {"ize", "", 0},  {"iti", "", 0},  {"al", "", 0},
    {"ism", "", 0},  {"ion", "", 4},  {"er", "", 0},   {"ous", "", 0},  {"ement", "", 0},
    {"ment", "", 0}, {"ant", "", 0},  {"ent", "", 0},
};

// For each letter, the rules whose suffix ends with it: [first[c], first[c + 1]).
struct RuleIndex {
  std::array<uint8_t, 27> first{};
  bool grouped = true;  // every rule ends in a-z, and rules with one last letter are adjacent
};

template <size_t N>
constexpr RuleIndex IndexRules(const Rule (&rules)[N]) {
  RuleIndex index;
  size_t i = 0;
  for (int c = 0; c < 26; ++c) {
    index.first[c] = static_cast<uint8_t>(i);
    while (i < N && rules[i].suffix.back() == 'a' + c) ++i;
  }
  index.first[26] = static_cast<uint8_t>(i);
  index.grouped = i == N;
  return index;
}

constexpr RuleIndex kStep2Index = IndexRules(kStep2);
constexpr RuleIndex kStep3Index = IndexRules(kStep3);
constexpr RuleIndex kStep4Index = IndexRules(kStep4);
static_assert(kStep2Index.grouped && kStep3Index.grouped && kStep4Index.grouped);

inline bool IsValidLiEnding(char c) {
  return std::string_view("cdeghkmnrt").find(c) != std::string_view::npos;
}

// Finds the longest rule whose suffix ends s; applies it if the suffix starts
// at or after `region` (and its own condition holds).
void ApplyRules(std::string& s, const Rule* rules, const RuleIndex& index, size_t region,
                size_t p2) {
  if (s.empty() || s.back() < 'a' || s.back() > 'z') return;
  const int c = s.back() - 'a';
  for (size_t i = index.first[c]; i < index.first[c + 1]; ++i) {
    const Rule& r = rules[i];
    if (!EndsWith(s, r.suffix)) continue;
    const size_t start = s.size() - r.suffix.size();
    if (start < region) return;
    switch (r.action) {
      case 0:
        break;
      case 1:
        if (start == 0 || s[start - 1] != 'l') return;
        break;
      case 2:
        if (start == 0 || !IsValidLiEnding(s[start - 1])) return;
        break;
      case 3:
        if (start < p2) return;
        break;
      case 4:
        if (start == 0 || (s[start - 1] != 's' && s[start - 1] != 't')) return;
        break;
    }
    s.erase(start);
    s.append(r.to);
    return;
  }
}

void Step5(std::string& s, size_t p1, size_t p2) {
  const size_t n = s.size();
  if (n == 0) return;
  const size_t start = n - 1;
  if (s[start] == 'e') {
    if (p2 <= start || (p1 <= start && !EndsWithShortSyllable(s, start))) s.erase(start);
  } else if (s[start] == 'l') {
    if (p2 <= start && start > 0 && s[start - 1] == 'l') s.erase(start);
  }
}

// The algorithm on the working form.
void Stem(std::string& s) {
  if (ApplyException(s)) return;
  if (s.size() < 3) return;
  if (s[0] == '\'') s.erase(0, 1);
  bool y_found = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == 'y' && (i == 0 || IsVowel(s[i - 1]))) {
      s[i] = 'Y';
      y_found = true;
    }
  }
  const Regions r = MarkRegions(s);
  Step1a(s);
  Step1b(s, r.p1);
  Step1c(s);
  ApplyRules(s, kStep2, kStep2Index, r.p1, r.p2);
  ApplyRules(s, kStep3, kStep3Index, r.p1, r.p2);
  ApplyRules(s, kStep4, kStep4Index, r.p2, r.p2);
  Step5(s, r.p1, r.p2);
  if (y_found) std::replace(s.begin(), s.end(), 'Y', 'y');
}

}  // namespace

void Porter2Stem(std::string* word, std::string* scratch) {
  std::string& w = *word;
  if (std::all_of(w.begin(), w.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    Stem(w);
    return;
  }
  // Map each non-ASCII character (a lead byte and its continuation bytes) to
  // one placeholder, stem, then put the characters back in order: the rules
  // only remove or replace ASCII text, so every placeholder survives.
  scratch->clear();
  for (size_t i = 0; i < w.size(); ++i) {
    const auto c = static_cast<unsigned char>(w[i]);
    const bool continuation =
        (c & 0xC0) == 0x80 && i > 0 && static_cast<unsigned char>(w[i - 1]) >= 0x80;
    if (c < 0x80) {
      scratch->push_back(static_cast<char>(c));
    } else if (!continuation) {
      scratch->push_back(kPlaceholder);
    }
  }
  Stem(*scratch);
  std::string out;
  out.reserve(w.size());
  size_t src = 0;  // next byte of the original word to look at for a non-ASCII character
  for (char c : *scratch) {
    if (c != kPlaceholder) {
      out.push_back(c);
      continue;
    }
    while (static_cast<unsigned char>(w[src]) < 0x80) ++src;
    const size_t begin = src++;
    while (src < w.size() && (static_cast<unsigned char>(w[src]) & 0xC0) == 0x80) ++src;
    out.append(w, begin, src - begin);
  }
  w.assign(out);
}

std::string Porter2Stem(std::string word) {
  std::string scratch;
  Porter2Stem(&word, &scratch);
  return word;
}

}  // namespace herondb::text
