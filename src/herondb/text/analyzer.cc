#include "herondb/text/analyzer.h"

#include <algorithm>
#include <array>

#include "herondb/common/error.h"
#include "herondb/text/porter2.h"
#include "herondb/text/stop_words.h"
#include "herondb/text/unicode.h"
#include "herondb/text/utf8.h"

namespace herondb::text {
namespace {

// ASCII fast path: which bytes are word characters, and their folding.
struct AsciiTables {
  std::array<bool, 128> word{};
  std::array<char, 128> lower{};
};

constexpr AsciiTables MakeAscii() {
  AsciiTables t;
  for (int c = 0; c < 128; ++c) {
    const bool digit = c >= '0' && c <= '9';
    const bool upper = c >= 'A' && c <= 'Z';
    const bool lower = c >= 'a' && c <= 'z';
    t.word[c] = digit || upper || lower;
    t.lower[c] = static_cast<char>(upper ? c + 32 : c);
  }
  return t;
}
constexpr AsciiTables kAscii = MakeAscii();

// Whether a word character (not a one-character term) starts at s[p].
bool WordCharAt(const unsigned char* s, size_t p, size_t n) {
  if (p >= n) return false;
  if (s[p] < 0x80) return kAscii.word[s[p]];
  char32_t cp;
  return DecodeUtf8(s + p, s + n, &cp) != 0 && ClassOf(cp) == CharClass::kWord;
}

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto fx = static_cast<unsigned char>(x), fy = static_cast<unsigned char>(y);
           return (fx < 128 ? kAscii.lower[fx] : x) == (fy < 128 ? kAscii.lower[fy] : y);
         });
}

}  // namespace

Language ParseLanguage(std::string_view name) {
  if (EqualsIgnoringAsciiCase(name, "none")) return Language::kNone;
  if (EqualsIgnoringAsciiCase(name, "english")) return Language::kEnglish;
  Throw(ErrorCode::kInvalidArgument, "unknown text analysis language '" + std::string(name) +
                                         "' (expected 'none' or 'english')");
}

const char* LanguageName(Language language) {
  switch (language) {
    case Language::kNone:
      return "none";
    case Language::kEnglish:
      return "english";
  }
  return "none";
}

void Analyzer::ReadWord(std::string_view text, size_t* pos) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t p = *pos;
  // Past kMaxTermBytes the word is only scanned (it will be dropped).
  while (p < n) {
    const unsigned b = s[p];
    if (b < 0x80) {
      if (kAscii.word[b]) {
        size_t q = p + 1;
        while (q < n && s[q] < 0x80 && kAscii.word[s[q]]) ++q;
        if (term_.size() <= kMaxTermBytes) {
          const size_t old = term_.size();
          term_.append(text.data() + p, q - p);
          for (size_t i = old; i < term_.size(); ++i) {
            term_[i] = kAscii.lower[static_cast<unsigned char>(term_[i])];
          }
        }
        p = q;
        continue;
      }
      if (b == '\'' && WordCharAt(s, p + 1, n)) {
        term_.push_back('\'');
        ++p;
        continue;
      }
      break;
    }
    char32_t cp;
    const size_t len = DecodeUtf8(s + p, s + n, &cp);
    if (len == 0) break;
    const CharClass cls = ClassOf(cp);
    if (cls == CharClass::kWord) {
      if (term_.size() <= kMaxTermBytes) AppendUtf8(FoldCase(cp), &term_);
    } else if (cls == CharClass::kApostrophe && WordCharAt(s, p + len, n)) {
      term_.push_back('\'');
    } else {
      break;
    }
    p += len;
  }
  *pos = p;
}

bool Analyzer::Next(std::string_view text, size_t* pos) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t p = *pos;
  while (true) {
    // Skip separators up to the next word character.
    char32_t cp = 0;
    size_t len = 0;
    CharClass cls = CharClass::kSeparator;
    while (p < n) {
      const unsigned b = s[p];
      if (b < 0x80) {
        if (kAscii.word[b]) {
          cls = CharClass::kWord;
          break;
        }
        ++p;
        continue;
      }
      len = DecodeUtf8(s + p, s + n, &cp);
      if (len == 0) {
        ++p;  // an ill-formed byte separates
        continue;
      }
      cls = ClassOf(cp);
      if (cls == CharClass::kWord || cls == CharClass::kSingle) break;
      p += len;
    }
    if (p >= n) {
      *pos = n;
      return false;
    }
    term_.clear();
    if (cls == CharClass::kSingle) {
      AppendUtf8(FoldCase(cp), &term_);
      p += len;
    } else {
      ReadWord(text, &p);
    }
    if (term_.size() > kMaxTermBytes) continue;
    if (language_ == Language::kEnglish) {
      if (IsEnglishStopWord(term_)) continue;
      if (std::any_of(term_.begin(), term_.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
        Porter2Stem(&term_, &scratch_);
      }
    }
    *pos = p;
    return true;
  }
}

void Analyze(std::string_view text, Language language, std::vector<std::string>* terms) {
  Analyzer analyzer(language);
  analyzer.ForEachTerm(text, [terms](std::string_view term) { terms->emplace_back(term); });
}

}  // namespace herondb::text
