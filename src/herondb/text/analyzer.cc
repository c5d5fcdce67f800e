#include "herondb/text/analyzer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "herondb/common/error.h"
#include "herondb/text/porter2.h"
#include "herondb/text/stop_words.h"
#include "herondb/text/unicode.h"
#include "herondb/text/utf8.h"

namespace herondb::text {
namespace {

// Byte tables of the fast path. folded_word: the folded ASCII letter or
// digit, 0 for every other byte (ASCII separators, the apostrophe and bytes
// >= 0x80). start: how a byte can start a word.
enum StartByte : uint8_t { kSkip = 0, kAsciiWord = 1, kNonAscii = 2 };

struct ByteTables {
  std::array<char, 256> folded_word{};
  std::array<uint8_t, 256> start{};
};

constexpr ByteTables MakeByteTables() {
  ByteTables t;
  for (int c = 0; c < 256; ++c) {
    const bool digit = c >= '0' && c <= '9';
    const bool upper = c >= 'A' && c <= 'Z';
    const bool lower = c >= 'a' && c <= 'z';
    t.folded_word[c] = static_cast<char>(upper ? c + 32 : (digit || lower) ? c : 0);
    t.start[c] = c >= 0x80 ? kNonAscii : (digit || upper || lower) ? kAsciiWord : kSkip;
  }
  return t;
}
constexpr ByteTables kBytes = MakeByteTables();

// Whether a word character (not a one-character term) starts at s[p].
bool WordCharAt(const unsigned char* s, size_t p, size_t n) {
  if (p >= n) return false;
  if (s[p] < 0x80) return kBytes.folded_word[s[p]] != 0;
  char32_t cp;
  return DecodeUtf8(s + p, s + n, &cp) != 0 && ClassOf(cp) == CharClass::kWord;
}

inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

// `name` for an error message: at most about 40 bytes, well-formed UTF-8
// copied, every other byte (and control characters) written as \xNN, so the
// message is valid UTF-8 whatever the input.
std::string QuoteName(std::string_view name) {
  constexpr size_t kMaxQuoted = 40;
  const auto* s = reinterpret_cast<const unsigned char*>(name.data());
  std::string out;
  size_t p = 0;
  while (p < name.size() && out.size() < kMaxQuoted) {
    char32_t cp;
    const size_t len = DecodeUtf8(s + p, s + name.size(), &cp);
    if (len == 0 || cp < 0x20 || cp == 0x7F) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[s[p] >> 4];
      out += kHex[s[p] & 15];
      ++p;
    } else {
      out.append(name.data() + p, len);
      p += len;
    }
  }
  if (p < name.size()) out += "...";
  return out;
}

}  // namespace

// A direct-mapped cache from short folded words to their stems. A slot is
// overwritten by the next word that hashes to it; words longer than kMaxWord
// bytes are stemmed every time.
struct Analyzer::StemCache {
  static constexpr size_t kSlots = 4096;  // a power of two
  static constexpr size_t kMaxWord = 23;
  struct Slot {
    uint8_t word_len = 0;  // 0: empty (terms are never empty)
    uint8_t stem_len = 0;
    char word[kMaxWord];
    char stem[kMaxWord];
  };
  Slot slots[kSlots];

  static size_t SlotOf(std::string_view word) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (char c : word) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return (h ^ (h >> 15)) & (kSlots - 1);
  }
};

// After this many stems an analyzer makes its cache (a one-off analysis of a
// short text never pays for one).
constexpr size_t kStemsBeforeCache = 2048;

Analyzer::Analyzer(Language language) : language_(language) { word_[0] = 0; }
Analyzer::~Analyzer() = default;

Analyzer::Analyzer(Analyzer&& other) noexcept
    : language_(other.language_),
      stem_(std::move(other.stem_)),
      scratch_(std::move(other.scratch_)),
      stemmed_(other.stemmed_),
      cache_(std::move(other.cache_)) {
  word_[0] = 0;
  other.term_ = {};
}

Analyzer& Analyzer::operator=(Analyzer&& other) noexcept {
  if (this != &other) {
    language_ = other.language_;
    term_ = {};
    stem_ = std::move(other.stem_);
    scratch_ = std::move(other.scratch_);
    stemmed_ = other.stemmed_;
    cache_ = std::move(other.cache_);
    other.term_ = {};
  }
  return *this;
}

void Analyzer::Stem() {
  if (!cache_) {
    Porter2Stem(&stem_, &scratch_);
    if (++stemmed_ >= kStemsBeforeCache) cache_ = std::make_unique<StemCache>();
    return;
  }
  if (stem_.size() > StemCache::kMaxWord) {
    Porter2Stem(&stem_, &scratch_);
    return;
  }
  StemCache::Slot& slot = cache_->slots[StemCache::SlotOf(stem_)];
  if (slot.word_len == stem_.size() && std::memcmp(slot.word, stem_.data(), stem_.size()) == 0) {
    stem_.assign(slot.stem, slot.stem_len);
    return;
  }
  const size_t word_len = stem_.size();
  std::memcpy(slot.word, stem_.data(), word_len);
  Porter2Stem(&stem_, &scratch_);
  if (stem_.size() <= StemCache::kMaxWord) {
    slot.word_len = static_cast<uint8_t>(word_len);
    slot.stem_len = static_cast<uint8_t>(stem_.size());
    std::memcpy(slot.stem, stem_.data(), stem_.size());
  } else {
    slot.word_len = 0;
  }
}

Language ParseLanguage(std::string_view name) {
  if (EqualsIgnoringAsciiCase(name, "none")) return Language::kNone;
  if (EqualsIgnoringAsciiCase(name, "english")) return Language::kEnglish;
  Throw(ErrorCode::kInvalidArgument,
        "unknown text analysis language '" + QuoteName(name) + "' (expected 'none' or 'english')");
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

size_t Analyzer::ReadWord(std::string_view text, size_t* pos) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t p = *pos;
  size_t len = 0;
  // Past kMaxTermBytes bytes are counted but not stored (the term is dropped);
  // an ASCII byte then lands on word_[kMaxTermBytes + 1], a longer character
  // is not written at all.
  while (p < n) {
    const char folded = kBytes.folded_word[s[p]];
    if (folded) {
      word_[len <= kMaxTermBytes ? len : kMaxTermBytes + 1] = folded;
      ++len;
      ++p;
      continue;
    }
    if (s[p] < 0x80) {
      if (s[p] == '\'' && WordCharAt(s, p + 1, n)) {
        word_[len <= kMaxTermBytes ? len : kMaxTermBytes + 1] = '\'';
        ++len;
        ++p;
        continue;
      }
      break;
    }
    char32_t cp;
    const size_t cp_len = DecodeUtf8(s + p, s + n, &cp);
    if (cp_len == 0) break;
    const CharClass cls = ClassOf(cp);
    if (cls == CharClass::kWord) {
      char utf8[4];
      const size_t k = EncodeUtf8(FoldCase(cp), utf8);
      if (len <= kMaxTermBytes) std::memcpy(word_ + len, utf8, k);
      len += k;
    } else if (cls == CharClass::kApostrophe && WordCharAt(s, p + cp_len, n)) {
      word_[len <= kMaxTermBytes ? len : kMaxTermBytes + 1] = '\'';
      ++len;
    } else {
      break;
    }
    p += cp_len;
  }
  *pos = p;
  return len;
}

bool Analyzer::Next(std::string_view text, size_t* pos) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t p = *pos;
  while (true) {
    // Skip separators up to the next word character.
    char32_t cp = 0;
    size_t cp_len = 0;
    CharClass cls = CharClass::kSeparator;
    while (p < n) {
      const uint8_t start = kBytes.start[s[p]];
      if (start == kSkip) {
        ++p;
        continue;
      }
      if (start == kAsciiWord) {
        cls = CharClass::kWord;
        break;
      }
      cp_len = DecodeUtf8(s + p, s + n, &cp);
      if (cp_len == 0) {
        ++p;  // an ill-formed byte separates
        continue;
      }
      cls = ClassOf(cp);
      if (cls == CharClass::kWord || cls == CharClass::kSingle) break;
      p += cp_len;
    }
    if (p >= n) {
      *pos = n;
      return false;
    }
    size_t len;
    if (cls == CharClass::kSingle) {
      len = EncodeUtf8(FoldCase(cp), word_);
      p += cp_len;
    } else {
      len = ReadWord(text, &p);
    }
    if (len > kMaxTermBytes) continue;
    term_ = std::string_view(word_, len);
    if (language_ == Language::kEnglish) {
      if (IsEnglishStopWord(term_)) continue;
      if (std::any_of(term_.begin(), term_.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
        stem_.assign(term_);
        Stem();
        term_ = stem_;
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
